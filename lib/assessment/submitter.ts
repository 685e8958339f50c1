/**
 * The batch submitter (docs/launchassessment.md "Batch launch"): execute_execution_record only records
 * a launch request (`<runDir>/<id>.request`, fsync'ed) and makes sure one submitter runs; the submitter
 * launches everything requested, in batches, until nothing is left.
 *
 * One submitter at a time: `<runDir>/.submitter.lock` (lock.ts rules: a dead holder's lock is stale).
 * A request that arrives while a submitter runs touches `<runDir>/.submitter.more` instead of starting
 * a second one. No request is ever stranded: a submitter lists the requests again after it released
 * the lock, and takes the lock again when there are some (a requester that saw the lock held just
 * before the release is covered by that second look; one that saw it free started its own submitter,
 * and of two submitters only one gets the lock).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toSwampError } from '../errors/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { collectGarbage } from '../proc/gc.js';
import { lockHeld, tryLockFile } from '../submission/lock.js';
import { listQueue, listRequests, removeRequest } from '../submission/queue.js';
import { isSwampOn } from './gate.js';
import { parseLaunchId } from './ids.js';
import { drainHousekeeping } from './maintenance.js';
import { launchBatch, type BatchResult } from './batch-launch.js';
import type { DrainReport, LaunchDeps } from './launch.js';

export const SUBMITTER_LOCK = '.submitter.lock';
export const SUBMITTER_MORE = '.submitter.more';
/**
 * Runs per batch at most: a bigger backlog is done in several batches, so the submitter's memory
 * stays flat however long the queue (one batch's BOGs and submit texts are a few MB).
 */
export const BATCH_MAX = 500;
/**
 * A new batch starts at most this often while requests keep coming (a burst): the first batch starts
 * at once (a single launch waits for nothing), later ones collect what arrived meanwhile, so a burst
 * costs a bounded number of HTCondor calls per second however many runs it brings.
 */
export const BATCH_INTERVAL_MS = 1000;

/**
 * A submitter gives its lock back and takes it again (a new `since`) at least this often while a
 * long backlog keeps it busy: a holder's lock counts as stale after 15 minutes (lock.ts), and a
 * stale lock would let a second submitter start beside it (the native entry and the Node program
 * both judge it so). Between two batches, never inside one.
 */
export const LOCK_TERM_MS = 5 * 60_000;

/**
 * V8 limits of the detached submitter (its NODE_OPTIONS, which the single executable honours): a
 * small young generation and a bounded old space keep its memory at what one batch needs however
 * long the backlog. Measured over six batches of 500 runs: RSS 150 -> 216 MB without them (all
 * reclaimable: 14 MB live after each batch), flat at ~110 MB with 64 MB / 4 MB, at the same speed.
 * The old space is given twice that room: a batch of runs with large BOGs must never run out.
 */
export const SUBMITTER_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=4';

export function submitterLockPath(runDir: string): string {
  return join(runDir, SUBMITTER_LOCK);
}

/** True while a live submitter holds the lock. */
export function submitterRunning(runDir: string): boolean {
  return lockHeld(submitterLockPath(runDir));
}

/** Asks a running submitter for one more round (cheap: an empty file). */
export function signalSubmitter(runDir: string): void {
  try {
    writeFileSync(join(runDir, SUBMITTER_MORE), '', { mode: 0o644 });
  } catch {
    /* the submitter lists the requests again after its lock anyway */
  }
}

/** Valid run ids among the request files; a file that is not one is removed (never submitted). */
function requestedIds(runDir: string, log: Logger): string[] {
  const out: string[] = [];
  for (const name of listRequests(runDir)) {
    try {
      out.push(parseLaunchId(name).id);
    } catch {
      log.warn('ignoring a request file that is not a run id', { name: name.slice(0, 80) });
      removeRequest(runDir, name);
    }
  }
  return out;
}

/**
 * Launches the requested runs, BATCH_MAX at a time, oldest first. Each request is removed once its
 * launch attempt has ended (whatever the outcome: a failed one stays queued as a BOG or is relaunched
 * by the DB, as a one-run worker's would); a crash mid-batch leaves the requests, and the next
 * submitter or drain redoes them (the lookup adopts what was submitted).
 */
async function launchRequests(deps: LaunchDeps, onResult: (r: BatchResult[number]) => void, once = false, intervalMs = BATCH_INTERVAL_MS, until = Infinity): Promise<number> {
  const runDir = deps.settings.runDir;
  const log = deps.log ?? nullLogger;
  let n = 0;
  let last: number | undefined;
  for (;;) {
    rmSync(join(runDir, SUBMITTER_MORE), { force: true });
    let ids = requestedIds(runDir, log);
    // the term ends a lock only after a batch under it: every lock taken launches something
    if (ids.length === 0 || (last !== undefined && Date.now() >= until)) return n;
    if (last !== undefined && ids.length < BATCH_MAX) {
      const wait = last + intervalMs - Date.now();
      if (wait > 0) {
        await new Promise((r) => setTimeout(r, wait));
        ids = requestedIds(runDir, log);
      }
    }
    ids = ids.slice(0, BATCH_MAX);
    last = Date.now();
    const results = await launchBatch(ids, deps, 'launch');
    for (const r of results) {
      removeRequest(runDir, r.id);
      onResult(r);
    }
    n += results.length;
    // a long backlog costs what one batch costs (lib/proc/gc.ts)
    collectGarbage();
    const mem = process.memoryUsage();
    log.debug('batch done', { runs: results.length, rssMb: Math.round(mem.rss / 2 ** 20), heapUsedMb: Math.round(mem.heapUsed / 2 ** 20), heapTotalMb: Math.round(mem.heapTotal / 2 ** 20), externalMb: Math.round(mem.external / 2 ** 20) });
    if (once && ids.length < BATCH_MAX) return n;
  }
}

export interface SubmitterReport {
  /** false: another submitter had the lock (it does the work). */
  ran: boolean;
  runs: number;
}

/**
 * The submitter's life: take the lock, launch until no request is left (or the lock's term is over),
 * release, look once more and take the lock again while requests are left.
 */
export async function runSubmitter(deps: LaunchDeps, onResult: (r: BatchResult[number]) => void, opts: { intervalMs?: number; lockTermMs?: number } = {}): Promise<SubmitterReport> {
  const runDir = deps.settings.runDir;
  const log = deps.log ?? nullLogger;
  let runs = 0;
  let ran = false;
  for (;;) {
    const lock = tryLockFile(submitterLockPath(runDir));
    if (lock === undefined) return { ran, runs };
    ran = true;
    try {
      runs += await launchRequests(deps, onResult, false, opts.intervalMs, Date.now() + (opts.lockTermMs ?? LOCK_TERM_MS));
    } catch (e) {
      log.error('batch submitter failed; requests left for the next submitter or --drain', { err: toSwampError(e) });
      return { ran, runs };
    } finally {
      lock.release();
    }
    if (requestedIds(runDir, log).length === 0 && !existsSync(join(runDir, SUBMITTER_MORE))) return { ran, runs };
  }
}

/**
 * `--drain`: launch requests left by a submitter that died, then every run left in the run
 * directory (BOG / launch state), in batches, then housekeeping.
 */
export async function drain(deps: LaunchDeps): Promise<DrainReport> {
  const log = deps.log ?? nullLogger;
  if (!isSwampOn(deps.settings.swampState)) {
    log.info('SWAMP is off: queue not drained');
    return { results: [] };
  }
  const results: DrainReport['results'] = [];
  const runDir = deps.settings.runDir;
  await launchRequests(deps, (r) => results.push(r), true);
  const left: string[] = [];
  for (const entry of listQueue(runDir)) {
    try {
      // Only ids this program launches; anything else in the run dir is not ours to submit.
      left.push(parseLaunchId(entry.id).id);
    } catch {
      log.warn('ignoring a queue file that is not a run id', { name: entry.id });
    }
  }
  for (let i = 0; i < left.length; i += BATCH_MAX) results.push(...(await launchBatch(left.slice(i, i + BATCH_MAX), deps, 'drain')));
  // Housekeeping (legacy csa agent idle loop)
  await drainHousekeeping(runDir, deps.condor, deps.db, log);
  log.info('drain pass done', { count: results.length, outcomes: results.map((r) => r.outcome) });
  return { results };
}
