import { assessmentSubmitFile, concurrencyLimit, type SubmitInput } from '../../../lib/assessment/index.js';

const U = '0258026e-6c62-4591-8378-89580a707e83';

function input(over: Partial<SubmitInput> = {}): SubmitInput {
  return {
    execrunid: U,
    platformType: 'VM',
    platformImage: '/img/condor-centos-7.7-64-master-1.qcow2',
    userid: 'user@example.org',
    projectid: 'P',
    toolName: 'cppcheck',
    jobDir: 'aswamp_ABCDEF01-2345-6789-ABCD-EF0123456789',
    owner: 'swa-daemon',
    binDir: '/opt/swamp/bin',
    maxRetries: 3,
    swampInABox: true,
    ...over,
  };
}

const lines = (t: string): string[] => t.split('\n');

describe('assessment submit file (mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob, mirswamp/deployment swamp/config/vmu_swamp_htcondor_submit)', () => {
  test('VM: template lines and dynamic section', () => {
    const t = assessmentSubmitFile(input());
    const l = lines(t);
    for (const want of [
      'universe = vm',
      'vm_type = kvm',
      'vm_networking = true',
      'vm_networking_type = swampinabox',
      'RequestMemory = 6144',
      'vm_memory = 6144',
      'RequestCpus = 2',
      'vm_vcpus = 2',
      'RequestDisk = 2',
      'RunAsOwner = True',
      '+JobVMVNCConsole = true',
      '+JobVMSerialConsole = true',
      '+JobVMEvents = true',
      'vm_disk = delta.qcow2:vda:w:qcow2, inputdisk.qcow2:vdb:w:qcow2, outputdisk.qcow2:vdc:w:qcow2',
      'transfer_output_files = ""',
      '+JOB_EVENTS_PATH = "out/job_events.log"',
      '+JOB_IP_ADDRESS_PATH = "out/job_ip_address.txt"',
      'executable = aswamp-$(CLUSTERID)-$(PROCID)',
      `transfer_input_files = delta.qcow2, inputdisk.qcow2, outputdisk.qcow2, ${U}_submitbundle.tar.gz`,
      '+PreCmd = "/opt/swamp/bin/jobhook"',
      `+PreArguments = "PreAssessment ${U} swa-daemon $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`,
      '+PostCmd = "/opt/swamp/bin/jobhook"',
      `+PostArguments = "PostAssessment ${U} swa-daemon $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`,
      '+ViewerJob = false',
      'priority = 0',
      `+SWAMP_arun_execrunuid = "${U}"`,
      '+SWAMP_userid = "user@example.org"',
      '+SWAMP_projectid = "P"',
      '+SWAMP_submit_jobdir = "aswamp_ABCDEF01-2345-6789-ABCD-EF0123456789"',
      'accounting_group = group_assessment',
      'accounting_group_user = user-at-example.org',
      '+SuccessPostExitCode = 0',
      'max_retries = 3',
      'periodic_release = HoldReasonCode == 44 && ((NumJobStarts <= 3) && (PostExitCode == 5))',
      'periodic_remove = HoldReasonCode =?= 44 && ((NumJobStarts > 3) || (PostExitCode != 5))',
      'job_max_vacate_time = 60',
    ]) {
      expect(l).toContain(want);
    }
    expect(l[l.length - 2]).toBe('queue');
    expect(t).not.toMatch(/concurrency_limits/);
    expect(t).not.toMatch(/\.\.\/\.\.\//);
  });

  test('facility VM: swamp networking and bridge', () => {
    const l = lines(assessmentSubmitFile(input({ swampInABox: false, bridgeInterface: 'br0' })));
    expect(l).toContain('vm_networking_type = swamp');
    expect(l).toContain('+VMPARAM_Bridge_Interface = "br0"');
  });

  test('docker', () => {
    const l = lines(assessmentSubmitFile(input({ platformType: 'DC', platformImage: 'swamp/condor-centos-7.7-64-master-2020040602' })));
    for (const want of [
      'universe = docker',
      'transfer_executable = False',
      'should_transfer_files = YES',
      'transfer_output_files = in,out',
      'when_to_transfer_output = ON_EXIT_OR_EVICT',
      'output = condor_out',
      'stream_error = True',
      'error = condor_err',
      'log = condor_log',
      'want_graceful_removal = true',
      'docker_image = swamp/condor-centos-7.7-64-master-2020040602',
      'executable = /bin/bash',
      `arguments = "-c 'ulimit -n 1024 && in/run.sh --type=docker'"`,
      `transfer_input_files = ${U}_submitbundle.tar.gz`,
    ]) {
      expect(l).toContain(want);
    }
    expect(l.some((x) => x.startsWith('environment'))).toBe(false);
    // with the launcher's config: handed to the hooks through the job ad, as on the local platform
    const withConf = lines(assessmentSubmitFile(input({ platformType: 'DC', platformImage: 'localhost/swamp/condor-debian-12.0-64-master-2026120601', configPath: '/work/x/etc/swamp.conf' })));
    expect(withConf).toContain('environment = "SWAMP_CONFIG=/work/x/etc/swamp.conf"');
    expect(withConf).toContain('docker_image = localhost/swamp/condor-debian-12.0-64-master-2026120601');
  });

  test('local: vanilla universe running our machine program', () => {
    const l = lines(assessmentSubmitFile(input({ platformType: 'local', binDir: '/work/x/dist/bin', configPath: '/work/x/etc/swamp.conf' })));
    expect(l).toContain('environment = "SWAMP_PROGRAM=swamp-assessment-machine SWAMP_CONFIG=/work/x/etc/swamp.conf"');
    expect(l).toContain('universe = vanilla');
    expect(l).toContain('executable = /work/x/dist/bin/swamp-assessment-machine');
    expect(l).toContain('+PreCmd = "/work/x/dist/bin/jobhook"');
    expect(l).toContain(`transfer_input_files = ${U}_submitbundle.tar.gz`);
  });

  test('metric run: M- id, priority -10, mswamp, SWAMP_mrun_execrunuid', () => {
    const t = assessmentSubmitFile(input({ execrunid: `M-${U}`, jobDir: 'mswamp_ABCDEF01-2345-6789-ABCD-EF0123456789', userid: 'METRIC', projectid: 'METRIC' }));
    const l = lines(t);
    expect(l).toContain('priority = -10');
    expect(l).toContain('executable = mswamp-$(CLUSTERID)-$(PROCID)');
    expect(l).toContain(`+SWAMP_mrun_execrunuid = "M-${U}"`);
    expect(t).not.toMatch(/SWAMP_arun_execrunuid/);
  });

  test('concurrency limits of licensed tools', () => {
    expect(concurrencyLimit('Parasoft C/C++test')).toBe('PARASOFTC');
    expect(concurrencyLimit('Parasoft Jtest')).toBe('PARASOFTJAVA');
    expect(concurrencyLimit('GrammaTech CodeSonar')).toBe('GRAMMATECHCS');
    expect(concurrencyLimit('Red Lizard Goanna')).toBe('REDLIZARDG');
    expect(concurrencyLimit('Synopsys Static Analysis (Coverity)')).toBe('SYNOPSYSC');
    expect(concurrencyLimit('cppcheck')).toBeUndefined();
    expect(lines(assessmentSubmitFile(input({ toolName: 'Parasoft Jtest' })))).toContain('concurrency_limits = PARASOFTJAVA');
  });

  test('values from the DB are escaped, hostile ones refused', () => {
    const t = assessmentSubmitFile(input({ userid: 'a"b$(x)', projectid: 'p\\' }));
    expect(lines(t)).toContain('+SWAMP_userid = "a\\"b$(DOLLAR)(x)"');
    expect(lines(t)).toContain('accounting_group_user = a"b$(DOLLAR)(x)');
    expect(() => assessmentSubmitFile(input({ userid: 'a\nqueue' }))).toThrow(/line break/);
    expect(() => assessmentSubmitFile(input({ owner: 'x y' }))).toThrow(/job owner/);
    expect(() => assessmentSubmitFile(input({ binDir: '../bin' }))).toThrow(/bin directory/);
    expect(() => assessmentSubmitFile(input({ binDir: '/opt/$(x)/bin' }))).toThrow(/bin directory/);
    expect(() => assessmentSubmitFile(input({ platformType: 'DC', platformImage: 'swamp/x\nqueue 100' }))).toThrow(/docker image/);
    expect(() => assessmentSubmitFile(input({ execrunid: 'x"; queue' }))).toThrow(/run id/);
  });
});
