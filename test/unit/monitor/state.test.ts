import { defaultMonitorConfig, initialState, step, type MonitorAction, type MonitorConfig, type MonitorInput, type MonitorState } from '../../../lib/monitor/state.js';

const T0 = new Date(2026, 10, 28, 10, 0, 0).getTime();

function run(config: MonitorConfig, inputs: MonitorInput[]): { state: MonitorState; actions: MonitorAction[] } {
  let state = initialState(config, T0);
  const actions: MonitorAction[] = [];
  for (const i of inputs) {
    const r = step(config, state, i);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

const published = (actions: MonitorAction[]): string[] =>
  actions.flatMap((a) =>
    a.type === 'publish' ? [a.ad.SWAMP_vmu_assessment_status ?? `${a.ad.SWAMP_vmu_viewer_state}|${a.ad.SWAMP_vmu_viewer_status}|${a.ad.SWAMP_vmu_viewer_vmip}`] : [],
  );

const assessment = defaultMonitorConfig({
  kind: 'assessment',
  execrunuid: 'a-uuid',
  vmhostname: 'aswamp-5-0',
  userUuid: 'u',
  projectId: 'p',
  retrySuffix: ' retry(1/3)',
});

describe('assessment state machine', () => {
  test('a burst of words is handled at once, in order, and ends at ENDASSESSMENT', () => {
    const { state, actions } = run(assessment, [
      { type: 'words', words: ['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'NOTAWORD', 'ENDASSESSMENT'], now: T0 + 10 },
      { type: 'ip', ip: '127.0.0.1', now: T0 + 20 },
    ]);
    expect(published(actions)).toEqual([
      'Starting assessment run script retry(1/3)',
      'Wrote ip address retry(1/3)',
      'Obtaining Assessment Machine IP Address retry(1/3)',
      'Performing assessment retry(1/3)',
      'Shutting down the assessment machine retry(1/3)',
    ]);
    expect(actions.filter((a) => a.type === 'update-run')).toEqual([
      { type: 'update-run', fields: { vm_ip_address: '127.0.0.1' } },
      { type: 'update-run', fields: { vm_password: '' } },
    ]);
    // the words after WROTEIPADDR wait for the IP: read-ip comes before "Performing assessment"
    const kinds = actions.filter((a) => a.type !== 'log').map((a) => a.type);
    expect(kinds).toEqual(['publish', 'publish', 'publish', 'read-ip', 'update-run', 'publish', 'publish', 'update-run', 'stop']);
    expect(state.stopped).toBe(true);
    expect(state.stopReason).toBe('ENDASSESSMENT');
    expect(actions.find((a) => a.type === 'publish')).toMatchObject({ ad: { Name: 'a-uuid', SWAMP_vmu_assessment_vmhostname: 'aswamp-5-0', SWAMP_vmu_assessment_user_uuid: 'u' } });
  });

  test('IP lookup failure records "vm ip timeout"', () => {
    const { actions } = run(assessment, [
      { type: 'words', words: ['WROTEIPADDR'], now: T0 },
      { type: 'ip', ip: undefined, now: T0 + 30_000 },
    ]);
    expect(actions).toContainEqual({ type: 'update-run', fields: { vm_ip_address: 'vm ip timeout' } });
  });

  test('the last status is re-advertised every 600 s, never more often', () => {
    const { actions } = run(assessment, [
      { type: 'words', words: ['RUNSHSTART'], now: T0 },
      { type: 'tick', now: T0 + 599_000 },
      { type: 'tick', now: T0 + 600_000 },
      { type: 'tick', now: T0 + 601_000 },
      { type: 'tick', now: T0 + 1_200_000 },
    ]);
    const pubs = actions.filter((a) => a.type === 'publish');
    expect(pubs.map((a) => (a.type === 'publish' ? a.reason : ''))).toEqual(['event', 'readvertise', 'readvertise']);
  });

  test('the re-advertise interval is clamped to 600 s', () => {
    expect(defaultMonitorConfig({ kind: 'assessment', execrunuid: 'x', vmhostname: 'h', readvertiseMs: 900_000 }).readvertiseMs).toBe(600_000);
    expect(defaultMonitorConfig({ kind: 'assessment', execrunuid: 'x', vmhostname: 'h', readvertiseMs: 60_000 }).readvertiseMs).toBe(60_000);
  });

  test('no event at all: "Viewer Machine Failed" every 600 s (docker: no virsh)', () => {
    const { actions } = run(assessment, [
      { type: 'tick', now: T0 + 300_000 },
      { type: 'tick', now: T0 + 600_000 },
      { type: 'tick', now: T0 + 1_000_000 },
      { type: 'tick', now: T0 + 1_200_000 },
    ]);
    expect(published(actions)).toEqual([
      'Viewer Machine Failed - 2026-11-28 10:00:00 2026-11-28 10:10:00 (600) retry(1/3)',
      'Viewer Machine Failed - 2026-11-28 10:00:00 2026-11-28 10:20:00 (1200) retry(1/3)',
    ]);
    expect(actions.some((a) => a.type === 'vm-command')).toBe(false);
  });

  test('VM platform: reset after 900 s, shutdown after 1800 s; failure statuses', () => {
    const vm = { ...assessment, platform: 'vm' as const };
    const { actions } = run(vm, [
      { type: 'tick', now: T0 + 901_000 },
      { type: 'vm-command-result', command: 'reset', ok: true, now: T0 + 902_000 },
      { type: 'tick', now: T0 + 1_801_000 },
      { type: 'vm-command-result', command: 'shutdown', ok: false, now: T0 + 1_802_000 },
      { type: 'tick', now: T0 + 2_500_000 },
    ]);
    expect(actions.filter((a) => a.type === 'vm-command')).toEqual([
      { type: 'vm-command', command: 'reset' },
      { type: 'vm-command', command: 'shutdown' },
    ]);
    expect(published(actions)).toContain('vm reset');
    expect(published(actions)).toContain('vm shutdown failed');
  });

  test('VM platform: a failed reset is followed by a shutdown at once', () => {
    const vm = { ...assessment, platform: 'vm' as const };
    const { actions } = run(vm, [
      { type: 'tick', now: T0 + 901_000 },
      { type: 'vm-command-result', command: 'reset', ok: false, now: T0 + 902_000 },
    ]);
    expect(actions.filter((a) => a.type === 'vm-command').map((a) => (a.type === 'vm-command' ? a.command : ''))).toEqual(['reset', 'shutdown']);
  });

  test('event file gone: 250 s allowance before any event, 25 s after', () => {
    let r = run(assessment, [
      { type: 'file', present: false, now: T0 },
      { type: 'tick', now: T0 + 250_000 },
    ]);
    expect(r.state.stopped).toBe(false);
    r = run(assessment, [
      { type: 'file', present: false, now: T0 },
      { type: 'tick', now: T0 + 250_001 },
    ]);
    expect(r.state.stopReason).toBe('event file gone');
    r = run(assessment, [
      { type: 'words', words: ['RUNSHSTART'], now: T0 },
      { type: 'file', present: false, now: T0 + 1000 },
      { type: 'file', present: true, now: T0 + 20_000 },
      { type: 'tick', now: T0 + 40_000 },
    ]);
    expect(r.state.stopped).toBe(false);
    r = run(assessment, [
      { type: 'words', words: ['RUNSHSTART'], now: T0 },
      { type: 'file', present: false, now: T0 + 1000 },
      { type: 'tick', now: T0 + 26_001 },
    ]);
    expect(r.state.stopped).toBe(true);
    expect(r.actions).toContainEqual({ type: 'update-run', fields: { vm_password: '' } });
  });

  test('signals and job end stop the monitor; VM TERM sends a shutdown first', () => {
    for (const input of [
      { type: 'signal', signal: 'SIGTERM', now: T0 },
      { type: 'signal', signal: 'SIGINT', now: T0 },
      { type: 'job-ended', now: T0 },
    ] as MonitorInput[]) {
      const r = run(assessment, [input]);
      expect(r.state.stopped).toBe(true);
      expect(r.actions.at(-1)).toMatchObject({ type: 'stop' });
    }
    const vm = { ...assessment, platform: 'vm' as const };
    const r = run(vm, [{ type: 'words', words: ['RUNSHSTART'], now: T0 }, { type: 'signal', signal: 'SIGTERM', now: T0 + 1 }]);
    expect(r.actions.filter((a) => a.type !== 'log' && a.type !== 'publish').map((a) => a.type)).toEqual(['vm-command', 'update-run', 'stop']);
    // nothing happens after stop
    expect(step(vm, r.state, { type: 'words', words: ['BEGINASSESSMENT'], now: T0 + 2 }).actions).toEqual([]);
  });
});

const viewer = defaultMonitorConfig({
  kind: 'viewer',
  execrunuid: 'vrun_p1_CodeDX',
  vmhostname: 'vswamp-9-0',
  viewerOptions: { viewer: 'CodeDX', apikey: 'k', userid: 'u', projectid: 'p1', viewer_uuid: 'vi', urluuid: 'proxy-1' },
});

describe('viewer state machine', () => {
  test('start-up burst: vmip read before the WROTEIPADDR row, carried to VIEWERUP', () => {
    const { state, actions } = run(viewer, [
      { type: 'words', words: ['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'MYSQLRUN', 'CREATEPROXY', 'PROPERTIES', 'TOMCATSTART', 'TOMCATRUN', 'TIMERSTART', 'VIEWERUP'], now: T0 },
      { type: 'ip', ip: '127.0.0.1', port: 40111, now: T0 + 5 },
    ]);
    expect(published(actions)).toEqual([
      '1|Starting viewer run script|null',
      '1|Obtaining Viewer Machine IP Address|null',
      '1|Wrote viewer ip address|127.0.0.1:40111',
      '1|Starting mysql service|127.0.0.1:40111',
      '1|Service mysql running|127.0.0.1:40111',
      '1|Creating proxy directory|127.0.0.1:40111',
      '1|Copying viewer properties|127.0.0.1:40111',
      '1|Starting tomcat service|127.0.0.1:40111',
      '1|Service tomcat running|127.0.0.1:40111',
      '1|Starting viewer checktimeout|127.0.0.1:40111',
      '2|Viewer is up|127.0.0.1:40111',
    ]);
    expect(state.stopped).toBe(false);
    const up = actions.filter((a) => a.type === 'publish').at(-1);
    expect(up).toMatchObject({
      ad: { Name: 'vrun_p1_CodeDX', SWAMP_vmu_viewer_vmhostname: 'vswamp-9-0', SWAMP_vmu_viewer_apikey: 'k', SWAMP_vmu_viewer_url_uuid: 'proxy-1', SWAMP_vmu_viewer_instance_uuid: 'vi' },
    });
  });

  test('a real machine reports no port: vmip is <ip>:8443', () => {
    const { actions } = run(viewer, [
      { type: 'words', words: ['RUNSHSTART', 'WROTEIPADDR'], now: T0 },
      { type: 'ip', ip: '10.0.0.9', now: T0 + 5 },
    ]);
    expect(published(actions).at(-1)).toBe('1|Wrote viewer ip address|10.0.0.9:8443');
  });

  test('shutdown words, then VIEWERDOWN ends the loop with "Viewer shutdown complete"', () => {
    const { state, actions } = run(viewer, [
      { type: 'words', words: ['RUNSHSTART', 'VIEWERUP'], now: T0 },
      { type: 'words', words: ['VRUNSERVICESTOP', 'VIEWERDBBACKUP', 'VIEWERDBDUMPSUCCESS', 'VIEWERDBCONFIGSUCCESS', 'VIEWERDBBUNDLESUCCESS', 'VIEWERDOWN', 'AFTER'], now: T0 + 100 },
    ]);
    expect(published(actions)).toEqual([
      '1|Starting viewer run script|null',
      '2|Viewer is up|null',
      '-1|Starting viewer database backup|null',
      '-1|Viewer database dump succeeded|null',
      '-1|Viewer configuration tar succeeded|null',
      '-1|Viewer user data bundling succeeded|null',
      '-3|Viewer shutdown complete|null',
    ]);
    expect(state.stopReason).toBe('VIEWERDOWN');
  });

  test('VIEWERDOWN before RUNSHSTART is advertised like any row', () => {
    const { state, actions } = run(viewer, [{ type: 'words', words: ['VIEWERDOWN'], now: T0 }]);
    expect(published(actions)).toEqual(['-3|Viewer is shutdown|null']);
    expect(state.stopped).toBe(false);
  });

  test('no event: ERROR(-5) "Viewer Machine Failed" every 600 s; re-advertise after events', () => {
    let r = run(viewer, [{ type: 'tick', now: T0 + 600_000 }]);
    expect(published(r.actions)).toEqual(['-5|Viewer Machine Failed - 2026-11-28 10:00:00 2026-11-28 10:10:00 (600)|null']);
    r = run(viewer, [
      { type: 'words', words: ['RUNSHSTART', 'VIEWERUP'], now: T0 },
      { type: 'tick', now: T0 + 600_000 },
    ]);
    expect(published(r.actions)).toEqual(['1|Starting viewer run script|null', '2|Viewer is up|null', '2|Viewer is up|null']);
  });

  test('signals end with the exit ad', () => {
    const r = run(viewer, [{ type: 'signal', signal: 'SIGTERM', now: T0 }]);
    expect(published(r.actions)).toEqual(['-3|Viewer shutdown complete|null']);
    expect(r.state.stopped).toBe(true);
  });

  test('a signal while waiting for the IP drops the waiting words', () => {
    const r = run(viewer, [
      { type: 'words', words: ['RUNSHSTART', 'WROTEIPADDR', 'VIEWERUP'], now: T0 },
      { type: 'signal', signal: 'SIGTERM', now: T0 + 1 },
      { type: 'ip', ip: '1.2.3.4', now: T0 + 2 },
    ]);
    expect(published(r.actions)).toEqual(['1|Starting viewer run script|null', '1|Obtaining Viewer Machine IP Address|null', '-3|Viewer shutdown complete|null']);
  });
});
