/**
 * The decisions of a launch request, pure over what the collector and the queue said (legacy
 * vmu_launchviewer.pl doViewerVM steps 2-4, mirswamp/services perl/agents/lib/SWAMP/vmu_ViewerSupport.pm getViewerStateFromClassAd; the double-launch race of mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM, vmu_AgentMonitor.pl _launchViewer).
 *
 * Launch decision, taken while holding the per project+viewer lock (lock.ts), so no other launcher
 * can be between its look and its condor_submit:
 *
 * | job with SWAMP_vrun_execrunuid in the queue      | collector ad (exact Name)   | decision                  |
 * |--------------------------------------------------|-----------------------------|---------------------------|
 * | idle / running / held / transferring (1,2,5,6,7) | any (TERMINATE_FAILED too)  | running: no launch        |
 * | removed or completed, still leaving (3,4)        | any                         | wait until it has left    |
 * | none                                             | none, or state 0,-3,-5,-7,-8 | launch                   |
 * | none                                             | 1, 2, -1, -6                | launch (the ad is stale)  |
 *
 * The queue, not the ad, says whether a viewer exists: the legacy launched a twin next to a
 * TERMINATE_FAILED viewer that was still running, and an ad can outlive its job by up to 15 minutes
 * (a launcher or monitor that died). A progress/ready ad with no job behind it blocks nothing here.
 */
import { ViewerState, ViewerStatus } from '../status/index.js';

/** What the collector holds for `vrun_<project>_<viewer>` (strings as advertised). */
export interface ViewerAd {
  state: number | undefined;
  status: string | undefined;
  vmip: string | undefined;
  apikey: string | undefined;
  urluuid: string | undefined;
}

export interface QueuedJob {
  cluster: number;
  proc: number;
  /** 1 idle, 2 running, 3 removed, 4 completed, 5 held, 6 transferring output, 7 suspended. */
  jobStatus: number | undefined;
}

export type LaunchDecision =
  | { action: 'launch'; reason: string }
  | { action: 'running'; reason: string; job: QueuedJob }
  | { action: 'wait'; reason: string; job: QueuedJob };

const REMOVED = 3;
const COMPLETED = 4;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The viewer fields of a collector ad (condor_status -json); a missing/`null` field is undefined. */
export function readViewerAd(ad: Readonly<Record<string, unknown>> | undefined): ViewerAd | undefined {
  if (ad === undefined) return undefined;
  const field = (k: string): string | undefined => {
    const v = str(ad[k]);
    return v === undefined || v === 'null' ? undefined : v;
  };
  const s = field('SWAMP_vmu_viewer_state');
  const n = s === undefined ? Number.NaN : Number.parseInt(s, 10);
  return {
    state: Number.isFinite(n) ? n : undefined,
    status: field('SWAMP_vmu_viewer_status'),
    vmip: field('SWAMP_vmu_viewer_vmip'),
    apikey: field('SWAMP_vmu_viewer_apikey'),
    urluuid: field('SWAMP_vmu_viewer_url_uuid'),
  };
}

export function decideLaunch(ad: ViewerAd | undefined, jobs: readonly QueuedJob[]): LaunchDecision {
  const live = jobs.find((j) => j.jobStatus !== REMOVED && j.jobStatus !== COMPLETED);
  if (live !== undefined) {
    return { action: 'running', reason: `viewer job ${live.cluster}.${live.proc} is in the queue (JobStatus ${live.jobStatus ?? '?'}; ad state ${ad?.state ?? 'none'})`, job: live };
  }
  const leaving = jobs[0];
  if (leaving !== undefined) return { action: 'wait', reason: `viewer job ${leaving.cluster}.${leaving.proc} is leaving the queue (JobStatus ${leaving.jobStatus ?? '?'})`, job: leaving };
  if (ad === undefined || ad.state === undefined) return { action: 'launch', reason: 'no viewer ad and no viewer job' };
  if (ad.state === ViewerState.Ready || ad.state === ViewerState.Launching || ad.state === ViewerState.Stopping || ad.state === ViewerState.Terminating) {
    return { action: 'launch', reason: `stale ad (state ${ad.state}, "${ad.status ?? ''}") with no viewer job in the queue` };
  }
  return { action: 'launch', reason: `viewer state ${ad.state} and no viewer job` };
}

/** Where the viewer's API is, once it is up. */
export interface ViewerEndpoint {
  vmip: string;
  apikey: string;
  urluuid: string;
}

export type UploadWait =
  | { action: 'ready'; endpoint: ViewerEndpoint }
  | { action: 'poll' }
  | { action: 'give-up'; reason: string };

/**
 * One step of the wait before the upload (legacy uploadResults): READY with the status `Viewer is up`
 * -> upload (the legacy reader returned the address only for that exact text); LAUNCHING (or READY
 * with another text) -> poll again; anything else -> the viewer is being stopped: give up.
 */
export function uploadWaitStep(ad: ViewerAd | undefined): UploadWait {
  if (ad === undefined || ad.state === undefined) return { action: 'give-up', reason: 'no viewer ad' };
  if (ad.state === ViewerState.Ready && ad.status === ViewerStatus.ViewerIsUp) {
    if (ad.vmip === undefined || ad.apikey === undefined || ad.urluuid === undefined) return { action: 'give-up', reason: 'viewer is up but its ad has no address, apikey or url uuid' };
    return { action: 'ready', endpoint: { vmip: ad.vmip, apikey: ad.apikey, urluuid: ad.urluuid } };
  }
  if (ad.state === ViewerState.Launching || ad.state === ViewerState.Ready) return { action: 'poll' };
  return { action: 'give-up', reason: `viewer state ${ad.state} ("${ad.status ?? ''}"): being stopped or failed` };
}

/**
 * The package archive uploaded with the results (legacy uploadResults): only with a package type
 * other than 3 (Java bytecode) and a source archive; `.zip` as it is, anything else re-zipped.
 */
export function archivePlan(packageType: string | undefined, archive: string | undefined): 'none' | 'as-is' | 'rezip' {
  if (packageType === undefined || packageType === '3' || archive === undefined) return 'none';
  return /\.zip$/.test(archive) ? 'as-is' : 'rezip';
}

/** `http://` on the local platform (plain HTTP on 127.0.0.1:<port>), else the viewer's https. */
export function viewerBaseUrl(vmip: string, urluuid: string, local: boolean): string {
  return `${local ? 'http' : 'https'}://${vmip}/${encodeURIComponent(urluuid)}/api`;
}
