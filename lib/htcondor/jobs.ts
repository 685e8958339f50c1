/**
 * Job operations on a schedd: submit, dry-run, queue and history queries, lookup by SWAMP id, remove,
 * and a bounded wait until a job has left the queue. I/O wrappers around the pure modules.
 */
import { rename, writeFile } from 'node:fs/promises';
import { ExternalCommandError, SwampError, ValidationError } from '../errors/index.js';
import { anyAttrIsExactly, anyOf, checkAttrName, checkOneLine, isExactlyOneOf, quoteInExpr } from './classad.js';
import { scheddArgs, submitArgs, type HTCondorContext } from './context.js';
import {
  adNumber,
  formatJobId,
  jobIdOfAd,
  parseJsonAds,
  parseLongAd,
  parseRemoveLines,
  parseTerseSubmit,
  submitMessages,
  type Ad,
  type JobId,
} from './parse.js';
import { formatSubmitDescription, type SubmitDescription } from './submit-description.js';
import { runTool, toolFailure } from './tool.js';

/** The attributes a SWAMP run id may be stored in (one per run kind). */
export const SWAMP_ID_ATTRS = ['SWAMP_arun_execrunuid', 'SWAMP_mrun_execrunuid', 'SWAMP_vrun_execrunuid'] as const;

/** Projection used by lookups: enough to report, remove and wait without another query. */
export const LOOKUP_ATTRS = [
  'GlobalJobId',
  'ClusterId',
  'ProcId',
  'JobStatus',
  'Owner',
  'UserLog',
  'Iwd',
  'EnteredCurrentStatus',
  'HoldReason',
  'RemoveReason',
  'ExitCode',
  ...SWAMP_ID_ATTRS,
  'SWAMP_viewerinstanceid',
] as const;

export interface SubmitOptions {
  /** Write the description to this file and submit the file (kept for inspection); default: stdin. */
  file?: string;
  /** condor_submit's working directory (the job's Iwd unless `initialdir` is set). */
  cwd?: string;
  /** `-spool`: send input files to a remote schedd. */
  spool?: boolean;
}

export interface SubmitResult {
  /** The schedd holding the jobs (ctx.schedd, else the local schedd's name). */
  schedd: string;
  cluster: number;
  jobs: JobId[];
  submitText: string;
}

// The local schedd's name, once per context (it qualifies job ids; see scheddNameOf).
const scheddNames = new WeakMap<HTCondorContext, string>();

/**
 * `condor_submit -terse <args>`: the one place that runs condor_submit to create jobs and reads its
 * answer. ERROR lines of a failed submit make the message; a description condor_submit rejects gets
 * `rejectedKind` (the caller says whose mistake it is), other failures keep toolFailure's kind.
 */
async function condorSubmit(
  ctx: HTCondorContext,
  args: readonly string[],
  opts: { input?: string | undefined; cwd?: string | undefined; rejectedKind: 'usage' | 'external' },
): Promise<{ cluster: number; firstProc: number; lastProc: number }> {
  const r = await runTool(ctx, 'condor_submit', ['-terse', ...submitArgs(ctx), ...args], { input: opts.input, cwd: opts.cwd, okExitCodes: [0, 1] });
  if (r.exitCode !== 0) {
    const err = toolFailure(r);
    const { errors } = submitMessages(r.stderr);
    if (errors.length > 0) {
      throw new ExternalCommandError(err.kind === 'external' ? opts.rejectedKind : err.kind, `condor_submit failed: ${errors.join('; ')}`, {
        command: err.command,
        exitCode: r.exitCode,
        stderr: r.stderr,
      });
    }
    throw err;
  }
  const c = parseTerseSubmit(r.stdout)[0];
  if (c === undefined) throw new SwampError('external', 'condor_submit succeeded but printed no job id', { stdout: r.stdout.slice(0, 200) });
  return c;
}

/**
 * Submits a description with `condor_submit -terse`; one cluster per description. A description
 * condor_submit rejects is the caller's input, not an outage: kind `usage`.
 */
export async function submit(ctx: HTCondorContext, desc: SubmitDescription, opts: SubmitOptions = {}): Promise<SubmitResult> {
  const text = formatSubmitDescription(desc);
  const args: string[] = [];
  // ctx.spool already adds -spool (submitArgs)
  if (opts.spool === true && ctx.spool !== true) args.push('-spool');
  let input: string | undefined;
  if (opts.file !== undefined) {
    // temp + rename: a crash never leaves a half-written submit file under the final name
    const tmp = `${opts.file}.tmp-${process.pid}`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, opts.file);
    args.push(opts.file);
  } else {
    args.push('-');
    input = text;
  }
  const c = await condorSubmit(ctx, args, { input, cwd: opts.cwd, rejectedKind: 'usage' });
  const schedd = await scheddNameOf(ctx, { cluster: c.cluster, proc: c.firstProc });
  const jobs: JobId[] = [];
  for (let p = c.firstProc; p <= c.lastProc; p++) jobs.push({ schedd, cluster: c.cluster, proc: p });
  return { schedd, cluster: c.cluster, jobs, submitText: text };
}

/**
 * Submits a submit file we wrote (in `dir`, where it stays for inspection, as the legacy submitted
 * `<execrunid>.sub` from the job dir); returns the cluster id. A rejection here is not the caller's
 * input but our file or the pool's configuration: kind `external`.
 */
export async function submitFile(ctx: HTCondorContext, dir: string, file: string): Promise<number> {
  return (await condorSubmit(ctx, [file], { cwd: dir, rejectedKind: 'external' })).cluster;
}

/**
 * ctx.schedd when set; otherwise the local schedd's name from the GlobalJobId of a job it just accepted
 * (queue, then history if the job already finished). One call per context: the result is cached.
 */
export async function scheddNameOf(ctx: HTCondorContext, job: JobId): Promise<string> {
  if (ctx.schedd !== undefined) return ctx.schedd;
  const cached = scheddNames.get(ctx);
  if (cached !== undefined) return cached;
  let ads = await queryQueue(ctx, { jobs: [job], attributes: ['GlobalJobId'] });
  if (ads.length === 0) ads = await queryHistory(ctx, { jobs: [job], attributes: ['GlobalJobId'], limit: 1 });
  const id = ads[0] === undefined ? undefined : jobIdOfAd(ads[0]);
  if (id?.schedd === undefined) throw new SwampError('external', `cannot tell which schedd holds job ${formatJobId(job)}`);
  scheddNames.set(ctx, id.schedd);
  return id.schedd;
}

export interface DryRunResult {
  valid: boolean;
  errors: string[];
  warnings: string[];
  /** The job ad condor_submit would create: raw expressions and decoded string values. */
  ad: { raw: Record<string, string>; strings: Record<string, string> };
}

/**
 * `condor_submit -dry-run - -`: validates a description (vm and docker included: no hypervisor or docker
 * needed) without submitting. An invalid description is a result, not an exception.
 */
export async function dryRun(ctx: HTCondorContext, desc: SubmitDescription, opts: { cwd?: string } = {}): Promise<DryRunResult> {
  const text = formatSubmitDescription(desc);
  const r = await runTool(ctx, 'condor_submit', ['-terse', '-dry-run', '-', '-'], { input: text, cwd: opts.cwd, okExitCodes: [0, 1] });
  const msgs = submitMessages(`${r.stderr}\n${r.stdout}`);
  if (r.exitCode !== 0 && msgs.errors.length === 0) throw toolFailure(r);
  return { valid: r.exitCode === 0, errors: msgs.errors, warnings: msgs.warnings, ad: parseLongAd(r.stdout) };
}

export interface QueueQuery {
  constraint?: string;
  /** Projection (`-attributes`); default: whole ads. */
  attributes?: readonly string[];
  jobs?: readonly JobId[];
  limit?: number;
}

function queryArgs(q: QueueQuery): string[] {
  const a: string[] = ['-json'];
  if (q.constraint !== undefined) a.push('-constraint', checkOneLine(q.constraint, 'constraint'));
  if (q.attributes !== undefined && q.attributes.length > 0) a.push('-attributes', q.attributes.map(checkAttrName).join(','));
  if (q.limit !== undefined) {
    if (!Number.isInteger(q.limit) || q.limit < 1) throw new ValidationError(`limit must be a positive integer: ${q.limit}`);
    a.push('-limit', String(q.limit));
  }
  for (const j of q.jobs ?? []) a.push(formatJobId(j));
  return a;
}

/** `condor_q -allusers -json`: every owner's jobs (condor_q shows only the caller's by default). */
export async function queryQueue(ctx: HTCondorContext, q: QueueQuery = {}): Promise<Ad[]> {
  const r = await runTool(ctx, 'condor_q', [...scheddArgs(ctx), '-allusers', ...queryArgs(q)]);
  return parseJsonAds(r.stdout);
}

/** `condor_history -json -limit N` (most recent first). A limit is required: history is unbounded. */
export async function queryHistory(ctx: HTCondorContext, q: QueueQuery & { limit: number }): Promise<Ad[]> {
  const r = await runTool(ctx, 'condor_history', [...scheddArgs(ctx), ...queryArgs(q)]);
  return parseJsonAds(r.stdout);
}

/** The constraint matching a SWAMP run id exactly in any of the three id attributes. */
export function swampIdConstraint(id: string): string {
  if (id === '') throw new ValidationError('empty SWAMP id');
  return anyAttrIsExactly(SWAMP_ID_ATTRS, id);
}

/**
 * Jobs carrying any of the SWAMP ids: the test of swampIdConstraint for many ids at once, in the
 * `identicalMember` form (isExactlyOneOf: several times cheaper for HTCondor over a long history).
 */
export function swampIdsConstraint(ids: readonly string[]): string {
  if (ids.some((id) => id === '')) throw new ValidationError('empty SWAMP id');
  if (ids.length === 0) return 'false';
  return anyOf(...SWAMP_ID_ATTRS.map((a) => isExactlyOneOf(a, ids)));
}

/** The characters one id adds to swampIdsConstraint (for splitting a long id list under the argv limit). */
export function swampIdsConstraintCost(id: string): number {
  return SWAMP_ID_ATTRS.length * (quoteInExpr(id).length + 2);
}

export interface LookupResult {
  /** Where the job was found: in the queue, only in history, or nowhere. */
  source: 'queue' | 'history' | 'none';
  /** Queue: every matching job (more than one means a duplicate); history: the most recent one. */
  ads: Ad[];
  job?: JobId;
}

/**
 * Finds the job of a SWAMP run id by exact equality (never a substring or regexp match): the queue first,
 * then history. Two tool calls at most.
 */
export async function lookupSwampId(ctx: HTCondorContext, id: string, opts: { attributes?: readonly string[] } = {}): Promise<LookupResult> {
  const constraint = swampIdConstraint(id);
  const attributes = opts.attributes ?? LOOKUP_ATTRS;
  const inQueue = await queryQueue(ctx, { constraint, attributes });
  if (inQueue.length > 0) return { source: 'queue', ads: inQueue, job: jobIdOfAd(inQueue[0] as Ad) };
  const inHistory = await queryHistory(ctx, { constraint, attributes, limit: 1 });
  if (inHistory.length > 0) return { source: 'history', ads: inHistory, job: jobIdOfAd(inHistory[0] as Ad) };
  return { source: 'none', ads: [] };
}

export type RemoveOutcome = 'removed' | 'already-gone' | 'already-marked';

export interface RemoveResult {
  /** 'removed' if this call marked at least one job; otherwise why there was nothing to do. */
  outcome: RemoveOutcome;
  message: string;
}

export type RemoveTarget = JobId | { constraint: string };

/**
 * `condor_rm` by job id or constraint, idempotent: a job already gone or already marked for removal is
 * success, reported as such. Only on that path a second call (condor_q) tells "gone" from "marked".
 */
export async function remove(ctx: HTCondorContext, target: RemoveTarget, opts: { reason?: string } = {}): Promise<RemoveResult> {
  const args = [...scheddArgs(ctx)];
  if (opts.reason !== undefined) args.push('-reason', checkOneLine(opts.reason, 'removal reason'));
  const byConstraint = 'constraint' in target;
  if (byConstraint) args.push('-constraint', checkOneLine(target.constraint, 'constraint'));
  else args.push(formatJobId(target));
  const r = await runTool(ctx, 'condor_rm', args, { okExitCodes: [0, 1] });
  const text = `${r.stdout}\n${r.stderr}`;
  const lines = parseRemoveLines(text);
  if (r.exitCode === 0) {
    if (/There are no jobs in the queue/.test(text)) return { outcome: 'already-gone', message: 'no jobs in the queue' };
    return { outcome: 'removed', message: r.stdout.trim() };
  }
  if (lines.some((l) => l.outcome === 'denied')) throw toolFailure(r);
  if (lines.some((l) => l.outcome === 'already-marked')) return { outcome: 'already-marked', message: text.trim() };
  const nothingFound = lines.some((l) => l.outcome === 'not-found') || /Couldn't find\/remove all jobs/.test(text);
  if (!nothingFound) throw toolFailure(r);
  // "not found" / "Couldn't find/remove": gone, or still there in state X (removed), or refused
  const left = await queryQueue(ctx, byConstraint ? { constraint: target.constraint, attributes: ['JobStatus'] } : { jobs: [target], attributes: ['JobStatus'] });
  if (left.length === 0) return { outcome: 'already-gone', message: 'not in the queue' };
  if (left.every((ad) => adNumber(ad, 'JobStatus') === 3)) return { outcome: 'already-marked', message: 'already marked for removal' };
  // matching jobs that condor_rm could not mark: refused (other owner, not a queue super user)
  const e = toolFailure(r);
  throw new ExternalCommandError(e.kind === 'busy' ? 'busy' : 'denied', `condor_rm left ${left.length} job(s) in the queue: ${e.message}`, {
    command: e.command,
    exitCode: r.exitCode,
    stderr: r.stderr,
  });
}

export interface WaitResult {
  /** True when the job terminated or was removed (its log says so); false when the time ran out. */
  exited: boolean;
  waitedMs: number;
}

/**
 * Waits, bounded, until a job has left (terminate or abort event in its user log), with `condor_wait`:
 * HTCondor follows the log, we do not poll the schedd. The log must be the job's `log`/UserLog (the
 * UserLog attribute of a lookup) and be readable by the caller: condor_wait reports a job that does not
 * appear in the log at all as done, and a missing log file as an error (kind not-found).
 */
export async function waitForJobExit(ctx: HTCondorContext, opts: { log: string; job?: JobId; timeoutMs: number }): Promise<WaitResult> {
  const secs = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  const args = ['-wait', String(secs), checkOneLine(opts.log, 'log path')];
  if (opts.job !== undefined) args.push(formatJobId(opts.job));
  const started = performance.now();
  const r = await runTool(ctx, 'condor_wait', args, { okExitCodes: [0, 1], timeoutMs: secs * 1000 + 10_000 });
  const waitedMs = performance.now() - started;
  if (r.exitCode === 0) return { exited: true, waitedMs };
  if (/Time expired/i.test(`${r.stdout}${r.stderr}`)) return { exited: false, waitedMs };
  throw toolFailure(r);
}
