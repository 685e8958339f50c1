/**
 * The HTCondor operations of a launch (assessment, metric and viewer), behind a small interface so the
 * launchers' state machines are tested with in-memory fakes as well as against the real pool. The real
 * ones use lib/htcondor (exact-equality lookups, escaped ads, condor_submit of a file).
 */
import { ExternalCommandError } from '../errors/index.js';
import {
  adString,
  advertise,
  adNumber,
  allOf,
  isExactlyOneOf,
  lookupSwampId,
  queryAds,
  queryHistory,
  queryQueue,
  remove,
  runTool,
  submitArgs,
  submitFile,
  submitMessages,
  swampIdsConstraint,
  swampIdsConstraintCost,
  SWAMP_ID_ATTRS,
  toolFailure,
  type Ad,
  type HTCondorContext,
} from '../htcondor/index.js';
import type { StatusAd } from '../status/index.js';
import { chunkByLength, parseBatchSubmit } from './batch.js';

export interface FoundJob {
  source: 'queue' | 'history' | 'none';
  clusterId?: number;
  procId?: number;
  /** 1 idle, 2 running, 3 removed, 4 completed, 5 held. */
  jobStatus?: number;
  numJobStarts?: number;
  /** More than one job in the queue carries the id (should never happen; logged). */
  duplicates?: number;
}

export interface CondorOps {
  /** Exact lookup of the run id: queue, then history (at most two tool calls). */
  lookup(id: string): Promise<FoundJob>;
  /** condor_submit <file> in the job dir; returns the cluster id. */
  submitFile(dir: string, file: string): Promise<number>;
  advertise(ad: StatusAd): Promise<void>;
  /** Which job dirs belong to jobs found in history (one condor_history call). */
  finishedJobDirs(dirs: readonly string[]): Promise<Set<string>>;
  /** Preempted assessment jobs in the queue (one condor_q call). */
  preemptedJobs(): Promise<PreemptedJob[]>;
  /**
   * condor_rm of one job (a job submitted after its run was killed). By cluster AND proc: a batch
   * puts many runs' jobs in one cluster (docs/launchassessment.md), so a cluster is never one run.
   */
  removeJob?(clusterId: number, procId: number, reason?: string): Promise<void>;
  /**
   * Batch forms (lib/assessment/batch-launch.ts); a CondorOps without them (unit fakes) is driven
   * one run at a time through the calls above (batchOf).
   */
  /** Exact lookup of many run ids: one condor_q, then one condor_history for those not queued (per chunk). */
  lookupMany?(ids: readonly string[]): Promise<Map<string, FoundJob>>;
  /** condor_submit of one batch description (a `queue ... from` list) in `cwd`: the job of each item, in order. */
  submitBatch?(cwd: string, file: string, count: number): Promise<Array<{ cluster: number; proc: number }>>;
  /** Many status ads in one condor_advertise. */
  advertiseMany?(ads: readonly StatusAd[]): Promise<void>;
  /** The collector's current status of each named run ad (one condor_status). */
  adStatuses?(names: readonly string[]): Promise<Map<string, string>>;
}

export interface PreemptedJob {
  id: string;
  userid: string;
  projectid: string;
}

const LOOKUP_ATTRIBUTES = ['GlobalJobId', 'ClusterId', 'ProcId', 'JobStatus', 'NumJobStarts', 'SWAMP_arun_execrunuid', 'SWAMP_mrun_execrunuid'];

export function realCondor(queueCtx: HTCondorContext, collectorCtx: HTCondorContext): CondorOps {
  return {
    async lookup(id) {
      const r = await lookupSwampId(queueCtx, id, { attributes: LOOKUP_ATTRIBUTES });
      if (r.source === 'none') return { source: 'none' };
      const out = foundOf(r.ads, r.source);
      out.duplicates = r.ads.length;
      return out;
    },
    submitFile: (dir, file) => submitFile(queueCtx, dir, file),
    async advertise(ad) {
      await advertise(collectorCtx, [ad]);
    },
    finishedJobDirs: (dirs) => finishedJobDirs(queueCtx, dirs),
    preemptedJobs: () => preemptedJobs(queueCtx),
    async removeJob(clusterId, procId, reason) {
      await remove(queueCtx, { cluster: Math.trunc(clusterId), proc: Math.trunc(procId) }, { reason: reason ?? 'SWAMP run killed before its job started' });
    },
    lookupMany: (ids) => lookupMany(queueCtx, ids),
    async submitBatch(cwd, file, count) {
      const r = await runTool(queueCtx, 'condor_submit', ['-terse', ...submitArgs(queueCtx), file], { cwd, okExitCodes: [0, 1] });
      if (r.exitCode !== 0) {
        const { errors } = submitMessages(r.stderr);
        if (errors.length > 0) throw new ExternalCommandError('external', `condor_submit failed: ${errors.join('; ')}`, { command: r.command, exitCode: r.exitCode, stderr: r.stderr });
        throw toolFailure(r);
      }
      return parseBatchSubmit(r.stdout, count);
    },
    async advertiseMany(ads) {
      if (ads.length > 0) await advertise(collectorCtx, ads);
    },
    async adStatuses(names) {
      const out = new Map<string, string>();
      for (const chunk of chunkByLength(names, (n) => n.length + 12, MAX_CONSTRAINT_CHARS)) {
        const ads = await queryAds(collectorCtx, { constraint: isExactlyOneOf('Name', chunk), myType: 'Generic', attributes: ['Name', 'SWAMP_vmu_assessment_status', 'SWAMP_vmu_viewer_status'] });
        for (const ad of ads) {
          const n = adString(ad, 'Name');
          const st = adString(ad, 'SWAMP_vmu_assessment_status') ?? adString(ad, 'SWAMP_vmu_viewer_status');
          if (n !== undefined && st !== undefined) out.set(n, st);
        }
      }
      return out;
    },
  };
}

/**
 * A constraint is one argv element: Linux caps one at 128 KiB (MAX_ARG_STRLEN, 131,072 bytes with
 * its NUL; our values are ASCII ids, so characters are bytes). Lookups over a big batch are split
 * into chunks below this size (one condor_q / condor_history per chunk): ~950 run ids a chunk, so a
 * batch of up to 500 costs one history scan, which is most of a lookup's time on a full history.
 */
export const MAX_CONSTRAINT_CHARS = 120_000;

/** Jobs per run id found in history, at most (older removed jobs of a relaunched run). */
const HISTORY_PER_ID = 4;

function foundOf(ads: readonly Ad[], source: 'queue' | 'history'): FoundJob {
  const ad = ads[0];
  const out: FoundJob = { source, duplicates: source === 'queue' ? ads.length : 1 };
  if (ad !== undefined) {
    const c = adNumber(ad, 'ClusterId');
    const p = adNumber(ad, 'ProcId');
    const s = adNumber(ad, 'JobStatus');
    if (c !== undefined) out.clusterId = c;
    if (p !== undefined) out.procId = p;
    if (s !== undefined) out.jobStatus = s;
    out.numJobStarts = adNumber(ad, 'NumJobStarts') ?? 0;
  }
  return out;
}

function idOfAd(ad: Ad): string | undefined {
  for (const a of SWAMP_ID_ATTRS) {
    const v = adString(ad, a);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The exact lookup of lookupSwampId for many ids at once: one condor_q over all of them, then one
 * condor_history over those not in the queue (per chunk of MAX_CONSTRAINT_CHARS). History is read
 * most recent first, so the first ad per id is its latest job. A chunk whose history answer hit its
 * limit is looked up id by id for the ids it did not find (never "none" by truncation).
 */
export async function lookupMany(ctx: HTCondorContext, ids: readonly string[]): Promise<Map<string, FoundJob>> {
  const out = new Map<string, FoundJob>();
  const uniq = [...new Set(ids)];
  const chunks = chunkByLength(uniq, swampIdsConstraintCost, MAX_CONSTRAINT_CHARS);
  const attributes = [...LOOKUP_ATTRIBUTES, 'SWAMP_vrun_execrunuid'];
  for (const chunk of chunks) {
    const q = await queryQueue(ctx, { constraint: swampIdsConstraint(chunk), attributes });
    const byId = new Map<string, Ad[]>();
    for (const ad of q) {
      const id = idOfAd(ad);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), ad]);
    }
    for (const [id, ads] of byId) if (chunk.includes(id)) out.set(id, foundOf(ads, 'queue'));
    const rest = chunk.filter((id) => !out.has(id));
    if (rest.length === 0) continue;
    const limit = rest.length * HISTORY_PER_ID;
    const h = await queryHistory(ctx, { constraint: swampIdsConstraint(rest), attributes, limit });
    for (const ad of h) {
      const id = idOfAd(ad);
      if (id !== undefined && rest.includes(id) && !out.has(id)) out.set(id, foundOf([ad], 'history'));
    }
    for (const id of rest) {
      if (out.has(id)) continue;
      if (h.length >= limit) {
        const r = await lookupSwampId(ctx, id, { attributes });
        out.set(id, r.source === 'none' ? { source: 'none' } : foundOf(r.ads, r.source));
      } else out.set(id, { source: 'none' });
    }
  }
  return out;
}

/** One condor_history call (per chunk of MAX_CONSTRAINT_CHARS): which of these job dirs belong to jobs that have left the queue. */
export async function finishedJobDirs(ctx: HTCondorContext, dirs: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunkByLength(dirs, (d) => d.length + 4, MAX_CONSTRAINT_CHARS)) {
    const ads = await queryHistory(ctx, { constraint: isExactlyOneOf('SWAMP_submit_jobdir', chunk), attributes: ['SWAMP_submit_jobdir'], limit: chunk.length });
    for (const a of ads) {
      const d = adString(a, 'SWAMP_submit_jobdir');
      if (d !== undefined) out.add(d);
    }
  }
  return out;
}

/** One condor_q call: idle assessment jobs that started before and were vacated (legacy command 4). */
export async function preemptedJobs(ctx: HTCondorContext): Promise<PreemptedJob[]> {
  const ads = await queryQueue(ctx, {
    constraint: allOf('JobStatus == 1', 'NumJobStarts > 0', 'LastVacateTime > 0', '!isUndefined(SWAMP_arun_execrunuid)'),
    attributes: ['SWAMP_arun_execrunuid', 'SWAMP_userid', 'SWAMP_projectid'],
  });
  const out: PreemptedJob[] = [];
  for (const ad of ads) {
    const id = adString(ad, 'SWAMP_arun_execrunuid');
    if (id !== undefined) out.push({ id, userid: adString(ad, 'SWAMP_userid') ?? '', projectid: adString(ad, 'SWAMP_projectid') ?? '' });
  }
  return out;
}
