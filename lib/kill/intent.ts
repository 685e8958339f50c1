/**
 * Carrying out a recorded kill intent (lib/outbox/kill-intent.ts) until it is done:
 *
 * 1. take the run's launch lock (waiting for a launch in progress to finish, bounded), so no launch
 *    submits between our look and our removal: the launcher checks the intent under the same lock
 *    before condor_submit;
 * 2. killRun (queue, then history; condor_rm; bounded wait; final status as owed changes);
 * 3. no job anywhere: the launch is cancelled (queued BOG, launch state and job dir removed) and the
 *    run ends `Terminated` unless it already has a terminal status;
 * 4. a failure of the schedd (condor_q/condor_rm unreachable) is retried with backoff until
 *    `deadline`; what is left pending is retried by the next drain pass.
 */
import type { RunId } from '../cli/ids.js';
import { toSwampError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { markKill, readKillIntent, type KillIntent } from '../outbox/kill-intent.js';
import type { Outbox } from '../outbox/store.js';
import { AssessmentStatus, assessmentStatusAd } from '../status/index.js';
import { tryLock, type RunLock } from '../submission/lock.js';
import { completeLaunch, readState, removeJobDir } from '../submission/queue.js';
import { killRun, type KillDeps, type KillReport } from './kill.js';
import { oweKillFinal, type OwedKillTarget } from './owe.js';

export interface IntentDeps extends KillDeps {
  owed: OwedKillTarget;
  runDir: string;
  /** How long to wait for a launch in progress to release the run's lock. */
  lockWaitMs: number;
}

export interface IntentOutcome {
  state: 'done' | 'pending';
  /** killRun's outcome of the last attempt, or 'cancelled' (a queued launch), 'failed' (schedd). */
  outcome: string;
  attempts: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function lockRun(runDir: string, id: string, waitMs: number): Promise<RunLock | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const l = tryLock(runDir, id);
    if (l !== undefined || Date.now() >= until) return l;
    await sleep(250);
  }
}

/** Launches of this run still queued in the run dir are cancelled (we hold the run's lock). */
function cancelQueuedLaunch(runDir: string, id: string, log: Logger): boolean {
  let state;
  try {
    state = readState(runDir, id);
  } catch {
    state = undefined;
  }
  completeLaunch(runDir, id);
  // A launch request the batch submitter has not taken yet stays: the submitter finds the kill,
  // cancels the launch (nothing submitted) and logs its outcome like any launch.
  if (state !== undefined) removeJobDir(runDir, state.jobDir);
  if (state !== undefined) log.info('queued launch cancelled by the kill', { jobDir: state.jobDir });
  return state !== undefined;
}

/** One attempt: done when the run has no job left and its final status is written or owed. */
async function attempt(intent: KillIntent, target: RunId, deps: IntentDeps): Promise<{ done: boolean; outcome: string; report?: KillReport }> {
  const id = target.id;
  const log = deps.log;
  const lock = target.type === 'vrun' ? undefined : await lockRun(deps.runDir, id, deps.lockWaitMs);
  if (target.type !== 'vrun' && lock === undefined) log.warn('a launch still holds the run lock; killing what HTCondor has (the launch checks the kill before it submits)');
  try {
    const report = await killRun(target, intent.hard, deps);
    if (report.outcome === 'not-found') {
      if (target.type === 'vrun') return { done: true, outcome: 'not-found', report };
      // No job in the queue nor in history: whatever launch was queued will never submit. An id the
      // DB does not know (a project uuid without a viewer) gets no status at all.
      if (lock !== undefined) cancelQueuedLaunch(deps.runDir, id, log);
      if ((await deps.owed.sink.currentStatus(id)) === undefined) return { done: lock !== undefined, outcome: 'not-found', report };
      const ad = assessmentStatusAd({ execrunuid: id, vmhostname: '', status: AssessmentStatus.Terminated, userUuid: '', projectId: '' });
      // never over a run that ended on its own (its history may have been rotated away)
      await oweKillFinal(deps.owed, id, AssessmentStatus.Terminated, ad, { jobGone: true, removedByUs: false }, log);
      return { done: lock !== undefined, outcome: 'cancelled', report };
    }
    const done = report.outcome === 'terminated' || report.outcome === 'already-finished' || (report.outcome === 'already-removing' && report.jobs.every((j) => j.final === AssessmentStatus.Terminated));
    return { done, outcome: report.outcome, report };
  } finally {
    lock?.release();
  }
}

/**
 * Carries out the recorded kill of `target`, retrying schedd failures with backoff until `deadline`
 * (epoch ms). Marks the intent done, or leaves it pending for the drain pass.
 */
export async function carryOutKill(target: RunId, deps: IntentDeps, deadline: number): Promise<IntentOutcome> {
  const outbox: Outbox = deps.owed.outbox;
  let delay = 1000;
  for (;;) {
    const intent = readKillIntent(outbox, target.id) ?? { version: 1 as const, kind: 'kill' as const, runId: target.id, state: 'pending' as const, created: new Date().toISOString(), attempts: 0 };
    let outcome = 'failed';
    let done = false;
    try {
      const r = await attempt(intent, target, deps);
      outcome = r.outcome;
      done = r.done;
    } catch (e) {
      deps.log.warn('kill attempt failed (schedd unreachable?); retrying', { err: toSwampError(e), attempts: intent.attempts + 1 });
    }
    try {
      markKill(outbox, intent, done ? 'done' : 'pending', outcome);
    } catch (e) {
      deps.log.error('cannot record the kill outcome in the outbox', { err: toSwampError(e) });
    }
    if (done) {
      return { state: 'done', outcome, attempts: intent.attempts + 1 };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      deps.log.warn('kill not carried out yet; left to the drain pass', { outcome, attempts: intent.attempts + 1 });
      return { state: 'pending', outcome, attempts: intent.attempts + 1 };
    }
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 30_000);
  }
}
