/**
 * What one kill_run call means, decided without I/O: which jobs an id selects (by exact equality,
 * never a regexp), how hard to remove them, and which final status may still be written.
 */
import type { RunId } from '../cli/ids.js';
import { anyOf, isExactly, quoteInExpr } from '../htcondor/index.js';
import { ViewerState, type ViewerStateValue } from '../status/index.js';

export type JobKind = 'arun' | 'mrun' | 'vrun';

/**
 * The constraint selecting the jobs of an id, exactly:
 * - an assessment uuid: SWAMP_arun_execrunuid equals it;
 * - the same bare uuid may be a project uuid (the web kills a project's viewer that way): the viewer
 *   job's SWAMP_vrun_execrunuid starts with exactly `vrun_<uuid>_` (the uuid has a fixed length, so a
 *   prefix of fixed length compared with =?= is an exact match of the project part, not a pattern);
 * - `M-<uuid>`: SWAMP_mrun_execrunuid equals it;
 * - `vrun_<project>_<viewer>`: SWAMP_vrun_execrunuid equals it.
 */
export function killConstraint(target: RunId): string {
  switch (target.type) {
    case 'mrun':
      return isExactly('SWAMP_mrun_execrunuid', target.id);
    case 'vrun':
      return isExactly('SWAMP_vrun_execrunuid', target.id);
    case 'arun-or-project': {
      const prefix = `vrun_${target.id}_`;
      return anyOf(
        isExactly('SWAMP_arun_execrunuid', target.id),
        `(substr(SWAMP_vrun_execrunuid, 0, ${prefix.length}) =?= ${quoteInExpr(prefix)})`,
      );
    }
  }
}

export interface KilledJob {
  kind: JobKind;
  /** The SWAMP id carried by the job (the ad Name, the DB key). */
  execrunuid: string;
  cluster: number;
  proc: number;
  jobStatus: number;
  userLog: string | undefined;
  /** vrun only */
  viewer?: string;
  project?: string;
  viewerInstance?: string;
}

function str(ad: Record<string, unknown>, k: string): string | undefined {
  const v = ad[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function num(ad: Record<string, unknown>, k: string): number {
  const v = ad[k];
  return typeof v === 'number' ? v : Number(v);
}

/** A queue ad of a SWAMP job, as the kill needs it; undefined for an ad without a SWAMP id. */
export function jobFromAd(ad: Record<string, unknown>): KilledJob | undefined {
  const base = {
    cluster: num(ad, 'ClusterId'),
    proc: num(ad, 'ProcId'),
    jobStatus: num(ad, 'JobStatus'),
    userLog: str(ad, 'UserLog'),
  };
  const arun = str(ad, 'SWAMP_arun_execrunuid');
  if (arun !== undefined) return { kind: 'arun', execrunuid: arun, ...base };
  const mrun = str(ad, 'SWAMP_mrun_execrunuid');
  if (mrun !== undefined) return { kind: 'mrun', execrunuid: mrun, ...base };
  const vrun = str(ad, 'SWAMP_vrun_execrunuid');
  if (vrun !== undefined) {
    // vrun_<36-char project uuid>_<viewer>; the viewer is the rest (legacy: 3rd '_'-field)
    const m = /^vrun_([0-9A-Fa-f-]{36})_(.+)$/.exec(vrun);
    const instance = str(ad, 'SWAMP_viewerinstanceid');
    return {
      kind: 'vrun',
      execrunuid: vrun,
      ...base,
      ...(m ? { project: m[1] as string, viewer: m[2] as string } : {}),
      ...(instance !== undefined ? { viewerInstance: instance } : {}),
    };
  }
  return undefined;
}

/**
 * `--hard` as the web sends it ('1', '0', 'true', 'false', '', absent). Legacy: graceful iff absent
 * or matching /false/i; we also read '0' and '' as graceful (the web binds PARAM_BOOL, so false
 * arrives as '0' or ''), which is what the legacy comment meant (mirswamp/services perl/agents/vmu_killrun.pl).
 */
export function isHard(flag: string | undefined): boolean {
  if (flag === undefined) return false;
  const f = flag.trim().toLowerCase();
  return !(f === '' || f === '0' || f.includes('false') || f === 'no' || f === 'n');
}

/** Removal mode: assessments are always removed at once; viewers get their vacate time unless hard. */
export function removalMode(job: KilledJob, hard: boolean): 'graceful' | 'hard' {
  return job.kind === 'vrun' && !hard ? 'graceful' : 'hard';
}

/** JobStatus 3 = Removed (already marked), 4 = Completed. */
export const JOB_REMOVED = 3;
export const JOB_COMPLETED = 4;

/**
 * How the job left the queue, from its history ad: 3 = removed (by this kill or another), 4 =
 * completed on its own. 'unknown' when it is still there or its history could not be read.
 */
export type JobEnd = 'removed' | 'completed' | 'unknown';

export function jobEndOf(historyJobStatus: unknown): JobEnd {
  return historyJobStatus === JOB_REMOVED ? 'removed' : historyJobStatus === JOB_COMPLETED ? 'completed' : 'unknown';
}

/**
 * Whether kill_run may write its final assessment status over what is there now.
 * - A `Finished…` status that the job's own post hook wrote because the job completed while we
 *   waited is kept: the run really ended that way.
 * - But a removed job's post hook also runs (the starter runs PostCmd after killing the job) and
 *   writes `Finished with Errors`: when the job's history says it was removed, that status is the
 *   kill's consequence, and Terminated is the truth the user asked for. A successful Finished
 *   (results saved before the removal landed) is kept.
 * - `… - Will retry n times` is not final: the run would have gone on, the kill ends it.
 * - Queue-side statuses (SWAMP off - Queued, Submit Failed - BOG Queued) are stale once a job is
 *   in the queue, and earlier kill statuses may be replaced by the outcome of this one.
 */
export function mayWriteAssessmentFinal(currentStatus: string | undefined | null, end: JobEnd = 'unknown'): boolean {
  if (currentStatus === undefined || currentStatus === null) return true;
  if (!currentStatus.startsWith('Finished')) return true;
  if (currentStatus.includes('Will retry')) return true;
  // A run that really completed (Finished, Finished with Warnings) keeps its status even when the
  // removal landed after the post hook saved it.
  return end === 'removed' && currentStatus.startsWith('Finished with Errors');
}


/**
 * Whether kill_run may write TERMINATED over the viewer's current state: not over a final state the
 * viewer's own hooks wrote while leaving (SHUTDOWN −3 "Viewer shutdown completed", ERROR −5), which
 * the web treats exactly like TERMINATED (OK to launch) and which carries more truth.
 */
export function mayWriteViewerFinal(currentState: number | undefined): boolean {
  if (currentState === undefined || Number.isNaN(currentState)) return true;
  const own: readonly number[] = [ViewerState.Shutdown, ViewerState.Error];
  return !own.includes(currentState);
}

export const TERMINATING_VIEWER_STATE: ViewerStateValue = ViewerState.Terminating;
