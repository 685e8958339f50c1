/**
 * The housekeeping the legacy csa agent did in its idle loop (every 2 s, forever; mirswamp/services perl/agents/vmu_csa_agent.pl, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm identifyPreemptedJobs),
 * done once per `--drain` pass instead, at O(1) HTCondor calls per pass:
 *
 * - job dirs whose job has left the queue (found in history by exact SWAMP_submit_jobdir) are removed;
 *   the legacy scanned the whole history (no -limit) each time (mirswamp/services perl/agents/vmu_csa_agent.pl, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm getRunDirHistory). Dirs of launches still in
 *   progress (a state file names them) are never touched;
 * - preempted assessment jobs (idle, started before, vacated) get the collector status
 *   `Preempted - Waiting in HTCondor Queue` and an empty `vm_password` (turns off the web's SSH
 *   button). Fixes: one preempted metric/viewer job no longer hides all others (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm identifyPreemptedJobs), and the ad's
 *   vmhostname is `aswamp` with the job's user and project, not the literal `arun` with empty fields.
 */
import { AssessmentStatus, assessmentStatusAd } from '../status/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { toSwampError } from '../errors/index.js';
import type { CondorOps } from '../submission/condor.js';
import type { DbOps } from './db-ops.js';
import { listJobDirs, listQueue, readState, removeJobDir } from '../submission/queue.js';

/** At most this many job dirs are looked up per pass (keeps the constraint a sane size). */
export const JOB_DIRS_PER_PASS = 200;

export async function cleanJobDirs(runDir: string, condor: CondorOps, log: Logger = nullLogger): Promise<string[]> {
  const busy = new Set<string>();
  for (const e of listQueue(runDir)) {
    if (!e.hasState) continue;
    try {
      const s = readState(runDir, e.id);
      if (s) busy.add(s.jobDir);
    } catch {
      /* unreadable state: its job dir stays */
    }
  }
  const dirs = listJobDirs(runDir).filter((d) => !busy.has(d)).slice(0, JOB_DIRS_PER_PASS);
  if (dirs.length === 0) return [];
  const done = await condor.finishedJobDirs(dirs);
  const removed: string[] = [];
  for (const d of dirs) {
    if (!done.has(d)) continue;
    removeJobDir(runDir, d);
    removed.push(d);
  }
  if (removed.length > 0) log.info('removed job dirs of finished jobs', { count: removed.length });
  return removed;
}

export async function markPreempted(condor: CondorOps, db: DbOps, log: Logger = nullLogger): Promise<string[]> {
  const jobs = await condor.preemptedJobs();
  for (const j of jobs) {
    const status = AssessmentStatus.PreemptedWaiting;
    try {
      await condor.advertise(assessmentStatusAd({ execrunuid: j.id, vmhostname: 'aswamp', status, userUuid: j.userid, projectId: j.projectid }));
    } catch (e) {
      log.warn('collector update failed', { execrunid: j.id, status, err: toSwampError(e) });
    }
    try {
      await db.setField(j.id, 'vm_password', '');
    } catch (e) {
      log.warn('cannot clear vm_password', { execrunid: j.id, err: toSwampError(e) });
    }
  }
  if (jobs.length > 0) log.info('preempted jobs marked', { count: jobs.length });
  return jobs.map((j) => j.id);
}

/** Both of the above, as each drain pass ends: failures are logged, never fatal for the drain. */
export async function drainHousekeeping(runDir: string, condor: CondorOps, db: DbOps, log: Logger): Promise<void> {
  try {
    await cleanJobDirs(runDir, condor, log);
  } catch (e) {
    log.warn('job dir cleanup failed', { err: toSwampError(e) });
  }
  try {
    await markPreempted(condor, db, log);
  } catch (e) {
    log.warn('preempted job scan failed', { err: toSwampError(e) });
  }
}
