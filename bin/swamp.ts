/**
 * The multi-call entry: `swamp <program> [args]`, or any program name as argv[0] (symlink).
 * Kept tiny: start-up time of every program called by sys_exec/sys_eval is paid here.
 */
import { dispatch } from '../lib/programs/dispatch.js';

dispatch(process.argv0, process.argv);
