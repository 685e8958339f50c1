/**
 * The environment variable that names the program for the multi-call binary whatever its argv[0]:
 * set by the detach step, by the hooks when they start monitorjob, and by the submit files of the
 * local platform and of the hooks. Its own module so library code can set it without importing the
 * dispatcher (lib/programs sits above every library module).
 */
export const PROGRAM_ENV = 'SWAMP_PROGRAM';
