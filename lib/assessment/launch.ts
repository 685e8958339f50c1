/**
 * The launch state machine: what calldorun + LaunchPad + csa agent did, in one detached worker, exactly
 * once per run id. Every step that matters is made durable before the next one acts:
 *
 *   lock(id)                                   one worker per run id (lock.ts)
 *   1. BOG computed from exec_run_view, written to <runDir>/<id>.bog                  [bog-written]
 *   2. exact lookup of the id in the queue, then history; a job found is adopted, never duplicated
 *   3. <id>.launch {step: submitting, jobDir}                                         [intent-written]
 *   4. ad "Creating HTCondor job"; job dir, submit file, bundle                       [job-created]
 *   5. condor_submit                                                                   [submitted]
 *   6. <id>.launch {step: submitted, clusterId}; ClusterId_<n>                        [state-submitted]
 *   7. DB submitted_to_condor_flag = 1, launch_flag = 0; ad + DB "Waiting in HTCondor Queue" [db-updated]
 *   8. remove <id>.launch, then <id>.bog; unlock
 *
 * A crash anywhere leaves the BOG (and possibly the state) behind. The next worker for that id (a DB
 * relaunch, or `--drain`) takes the lock and: with state `submitted` goes straight to 7; otherwise
 * repeats the lookup (2) - a job that reached the schedd is found there or in history and adopted - and
 * only submits when HTCondor has no job with that id. So a crash between "BOG written" and "DB updated"
 * never yields two jobs and never loses the run.
 *
 * SWAMP_LAUNCH_CRASH_AFTER=<step> (tests only) makes the worker SIGKILL itself right after that step.
 */
import { statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { isSwampError, toSwampError, type SwampError } from '../errors/index.js';
import { AssessmentStatus, assessmentStatusAd } from '../status/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import type { Bog } from '../bog/index.js';
import { BogError, LaunchCode, computeBog, type ViewRow } from './bog.js';
import { verifyBogChecksums } from './checksum.js';
import type { CondorOps, FoundJob } from '../submission/condor.js';
import type { DbOps } from './db-ops.js';
import { isSwampOn } from './gate.js';
import { jobDirName, jobType, launchKind, parseLaunchId } from './ids.js';
import { readImageCandidates } from '../submission/images.js';
import { tryLock } from '../submission/lock.js';
import { drainHousekeeping } from './maintenance.js';
import { choosePlatform, type ImageCandidates } from '../submission/platform.js';
import {
  completeLaunch,
  listQueue,
  markCluster,
  prepareJobDir,
  readQueuedBog,
  readState,
  removeJobDir,
  writeQueuedBog,
  writeState,
  type LaunchState,
} from '../submission/queue.js';
import type { LaunchSettings } from '../submission/settings.js';
import { assessmentSubmitFile } from './submit.js';
import { platformTemplate } from '../submission/template-file.js';
import { LOCAL_MACHINE_PROGRAM } from '../submission/sections.js';
import type { PlatformType } from '../submission/platform.js';
import { replayOutbox, type OutboxSink } from '../outbox/deliver.js';
import { readKillIntent } from '../outbox/kill-intent.js';
import { isTerminalStatus, mayReplaceStatus } from '../outbox/rules.js';
import type { Outbox } from '../outbox/store.js';

export const CRASH_ENV = 'SWAMP_LAUNCH_CRASH_AFTER';
export const CRASH_POINTS = ['bog-written', 'intent-written', 'job-created', 'submitted', 'state-submitted', 'db-updated'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface LaunchDeps {
  settings: LaunchSettings;
  condor: CondorOps;
  db: DbOps;
  log?: Logger;
  /** The outbox (docs/durability.md): kill intents, guarded status writes. Absent in unit fakes. */
  owed?: { outbox: Outbox; sink: OutboxSink };
  /** Called at each crash point (default: SIGKILL self when $SWAMP_LAUNCH_CRASH_AFTER names it). */
  checkpoint?: (point: CrashPoint) => void;
}

export type LaunchOutcome =
  | 'submitted' // a new job was submitted and recorded
  | 'adopted' // a job with this id already existed (queue or history); recorded, nothing submitted
  | 'busy' // another worker holds the lock
  | 'swamp-off' // SWAMPState is not on
  | 'aborted' // BOG or lookup failure: nothing submitted, the run stays queued (DB relaunch / drain)
  | 'submit-failed' // condor_submit failed: status recorded, BOG kept
  | 'obsolete' // drain: the DB no longer wants this run; queue entry discarded
  | 'pending' // submitted, but recording it failed (DB down): drain finishes it
  | 'cancelled'; // a kill was recorded for the run: nothing submitted, Terminated

export interface LaunchResult {
  outcome: LaunchOutcome;
  clusterId?: number;
  error?: SwampError;
}

export function crashCheckpoint(env: NodeJS.ProcessEnv = process.env): (p: CrashPoint) => void {
  const want = env[CRASH_ENV];
  return (p) => {
    if (want === p) process.kill(process.pid, 'SIGKILL');
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Computes the BOG of a run from the DB (legacy _computeBOG). Throws BogError / DbError. */
export async function computeRunBog(id: string, deps: LaunchDeps, row?: ViewRow, images?: () => Promise<ImageCandidates>): Promise<Bog> {
  const s = deps.settings;
  const r = row ?? (await deps.db.getExecRun(id));
  if (r === undefined) throw new BogError(LaunchCode.BOG_ERROR, `no exec_run_view row for ${id} (unknown run, or already complete)`, { id }, 'not-found');
  if (s.computeChecksums) await verifyBogChecksums(r);
  // a batch reads the image lists once (images), not once per run (`docker images` may run)
  const candidates = images !== undefined ? await images() : await readImageCandidates(s.imagesDir, s.dockerImagesFile, s.preferredType);
  return computeBog({
    execrunid: id,
    row: r,
    resultsFolder: s.resultsFolder,
    resultsFolderIsDir: isDir(s.resultsFolder),
    choosePlatform: (identifier) => choosePlatform(identifier, s.preferredType, candidates, `${s.binDir}/${LOCAL_MACHINE_PROGRAM}`),
  });
}

/** The run's submit file from its BOG and the launch settings (the per-run and the batch launch alike). */
export function runSubmitText(id: string, bog: Bog, jobDir: string, s: LaunchSettings): { text: string; platformType: PlatformType } {
  const platformType = (bog.platform_type ?? 'VM') as PlatformType;
  const text = assessmentSubmitFile({
    execrunid: id,
    platformType,
    platformImage: bog.platform_image ?? '',
    userid: bog.userid ?? '',
    projectid: bog.projectid ?? '',
    toolName: bog.toolname,
    jobDir,
    owner: s.owner,
    binDir: s.binDir,
    maxRetries: s.maxRetries,
    swampInABox: s.swampInABox,
    bridgeInterface: s.bridgeInterface,
    // a site's <etc>/vmu_htcondor_submit or docker_htcondor_submit; a bad one is refused here
    template: platformTemplate(platformType, s.etcDir, s.swampInABox),
    configPath: s.configPath,
  });
  return { text, platformType };
}

export class Launcher {
  readonly id: string;
  readonly d: LaunchDeps;
  readonly s: LaunchSettings;
  readonly log: Logger;
  readonly checkpoint: (p: CrashPoint) => void;
  user = '';
  project = '';

  constructor(id: string, deps: LaunchDeps) {
    this.id = id;
    this.d = deps;
    this.s = deps.settings;
    this.log = (deps.log ?? nullLogger).child({ execrunid: id });
    this.checkpoint = deps.checkpoint ?? crashCheckpoint();
  }

  /** Status ad; a collector failure is logged, never fatal (ads are soft state, re-sent later). */
  async ad(status: string, vmhostname: string = jobType(this.id)): Promise<void> {
    try {
      await this.d.condor.advertise(assessmentStatusAd({ execrunuid: this.id, vmhostname, status, userUuid: this.user, projectId: this.project }));
    } catch (e) {
      this.log.warn('collector update failed', { status, err: toSwampError(e) });
    }
  }

  async dbStatus(status: string, final: boolean): Promise<void> {
    try {
      await this.d.db.setStatus(this.id, status, final);
    } catch (e) {
      this.log.error('DB status update failed', { status, err: toSwampError(e) });
    }
  }

  setPeople(bog: Bog | undefined, state?: LaunchState): void {
    this.user = bog?.userid ?? state?.userid ?? '';
    this.project = bog?.projectid ?? state?.projectid ?? '';
  }

  /**
   * Step 7-8: the job exists; record it and leave the queue. `found` is what a lookup said about the
   * job (undefined right after our own submit: it is idle and has never started).
   */
  async record(clusterId: number | undefined, found: FoundJob | undefined, outcome: 'submitted' | 'adopted'): Promise<LaunchResult> {
    const db = this.d.db;
    try {
      await db.setFlag(this.id, 'submitted_to_condor_flag', true);
      await db.setFlag(this.id, 'launch_flag', false);
    } catch (e) {
      const err = toSwampError(e);
      // No "Waiting" ad here: by the time the DB is back the job may have finished (statuses only
      // move forward); the drain that records the launch asks HTCondor first.
      this.log.error('job exists but the DB could not be updated; kept in the queue for --drain', { clusterId, err });
      return { outcome: 'pending', ...(clusterId !== undefined ? { clusterId } : {}), error: err };
    }
    // Status only while the job is still waiting: an adopted job that already started has hook
    // statuses (Starting..., Finished) that must not be overwritten with an older one.
    const waiting = found === undefined || (found.source === 'queue' && found.jobStatus === 1 && (found.numJobStarts ?? 0) === 0);
    if (waiting) {
      await this.guardedAd(AssessmentStatus.WaitingInQueue);
      await this.dbStatus(AssessmentStatus.WaitingInQueue, false);
    }
    if (found?.source === 'history') await this.restoreFinal();
    this.checkpoint('db-updated');
    completeLaunch(this.s.runDir, this.id);
    this.log.info(outcome === 'submitted' ? 'job submitted' : 'job already in HTCondor: adopted, nothing submitted', {
      clusterId,
      source: found?.source,
      jobStatus: found?.jobStatus,
      status: waiting ? AssessmentStatus.WaitingInQueue : undefined,
    });
    return { outcome, ...(clusterId !== undefined ? { clusterId } : {}) };
  }

  async run(mode: 'launch' | 'drain'): Promise<LaunchResult> {
    const runDir = this.s.runDir;
    const id = this.id;
    let state = readState(runDir, id);
    let bog = readQueuedBog(runDir, id);
    this.setPeople(bog, state);

    if (state?.step === 'submitted' && state.clusterId !== undefined) {
      // Submitted by an earlier worker that did not get to record it. Ask HTCondor how the job is
      // doing, so a job that has started meanwhile keeps its hooks' status; if HTCondor does not
      // answer, record the flags only (never an outdated status).
      this.log.info('resuming a submitted launch', { clusterId: state.clusterId, jobDir: state.jobDir });
      let found: FoundJob;
      try {
        found = await this.d.condor.lookup(id);
      } catch {
        found = { source: 'history' };
      }
      return this.record(state.clusterId, found, 'submitted');
    }

    // 1. Exact lookup first, before the BOG (a run that already has a job - a recovery after a crash,
    // a DB relaunch of a finished run - is adopted, never given an "aborted" status or a second job).
    let found: FoundJob;
    try {
      found = await this.d.condor.lookup(id);
    } catch (e) {
      const err = toSwampError(e);
      this.log.error('HTCondor lookup failed; not submitting (BOG kept queued)', { err });
      // queue the run for --drain (metric runs have no DB relaunch) when the DB still wants it
      if (bog === undefined && mode === 'launch') {
        try {
          writeQueuedBog(runDir, id, await computeRunBog(id, this.d));
          this.checkpoint('bog-written');
        } catch (e2) {
          this.log.warn('cannot queue the BOG either', { err: toSwampError(e2) });
        }
      }
      await this.guardedAd(AssessmentStatus.SubmitAbortedUuidQueued, '');
      return { outcome: 'aborted', error: err };
    }
    if (found.source !== 'none') {
      if ((found.duplicates ?? 1) > 1) this.log.error('several jobs carry this run id', { count: found.duplicates });
      return this.record(found.clusterId, found, 'adopted');
    }
    // A kill recorded for the run cancels its launch (docs/durability.md).
    if (this.killed()) return this.cancelByKill(state);

    // 2. BOG: a launch recomputes it from the DB (the DB is the truth and may have changed since a
    // BOG was left behind); a drain keeps the queued one, but first asks whether the DB still wants the
    // run (after 15 attempts the DB gives up and completes it: a drain must not launch it then).
    let row: ViewRow | undefined;
    if (mode === 'drain') {
      try {
        row = await this.d.db.getExecRun(id);
      } catch (e) {
        this.log.warn('DB unreachable; queued run left for the next drain', { err: toSwampError(e) });
        return { outcome: 'aborted', error: toSwampError(e) };
      }
      if (row === undefined) return this.discardObsolete();
    }
    if (mode === 'launch' || bog === undefined) {
      try {
        bog = await computeRunBog(id, this.d, row);
      } catch (e) {
        const err = toSwampError(e);
        this.log.error('cannot compute the BOG; nothing submitted', { err, launchCode: err instanceof BogError ? err.code : LaunchCode.FATAL_ERROR });
        await this.guardedAd(AssessmentStatus.SubmitAbortedUuidQueued, '');
        return { outcome: 'aborted', error: err };
      }
      writeQueuedBog(runDir, id, bog);
      this.setPeople(bog, state);
      this.checkpoint('bog-written');
    }

    // 3. Intent.
    const jobDir = state?.jobDir ?? jobDirName(id, randomUUID());
    state = writeState(runDir, { execrunid: id, step: 'submitting', jobDir, userid: this.user, projectid: this.project });
    this.checkpoint('intent-written');

    // 4. Job dir.
    await this.ad(AssessmentStatus.CreatingJob);
    let prepared;
    try {
      const { text, platformType } = runSubmitText(id, bog, jobDir, this.s);
      prepared = await prepareJobDir(runDir, jobDir, id, bog, text, platformType === 'VM');
    } catch (e) {
      const err = toSwampError(e);
      this.log.error('cannot create the job directory; nothing submitted (BOG kept queued)', { jobDir, err });
      await this.ad(AssessmentStatus.FailedToSubmit);
      await this.dbStatus(AssessmentStatus.FailedToSubmit, false);
      return { outcome: 'submit-failed', error: err };
    }
    this.checkpoint('job-created');

    // 5. Submit, unless a kill arrived meanwhile (it is recorded before kill_run answers SUCCESS).
    if (this.killed()) return this.cancelByKill(state);
    let clusterId: number;
    try {
      clusterId = await this.d.condor.submitFile(prepared.dir, prepared.submitFile);
    } catch (e) {
      const err = toSwampError(e);
      this.log.error('condor_submit failed (BOG kept queued for a relaunch or --drain)', { jobDir, err });
      await this.ad(AssessmentStatus.FailedToSubmit);
      await this.dbStatus(AssessmentStatus.FailedToSubmit, false);
      return { outcome: 'submit-failed', error: err };
    }
    this.checkpoint('submitted');
    if (this.killed()) {
      // The kill was recorded while condor_submit ran: remove the job before it can start.
      this.log.warn('a kill arrived during condor_submit: removing the new job', { clusterId });
      try {
        await this.d.condor.removeJob?.(clusterId, 0);
        await this.d.db.setFlag(id, 'submitted_to_condor_flag', true).catch(() => undefined);
        // the job dir stays for cleanJobDirs (the schedd may still use it while the job leaves)
        return await this.cancelByKill(undefined);
      } catch (e) {
        this.log.error('cannot remove the killed job; the kill worker will', { clusterId, err: toSwampError(e) });
      }
    }

    // 6. Result, durably, before anyone else hears of it.
    writeState(runDir, { execrunid: id, step: 'submitted', jobDir, clusterId, userid: this.user, projectid: this.project });
    markCluster(runDir, jobDir, clusterId);
    this.checkpoint('state-submitted');

    // 7-8.
    return this.record(clusterId, undefined, 'submitted');
  }

  /** Drain found a queued run the DB no longer lists and HTCondor has no job for it: discard it. */
  discardObsolete(): LaunchResult {
    this.log.warn('queued run is no longer wanted by the DB (complete or deleted); discarded');
    // A job dir prepared for it was never submitted (the lookup says so): nothing else will remove it.
    const state = readState(this.s.runDir, this.id);
    completeLaunch(this.s.runDir, this.id);
    if (state !== undefined) removeJobDir(this.s.runDir, state.jobDir);
    return { outcome: 'obsolete' };
  }

  killed(): boolean {
    return this.d.owed !== undefined && readKillIntent(this.d.owed.outbox, this.id) !== undefined;
  }

  /** A kill was recorded for this run and HTCondor has no job: the launch never submits. */
  async cancelByKill(state: LaunchState | undefined): Promise<LaunchResult> {
    this.log.warn('a kill was recorded for this run: launch cancelled, nothing submitted');
    completeLaunch(this.s.runDir, this.id);
    if (state !== undefined) removeJobDir(this.s.runDir, state.jobDir);
    const owed = this.d.owed;
    if (owed !== undefined) {
      try {
        owed.outbox.put('22-status-launch', { kind: 'status', runId: this.id, status: AssessmentStatus.Terminated, final: true });
        owed.outbox.put('32-flags-launch', { kind: 'flags', runId: this.id, complete: true, launchOff: true });
        owed.outbox.put(
          '42-ad-launch',
          { kind: 'ad', runId: this.id, ad: assessmentStatusAd({ execrunuid: this.id, vmhostname: '', status: AssessmentStatus.Terminated, userUuid: this.user, projectId: this.project }) },
        );
        await replayOutbox(owed.outbox, owed.sink, this.log, { runId: this.id });
      } catch (e) {
        this.log.error('cannot record Terminated for the cancelled launch', { err: toSwampError(e) });
      }
    }
    return { outcome: 'cancelled' };
  }

  /** Status ad, but never over a terminal status in the collector (when the outbox sink can tell). */
  async guardedAd(status: string, vmhostname?: string): Promise<void> {
    const owed = this.d.owed;
    if (owed !== undefined) {
      try {
        const current = await owed.sink.currentAdStatus(this.id);
        if (!mayReplaceStatus(current, status)) {
          this.log.info('collector shows a terminal status; not replaced', { current, status });
          return;
        }
      } catch {
        /* collector unreadable: the ad below fails the same way, logged */
      }
    }
    await this.ad(status, vmhostname);
  }

  /**
   * A job adopted from history has ended. If a relaunch overwrote the DB status meanwhile (the
   * procedure writes SUBMITTING TO HTCONDOR before calling us), the terminal status the collector still
   * shows is put back, with complete_flag; launch_flag is already 0 (record).
   */
  async restoreFinal(): Promise<void> {
    const owed = this.d.owed;
    if (owed === undefined) return;
    try {
      const db = await owed.sink.currentStatus(this.id);
      if (db === undefined || isTerminalStatus(db)) return;
      const ad = await owed.sink.currentAdStatus(this.id);
      if (!isTerminalStatus(ad) || ad === undefined) return;
      this.log.warn('job ended but the DB status is not terminal: restored from the collector', { dbStatus: db, status: ad });
      owed.outbox.put('22-status-launch', { kind: 'status', runId: this.id, status: ad, final: true });
      owed.outbox.put('32-flags-launch', { kind: 'flags', runId: this.id, complete: true, launchOff: true });
      await replayOutbox(owed.outbox, owed.sink, this.log, { runId: this.id });
    } catch (e) {
      this.log.warn('cannot check the final status of the adopted run', { err: toSwampError(e) });
    }
  }
}

/** SWAMPState off (legacy calldorun step 5): collector + DB `SWAMP off - Queued` (final). */
export async function swampOff(id: string, deps: LaunchDeps): Promise<LaunchResult> {
  const log = (deps.log ?? nullLogger).child({ execrunid: id });
  const status = AssessmentStatus.SwampOffQueued;
  try {
    await deps.condor.advertise(assessmentStatusAd({ execrunuid: id, vmhostname: '', status, userUuid: '', projectId: '' }));
  } catch (e) {
    log.warn('collector update failed', { err: toSwampError(e) });
  }
  try {
    await deps.db.setStatus(id, status, true);
  } catch (e) {
    log.error('DB status update failed', { err: toSwampError(e) });
  }
  // Metric runs have no DB relaunch (mirswamp/db Data Server/Metric/metric_procs.sql): keep their BOG queued so a drain launches them once
  // SWAMP is on again. Assessment runs are relaunched by the DB (launch_flag stays 1).
  if (launchKind(id) === 'metric') {
    try {
      const bog = await computeRunBog(id, deps);
      writeQueuedBog(deps.settings.runDir, id, bog);
      log.info('SWAMP is off: metric run queued for --drain');
    } catch (e) {
      log.warn('SWAMP is off and the metric run could not be queued', { err: toSwampError(e) });
    }
  }
  log.info('SWAMP is off: run not launched', { swampState: deps.settings.swampState });
  return { outcome: 'swamp-off' };
}

/** Launches one run (the worker of execute_execution_record). */
export async function launchRun(id: string, deps: LaunchDeps, mode: 'launch' | 'drain' = 'launch'): Promise<LaunchResult> {
  const log = (deps.log ?? nullLogger).child({ execrunid: id });
  if (!isSwampOn(deps.settings.swampState)) {
    if (mode === 'drain') return { outcome: 'swamp-off' };
    return swampOff(id, deps);
  }
  const lock = tryLock(deps.settings.runDir, id);
  if (lock === undefined) {
    log.info('another worker holds the lock for this run; leaving it to that worker');
    return { outcome: 'busy' };
  }
  try {
    return await new Launcher(id, deps).run(mode);
  } catch (e) {
    const err = toSwampError(e);
    log.error('launch failed', { err });
    return { outcome: 'aborted', error: isSwampError(e) ? e : err };
  } finally {
    lock.release();
  }
}

export interface DrainReport {
  results: Array<{ id: string } & LaunchResult>;
}

/**
 * The one-run-at-a-time drain (before the batch submitter; kept for `launchMode = per-run`, the
 * benchmark's baseline): finishes every run left in the run directory, oldest first. The default
 * `--drain` is submitter.ts drain.
 */
export async function drainPerRun(deps: LaunchDeps): Promise<DrainReport> {
  const log = deps.log ?? nullLogger;
  if (!isSwampOn(deps.settings.swampState)) {
    log.info('SWAMP is off: queue not drained');
    return { results: [] };
  }
  const results: DrainReport['results'] = [];
  for (const entry of listQueue(deps.settings.runDir)) {
    let id: string;
    try {
      // Only ids this program launches; anything else in the run dir is not ours to submit.
      id = parseLaunchId(entry.id).id;
    } catch {
      log.warn('ignoring a queue file that is not a run id', { name: entry.id });
      continue;
    }
    const r = await launchRun(id, deps, 'drain');
    results.push({ id, ...r });
  }
  // Housekeeping (legacy csa agent idle loop)
  await drainHousekeeping(deps.settings.runDir, deps.condor, deps.db, log);
  log.info('drain pass done', { count: results.length, outcomes: results.map((r) => r.outcome) });
  return { results };
}

