/**
 * Starting and stopping this job's monitorjob.
 *
 * Start (Pre hooks): our own binary under its `monitorjob` name, `<binDir>/monitorjob <Monitor…> <job
 * args>`, through lib/cli/detach spawnDetached (argument array, never a shell, own session so HTCondor's
 * wait for the PreCmd ends when the hook exits, stdin /dev/null, stdout/stderr appended to the job log). Its pid goes to `monitorjob_<cluster>.pid` in the scratch dir (legacy
 * vmu_Monitor…_<cluster>.pid).
 *
 * Stop (Post hooks, new): the legacy monitor could still advertise after PostAssessment/PostViewer had
 * written the final status (mirswamp/services perl/agents/vmu_killrun.pl, vmu_PostViewer.pl); here the Post hook sends SIGTERM to the monitor first and
 * waits for it to leave (SIGKILL after a grace period), after checking the pid is still our monitor.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnDetached } from '../cli/detach.js';
import type { Logger } from '../log/index.js';
import { pidAlive } from '../proc/pid.js';
import { PROGRAM_ENV } from '../cli/program-env.js';
import type { JobArgs, MonitorName } from './args.js';

export function monitorPidFile(scratch: string, clusterId: string): string {
  return join(scratch, `monitorjob_${clusterId}.pid`);
}

/** The argument array of monitorjob (pure). */
export function monitorArgv(name: MonitorName, a: JobArgs): string[] {
  return [name, a.execrunuid, a.owner, a.uiddomain, a.clusterId, a.procId, String(a.numJobStarts), ...(a.debug ? ['1'] : [])];
}

export interface StartMonitorOptions {
  binDir: string;
  scratch: string;
  /** The job log file: the monitor's stdout/stderr are appended to it. */
  logFile: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export async function startMonitorProcess(name: MonitorName, a: JobArgs, o: StartMonitorOptions): Promise<number | undefined> {
  // SWAMP_PROGRAM names the program for the multi-call binary whatever its argv[0]; the job's own
  // environment may carry another value (the local platform's machine), so it is always set here.
  const env = { ...(o.env ?? process.env), [PROGRAM_ENV]: 'monitorjob' };
  const pid = await spawnDetached(join(o.binDir, 'monitorjob'), monitorArgv(name, a), { outputFile: o.logFile, cwd: o.scratch, env });
  await writeFile(monitorPidFile(o.scratch, a.clusterId), `${pid}\n`);
  return pid;
}

/** True when /proc says `pid` is a monitorjob of this run (so a recycled pid is never signalled). */
async function isOurMonitor(pid: number, execrunuid: string): Promise<boolean> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return argv.some((x) => x.endsWith('monitorjob') || x.startsWith('Monitor')) && argv.includes(execrunuid);
  } catch {
    return false;
  }
}

export async function stopMonitorProcess(scratch: string, a: JobArgs, log: Logger, graceMs = 10_000): Promise<void> {
  const file = monitorPidFile(scratch, a.clusterId);
  let pid: number;
  try {
    pid = Number((await readFile(file, 'utf8')).trim());
  } catch {
    return; // no monitor was started in this scratch dir
  }
  if (!Number.isSafeInteger(pid) || pid <= 1 || !pidAlive(pid) || !(await isOurMonitor(pid, a.execrunuid))) {
    await rm(file, { force: true });
    return;
  }
  log.info('stopping monitorjob', { pid });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (pidAlive(pid)) {
    log.warn('monitorjob did not stop in time; killing it', { pid });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await rm(file, { force: true });
}
