/**
 * A drain pass with its durability steps (pass.ts) around the launch queue: owed changes and pending
 * kills first (so the DB is current before any launch is recorded), then the queue, then duplicate and
 * held jobs. Each step's failure is logged and never stops the others.
 */
import type { SwampConfig } from '../config/index.js';
import type { DrainReport, LaunchDeps } from '../assessment/launch.js';
import { toSwampError } from '../errors/index.js';
import { nullLogger } from '../log/index.js';
import { DEFAULT_HELD_RELEASE_MAX, owedPass, queuePass, type PassDeps } from './pass.js';

/** A drain pass's kill retries wait this long at most for a launch in progress. */
const PASS_LOCK_WAIT_MS = 5_000;
const PASS_KILL_WAIT_MS = 60_000;

export async function drainPassWithDurability(config: SwampConfig, deps: LaunchDeps, drain: () => Promise<DrainReport>): Promise<DrainReport & { owedPending: number }> {
  const log = deps.log ?? nullLogger;
  const owed = deps.owed;
  if (owed === undefined) return { ...(await drain()), owedPending: 0 };
  const s = deps.settings;
  const pass: PassDeps = {
    outbox: owed.outbox,
    sink: owed.sink,
    queueCtx: s.queueCtx,
    log,
    maxHoldReleases: config.int('held_job_release_max', DEFAULT_HELD_RELEASE_MAX, { min: 0, max: 100 }),
    runDir: s.runDir,
  };
  const { realKillDb } = await import('../kill/db.js');
  pass.kill = { queueCtx: s.queueCtx, collectorCtx: s.collectorCtx, db: realKillDb(s.db), log, waitMs: PASS_KILL_WAIT_MS, owed, runDir: s.runDir, lockWaitMs: PASS_LOCK_WAIT_MS };
  let owedPending = 0;
  try {
    const r = await owedPass(pass);
    owedPending = r.owed.pending + r.kills.filter((k) => k.state === 'pending').length;
  } catch (e) {
    log.warn('outbox replay failed', { err: toSwampError(e) });
  }
  const report = await drain();
  try {
    const q = await queuePass(pass);
    if (q.duplicatesRemoved.length + q.held.length > 0) log.info('queue pass', { ...q });
  } catch (e) {
    log.warn('duplicate/held job scan failed', { err: toSwampError(e) });
  }
  return { ...report, owedPending };
}
