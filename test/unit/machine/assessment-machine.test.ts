import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { effectiveOutcome, main, playAssessment, resolveSettings } from '../../../lib/machine/assessment-machine.js';
import { runMonitor } from '../../../lib/monitor/run.js';
import { defaultMonitorConfig } from '../../../lib/monitor/state.js';
import type { AdValue } from '../../../lib/monitor/types.js';

// the fixture the embedded asset was made from (test/fixtures/scarf; the program never reads it)
const SHARED_SCARF = join(process.cwd(), 'test', 'fixtures', 'scarf', 'gcc_parsed_results.xml');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amachine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listTar(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await tar.list({
    file,
    onReadEntry: (e) => {
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => out.set(e.path, Buffer.concat(chunks).toString('utf8')));
    },
  });
  return out;
}

const events = async (): Promise<string[]> => (await readFile(join(dir, 'out', 'job_events.log'), 'utf8')).trim().split('\n');

test('a passing run: words in the real order, status.out, archives with the SCARF file', async () => {
  const s = await resolveSettings(['--job-dir', dir, '--delay-ms', '5']);
  expect(await playAssessment(s)).toBe(0);
  expect(await events()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'ENDASSESSMENT']);
  const out = (await readdir(join(dir, 'out'))).sort();
  expect(out).toEqual(
    [
      'build.conf',
      'build.tar.gz',
      'build_assess.out',
      'job_events.log',
      'job_ip_address.txt',
      'parsed_results.conf',
      'parsed_results.tar.gz',
      'results.conf',
      'results.tar.gz',
      'run.out',
      'status.out',
    ].sort(),
  );
  expect(await readFile(join(dir, 'out', 'job_ip_address.txt'), 'utf8')).toBe('127.0.0.1\n');
  const status = await readFile(join(dir, 'out', 'status.out'), 'utf8');
  expect(status).toMatch(/^PASS: all\s+[0-9.]+s$/m);
  expect(status).toMatch(/^PASS: parse-results\s+\(weaknesses: 201\)\s+[0-9.]+s$/m);
  expect(status).not.toMatch(/FAIL/);
  const parsed = await listTar(join(dir, 'out', 'parsed_results.tar.gz'));
  const fixture = await readFile(SHARED_SCARF, 'utf8').catch(() => undefined);
  expect(parsed.get('parsed_results/parsed_results.xml')).toBe(fixture ?? parsed.get('parsed_results/parsed_results.xml'));
  expect(parsed.get('parsed_results/parsed_results.xml')).toMatch(/^<\?xml/);
  expect(await readFile(join(dir, 'out', 'parsed_results.conf'), 'utf8')).toContain('parsed-results-file=parsed_results.xml');
  const runOut = await readFile(join(dir, 'out', 'run.out'), 'utf8');
  expect(runOut).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d: 10 RUNSHSTART /m);
  expect(runOut).toMatch(/: 13 ENDASSESSMENT /);
  expect((await readdir(dir)).sort()).toEqual(['in', 'out']); // staging removed
});

test('failing outcomes: build, assess, retry (NOTE: retry), crash (no status.out, exit 1)', async () => {
  const s = await resolveSettings(['--job-dir', dir, '--delay-ms', '0', '--outcome', 'build']);
  expect(await playAssessment(s)).toBe(0);
  const status = await readFile(join(dir, 'out', 'status.out'), 'utf8');
  expect(status).toMatch(/^FAIL: build\s+[0-9.]+s\n {2}-+\n {2}exit code 2\n/m);
  expect(status).toMatch(/^FAIL: all/m);
  expect((await listTar(join(dir, 'out', 'build.tar.gz'))).get('build/build_stdout.out')).toContain('Error 2');

  await rm(join(dir, 'out'), { recursive: true });
  await playAssessment({ ...s, outcome: 'retry' });
  expect(await readFile(join(dir, 'out', 'status.out'), 'utf8')).toMatch(/^NOTE: retry/m);

  await rm(join(dir, 'out'), { recursive: true });
  await playAssessment({ ...s, outcome: 'assess' });
  expect(await readFile(join(dir, 'out', 'status.out'), 'utf8')).toMatch(/^FAIL: assess\s+\(pass: 0, fail: 1/m);
  expect((await listTar(join(dir, 'out', 'results.tar.gz'))).get('results/assessment_summary.xml')).toContain('<execution-successful>false</execution-successful>');

  await rm(join(dir, 'out'), { recursive: true });
  expect(await playAssessment({ ...s, outcome: 'crash' })).toBe(1);
  expect(await events()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT']);
  await expect(readFile(join(dir, 'out', 'status.out'))).rejects.toThrow();
});

test('settings: in/machine.conf, BOG keys, argv precedence, fail_runs against NumJobStarts', async () => {
  await mkdir(join(dir, 'in'), { recursive: true });
  await mkdir(join(dir, 'out'), { recursive: true });
  await writeFile(join(dir, 'out', 'a1.bog'), '# bog\nexecrunid=a1\nlocal_machine_outcome=assess\nlocal_machine_delay_ms=7\n');
  let s = await resolveSettings(['--job-dir', dir]);
  expect([s.outcome, s.delayMs]).toEqual(['assess', 7]);
  await writeFile(join(dir, 'in', 'machine.conf'), 'outcome = retry\nfail_runs=1\nexit_code=3\n');
  s = await resolveSettings(['--job-dir', dir]);
  expect([s.outcome, s.failRuns, s.exitCode, s.delayMs]).toEqual(['retry', 1, 3, 7]);
  expect(s.assessMs).toBeUndefined(); // the assessment step pauses delay_ms
  await writeFile(join(dir, 'in', 'machine.conf'), 'outcome = retry\nfail_runs=1\nexit_code=3\nassess_ms=90000\n');
  s = await resolveSettings(['--job-dir', dir]);
  expect([s.delayMs, s.assessMs]).toEqual([7, 90000]);
  s = await resolveSettings(['--job-dir', dir, '--outcome', 'pass']);
  expect(s.outcome).toBe('pass');

  const jobAd = join(dir, '.job.ad');
  await writeFile(jobAd, 'ClusterId = 4\nNumJobStarts = 1\n');
  s = await resolveSettings(['--job-dir', dir], { _CONDOR_JOB_AD: jobAd });
  expect(s.numJobStarts).toBe(1);
  expect(effectiveOutcome(s)).toBe('pass'); // failed on start 0 only
  expect(effectiveOutcome({ ...s, numJobStarts: 0 })).toBe('retry');
  await expect(resolveSettings(['--job-dir', dir, '--outcome', 'explode'])).rejects.toThrow(/unknown outcome/);
  const err: string[] = [];
  expect(await main(['--job-dir', dir, '--delay-ms', 'x'], { stderr: (t) => void err.push(t) })).toBe(2);
  expect(err.join('')).toMatch(/--delay-ms must be a non-negative integer/);
});

test('with the monitor following: statuses in order, one per word, under a second each', async () => {
  const s = await resolveSettings(['--job-dir', dir, '--delay-ms', '150']);
  const ads: { status: string; at: number }[] = [];
  await mkdir(join(dir, 'out'), { recursive: true });
  const mon = runMonitor({
    config: defaultMonitorConfig({ kind: 'assessment', execrunuid: 'a1', vmhostname: 'aswamp-1-0', platform: 'local' }),
    eventFile: join(dir, 'out', 'job_events.log'),
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: { publish: async (ad: Readonly<Record<string, AdValue>>) => void ads.push({ status: String(ad.SWAMP_vmu_assessment_status), at: Date.now() }) },
    handleSignals: false,
  });
  const started = Date.now();
  expect(await playAssessment(s)).toBe(0);
  const r = await mon;
  expect(r.reason).toBe('ENDASSESSMENT');
  expect(ads.map((a) => a.status)).toEqual([
    'Starting assessment run script',
    'Wrote ip address',
    'Obtaining Assessment Machine IP Address',
    'Performing assessment',
    'Shutting down the assessment machine',
  ]);
  expect(ads.at(-1)!.at - started).toBeLessThan(150 * 3 + 1500);
});

test('truncating writer (docker `>`): the monitor still gets every word', async () => {
  const s = await resolveSettings(['--job-dir', dir, '--delay-ms', '40', '--event-mode', 'truncate']);
  const statuses: string[] = [];
  await mkdir(join(dir, 'out'), { recursive: true });
  const mon = runMonitor({
    config: defaultMonitorConfig({ kind: 'assessment', execrunuid: 'a1', vmhostname: 'aswamp-1-0', platform: 'local' }),
    eventFile: join(dir, 'out', 'job_events.log'),
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: { publish: async (ad: Readonly<Record<string, AdValue>>) => void statuses.push(String(ad.SWAMP_vmu_assessment_status)) },
    handleSignals: false,
  });
  expect(await playAssessment(s)).toBe(0);
  expect(await events()).toEqual(['ENDASSESSMENT']);
  expect((await mon).words).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'ENDASSESSMENT']);
  expect(statuses).toHaveLength(5);
});

test('SIGTERM during the run stops it early with 143', async () => {
  const s = await resolveSettings(['--job-dir', dir, '--delay-ms', '5000']);
  const ac = new AbortController();
  const p = playAssessment(s, ac.signal);
  setTimeout(() => ac.abort(), 100);
  expect(await p).toBe(143);
  expect(await events()).toEqual(['RUNSHSTART']);
});
