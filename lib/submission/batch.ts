/**
 * Batch submission, the pure part (docs/launchassessment.md "Batch launch"): many runs' submit files
 * become a few submit descriptions, each submitted by ONE condor_submit as one cluster with one proc
 * per run (`queue <vars> from (...)`). Multiple `queue` statements in one file are deprecated in
 * HTCondor 23 (removed in 24) and start a new cluster whenever the executable changes, so they are
 * not used.
 *
 * How: each run's own submit text (the same text its job dir keeps as `<id>.sub`) is turned into a
 * template by replacing the run's own values (run id, job dir, user, project, ...) with submit macros
 * `$(SwampB_<Name>)`. Runs whose templates are identical form one group; the group's description is
 * the template with `queue SwampB_RunId,... from (` one line of values per run `)`. Expanding a run's
 * template with its values gives back its text exactly (checked): a run whose text cannot be
 * templatized safely stays alone in its group (a one-proc cluster, as before). A value is only
 * replaced when it is item-safe (no separator, quote, `$` or `#`; at least 6 characters, so a short
 * value never matches inside the template's own text).
 */
import { SwampError } from '../errors/index.js';
import { parseTerseSubmit, type JobId } from '../htcondor/parse.js';

/** Prefix of our item variables (submit macro names are case-insensitive; this one is ours only). */
export const BATCH_VAR_PREFIX = 'SwampB_';

const ITEM_SAFE = /^[A-Za-z0-9_.@:/+-]{6,200}$/;

export interface BatchRun {
  /** The caller's key for the run (its run id). */
  key: string;
  /** The run's whole submit text, ending in a `queue` line. */
  text: string;
  /** Values to lift out of the text, by short name (e.g. RunId, JobDir, UserId). */
  values: Readonly<Record<string, string>>;
}

export interface BatchGroup {
  /** The description without its queue statement. */
  template: string;
  /** Item variable names (with prefix), in column order. */
  vars: string[];
  /** One per run, in proc order. */
  items: Array<{ key: string; values: string[] }>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces `$(SwampB_X)` by its value (our variables only; anything else is left to HTCondor). */
export function expandItemVars(template: string, vars: readonly string[], values: readonly string[]): string {
  let out = template;
  vars.forEach((v, i) => {
    out = out.replace(new RegExp(`\\$\\(${escapeRegExp(v)}\\)`, 'g'), values[i] ?? '');
  });
  return out;
}

/** Drops the final `queue` line (the only queue statement our submit files have). */
export function withoutQueue(text: string): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  const last = lines[lines.length - 1]?.trim();
  if (last !== 'queue') throw new SwampError('internal', 'a submit text for a batch must end with a plain queue statement');
  lines.pop();
  if (lines.some((l) => /^\s*queue\b/i.test(l))) throw new SwampError('internal', 'a submit text for a batch must have exactly one queue statement');
  return `${lines.join('\n')}\n`;
}

/**
 * One run's template: its values replaced by item variables, longest value first. Values that are not
 * item-safe stay literal (their run then only groups with runs sharing that value).
 */
export function templatize(run: BatchRun): { template: string; vars: string[]; values: string[] } {
  const body = withoutQueue(run.text);
  if (body.includes(`$(${BATCH_VAR_PREFIX}`)) return { template: body, vars: [], values: [] };
  const entries = Object.entries(run.values)
    .filter(([, v]) => ITEM_SAFE.test(v))
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  let template = body;
  const used: Array<[string, string]> = [];
  for (const [name, value] of entries) {
    if (!template.includes(value)) continue;
    const v = `${BATCH_VAR_PREFIX}${name}`;
    template = template.split(value).join(`$(${v})`);
    used.push([v, value]);
  }
  // Column order by name, so runs with the same template have the same columns.
  used.sort((a, b) => a[0].localeCompare(b[0]));
  const vars = used.map(([v]) => v);
  const values = used.map(([, x]) => x);
  if (expandItemVars(template, vars, values) !== body) return { template: body, vars: [], values: [] };
  return { template, vars, values };
}

/** Groups runs by template; groups and items keep the runs' order. Pure. */
export function groupBatch(runs: readonly BatchRun[]): BatchGroup[] {
  const byTemplate = new Map<string, BatchGroup>();
  const groups: BatchGroup[] = [];
  for (const r of runs) {
    const t = templatize(r);
    const k = `${t.vars.join(',')}\n${t.template}`;
    let g = t.vars.length === 0 ? undefined : byTemplate.get(k);
    if (g === undefined) {
      g = { template: t.template, vars: t.vars, items: [] };
      groups.push(g);
      if (t.vars.length > 0) byTemplate.set(k, g);
    }
    g.items.push({ key: r.key, values: t.values });
  }
  return groups;
}

/** The group's submit description: template + one `queue ... from (...)` statement (or a plain `queue`). */
export function batchDescription(g: BatchGroup): string {
  if (g.items.length === 0) throw new SwampError('internal', 'empty batch group');
  if (g.vars.length === 0) {
    if (g.items.length !== 1) throw new SwampError('internal', 'a group without item variables holds exactly one run');
    return `${g.template}queue\n`;
  }
  const rows = g.items.map((it) => {
    if (it.values.length !== g.vars.length || it.values.some((v) => !ITEM_SAFE.test(v))) throw new SwampError('internal', `batch item ${it.key} does not fit its group`);
    return it.values.join(',');
  });
  return `${g.template}queue ${g.vars.join(',')} from (\n${rows.join('\n')}\n)\n`;
}

/**
 * `condor_submit -terse` output of one description (`<c>.<first> - <c>.<last>`, one cluster) to the
 * job of each item, in item order. Anything else than exactly `count` procs is an error: the caller
 * then cannot tell which run got which job and falls back to the exact lookup by SWAMP id.
 */
export function parseBatchSubmit(stdout: string, count: number): JobId[] {
  const ranges = parseTerseSubmit(stdout);
  const jobs: JobId[] = [];
  for (const r of ranges) for (let p = r.firstProc; p <= r.lastProc; p++) jobs.push({ cluster: r.cluster, proc: p });
  if (jobs.length !== count) throw new SwampError('external', `condor_submit reported ${jobs.length} job(s) for ${count} run(s)`, { stdout: stdout.slice(0, 200) });
  return jobs;
}

/** Splits items so that each chunk's clauses (joined with ` || `) stay under maxChars. Pure. */
export function chunkByLength<T>(items: readonly T[], clauseLength: (t: T) => number, maxChars: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let len = 0;
  for (const it of items) {
    const l = clauseLength(it) + 4;
    if (cur.length > 0 && len + l > maxChars) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(it);
    len += l;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
