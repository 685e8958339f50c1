/**
 * Status string catalogue (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl, mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm, mirswamp/swamp-web-server app/Services/HTCondorCollector.php) [COMPAT].
 *
 * The web application shows these strings verbatim (it replaces the DB status by the collector status
 * for every run that has an ad) and compares some of them exactly ("Viewer is up"), so every text here
 * is byte-for-byte the legacy one, including the odd ones (trailing space in "Unable to Start ",
 * "Viewer Machine Failed" for assessments). Pure: no I/O.
 */

// ---------------------------------------------------------------------------------------------------
// Assessment / metric runs
// ---------------------------------------------------------------------------------------------------

/** Fixed assessment/metric status texts, by who writes them (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm). */
export const AssessmentStatus = {
  // calldorun (execute_execution_record)
  SwampOffQueued: 'SWAMP off - Queued',
  SubmitFailedBogQueued: 'HTCondor Submit Failed - BOG Queued',
  SubmitAbortedUuidQueued: 'HTCondor Submit Aborted - UUID Queued',
  // csa agent
  CreatingJob: 'Creating HTCondor job',
  WaitingInQueue: 'Waiting in HTCondor Queue',
  FailedToSubmit: 'Failed to submit to HTCondor',
  PreemptedWaiting: 'Preempted - Waiting in HTCondor Queue',
  // PreAssessment (+ retry suffix). The trailing space is legacy and visible: 'Unable to Start ' + sfx.
  UnableToStart: 'Unable to Start ',
  StartingVm: 'Starting virtual machine',
  StartingDocker: 'Starting docker container',
  // MonitorAssessment (+ retry suffix)
  StartingRunScript: 'Starting assessment run script',
  WroteIpAddress: 'Wrote ip address',
  ObtainingIp: 'Obtaining Assessment Machine IP Address',
  PerformingAssessment: 'Performing assessment',
  CheckingConnectedUsers: 'Checking for connected users',
  ShuttingDownMachine: 'Shutting down the assessment machine',
  VmReset: 'vm reset',
  VmShutdown: 'vm shutdown',
  VmResetFailed: 'vm reset failed',
  VmShutdownFailed: 'vm shutdown failed',
  // PostAssessment (+ retry suffix)
  Extracting: 'Extracting assessment results',
  FailedToExtract: 'Failed to extract assessment results',
  PostProcessing: 'Post-Processing',
  FailedToPreserveData: 'Failed to preserve assessment data',
  FailedToPreserveResults: 'Failed to preserve assessment results',
  SavingResults: 'Saving Results',
  FailedToSave: 'Failed to save assessment results in database',
  // PostAssessment final (collector and DB)
  Finished: 'Finished',
  FinishedWithWarnings: 'Finished with Warnings',
  FinishedWithErrors: 'Finished with Errors',
  // killrun
  Terminating: 'Terminating',
  Terminated: 'Terminated',
  TerminateStatusUnknown: 'Terminate Status Unknown',
  TerminateFailed: 'Terminate Failed',
} as const;
export type AssessmentStatusText = (typeof AssessmentStatus)[keyof typeof AssessmentStatus];

/** DB-only statuses written by SQL (never advertised), listed so code and tests can recognise them. */
export const AssessmentDbOnlyStatus = {
  WaitingToStart: 'WAITING TO START',
  SubmittingToHtcondor: 'SUBMITTING TO HTCONDOR',
  FailedToLaunch: 'Failed to launch',
  FailureToIncrementLaunchCounter: 'FAILURE TO INCREMENT LAUNCH COUNTER',
} as const;

/** Statuses that end a run (written with completion_date): the web stops polling on them. */
export const ASSESSMENT_FINAL_STATUSES: readonly string[] = [
  AssessmentStatus.SwampOffQueued,
  AssessmentStatus.SubmitFailedBogQueued,
  AssessmentStatus.Finished,
  AssessmentStatus.FinishedWithWarnings,
  AssessmentStatus.FinishedWithErrors,
  AssessmentStatus.Terminated,
  AssessmentStatus.TerminateStatusUnknown,
  AssessmentStatus.TerminateFailed,
];

/**
 * Retry suffix ` retry(<n>/<R>)`, appended to hook statuses when the job has started before
 * (NumJobStarts > 0). Empty string on the first start, as in getStandardParameters.
 */
export function retrySuffix(numJobStarts: number, maxRetries: number): string {
  return numJobStarts > 0 ? ` retry(${numJobStarts}/${maxRetries})` : '';
}

/** `<text>` + retry suffix. */
export function withRetry(text: string, numJobStarts: number, maxRetries: number): string {
  return text + retrySuffix(numJobStarts, maxRetries);
}

/** Local date-time as Perl strftime("%Y-%m-%d %H:%M:%S", localtime(t)). */
export function formatLocalDateTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * `Viewer Machine Failed - <start> <now> (<secs>)`: advertised by both monitors while no event has
 * arrived (sic "Viewer" for assessments too). Seconds are whole seconds as Perl time() differences.
 */
export function machineFailedStatus(startMs: number, nowMs: number): string {
  const secs = Math.floor(nowMs / 1000) - Math.floor(startMs / 1000);
  return `Viewer Machine Failed - ${formatLocalDateTime(startMs)} ${formatLocalDateTime(nowMs)} (${secs})`;
}

// ---------------------------------------------------------------------------------------------------
// Viewers
// ---------------------------------------------------------------------------------------------------

/** Viewer states (services:vmu_ViewerSupport.pm; web ViewerInstance.php). Advertised as quoted strings. */
export const ViewerState = {
  NoRecord: 0,
  Launching: 1,
  Ready: 2,
  Stopping: -1,
  Shutdown: -3,
  Error: -5,
  Terminating: -6,
  Terminated: -7,
  TerminateFailed: -8,
} as const;
export type ViewerStateValue = (typeof ViewerState)[keyof typeof ViewerState];

/** The web's names for the states (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm table, "Web name"). */
export const VIEWER_STATE_NAMES: Readonly<Record<ViewerStateValue, string>> = {
  0: 'no record',
  1: 'launching',
  2: 'ready',
  [-1]: 'stopping',
  [-3]: 'shutdown',
  [-5]: 'error',
  [-6]: 'terminating',
  [-7]: 'terminated',
  [-8]: 'terminate failed',
};

/** Progress states: a launch must not start while the viewer is in one of these (or READY). */
export const VIEWER_PROGRESS_STATES: readonly ViewerStateValue[] = [ViewerState.Launching, ViewerState.Stopping, ViewerState.Terminating];
export const VIEWER_TERMINAL_STATES: readonly ViewerStateValue[] = [
  ViewerState.NoRecord,
  ViewerState.Ready,
  ViewerState.Shutdown,
  ViewerState.Error,
  ViewerState.Terminated,
  ViewerState.TerminateFailed,
];

/** Viewer status texts outside the MonitorViewer word table (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm viewer table). */
export const ViewerStatus = {
  LaunchingViewerVm: 'Launching Viewer VM',
  LaunchViewerError: 'Launch viewer error',
  LaunchingViewer: 'Launching viewer',
  CreatingJob: 'Creating HTCondor job',
  WaitingInQueue: 'Waiting in HTCondor Queue',
  UnableToStartVm: 'Unable to Start VM',
  StartingVm: 'Starting VM',
  StartingDc: 'Starting DC',
  ObtainingIp: 'Obtaining Viewer Machine IP Address',
  ShutdownComplete: 'Viewer shutdown complete',
  StartingShutdown: 'Viewer is starting shutdown',
  ShutdownCompleted: 'Viewer shutdown completed',
  Terminating: 'Terminating',
  Terminated: 'Terminated',
  TerminateStatusUnknown: 'Terminate Status Unknown',
  TerminateFailed: 'Terminate Failed',
  /** The one text the backend compares (getViewerStateFromClassAd): only then address/apikey are used. */
  ViewerIsUp: 'Viewer is up',
} as const;

/** `Viewer did not start - status: <word>` (PostViewer), or `… status: no out/job_events.log`. */
export function viewerDidNotStart(lastWord: string | undefined): string {
  return `Viewer did not start - status: ${lastWord === undefined ? 'no out/job_events.log' : lastWord}`;
}
