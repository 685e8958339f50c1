/**
 * vm and docker jobs cannot run on this pool, so their submit descriptions are checked with
 * `condor_submit -dry-run`: the job ad HTCondor would create from the job dir our launcher prepares.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, mkdirSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assessmentSubmitFile } from '../../../lib/assessment/index.js';
import { configFromText } from '../../../lib/config/index.js';
import { launchSettings, prepareJobDir, type PlatformType } from '../../../lib/submission/index.js';
import { defaultTemplate, type SubmitTemplate } from '../../../lib/submission/submit-template.js';
import { platformTemplate } from '../../../lib/submission/template-file.js';
import { viewerJobDirName, viewerSubmitFile } from '../../../lib/viewer/submit.js';
import { parseLongAd, runTool, submitMessages } from '../../../lib/htcondor/index.js';
import { CTX } from './helpers.js';

jest.setTimeout(60_000);

const U = '0258026e-6c62-4591-8378-89580a707e83';
let root: string;
beforeAll(() => {
  root = mkdtempSync('/tmp/swamp-la-dry-');
  chmodSync(root, 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Ad = { strings: Record<string, string>; raw: Record<string, string> };

async function dryRunFile(dir: string, submitFile: string): Promise<Ad> {
  const r = await runTool(CTX, 'condor_submit', ['-dry-run', '-', submitFile], { cwd: dir, okExitCodes: [0, 1] });
  const msgs = submitMessages(`${r.stderr}\n${r.stdout}`);
  if (r.exitCode !== 0) throw new Error(`dry-run failed: ${msgs.errors.join('; ') || r.stderr}`);
  return parseLongAd(r.stdout);
}

async function dryRun(
  type: PlatformType,
  id: string,
  extra: { toolName?: string; image?: string; template?: SubmitTemplate; swampInABox?: boolean; bridgeInterface?: string } = {},
): Promise<Ad> {
  const jobDir = `${id.startsWith('M-') ? 'mswamp' : 'aswamp'}_ABCDEF01-2345-6789-ABCD-EF012345678${type === 'VM' ? '9' : type === 'DC' ? 'A' : 'B'}`;
  const bog = { execrunid: id, userid: 'user@example.org', projectid: 'P', platform_type: type, toolname: extra.toolName ?? 'cppcheck' };
  const text = assessmentSubmitFile({
    execrunid: id,
    platformType: type,
    platformImage: extra.image ?? 'swamp/condor-centos-7.7-64-master-2020040602',
    userid: 'user@example.org',
    projectid: 'P',
    toolName: extra.toolName ?? 'cppcheck',
    jobDir,
    owner: 'swamp',
    binDir: '/opt/swamp/bin',
    maxRetries: 3,
    swampInABox: extra.swampInABox ?? true,
    bridgeInterface: extra.bridgeInterface,
    template: extra.template,
  });
  const job = await prepareJobDir(root, jobDir, id, bog, text, type === 'VM');
  return dryRunFile(job.dir, job.submitFile);
}

describe('condor_submit -dry-run of the launcher\'s job dirs', () => {
  test('vm universe assessment', async () => {
    const ad = await dryRun('VM', U);
    expect(ad.raw.JobUniverse).toBe('13');
    expect(ad.strings.JobVMType).toBe('kvm');
    expect(ad.raw.JobVMMemory).toBe('6144');
    expect(ad.strings.Cmd).toMatch(/aswamp-\d+-0$/);
    expect(ad.strings.SWAMP_arun_execrunuid).toBe(U);
    expect(ad.strings.SWAMP_submit_jobdir).toMatch(/^aswamp_/);
    expect(ad.strings.PreCmd).toBe('/opt/swamp/bin/jobhook');
    expect(ad.strings.PreArguments).toMatch(new RegExp(`^PreAssessment ${U} swamp \\S+ \\d+ 0 `));
    expect(ad.strings.JOB_EVENTS_PATH).toBe('out/job_events.log');
    expect(ad.raw.JobPrio).toBe('0');
    expect(ad.raw.JobMaxVacateTime).toBe('60');
    expect(ad.strings.AcctGroupUser).toBe('user-at-example.org');
    expect(ad.strings.TransferInput).toContain(`${U}_submitbundle.tar.gz`);
    expect(ad.raw.PeriodicRelease).toMatch(/HoldReasonCode == 44/);
  });

  test('docker universe metric run with a licensed tool', async () => {
    const id = `M-${U}`;
    const ad = await dryRun('DC', id, { toolName: 'Parasoft C/C++test' });
    expect(ad.strings.DockerImage).toBe('swamp/condor-centos-7.7-64-master-2020040602');
    expect(ad.strings.Cmd).toBe('/bin/bash');
    expect(ad.strings.SWAMP_mrun_execrunuid).toBe(id);
    expect(ad.raw.JobPrio).toBe('-10');
    expect(ad.strings.ConcurrencyLimits?.toLowerCase()).toBe('parasoftc');
    expect(ad.strings.TransferOutput).toBe('in,out');
  });
});

describe('site submit templates reach the job (<swampDir>/etc, read as the launcher reads them)', () => {
  let swampDir: string;
  beforeAll(() => {
    swampDir = mkdtempSync('/tmp/swamp-la-tmpl-');
    chmodSync(swampDir, 0o755);
    mkdirSync(join(swampDir, 'etc'), { mode: 0o755 });
    // a facility's VM template, edited by the site: more memory and CPUs
    const vm = defaultTemplate('vm', false).text.replace(/RequestMemory = 6144/, 'RequestMemory = 12288').replace(/vm_memory = 6144/, 'vm_memory = 12288').replace(/RequestCpus = 2/, 'RequestCpus = 6');
    writeFileSync(join(swampDir, 'etc', 'vmu_htcondor_submit'), vm, { mode: 0o644 });
    const docker = defaultTemplate('docker', true).text.replace(/RequestMemory = 6144/, 'RequestMemory = 3072').replace(/RequestCpus = 2/, 'RequestCpus = 1');
    writeFileSync(join(swampDir, 'etc', 'docker_htcondor_submit'), docker, { mode: 0o644 });
  });
  afterAll(() => rmSync(swampDir, { recursive: true, force: true }));

  const settings = () => launchSettings(configFromText(`swampDir = ${swampDir}\nSWAMP-in-a-Box = no\nvm_bridge_interface = br0\n`));

  test('vm assessment: RequestMemory/RequestCpus of the edited template, the bridge filled in', async () => {
    const s = settings();
    const ad = await dryRun('VM', U, { template: platformTemplate('VM', s.etcDir, s.swampInABox), swampInABox: s.swampInABox, bridgeInterface: s.bridgeInterface ?? '' });
    expect(ad.raw.RequestMemory).toBe('12288');
    expect(ad.raw.JobVMMemory).toBe('12288');
    expect(ad.raw.RequestCpus).toBe('6');
    expect(ad.strings.VMPARAM_Bridge_Interface).toBe('br0');
  });

  test('docker assessment and docker viewer: the edited docker template', async () => {
    const s = settings();
    const template = platformTemplate('DC', s.etcDir, s.swampInABox);
    const ad = await dryRun('DC', U, { template });
    expect(ad.raw.RequestMemory).toBe('3072');
    expect(ad.raw.RequestCpus).toBe('1');

    const id = 'vrun_0258026e-6c62-4591-8378-89580a707e83_CodeDX';
    const jobDir = viewerJobDirName('0123abcd-0000-4000-8000-00000000abcd');
    const text = viewerSubmitFile({
      execrunid: id, platformType: 'DC', platformImage: 'swamp/condor-codedx-3.5.5-viewer-master-2020', userid: 'u', projectid: U, viewerUuid: U,
      jobDir, owner: 'swamp', binDir: '/opt/swamp/bin', swampInABox: s.swampInABox, bridgeInterface: s.bridgeInterface, template,
    });
    const job = await prepareJobDir(root, jobDir, id, { execrunid: id }, text, false);
    const vad = await dryRunFile(job.dir, job.submitFile);
    expect(vad.raw.RequestMemory).toBe('3072');
    expect(vad.raw.WantGracefulRemoval).toMatch(/true/i);
  });

  test('the compiled default is used when no template is installed', async () => {
    const empty = mkdtempSync('/tmp/swamp-la-notmpl-');
    try {
      const ad = await dryRun('DC', U, { template: platformTemplate('DC', join(empty, 'etc'), true) });
      expect(ad.raw.RequestMemory).toBe('6144');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
