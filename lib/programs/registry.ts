/**
 * Every program of the suite, by every name it is installed under. One binary serves them all
 * (busybox style): the dispatcher picks the entry from the name it was started as, so a 90 MB
 * runtime is shipped once. Entries are loaded lazily so each program pays only for its own imports.
 */
/** `calledAs`: the name the program was started under (decides how far argv is trusted, lib/cli/trust.ts). */
export type ProgramMain = (argv: readonly string[], calledAs?: string) => Promise<number>;

export interface ProgramInfo {
  /** Canonical name. */
  name: string;
  /** Other names it answers to (legacy names called by the DB procedures and HTCondor). */
  aliases: readonly string[];
  summary: string;
  load: () => Promise<ProgramMain>;
}

export const PROGRAMS: readonly ProgramInfo[] = [
  {
    name: 'launchassessment',
    aliases: ['execute_execution_record'],
    summary: 'launch an assessment or metric run on HTCondor (exactly once)',
    load: async () => (await import('./launchassessment.js')).main,
  },
  {
    name: 'launchviewer',
    aliases: ['launch_viewer'],
    summary: 'launch a CodeDX viewer, or turn results into a Native report file',
    load: async () => (await import('./launchviewer.js')).main,
  },
  {
    name: 'killjob',
    aliases: ['kill_run'],
    summary: 'remove an assessment, metric or viewer job',
    load: async () => (await import('./killjob.js')).main,
  },
  {
    name: 'monitorjob',
    aliases: [],
    summary: "follow a job's event file and publish its status to the collector",
    load: async () => (await import('./monitorjob.js')).main,
  },
  {
    name: 'jobhook',
    // HTCondor's starter runs PreCmd/PostCmd with argv[0] = condor_Prescript / condor_Postscript
    aliases: ['vmu_perl_launcher', 'condor_Prescript', 'condor_Postscript'],
    summary: 'HTCondor PreCmd/PostCmd hook: PreAssessment|PostAssessment|PreViewer|PostViewer',
    load: async () => (await import('./jobhook.js')).main,
  },
  {
    name: 'swampctl',
    aliases: [],
    summary: 'administration: status, runs, run, health, cleanup, ads, enable/disable, config, docker-images',
    load: async () => (await import('./swampctl.js')).main,
  },
  {
    name: 'swamp-assessment-machine',
    aliases: [],
    summary: 'local platform SIMULATOR: a simulated assessment machine (canned SCARF result, scripted events)',
    load: async () => (await import('./assessment-machine.js')).main,
  },
  {
    name: 'swamp-viewer-machine',
    aliases: [],
    summary: 'local platform SIMULATOR: a simulated viewer machine (scripted events, a stand-in CodeDX API)',
    load: async () => (await import('./viewer-machine.js')).main,
  },
];

export function findProgram(name: string): ProgramInfo | undefined {
  return PROGRAMS.find((p) => p.name === name || p.aliases.includes(name));
}
