/**
 * The ordering rules of a run's statuses, pure: which statuses end a run for good ("terminal"), and
 * whether a status may replace the one a run has now. Every path that writes a status on recovery or
 * replay asks here (the outbox, the launcher's recovery, the kill), so a late or replayed write never
 * moves a run backwards.
 */
import { createHash } from 'node:crypto';
import { AssessmentStatus } from '../status/catalogue.js';

/**
 * Terminal: Finished, Finished with Warnings, Finished with Errors (not `... - Will retry n times`,
 * which a later start replaces) and Terminated. Kill outcomes that leave a doubt (Terminate Status
 * Unknown, Terminate Failed) are not terminal: a retried kill replaces them.
 */
export function isTerminalStatus(s: string | null | undefined): boolean {
  if (s === undefined || s === null) return false;
  if (s === AssessmentStatus.Terminated) return true;
  return s.startsWith('Finished') && !s.includes('Will retry');
}

/**
 * May `next` replace `current`? Always while the run is not terminal; once terminal, only by the same
 * text (a harmless rewrite) or by `Terminated` of a kill that removed the run's job (`byKill`): the
 * final status after a kill is Terminated whichever of the kill and the post hook finishes first.
 */
export function mayReplaceStatus(current: string | null | undefined, next: string, opts: { byKill?: boolean } = {}): boolean {
  if (!isTerminalStatus(current)) return true;
  if (current === next) return true;
  return opts.byKill === true && next === AssessmentStatus.Terminated;
}

/**
 * The assessment_result uuid of a run's n-th start, derived from the run (a name-based, version-5
 * style uuid of `<execrunuid>/<numjobstarts>`): a PostAssessment that is replayed, re-run by HTCondor
 * or run by a duplicate job records the same row, so the insert is idempotent by its primary key.
 */
export function resultUuidFor(execrunuid: string, numJobStarts: number): string {
  const h = createHash('sha1').update(`swamp-backend assessment_result ${execrunuid}/${numJobStarts}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
