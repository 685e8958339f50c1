/**
 * Takes one snapshot of the three sources, at O(1) HTCondor calls whatever the number of jobs:
 * one condor_q (every SWAMP job, projected), one condor_status (every SWAMP status ad), and at most
 * one condor_history (only for DB-active runs missing from the queue, up to HISTORY_IDS of them).
 * A source that cannot be read is reported in `errors` and left undefined, never fatal: an admin
 * wants the picture most when something is down.
 */
import { anyAttrIsExactly, queryAds, queryHistory, queryQueue, SWAMP_ID_ATTRS } from '../htcondor/index.js';
import { listActiveRuns, runRowPresence, withDb } from '../db/index.js';
import { toSwampError } from '../errors/index.js';
import { listQueue } from '../submission/queue.js';
import { AD_ATTRS, dbRunOf, JOB_ATTRS, jobOfAd, statusAdOf, SWAMP_AD_CONSTRAINT, SWAMP_JOB_CONSTRAINT } from './convert.js';
import type { AdView, DbRun, JobView, Snapshot } from './model.js';
import type { CtlSettings } from './settings.js';

/** At most this many run ids are looked up in history per snapshot (keeps the constraint sane). */
export const HISTORY_IDS = 200;

function msg(e: unknown): string {
  return toSwampError(e).message;
}

export async function takeSnapshot(s: CtlSettings, opts: { history?: boolean } = {}): Promise<Snapshot> {
  const snap: Snapshot = { now: Math.floor(Date.now() / 1000), runDirQueue: [], errors: [] };
  const [queue, ads] = await Promise.all([
    queryQueue(s.queueCtx, { constraint: SWAMP_JOB_CONSTRAINT, attributes: JOB_ATTRS }).then(
      (r) => r.map((a) => jobOfAd(a, 'queue')).filter((j): j is JobView => j !== undefined),
      (e: unknown) => {
        snap.errors.push({ source: 'schedd', message: msg(e) });
        return undefined;
      },
    ),
    queryAds(s.collectorCtx, { myType: 'Generic', constraint: SWAMP_AD_CONSTRAINT, attributes: AD_ATTRS }).then(
      (r) => r.map(statusAdOf).filter((a): a is AdView => a !== undefined),
      (e: unknown) => {
        snap.errors.push({ source: 'collector', message: msg(e) });
        return undefined;
      },
    ),
  ]);
  if (queue !== undefined) snap.queue = queue;
  if (ads !== undefined) snap.ads = ads;
  try {
    snap.runDirQueue = listQueue(s.runDir).map((e) => e.id);
  } catch (e) {
    snap.errors.push({ source: 'rundir', message: msg(e) });
  }
  try {
    await withDb(s.db, async (db) => {
      const runs: DbRun[] = (await listActiveRuns(db)).map(dbRunOf);
      snap.dbRuns = runs;
      if (queue !== undefined) {
        const active = new Set(runs.map((r) => r.id));
        const others = [...new Set(queue.map((j) => j.id).filter((id) => !active.has(id)))];
        snap.dbOthers = await runRowPresence(db, others);
      }
    });
  } catch (e) {
    snap.errors.push({ source: 'db', message: msg(e) });
  }
  if (opts.history !== false && queue !== undefined && snap.dbRuns !== undefined) {
    const inQueue = new Set(queue.map((j) => j.id));
    const missing = snap.dbRuns.filter((r) => r.submitted && !r.launchFlag && !inQueue.has(r.id)).map((r) => r.id).slice(0, HISTORY_IDS);
    if (missing.length > 0) {
      try {
        const constraint = missing.map((id) => `(${anyAttrIsExactly(SWAMP_ID_ATTRS, id)})`).join(' || ');
        // most recent first: the first ad per id is its last job
        const h = await queryHistory(s.queueCtx, { constraint, attributes: JOB_ATTRS, limit: missing.length * 4 });
        snap.history = h.map((a) => jobOfAd(a, 'history')).filter((j): j is JobView => j !== undefined);
        snap.historyIds = missing;
      } catch (e) {
        snap.errors.push({ source: 'history', message: msg(e) });
      }
    } else {
      snap.history = [];
      snap.historyIds = [];
    }
  }
  return snap;
}
