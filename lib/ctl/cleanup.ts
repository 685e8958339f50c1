/**
 * `swampctl cleanup`: what the cleanup timer runs (the drain keeps launching). Idempotent: a second
 * pass finds nothing left to do. HTCondor calls per pass: the snapshot's condor_q, condor_status and
 * (when DB-active runs have no job) condor_history, plus at most one condor_history for job dirs, one
 * condor_advertise for orphans' final statuses and one invalidation for stale ads.
 *
 *   job-dirs   <runDir>/{aswamp,mswamp,vswamp}_<UUID> whose job left the queue (history, by exact
 *              SWAMP_submit_jobdir), or with no job anywhere and older than cleanupJobDirDays; never
 *              a dir a launch in progress names, never one whose job is in the queue. Viewers' dirs
 *              too (the legacy removed them; their BOGs hold the CodeDX API key).
 *   results    <resultsFolder>/<id> older than cleanupResultsDays, or cleanupResultsPassedDays when its
 *              status.out says `PASS: all` (mirswamp/deployment maintenance/cleanworking.pl); never
 *              the dir of a run in progress.
 *   stale-ads  status ads whose job is gone, with a final status, not heard of for cleanupStaleAdHours.
 *   orphans    DB says in HTCondor, the job is gone: the final status from history (the collector's
 *              final status, `Terminated` for a removed job, else `Finished with Errors`), or
 *              `Finished with Errors` when neither queue nor history knows it; recorded once
 *              (complete_flag = 1), after cleanupOrphanMinutes without a DB change.
 *   logs       rotated log files (`x.log.1`, `x.log.2.gz`, `x.log-20260101`) older than logRetentionDays.
 */
import { readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { toSwampError } from '../errors/index.js';
import { advertise, anyAttrIsExactly, adString, invalidate, queryHistory } from '../htcondor/index.js';
import { setRunFlag, updateRunStatus, withDb } from '../db/index.js';
import { AssessmentStatus, assessmentStatusAd, type StatusAd } from '../status/index.js';
import { listQueue, readState } from '../submission/queue.js';
import { adIsFinal, reconcile, staleAds, type Picture, type Snapshot } from './model.js';
import type { CtlSettings } from './settings.js';
import type { Logger } from '../log/index.js';

export type Category = 'job-dirs' | 'results' | 'stale-ads' | 'orphans' | 'logs';
export const CATEGORIES: readonly Category[] = ['job-dirs', 'results', 'stale-ads', 'orphans', 'logs'];

export interface Item {
  name: string;
  reason: string;
  /** Orphans: the final status recorded. */
  status?: string;
  error?: string;
}

export interface CategoryReport {
  category: Category;
  /** Items acted on (or that would be, with --dry-run). */
  items: Item[];
  done: number;
  failed: number;
  /** Why the category was not looked at, when it was not. */
  skipped?: string;
}

export const JOB_DIR_RE = /^(aswamp|mswamp|vswamp)_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
export const ROTATED_LOG_RE = /\.log(\.\d+(\.gz)?|-\d{8}(\.gz)?|\.gz)$/;
/** Job dirs looked up in history per pass (keeps the constraint a sane size). */
export const JOB_DIRS_PER_PASS = 200;

export interface CleanupDeps {
  settings: CtlSettings;
  log: Logger;
  dryRun: boolean;
  /** Called per item acted on (progress on a terminal). */
  progress?: (category: Category, done: number, total: number) => void;
}

function ageSeconds(path: string, now: number): number | undefined {
  try {
    return now - statSync(path).mtimeMs / 1000;
  } catch {
    return undefined;
  }
}

function act(r: CategoryReport, item: Item, dryRun: boolean, fn: () => void, progress?: CleanupDeps['progress'], total = 0): void {
  r.items.push(item);
  if (!dryRun) {
    try {
      fn();
      r.done++;
    } catch (e) {
      item.error = toSwampError(e).message;
      r.failed++;
    }
  }
  progress?.(r.category, r.items.length, total);
}

async function jobDirs(d: CleanupDeps, snap: Snapshot, now: number): Promise<CategoryReport> {
  const r: CategoryReport = { category: 'job-dirs', items: [], done: 0, failed: 0 };
  if (snap.queue === undefined) return { ...r, skipped: 'schedd unreachable' };
  const runDir = d.settings.runDir;
  const busy = new Set<string>();
  for (const e of listQueue(runDir)) {
    if (!e.hasState) continue;
    try {
      const st = readState(runDir, e.id);
      if (st) busy.add(st.jobDir);
    } catch {
      /* unreadable launch state: its job dir is unknown, so nothing is removed blindly below but by age */
    }
  }
  const inQueue = new Set(snap.queue.map((j) => j.jobDir).filter((x): x is string => x !== undefined));
  const dirs = readdirSync(runDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && JOB_DIR_RE.test(e.name) && !busy.has(e.name) && !inQueue.has(e.name))
    .map((e) => e.name)
    .sort()
    .slice(0, JOB_DIRS_PER_PASS);
  if (dirs.length === 0) return r;
  const constraint = dirs.map((x) => `(${anyAttrIsExactly(['SWAMP_submit_jobdir'], x)})`).join(' || ');
  const ads = await queryHistory(d.settings.queueCtx, { constraint, attributes: ['SWAMP_submit_jobdir'], limit: dirs.length * 4 });
  const finished = new Set(ads.map((a) => adString(a, 'SWAMP_submit_jobdir')));
  for (const name of dirs) {
    const path = join(runDir, name);
    let reason: string | undefined;
    if (finished.has(name)) reason = 'job left the queue';
    else {
      const age = ageSeconds(path, now);
      if (age !== undefined && age > d.settings.cleanup.jobDirDays * 86400) reason = `no job in the queue or history, older than ${d.settings.cleanup.jobDirDays} d`;
    }
    if (reason === undefined) continue;
    act(r, { name, reason }, d.dryRun, () => rmSync(path, { recursive: true, force: true }), d.progress, dirs.length);
  }
  return r;
}

function results(d: CleanupDeps, pic: Picture | undefined, snap: Snapshot, now: number): CategoryReport {
  const r: CategoryReport = { category: 'results', items: [], done: 0, failed: 0 };
  if (pic === undefined || snap.dbRuns === undefined) return { ...r, skipped: 'the DB could not be read (runs in progress unknown)' };
  const active = new Set([...pic.runs.map((x) => x.id), ...snap.runDirQueue]);
  const root = d.settings.resultsFolder;
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (e) {
    return { ...r, skipped: `${root}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  const { resultsDays, resultsPassedDays } = d.settings.cleanup;
  for (const name of names) {
    if (active.has(name)) continue;
    const path = join(root, name);
    const age = ageSeconds(path, now);
    if (age === undefined) continue;
    let reason: string | undefined;
    if (age > resultsDays * 86400) reason = `older than ${resultsDays} d`;
    else if (age > resultsPassedDays * 86400 && passedAll(path)) reason = `passed (PASS: all), older than ${resultsPassedDays} d`;
    if (reason === undefined) continue;
    act(r, { name, reason }, d.dryRun, () => rmSync(path, { recursive: true, force: true }), d.progress, names.length);
  }
  return r;
}

function passedAll(dir: string): boolean {
  for (const p of [join(dir, 'status.out'), join(dir, 'out', 'status.out')]) {
    try {
      return /^PASS:\s*all/m.test(readFileSync(p, 'utf8'));
    } catch {
      /* try the next place */
    }
  }
  return false;
}

async function staleAdsCategory(d: CleanupDeps, snap: Snapshot): Promise<CategoryReport> {
  const r: CategoryReport = { category: 'stale-ads', items: [], done: 0, failed: 0 };
  if (snap.queue === undefined || snap.ads === undefined) return { ...r, skipped: snap.queue === undefined ? 'schedd unreachable' : 'collector unreachable' };
  const hours = d.settings.cleanup.staleAdHours;
  const stale = staleAds(snap, hours);
  for (const a of stale) r.items.push({ name: a.name, reason: `job gone, final status "${a.status}", not heard of for ${hours} h` });
  if (d.dryRun || stale.length === 0) return r;
  try {
    await invalidate(d.settings.collectorCtx, { names: stale.map((a) => a.name) });
    r.done = stale.length;
  } catch (e) {
    r.failed = stale.length;
    for (const i of r.items) i.error = toSwampError(e).message;
  }
  return r;
}

/** The final status an orphan gets (pure). */
export function orphanStatus(o: { historyJobStatus?: number; adStatus?: string; adFinal: boolean }): { status: string; reason: string } {
  if (o.historyJobStatus === undefined) return { status: AssessmentStatus.FinishedWithErrors, reason: 'no job in the queue or history' };
  if (o.adFinal && o.adStatus !== undefined) return { status: o.adStatus, reason: 'job left the queue; final status from the collector' };
  if (o.historyJobStatus === 3) return { status: AssessmentStatus.Terminated, reason: 'job was removed (history)' };
  return { status: AssessmentStatus.FinishedWithErrors, reason: 'job left the queue without a final status (history)' };
}

async function orphans(d: CleanupDeps, snap: Snapshot, pic: Picture | undefined, now: number): Promise<CategoryReport> {
  const r: CategoryReport = { category: 'orphans', items: [], done: 0, failed: 0 };
  if (pic === undefined || snap.queue === undefined || snap.historyIds === undefined) return { ...r, skipped: 'the DB, the schedd or history could not be read' };
  const grace = d.settings.cleanup.orphanMinutes * 60;
  const ads = new Map((snap.ads ?? []).map((a) => [a.name, a]));
  const history = new Map<string, number>();
  for (const j of snap.history ?? []) if (!history.has(j.id)) history.set(j.id, j.jobStatus);
  const list = pic.runs.filter((x) => x.state === 'orphan' && (x.kind === 'assessment' || x.kind === 'metric') && snap.historyIds?.includes(x.id) && now - (x.since ?? now) >= grace);
  if (list.length === 0) return r;
  const finalAds: StatusAd[] = [];
  await withDb(d.settings.db, async (db) => {
    for (const run of list) {
      const ad = ads.get(run.id);
      const h = history.get(run.id);
      const { status, reason } = orphanStatus({ ...(h !== undefined ? { historyJobStatus: h } : {}), ...(ad !== undefined ? { adStatus: ad.status } : {}), adFinal: ad !== undefined && adIsFinal(ad) });
      const item: Item = { name: run.id, reason, status };
      r.items.push(item);
      if (d.dryRun) continue;
      try {
        await updateRunStatus(db, run.id, status, { final: true });
        await setRunFlag(db, run.id, 'complete_flag', true);
        d.log.warn('orphan run recorded as final', { runid: run.id, status, reason, dbStatus: run.dbStatus });
        r.done++;
        if (ad?.status !== status) {
          finalAds.push(
            assessmentStatusAd({ execrunuid: run.id, vmhostname: ad?.vmhostname ?? (run.kind === 'metric' ? 'mswamp' : 'aswamp'), status, userUuid: run.user ?? ad?.user ?? '', projectId: run.project ?? ad?.project ?? '' }),
          );
        }
      } catch (e) {
        item.error = toSwampError(e).message;
        r.failed++;
      }
      d.progress?.('orphans', r.items.length, list.length);
    }
  });
  if (finalAds.length > 0) {
    // the web shows the collector's status over the DB's: the ad must say it too
    await advertise(d.settings.collectorCtx, finalAds).catch((e: unknown) => d.log.warn('cannot advertise orphans\' final statuses', { err: toSwampError(e) }));
  }
  return r;
}

function logs(d: CleanupDeps, now: number): CategoryReport {
  const r: CategoryReport = { category: 'logs', items: [], done: 0, failed: 0 };
  const days = d.settings.cleanup.logRetentionDays;
  let names: string[];
  try {
    names = readdirSync(d.settings.logDir).filter((n) => ROTATED_LOG_RE.test(n)).sort();
  } catch (e) {
    return { ...r, skipped: `${d.settings.logDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  for (const n of names) {
    const p = join(d.settings.logDir, n);
    const age = ageSeconds(p, now);
    if (age === undefined || age <= days * 86400) continue;
    act(r, { name: n, reason: `rotated, older than ${days} d` }, d.dryRun, () => unlinkSync(p), d.progress, names.length);
  }
  return r;
}

/** One pass over every category, from one snapshot. A category that throws is reported, not fatal. */
export async function cleanupPass(d: CleanupDeps, snap: Snapshot): Promise<CategoryReport[]> {
  const now = snap.now;
  const pic = snap.dbRuns === undefined ? undefined : reconcile(snap);
  const guard = async (category: Category, fn: () => Promise<CategoryReport> | CategoryReport): Promise<CategoryReport> => {
    try {
      return await fn();
    } catch (e) {
      d.log.error('cleanup category failed', { category, err: toSwampError(e) });
      return { category, items: [], done: 0, failed: 1, skipped: toSwampError(e).message };
    }
  };
  return [
    await guard('job-dirs', () => jobDirs(d, snap, now)),
    await guard('results', () => results(d, pic, snap, now)),
    await guard('stale-ads', () => staleAdsCategory(d, snap)),
    await guard('orphans', () => orphans(d, snap, pic, now)),
    await guard('logs', () => logs(d, now)),
  ];
}

/** `job-dirs: 3 removed` / `job-dirs: 3 would be removed` / `orphans: skipped (...)` (pure). */
export function summaryLine(r: CategoryReport, dryRun: boolean): string {
  const verb = r.category === 'orphans' ? 'recorded' : r.category === 'stale-ads' ? 'invalidated' : 'removed';
  if (r.skipped !== undefined && r.items.length === 0) return `${r.category}: skipped (${r.skipped})`;
  if (dryRun) return `${r.category}: ${r.items.length} would be ${verb}`;
  return `${r.category}: ${r.done} ${verb}${r.failed > 0 ? `, ${r.failed} failed` : ''}`;
}
