/**
 * The real HookContext: config, job log, collector, DB, tools and the monitor process, for the scratch
 * directory the hook runs in (its cwd, as HTCondor starts PreCmd/PostCmd there).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SwampConfig } from '../config/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { run } from '../proc/run.js';
import { jobLogName, type JobArgs } from './args.js';
import { condorAdvertisePublisher } from './collector.js';
import { scratchPaths, type HookContext } from './context.js';
import { realHookDb } from './db.js';
import { startMonitorProcess, stopMonitorProcess } from './monitor-process.js';
import { hookSettings } from './settings.js';
import { requireTools } from './vm.js';

/** HTCondor gives PreCmd/PostCmd the job's environment, which may lack PATH: use the usual one then. */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

/** The per-job log `<logDir>/<id>_<clusterid>.log` shared by the hooks and monitorjob (mirswamp/services perl/agents/vmu_perl_launcher). */
export function jobLogger(config: SwampConfig, a: JobArgs, step: string): Logger {
  const settings = hookSettings(config);
  return createLogger({ program: jobLogName(a), logDir: settings.logDir, level: a.debug ? 'debug' : undefined, bindings: { step, execrunuid: a.execrunuid } });
}

export function jobLogFile(config: SwampConfig, a: JobArgs): string {
  return join(hookSettings(config).logDir, `${jobLogName(a)}.log`);
}

export function realHookContext(config: SwampConfig, a: JobArgs, log: Logger, scratch: string = process.cwd()): HookContext {
  const settings = hookSettings(config);
  const env = { ...process.env, PATH: process.env.PATH || DEFAULT_PATH };
  return {
    args: a,
    settings,
    paths: scratchPaths(scratch),
    log,
    publisher: condorAdvertisePublisher(config),
    db: realHookDb(config),
    runTool: async (cmd, cwd) => {
      const r = await run(cmd.command, cmd.args, { timeoutMs: cmd.timeoutMs, env: cmd.env, cwd });
      log.info('tool ran', { command: cmd.command, args: cmd.args, ms: Math.round(r.durationMs) });
    },
    checkTools: (tools) => requireTools(tools, env.PATH),
    startMonitor: (name, args) => startMonitorProcess(name, args, { binDir: settings.binDir, scratch, logFile: jobLogFile(config, a), env }),
    stopMonitor: () => stopMonitorProcess(scratch, a, log),
    linesOfCode: async (archive) => {
      try {
        const r = await run(join(settings.thirdpartyDir, 'cloc'), ['--quiet', '--csv', archive], { timeoutMs: 600_000 });
        return clocSum(r.stdout);
      } catch (e) {
        log.error('cloc failed', { error: e });
        return -1;
      }
    },
    hostname: hostname(),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    now: () => new Date(),
  };
}

/** Sum of the `code` column of `cloc --quiet --csv` (blank line and header skipped), as coverity_lines_of_code. */
export function clocSum(csv: string): number {
  const lines = csv.split('\n').slice(2);
  let sum = 0;
  for (const l of lines) {
    const code = l.trim().split(',')[4];
    if (code !== undefined && /^\d+$/.test(code)) sum += Number(code);
  }
  return sum;
}
