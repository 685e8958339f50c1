/**
 * The HTCondor operations of a launch (assessment, metric and viewer), behind a small interface so the
 * launchers' state machines are tested with in-memory fakes as well as against the real pool. The real
 * ones use lib/htcondor (exact-equality lookups, escaped ads, condor_submit of a file).
 */
import {
  adString,
  advertise,
  adNumber,
  allOf,
  anyAttrIsExactly,
  lookupSwampId,
  queryHistory,
  queryQueue,
  remove,
  submitFile,
  type HTCondorContext,
} from '../htcondor/index.js';
import type { StatusAd } from '../status/index.js';

export interface FoundJob {
  source: 'queue' | 'history' | 'none';
  clusterId?: number;
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
  /** condor_rm of one cluster (a job submitted after its run was killed). */
  removeCluster?(clusterId: number, reason?: string): Promise<void>;
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
      const ad = r.ads[0];
      const out: FoundJob = { source: r.source, duplicates: r.ads.length };
      if (ad !== undefined) {
        const c = adNumber(ad, 'ClusterId');
        const s = adNumber(ad, 'JobStatus');
        const n = adNumber(ad, 'NumJobStarts');
        if (c !== undefined) out.clusterId = c;
        if (s !== undefined) out.jobStatus = s;
        out.numJobStarts = n ?? 0;
      }
      return out;
    },
    submitFile: (dir, file) => submitFile(queueCtx, dir, file),
    async advertise(ad) {
      await advertise(collectorCtx, [ad]);
    },
    finishedJobDirs: (dirs) => finishedJobDirs(queueCtx, dirs),
    preemptedJobs: () => preemptedJobs(queueCtx),
    async removeCluster(clusterId, reason) {
      await remove(queueCtx, { constraint: `ClusterId == ${Math.trunc(clusterId)}` }, { reason: reason ?? 'SWAMP run killed before its job started' });
    },
  };
}

/** One condor_history call: which of these job dirs belong to jobs that have left the queue. */
export async function finishedJobDirs(ctx: HTCondorContext, dirs: readonly string[]): Promise<Set<string>> {
  if (dirs.length === 0) return new Set();
  const constraint = dirs.map((d) => `(${anyAttrIsExactly(['SWAMP_submit_jobdir'], d)})`).join(' || ');
  const ads = await queryHistory(ctx, { constraint, attributes: ['SWAMP_submit_jobdir'], limit: dirs.length });
  return new Set(ads.map((a) => adString(a, 'SWAMP_submit_jobdir')).filter((d): d is string => d !== undefined));
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
