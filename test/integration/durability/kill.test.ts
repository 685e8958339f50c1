/**
 * Kills as intents kept until carried out (docs/durability.md), against the real pool and DB:
 * - kill_assessment_run right after execute_execution_record: no job ever starts, Terminated;
 * - kill during PostAssessment: DB and collector agree on Terminated;
 * - the shared pool's schedd stopped during a kill: the job is removed once it is back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { invalidate, remove, submit, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { run } from '../../../lib/proc/run.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';
import { condorContext } from '../helpers/condor-env.js';
import { installedTree, linkProgram, runProgram, type Tree } from '../assessment/helpers.js';
import { adOf, scratchDir } from '../hooks/helpers.js';
import { DbHandle, callKill, callLaunch, jobsOfRun, runState, seedLocalRun, until } from './helpers.js';

jest.setTimeout(600_000);

const CHROOT = process.env.SWAMP_CONDOR_CHROOT ?? '/opt/swamp-condor/root';
let condor: HTCondorContext;
let tree: Tree;
let db: DbHandle;
const ids: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  // the installed tree and its swamp.conf (swapped for this file, restored after): what the DB runs
  tree = installedTree();
  linkProgram(tree, 'kill_run');
  db = new DbHandle(tree.bin);
});

afterAll(async () => {
  await schedd('on').catch(() => undefined);
  for (const id of ids) await remove(condor, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(condor, { names: ids }).catch(() => undefined);
  await db.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  tree?.remove();
});

function logOf(name: string): Array<Record<string, unknown>> {
  const f = join(tree.logDir, `${name}.log`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const adStatus = async (id: string): Promise<unknown> => (await adOf(condor, id))?.SWAMP_vmu_assessment_status;

/** The shared pool's schedd off/on (root is the pool's administrator). */
async function schedd(what: 'on' | 'off'): Promise<void> {
  await run('chroot', [CHROOT, what === 'on' ? 'condor_on' : 'condor_off', '-daemon', 'schedd'], { timeoutMs: 60_000, okExitCodes: [0, 1] });
  if (what === 'on') await until('schedd answers', async () => ((await jobsOfRun(condor, 'none-such')) ? true : undefined), 60_000, 500);
}

test('kill right after launch: no job starts, Terminated in DB and collector (5 runs)', async () => {
  const d = await db.get();
  const runs: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await seedLocalRun(d, 'outcome=pass\ndelay_ms=300\n', dirs);
    runs.push(r.id);
    ids.push(r.id);
  }
  for (const id of runs) {
    expect(await callLaunch(d, id)).toBe(0);
    expect(await callKill(d, id)).toBe('SUCCESS');
  }
  await until('kill workers', async () => (runs.every((id) => logOf('killjob').some((l) => l.msg === 'kill finished' && l.runid === id)) ? true : undefined), 240_000, 500);
  await until('launch workers', async () => (runs.every((id) => logOf('launchassessment').some((l) => l.msg === 'launch finished' && l.execrunid === id)) ? true : undefined), 240_000, 500);
  // give a job that escaped time to be matched and started
  await new Promise((r) => setTimeout(r, 15_000));
  const figures = [];
  for (const id of runs) {
    const j = await jobsOfRun(condor, id);
    const started = [...j.queue, ...j.history].filter((a) => Number(a.NumJobStarts ?? 0) > 0).length;
    const st = await runState(d, id);
    const launch = logOf('launchassessment').find((l) => l.msg === 'launch finished' && l.execrunid === id)?.outcome;
    const kill = logOf('killjob').find((l) => l.msg === 'kill finished' && l.runid === id)?.outcome;
    figures.push({ jobs: j.queue.length + j.history.length, started, launch, kill, status: st?.status, ad: await adStatus(id) });
    expect(j.queue).toEqual([]);
    expect(started).toBe(0);
    expect(st).toMatchObject({ status: 'Terminated', complete_flag: 1, launch_flag: 0 });
    expect(await adStatus(id)).toBe('Terminated');
  }
  process.stderr.write(`MEASURE kill right after launch: ${JSON.stringify(figures)}\n`);
});

test('kill during PostAssessment: DB and collector agree on Terminated', async () => {
  const d = await db.get();
  const { id } = await seedLocalRun(d, 'outcome=pass\ndelay_ms=800\n', dirs);
  ids.push(id);
  expect(await callLaunch(d, id)).toBe(0);
  const late = ['Shutting down the assessment machine', 'Extracting assessment results', 'Post-Processing', 'Saving Results', 'Finished'];
  const seen = await until('the end of the run', async () => {
    const s = await adStatus(id);
    return typeof s === 'string' && late.includes(s) ? s : undefined;
  }, 180_000, 30);
  expect(await callKill(d, id)).toBe('SUCCESS');
  await until('kill worker', async () => (logOf('killjob').some((l) => l.msg === 'kill finished' && l.runid === id) ? true : undefined), 240_000, 500);
  await until('job gone', async () => ((await jobsOfRun(condor, id)).queue.length === 0 ? true : undefined), 120_000, 500);
  await new Promise((r) => setTimeout(r, 3000));
  const st = await runState(d, id);
  const ad = await adStatus(id);
  process.stderr.write(`MEASURE kill during PostAssessment (status seen at kill: ${seen}): db ${JSON.stringify(st)}, collector ${String(ad)}\n`);
  expect(st).toMatchObject({ status: 'Terminated', complete_flag: 1, launch_flag: 0 });
  expect(ad).toBe('Terminated');
});

test('schedd stopped during a kill: the job is removed after it is back', async () => {
  const d = await db.get();
  const seeded = await seedAssessmentRun(d, { launchFlag: 0 });
  const id = seeded.executionRecordUuid;
  ids.push(id);
  const dir = await scratchDir('swamp-dur-kill-');
  dirs.push(dir);
  await submit(condor, { executable: '/bin/sleep', arguments: ['600'], initialdir: dir, log: join(dir, 'job.log'), attributes: { SWAMP_arun_execrunuid: id, SWAMP_userid: seeded.userUuid, SWAMP_projectid: seeded.projectUuid } });
  await until('job running', async () => ((await jobsOfRun(condor, id)).queue.some((a) => a.JobStatus === 2) ? true : undefined), 60_000, 500);
  const t0 = Date.now();
  let down = 0;
  try {
    await schedd('off');
    await until('schedd down', async () => {
      try {
        await jobsOfRun(condor, id);
        return undefined;
      } catch {
        return true;
      }
    }, 60_000, 500);
    const k = runProgram(tree, 'kill_run', ['--execution_record_uuid', id, '--hard', '1']);
    expect(k.status).toBe(0);
    await new Promise((r) => setTimeout(r, 20_000));
    // not carried out while the schedd is away, not given up either
    expect(logOf('killjob').some((l) => l.msg === 'kill finished' && l.runid === id)).toBe(false);
    down = Date.now() - t0;
  } finally {
    await schedd('on');
  }
  const done = await until('kill worker', async () => logOf('killjob').find((l) => l.msg === 'kill finished' && l.runid === id), 240_000, 500);
  await until('job gone', async () => ((await jobsOfRun(condor, id)).queue.length === 0 ? true : undefined), 120_000, 500);
  const st = await runState(d, id);
  process.stderr.write(`MEASURE kill during a schedd outage of ${Math.round(down / 1000)} s: ${JSON.stringify(done)}, db ${JSON.stringify(st)}, ad ${String(await adStatus(id))}\n`);
  expect(done.intent).toBe('done');
  expect(st).toMatchObject({ status: 'Terminated', complete_flag: 1 });
  expect(await adStatus(id)).toBe('Terminated');
});
