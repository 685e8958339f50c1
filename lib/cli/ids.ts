/**
 * Validation of the ids the DB and administrators pass in (docs/cli-conventions.md). Each validator is an
 * allowlist: hex uuids in the forms MySQL `uuid()` (lowercase) and Data::UUID (uppercase) produce,
 * `M-<uuid>` metric runs, `vrun_<project uuid>_<viewer>` viewer runs and plain viewer names. Anything
 * else (shell metacharacters, quotes, regex characters, whitespace, control characters, overlong
 * input) is refused with a ValidationError before it can reach a ClassAd constraint, a path or a log
 * line. Values are returned unchanged: lookups are exact equality on what the DB stored.
 */
import { ValidationError } from '../errors/index.js';

/** Longest value a validator even looks at (the DB columns are VARCHAR(45)/VARCHAR(100)). */
export const MAX_ID_LENGTH = 128;

const UUID_BODY = '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})';
const VIEWER_BODY = '[A-Za-z][A-Za-z0-9-]{0,63}';
const UUID_RE = new RegExp(`^${UUID_BODY}$`);
const METRIC_RE = new RegExp(`^M-${UUID_BODY}$`);
const VIEWER_RE = new RegExp(`^${VIEWER_BODY}$`);
const VRUN_RE = new RegExp(`^vrun_(${UUID_BODY})_(${VIEWER_BODY})$`);

/** Quoted, truncated copy of a rejected value: safe in a message and a JSON log line. */
export function describeValue(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}

function check(re: RegExp, value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || !re.test(value)) {
    throw new ValidationError(`invalid ${what}: ${describeValue(value)}`, { what, length: typeof value === 'string' ? value.length : undefined });
  }
  return value;
}

export function isUuid(value: string): boolean {
  return value.length <= MAX_ID_LENGTH && UUID_RE.test(value);
}

/** An assessment run (execution_record_uuid): a uuid, all lowercase or all uppercase hex. */
export function validateAssessmentRunId(value: unknown): string {
  return check(UUID_RE, value, 'assessment run uuid');
}

/** A metric run: `M-<uuid>`. */
export function validateMetricRunId(value: unknown): string {
  return check(METRIC_RE, value, 'metric run id');
}

/** A project uuid. */
export function validateProjectId(value: unknown): string {
  return check(UUID_RE, value, 'project uuid');
}

/** A viewer name (CodeDX, ThreadFix, Native): letters, digits and '-', no '_' (it separates vrun fields). */
export function validateViewerName(value: unknown): string {
  return check(VIEWER_RE, value, 'viewer name');
}

/** `vrun_<project uuid>_<viewer>`; returns its parts. */
export function parseViewerRunId(value: unknown): { id: string; project: string; viewer: string } {
  const id = check(VRUN_RE, value, 'viewer run id');
  const m = VRUN_RE.exec(id) as RegExpExecArray;
  return { id, project: m[1] as string, viewer: m[2] as string };
}

export function viewerRunId(project: string, viewer: string): string {
  return `vrun_${validateProjectId(project)}_${validateViewerName(viewer)}`;
}

export type RunId =
  | { type: 'arun-or-project'; id: string } // a bare uuid: an assessment run, or a project for a viewer kill
  | { type: 'mrun'; id: string }
  | { type: 'vrun'; id: string; project: string; viewer: string };

/**
 * Any id kill_run / the monitor may receive: a uuid (assessment run, or a project whose viewer is
 * meant), `M-<uuid>` or `vrun_<uuid>_<viewer>`.
 */
export function parseRunId(value: unknown): RunId {
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) {
    if (UUID_RE.test(value)) return { type: 'arun-or-project', id: value };
    if (METRIC_RE.test(value)) return { type: 'mrun', id: value };
    if (VRUN_RE.test(value)) return { type: 'vrun', ...parseViewerRunId(value) };
  }
  throw new ValidationError(`invalid run id: ${describeValue(value)}`, { what: 'run id' });
}
