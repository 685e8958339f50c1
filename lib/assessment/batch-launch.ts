/**
 * The launch state machine of launch.ts, for many runs at once (docs/launchassessment.md "Batch
 * launch"). Every run goes through the same durable steps, in the same order, with the same crash
 * points; each step is done for the whole batch before the next one starts:
 *
 *   lock every run (busy ones are left to their holder)
 *   1. one exact lookup of all ids (condor_q, then condor_history for those not queued)   found -> adopted
 *   2. BOGs computed and written                                                          [bog-written]
 *   3. <id>.launch {submitting, jobDir} for every run                                     [intent-written]
 *   4. one ad with all "Creating HTCondor job"; job dirs, submit files, bundles           [job-created]
 *   5. one condor_submit per group of alike submit files (`queue ... from`, one cluster)  [submitted]
 *   6. <id>.launch {submitted, cluster, proc}; ClusterId marker                           [state-submitted]
 *   7. DB flags and statuses (one connection); one ad with all "Waiting in HTCondor Queue" [db-updated]
 *   8. remove <id>.launch, then <id>.bog; unlock
 *
 * A crash at any point leaves each run of the batch exactly where a crash of the one-run launcher
 * leaves it; the next pass's lookup finds every job that reached the schedd (by its SWAMP id, cluster
 * or proc do not matter) and adopts it. A batch of one makes the same HTCondor calls as launch.ts.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toSwampError, type SwampError } from '../errors/index.js';
import { AssessmentStatus, assessmentStatusAd, type StatusAd } from '../status/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { syncDirs, type Bog } from '../bog/index.js';
import { BogError, LaunchCode, type ViewRow } from './bog.js';
import type { FoundJob } from '../submission/condor.js';
import { isSwampOn } from './gate.js';
import { jobDirName, jobType } from './ids.js';
import { tryLock, type RunLock } from '../submission/lock.js';
import { completeLaunch, markCluster, prepareJobDir, readQueuedBog, readState, writeQueuedBog, writeState, type LaunchState } from '../submission/queue.js';
import { submitFileName } from '../submission/sections.js';
import { batchDescription, groupBatch, withoutQueue, type BatchRun } from '../submission/batch.js';
import type { ImageCandidates } from '../submission/platform.js';
import { readImageCandidates } from '../submission/images.js';
import { mayReplaceStatus } from '../outbox/rules.js';
import { computeRunBog, crashCheckpoint, Launcher, runSubmitText, swampOff, type CrashPoint, type LaunchDeps, type LaunchResult } from './launch.js';

export type BatchResult = Array<{ id: string } & LaunchResult>;

/** A run of the batch on its way: its launcher (per-run helpers, logger) and what is known so far. */
interface Run {
  id: string;
  l: Launcher;
  state: LaunchState | undefined;
  bog: Bog | undefined;
  row?: ViewRow;
  jobDir?: string;
  text?: string;
  job?: { cluster: number; proc: number };
}

interface Recorded {
  run: Run;
  clusterId: number | undefined;
  procId: number | undefined;
  found: FoundJob | undefined;
  outcome: 'submitted' | 'adopted';
}

class Batch {
  readonly d: LaunchDeps;
  readonly log: Logger;
  readonly checkpoint: (p: CrashPoint) => void;
  readonly results = new Map<string, LaunchResult>();

  constructor(deps: LaunchDeps) {
    this.d = deps;
    this.log = deps.log ?? nullLogger;
    this.checkpoint = deps.checkpoint ?? crashCheckpoint();
  }

  done(r: Run, res: LaunchResult): void {
    this.results.set(r.id, res);
  }

  async lookupMany(ids: readonly string[]): Promise<Map<string, FoundJob>> {
    const c = this.d.condor;
    if (c.lookupMany !== undefined) return c.lookupMany(ids);
    const m = new Map<string, FoundJob>();
    for (const id of ids) m.set(id, await c.lookup(id));
    return m;
  }

  /** Status ads for many runs in one call; a collector failure is logged, never fatal (soft state). */
  async ads(list: ReadonlyArray<{ run: Run; status: string; vmhostname?: string }>, guarded: boolean): Promise<void> {
    if (list.length === 0) return;
    let keep = list;
    const owed = this.d.owed;
    if (guarded && owed !== undefined) {
      // never over a terminal status (a kill's Terminated): one collector query for the batch
      try {
        const names = list.map((x) => x.run.id);
        const current = this.d.condor.adStatuses !== undefined ? await this.d.condor.adStatuses(names) : await perRunStatuses(names, (n) => owed.sink.currentAdStatus(n));
        keep = list.filter((x) => {
          const cur = current.get(x.run.id);
          const ok = mayReplaceStatus(cur, x.status);
          if (!ok) x.run.l.log.info('collector shows a terminal status; not replaced', { current: cur, status: x.status });
          return ok;
        });
      } catch {
        /* collector unreadable: the advertise below fails the same way, logged */
      }
    }
    const ads: StatusAd[] = keep.map((x) =>
      assessmentStatusAd({ execrunuid: x.run.id, vmhostname: x.vmhostname ?? jobType(x.run.id), status: x.status, userUuid: x.run.l.user, projectId: x.run.l.project }),
    );
    if (ads.length === 0) return;
    try {
      if (this.d.condor.advertiseMany !== undefined) await this.d.condor.advertiseMany(ads);
      else for (const ad of ads) await this.d.condor.advertise(ad);
    } catch (e) {
      this.log.warn('collector update failed', { count: ads.length, status: keep[0]?.status, err: toSwampError(e) });
    }
  }

  /** "Failed to submit to HTCondor" (not final) for runs whose job dir or submit failed; BOGs stay queued. */
  async submitFailed(runs: readonly Run[], err: SwampError, what: string): Promise<void> {
    for (const r of runs) {
      r.l.log.error(`${what} (BOG kept queued for a relaunch or --drain)`, { jobDir: r.jobDir, err });
      this.done(r, { outcome: 'submit-failed', error: err });
    }
    await this.ads(runs.map((run) => ({ run, status: AssessmentStatus.FailedToSubmit })), false);
    for (const r of runs) await r.l.dbStatus(AssessmentStatus.FailedToSubmit, false);
  }

  /** Steps 7-8 for many runs (Launcher.record's rules, batched). */
  async record(list: readonly Recorded[]): Promise<void> {
    if (list.length === 0) return;
    const db = this.d.db;
    const ok: Recorded[] = [];
    let down: SwampError | undefined;
    for (const x of list) {
      const res = (error: SwampError): void => {
        x.run.l.log.error('job exists but the DB could not be updated; kept in the queue for --drain', { clusterId: x.clusterId, err: error });
        this.done(x.run, { outcome: 'pending', ...(x.clusterId !== undefined ? { clusterId: x.clusterId } : {}), error });
      };
      if (down !== undefined) {
        res(down);
        continue;
      }
      try {
        await db.setFlag(x.run.id, 'submitted_to_condor_flag', true);
        await db.setFlag(x.run.id, 'launch_flag', false);
        ok.push(x);
      } catch (e) {
        const err = toSwampError(e);
        // an unreachable DB: the rest of the batch would only wait for the same timeout
        if (err.kind === 'busy' || err.kind === 'external') down = err;
        res(err);
      }
    }
    const waiting = ok.filter((x) => x.found === undefined || (x.found.source === 'queue' && x.found.jobStatus === 1 && (x.found.numJobStarts ?? 0) === 0));
    await this.ads(waiting.map((x) => ({ run: x.run, status: AssessmentStatus.WaitingInQueue })), true);
    for (const x of waiting) await x.run.l.dbStatus(AssessmentStatus.WaitingInQueue, false);
    for (const x of ok) if (x.found?.source === 'history') await x.run.l.restoreFinal();
    this.checkpoint('db-updated');
    const isWaiting = new Set(waiting);
    for (const x of ok) {
      completeLaunch(this.d.settings.runDir, x.run.id);
      x.run.l.log.info(x.outcome === 'submitted' ? 'job submitted' : 'job already in HTCondor: adopted, nothing submitted', {
        clusterId: x.clusterId,
        ...(x.procId !== undefined && x.procId !== 0 ? { procId: x.procId } : {}),
        source: x.found?.source,
        jobStatus: x.found?.jobStatus,
        status: isWaiting.has(x) ? AssessmentStatus.WaitingInQueue : undefined,
      });
      this.done(x.run, { outcome: x.outcome, ...(x.clusterId !== undefined ? { clusterId: x.clusterId } : {}) });
    }
  }

  async run(ids: readonly string[], mode: 'launch' | 'drain'): Promise<void> {
    const s = this.d.settings;
    const runDir = s.runDir;
    let runs: Run[] = [];
    for (const id of ids) {
      const l = new Launcher(id, this.d);
      try {
        const state = readState(runDir, id);
        const bog = readQueuedBog(runDir, id);
        l.setPeople(bog, state);
        runs.push({ id, l, state, bog });
      } catch (e) {
        l.log.error('launch failed', { err: toSwampError(e) });
        this.results.set(id, { outcome: 'aborted', error: toSwampError(e) });
      }
    }
    if (runs.length === 0) return;

    // 1. One exact lookup for the whole batch, before any BOG (adopt, never duplicate).
    let found: Map<string, FoundJob>;
    try {
      found = await this.lookupMany(runs.map((r) => r.id));
    } catch (e) {
      const err = toSwampError(e);
      const resume = runs.filter((r) => r.state?.step === 'submitted' && r.state.clusterId !== undefined);
      // submitted by an earlier worker: record the flags only (never an outdated status)
      await this.record(resume.map((r) => ({ run: r, clusterId: r.state?.clusterId, procId: r.state?.procId, found: { source: 'history' }, outcome: 'submitted' })));
      const rest = runs.filter((r) => !resume.includes(r));
      let wrote = false;
      for (const r of rest) {
        r.l.log.error('HTCondor lookup failed; not submitting (BOG kept queued)', { err });
        // queue the run for --drain (metric runs have no DB relaunch) when the DB still wants it
        if (r.bog === undefined && mode === 'launch') {
          try {
            writeQueuedBog(runDir, r.id, await computeRunBog(r.id, this.d));
            wrote = true;
          } catch (e2) {
            r.l.log.warn('cannot queue the BOG either', { err: toSwampError(e2) });
          }
        }
        this.done(r, { outcome: 'aborted', error: err });
      }
      if (wrote) this.checkpoint('bog-written');
      await this.ads(rest.map((run) => ({ run, status: AssessmentStatus.SubmitAbortedUuidQueued, vmhostname: '' })), true);
      return;
    }
    const adopt: Recorded[] = [];
    const fresh: Run[] = [];
    for (const r of runs) {
      const f = found.get(r.id) ?? { source: 'none' };
      if (r.state?.step === 'submitted' && r.state.clusterId !== undefined) {
        r.l.log.info('resuming a submitted launch', { clusterId: r.state.clusterId, procId: r.state.procId, jobDir: r.state.jobDir });
        adopt.push({ run: r, clusterId: r.state.clusterId, procId: r.state.procId, found: f.source === 'none' ? { source: 'history' } : f, outcome: 'submitted' });
      } else if (f.source !== 'none') {
        if ((f.duplicates ?? 1) > 1) r.l.log.error('several jobs carry this run id', { count: f.duplicates });
        adopt.push({ run: r, clusterId: f.clusterId, procId: f.procId, found: f, outcome: 'adopted' });
      } else fresh.push(r);
    }
    await this.record(adopt);
    runs = [];
    for (const r of fresh) {
      if (r.l.killed()) this.done(r, await r.l.cancelByKill(r.state));
      else runs.push(r);
    }

    // 2. BOGs: a launch recomputes them from the DB; a drain keeps the queued one once the DB says it
    // still wants the run. The rows come in one round trip for the batch where the DB offers it.
    let rows: Map<string, ViewRow> | undefined;
    let down: SwampError | undefined;
    if (runs.length > 0 && this.d.db.getExecRuns !== undefined) {
      try {
        rows = await this.d.db.getExecRuns(runs.map((r) => r.id));
      } catch (e) {
        down = toSwampError(e);
      }
    }
    if (mode === 'launch' && rows !== undefined) for (const r of runs) r.row = rows.get(r.id);
    if (mode === 'drain') {
      const wanted: Run[] = [];
      for (const r of runs) {
        if (down !== undefined) {
          r.l.log.warn('DB unreachable; queued run left for the next drain', { err: down });
          this.done(r, { outcome: 'aborted', error: down });
          continue;
        }
        try {
          const row = rows !== undefined ? rows.get(r.id) : await this.d.db.getExecRun(r.id);
          if (row === undefined) this.done(r, r.l.discardObsolete());
          else {
            r.row = row;
            wanted.push(r);
          }
        } catch (e) {
          down = toSwampError(e);
          r.l.log.warn('DB unreachable; queued run left for the next drain', { err: down });
          this.done(r, { outcome: 'aborted', error: down });
        }
      }
      runs = wanted;
    }
    const withBog: Run[] = [];
    const aborted: Run[] = [];
    let wrote = false;
    // each step's files are fsynced one by one, their directories once per step (syncDirs), before
    // the step's checkpoint and before anything acts on them
    const synced = new Set<string>();
    let candidates: Promise<ImageCandidates> | undefined;
    const images = (): Promise<ImageCandidates> => (candidates ??= readImageCandidates(s.imagesDir, s.dockerImagesFile, s.preferredType));
    for (const r of runs) {
      if (mode === 'launch' || r.bog === undefined) {
        try {
          r.bog = await computeRunBog(r.id, this.d, r.row, images);
        } catch (e) {
          const err = toSwampError(e);
          r.l.log.error('cannot compute the BOG; nothing submitted', { err, launchCode: err instanceof BogError ? err.code : LaunchCode.FATAL_ERROR });
          this.done(r, { outcome: 'aborted', error: err });
          aborted.push(r);
          continue;
        }
        writeQueuedBog(runDir, r.id, r.bog, synced);
        r.l.setPeople(r.bog, r.state);
        wrote = true;
      }
      withBog.push(r);
    }
    syncDirs(synced);
    await this.ads(aborted.map((run) => ({ run, status: AssessmentStatus.SubmitAbortedUuidQueued, vmhostname: '' })), true);
    if (wrote) this.checkpoint('bog-written');
    runs = withBog;
    if (runs.length === 0) return;

    // 3. Intents.
    for (const r of runs) {
      r.jobDir = r.state?.jobDir ?? jobDirName(r.id, randomUUID());
      r.state = writeState(runDir, { execrunid: r.id, step: 'submitting', jobDir: r.jobDir, userid: r.l.user, projectid: r.l.project }, synced);
    }
    syncDirs(synced);
    this.checkpoint('intent-written');

    // 4. Job dirs.
    await this.ads(runs.map((run) => ({ run, status: AssessmentStatus.CreatingJob })), false);
    const prepared: Run[] = [];
    for (const r of runs) {
      const bog = r.bog as Bog;
      const jobDir = r.jobDir as string;
      try {
        const { text, platformType } = runSubmitText(r.id, bog, jobDir, s);
        r.text = text;
        await prepareJobDir(runDir, jobDir, r.id, bog, r.text, platformType === 'VM', synced);
        prepared.push(r);
      } catch (e) {
        await this.submitFailed([r], toSwampError(e), 'cannot create the job directory; nothing submitted');
      }
    }
    syncDirs(synced);
    this.checkpoint('job-created');

    // 5. Submit, unless a kill arrived meanwhile (it is recorded before kill_run answers SUCCESS).
    runs = [];
    for (const r of prepared) {
      if (r.l.killed()) this.done(r, await r.l.cancelByKill(r.state));
      else runs.push(r);
    }
    const submitted = await this.submit(runs);
    if (submitted.length > 0) this.checkpoint('submitted');
    const keep: Run[] = [];
    for (const r of submitted) {
      const job = r.job as { cluster: number; proc: number };
      if (r.l.killed()) {
        // The kill was recorded while condor_submit ran: remove the new job before it can start.
        r.l.log.warn('a kill arrived during condor_submit: removing the new job', { clusterId: job.cluster, procId: job.proc });
        try {
          await this.d.condor.removeJob?.(job.cluster, job.proc);
          await this.d.db.setFlag(r.id, 'submitted_to_condor_flag', true).catch(() => undefined);
          // the job dir stays for cleanJobDirs (the schedd may still use it while the job leaves)
          this.done(r, await r.l.cancelByKill(undefined));
          continue;
        } catch (e) {
          r.l.log.error('cannot remove the killed job; the kill worker will', { clusterId: job.cluster, procId: job.proc, err: toSwampError(e) });
        }
      }
      keep.push(r);
    }

    // 6. Results, durably, before anyone else hears of them.
    for (const r of keep) {
      const job = r.job as { cluster: number; proc: number };
      writeState(runDir, {
        execrunid: r.id,
        step: 'submitted',
        jobDir: r.jobDir as string,
        clusterId: job.cluster,
        ...(job.proc !== 0 ? { procId: job.proc } : {}),
        userid: r.l.user,
        projectid: r.l.project,
      }, synced);
      markCluster(runDir, r.jobDir as string, job.cluster, job.proc);
    }
    syncDirs(synced);
    if (keep.length > 0) this.checkpoint('state-submitted');

    // 7-8.
    await this.record(keep.map((r) => ({ run: r, clusterId: r.job?.cluster, procId: r.job?.proc, found: undefined, outcome: 'submitted' })));
  }

  /**
   * Step 5: one condor_submit per group of runs whose submit files differ only in their own values
   * (lib/submission/batch.ts). A CondorOps without submitBatch (unit fakes) gets one submitFile per run.
   * A failed condor_submit creates no job (the schedd's transaction): its runs are "Failed to submit".
   */
  async submit(runs: readonly Run[]): Promise<Run[]> {
    if (runs.length === 0) return [];
    const s = this.d.settings;
    const runDir = resolve(s.runDir);
    const out: Run[] = [];
    const c = this.d.condor;
    if (c.submitBatch === undefined) {
      for (const r of runs) {
        try {
          const cluster = await c.submitFile(join(runDir, r.jobDir as string), submitFileName(r.id));
          r.job = { cluster, proc: 0 };
          out.push(r);
        } catch (e) {
          await this.submitFailed([r], toSwampError(e), 'condor_submit failed');
        }
      }
      return out;
    }
    const byId = new Map(runs.map((r) => [r.id, r]));
    const batchRuns: BatchRun[] = runs.map((r) => {
      const bog = r.bog as Bog;
      const user = bog.userid ?? '';
      return {
        key: r.id,
        // the job's Iwd is its own job dir, as when its <id>.sub is submitted from there
        text: `${withoutQueue(r.text as string)}initialdir = ${join(runDir, r.jobDir as string)}\nqueue\n`,
        values: { RunId: r.id, JobDir: r.jobDir as string, UserId: user, ProjectId: bog.projectid ?? '', AcctUser: user.replace(/@/g, '-at-'), Image: bog.platform_image ?? '' },
      };
    });
    const groups = groupBatch(batchRuns);
    let n = 0;
    for (const g of groups) {
      const members = g.items.map((it) => byId.get(it.key) as Run);
      const file = join(runDir, `.batch-${process.pid}-${Date.now()}-${n++}.sub`);
      try {
        writeFileSync(file, batchDescription(g), { mode: 0o644 });
        const jobs = await c.submitBatch(runDir, file, members.length);
        members.forEach((r, i) => {
          r.job = jobs[i] as { cluster: number; proc: number };
          out.push(r);
        });
        this.log.info('batch submitted', { runs: members.length, clusterId: jobs[0]?.cluster, vars: g.vars.length });
      } catch (e) {
        await this.submitFailed(members, toSwampError(e), 'condor_submit failed');
      } finally {
        rmSync(file, { force: true });
      }
    }
    return out;
  }
}

async function perRunStatuses(names: readonly string[], one: (n: string) => Promise<string | undefined>): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const n of names) {
    const v = await one(n);
    if (v !== undefined) m.set(n, v);
  }
  return m;
}

/**
 * Launches many runs (the batch submitter and `--drain`; a single launch is a batch of one). Runs
 * another worker holds are 'busy'. Results come back in the order of `ids`.
 */
export async function launchBatch(ids: readonly string[], deps: LaunchDeps, mode: 'launch' | 'drain' = 'launch'): Promise<BatchResult> {
  const log = deps.log ?? nullLogger;
  const uniq = [...new Set(ids)];
  if (!isSwampOn(deps.settings.swampState)) {
    const out: BatchResult = [];
    for (const id of uniq) out.push({ id, ...(mode === 'drain' ? { outcome: 'swamp-off' as const } : await swampOff(id, deps)) });
    return out;
  }
  const b = new Batch(deps);
  const locks = new Map<string, RunLock>();
  try {
    for (const id of uniq) {
      const lock = tryLock(deps.settings.runDir, id);
      if (lock === undefined) {
        log.child({ execrunid: id }).info('another worker holds the lock for this run; leaving it to that worker');
        b.results.set(id, { outcome: 'busy' });
      } else locks.set(id, lock);
    }
    await b.run([...locks.keys()], mode);
  } catch (e) {
    const err = toSwampError(e);
    log.error('launch failed', { err });
    for (const id of locks.keys()) if (!b.results.has(id)) b.results.set(id, { outcome: 'aborted', error: err });
  } finally {
    for (const l of locks.values()) l.release();
  }
  return uniq.map((id) => ({ id, ...(b.results.get(id) ?? { outcome: 'aborted' as const }) }));
}
