/**
 * Builders for the generic ClassAds advertised to the SWAMP collector (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm) [COMPAT].
 *
 * The web reads these ads with `condor_status -any -af:V, …` and the backend with getViewerStateFromClassAd,
 * so attribute names, their order-independent set and the value formats must match the legacy exactly:
 * every value is a ClassAd *string* (the legacy writes `Attr="value"`), including the viewer state
 * (`SWAMP_vmu_viewer_state = "-6"`, a quoted string the web parses with intval). Missing viewer options
 * become the literal string `null`, as Perl's `|| 'null'` does (so an empty string also becomes `null`).
 *
 * The builders are pure and return plain attribute maps (insertion order = legacy order); quoting and
 * escaping for the wire is the publisher's job (lib/htcondor advertise), not ours.
 */
import type { ViewerStateValue } from './catalogue.js';

/** An ad ready for UPDATE_AD_GENERIC: attribute -> string value; `MyType` and `Name` always present. */
export type StatusAd = Readonly<Record<string, string>> & { readonly MyType: 'Generic'; readonly Name: string };

export const ASSESSMENT_AD_ATTRIBUTES = [
  'SWAMP_vmu_assessment_vmhostname',
  'SWAMP_vmu_assessment_status',
  'SWAMP_vmu_assessment_user_uuid',
  'SWAMP_vmu_assessment_projectid',
] as const;

export const VIEWER_AD_ATTRIBUTES = [
  'SWAMP_vmu_viewer_vmhostname',
  'SWAMP_vmu_viewer_state',
  'SWAMP_vmu_viewer_status',
  'SWAMP_vmu_viewer_name',
  'SWAMP_vmu_viewer_vmip',
  'SWAMP_vmu_viewer_apikey',
  'SWAMP_vmu_viewer_user_uuid',
  'SWAMP_vmu_viewer_projectid',
  'SWAMP_vmu_viewer_instance_uuid',
  'SWAMP_vmu_viewer_url_uuid',
] as const;

export interface AssessmentAdInput {
  /** Assessment execution record uuid, or `M-<uuid>` for metric runs: the ad's Name. */
  execrunuid: string;
  /** `aswamp-<cluster>-<proc>` (or the legacy placeholders `aswamp`/`mswamp`/`arun`/empty). */
  vmhostname: string;
  status: string;
  /** User uuid; the legacy passes `null` (string) when the BOG has none. */
  userUuid: string;
  projectId: string;
}

/** updateClassAdAssessmentStatus(execrunuid, vmhostname, user_uuid, projectid, status). */
export function assessmentStatusAd(a: AssessmentAdInput): StatusAd {
  return {
    MyType: 'Generic',
    Name: a.execrunuid,
    SWAMP_vmu_assessment_vmhostname: a.vmhostname,
    SWAMP_vmu_assessment_status: a.status,
    SWAMP_vmu_assessment_user_uuid: a.userUuid,
    SWAMP_vmu_assessment_projectid: a.projectId,
  };
}

/** The options struct of updateClassAdViewerStatus (BOG keys); any missing/empty one becomes `null`. */
export interface ViewerAdOptions {
  vmhostname?: string | undefined;
  viewer?: string | undefined;
  /** `<ip>:8443` as the backend and web use it to reach the viewer. */
  vmip?: string | undefined;
  apikey?: string | undefined;
  userid?: string | undefined;
  projectid?: string | undefined;
  viewer_uuid?: string | undefined;
  /** `proxy-<UUID>`: the web's proxy route. */
  urluuid?: string | undefined;
}

/**
 * The ad options of a viewer job once its BOG exists: what the launcher (legacy AgentMonitor and
 * run-now agent), the viewer hooks and the monitor advertise. vmip is added by whoever knows it.
 */
export function viewerAdOptionsOf(bog: Readonly<Record<string, string>>): ViewerAdOptions {
  return {
    vmhostname: bog.vmhostname,
    viewer: bog.viewer,
    apikey: bog.apikey,
    userid: bog.userid,
    projectid: bog.projectid,
    viewer_uuid: bog.viewer_uuid,
    urluuid: bog.urluuid,
  };
}

/** Name of a viewer ad / its execrunuid: `vrun_<project>_<viewer>`. */
export function viewerExecrunuid(projectUuid: string, viewerName: string): string {
  return `vrun_${projectUuid}_${viewerName}`;
}

// Perl `$x || 'null'`: undefined, empty string and "0" all become 'null'. "0" cannot occur in these
// fields in practice, but reproducing the rule exactly costs nothing.
function orNull(v: string | undefined): string {
  return v === undefined || v === '' || v === '0' ? 'null' : v;
}

/** updateClassAdViewerStatus(execrunuid, state, status, options). */
export function viewerStatusAd(execrunuid: string, state: ViewerStateValue, status: string, options: ViewerAdOptions = {}): StatusAd {
  return {
    MyType: 'Generic',
    Name: execrunuid,
    SWAMP_vmu_viewer_vmhostname: orNull(options.vmhostname),
    SWAMP_vmu_viewer_state: String(state),
    SWAMP_vmu_viewer_status: status,
    SWAMP_vmu_viewer_name: orNull(options.viewer),
    SWAMP_vmu_viewer_vmip: orNull(options.vmip),
    SWAMP_vmu_viewer_apikey: orNull(options.apikey),
    SWAMP_vmu_viewer_user_uuid: orNull(options.userid),
    SWAMP_vmu_viewer_projectid: orNull(options.projectid),
    SWAMP_vmu_viewer_instance_uuid: orNull(options.viewer_uuid),
    SWAMP_vmu_viewer_url_uuid: orNull(options.urluuid),
  };
}

/**
 * Machine host names (getStandardParameters): `aswamp-` assessments, `mswamp-` metric runs (`M-…`),
 * `vswamp-` viewers (`vrun_…`), then `<cluster>-<proc>`.
 */
export function machineHostname(execrunuid: string, clusterId: string | number, procId: string | number): string {
  const prefix = execrunuid.startsWith('vrun_') ? 'vswamp' : execrunuid.startsWith('M-') ? 'mswamp' : 'aswamp';
  return `${prefix}-${clusterId}-${procId}`;
}
