/**
 * vm and docker jobs cannot run on this pool, so their submit descriptions are checked with
 * `condor_submit -dry-run`: the job ad HTCondor would create from the job dir our launcher prepares.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { assessmentSubmitFile } from '../../../lib/assessment/index.js';
import { prepareJobDir, type PlatformType } from '../../../lib/submission/index.js';
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

async function dryRun(type: PlatformType, id: string, extra: { toolName?: string; image?: string } = {}): Promise<{ strings: Record<string, string>; raw: Record<string, string> }> {
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
    swampInABox: true,
  });
  const job = await prepareJobDir(root, jobDir, id, bog, text, type === 'VM');
  const r = await runTool(CTX, 'condor_submit', ['-dry-run', '-', job.submitFile], { cwd: job.dir, okExitCodes: [0, 1] });
  const msgs = submitMessages(`${r.stderr}\n${r.stdout}`);
  if (r.exitCode !== 0) throw new Error(`dry-run failed: ${msgs.errors.join('; ') || r.stderr}`);
  return parseLongAd(r.stdout);
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
