/**
 * Run ids this program launches and the names derived from them (legacy vmu_Support.pm isMetricRun,
 * construct_vmhostname, constructJobDirName). Pure.
 *
 * Only assessment runs (`<uuid>`) and metric runs (`M-<uuid>`) are launched here; viewer runs
 * (`vrun_…`) belong to launchviewer and are refused, as are malformed or hostile ids: the id reaches
 * file names in the run directory, a ClassAd constraint and a submit file, so it is checked against
 * lib/cli's allowlists before anything else happens.
 */
import { ValidationError } from '../errors/index.js';
import { isJobDirName } from '../submission/queue.js';
import { describeValue, MAX_ID_LENGTH, validateAssessmentRunId, validateMetricRunId } from '../cli/ids.js';

export type LaunchKind = 'assessment' | 'metric';

export interface LaunchId {
  id: string;
  kind: LaunchKind;
}

/** Validates an execrunid given to execute_execution_record / --runid. Throws ValidationError. */
export function parseLaunchId(value: unknown): LaunchId {
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) {
    try {
      if (value.startsWith('M-')) return { id: validateMetricRunId(value), kind: 'metric' };
      return { id: validateAssessmentRunId(value), kind: 'assessment' };
    } catch {
      /* fall through to the one message below */
    }
  }
  throw new ValidationError(`invalid execution record uuid: ${describeValue(value)} (expected <uuid> or M-<uuid>)`, {
    length: typeof value === 'string' ? value.length : undefined,
  });
}

export function launchKind(id: string): LaunchKind {
  return id.startsWith('M-') ? 'metric' : 'assessment';
}

/** `aswamp` for assessments, `mswamp` for metric runs: job dir prefix, vmhostname placeholder. */
export function jobType(id: string): 'aswamp' | 'mswamp' {
  return launchKind(id) === 'metric' ? 'mswamp' : 'aswamp';
}

/** HTCondor priority: assessments 0, metric runs -10 (viewers, elsewhere, +10). */
export function jobPriority(id: string): number {
  return launchKind(id) === 'metric' ? -10 : 0;
}

/** The job ad attribute carrying the id: `SWAMP_arun_execrunuid` or `SWAMP_mrun_execrunuid`. */
export function idAttribute(id: string): 'SWAMP_arun_execrunuid' | 'SWAMP_mrun_execrunuid' {
  return launchKind(id) === 'metric' ? 'SWAMP_mrun_execrunuid' : 'SWAMP_arun_execrunuid';
}

/** `<aswamp|mswamp>_<UUID>` with an uppercase uuid, as Data::UUID's create_str made it. */
export function jobDirName(id: string, uuid: string): string {
  const name = `${jobType(id)}_${uuid.toUpperCase()}`;
  if (!isJobDirName(name)) throw new ValidationError(`invalid job directory name ${describeValue(name)}`);
  return name;
}
