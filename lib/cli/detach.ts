/**
 * The detach step of mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm runScriptDetached, for sys_exec/sys_eval callers:
 * the SQL statement stays blocked until the program exits AND every copy of its stdout pipe is closed.
 *
 * Parent:  print the contract output (e.g. "SUCCESS\n") and wait until it is flushed; start the worker
 *          = this same program with the same argv, in a new session (setsid), stdin /dev/null,
 *          stdout+stderr appended to <logDir>/swamperrors.log; then return so the caller exits 0.
 *          The worker never receives the caller's fd 1, so sys_eval sees EOF when the parent exits.
 * Worker:  recognised by SWAMP_DETACHED_WORKER=1 in its environment (removed at once so programs it
 *          starts in turn do not believe they are workers); it skips detaching and does the work.
 *
 * Re-executing self works both under `node [flags] script.js args` (execPath = node, argv[1] = script)
 * and in the single-executable build, where execPath is the program itself, argv[1] is the name it
 * was called by (the multi-call dispatch key) and user arguments start at argv[2]; there the name is
 * passed back as the worker's argv[0], which Node's SEA start-up turns into the worker's argv[1].
 *
 * This is the one place allowed to call child_process.spawn (with detached: true, never a shell);
 * every other external program goes through lib/proc/run.ts.
 */
import { spawn } from 'node:child_process';
import { closeSync, fchmodSync, fstatSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { isSea } from 'node:sea';
import { SwampError } from '../errors/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { writeContractValue, type OutStream } from './output.js';

export const DETACHED_WORKER_ENV = 'SWAMP_DETACHED_WORKER';
export const DETACH_ERRORS_LOG = 'swamperrors.log';

let workerState: boolean | undefined;

/** True inside the detached worker. The marker is read once and removed from process.env. */
export function isDetachedWorker(): boolean {
  if (workerState === undefined) {
    workerState = process.env[DETACHED_WORKER_ENV] === '1';
    delete process.env[DETACHED_WORKER_ENV];
  }
  return workerState;
}

export interface SelfCommand {
  command: string;
  args: string[];
  /** argv[0] for the new process (SEA: the program name used for dispatch). */
  argv0?: string;
}

/** How to start this same program again with `userArgs`. */
export function selfCommand(userArgs: readonly string[] = process.argv.slice(2)): SelfCommand {
  if (isSea()) {
    const name = process.argv[1];
    return name === undefined ? { command: process.execPath, args: [...userArgs] } : { command: process.execPath, args: [...userArgs], argv0: name };
  }
  const script = process.argv[1];
  const args = [...process.execArgv];
  if (script !== undefined) args.push(script);
  return { command: process.execPath, args: [...args, ...userArgs] };
}

export interface DetachOptions {
  /** Directory of swamperrors.log (config logDir, default /opt/swamp/log). */
  logDir: string;
  /** Printed (+ "\n") and flushed before detaching, e.g. 'SUCCESS' for launch_viewer/CodeDX. */
  contractOutput?: string;
  /** Worker arguments (default: this process's arguments). */
  args?: readonly string[];
  /** Worker environment (default process.env); the worker marker is added. */
  env?: NodeJS.ProcessEnv;
  /** Worker working directory (default: the current one, where the legacy child returned to). */
  cwd?: string;
  logger?: Logger;
  /** Where the contract output goes (default process.stdout). */
  stdout?: OutStream;
}

/**
 * swamperrors.log and the like, in the group-writable log dir: never through a planted link
 * (O_NOFOLLOW), never a FIFO or device (O_NONBLOCK + fstat), never a hard link to another file;
 * created 0640 like the logs (lib/log). Throws when it cannot be used (the caller takes /dev/null).
 */
function openAppend(file: string): number {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(file, flags | constants.O_CREAT | constants.O_EXCL, 0o640);
    try {
      fchmodSync(fd, 0o640);
    } catch {
      /* not ours to change */
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fd = openSync(file, flags);
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.nlink !== 1) {
    closeSync(fd);
    throw Object.assign(new Error(`${file} is not a plain log file`), { code: 'EUNSAFE' });
  }
  return fd;
}

export interface SpawnDetachedOptions {
  /** stdout and stderr of the new process are appended here; undefined or unopenable -> /dev/null. */
  outputFile?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  argv0?: string;
  logger?: Logger;
}

/**
 * Starts `command args` in a new session (setsid), stdin /dev/null, stdout+stderr appended to
 * `outputFile`, without a shell, and does not wait for it. Resolves with its pid once it has started;
 * a failure to start (ENOENT, EAGAIN, ...) is a 'busy' SwampError. The one sanctioned way to leave a
 * process running behind us (the detach step, the job hooks' monitor).
 */
export async function spawnDetached(command: string, args: readonly string[], opts: SpawnDetachedOptions = {}): Promise<number> {
  const log = opts.logger ?? nullLogger;
  let out: number | 'ignore' = 'ignore';
  if (opts.outputFile !== undefined) {
    try {
      out = openAppend(opts.outputFile);
    } catch (e) {
      // The legacy gave up here (exit 0, no work done); losing the output is the lesser evil.
      log.warn('cannot open output file of detached process; output discarded', { file: opts.outputFile, code: (e as NodeJS.ErrnoException).code });
    }
  }
  try {
    const child = spawn(command, [...args], {
      detached: true, // setsid(): outlives the caller's session and its signals
      stdio: ['ignore', out, out], // stdin /dev/null; never the caller's fd 1
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      ...(opts.argv0 !== undefined ? { argv0: opts.argv0 } : {}),
      shell: false,
      windowsHide: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    return pid;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SwampError('busy', `cannot start ${command}: ${code ?? String(e)}`, { command, code }, { cause: e });
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

/**
 * Parent side: prints the contract output, starts the worker and returns its pid. The caller must
 * then return promptly (exit code 0) without holding other handles open.
 */
export async function detach(opts: DetachOptions): Promise<{ pid: number }> {
  const log = opts.logger ?? nullLogger;
  if (opts.contractOutput !== undefined) await writeContractValue(opts.contractOutput, opts.stdout);
  const self = selfCommand(opts.args);
  const pid = await spawnDetached(self.command, self.args, {
    outputFile: join(opts.logDir, DETACH_ERRORS_LOG),
    cwd: opts.cwd ?? process.cwd(),
    env: { ...(opts.env ?? process.env), [DETACHED_WORKER_ENV]: '1' },
    ...(self.argv0 !== undefined ? { argv0: self.argv0 } : {}),
    logger: log,
  });
  log.info('detached worker started', { workerPid: pid });
  return { pid };
}

/**
 * Convenience: inside the worker returns 'worker' (go on with the work); otherwise detaches and returns
 * 'parent' (return exit code 0 now).
 */
export async function detachOrContinue(opts: DetachOptions): Promise<'parent' | 'worker'> {
  if (isDetachedWorker()) return 'worker';
  await detach(opts);
  return 'parent';
}
