/**
 * killjob, installed also as kill_run (the name the DB calls):
 *
 *   kill_run --execution_record_uuid '<id>' --hard '<flag>'     as assessment.kill_assessment_run calls it
 *   killjob --execution_record_uuid <id> [--hard <flag>] [--nodetached] [--debug] [--config <file>]
 *
 * <id>: an assessment run uuid, an M-<uuid> metric run, a project uuid (that project's viewer job), or
 * vrun_<project>_<viewer>. sys_exec waits for us: the parent validates and detaches; the worker removes
 * the job (lib/kill). Exit codes: 0 started (or nothing to do: no id); 2 invalid id (nothing run, the DB
 * reports ERROR); 75 the worker could not start; others per docs/cli-conventions.md.
 */
import { COMMON_OPTIONS, detachOrContinue, exitCodeFor, parseArgv, runProgram, writeOut, type ProgramSpec } from '../cli/index.js';
import { toSwampError } from '../errors/index.js';
import { createLogger, nullLogger, type Logger } from '../log/index.js';

const SPEC = {
  name: 'killjob',
  description: 'remove the HTCondor job of an assessment, metric or viewer run',
  options: [
    { name: 'execution_record_uuid', type: 'string', description: 'assessment uuid, M-<uuid>, project uuid (its viewer) or vrun_<project>_<viewer>' },
    { name: 'hard', type: 'string', description: "'0', '', 'no', 'n', '...false...' or absent (default): viewers get their vacate time; anything else ('1', 'true', 'yes'): remove viewers at once" },
    { name: 'detached', type: 'negatable', description: 'work in a detached worker (default; --nodetached to stay)' },
    ...COMMON_OPTIONS,
  ],
} as const satisfies ProgramSpec;

/** Legacy wait limit for the job to leave the queue. */
const WAIT_MS = 180_000;

export async function main(argv: readonly string[]): Promise<number> {
  let log: Logger = nullLogger;
  // runProgram (lib/cli/exit-codes.ts) maps what is thrown to the exit code, the log and one stderr line.
  return runProgram(async () => {
    const parsed = await parseArgv(SPEC, argv);
    if (parsed.help !== undefined) {
      await writeOut(parsed.help);
      return 0;
    }
    const o = parsed.options;
    const { loadConfig, resolveConfigPath } = await import('../config/index.js');
    const configPath = resolveConfigPath({ path: o.config }).path;
    const config = loadConfig({ path: configPath });
    log = createLogger({ program: 'killjob', logDir: config.logDir, level: 'trace' });
    log.info('called', { argv: [...argv] });

    const raw = o.execution_record_uuid;
    if (raw === undefined || raw === '') {
      // legacy: trace error "no execrunuid to kill", no status changes, exit 0
      log.error('no execrunuid to kill');
      return 0;
    }
    const { parseRunId } = await import('../cli/ids.js');
    let target: import('../cli/ids.js').RunId;
    try {
      target = parseRunId(raw);
    } catch (e) {
      log.error('refused: invalid run id, nothing killed', { err: toSwampError(e) });
      throw e;
    }
    const runLog = log.child({ runid: target.id });

    if (o.detached !== false) {
      const args = ['--execution_record_uuid', target.id, '--config', configPath];
      if (o.hard !== undefined) args.push('--hard', o.hard);
      if (o.debug) args.push('--debug');
      const role = await detachOrContinue({ logDir: config.logDir, args, logger: runLog });
      if (role === 'parent') return 0;
    }

    const { launchSettings } = await import('../submission/settings.js');
    const { createCallCounter } = await import('../htcondor/index.js');
    const { killRun } = await import('../kill/kill.js');
    const { realKillDb } = await import('../kill/db.js');
    const counter = createCallCounter();
    const s = launchSettings(config, counter.onCall);
    const started = Date.now();
    const report = await killRun(target, o.hard, {
      queueCtx: s.queueCtx,
      collectorCtx: s.collectorCtx,
      db: realKillDb(s.db),
      log: runLog,
      waitMs: WAIT_MS,
    });
    runLog.info('kill finished', { outcome: report.outcome, jobs: report.jobs, htcondorCalls: counter.byTool(), htcondorCallsTotal: counter.total(), ms: Date.now() - started });
    return 0;
  }, { program: 'killjob', logger: () => log });
}
