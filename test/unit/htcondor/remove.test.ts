/**
 * remove()'s decisions on outputs the local pool cannot easily produce (permission denied, a job left in
 * state X). Fake condor_rm/condor_q print what the test puts in their environment; the real pool covers
 * the common paths in test/integration/htcondor.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallCounter, remove, type HTCondorContext } from '../../../lib/htcondor/index.js';

let toolDir: string;

beforeAll(async () => {
  toolDir = await mkdtemp(join(tmpdir(), 'fake-condor-'));
  // each fake prints $FAKE_<TOOL>_OUT / _ERR and exits with $FAKE_<TOOL>_RC
  for (const [tool, v] of [['condor_rm', 'RM'], ['condor_q', 'Q']] as const) {
    const script = `#!/bin/sh\nprintf '%s' "$FAKE_${v}_OUT"\nprintf '%s' "$FAKE_${v}_ERR" >&2\nexit "\${FAKE_${v}_RC:-0}"\n`;
    await writeFile(join(toolDir, tool), script);
    await chmod(join(toolDir, tool), 0o755);
  }
});

afterAll(async () => {
  await rm(toolDir, { recursive: true, force: true });
});

function ctx(env: Record<string, string>): HTCondorContext & { counter: ReturnType<typeof createCallCounter> } {
  const counter = createCallCounter();
  return { toolDir, env, timeoutMs: 5000, onCall: counter.onCall, counter };
}

const JOB = { cluster: 7, proc: 0 };

test('marked for removal -> removed, one call', async () => {
  const c = ctx({ FAKE_RM_OUT: 'Job 7.0 marked for removal\n' });
  expect(await remove(c, JOB)).toMatchObject({ outcome: 'removed' });
  expect(c.counter.total()).toBe(1);
});

test('already marked for removal -> already-marked, one call', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: '\nJob 7.0 already marked for removal\n' });
  expect(await remove(c, JOB)).toMatchObject({ outcome: 'already-marked' });
  expect(c.counter.total()).toBe(1);
});

test('not found and gone from the queue -> already-gone (queue checked once)', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: '\nJob 7.0 not found\n', FAKE_Q_OUT: '' });
  expect(await remove(c, JOB)).toMatchObject({ outcome: 'already-gone' });
  expect(c.counter.byTool()).toEqual({ condor_rm: 1, condor_q: 1 });
});

test('not found but still in the queue in state X -> already-marked', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: "\nCouldn't find/remove all jobs matching constraint (A =?= \"x\")\n", FAKE_Q_OUT: '[\n{"JobStatus": 3}\n]\n' });
  expect(await remove(c, { constraint: 'A =?= "x"' })).toMatchObject({ outcome: 'already-marked' });
});

test('jobs left that are not being removed -> denied', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: "\nCouldn't find/remove all jobs matching constraint (A =?= \"x\")\n", FAKE_Q_OUT: '[\n{"JobStatus": 2}\n]\n' });
  await expect(remove(c, { constraint: 'A =?= "x"' })).rejects.toMatchObject({ kind: 'denied' });
});

test('permission denied -> denied, no follow-up', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: '\nPermission denied to remove job 7.0\n' });
  await expect(remove(c, JOB)).rejects.toMatchObject({ kind: 'denied' });
  expect(c.counter.total()).toBe(1);
});

test('an empty queue -> already-gone', async () => {
  const c = ctx({ FAKE_RM_ERR: 'condor_rm:0:There are no jobs in the queue\n' });
  expect(await remove(c, JOB)).toMatchObject({ outcome: 'already-gone' });
});

test('a schedd that cannot be reached -> busy', async () => {
  const c = ctx({ FAKE_RM_RC: '1', FAKE_RM_ERR: 'Error: Collector has no record of schedd/submitter\n' });
  await expect(remove(c, JOB)).rejects.toMatchObject({ kind: 'busy' });
});
