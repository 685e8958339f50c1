/**
 * Exactly one job per run under a crash, and held jobs (docs/durability.md):
 * - the launch worker SIGKILLed while condor_submit runs (slowed as a slow schedd would be): the lock
 *   stays held while the orphaned condor_submit lives, the next drain adopts its job: one job;
 * - two jobs of one run found by a drain pass: the one that has not started is removed;
 * - a held job is surfaced by one pass (DB and collector), a transient hold released up to
 *   held_job_release_max times, then the run ends Finished with Errors.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { invalidate, remove, runTool, submit, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';
import { condorContext } from '../helpers/condor-env.js';
import { makeTree, runProgram, type Tree, installedPrefix } from '../assessment/helpers.js';
import { adOf, scratchDir } from '../hooks/helpers.js';
import { DbHandle, jobsOfRun, runState, seedLocalRun, until } from './helpers.js';

jest.setTimeout(600_000);

let condor: HTCondorContext;
let tree: Tree;
let db: DbHandle;
const ids: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  tree = makeTree();
  appendFileSync(tree.config, 'held_job_release_max = 1\n');
  db = new DbHandle(tree.bin);
});

afterAll(async () => {
  for (const id of ids) await remove(condor, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(condor, { names: ids }).catch(() => undefined);
  await db.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  tree?.remove();
});

const adStatus = async (id: string): Promise<unknown> => (await adOf(condor, id))?.SWAMP_vmu_assessment_status;

/** An htcondor_root whose condor_submit sleeps `seconds` first; every other tool is the installed root's. */
function slowSubmitRoot(seconds: number): string {
  const host = join(installedPrefix(), 'htcondor');
  const root = join(tree.root, 'slow-condor');
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const n of readdirSync(join(host, 'bin'))) if (n !== 'condor_submit') symlinkSync(join(host, 'bin', n), join(root, 'bin', n));
  for (const d of ['etc', 'libexec', 'lib', 'sbin']) if (existsSync(join(host, d))) symlinkSync(join(host, d), join(root, d));
  writeFileSync(join(root, 'bin', 'condor_submit'), `#!/bin/sh\nsleep ${seconds}\nexec ${join(host, 'bin', 'condor_submit')} "$@"\n`);
  chmodSync(join(root, 'bin', 'condor_submit'), 0o755);
  return root;
}

test('worker killed during a slow condor_submit: the orphan keeps the lock, the drain adopts its job: one job', async () => {
  const d = await db.get();
  const { id } = await seedLocalRun(d, 'outcome=pass\ndelay_ms=200\n', dirs);
  ids.push(id);
  const config = tree.variant('slow-submit', [`htcondor_root = ${slowSubmitRoot(8)}`]);
  // a detached worker, as the DB starts it (its own process group)
  const worker = spawn(join(tree.bin, 'launchassessment'), ['--runid', id, '--nodetached', '--config', config], { detached: true, stdio: 'ignore' });
  const statePath = join(tree.runDir, `${id}.launch`);
  await until('condor_submit started', async () => (existsSync(statePath) ? true : undefined), 60_000, 100);
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(worker.pid as number, 'SIGKILL');
  const drains: string[] = [];
  // drains while the orphaned condor_submit still runs: the run is busy, nothing submitted
  for (let i = 0; i < 3; i++) {
    runProgram(tree, 'launchassessment', ['--drain']);
    const last = readFileSync(tree.logFile, 'utf8').split('\n').filter((l) => l.includes('drain pass done')).pop();
    drains.push(String((JSON.parse(last ?? '{}') as { outcomes?: string[] }).outcomes));
  }
  await new Promise((r) => setTimeout(r, 9000));
  runProgram(tree, 'launchassessment', ['--drain']);
  await until('the run ends', async () => ((await runState(d, id))?.complete_flag === 1 ? true : undefined), 180_000, 1000);
  const j = await jobsOfRun(condor, id);
  const clusters = new Set([...j.queue, ...j.history].map((a) => a.ClusterId));
  const st = await runState(d, id);
  process.stderr.write(`MEASURE worker killed during slow condor_submit: drains while orphan alive ${JSON.stringify(drains)}, jobs ${clusters.size}, db ${JSON.stringify(st)}\n`);
  expect(clusters.size).toBe(1);
  expect(st).toMatchObject({ status: 'Finished', results: 1, launch_flag: 0 });
});

test('two jobs of one run: the drain pass removes the one that has not started, and logs it', async () => {
  const d = await db.get();
  const seeded = await seedAssessmentRun(d, { launchFlag: 0 });
  const id = seeded.executionRecordUuid;
  ids.push(id);
  const dir = await scratchDir('swamp-dur-dup-');
  dirs.push(dir);
  // jobs that can never match: they stay idle, as a duplicate caught before it starts
  const job = () => submit(condor, { executable: '/bin/sleep', arguments: ['600'], initialdir: dir, requirements: 'False', attributes: { SWAMP_arun_execrunuid: id } });
  const first = await job();
  const second = await job();
  runProgram(tree, 'launchassessment', ['--drain']);
  const j = await jobsOfRun(condor, id);
  const left = j.queue.filter((a) => a.JobStatus !== 3).map((a) => a.ClusterId);
  const logged = readFileSync(tree.logFile, 'utf8').split('\n').filter((l) => l.includes('duplicate job of a run removed'));
  process.stderr.write(`MEASURE duplicate jobs ${first.cluster}, ${second.cluster}: left ${JSON.stringify(left)}; log ${logged.length} line(s)\n`);
  expect(left).toEqual([first.cluster]);
  expect(logged.length).toBe(1);
});

test('held job: surfaced by one pass, a transient hold released once, then Finished with Errors with the reason', async () => {
  const d = await db.get();
  const seeded = await seedAssessmentRun(d, { launchFlag: 0 });
  const id = seeded.executionRecordUuid;
  ids.push(id);
  const dir = await scratchDir('swamp-dur-held-');
  dirs.push(dir);
  const s = await submit(condor, { executable: '/bin/sleep', arguments: ['600'], initialdir: dir, attributes: { SWAMP_arun_execrunuid: id, SWAMP_userid: seeded.userUuid, SWAMP_projectid: seeded.projectUuid } });
  const reason = 'Transfer output files failure: No space left on device';
  const hold = async () => {
    await runTool(condor, 'condor_hold', ['-reason', reason, `${s.cluster}.0`]);
    await until('held', async () => ((await jobsOfRun(condor, id)).queue.some((a) => a.JobStatus === 5) ? true : undefined), 30_000, 300);
  };
  await hold();
  runProgram(tree, 'launchassessment', ['--drain']);
  const surfaced = { db: (await runState(d, id))?.status, ad: await adStatus(id), reason: (await adOf(condor, id))?.SWAMP_hold_reason };
  const afterRelease = (await jobsOfRun(condor, id)).queue.map((a) => a.JobStatus);
  // HTCondor appends who held it: "<reason> (by user swamp)"
  expect(surfaced.db).toMatch(new RegExp(`^Held by HTCondor: ${reason}`));
  expect(surfaced.ad).toBe(surfaced.db);
  expect(String(surfaced.reason)).toContain(reason);
  expect(afterRelease.length).toBe(1);
  expect(afterRelease[0]).not.toBe(5);
  await hold();
  runProgram(tree, 'launchassessment', ['--drain']);
  await until('removed', async () => ((await jobsOfRun(condor, id)).queue.length === 0 ? true : undefined), 60_000, 500);
  const st = await runState(d, id);
  process.stderr.write(`MEASURE held job: surfaced ${JSON.stringify(surfaced)}, released (JobStatus ${JSON.stringify(afterRelease)}), then ${JSON.stringify(st)} ad ${String(await adStatus(id))}\n`);
  expect(st).toMatchObject({ status: 'Finished with Errors', complete_flag: 1, launch_flag: 0 });
  expect(await adStatus(id)).toBe('Finished with Errors');
});
