/**
 * Carries out one kill: lookup (queue, then history), Terminating, condor_rm, a bounded wait for the
 * job to leave that follows its event log (condor_wait) instead of polling the schedd, then the final
 * status unless the job's own hooks already wrote one. Every step logs; nothing throws past here
 * except bugs: kill_run's caller (the DB) only sees the parent's exit 0.
 */
import type { RunId } from '../cli/ids.js';
import { toSwampError, type SwampError } from '../errors/index.js';
import {
  advertise,
  isExactly,
  LOOKUP_ATTRS,
  queryAds,
  queryHistory,
  queryQueue,
  remove,
  runTool,
  scheddArgs,
  waitForJobExit,
  type HTCondorContext,
} from '../htcondor/index.js';
import type { Logger } from '../log/index.js';
import { oweKillFinal, type OwedKillTarget } from './owe.js';
import { assessmentStatusAd, AssessmentStatus, ViewerState, ViewerStatus, viewerStatusAd, type StatusAd, type ViewerStateValue } from '../status/index.js';
import { isHard, jobEndOf, jobFromAd, JOB_REMOVED, killConstraint, mayWriteAssessmentFinal, mayWriteViewerFinal, removalMode, type JobEnd, type KilledJob } from './plan.js';

/** The DB side of a kill (assessment and metric runs only; viewers live in the collector). */
export interface KillDb {
  currentStatus(runId: string): Promise<string | undefined>;
  /** vm_password = '' , status (final: completion_date), complete_flag = 1 when the job is gone. */
  writeFinal(runId: string, status: string, jobGone: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface KillDeps {
  queueCtx: HTCondorContext;
  collectorCtx: HTCondorContext;
  db: () => Promise<KillDb>;
  log: Logger;
  /** Bound of the wait for the job to leave the queue (legacy: 180 s). */
  waitMs: number;
  /** When set, the final status is an owed change in this outbox (owe.ts), kept across a DB outage. */
  owed?: OwedKillTarget;
}

export type KillOutcome = 'terminated' | 'unknown' | 'failed' | 'not-found' | 'already-finished' | 'already-removing';

export interface KillReport {
  outcome: KillOutcome;
  jobs: Array<{ execrunuid: string; job: string; outcome: KillOutcome; final?: string; kept?: string }>;
}

const ATTRS = [...LOOKUP_ATTRS, 'SWAMP_projectid', 'SWAMP_userid'];

export async function killRun(target: RunId, hardFlag: string | undefined, deps: KillDeps): Promise<KillReport> {
  const { log } = deps;
  const constraint = killConstraint(target);
  const inQueue = (await queryQueue(deps.queueCtx, { constraint, attributes: ATTRS })).map(jobFromAd).filter((j): j is KilledJob => j !== undefined);
  if (inQueue.length === 0) {
    // Not in the queue: finished or removed already (history), or never an HTCondor job. Either way
    // there is nothing to remove and no status to change (the legacy changed none either).
    const past = await queryHistory(deps.queueCtx, { constraint, attributes: ATTRS, limit: 1 });
    const outcome: KillOutcome = past.length > 0 ? 'already-finished' : 'not-found';
    log.info(outcome === 'already-finished' ? 'job already left the queue; nothing to kill' : 'no HTCondor job for this id; nothing to kill', {
      runid: target.id,
      ...(past[0] ? { job: `${String(past[0].ClusterId)}.${String(past[0].ProcId)}`, jobStatus: past[0].JobStatus } : {}),
    });
    return { outcome, jobs: [] };
  }
  const hard = isHard(hardFlag);
  const report: KillReport = { outcome: 'terminated', jobs: [] };
  for (const job of inQueue) {
    const r = await killOne(job, hard, target, deps);
    report.jobs.push(r);
  }
  const order: KillOutcome[] = ['failed', 'unknown', 'already-removing', 'terminated'];
  report.outcome = order.find((o) => report.jobs.some((j) => j.outcome === o)) ?? 'terminated';
  return report;
}

function jobText(j: KilledJob): string {
  return `${j.cluster}.${j.proc}`;
}

function viewerOptions(job: KilledJob, target: RunId) {
  // legacy viewer options of kill_run: projectid as given, the viewer name, the instance uuid
  return {
    projectid: target.type === 'vrun' ? target.project : target.id,
    viewer: job.viewer,
    viewer_uuid: job.viewerInstance,
  };
}

function statusAd(job: KilledJob, target: RunId, text: string, viewerState: ViewerStateValue): StatusAd {
  if (job.kind === 'vrun') return viewerStatusAd(job.execrunuid, viewerState, text, viewerOptions(job, target));
  // legacy: vmhostname, user and project empty on kill statuses
  return assessmentStatusAd({ execrunuid: job.execrunuid, vmhostname: '', status: text, userUuid: '', projectId: '' });
}

async function publish(deps: KillDeps, ad: StatusAd): Promise<void> {
  try {
    await advertise(deps.collectorCtx, [ad]);
  } catch (e) {
    deps.log.warn('cannot advertise status', { runid: ad.Name, err: toSwampError(e) });
  }
}

async function killOne(job: KilledJob, hard: boolean, target: RunId, deps: KillDeps): Promise<KillReport['jobs'][number]> {
  const log = deps.log.child({ runid: job.execrunuid });
  const id = jobText(job);
  if (job.jobStatus === JOB_REMOVED) {
    // A removal is already under way (an earlier kill_run, or an admin's condor_rm). No Terminating
    // (statuses must not move backwards) and no second condor_rm; but the earlier worker may have
    // died, so wait for the job to leave like any kill and write the final status under the same
    // rules: two workers doing this write the same value.
    log.info('job already marked for removal; waiting for it to leave', { job: id });
    const gone = await waitGone(job, deps, log);
    const text = gone ? AssessmentStatus.Terminated : AssessmentStatus.TerminateStatusUnknown;
    const kept = await writeFinal(job, target, deps, text, ViewerState.Terminated, gone);
    return { execrunuid: job.execrunuid, job: id, outcome: 'already-removing', final: text, ...(kept !== undefined ? { kept } : {}) };
  }
  await publish(deps, statusAd(job, target, AssessmentStatus.Terminating, ViewerState.Terminating));
  const mode = removalMode(job, hard);
  let removeError: SwampError | undefined;
  try {
    const r = await remove(deps.queueCtx, { cluster: job.cluster, proc: job.proc }, { reason: `kill_run (${mode}) of ${job.execrunuid}` });
    log.info('condor_rm', { job: id, mode, outcome: r.outcome });
    if (mode === 'hard' && job.kind === 'vrun') {
      // a hard viewer kill does not wait for the viewer to save its database
      await runTool(deps.queueCtx, 'condor_rm', [...scheddArgs(deps.queueCtx), '-forcex', id], { okExitCodes: [0, 1] });
    }
  } catch (e) {
    removeError = toSwampError(e);
    log.error('condor_rm failed', { job: id, err: removeError });
  }

  if (removeError !== undefined) {
    await writeFinal(job, target, deps, AssessmentStatus.TerminateFailed, ViewerState.TerminateFailed, false);
    return { execrunuid: job.execrunuid, job: id, outcome: 'failed', final: AssessmentStatus.TerminateFailed };
  }

  const gone = await waitGone(job, deps, log);
  const text = gone ? AssessmentStatus.Terminated : AssessmentStatus.TerminateStatusUnknown;
  const kept = await writeFinal(job, target, deps, text, ViewerState.Terminated, gone);
  return {
    execrunuid: job.execrunuid,
    job: id,
    outcome: gone ? 'terminated' : 'unknown',
    final: text,
    ...(kept !== undefined ? { kept } : {}),
  };
}

/**
 * Bounded wait for the job to leave: condor_wait follows the job's own event log (no schedd poll);
 * then one condor_q confirms. Without a readable log, a few spaced condor_q calls (not one every 5 s).
 */
async function waitGone(job: KilledJob, deps: KillDeps, log: Logger): Promise<boolean> {
  const started = Date.now();
  const inQueue = async () =>
    (await queryQueue(deps.queueCtx, { jobs: [{ cluster: job.cluster, proc: job.proc }], attributes: ['JobStatus'] })).length > 0;
  // a spooled job's event log is in the remote schedd's spool, not here
  if (job.userLog !== undefined && deps.queueCtx.spool !== true) {
    try {
      const w = await waitForJobExit(deps.queueCtx, { log: job.userLog, job: { cluster: job.cluster, proc: job.proc }, timeoutMs: deps.waitMs });
      log.info('waited for the job to leave', { exited: w.exited, ms: Math.round(w.waitedMs) });
    } catch (e) {
      log.warn('condor_wait failed; checking the queue instead', { err: toSwampError(e) });
    }
    // the abort event is logged just before the schedd drops the job: give it a moment once
    if (!(await inQueue())) return true;
    await sleep(1000);
    return !(await inQueue());
  }
  for (const delay of [1000, 3000, 10_000, 30_000, 60_000, 90_000]) {
    if (Date.now() - started + delay > deps.waitMs) break;
    await sleep(delay);
    if (!(await inQueue())) return true;
  }
  return !(await inQueue());
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes the final status unless the job's own hooks wrote a final one meanwhile; returns what was kept. */
async function writeFinal(
  job: KilledJob,
  target: RunId,
  deps: KillDeps,
  text: string,
  viewerState: ViewerStateValue,
  jobGone: boolean,
): Promise<string | undefined> {
  const log = deps.log.child({ runid: job.execrunuid });
  // the owed path (owe.ts) decides by the ordering rules at delivery: no need to read the ad here
  const current = job.kind === 'vrun' || deps.owed === undefined ? await currentAd(deps, job.execrunuid) : undefined;
  if (job.kind === 'vrun') {
    const state = current === undefined ? undefined : Number(current.SWAMP_vmu_viewer_state);
    if (!mayWriteViewerFinal(state)) {
      log.info('viewer ad already final; not overwritten', { state, status: current?.SWAMP_vmu_viewer_status });
      return String(current?.SWAMP_vmu_viewer_status ?? state);
    }
    const viewerText = viewerState === ViewerState.TerminateFailed ? ViewerStatus.TerminateFailed : text;
    await publish(deps, statusAd(job, target, viewerText, viewerState));
    return undefined;
  }
  if (deps.owed !== undefined) {
    await oweKillFinal(deps.owed, job.execrunuid, text, statusAd(job, target, text, viewerState), { jobGone, removedByUs: jobGone }, log);
    return undefined;
  }
  let db: KillDb | undefined;
  try {
    db = await deps.db();
    const dbStatus = await db.currentStatus(job.execrunuid);
    const adStatus = typeof current?.SWAMP_vmu_assessment_status === 'string' ? current.SWAMP_vmu_assessment_status : undefined;
    const keep = (end: JobEnd) => !mayWriteAssessmentFinal(dbStatus, end) || !mayWriteAssessmentFinal(adStatus, end);
    // The history read costs a call, so only when a Finished status stands in the way.
    if (keep('unknown') && (!jobGone || keep(await jobEnd(deps, job)))) {
      log.info('run already has a final status; not overwritten', { dbStatus, adStatus });
      return dbStatus ?? adStatus;
    }
    await publish(deps, statusAd(job, target, text, viewerState));
    await db.writeFinal(job.execrunuid, text, jobGone);
    log.info('final status written', { status: text });
    return undefined;
  } catch (e) {
    log.error('cannot write the final status to the database', { status: text, err: toSwampError(e) });
    return undefined;
  } finally {
    await db?.close();
  }
}

/** How the job left the queue, from its history ad (one condor_history call). */
async function jobEnd(deps: KillDeps, job: KilledJob): Promise<JobEnd> {
  try {
    const h = await queryHistory(deps.queueCtx, { jobs: [{ cluster: job.cluster, proc: job.proc }], attributes: ['JobStatus'], limit: 1 });
    return jobEndOf(h[0]?.JobStatus);
  } catch (e) {
    deps.log.warn('cannot read the job history', { runid: job.execrunuid, err: toSwampError(e) });
    return 'unknown';
  }
}

async function currentAd(deps: KillDeps, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    const ads = await queryAds(deps.collectorCtx, { constraint: isExactly('Name', name) });
    return ads[0];
  } catch (e) {
    deps.log.warn('cannot read the current status ad', { runid: name, err: toSwampError(e) });
    return undefined;
  }
}
