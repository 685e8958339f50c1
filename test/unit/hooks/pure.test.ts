/** Pure parts of the hooks: argv, final status and retry arithmetic, input files, vm command lines. */
import { checkFamily, jobLogId, jobLogName, parseJobArgs } from '../../../lib/hooks/args.js';
import { configFromText } from '../../../lib/config/index.js';
import { collectorContext } from '../../../lib/hooks/collector.js';
import {
  builderPassword,
  frameworkFor,
  mergeOsDependencies,
  packageConf,
  runParamsConf,
  sonatypeDataConf,
  toolDirectory,
  userOsDependencies,
} from '../../../lib/hooks/inputs.js';
import { monitorArgv } from '../../../lib/hooks/monitor-process.js';
import { finalDecision, statusOutFacts, RETRY_EXIT_CODE } from '../../../lib/hooks/outcome.js';
import { clocSum } from '../../../lib/hooks/runtime.js';
import { platformOf } from '../../../lib/hooks/settings.js';
import { configFromJobAd, DEFAULT_CONFIG_PATH, resolveConfigPath } from '../../../lib/config/index.js';
import { perlTrim, statusOutValue } from '../../../lib/hooks/post-assessment.js';
import { codedxVersion, lastEventWord, runParamsSh, shellWord, viewerDbBundleName, viewerDidNotStartWord } from '../../../lib/hooks/viewer-inputs.js';
import {
  extractOutputDisk,
  findOnPath,
  imageYear,
  initScript,
  makeInputDisk,
  makeOutputDisk,
  osFamily,
  patchDelta,
  qemuImgDelta,
  requireTools,
} from '../../../lib/hooks/vm.js';
import { METRIC, PROJECT, RUN, VRUN } from './helpers.js';

describe('hook arguments', () => {
  test('legacy positional arguments and derived names', () => {
    const a = parseJobArgs([RUN, 'swamp', 'swamp-pool', '17', '0', '2']);
    expect(a).toMatchObject({ execrunuid: RUN, owner: 'swamp', clusterId: '17', procId: '0', numJobStarts: 2, family: 'assessment' });
    expect(a.vmhostname).toBe('aswamp-17-0');
    expect(a.vmDomain).toBe('swamp_swamp-pool_17.0');
    expect(jobLogName(a)).toBe(`${RUN}_17`);
    expect(parseJobArgs([METRIC, 'swamp', 'd', '1', '0']).vmhostname).toBe('mswamp-1-0');
  });

  test('viewer runs log under the project uuid (vrun_ and _CodeDX removed)', () => {
    const a = parseJobArgs([VRUN, 'swamp', 'd', '5', '0', '0']);
    expect(a.family).toBe('viewer');
    expect(a.vmhostname).toBe('vswamp-5-0');
    expect(jobLogId(VRUN)).toBe(PROJECT);
    expect(jobLogName(a)).toBe(`${PROJECT}_5`);
  });

  test('an unexpanded or absent NumJobStarts counts as 0', () => {
    expect(parseJobArgs([RUN, 'swamp', 'd', '1', '0', '$$([NumJobStarts])']).numJobStarts).toBe(0);
    expect(parseJobArgs([RUN, 'swamp', 'd', '1', '0']).numJobStarts).toBe(0);
  });

  test.each([
    [['; rm -rf /', 'swamp', 'd', '1', '0']],
    [[RUN, 'sw amp', 'd', '1', '0']],
    [[RUN, 'swamp', 'd$(x)', '1', '0']],
    [[RUN, 'swamp', 'd', '1.0', '0']],
    [[RUN, 'swamp', 'd', '1']],
    [[RUN, 'swamp', 'd', '1', '0', '0', '0', 'extra']],
  ])('refuses %j', (argv) => {
    expect(() => parseJobArgs(argv)).toThrow(/invalid|expected/);
  });

  test('the hook must match the run family', () => {
    expect(() => checkFamily('PreViewer', parseJobArgs([RUN, 'swamp', 'd', '1', '0']))).toThrow(/PreViewer called for a assessment run/);
    expect(() => checkFamily('PostAssessment', parseJobArgs([VRUN, 'swamp', 'd', '1', '0']))).toThrow();
    expect(() => checkFamily('MonitorViewer', parseJobArgs([VRUN, 'swamp', 'd', '1', '0']))).not.toThrow();
  });

  test('monitorjob argv repeats the job arguments', () => {
    expect(monitorArgv('MonitorAssessment', parseJobArgs([RUN, 'swamp', 'd', '9', '1', '2']))).toEqual(['MonitorAssessment', RUN, 'swamp', 'd', '9', '1', '2']);
  });
});

const PASS = ['PASS: install-os-dependencies 0.1s', 'PASS: build 7.2s', 'PASS: assess (pass: 1, fail: 0) 10.3s', 'PASS: parse-results (weaknesses: 57) 1.4s', 'PASS: all 19.5s', ''].join('\n');
const BUILD_FAIL = ['PASS: configure 0.5s', 'FAIL: build 2.3s', '  ----------', '  make: *** [all] Error 2', '  ----------', 'FAIL: all 3.2s', ''].join('\n');
const RETRY = ['FAIL: install-os-dependencies 31.4s', 'NOTE: retry (network failure)', 'FAIL: all 31.6s', ''].join('\n');
const NO_FILES = ['PASS: build 1s', 'SKIP: assess (no files) 0s', 'PASS: all 1s', ''].join('\n');
const NO_BUILD = ['PASS: no-build-setup (source-files: 10, compilable: 7) 1s', 'PASS: all 2s', ''].join('\n');

describe('status.out -> final status and exit code', () => {
  const decide = (text: string | undefined, n = 0, R = 3, haveResults = true, savedInDb = true) =>
    finalDecision({ facts: statusOutFacts(text), haveResults, savedInDb, numJobStarts: n, maxRetries: R });

  test('facts', () => {
    expect(statusOutFacts(PASS)).toEqual({ found: true, pass: true, retry: false, weaknesses: 57, firstFailure: null, warning: false });
    expect(statusOutFacts(BUILD_FAIL)).toMatchObject({ pass: false, retry: false, firstFailure: 'build' });
    expect(statusOutFacts(RETRY)).toMatchObject({ pass: false, retry: true, firstFailure: 'install-os-dependencies' });
    expect(statusOutFacts(undefined)).toMatchObject({ found: false, pass: false });
  });

  test('pass is the legacy all_pass: the last PASS/FAIL of task `all`; FAIL lines and NOTE: retry do not change it', () => {
    expect(statusOutFacts(`${PASS}NOTE: retry (x)\n`)).toMatchObject({ pass: true, retry: true });
    expect(decide(`${PASS}NOTE: retry (x)\n`)).toMatchObject({ status: 'Finished', exitCode: 0, complete: true });
    expect(statusOutFacts(`FAIL: lint 1s\n${PASS}`)).toMatchObject({ pass: true, firstFailure: 'lint' });
    expect(statusOutFacts(`${PASS}FAIL: all 1s\n`)).toMatchObject({ pass: false });
    expect(statusOutFacts('FAIL: all 1s\nPASS: all 1s\n')).toMatchObject({ pass: true });
    expect(statusOutFacts('PASS: build 1s\n')).toMatchObject({ pass: false, firstFailure: null });
    // no-files warning: any SKIP of assess, as the legacy's no_files flag
    expect(statusOutFacts('SKIP: assess 0s\nPASS: assess 1s\nPASS: all 1s\n')).toMatchObject({ pass: true, warning: true });
  });

  test('status_out: trimmed like Perl (ASCII white space only), NULL without a file, cut at 3000', () => {
    expect(statusOutValue(undefined)).toBeNull();
    expect(statusOutValue('\n  PASS: all 1s\r\n\n')).toBe('PASS: all 1s');
    expect(perlTrim('\u00a0x\u00a0')).toBe('\u00a0x\u00a0');
    expect(statusOutValue('x'.repeat(3500))).toHaveLength(3000);
  });

  test('Finished, Finished with Warnings', () => {
    expect(decide(PASS)).toEqual({ status: 'Finished', exitCode: 0, complete: true, retriesRemaining: 0 });
    expect(decide(NO_FILES).status).toBe('Finished with Warnings');
    expect(decide(NO_BUILD).status).toBe('Finished with Warnings');
  });

  test('a pass without results or without the DB record is Finished with Errors, no retry', () => {
    expect(decide(PASS, 0, 3, false)).toMatchObject({ status: 'Finished with Errors', exitCode: 0, complete: true });
    expect(decide(PASS, 0, 3, true, false)).toMatchObject({ status: 'Finished with Errors', exitCode: 0, complete: true });
    expect(decide(BUILD_FAIL)).toMatchObject({ status: 'Finished with Errors', exitCode: 0, complete: true });
    expect(decide(undefined)).toMatchObject({ status: 'Finished with Errors', exitCode: 0 });
  });

  test('retry arithmetic: R - n retries remain; exit 5 only while one remains', () => {
    expect(decide(RETRY, 0, 3)).toEqual({ status: 'Finished with Errors - Will retry 3 times', exitCode: RETRY_EXIT_CODE, complete: false, retriesRemaining: 3 });
    expect(decide(RETRY, 1, 3)).toMatchObject({ status: 'Finished with Errors retry(1/3) - Will retry 2 times', exitCode: 5, complete: false });
    expect(decide(RETRY, 2, 3)).toMatchObject({ status: 'Finished with Errors retry(2/3) - Will retry 1 time', exitCode: 5 });
    // legacy: exit 5 and "Will retry 0/-1 time" with complete_flag never set (mirswamp/services perl/agents/vmu_PostAssessment.pl); fixed:
    expect(decide(RETRY, 3, 3)).toEqual({ status: 'Finished with Errors', exitCode: 0, complete: true, retriesRemaining: 0 });
    expect(decide(RETRY, 5, 3)).toEqual({ status: 'Finished with Errors', exitCode: 0, complete: true, retriesRemaining: 0 });
    expect(decide(RETRY, 0, 0)).toMatchObject({ status: 'Finished with Errors', exitCode: 0 });
  });
});

describe('input files', () => {
  test('package.conf: framework keys, nulls left out, archive name', () => {
    const text = packageConf({
      packagetype: 'Java 8 Bytecode',
      packagepath: '/swamp/store/pkg/app-1.0.jar',
      packagename: 'app',
      packageversion: 'null',
      packagesourcepath: '.',
      packageclasspath: 'lib/a.jar',
      packagebuild_target: 'null',
      packagebuild_opt: '  ',
      language_version: 'null',
    });
    expect(text).toBe(
      ['build-sys=java-bytecode', 'package-language-version=java-8', 'package-classpath=lib/a.jar', 'package-archive=app-1.0.jar', 'package-dir=.', 'package-short-name=app', 'package-version=unknown', ''].join('\n'),
    );
    expect(packageConf({ packagetype: 'Ruby', language_version: '2.3', packagepath: '/x/r.tgz' })).toContain('package-language-version=ruby-2.3\n');
  });

  test('run-params.conf per platform', () => {
    const vm = runParamsConf({ platform: 'vm', password: 'aB3!_xyz', uid: 1000, gid: 1001 });
    expect(vm).toContain('SWAMP_USERID=9999\n');
    expect(vm).toContain('SWAMP_EVENT_FILE=/dev/ttyS1\n');
    expect(vm).toContain("CAPTURE_FILES='/var/log/messages /var/log/boot.log'\n");
    const local = runParamsConf({ platform: 'local', password: 'p', uid: 1000, gid: 1001 });
    expect(local).toContain('SWAMP_USERID=1000\nSWAMP_GROUPNAME=builder\nSWAMP_GROUPID=1001\n');
    expect(local).toContain('SWAMP_EVENT_FILE=job_events.log\nIP_ADDR_FILE=job_ip_address.txt\n');
  });

  test('builder password: 8 characters of [a-zA-Z0-9!_], from crypto.randomInt (not Math.random)', () => {
    for (let i = 0; i < 20; i++) expect(builderPassword()).toMatch(/^[a-zA-Z0-9!_]{8}$/);
    const saved = Math.random;
    Math.random = () => 0; // a Math.random-based generator would now give 'aaaaaaaa' every time
    try {
      const seen = new Set(Array.from({ length: 5 }, () => builderPassword()));
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      Math.random = saved;
    }
  });

  test('os-dependencies merge, user dependencies', () => {
    expect(mergeOsDependencies('dependencies-centos-7.7-64=gcc\n# c\ndependencies-centos-7.7-64=make\ndependencies-alpha=x\n')).toBe(
      'dependencies-alpha=x\ndependencies-centos-7.7-64=gcc make\n',
    );
    expect(mergeOsDependencies('\n# only a comment\n')).toBeUndefined();
    expect(userOsDependencies({ packagedependencylist: 'libfoo-dev', platform_identifier: 'android-ubuntu-16.04-64' })).toBe('dependencies-ubuntu-16.04-64=libfoo-dev\n');
    expect(userOsDependencies({ packagedependencylist: 'null' })).toBeUndefined();
  });

  test('framework by package type', () => {
    expect(frameworkFor('C/C++')).toBe('c-assess');
    expect(frameworkFor('Java 7 Source Code')).toBe('java-assess');
    expect(frameworkFor('Android .apk')).toBe('java-assess');
    expect(frameworkFor('Ruby on Rails')).toBe('ruby-assess');
    expect(frameworkFor('Python3')).toBe('script-assess');
    expect(frameworkFor('.NET')).toBe('script-assess');
    expect(frameworkFor('Cobol')).toBeUndefined();
    expect(toolDirectory('/swamp/store/SCATools/gcc/gcc-warn-0.9.tar.gz')).toBe('/swamp/store/SCATools/gcc/gcc-warn-0.9');
  });

  test('sonatype-data.conf needs name, email and company', () => {
    const bog = { toolname: 'Sonatype Application Health Check', user_cnf: JSON.stringify({ name: 'Ann', email: 'a@x.org', company: 'X' }) };
    expect(sonatypeDataConf(bog, 'SWAMP')).toBe('full-name=Ann\nemail-id=a@x.org\ncompany-name=X\nintegrator-name=SWAMP\n');
    expect(sonatypeDataConf({ user_cnf: '{"name":"Ann"}' }, 'SWAMP')).toBeUndefined();
    expect(sonatypeDataConf({ user_cnf: 'not json' }, 'SWAMP')).toBeUndefined();
  });

  test('platform type from the BOG', () => {
    expect(platformOf({ platform_type: 'VM' })).toBe('vm');
    expect(platformOf({ platform_type: 'DC' })).toBe('docker');
    expect(platformOf({ use_docker_universe: '1' })).toBe('docker');
    expect(platformOf({ platform_type: 'local' })).toBe('local');
    expect(platformOf({})).toBe('vm');
  });

  test('config lookup for hooks: SWAMP_CONFIG, installed default, then beside the binary', () => {
    // lib/config's one look-up, as the hooks call it (no --config)
    const locateJobConfig = (
      env: NodeJS.ProcessEnv,
      argv0: string,
      exists: (p: string) => boolean,
      readFile: (p: string) => string | undefined = () => undefined,
      execPath: string = process.execPath,
    ): string => resolveConfigPath({ env, argv0, exists, readFile, execPath }).path;
    expect(locateJobConfig({ SWAMP_CONFIG: '/x/swamp.conf' }, '/a/bin/jobhook', () => false)).toBe('/x/swamp.conf');
    expect(locateJobConfig({}, '/a/bin/jobhook', (p) => p === '/a/etc/swamp.conf')).toBe('/a/etc/swamp.conf');
    // nothing found: the installed default, whose read then fails naming it
    expect(locateJobConfig({}, 'jobhook', () => false, () => undefined, '/usr/bin/node')).toBe(DEFAULT_CONFIG_PATH);
    // HTCondor's argv[0] for hooks has no directory: the binary's own path is used
    expect(locateJobConfig({}, 'condor_Prescript', (p) => p === '/t/etc/swamp.conf', () => undefined, '/t/bin/swamp')).toBe('/t/etc/swamp.conf');
    // PreCmd/PostCmd do not get the job's environment: its SWAMP_CONFIG is read from the job ad
    const ad = 'ClusterId = 7\nEnvironment = "SWAMP_PROGRAM=swamp-assessment-machine SWAMP_CONFIG=/t/etc/swamp.conf"\n';
    expect(locateJobConfig({ _CONDOR_JOB_AD: '/scratch/.job.ad' }, '/a/bin/jobhook', () => false, (p) => (p === '/scratch/.job.ad' ? ad : undefined))).toBe('/t/etc/swamp.conf');
    expect(configFromJobAd('Environment = "A=1 SWAMP_CONFIG=\'/x y/swamp.conf\' B=2"\n')).toBe('/x y/swamp.conf');
    expect(configFromJobAd('Environment = "A=1"\n')).toBeUndefined();
    expect(configFromJobAd('Cmd = "x"\n')).toBeUndefined();
  });
});

describe('viewer inputs', () => {
  test('run-params.sh is shell-safe, written by code', () => {
    const text = runParamsSh({
      platform: 'docker',
      scratch: '/var/lib/condor/execute/dir_7',
      urluuid: 'proxy-ABC',
      apikey: "k'ey $(reboot)",
      viewer: 'CodeDX',
      timeout: { frequency: 10, duration: 28800, lastlog: 3600 },
    });
    expect(text.split('\n')).toEqual([
      'export PROJECT=proxy-ABC',
      "export APIKEY='k'\\''ey $(reboot)'",
      'export JOB_INPUT_DIR=/var/lib/condor/execute/dir_7/in',
      'export JOB_OUTPUT_DIR=/var/lib/condor/execute/dir_7/out',
      'export SWAMP_EVENT_FILE=/var/lib/condor/execute/dir_7/out/job_events.log',
      'export IP_ADDR_FILE=/var/lib/condor/execute/dir_7/out/job_ip_address.txt',
      'export SWAMP_LOG_FILE=/var/lib/condor/execute/dir_7/out/run.out',
      'export TOMCAT_LOG_DIR=/opt/tomcat/logs',
      'export SKIPPED_BUNDLE=/var/lib/condor/execute/dir_7/out/skippedbundle',
      'export VIEWER=CodeDX',
      'export VIEWER_STARTEPOCH_FILE=/var/lib/condor/execute/dir_7/out/run.epoch',
      'export CHECKTIMEOUT_FREQUENCY=10',
      'export CHECKTIMEOUT_DURATION=28800',
      'export CHECKTIMEOUT_LASTLOG=3600',
      "export MACHINE_SHUTDOWN_COMMAND='supervisorctl shutdown'",
      '',
    ]);
    expect(runParamsSh({ platform: 'vm', scratch: '/s', urluuid: 'p', apikey: 'k', viewer: 'CodeDX', timeout: { frequency: 1, duration: 2, lastlog: 3 } })).toContain(
      "export SWAMP_EVENT_FILE=/dev/ttyS1\nexport IP_ADDR_FILE=/dev/ttyS2\nexport SWAMP_LOG_FILE=/mnt/out/run.out\n",
    );
    expect(shellWord('')).toBe("''");
  });

  test('PostViewer word rules, bundle name, codedx version', () => {
    expect(lastEventWord('RUNSHSTART\nVIEWERUP\nVIEWERDOWN\n')).toBe('VIEWERDOWN');
    expect(lastEventWord('\n')).toBeUndefined();
    expect(viewerDidNotStartWord(undefined)).toBe(true);
    expect(viewerDidNotStartWord('MYSQLSHUTDOWN')).toBe(true);
    expect(viewerDidNotStartWord('TIMERSHUTDOWN')).toBe(false);
    expect(viewerDidNotStartWord('VIEWERDOWN')).toBe(false);
    expect(viewerDbBundleName(new Date(2026, 0, 2, 3, 4, 5))).toBe('codedx_viewerdb_20260102030405.tar.gz');
    expect(codedxVersion('#x\nversion=3.5.5\n')).toBe('codedx-3.5.5.war');
  });
});

describe('vm platform command lines (as data)', () => {
  test('disks, init patch and extraction', () => {
    expect(qemuImgDelta('/swamp/platforms/images/condor-centos-7.7-64-master-2020040602.qcow2')).toMatchObject({
      command: 'qemu-img',
      args: ['create', '-b', '/swamp/platforms/images/condor-centos-7.7-64-master-2020040602.qcow2', '-F', 'qcow2', '-f', 'qcow2', 'delta.qcow2'],
    });
    expect(makeInputDisk()).toEqual({
      command: 'virt-make-fs',
      args: ['--type=ext3', '--format=qcow2', 'in', 'inputdisk.qcow2', '--size=+1G'],
      env: { LIBGUESTFS_BACKEND: 'direct' },
      timeoutMs: 600_000,
    });
    expect(makeOutputDisk().args).toEqual(['--type=ext3', '--format=qcow2', 'out', 'outputdisk.qcow2', '--size=3G']);
    expect(extractOutputDisk().args).toEqual(['--ro', '-a', 'outputdisk.qcow2', 'run', ':', 'mount', '/dev/sda', '/', ':', 'glob', 'copy-out', '/*', 'out']);
    expect(patchDelta().args).toEqual(['-a', 'delta.qcow2', '-i', '-f', 'init.gf']);
    expect(osFamily('centos-7.7-64')).toBe('rhel');
    expect(osFamily('ubuntu-16.04-64')).toBe('debian');
    expect(osFamily('windows')).toBeUndefined();
    expect(imageYear('condor-centos-7.7-64-master-2020040602.qcow2')).toBe(2020);
    const gf = initScript({ vmhostname: 'aswamp-1-0', family: 'rhel', fstab: true });
    expect(gf).toContain('write /etc/hostname "aswamp-1-0\\n"');
    expect(gf).toContain('/mnt/in/run.sh > /mnt/out/runsh.out 2>&1 &');
    expect(gf).toContain('/dev/vdb /mnt/in ext3');
    expect(initScript({ vmhostname: 'h', family: 'debian', fstab: false })).not.toContain('fstab');
  });

  test('missing tools: one clear error naming all of them', async () => {
    await expect(requireTools(['qemu-img', 'virt-make-fs', 'guestfish'], '/nonexistent')).rejects.toThrow(
      'vm platform tools not found on PATH: qemu-img, virt-make-fs, guestfish',
    );
    expect(await findOnPath('sh', '/usr/bin:/bin')).toMatch(/\/sh$/);
    await expect(requireTools(['sh'], '/usr/bin:/bin')).resolves.toBeUndefined();
  });

  test('collector addressing and cloc output', () => {
    expect(collectorContext(configFromText('SWAMP-in-a-Box = yes\nhtcondor_collector_host = col.example.org\n')).pool).toBeUndefined();
    expect(collectorContext(configFromText('htcondor_collector_host = col.example.org\n')).pool).toBe('col.example.org');
    expect(clocSum('\nfiles,language,blank,comment,code\n2,C,10,5,100\n1,C/C++ Header,1,1,20\n3,SUM,11,6,120\n')).toBe(240);
  });
});

describe('metric runs (cloc)', () => {
  test('MetricSummaries Type -> Sum, streamed', async () => {
    const { metricSummaries } = await import('../../../lib/hooks/metric.js');
    const xml =
      '<AnalyzerReport><BugInstance><Type>x</Type></BugInstance><MetricSummaries>' +
      ['code-lines', 'comment-lines', 'blank-lines', 'total-lines']
        .map((t, i) => `<MetricSummary><Type>${t}</Type><Count>2</Count><Sum>${(i + 1) * 100}</Sum></MetricSummary>`)
        .join('') +
      '</MetricSummaries></AnalyzerReport>';
    async function* chunks(): AsyncIterable<string> {
      for (let i = 0; i < xml.length; i += 17) yield xml.slice(i, i + 17);
    }
    expect(Object.fromEntries(await metricSummaries(chunks()))).toEqual({ 'code-lines': 100, 'comment-lines': 200, 'blank-lines': 300, 'total-lines': 400 });
  });
});
