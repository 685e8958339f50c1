/** HTCondor ads and DB rows -> the model's records (pure). */
import { adNumber, adString, type Ad } from '../htcondor/index.js';
import type { ActiveRunRow } from '../db/index.js';
import { runKindOf, type AdView, type DbRun, type JobView } from './model.js';

/** Job attributes swampctl projects (one condor_q / condor_history call carries them all). */
export const JOB_ATTRS = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'Owner',
  'UserLog',
  'Iwd',
  'QDate',
  'EnteredCurrentStatus',
  'NumJobStarts',
  'HoldReason',
  'RemoveReason',
  'ExitCode',
  'CompletionDate',
  'SWAMP_arun_execrunuid',
  'SWAMP_mrun_execrunuid',
  'SWAMP_vrun_execrunuid',
  'SWAMP_userid',
  'SWAMP_projectid',
  'SWAMP_submit_jobdir',
] as const;

/** Any job carrying a SWAMP run id. */
export const SWAMP_JOB_CONSTRAINT = '!isUndefined(SWAMP_arun_execrunuid) || !isUndefined(SWAMP_mrun_execrunuid) || !isUndefined(SWAMP_vrun_execrunuid)';

/** Any SWAMP status ad (assessment/metric or viewer). */
export const SWAMP_AD_CONSTRAINT = '!isUndefined(SWAMP_vmu_assessment_status) || !isUndefined(SWAMP_vmu_viewer_status)';

export const AD_ATTRS = [
  'Name',
  'LastHeardFrom',
  'SWAMP_vmu_assessment_status',
  'SWAMP_vmu_assessment_vmhostname',
  'SWAMP_vmu_assessment_user_uuid',
  'SWAMP_vmu_assessment_projectid',
  'SWAMP_vmu_viewer_status',
  'SWAMP_vmu_viewer_state',
  'SWAMP_vmu_viewer_name',
  'SWAMP_vmu_viewer_vmhostname',
  'SWAMP_vmu_viewer_user_uuid',
  'SWAMP_vmu_viewer_projectid',
] as const;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' || v === 'null' ? undefined : v;
}

export function jobOfAd(ad: Ad, source: 'queue' | 'history'): JobView | undefined {
  const id = adString(ad, 'SWAMP_arun_execrunuid') ?? adString(ad, 'SWAMP_mrun_execrunuid') ?? adString(ad, 'SWAMP_vrun_execrunuid');
  const cluster = adNumber(ad, 'ClusterId');
  if (id === undefined || cluster === undefined) return undefined;
  const j: JobView = { id, kind: runKindOf(id), cluster, proc: adNumber(ad, 'ProcId') ?? 0, jobStatus: adNumber(ad, 'JobStatus') ?? 0, source };
  const s = (k: keyof JobView, attr: string): void => {
    const v = nonEmpty(adString(ad, attr));
    if (v !== undefined) (j as unknown as Record<string, unknown>)[k] = v;
  };
  const n = (k: keyof JobView, attr: string): void => {
    const v = adNumber(ad, attr);
    if (v !== undefined) (j as unknown as Record<string, unknown>)[k] = v;
  };
  s('owner', 'Owner');
  s('user', 'SWAMP_userid');
  s('project', 'SWAMP_projectid');
  s('jobDir', 'SWAMP_submit_jobdir');
  s('userLog', 'UserLog');
  s('iwd', 'Iwd');
  s('holdReason', 'HoldReason');
  s('removeReason', 'RemoveReason');
  n('enteredCurrentStatus', 'EnteredCurrentStatus');
  n('qDate', 'QDate');
  n('numJobStarts', 'NumJobStarts');
  n('exitCode', 'ExitCode');
  n('completionDate', 'CompletionDate');
  return j;
}

export function statusAdOf(ad: Ad): AdView | undefined {
  const name = adString(ad, 'Name');
  if (name === undefined) return undefined;
  const lastHeard = adNumber(ad, 'LastHeardFrom');
  const a = adString(ad, 'SWAMP_vmu_assessment_status');
  if (a !== undefined) {
    const v: AdView = { name, kind: 'assessment', status: a };
    const user = nonEmpty(adString(ad, 'SWAMP_vmu_assessment_user_uuid'));
    const project = nonEmpty(adString(ad, 'SWAMP_vmu_assessment_projectid'));
    const host = nonEmpty(adString(ad, 'SWAMP_vmu_assessment_vmhostname'));
    if (user !== undefined) v.user = user;
    if (project !== undefined) v.project = project;
    if (host !== undefined) v.vmhostname = host;
    if (lastHeard !== undefined) v.lastHeard = lastHeard;
    return v;
  }
  const vs = adString(ad, 'SWAMP_vmu_viewer_status');
  if (vs === undefined) return undefined;
  const v: AdView = { name, kind: 'viewer', status: vs };
  const state = Number(adString(ad, 'SWAMP_vmu_viewer_state') ?? adNumber(ad, 'SWAMP_vmu_viewer_state'));
  if (Number.isInteger(state)) v.viewerState = state;
  const viewer = nonEmpty(adString(ad, 'SWAMP_vmu_viewer_name'));
  const user = nonEmpty(adString(ad, 'SWAMP_vmu_viewer_user_uuid'));
  const project = nonEmpty(adString(ad, 'SWAMP_vmu_viewer_projectid'));
  const host = nonEmpty(adString(ad, 'SWAMP_vmu_viewer_vmhostname'));
  if (viewer !== undefined) v.viewerName = viewer;
  if (user !== undefined) v.user = user;
  if (project !== undefined) v.project = project;
  if (host !== undefined) v.vmhostname = host;
  if (lastHeard !== undefined) v.lastHeard = lastHeard;
  return v;
}

export function dbRunOf(r: ActiveRunRow): DbRun {
  return {
    id: r.id,
    kind: r.kind === 'metric' ? 'metric' : 'assessment',
    status: r.status,
    launchFlag: Number(r.launch_flag) === 1,
    submitted: Number(r.submitted_to_condor_flag) === 1,
    complete: Number(r.complete_flag) === 1,
    user: r.user_uuid,
    project: r.project_uuid,
    runDate: r.run_date,
    completionDate: r.completion_date,
    updated: r.update_date,
  };
}
