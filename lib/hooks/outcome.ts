/**
 * The end of an assessment run (mirswamp/services perl/agents/vmu_PostAssessment.pl), pure: status.out facts plus
 * "results preserved" and "saved in the DB" -> final status text, HTCondor exit code, complete_flag.
 *
 * Retry arithmetic. The submit file says `max_retries = R`, `periodic_release` while
 * `NumJobStarts <= R && PostExitCode == 5`. The hook sees n = NumJobStarts as expanded at job start
 * (0 on the first start), so a run may start R + 1 times and `R - n` retries remain.
 * Legacy defects fixed here (mirswamp/services perl/agents/vmu_PostAssessment.pl, docs/hooks.md):
 *   - the legacy exited 5 ("please retry") even when no retry remained, so HTCondor removed the job
 *     through periodic_remove instead of letting it complete; here exit 5 only when a retry remains;
 *   - with n > R the legacy printed "Will retry -1 time" and never set complete_flag; here a run with
 *     no retry left is simply final (plain "Finished with Errors", complete_flag = 1).
 */
import { parseStatusOut } from '../native/status-out.js';
import { AssessmentStatus, retrySuffix } from '../status/catalogue.js';

/** The PostCmd exit code that asks HTCondor to run the job again (HTCONDOR_POSTSCRIPT_EXIT). */
export const RETRY_EXIT_CODE = 5;

export interface StatusOutFacts {
  /** status.out was found and read. */
  found: boolean;
  /**
   * framework_said_pass, as the legacy: the last `PASS: all`/`FAIL: all` line says PASS. Other `FAIL:`
   * lines and a `NOTE: retry` do not change it (a retry is only acted on when the run did not pass).
   */
  pass: boolean;
  retry: boolean;
  /** `parse-results (weaknesses: N)`; undefined when absent. */
  weaknesses: number | undefined;
  /** First task with `FAIL:`, null when none (status_out_error_msg, NULL as the legacy's undef). */
  firstFailure: string | null;
  /** Finished with Warnings: no-build with more source files than compilable, or assess skipped for no files. */
  warning: boolean;
}

/** Facts of a status.out text (undefined = no status.out). */
export function statusOutFacts(text: string | undefined): StatusOutFacts {
  if (text === undefined) return { found: false, pass: false, retry: false, weaknesses: undefined, firstFailure: null, warning: false };
  const { meta } = parseStatusOut(text);
  // mirswamp/services perl/agents/vmu_PostAssessment.pl: $framework_said_pass = meta all_pass, nothing
  // else; the warnings are no-build with more source files than compilable, else any `SKIP: assess`.
  const pass = meta.allPass === true;
  const noBuildWarning = meta.noBuild === true && (meta.sourceFiles ?? 0) > (meta.compilable ?? 0);
  const noFilesWarning = meta.noFiles === true;
  return {
    found: true,
    pass,
    retry: meta.retry === true,
    weaknesses: meta.weaknesses === undefined ? undefined : Number(meta.weaknesses),
    firstFailure: meta.firstFailure ?? null,
    warning: pass && (noBuildWarning || noFilesWarning),
  };
}

export interface FinalDecision {
  status: string;
  exitCode: 0 | typeof RETRY_EXIT_CODE;
  /** complete_flag = 1 (and the completion notification) when no retry follows. */
  complete: boolean;
  retriesRemaining: number;
}

export function finalDecision(o: {
  facts: StatusOutFacts;
  haveResults: boolean;
  savedInDb: boolean;
  numJobStarts: number;
  maxRetries: number;
}): FinalDecision {
  const ok = o.facts.pass && o.haveResults && o.savedInDb;
  if (ok) {
    return { status: o.facts.warning ? AssessmentStatus.FinishedWithWarnings : AssessmentStatus.Finished, exitCode: 0, complete: true, retriesRemaining: 0 };
  }
  const remaining = o.facts.retry ? Math.max(0, o.maxRetries - o.numJobStarts) : 0;
  if (remaining === 0) return { status: AssessmentStatus.FinishedWithErrors, exitCode: 0, complete: true, retriesRemaining: 0 };
  // As the legacy: the ` retry(n/R)` suffix only from the second start on (empty when n = 0), so the
  // first failure reads `Finished with Errors - Will retry R times`.
  const status = `${AssessmentStatus.FinishedWithErrors}${retrySuffix(o.numJobStarts, o.maxRetries)} - Will retry ${remaining} time${remaining > 1 ? 's' : ''}`;
  return { status, exitCode: RETRY_EXIT_CODE, complete: false, retriesRemaining: remaining };
}
