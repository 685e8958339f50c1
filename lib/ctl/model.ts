/**
 * The one picture swampctl draws from its three sources, pure: DB rows, HTCondor jobs (queue and,
 * where needed, history) and the status ads of the collector, joined by SWAMP run id. `status`,
 * `runs` and `cleanup` all read this; nothing here does I/O.
 */
import { ASSESSMENT_FINAL_STATUSES, ViewerState } from '../status/index.js';

export type RunKind = 'assessment' | 'metric' | 'viewer';

export function runKindOf(id: string): RunKind {
  if (id.startsWith('vrun_')) return 'viewer';
  if (id.startsWith('M-')) return 'metric';
  return 'assessment';
}

/** A DB row of an assessment or metric run (execution_record / metric_run). */
export interface DbRun {
  id: string;
  kind: 'assessment' | 'metric';
  status: string;
  launchFlag: boolean;
  submitted: boolean;
  complete: boolean;
  user: string | null;
  project: string | null;
  runDate: string | null;
  completionDate: string | null;
  /** Last change of the row (trigger-maintained), 'YYYY-MM-DD HH:MM:SS'. */
  updated: string | null;
}

export interface JobView {
  id: string;
  kind: RunKind;
  cluster: number;
  proc: number;
  /** 1 idle, 2 running, 3 removed, 4 completed, 5 held, 6 transferring, 7 suspended. */
  jobStatus: number;
  source: 'queue' | 'history';
  owner?: string;
  user?: string;
  project?: string;
  jobDir?: string;
  userLog?: string;
  iwd?: string;
  /** Epoch seconds. */
  enteredCurrentStatus?: number;
  qDate?: number;
  numJobStarts?: number;
  holdReason?: string;
  removeReason?: string;
  exitCode?: number;
  completionDate?: number;
}

export interface AdView {
  name: string;
  kind: 'assessment' | 'viewer';
  status: string;
  /** Viewer ads: SWAMP_vmu_viewer_state (a number advertised as a string). */
  viewerState?: number;
  viewerName?: string;
  user?: string;
  project?: string;
  vmhostname?: string;
  /** Epoch seconds the collector last heard the ad. */
  lastHeard?: number;
}

export type RunState = 'waiting' | 'queued' | 'running' | 'held' | 'finishing' | 'orphan' | 'stuck';
export const RUN_STATES: readonly RunState[] = ['waiting', 'queued', 'running', 'held', 'finishing', 'orphan', 'stuck'];

export interface RunView {
  id: string;
  kind: RunKind;
  state: RunState;
  dbStatus?: string;
  adStatus?: string;
  user?: string;
  project?: string;
  cluster?: number;
  jobStatus?: number;
  /** Epoch seconds the run entered its state (job status change, or the DB row's last change). */
  since?: number;
  holdReason?: string;
}

export type InconsistencyKind =
  | 'db-active-job-ended' // DB says in HTCondor, the job is only in history
  | 'db-active-no-job' // DB says in HTCondor, no job in queue or history
  | 'db-launched-no-job' // launch_flag cleared, never submitted, nothing queued in the run dir
  | 'job-no-db-row' // a job whose run id the DB does not know
  | 'job-db-complete' // a job still queued/running/held while the DB says the run is complete
  | 'duplicate-jobs' // more than one job in the queue for one run id
  | 'ad-no-job'; // a status ad in progress (not final) with no job

export interface Inconsistency {
  kind: InconsistencyKind;
  id: string;
  detail: string;
}

export interface Snapshot {
  /** Epoch seconds the snapshot was taken. */
  now: number;
  /** Active DB runs (complete_flag = 0); undefined when the DB could not be read. */
  dbRuns?: DbRun[];
  /** Ids of jobs in the queue that have no active DB row, with what the DB has for them. */
  dbOthers?: Map<string, 'complete' | 'absent'>;
  /** Jobs in the queue; undefined when the schedd could not be read. */
  queue?: JobView[];
  /** History of DB-active runs missing from the queue (one condor_history call). */
  history?: JobView[];
  /** The run ids that history was searched for (at most HISTORY_IDS per snapshot). */
  historyIds?: string[];
  /** SWAMP status ads; undefined when the collector could not be read. */
  ads?: AdView[];
  /** Run ids with a BOG or launch state in the run directory (the launcher's on-disk queue). */
  runDirQueue: string[];
  errors: { source: 'db' | 'schedd' | 'history' | 'collector' | 'rundir'; message: string }[];
}

export function isFinalAssessmentStatus(s: string): boolean {
  return ASSESSMENT_FINAL_STATUSES.includes(s);
}

const VIEWER_FINAL_STATES: readonly number[] = [ViewerState.NoRecord, ViewerState.Shutdown, ViewerState.Error, ViewerState.Terminated, ViewerState.TerminateFailed];

/** An ad whose run is over: a final assessment status, or a viewer state that is not live or in progress. */
export function adIsFinal(ad: AdView): boolean {
  if (ad.kind === 'assessment') return isFinalAssessmentStatus(ad.status);
  return ad.viewerState !== undefined && VIEWER_FINAL_STATES.includes(ad.viewerState);
}

export function stateOfJob(jobStatus: number): RunState {
  switch (jobStatus) {
    case 1:
      return 'queued';
    case 2:
    case 6:
      return 'running';
    case 5:
    case 7:
      return 'held';
    default:
      return 'finishing'; // 3 removed / 4 completed: still in the queue, hooks or removal under way
  }
}

/** 'YYYY-MM-DD HH:MM:SS' (DB, UTC) -> epoch seconds. */
export function dbTime(s: string | null | undefined): number | undefined {
  if (s === null || s === undefined || s === '') return undefined;
  const t = Date.parse(`${s.replace(' ', 'T')}Z`);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

export interface Picture {
  runs: RunView[];
  inconsistencies: Inconsistency[];
  /** Viewers whose ad says ready and whose job runs, by project. */
  viewersUp: { project: string; viewers: string[] }[];
  counts: Record<RunState, number>;
}

function put<T>(m: Map<string, T[]>, k: string, v: T): void {
  const a = m.get(k);
  if (a === undefined) m.set(k, [v]);
  else a.push(v);
}

/** Joins the three sources. Runs sorted by state then id; inconsistencies by kind then id. */
export function reconcile(s: Snapshot): Picture {
  const jobsById = new Map<string, JobView[]>();
  for (const j of s.queue ?? []) put(jobsById, j.id, j);
  const historyById = new Map<string, JobView[]>();
  for (const j of s.history ?? []) put(historyById, j.id, j);
  const adsByName = new Map<string, AdView>();
  for (const a of s.ads ?? []) adsByName.set(a.name, a);
  const onDisk = new Set(s.runDirQueue);
  const runs: RunView[] = [];
  const problems: Inconsistency[] = [];
  const dbIds = new Set<string>();

  for (const r of s.dbRuns ?? []) {
    dbIds.add(r.id);
    const jobs = jobsById.get(r.id) ?? [];
    const ad = adsByName.get(r.id);
    const base: RunView = { id: r.id, kind: r.kind, state: 'waiting', dbStatus: r.status };
    if (ad !== undefined) base.adStatus = ad.status;
    if (r.user !== null) base.user = r.user;
    if (r.project !== null) base.project = r.project;
    const job = jobs[0];
    if (jobs.length > 1) problems.push({ kind: 'duplicate-jobs', id: r.id, detail: `${jobs.length} jobs: ${jobs.map((j) => `${j.cluster}.${j.proc}`).join(', ')}` });
    if (job !== undefined) {
      runs.push(withJob(base, job));
      continue;
    }
    const since = dbTime(r.updated) ?? dbTime(r.runDate);
    if (since !== undefined) base.since = since;
    if (r.launchFlag || onDisk.has(r.id)) {
      runs.push(base);
      continue;
    }
    if (s.queue === undefined) continue; // cannot tell without the queue
    if (r.submitted) {
      const h = historyById.get(r.id)?.[0];
      base.state = 'orphan';
      if (h !== undefined) {
        base.cluster = h.cluster;
        base.jobStatus = h.jobStatus;
        problems.push({ kind: 'db-active-job-ended', id: r.id, detail: `DB status "${r.status}", job ${h.cluster}.${h.proc} left the queue (${h.jobStatus === 3 ? 'removed' : 'completed'})` });
      } else if (s.historyIds?.includes(r.id) === true) {
        problems.push({ kind: 'db-active-no-job', id: r.id, detail: `DB status "${r.status}", no job in the queue or history` });
      }
      runs.push(base);
      continue;
    }
    base.state = 'stuck';
    problems.push({ kind: 'db-launched-no-job', id: r.id, detail: `DB status "${r.status}": launched, not submitted, nothing queued in the run directory` });
    runs.push(base);
  }

  for (const [id, jobs] of jobsById) {
    if (dbIds.has(id)) continue;
    const job = jobs[0] as JobView;
    const ad = adsByName.get(id);
    const base: RunView = { id, kind: job.kind, state: 'waiting' };
    if (ad !== undefined) base.adStatus = ad.status;
    if (job.user !== undefined) base.user = job.user;
    if (job.project !== undefined) base.project = job.project;
    runs.push(withJob(base, job));
    if (jobs.length > 1) problems.push({ kind: 'duplicate-jobs', id, detail: `${jobs.length} jobs: ${jobs.map((j) => `${j.cluster}.${j.proc}`).join(', ')}` });
    if (job.kind === 'viewer' || s.dbRuns === undefined) continue; // viewers have no run row
    const other = s.dbOthers?.get(id);
    if (other === 'complete' && [1, 2, 5].includes(job.jobStatus)) {
      problems.push({ kind: 'job-db-complete', id, detail: `job ${job.cluster}.${job.proc} is ${stateOfJob(job.jobStatus)}, the DB says the run is complete` });
    } else if (other === 'absent') {
      problems.push({ kind: 'job-no-db-row', id, detail: `job ${job.cluster}.${job.proc} (${stateOfJob(job.jobStatus)}) has no DB row` });
    }
  }

  if (s.queue !== undefined) {
    for (const ad of s.ads ?? []) {
      if (jobsById.has(ad.name) || adIsFinal(ad)) continue;
      // a DB-waiting run may carry an early ad ("Creating HTCondor job") before its job exists
      if (onDisk.has(ad.name)) continue;
      problems.push({ kind: 'ad-no-job', id: ad.name, detail: `status ad "${ad.status}" but no job in the queue` });
    }
  }

  const viewers = new Map<string, string[]>();
  for (const ad of s.ads ?? []) {
    if (ad.kind !== 'viewer' || ad.viewerState !== ViewerState.Ready) continue;
    const running = (jobsById.get(ad.name) ?? []).some((j) => j.jobStatus === 2);
    if (!running) continue;
    const project = ad.project ?? ad.name.slice(5, 41);
    put(viewers, project, ad.viewerName ?? ad.name.slice(42));
  }
  const counts = Object.fromEntries(RUN_STATES.map((st) => [st, 0])) as Record<RunState, number>;
  for (const r of runs) counts[r.state]++;
  const order = (st: RunState): number => RUN_STATES.indexOf(st);
  runs.sort((a, b) => order(a.state) - order(b.state) || a.id.localeCompare(b.id));
  problems.sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return {
    runs,
    inconsistencies: problems,
    viewersUp: [...viewers.entries()].map(([project, v]) => ({ project, viewers: v.sort() })).sort((a, b) => a.project.localeCompare(b.project)),
    counts,
  };
}

function withJob(base: RunView, job: JobView): RunView {
  const v: RunView = { ...base, state: stateOfJob(job.jobStatus), cluster: job.cluster, jobStatus: job.jobStatus };
  if (job.enteredCurrentStatus !== undefined) v.since = job.enteredCurrentStatus;
  if (job.holdReason !== undefined && job.jobStatus === 5) v.holdReason = job.holdReason;
  if (v.user === undefined && job.user !== undefined) v.user = job.user;
  if (v.project === undefined && job.project !== undefined) v.project = job.project;
  return v;
}

/** Status ads a cleanup pass may invalidate: no job, final, not heard of for `hours`. */
export function staleAds(s: Snapshot, hours: number): AdView[] {
  if (s.queue === undefined || s.ads === undefined) return [];
  const inQueue = new Set(s.queue.map((j) => j.id));
  return s.ads.filter((a) => !inQueue.has(a.name) && adIsFinal(a) && a.lastHeard !== undefined && s.now - a.lastHeard >= hours * 3600);
}
