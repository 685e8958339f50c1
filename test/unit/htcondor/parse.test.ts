/** Parsers replayed on outputs recorded from the real pool (test/fixtures/htcondor, see record.ts there). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classifyFailure,
  formatJobId,
  jobIdOfAd,
  parseJobId,
  parseJsonAds,
  parseLongAd,
  parseRemoveLines,
  parseTerseSubmit,
  submitMessages,
} from '../../../lib/htcondor/parse.js';

interface Recorded {
  tool: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

function fixture(name: string): Recorded {
  return JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'htcondor', `${name}.json`), 'utf8')) as Recorded;
}

describe('JSON ads', () => {
  test('condor_q -json: values, quotes, backslashes, expressions', () => {
    const ads = parseJsonAds(fixture('q-json').stdout);
    expect(ads).toHaveLength(2);
    expect(ads[0]).toMatchObject({
      JobStatus: 5,
      Owner: 'swamp',
      SWAMP_n: 7,
      SWAMP_quote: 'he said "hi" \\ end\\',
      SWAMP_expr: { expr: 'JobStatus == 5' },
    });
    expect(jobIdOfAd(ads[1]!)).toEqual({ schedd: 'vm', cluster: ads[1]!.ClusterId, proc: 1 });
  });

  test('empty results: nothing (condor_q, condor_status) and [ ] (condor_history)', () => {
    expect(parseJsonAds(fixture('q-json-empty').stdout)).toEqual([]);
    expect(parseJsonAds(fixture('status-json-empty').stdout)).toEqual([]);
    expect(fixture('history-json-empty').stdout.trim()).toBe('[\n]');
    expect(parseJsonAds(fixture('history-json-empty').stdout)).toEqual([]);
  });

  test('condor_history and condor_status -any', () => {
    const h = parseJsonAds(fixture('history-json').stdout);
    expect(h.map((a) => a.JobStatus)).toEqual([3, 3]);
    expect(h[0]?.RemoveReason).toMatch(/via condor_rm/);
    const s = parseJsonAds(fixture('status-json').stdout);
    expect(s[0]).toMatchObject({ MyType: 'Generic', SWAMP_vmu_assessment_status: 'he said "hi" \\ ünï ✓ EOF\\', SWAMP_n: 3 });
  });

  test('back-to-back arrays (-global) and a string that only looks like an expression', () => {
    expect(parseJsonAds('[\n{"A": 1}\n]\n[\n{"A": 2}\n]\n')).toEqual([{ A: 1 }, { A: 2 }]);
    expect(parseJsonAds('[{"A": "/Expr(x)/", "B": "\\/Expr(y)\\/"}]')).toEqual([{ A: '/Expr(x)/', B: { expr: 'y' } }]);
    expect(() => parseJsonAds('[{"A": ')).toThrow(/unparsable/);
  });
});

describe('job ids and submit output', () => {
  test('ids', () => {
    expect(parseJobId('12.3')).toEqual({ cluster: 12, proc: 3 });
    expect(parseJobId('12')).toEqual({ cluster: 12, proc: 0 });
    expect(parseJobId('submit.example.org#12.0#1795888304')).toEqual({ schedd: 'submit.example.org', cluster: 12, proc: 0 });
    expect(parseJobId('12.x')).toBeUndefined();
    expect(formatJobId({ schedd: 's', cluster: 4, proc: 1 })).toBe('4.1');
  });

  test('-terse', () => {
    const t = parseTerseSubmit(fixture('submit-terse').stdout);
    expect(t).toHaveLength(1);
    expect(t[0]!.lastProc - t[0]!.firstProc).toBe(1);
    expect(parseTerseSubmit('230.0 - 230.2\n')).toEqual([{ cluster: 230, firstProc: 0, lastProc: 2 }]);
    expect(parseTerseSubmit('1 job(s) submitted to cluster 5.\n')).toEqual([]);
  });

  test('dry-run ad and messages', () => {
    const ok = fixture('dry-run-vm');
    const ad = parseLongAd(ok.stdout);
    expect(ad.raw.JobUniverse).toBe('13');
    expect(ad.strings.JobVMType).toBe('kvm');
    expect(ad.raw.JobVMMemory).toBe('2048');
    expect(parseTerseSubmit(ok.stdout)).toEqual([{ cluster: 1, firstProc: 0, lastProc: 0 }]);

    const vm = fixture('dry-run-vm-no-memory');
    expect(vm.exitCode).toBe(1);
    expect(submitMessages(vm.stderr).errors).toEqual([
      'vm_memory cannot be found. Please specify vm_memory for vm universe in your submit description file.',
    ]);
    expect(submitMessages(fixture('dry-run-docker-no-image').stderr).errors).toEqual(['docker jobs require a docker_image']);
    expect(submitMessages('WARNING: request_memory was NOT specified.  Using RequestMemory = MY.JobVMMemory\n').warnings).toHaveLength(1);
  });
});

describe('condor_rm output', () => {
  test('per-job lines', () => {
    expect(parseRemoveLines(fixture('rm-id').stdout)).toEqual([{ job: expect.objectContaining({ proc: 0 }), outcome: 'removed' }]);
    expect(parseRemoveLines(fixture('rm-id-again').stderr)[0]?.outcome).toBe('not-found');
    expect(parseRemoveLines('Job 3.0 already marked for removal\nPermission denied to remove job 4.1\n')).toEqual([
      { job: { cluster: 3, proc: 0 }, outcome: 'already-marked' },
      { job: { cluster: 4, proc: 1 }, outcome: 'denied' },
    ]);
  });

  test('exit codes as recorded', () => {
    expect(fixture('rm-constraint').exitCode).toBe(0);
    expect(fixture('rm-constraint-none').exitCode).toBe(1);
    expect(fixture('rm-constraint-none').stderr).toMatch(/Couldn't find\/remove all jobs matching constraint/);
  });
});

describe('classifyFailure', () => {
  test.each([
    ['q-bad-constraint', 'external'],
    ['q-unknown-schedd', 'busy'],
    ['status-unreachable-pool', 'busy'],
    ['rm-id-again', 'not-found'],
    ['submit-missing-exe', 'external'],
  ])('%s -> %s', (name, kind) => {
    const f = fixture(name);
    expect(f.exitCode).not.toBe(0);
    expect(classifyFailure(f.stderr, f.stdout)).toBe(kind);
  });

  test('denied beats busy; already-done', () => {
    expect(classifyFailure('PERMISSION DENIED to swamp@vm from host 127.0.0.1 for command 58 (UPDATE_AD_GENERIC)\nFailed to connect')).toBe('denied');
    expect(classifyFailure('Job 3.0 already marked for removal')).toBe('already-done');
    expect(classifyFailure('SECMAN:2007:Failed to end classad message.')).toBe('busy');
  });

  test('condor_wait: done and time expired', () => {
    expect(fixture('wait-done')).toMatchObject({ exitCode: 0, stdout: 'All jobs done.\n' });
    expect(fixture('wait-timeout')).toMatchObject({ exitCode: 1, stdout: 'Time expired.\n' });
  });
});
