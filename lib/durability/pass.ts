/**
 * The durability part of every drain pass (`launchassessment --drain`, the timer), docs/durability.md:
 *
 * 1. owed changes in the outbox are delivered (results, final statuses, flags, collector ads);
 * 2. kill intents not yet carried out are tried once more (one attempt each; a schedd outage leaves
 *    them for the next pass); tombstones older than 14 days are pruned;
 * 3. after the launch queue is drained: one condor_q over SWAMP assessment/metric jobs finds
 *    - duplicate jobs of one run: the extras that have not started are removed (and logged);
 *    - held jobs: surfaced (DB and collector `Held by HTCondor: <reason>`), transient holds (file
 *      transfer, disk full) released up to `held_job_release_max` times (default 3), otherwise
 *      removed and the run ended `Finished with Errors` (the reason in the log and the ad's
 *      SWAMP_hold_reason). A held job of a run that has already ended is only removed.
 */
import { readdirSync } from 'node:fs';
import { parseRunId } from '../cli/ids.js';
import { tryLock } from '../submission/lock.js';
import { toSwampError } from '../errors/index.js';
import { adNumber, adString, queryQueue, remove, runTool, scheddArgs, type HTCondorContext } from '../htcondor/index.js';
import type { Logger } from '../log/index.js';
import { carryOutKill, type IntentDeps } from '../kill/intent.js';
import { replayOutbox, type OutboxSink, type ReplayReport } from '../outbox/deliver.js';
import { pendingKills, pruneKillTombstones } from '../outbox/kill-intent.js';
import { isTerminalStatus } from '../outbox/rules.js';
import type { Outbox } from '../outbox/store.js';
import { AssessmentStatus, assessmentStatusAd } from '../status/index.js';
import { duplicatesToRemove, heldStatus, holdAction, isHeldForPass, type QueuedJob } from './jobs-policy.js';

export const DEFAULT_HELD_RELEASE_MAX = 3;

export interface PassDeps {
  outbox: Outbox;
  sink: OutboxSink;
  queueCtx: HTCondorContext;
  log: Logger;
  /** For kill intents; undefined = kills are left to their workers. */
  kill?: IntentDeps;
  maxHoldReleases: number;
  /** The run dir: stale lock files of dead workers are removed there. */
  runDir?: string;
}

/**
 * Lock files of dead workers for runs no longer queued (the lock is broken only when a worker
 * needs the run otherwise): taken and released, which breaks them exactly when stale (lock.ts).
 */
export function pruneStaleLocks(runDir: string, log: Logger): number {
  let n = 0;
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return 0;
  }
  const queued = new Set(names.filter((x) => /\.(bog|launch)$/.test(x)).map((x) => x.replace(/\.(bog|launch)$/, '')));
  for (const name of names) {
    const m = /^(.+)\.lock$/.exec(name);
    if (!m || queued.has(m[1] as string)) continue;
    try {
      const l = tryLock(runDir, m[1] as string);
      if (l !== undefined) {
        l.release();
        n++;
      }
    } catch {
      /* unreadable: left */
    }
  }
  if (n > 0) log.info('stale lock files of dead workers removed', { count: n });
  return n;
}

export interface OwedPassReport {
  owed: ReplayReport;
  kills: Array<{ runId: string; state: string; outcome: string }>;
}

/** Steps 1-2: before the launch queue. Failures are logged, never fatal for the pass. */
export async function owedPass(d: PassDeps): Promise<OwedPassReport> {
  const owed = await replayOutbox(d.outbox, d.sink, d.log);
  if (owed.delivered + owed.skipped + owed.dropped + owed.pending > 0) d.log.info('outbox replayed', { ...owed, droppedFiles: undefined });
  const kills: OwedPassReport['kills'] = [];
  if (d.kill !== undefined) {
    for (const k of pendingKills(d.outbox)) {
      let target;
      try {
        target = parseRunId(k.runId);
      } catch {
        continue;
      }
      const log = d.log.child({ runid: k.runId });
      const r = await carryOutKill(target, { ...d.kill, log }, Date.now());
      kills.push({ runId: k.runId, state: r.state, outcome: r.outcome });
      log.info('pending kill retried by the drain pass', { state: r.state, outcome: r.outcome });
    }
  }
  pruneKillTombstones(d.outbox);
  if (d.runDir !== undefined) pruneStaleLocks(d.runDir, d.log);
  return { owed, kills };
}

const JOB_ATTRS = ['ClusterId', 'ProcId', 'JobStatus', 'NumJobStarts', 'NumHolds', 'HoldReason', 'HoldReasonCode', 'SWAMP_arun_execrunuid', 'SWAMP_mrun_execrunuid', 'SWAMP_userid', 'SWAMP_projectid'];

export async function swampJobs(ctx: HTCondorContext): Promise<QueuedJob[]> {
  const ads = await queryQueue(ctx, { constraint: '!isUndefined(SWAMP_arun_execrunuid) || !isUndefined(SWAMP_mrun_execrunuid)', attributes: JOB_ATTRS });
  const out: QueuedJob[] = [];
  for (const ad of ads) {
    const id = adString(ad, 'SWAMP_arun_execrunuid') ?? adString(ad, 'SWAMP_mrun_execrunuid');
    const cluster = adNumber(ad, 'ClusterId');
    if (id === undefined || cluster === undefined) continue;
    out.push({
      id,
      cluster,
      proc: adNumber(ad, 'ProcId') ?? 0,
      jobStatus: adNumber(ad, 'JobStatus') ?? 0,
      numJobStarts: adNumber(ad, 'NumJobStarts') ?? 0,
      numHolds: adNumber(ad, 'NumHolds') ?? 0,
      holdReason: adString(ad, 'HoldReason') ?? '',
      holdReasonCode: adNumber(ad, 'HoldReasonCode'),
      userid: adString(ad, 'SWAMP_userid') ?? '',
      projectid: adString(ad, 'SWAMP_projectid') ?? '',
    });
  }
  return out;
}

export interface QueuePassReport {
  duplicatesRemoved: string[];
  held: Array<{ runId: string; job: string; action: string; reason: string }>;
}

/** Step 3: after the launch queue. One condor_q; a removal or release per job that needs one. */
export async function queuePass(d: PassDeps): Promise<QueuePassReport> {
  const report: QueuePassReport = { duplicatesRemoved: [], held: [] };
  const jobs = await swampJobs(d.queueCtx);
  const { remove: extras, runningExtras } = duplicatesToRemove(jobs);
  // Only runs this DB knows are ours to act on (a pool may be shared by several SWAMP instances).
  const known = new Map<string, boolean>();
  const isOurs = async (id: string): Promise<boolean> => {
    if (!known.has(id)) known.set(id, (await d.sink.currentStatus(id).catch(() => undefined)) !== undefined);
    return known.get(id) === true;
  };
  for (const j of extras) {
    const job = `${j.cluster}.${j.proc}`;
    if (!(await isOurs(j.id))) continue;
    try {
      await remove(d.queueCtx, { cluster: j.cluster, proc: j.proc }, { reason: `duplicate job of SWAMP run ${j.id}` });
      report.duplicatesRemoved.push(job);
      d.log.error('duplicate job of a run removed before it started', { runid: j.id, job });
    } catch (e) {
      d.log.error('cannot remove a duplicate job', { runid: j.id, job, err: toSwampError(e) });
    }
  }
  for (const j of runningExtras) d.log.error('a second job of this run has already started; left alone', { runid: j.id, job: `${j.cluster}.${j.proc}` });

  for (const j of jobs.filter(isHeldForPass)) {
    const job = `${j.cluster}.${j.proc}`;
    const log = d.log.child({ runid: j.id });
    let current: string | undefined;
    try {
      current = await d.sink.currentStatus(j.id);
    } catch (e) {
      log.warn('DB unreachable; held job left for the next pass', { job, err: toSwampError(e) });
      continue;
    }
    if (current === undefined) continue; // not a run of this DB
    const ended = isTerminalStatus(current);
    const action = ended ? 'remove' : holdAction(j, d.maxHoldReleases);
    report.held.push({ runId: j.id, job, action, reason: j.holdReason });
    log.warn('held job', { job, reason: j.holdReason, code: j.holdReasonCode, numHolds: j.numHolds, action, dbStatus: current });
    const ad = (status: string): Record<string, string> => ({
      ...assessmentStatusAd({ execrunuid: j.id, vmhostname: '', status, userUuid: j.userid, projectId: j.projectid }),
      SWAMP_hold_reason: j.holdReason.slice(0, 500),
    });
    try {
      if (action === 'release') {
        d.outbox.put('23-status-held', { kind: 'status', runId: j.id, status: heldStatus(j.holdReason), final: false });
        d.outbox.put('43-ad-held', { kind: 'ad', runId: j.id, ad: ad(heldStatus(j.holdReason)) });
        await replayOutbox(d.outbox, d.sink, log, { runId: j.id });
        await runTool(d.queueCtx, 'condor_release', [...scheddArgs(d.queueCtx), job]);
        continue;
      }
      await remove(d.queueCtx, { cluster: j.cluster, proc: j.proc }, { reason: `held: ${j.holdReason}`.slice(0, 200) });
      if (!ended) {
        d.outbox.put('23-status-held', { kind: 'status', runId: j.id, status: AssessmentStatus.FinishedWithErrors, final: true });
        d.outbox.put('33-flags-held', { kind: 'flags', runId: j.id, complete: true, launchOff: true });
        d.outbox.put('43-ad-held', { kind: 'ad', runId: j.id, ad: ad(AssessmentStatus.FinishedWithErrors) });
        await replayOutbox(d.outbox, d.sink, log, { runId: j.id });
      }
    } catch (e) {
      log.error('cannot handle the held job; next pass', { job, err: toSwampError(e) });
    }
  }
  return report;
}
