/**
 * launchassessment, installed also as execute_execution_record (the name the DB calls):
 *
 *   execute_execution_record <uuid>            as the DB procedures call it (sys_exec)
 *   launchassessment --runid <uuid> [--nodetached] [--debug] [--config <file>]
 *   launchassessment --list [n]                the DB launch queue (legacy output, stdout)
 *   launchassessment --drain                   owed changes and kills, the run-dir queue, duplicate/held jobs (timer)
 *
 * sys_exec waits for us: the parent validates argv and the id, records a launch request in the run
 * dir, starts the detached batch submitter unless one runs, and returns 0 at once; the submitter
 * launches every request in batches (lib/assessment/submitter.ts, batch-launch.ts). A malformed or hostile id is
 * refused before anything runs: a log line, a stderr line, exit 2, nothing submitted.
 */
import { argvTrust, COMMON_OPTIONS, detachOrContinue, EXIT_CODES, exitCodeFor, parseArgv, runProgram, writeOut, type ParsedArgs, type ProgramSpec } from '../cli/index.js';
import { toSwampError, UsageError } from '../errors/index.js';
import { createLogger, nullLogger, type Logger } from '../log/index.js';
import { installedLogger } from './db-entry.js';

const SPEC = {
  name: 'launchassessment',
  description: 'launch an assessment or metric run on HTCondor, exactly once',
  options: [
    { name: 'runid', type: 'string', description: 'execution record uuid or M-<uuid> metric run id' },
    { name: 'list', type: 'int', optionalValue: 0, description: 'print the DB launch queue (at most n entries) and exit' },
    { name: 'drain', type: 'flag', description: 'deliver owed DB/collector changes and kills, finish every run left in the run directory, handle duplicate and held jobs, and exit' },
    { name: 'detached', type: 'negatable', description: 'record a launch request for the detached batch submitter (default; --nodetached: launch this run now, in the foreground)' },
    ...COMMON_OPTIONS,
  ],
  positionals: [{ name: 'uuid', description: 'execution record uuid (as execute_execution_record is called by the DB)' }],
} as const satisfies ProgramSpec;

/**
 * Under execute_execution_record (the database's name) argv is exactly one run id, as the legacy
 * wrapper passed only `$1`: no option at all (no --help, --config, --runid), nothing more. The
 * procedure does not quote the id, so a space in it gives a second argument: refused too.
 */
function databaseArgv(argv: readonly string[]): ParsedArgs<typeof SPEC> {
  const [id] = argv;
  if (argv.length !== 1 || id === undefined || id.startsWith('-')) {
    throw new UsageError(`expected exactly one run id from the database, got ${argv.length} argument(s)${id?.startsWith('-') ? ` starting with ${JSON.stringify(id.slice(0, 20))}` : ''}; usage: execute_execution_record <uuid>`, { count: argv.length });
  }
  return { options: {}, positionals: [id] };
}

export async function main(argv: readonly string[], calledAs?: string): Promise<number> {
  let log: Logger = nullLogger;
  const fromDb = argvTrust(calledAs) === 'database';
  // runProgram (lib/cli/exit-codes.ts) maps what is thrown to the exit code, the log and one stderr line.
  return runProgram(async () => {
    // From the database: the installed config and the log first, so a refused argv is logged.
    if (fromDb) log = await installedLogger('launchassessment');
    const parsed = fromDb ? databaseArgv(argv) : await parseArgv(SPEC, argv);
    if (parsed.help !== undefined) {
      await writeOut(parsed.help);
      return 0;
    }
    const o = parsed.options;
    const { loadConfig, resolveConfigPath } = await import('../config/index.js');
    const configPath = resolveConfigPath(fromDb ? { only: 'installed' } : { path: o.config }).path;
    const config = loadConfig({ path: configPath });
    log = createLogger({ program: 'launchassessment', logDir: config.logDir, ...(o.debug ? { level: 'trace' } : {}) });

    if (o.list !== undefined) return await listMode(config, o.list, log);

    if (o.drain) {
      const perRun = launchMode(config) === 'per-run';
      const drain = perRun ? (await import('../assessment/launch.js')).drainPerRun : (await import('../assessment/submitter.js')).drain;
      const deps = await realDeps(config, log);
      const { drainPassWithDurability } = await import('../durability/drain.js');
      try {
        const r = await drainPassWithDurability(config, deps, () => drain(deps));
        return r.results.some((x) => x.outcome === 'aborted' || x.outcome === 'pending' || x.outcome === 'submit-failed') || r.owedPending > 0 ? EXIT_CODES.busy : 0;
      } finally {
        await deps.db.close();
        await deps.owed?.sink.close();
      }
    }

    const positional = parsed.positionals[0];
    if (positional !== undefined && o.runid !== undefined && positional !== o.runid) {
      throw new UsageError('give the run id once (positional or --runid), not two different ones');
    }
    const raw = o.runid ?? positional;
    if (raw === undefined) throw new UsageError('missing run id: execute_execution_record <uuid> or --runid <uuid> (or --list, --drain)');
    const { parseLaunchId } = await import('../assessment/ids.js');
    let id: string;
    try {
      id = parseLaunchId(raw).id;
    } catch (e) {
      // The value is logged quoted and truncated (describeValue): safe in a log line.
      log.error('refused: invalid run id, nothing launched', { err: toSwampError(e) });
      throw e;
    }

    const perRun = launchMode(config) === 'per-run';
    if (o.detached !== false && !perRun) {
      // Batch launch (docs/launchassessment.md): record the request durably, make sure one submitter
      // runs, answer the DB. The detached worker is that submitter; it launches every request.
      const { isDetachedWorker } = await import('../cli/detach.js');
      if (!isDetachedWorker()) {
        const { writeRequest } = await import('../submission/queue.js');
        const { signalSubmitter, submitterRunning } = await import('../assessment/submitter.js');
        writeRequest(config.runDir, id);
        if (submitterRunning(config.runDir)) {
          signalSubmitter(config.runDir);
          log.debug('launch requested; the running submitter takes it', { execrunid: id });
          return 0;
        }
      }
    }
    if (o.detached !== false) {
      const role = await detachOrContinue({
        logDir: config.logDir,
        // the batch submitter's V8 limits (submitter.ts SUBMITTER_NODE_OPTIONS); nothing else of the
        // caller's environment changes
        ...(perRun ? {} : { env: { ...process.env, NODE_OPTIONS: (await import('../assessment/submitter.js')).SUBMITTER_NODE_OPTIONS } }),
        // The worker gets the resolved config path: it may start under another argv[0]. Under the
        // database's name it runs under that name again and finds the installed config by itself.
        args: fromDb ? [id] : ['--runid', id, '--config', configPath, ...(o.debug ? ['--debug'] : [])],
        logger: log,
      });
      if (role === 'parent') return 0;
    }
    const deps = await realDeps(config, log);
    if (o.detached !== false && !perRun) {
      // the submitter: every request in the run dir, this one included
      const { runSubmitter } = await import('../assessment/submitter.js');
      try {
        // htcondorCalls: the submitter's calls so far (shared by every run of its batches)
        const rep = await runSubmitter(deps, (r) => log.info('launch finished', { execrunid: r.id, outcome: r.outcome, clusterId: r.clusterId, htcondorCalls: { ...launchCalls } }));
        log.info('submitter done', { ran: rep.ran, runs: rep.runs, htcondorCalls: launchCalls });
        return 0;
      } finally {
        await deps.db.close();
        await deps.owed?.sink.close();
      }
    }
    try {
      // --nodetached: this run now, in the foreground, as a batch of one (per-run mode: the old launcher)
      const r = perRun
        ? await (await import('../assessment/launch.js')).launchRun(id, deps, 'launch')
        : ((await (await import('../assessment/batch-launch.js')).launchBatch([id], deps, 'launch'))[0] ?? { outcome: 'aborted' as const });
      log.info('launch finished', { execrunid: id, outcome: r.outcome, clusterId: r.clusterId, htcondorCalls: launchCalls });
      if (r.error !== undefined && (r.outcome === 'aborted' || r.outcome === 'submit-failed' || r.outcome === 'pending')) return exitCodeFor(r.error) || 1;
      return 0;
    } finally {
      await deps.db.close();
      await deps.owed?.sink.close();
    }
  }, { program: 'launchassessment', logger: () => log, ...(fromDb ? { fromDatabase: { nothing: 'nothing launched', argv } } : {}) });
}

type Config = import('../config/index.js').SwampConfig;

/**
 * swamp.conf `launchMode`: `batch` (default: requests + one batch submitter) or `per-run` (one
 * detached worker per run, as before the batch submitter). `per-run` exists for the launch benchmark's
 * side-by-side baseline (bench/launch); it is not meant for production.
 */
function launchMode(config: Config): 'batch' | 'per-run' {
  return config.string('launchMode', 'batch').toLowerCase() === 'per-run' ? 'per-run' : 'batch';
}

/** HTCondor tool calls of this process, per tool (logged with 'launch finished', as killjob does). */
const launchCalls: Record<string, number> = {};

async function realDeps(config: Config, log: Logger): Promise<import('../assessment/launch.js').LaunchDeps> {
  const { launchSettings } = await import('../submission/settings.js');
  const { realCondor } = await import('../submission/condor.js');
  const { realDb } = await import('../assessment/db-ops.js');
  const { connect } = await import('../db/index.js');
  const settings = launchSettings(config, (call) => {
    launchCalls[call.tool] = (launchCalls[call.tool] ?? 0) + 1;
    log.debug('htcondor call', { tool: call.tool, ms: Math.round(call.durationMs), outcome: call.outcome });
  });
  const { Outbox } = await import('../outbox/store.js');
  const { realOutboxSink } = await import('../outbox/sink.js');
  let owed: import('../assessment/launch.js').LaunchDeps['owed'];
  try {
    owed = { outbox: Outbox.forRunDir(settings.runDir, config.string('outboxDir')).ensure(), sink: realOutboxSink(settings.db, settings.collectorCtx) };
  } catch (e) {
    log.error('no outbox: kills and owed changes are not checked by this launcher', { err: toSwampError(e) });
  }
  return {
    settings,
    condor: realCondor(settings.queueCtx, settings.collectorCtx),
    db: realDb(() => connect(settings.db)),
    log,
    ...(owed !== undefined ? { owed } : {}),
  };
}

async function listMode(config: Config, limit: number, log: Logger): Promise<number> {
  const { formatLaunchQueue, LIST_DB_ERROR } = await import('../assessment/list.js');
  const { launchSettings } = await import('../submission/settings.js');
  const { withDb, listLaunchQueue } = await import('../db/index.js');
  let uuids: string[];
  try {
    uuids = await withDb(launchSettings(config).db, listLaunchQueue);
  } catch (e) {
    const err = toSwampError(e);
    log.error('cannot read the DB launch queue', { err });
    await writeOut(LIST_DB_ERROR);
    return exitCodeFor(err);
  }
  await writeOut(formatLaunchQueue(uuids, limit));
  return 0;
}
