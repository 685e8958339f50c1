/**
 * Parsers for HTCondor tool output and job ids, and the failure classifier. Pure: no I/O.
 * Formats recorded from the real pool are replayed by test/unit/htcondor (fixtures in test/fixtures/htcondor).
 */
import type { FailureKind } from '../errors/index.js';
import { SwampError } from '../errors/index.js';
import { unquoteLiteral } from './classad.js';

/** A value in a parsed ad: JSON scalars, nested lists/ads, or an unevaluated expression. */
export type AdValue = string | number | boolean | null | { readonly expr: string } | readonly AdValue[] | { readonly [k: string]: AdValue };
export type Ad = Readonly<Record<string, AdValue>>;

const EXPR = /^\/Expr\(([\s\S]*)\)\/$/;

/**
 * `condor_q/condor_history/condor_status -json` output -> ads. Empty output (condor_q and condor_status
 * print nothing when nothing matches) and `[\n]` (condor_history) are both "no ads". Several arrays back to
 * back (seen with -global) are concatenated. Attributes that are expressions, printed by HTCondor as
 * "\/Expr(...)\/", become `{ expr }`.
 */
export function parseJsonAds(stdout: string): Ad[] {
  const text = stdout.trim();
  if (text === '') return [];
  const chunks = text.startsWith('[') ? splitArrays(text) : [text];
  const out: Ad[] = [];
  for (const chunk of chunks) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(chunk, reviveExpr);
    } catch (e) {
      throw new SwampError('external', `unparsable HTCondor JSON output: ${(e as Error).message}`, { sample: chunk.slice(0, 200) });
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const ad of list) {
      if (typeof ad !== 'object' || ad === null || Array.isArray(ad)) {
        throw new SwampError('external', 'HTCondor JSON output is not a list of ads', { sample: chunk.slice(0, 200) });
      }
      out.push(ad as Ad);
    }
  }
  return out;
}

// JSON.parse's third reviver argument (source text of primitives) is in Node >= 21 but not in TS's lib yet.
type ReviverContext = { source?: string } | undefined;

function reviveExpr(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'string') return value;
  const m = EXPR.exec(value);
  if (m === null) return value;
  // With the source text we can tell HTCondor's "\/Expr(" marker from a string that merely reads "/Expr(".
  if (context?.source !== undefined && !context.source.startsWith('"\\/Expr(')) return value;
  return { expr: m[1] ?? '' };
}

/** Splits `[...]\n[...]` into top-level arrays, respecting strings. */
function splitArrays(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) parts.push(text.slice(start, i + 1));
    }
  }
  if (depth !== 0 || inString) parts.push(text.slice(start)); // let JSON.parse report the truncation
  return parts;
}

// ---- typed accessors ---------------------------------------------------------------------------

export function adString(ad: Ad, attr: string): string | undefined {
  const v = ad[attr];
  return typeof v === 'string' ? v : undefined;
}

export function adNumber(ad: Ad, attr: string): number | undefined {
  const v = ad[attr];
  return typeof v === 'number' ? v : undefined;
}

// ---- job ids -----------------------------------------------------------------------------------

/** A job: cluster.proc, qualified by the schedd that holds it when known. */
export interface JobId {
  readonly schedd?: string;
  readonly cluster: number;
  readonly proc: number;
}

/** `123.0` (proc defaults to 0 for a bare cluster) or a GlobalJobId `schedd#123.0#qdate`. */
export function parseJobId(text: string): JobId | undefined {
  const t = text.trim();
  const g = /^(.+)#(\d+)\.(\d+)#\d+$/.exec(t);
  if (g) return { schedd: g[1] as string, cluster: Number(g[2]), proc: Number(g[3]) };
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (m) return { cluster: Number(m[1]), proc: m[2] === undefined ? 0 : Number(m[2]) };
  return undefined;
}

/** `cluster.proc`, the form every tool accepts. */
export function formatJobId(id: JobId): string {
  return `${id.cluster}.${id.proc}`;
}

/** The job id of an ad (GlobalJobId when present, so the schedd is kept). */
export function jobIdOfAd(ad: Ad): JobId | undefined {
  const g = adString(ad, 'GlobalJobId');
  if (g !== undefined) {
    const id = parseJobId(g);
    if (id) return id;
  }
  const c = adNumber(ad, 'ClusterId');
  const p = adNumber(ad, 'ProcId');
  return c === undefined || p === undefined ? undefined : { cluster: c, proc: p };
}

export interface TerseSubmit {
  cluster: number;
  firstProc: number;
  lastProc: number;
}

/**
 * `condor_submit -terse` prints one `C.P0 - C.Pn` line per cluster (dry-run prints the ad first, so the
 * last matching line counts). Returns the clusters in order.
 */
export function parseTerseSubmit(stdout: string): TerseSubmit[] {
  const out: TerseSubmit[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\d+)\.(\d+) - (\d+)\.(\d+)$/.exec(line.trim());
    if (m && m[1] === m[3]) out.push({ cluster: Number(m[1]), firstProc: Number(m[2]), lastProc: Number(m[4]) });
  }
  return out;
}

/**
 * The old-syntax `Attr=value` lines `condor_submit -dry-run -` prints: raw expression text per attribute,
 * plus the decoded string for string literals.
 */
export function parseLongAd(text: string): { raw: Record<string, string>; strings: Record<string, string> } {
  const rawAttrs: Record<string, string> = {};
  const strings: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*=\s?(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1] as string;
    const value = m[2] as string;
    rawAttrs[name] = value;
    const s = unquoteLiteral(value);
    if (s !== undefined) strings[name] = s;
  }
  return { raw: rawAttrs, strings };
}

// ---- condor_submit messages --------------------------------------------------------------------

/** `ERROR: ...` and `WARNING: ...` lines of condor_submit (stderr, sometimes glued to stdout text). */
export function submitMessages(text: string): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const e = line.indexOf('ERROR');
    const w = line.indexOf('WARNING');
    if (e >= 0 && (w < 0 || e < w)) {
      errors.push(line.slice(e).replace(/^ERROR:?\s*/, '').trim());
      current = errors;
    } else if (w >= 0) {
      warnings.push(line.slice(w).replace(/^WARNING:?\s*/, '').trim());
      current = warnings;
    } else if (current !== undefined && line.trim() !== '' && !/^\d+\.\d+ - \d+\.\d+$/.test(line.trim())) {
      // continuation lines ("Please specify vm_memory ...") belong to the message before them
      const last = current.length - 1;
      current[last] = `${current[last] ?? ''} ${line.trim()}`.trim();
    } else {
      current = undefined;
    }
  }
  return { errors, warnings };
}

// ---- condor_rm output --------------------------------------------------------------------------

export type RemoveLineOutcome = 'removed' | 'not-found' | 'already-marked' | 'denied';

/** Per-job lines of condor_rm (dc_schedd.cpp JobActionResults): `Job N.M <outcome>`. */
export function parseRemoveLines(text: string): Array<{ job: JobId; outcome: RemoveLineOutcome }> {
  const out: Array<{ job: JobId; outcome: RemoveLineOutcome }> = [];
  for (const line of text.split('\n')) {
    const m = /Job (\d+)\.(\d+) (marked for removal|not found|already marked for removal)/.exec(line)
      ?? /Permission denied to remove job (\d+)\.(\d+)/.exec(line);
    if (!m) continue;
    const job = { cluster: Number(m[1]), proc: Number(m[2]) };
    const what = m[3];
    const outcome: RemoveLineOutcome =
      what === undefined ? 'denied' : what === 'marked for removal' ? 'removed' : what === 'not found' ? 'not-found' : 'already-marked';
    out.push({ job, outcome });
  }
  return out;
}

// ---- failure classification -------------------------------------------------------------------

const BUSY = [
  /Failed to fetch ads/i,
  /Can't find address/i,
  /Unable to locate/i,
  /couldn't locate/i,
  /Failed to connect/i,
  /connect(ion)? (to .* )?(refused|timed out|failed)/i,
  /SECMAN:2007/,
  /Timeout/i,
  /timed out/i,
  /Failed to end classad message/i,
  /Unable to contact/i,
  /Failed to send/i,
  /Collector has no record of schedd/i,
  /Couldn't contact/i,
  /communication error/i,
];
const DENIED = [/PERMISSION DENIED/i, /not authorized/i, /AUTHENTICATE/, /DENIED/, /Permission denied/i];
const NOT_FOUND = [/not found/i, /There are no jobs in the queue/i, /No such file/i];
const ALREADY = [/already marked for removal/i, /already (in|been)/i];

/**
 * Kind of an HTCondor tool failure from its output. Order matters: an authentication failure often also
 * says "Failed to connect", so denied is checked first; busy beats not-found ("Unable to locate" a
 * daemon is an unreachable pool, not a missing job).
 */
export function classifyFailure(stderr: string, stdout = ''): FailureKind {
  const text = `${stderr}\n${stdout}`;
  if (DENIED.some((r) => r.test(text))) return 'denied';
  if (BUSY.some((r) => r.test(text))) return 'busy';
  if (ALREADY.some((r) => r.test(text))) return 'already-done';
  if (NOT_FOUND.some((r) => r.test(text))) return 'not-found';
  return 'external';
}
