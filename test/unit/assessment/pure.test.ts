import { BogError, LaunchCode, computeBog, formatLaunchQueue, isSwampOn, jobDirName, parseLaunchId, translateRow, type ViewRow } from '../../../lib/assessment/index.js';
import { choosePlatform, identifierFromImage, preferredPlatformType, selectDockerImage, selectVmImage } from '../../../lib/submission/index.js';

const U = '0258026e-6c62-4591-8378-89580a707e83';

describe('SWAMPState gate', () => {
  test.each(['ON', 'on', 'On', ' ON '])('%p is on', (v) => expect(isSwampOn(v)).toBe(true));
  test.each([undefined, '', 'off', 'OFF', 'none', 'JSON', 'ON_HOLD', 'yes', 'true', '1', 'Monday'])('%p is off (legacy /ON/i matched some)', (v) =>
    expect(isSwampOn(v)).toBe(false),
  );
});

describe('run ids', () => {
  test('assessment and metric ids', () => {
    expect(parseLaunchId(U)).toEqual({ id: U, kind: 'assessment' });
    expect(parseLaunchId(U.toUpperCase())).toEqual({ id: U.toUpperCase(), kind: 'assessment' });
    expect(parseLaunchId(`M-${U}`)).toEqual({ id: `M-${U}`, kind: 'metric' });
  });
  test.each([
    '',
    `${U};touch /tmp/x`,
    `${U} && id`,
    `$(id)`,
    `'${U}'`,
    `"${U}"`,
    `${U}\n`,
    '.*',
    `${U.slice(0, -1)}.`,
    `vrun_${U}_CodeDX`,
    'a'.repeat(5000),
    `M-${U}x`,
    `../${U}`,
  ])('refuses %p', (v) => {
    expect(() => parseLaunchId(v)).toThrow(/invalid execution record uuid/);
  });
  test('job dir names', () => {
    expect(jobDirName(U, 'abcdef01-2345-6789-abcd-ef0123456789')).toBe('aswamp_ABCDEF01-2345-6789-ABCD-EF0123456789');
    expect(jobDirName(`M-${U}`, 'abcdef01-2345-6789-abcd-ef0123456789')).toMatch(/^mswamp_/);
  });
});

describe('platform selection', () => {
  const names = [
    'condor-centos-7.7-64-master-2020040602.qcow2',
    'condor-centos-7.7-64-master-2020050101.qcow2',
    'condor-centos-7.5-64-master-2021010101.qcow2',
    'condor-ubuntu-16.04-64-master-2019.qcow2',
    'README',
  ];
  test('preferred type', () => {
    expect(preferredPlatformType(undefined)).toBe('VM');
    expect(preferredPlatformType('DC')).toBe('DC');
    expect(preferredPlatformType('local')).toBe('local');
    expect(preferredPlatformType('weird')).toBe('VM');
  });
  test('VM image: largest master number, full path', () => {
    expect(selectVmImage('centos-7.7-64', '/img', names)).toBe('/img/condor-centos-7.7-64-master-2020050101.qcow2');
    expect(selectVmImage('centos-7.minorversion-64', '/img', names)).toBe('/img/condor-centos-7.5-64-master-2021010101.qcow2');
    expect(selectVmImage('debian-12.0-64', '/img', names)).toBeUndefined();
    // '.' is literal: centos-7x7-64 must not match centos-7.7-64
    expect(selectVmImage('centos-7x7-64', '/img', ['condor-centos-7.7-64-master-1.qcow2'])).toBeUndefined();
  });
  test('docker image: repository of the best swamp/ line', () => {
    const lines = [
      'REPOSITORY                                      TAG       IMAGE ID       CREATED        SIZE',
      'swamp/condor-centos-7.7-64-master-2020040602    latest    0123456789ab   2 months ago   1GB',
      'swamp/condor-centos-7.7-64-master-2020040603    latest    0123456789ac   2 months ago   1GB',
      'other/condor-centos-7.7-64-master-2099          latest    0123456789ad   2 months ago   1GB',
    ];
    expect(selectDockerImage('centos-7.7-64', lines)).toBe('swamp/condor-centos-7.7-64-master-2020040603');
  });
  test('identifier from image', () => {
    expect(identifierFromImage('/img/condor-centos-7.7-64-master-2020040602.qcow2')).toBe('centos-7.7-64');
    expect(identifierFromImage('swamp/condor-ubuntu-16.04-64-master-1')).toBe('ubuntu-16.04-64');
    expect(identifierFromImage('nothing')).toBeUndefined();
  });
  test('fallback to the other type; local never falls back', () => {
    const c = { vmNames: names, imagesDir: '/img', dockerLines: ['swamp/condor-debian-12.0-64-master-7 latest x'] };
    expect(choosePlatform('debian-12.0-64', 'VM', c, 'M')).toEqual({ type: 'DC', image: 'swamp/condor-debian-12.0-64-master-7', identifier: 'debian-12.0-64' });
    expect(choosePlatform('centos-7.minorversion-64', 'DC', c, 'M')).toEqual({
      type: 'VM',
      image: '/img/condor-centos-7.5-64-master-2021010101.qcow2',
      identifier: 'centos-7.5-64',
    });
    expect(choosePlatform('fedora-1', 'VM', c, 'M')).toBeUndefined();
    expect(choosePlatform('anything', 'local', c, '/bin/m')).toEqual({ type: 'local', image: '/bin/m', identifier: 'anything' });
  });
});

function row(over: Record<string, unknown> = {}): ViewRow {
  return {
    execution_record_uuid: U,
    launch_counter: 2,
    project_uuid: 'P',
    user_uuid: 'USER',
    package_name: 'zlib',
    package_version: '1.10',
    package_language: null,
    package_type: 'C/C++',
    package_path: '/p.tar.gz',
    pkg_checksum: 'x',
    source_path: 'zlib',
    build_file: null,
    build_system: 'make',
    build_cmd: null,
    build_target: null,
    build_dir: null,
    build_opt: null,
    config_cmd: null,
    config_opt: null,
    config_dir: null,
    bytecode_class_path: null,
    bytecode_aux_class_path: null,
    bytecode_source_path: null,
    android_sdk_target: null,
    android_lint_target: null,
    android_redo_build: 0,
    use_gradle_wrapper: 1,
    language_version: null,
    maven_version: null,
    android_maven_plugin: null,
    exclude_paths: null,
    package_build_settings: null,
    package_info: 'ignored',
    tool_name: 'cppcheck',
    version_string: '2.11',
    tool_path: '/t.tar.gz',
    tool_checksum: 'y',
    platform_path: 'debian',
    platform_identifier: 'debian-12.0-64',
    dependency_list: null,
    user_cnf: null,
    notify_when_complete_flag: 1,
    ...over,
  };
}

describe('BOG from exec_run_view (mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties)', () => {
  test('translated columns: NULL -> "null", 0/1 -> false/true, version strings kept as text', () => {
    const t = translateRow(row());
    expect(t.packagebuild_cmd).toBe('null');
    expect(t.android_redo_build).toBe('false');
    expect(t.use_gradle_wrapper).toBe('true');
    expect(t.packageversion).toBe('1.10');
    expect(t['tool-version']).toBe('2.11');
    expect(t.package_info).toBeUndefined();
  });
  test('full BOG', () => {
    const bog = computeBog({
      execrunid: U,
      row: row(),
      resultsFolder: '/r/',
      resultsFolderIsDir: true,
      choosePlatform: () => ({ type: 'DC', image: 'swamp/condor-debian-12.0-64-master-1', identifier: 'debian-12.0-64' }),
    });
    expect(bog).toMatchObject({
      execrunid: U,
      launch_counter: '2',
      projectid: 'P',
      userid: 'USER',
      version: '2',
      resultsfolder: '/r/',
      notify_when_complete_flag: '1',
      toolname: 'cppcheck',
      toolpath: '/t.tar.gz',
      packagetype: 'C/C++',
      platform_type: 'DC',
      use_docker_universe: '1',
      platform_image: 'swamp/condor-debian-12.0-64-master-1',
      platform_identifier: 'debian-12.0-64',
    });
    // untranslated NULLs are left out (the legacy skipped undef values)
    expect(bog).not.toHaveProperty('user_cnf');
    expect(bog).not.toHaveProperty('packagedependencylist');
  });
  test('VM: use_docker_universe empty', () => {
    const bog = computeBog({ execrunid: U, row: row(), resultsFolder: '/r', resultsFolderIsDir: true, choosePlatform: () => ({ type: 'VM', image: '/i', identifier: 'x' }) });
    expect(bog.use_docker_universe).toBe('');
  });
  test('errors are BOG errors (legacy code 1)', () => {
    const base = { execrunid: U, resultsFolder: '/r', resultsFolderIsDir: true, choosePlatform: () => undefined };
    const codeOf = (f: () => unknown): number | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof BogError ? e.code : -1;
      }
      return undefined;
    };
    expect(codeOf(() => computeBog({ ...base, row: row() }))).toBe(LaunchCode.BOG_ERROR);
    expect(codeOf(() => computeBog({ ...base, row: row(), resultsFolderIsDir: false }))).toBe(LaunchCode.BOG_ERROR);
    expect(codeOf(() => computeBog({ ...base, row: row({ platform_identifier: '' }) }))).toBe(LaunchCode.BOG_ERROR);
  });
});

describe('--list output (mirswamp/services perl/agents/vmu_calldorun.pl)', () => {
  test('legacy format', () => {
    expect(formatLaunchQueue(['a', 'b'])).toBe('Database Queue has 2 items in it\n0) a\n1) b\nCount: 2\n');
    expect(formatLaunchQueue([])).toBe('Database Queue has 0 items in it\nCount: 0\n');
    expect(formatLaunchQueue(['a', 'b', 'c'], 2)).toBe('Database Queue has 3 items in it\n0) a\n1) b\nCount: 2\n');
  });
});
