/**
 * What a pass decides about SWAMP jobs in the queue, pure (no I/O): duplicates of one run, and held
 * jobs (release a transient hold a bounded number of times, else end the run). The I/O is pass.ts.
 */

export interface QueuedJob {
  id: string;
  cluster: number;
  proc: number;
  /** 1 idle, 2 running, 3 removed, 4 completed, 5 held. */
  jobStatus: number;
  numJobStarts: number;
  numHolds: number;
  holdReason: string;
  holdReasonCode: number | undefined;
  userid: string;
  projectid: string;
}

/**
 * Several jobs carry one run id (a condor_submit that outlived its worker, a second launcher). The job
 * to keep: one that has started (it owns the run's scratch and statuses), else the oldest cluster.
 * To remove: every other job that has not started yet. Started extras are reported, not removed
 * (removing a running job would run its post hook and write a status over the kept job's).
 */
export function duplicatesToRemove(jobs: readonly QueuedJob[]): { remove: QueuedJob[]; runningExtras: QueuedJob[] } {
  const byId = new Map<string, QueuedJob[]>();
  for (const j of jobs) {
    if (j.jobStatus === 3 || j.jobStatus === 4) continue; // already leaving
    byId.set(j.id, [...(byId.get(j.id) ?? []), j]);
  }
  const remove: QueuedJob[] = [];
  const runningExtras: QueuedJob[] = [];
  for (const group of byId.values()) {
    if (group.length < 2) continue;
    const started = (j: QueuedJob): boolean => j.jobStatus === 2 || j.numJobStarts > 0;
    const sorted = [...group].sort((a, b) => Number(started(b)) - Number(started(a)) || a.cluster - b.cluster || a.proc - b.proc);
    for (const extra of sorted.slice(1)) (started(extra) ? runningExtras : remove).push(extra);
  }
  return { remove, runningExtras };
}

/** HTCondor hold reason codes of failures that may pass on their own (file transfer; see docs/durability.md). */
export const TRANSIENT_HOLD_CODES: readonly number[] = [12, 13];
const TRANSIENT_TEXT = /transfer|disk|space|quota|no such file or directory/i;

export function isTransientHold(j: Pick<QueuedJob, 'holdReason' | 'holdReasonCode'>): boolean {
  return (j.holdReasonCode !== undefined && TRANSIENT_HOLD_CODES.includes(j.holdReasonCode)) || TRANSIENT_TEXT.test(j.holdReason);
}

/**
 * HTCondor's own hold of a spooled job while condor_submit -spool sends its input to a remote schedd
 * (HoldReasonCode 16, "Spooling input data files"): the schedd releases it when the transfer ends.
 * Not a hold for the pass to act on; treating it as one removed freshly submitted jobs in a facility.
 */
export const SPOOLING_INPUT_HOLD_CODE = 16;

/** A job the pass should handle as held: held, and not merely waiting for its spooled input. */
export function isHeldForPass(j: Pick<QueuedJob, 'jobStatus' | 'holdReasonCode'>): boolean {
  return j.jobStatus === 5 && j.holdReasonCode !== SPOOLING_INPUT_HOLD_CODE;
}

export type HoldAction = 'release' | 'end';

/** Release a transient hold while the job was held at most `maxReleases` times; otherwise end it. */
export function holdAction(j: QueuedJob, maxReleases: number): HoldAction {
  return isTransientHold(j) && j.numHolds <= maxReleases ? 'release' : 'end';
}

/** The status shown while a job is held (DB status is VARCHAR(128)-sized in practice). */
export function heldStatus(reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  return `Held by HTCondor: ${oneLine}`.slice(0, 120);
}
