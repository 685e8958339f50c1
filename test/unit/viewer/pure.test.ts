import { parseArgv } from '../../../lib/cli/index.js';
import { parseBog, formatBog } from '../../../lib/bog/index.js';
import { viewerAdOptionsOf, viewerStatusAd } from '../../../lib/status/index.js';
import { LAUNCHVIEWER_SPEC, viewerKind, viewerRequest } from '../../../lib/viewer/options.js';
import { identifyingAdOptions, newLaunchIds, viewerBog } from '../../../lib/viewer/bog.js';
import { archivePlan, decideLaunch, readViewerAd, uploadWaitStep, viewerBaseUrl, type QueuedJob, type ViewerAd } from '../../../lib/viewer/decide.js';
import { viewerJobDirName, viewerSubmitFile, type ViewerSubmitInput } from '../../../lib/viewer/submit.js';
import { findProjectId } from '../../../lib/viewer/codedx-api.js';
import { rezipKind } from '../../../lib/viewer/rezip.js';

const P = '0258026e-6c62-4591-8378-89580a707e83';
const V = '11111111-2222-3333-4444-555555555555';
const U = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ID = `vrun_${P}_CodeDX`;

/** The DB's command line for CodeDX (assessment.launch_viewer), as argv after the shell. */
const DB_ARGV = [
  '--viewer_name', 'CodeDX', '--project', P, '--viewer_db_path', '/p/V-Runs/x/codedx_viewerdb_1.tar.gz', '--viewer_db_checksum', 'abc',
  '--viewer_uuid', V, '--user_uuid', U, '--package', 'zlib', '--tool_name', 'cppcheck', '--source_archive_path', '/r/zlib-1.2.13.tar.gz',
  '--package_type', '1', '--file_path', '/r/a.xml', '--file_path', '/r/b.xml',
];

describe('options (legacy GetOptions, mirswamp/services perl/agents/vmu_launchviewer.pl)', () => {
  test('the DB command line parses into a request', async () => {
    const { options } = await parseArgv(LAUNCHVIEWER_SPEC, DB_ARGV);
    const req = viewerRequest(options, P, 'CodeDX');
    expect(req).toEqual({
      project: P, viewer: 'CodeDX', viewerUuid: V, userUuid: U, dbPath: '/p/V-Runs/x/codedx_viewerdb_1.tar.gz',
      packageName: 'zlib', packageType: '1', sourceArchivePath: '/r/zlib-1.2.13.tar.gz', filePaths: ['/r/a.xml', '/r/b.xml'],
    });
  });

  test('every legacy option is accepted; --package and --package_name share one value; NULL db path is none', async () => {
    const { options } = await parseArgv(LAUNCHVIEWER_SPEC, [
      '--viewer_name=CodeDX', '--indir', '/i', '--outdir', '/o', '--package_name', 'pkg', '--package_version', '1', '--tool_version', '2',
      '--platform_name', 'd', '--platform_version', '12', '--start_date', 's', '--end_date', 'e', '--results_type', 'results',
      '--viewer_db_path', 'NULL', '--nodetached', '--debug', '--config', '/c',
    ]);
    expect(options.package_name).toBe('pkg');
    expect(options.detached).toBe(false);
    expect(viewerRequest(options, P, 'CodeDX').dbPath).toBeUndefined();
  });

  test('viewer names: Native and CodeDX (any case, as the legacy regexps); ThreadFix and others unsupported', () => {
    expect(viewerKind('Native')).toBe('native');
    expect(viewerKind('native')).toBe('native');
    expect(viewerKind('CodeDX')).toBe('codedx');
    expect(viewerKind('codedx')).toBe('codedx');
    expect(viewerKind('ThreadFix')).toBe('unsupported');
    expect(viewerKind(undefined)).toBe('unsupported');
  });
});

describe('viewer BOG (mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties, mirswamp/services perl/agents/vmu_AgentMonitor.pl)', () => {
  const req = viewerRequest({ viewer_uuid: V, user_uuid: U, viewer_db_path: '/db.tar.gz' }, P, 'CodeDX');
  let n = 0;
  const ids = newLaunchIds(ID, () => `0000000${++n}-aaaa-bbbb-cccc-dddddddddddd`);

  test('apikey is an uppercase UUID, urluuid proxy-<UUID>', () => {
    expect(ids.apikey).toBe('00000001-AAAA-BBBB-CCCC-DDDDDDDDDDDD');
    expect(ids.urluuid).toBe('proxy-00000002-AAAA-BBBB-CCCC-DDDDDDDDDDDD');
  });

  test('keys and values for each platform type', () => {
    const local = viewerBog(req, ids, { type: 'local', identifier: 'codedx-3.5.5-viewer', image: 'swamp-viewer-machine' }, '/r/');
    expect(local).toEqual({
      resultsfolder: '/r/', projectid: P, viewer: 'CodeDX', viewer_uuid: V, userid: U, db_path: '/db.tar.gz', execrunid: ID,
      apikey: ids.apikey, urluuid: ids.urluuid, platform_identifier: 'codedx-3.5.5-viewer', platform_type: 'local',
      platform_image: 'swamp-viewer-machine', vmhostname: 'vswamp', use_docker_universe: '', use_baked_viewer: '1',
    });
    expect(viewerBog(req, ids, { type: 'DC', identifier: 'x', image: 'swamp/condor-x-master-1' }, '/r/').use_docker_universe).toBe('1');
    const vm = viewerBog(viewerRequest({}, P, 'CodeDX'), ids, { type: 'VM', identifier: 'x', image: '/i/condor-x-master-1.qcow2' }, '/r/');
    expect(vm).not.toHaveProperty('db_path');
    expect(vm).not.toHaveProperty('viewer_uuid');
    expect(vm.use_docker_universe).toBe('');
  });

  test('the BOG round-trips through the file format', () => {
    const bog = viewerBog(req, ids, { type: 'local', identifier: 'codedx-3.5.5-viewer', image: 'swamp-viewer-machine' }, '/r/');
    expect(parseBog(formatBog(bog, 'viewer'))).toEqual(bog);
  });

  test('the first LAUNCHING ad carries the identifying fields (fixes mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM, vmu_AgentMonitor.pl _launchViewer)', () => {
    const ad = viewerStatusAd(ID, 1, 'Launching Viewer VM', identifyingAdOptions(req));
    expect(ad).toMatchObject({
      Name: ID, SWAMP_vmu_viewer_state: '1', SWAMP_vmu_viewer_projectid: P, SWAMP_vmu_viewer_name: 'CodeDX',
      SWAMP_vmu_viewer_instance_uuid: V, SWAMP_vmu_viewer_user_uuid: U, SWAMP_vmu_viewer_url_uuid: 'null',
    });
    const full = viewerStatusAd(ID, 1, 'Launching viewer', viewerAdOptionsOf(viewerBog(req, ids, { type: 'local', identifier: 'i', image: 'm' }, '/r/')));
    expect(full).toMatchObject({ SWAMP_vmu_viewer_vmhostname: 'vswamp', SWAMP_vmu_viewer_apikey: ids.apikey, SWAMP_vmu_viewer_url_uuid: ids.urluuid });
  });
});

describe('viewer submit file (mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob, mirswamp/deployment swamp/config/vmu_swamp_htcondor_submit)', () => {
  const input = (over: Partial<ViewerSubmitInput> = {}): ViewerSubmitInput => ({
    execrunid: ID,
    platformType: 'local',
    platformImage: 'swamp-viewer-machine',
    userid: U,
    projectid: P,
    viewerUuid: V,
    jobDir: viewerJobDirName('0123abcd-0000-4000-8000-00000000abcd'),
    owner: 'swamp',
    binDir: '/opt/swamp/bin',
    swampInABox: true,
    configPath: '/opt/swamp/etc/swamp.conf',
    ...over,
  });

  test('local: vanilla universe running the viewer machine, hooks by absolute path, viewer attributes', () => {
    const t = viewerSubmitFile(input());
    const lines = t.split('\n');
    for (const l of [
      'universe = vanilla',
      'executable = /opt/swamp/bin/swamp-viewer-machine',
      'environment = "SWAMP_PROGRAM=swamp-viewer-machine SWAMP_CONFIG=/opt/swamp/etc/swamp.conf"',
      'transfer_input_files = ' + `${ID}_submitbundle.tar.gz`,
      '+PreCmd = "/opt/swamp/bin/jobhook"',
      `+PreArguments = "PreViewer ${ID} swamp $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`,
      '+PreEnvironment = "SWAMP_PROGRAM=jobhook SWAMP_CONFIG=/opt/swamp/etc/swamp.conf"',
      '+PostCmd = "/opt/swamp/bin/jobhook"',
      `+PostArguments = "PostViewer ${ID} swamp $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`,
      '+ViewerJob = true',
      'priority = 10',
      `+SWAMP_vrun_execrunuid = "${ID}"`,
      `+SWAMP_userid = "${U}"`,
      `+SWAMP_projectid = "${P}"`,
      '+SWAMP_submit_jobdir = "vswamp_0123ABCD-0000-4000-8000-00000000ABCD"',
      `+SWAMP_viewerinstanceid = "${V}"`,
      'accounting_group = group_viewer',
      'want_graceful_removal = true',
      'job_max_vacate_time = 1200',
    ]) expect(lines).toContain(l);
    expect(lines[lines.length - 2]).toBe('queue');
    expect(t).not.toMatch(/max_retries|periodic_|concurrency_limits|SuccessPostExitCode/);
  });

  test('VM: the vm template, vswamp executable and disks; DC: docker image, no executable, one graceful-removal line', () => {
    const vm = viewerSubmitFile(input({ platformType: 'VM', platformImage: '/img/condor-codedx-3.5.5-viewer-master-1.qcow2' })).split('\n');
    expect(vm).toContain('universe = vm');
    expect(vm).toContain('executable = vswamp-$(CLUSTERID)-$(PROCID)');
    expect(vm).toContain(`transfer_input_files = delta.qcow2, inputdisk.qcow2, outputdisk.qcow2, ${ID}_submitbundle.tar.gz`);
    const dc = viewerSubmitFile(input({ platformType: 'DC', platformImage: 'swamp/condor-codedx-3.5.5-viewer-master-2020' }));
    expect(dc).toContain('universe = docker');
    expect(dc).toContain('docker_image = swamp/condor-codedx-3.5.5-viewer-master-2020');
    expect(dc).not.toMatch(/^executable/m);
    expect(dc.match(/want_graceful_removal/g)).toHaveLength(1);
  });

  test('a site template reaches the viewer job; graceful removal is added when the template lacks it', () => {
    const template = { text: 'universe = docker\nRequestMemory = 3072\nlog = condor_log\n', source: '/opt/swamp/etc/docker_htcondor_submit' };
    const dc = viewerSubmitFile(input({ platformType: 'DC', platformImage: 'swamp/condor-codedx-3.5.5-viewer-master-2020', template }));
    expect(dc).toContain('RequestMemory = 3072\n');
    expect(dc).not.toContain('6144');
    expect(dc.match(/want_graceful_removal = true/g)).toHaveLength(1);
    expect(() => viewerSubmitFile(input({ platformType: 'VM', platformImage: '/img/condor-codedx-3.5.5-viewer-master-1.qcow2', swampInABox: false }))).toThrow(
      /SED_BRIDGE_INTERFACE needs vm_bridge_interface/,
    );
  });

  test('values are escaped; ids, owner and paths outside the allowlists are refused', () => {
    expect(viewerSubmitFile(input({ userid: 'a"b$(x)' }))).toContain('+SWAMP_userid = "a\\"b$(DOLLAR)(x)"');
    expect(() => viewerSubmitFile(input({ execrunid: `vrun_${P}_Code_DX` }))).toThrow();
    expect(() => viewerSubmitFile(input({ owner: 'a b' }))).toThrow();
    expect(() => viewerSubmitFile(input({ binDir: '/opt/$(x)' }))).toThrow();
    expect(() => viewerSubmitFile(input({ jobDir: '../x' }))).toThrow();
    expect(() => viewerSubmitFile(input({ userid: 'a\nqueue' }))).toThrow();
  });
});

describe('launch decision table (concurrency, mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM, vmu_AgentMonitor.pl _launchViewer)', () => {
  const ad = (state: number, status = 's'): ViewerAd => ({ state, status, vmip: undefined, apikey: undefined, urluuid: undefined });
  const job = (jobStatus: number): QueuedJob => ({ cluster: 7, proc: 0, jobStatus });
  const states = [0, 1, 2, -1, -3, -5, -6, -7, -8];

  test.each(states)('state %i with a live job in the queue: no launch (TERMINATE_FAILED included)', (s) => {
    for (const js of [1, 2, 5, 6, 7]) expect(decideLaunch(ad(s), [job(js)]).action).toBe('running');
  });
  test.each(states)('state %i with the job leaving the queue (removed/completed): wait', (s) => {
    expect(decideLaunch(ad(s), [job(3)]).action).toBe('wait');
    expect(decideLaunch(ad(s), [job(4)]).action).toBe('wait');
  });
  test.each(states)('state %i with no job: launch', (s) => {
    expect(decideLaunch(ad(s), []).action).toBe('launch');
  });
  test('no ad, no job: launch; no ad, a job: running', () => {
    expect(decideLaunch(undefined, []).action).toBe('launch');
    expect(decideLaunch(undefined, [job(1)]).action).toBe('running');
  });
  test('a live job wins over one leaving', () => {
    expect(decideLaunch(ad(-7), [job(3), job(2)])).toMatchObject({ action: 'running' });
  });
});

describe('collector ad reading and the upload wait', () => {
  test('strings as advertised; null fields are missing', () => {
    expect(readViewerAd({ SWAMP_vmu_viewer_state: '-8', SWAMP_vmu_viewer_status: 'Terminate Failed', SWAMP_vmu_viewer_vmip: 'null' })).toEqual({
      state: -8, status: 'Terminate Failed', vmip: undefined, apikey: undefined, urluuid: undefined,
    });
    expect(readViewerAd(undefined)).toBeUndefined();
  });
  test('READY + Viewer is up: upload; LAUNCHING: poll; others: give up', () => {
    const up = { state: 2, status: 'Viewer is up', vmip: '127.0.0.1:4000', apikey: 'K', urluuid: 'proxy-X' };
    expect(uploadWaitStep(up)).toEqual({ action: 'ready', endpoint: { vmip: '127.0.0.1:4000', apikey: 'K', urluuid: 'proxy-X' } });
    expect(uploadWaitStep({ ...up, state: 1, status: 'Starting DC' }).action).toBe('poll');
    expect(uploadWaitStep({ ...up, status: 'something else' }).action).toBe('poll');
    for (const s of [0, -1, -3, -5, -6, -7, -8]) expect(uploadWaitStep({ ...up, state: s }).action).toBe('give-up');
    expect(uploadWaitStep(undefined).action).toBe('give-up');
  });
  test('archive plan: package type 3 or no archive -> none; .zip as is; anything else re-zipped', () => {
    expect(archivePlan('3', '/a.tar.gz')).toBe('none');
    expect(archivePlan(undefined, '/a.tar.gz')).toBe('none');
    expect(archivePlan('1', undefined)).toBe('none');
    expect(archivePlan('1', '/a.zip')).toBe('as-is');
    expect(archivePlan('0', '/a.tar.gz')).toBe('rezip');
  });
  test('base URL: plain http on the local platform, https otherwise', () => {
    expect(viewerBaseUrl('127.0.0.1:4321', 'proxy-AB', true)).toBe('http://127.0.0.1:4321/proxy-AB/api');
    expect(viewerBaseUrl('10.0.0.5:8443', 'proxy-AB', false)).toBe('https://10.0.0.5:8443/proxy-AB/api');
  });
  test('project lookup by exact name', () => {
    expect(findProjectId({ projects: [{ id: 1, name: 'zlib2' }, { id: 4, name: 'zlib' }] }, 'zlib')).toBe(4);
    expect(findProjectId({ projects: [] }, 'zlib')).toBeUndefined();
    expect(findProjectId({}, 'zlib')).toBeUndefined();
  });
  test('re-zip kinds and base names', () => {
    expect(rezipKind('/x/zlib-1.2.13.tar.gz')).toEqual({ kind: 'tar', base: 'zlib-1.2.13' });
    expect(rezipKind('/x/a.tgz')).toEqual({ kind: 'tar', base: 'a' });
    expect(rezipKind('/x/a.tar')).toEqual({ kind: 'tar', base: 'a' });
    expect(rezipKind('/x/rake-13.0.gem')).toEqual({ kind: 'gem', base: 'rake-13.0' });
    expect(rezipKind('/x/a.jar')).toEqual({ kind: 'zip-copy', base: 'a' });
    expect(rezipKind('/x/pkg-1.0-py3-none-any.whl')).toEqual({ kind: 'zip-copy', base: 'pkg-1.0-py3-none-any' });
    expect(rezipKind('/x/a.tar.bz2')).toBeUndefined();
  });
});
