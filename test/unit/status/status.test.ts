import {
  AssessmentStatus,
  ViewerState,
  ViewerStatus,
  VIEWER_STATE_NAMES,
  assessmentStatusAd,
  formatLocalDateTime,
  machineFailedStatus,
  machineHostname,
  retrySuffix,
  viewerDidNotStart,
  viewerExecrunuid,
  viewerStatusAd,
  withRetry,
} from '../../../lib/status/index.js';

describe('status catalogue (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm)', () => {
  test('exact texts the web shows', () => {
    expect(AssessmentStatus.UnableToStart).toBe('Unable to Start ');
    expect(AssessmentStatus.ObtainingIp).toBe('Obtaining Assessment Machine IP Address');
    expect(AssessmentStatus.ShuttingDownMachine).toBe('Shutting down the assessment machine');
    expect(AssessmentStatus.PreemptedWaiting).toBe('Preempted - Waiting in HTCondor Queue');
    expect(AssessmentStatus.FailedToSave).toBe('Failed to save assessment results in database');
    expect(ViewerStatus.ViewerIsUp).toBe('Viewer is up');
    expect(ViewerStatus.ObtainingIp).toBe('Obtaining Viewer Machine IP Address');
  });

  test('retry suffix only after the first start', () => {
    expect(retrySuffix(0, 3)).toBe('');
    expect(retrySuffix(2, 3)).toBe(' retry(2/3)');
    expect(withRetry(AssessmentStatus.UnableToStart, 1, 3)).toBe('Unable to Start  retry(1/3)');
    expect(withRetry(AssessmentStatus.StartingDocker, 0, 3)).toBe('Starting docker container');
  });

  test('machine failed text uses local %Y-%m-%d %H:%M:%S and whole seconds', () => {
    const start = new Date(2026, 10, 28, 9, 5, 7).getTime();
    expect(formatLocalDateTime(start)).toBe('2026-11-28 09:05:07');
    expect(machineFailedStatus(start, start + 600_400)).toBe('Viewer Machine Failed - 2026-11-28 09:05:07 2026-11-28 09:15:07 (600)');
  });

  test('viewer states', () => {
    expect(ViewerState).toEqual({ NoRecord: 0, Launching: 1, Ready: 2, Stopping: -1, Shutdown: -3, Error: -5, Terminating: -6, Terminated: -7, TerminateFailed: -8 });
    expect(VIEWER_STATE_NAMES[-8]).toBe('terminate failed');
    expect(viewerDidNotStart('MYSQLSHUTDOWN')).toBe('Viewer did not start - status: MYSQLSHUTDOWN');
    expect(viewerDidNotStart(undefined)).toBe('Viewer did not start - status: no out/job_events.log');
  });
});

describe('collector ads (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm)', () => {
  test('assessment ad: names, order and values as updateClassAdAssessmentStatus', () => {
    const ad = assessmentStatusAd({
      execrunuid: '3e6a9265-b700-4165-8cad-65cc86a45d51',
      vmhostname: 'aswamp-12-0',
      status: 'Performing assessment retry(1/3)',
      userUuid: 'u-1',
      projectId: 'p-1',
    });
    expect(Object.entries(ad)).toEqual([
      ['MyType', 'Generic'],
      ['Name', '3e6a9265-b700-4165-8cad-65cc86a45d51'],
      ['SWAMP_vmu_assessment_vmhostname', 'aswamp-12-0'],
      ['SWAMP_vmu_assessment_status', 'Performing assessment retry(1/3)'],
      ['SWAMP_vmu_assessment_user_uuid', 'u-1'],
      ['SWAMP_vmu_assessment_projectid', 'p-1'],
    ]);
  });

  test('viewer ad: state is a string, missing options are the literal null', () => {
    const name = viewerExecrunuid('pp-1', 'CodeDX');
    expect(name).toBe('vrun_pp-1_CodeDX');
    const launching = viewerStatusAd(name, ViewerState.Launching, ViewerStatus.LaunchingViewerVm);
    expect(Object.entries(launching)).toEqual([
      ['MyType', 'Generic'],
      ['Name', 'vrun_pp-1_CodeDX'],
      ['SWAMP_vmu_viewer_vmhostname', 'null'],
      ['SWAMP_vmu_viewer_state', '1'],
      ['SWAMP_vmu_viewer_status', 'Launching Viewer VM'],
      ['SWAMP_vmu_viewer_name', 'null'],
      ['SWAMP_vmu_viewer_vmip', 'null'],
      ['SWAMP_vmu_viewer_apikey', 'null'],
      ['SWAMP_vmu_viewer_user_uuid', 'null'],
      ['SWAMP_vmu_viewer_projectid', 'null'],
      ['SWAMP_vmu_viewer_instance_uuid', 'null'],
      ['SWAMP_vmu_viewer_url_uuid', 'null'],
    ]);
    const up = viewerStatusAd(name, ViewerState.Terminating, 'Terminating', {
      vmhostname: 'vswamp-7-0',
      viewer: 'CodeDX',
      vmip: '10.0.0.5:8443',
      apikey: 'k',
      userid: 'u',
      projectid: 'pp-1',
      viewer_uuid: 'vi-1',
      urluuid: 'proxy-X',
      
    });
    expect(up.SWAMP_vmu_viewer_state).toBe('-6');
    expect(up.SWAMP_vmu_viewer_vmip).toBe('10.0.0.5:8443');
    expect(up.SWAMP_vmu_viewer_url_uuid).toBe('proxy-X');
    expect(viewerStatusAd(name, 2, 'x', { apikey: '' }).SWAMP_vmu_viewer_apikey).toBe('null');
  });

  test('machine host names', () => {
    expect(machineHostname('3e6a9265-b700', 12, 0)).toBe('aswamp-12-0');
    expect(machineHostname('M-3e6a9265', 12, 1)).toBe('mswamp-12-1');
    expect(machineHostname('vrun_p_CodeDX', '7', '0')).toBe('vswamp-7-0');
  });
});
