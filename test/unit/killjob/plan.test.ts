import { parseRunId } from '../../../lib/cli/ids.js';
import { isHard, jobEndOf, jobFromAd, killConstraint, mayWriteAssessmentFinal, mayWriteViewerFinal, removalMode } from '../../../lib/kill/plan.js';

const U = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

describe('killConstraint: exact selection only', () => {
  test('a bare uuid: the assessment, or that project viewer by a fixed-length prefix', () => {
    const c = killConstraint(parseRunId(U));
    expect(c).toContain(`SWAMP_arun_execrunuid =?= "${U}"`);
    expect(c).toContain(`substr(SWAMP_vrun_execrunuid, 0, 42) =?= "vrun_${U}_"`);
    expect(c).not.toMatch(/regexp/i);
  });
  test('metric and viewer run ids match their own attribute exactly', () => {
    expect(killConstraint(parseRunId(`M-${U}`))).toContain(`SWAMP_mrun_execrunuid =?= "M-${U}"`);
    expect(killConstraint(parseRunId(`vrun_${U}_CodeDX`))).toContain(`SWAMP_vrun_execrunuid =?= "vrun_${U}_CodeDX"`);
  });
  test('partial, regex-like or crafted ids are refused before any constraint exists', () => {
    for (const bad of [U.slice(0, 8), '.*', `${U}" || true || "`, `${U};rm -rf /`, '', 'M-', `vrun_${U}`]) {
      expect(() => parseRunId(bad)).toThrow();
    }
  });
});

describe('jobFromAd', () => {
  test('types and viewer parts', () => {
    expect(jobFromAd({ ClusterId: 5, ProcId: 0, JobStatus: 2, SWAMP_arun_execrunuid: U })).toMatchObject({ kind: 'arun', execrunuid: U, cluster: 5 });
    expect(jobFromAd({ ClusterId: 6, ProcId: 0, JobStatus: 2, SWAMP_mrun_execrunuid: `M-${U}` })?.kind).toBe('mrun');
    expect(jobFromAd({ ClusterId: 7, ProcId: 0, JobStatus: 2, SWAMP_vrun_execrunuid: `vrun_${U}_CodeDX`, SWAMP_viewerinstanceid: 'i' })).toMatchObject({
      kind: 'vrun',
      project: U,
      viewer: 'CodeDX',
      viewerInstance: 'i',
    });
    expect(jobFromAd({ ClusterId: 8, ProcId: 0, JobStatus: 2 })).toBeUndefined();
  });
});

describe('--hard as the web sends it', () => {
  test.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['FALSE', false],
    // documented in docs/killjob.md and docs/compat.md: no/n are graceful too (the legacy: hard)
    ['no', false],
    ['NO', false],
    ['n', false],
    [' 0 ', false],
    ['1', true],
    ['true', true],
    ['yes', true],
    ['y', true],
    ['2', true],
  ])('%p -> hard %p', (flag, hard) => expect(isHard(flag)).toBe(hard));
  test('assessments are always removed hard; viewers gracefully unless hard', () => {
    const a = jobFromAd({ ClusterId: 1, ProcId: 0, JobStatus: 2, SWAMP_arun_execrunuid: U })!;
    const v = jobFromAd({ ClusterId: 1, ProcId: 0, JobStatus: 2, SWAMP_vrun_execrunuid: `vrun_${U}_CodeDX` })!;
    expect(removalMode(a, false)).toBe('hard');
    expect(removalMode(v, false)).toBe('graceful');
    expect(removalMode(v, true)).toBe('hard');
  });
});

describe('never overwrite a final status the job wrote itself', () => {
  test.each([
    [undefined, true],
    ['Performing assessment', true],
    ['Terminating', true],
    ['Terminated', true],
    ['Finished', false],
    ['Finished with Errors', false],
    ['Finished with Warnings', false],
    // not final: the run would be retried; the kill ends it
    ['Finished with Errors retry(1/2) - Will retry 1 time', true],
    ['Finished with Errors - Will retry 2 times', true],
    // queue-side statuses are stale once a job is in the queue
    ['SWAMP off - Queued', true],
    ['HTCondor Submit Failed - BOG Queued', true],
    ['Terminate Status Unknown', true],
  ])('assessment %p -> may write %p', (s, ok) => expect(mayWriteAssessmentFinal(s)).toBe(ok));
  test('a Finished status written by the post hook of a job the kill removed is replaced', () => {
    expect(mayWriteAssessmentFinal('Finished with Errors', jobEndOf(3))).toBe(true);
    expect(mayWriteAssessmentFinal('Finished', jobEndOf(4))).toBe(false);
    expect(mayWriteAssessmentFinal('Finished', jobEndOf(3))).toBe(false);
    expect(mayWriteAssessmentFinal('Finished with Warnings', jobEndOf(3))).toBe(false);
    expect(mayWriteAssessmentFinal('Finished with Errors', jobEndOf(4))).toBe(false);
    expect(mayWriteAssessmentFinal('Finished', jobEndOf(undefined))).toBe(false);
  });
  test('viewer: SHUTDOWN and ERROR written by the viewer stay', () => {
    expect(mayWriteViewerFinal(-3)).toBe(false);
    expect(mayWriteViewerFinal(-5)).toBe(false);
    expect(mayWriteViewerFinal(-6)).toBe(true);
    expect(mayWriteViewerFinal(2)).toBe(true);
    expect(mayWriteViewerFinal(undefined)).toBe(true);
  });
});
