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
import { argvTrust, COMMON_OPTIONS, detachOrContinue, exitCodeFor, parseArgv, runProgram, writeOut, type OptionValues, type ProgramSpec } from '../cli/index.js';
import { toSwampError } from '../errors/index.js';
import { createLogger, nullLogger, type Logger } from '../log/index.js';
import { installedLogger } from './db-entry.js';

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

/** Under `kill_run` (the database's name): the legacy options only, each at most once. */
const DB_SPEC = {
  name: 'kill_run',
  options: SPEC.options.filter((o) => o.name === 'execution_record_uuid' || o.name === 'hard'),
} as const satisfies ProgramSpec;

/** `--hard` values the web and the delete trigger send (PARAM_BOOL, 1); anything else is refused from the DB. */
const HARD_WORDS = ['', '0', '1', 'true', 'false'] as const;

/** Legacy wait limit for the job to leave the queue. */
const WAIT_MS = 180_000;
/** How long the worker retries a kill the schedd cannot carry out now (swamp.conf kill_retry_seconds). */
const DEFAULT_KILL_RETRY_SECONDS = 600;
/** How long the worker waits for a launch in progress to release the run's lock. */
const LOCK_WAIT_MS = 120_000;

export async function main(argv: readonly string[], calledAs?: string): Promise<number> {
  let log: Logger = nullLogger;
  const trust = argvTrust(calledAs);
  const fromDb = trust === 'database';
  // runProgram (lib/cli/exit-codes.ts) maps what is thrown to the exit code, the log and one stderr line.
  return runProgram(async () => {
    // From the database: the installed config and the log first, so a refused argv is logged.
    if (fromDb) log = await installedLogger('killjob');
    const parsed = fromDb ? await parseArgv(DB_SPEC, argv, { trust }) : await parseArgv(SPEC, argv);
    if (parsed.help !== undefined) {
      await writeOut(parsed.help);
      return 0;
    }
    const o: OptionValues<typeof SPEC> = parsed.options;
    const { loadConfig, resolveConfigPath } = await import('../config/index.js');
    const configPath = resolveConfigPath(fromDb ? { only: 'installed' } : { path: o.config }).path;
    const config = loadConfig({ path: configPath });
    log = createLogger({ program: 'killjob', logDir: config.logDir, level: 'trace' });
    log.info('called', { argv: [...argv] });
    if (fromDb && o.hard !== undefined) {
      const { checkEnum } = await import('../cli/values.js');
      checkEnum('hard', o.hard.toLowerCase(), HARD_WORDS);
    }

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

    // The kill is an intent kept until carried out: recorded durably before the DB hears SUCCESS
    // (docs/durability.md). Without a writable outbox the kill still runs, as before, once.
    const { Outbox } = await import('../outbox/store.js');
    let outbox: import('../outbox/store.js').Outbox | undefined;
    try {
      outbox = Outbox.forRunDir(config.runDir, config.string('outboxDir')).ensure();
      const { recordKillIntent } = await import('../outbox/kill-intent.js');
      recordKillIntent(outbox, target.id, o.hard);
    } catch (e) {
      outbox = undefined;
      runLog.error('cannot record the kill intent; killing without retries', { err: toSwampError(e) });
    }

    if (o.detached !== false) {
      // Under kill_run the worker finds the same installed config by itself: no --config from argv.
      const args = ['--execution_record_uuid', target.id, ...(fromDb ? [] : ['--config', configPath])];
      if (o.hard !== undefined) args.push('--hard', o.hard);
      if (o.debug && !fromDb) args.push('--debug');
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
    const deps = { queueCtx: s.queueCtx, collectorCtx: s.collectorCtx, db: realKillDb(s.db), log: runLog, waitMs: WAIT_MS };
    if (outbox === undefined) {
      const report = await killRun(target, o.hard, deps);
      runLog.info('kill finished', { outcome: report.outcome, jobs: report.jobs, htcondorCalls: counter.byTool(), htcondorCallsTotal: counter.total(), ms: Date.now() - started });
      return 0;
    }
    const { carryOutKill } = await import('../kill/intent.js');
    const { realOutboxSink } = await import('../outbox/sink.js');
    const sink = realOutboxSink(s.db, s.collectorCtx);
    try {
      const retryMs = config.int('kill_retry_seconds', DEFAULT_KILL_RETRY_SECONDS, { min: 0, max: 86_400 }) * 1000;
      const r = await carryOutKill(target, { ...deps, owed: { outbox, sink }, runDir: s.runDir, lockWaitMs: LOCK_WAIT_MS }, started + retryMs);
      runLog.info('kill finished', { outcome: r.outcome, intent: r.state, attempts: r.attempts, htcondorCalls: counter.byTool(), htcondorCallsTotal: counter.total(), ms: Date.now() - started });
    } finally {
      await sink.close();
    }
    return 0;
  }, { program: 'killjob', logger: () => log, ...(fromDb ? { fromDatabase: { nothing: 'nothing killed', argv } } : {}) });
}
