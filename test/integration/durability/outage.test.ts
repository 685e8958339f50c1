/**
 * A MariaDB outage (this worktree's own mariadbd, stopped with services/mariadb/db.sh) while runs are
 * in PostAssessment, while one is killed and right after one was launched (its worker crashed after
 * submitting, before recording). After the DB is back, one `launchassessment --drain` delivers what
 * the outbox kept: every run ends with the right final status, exactly one result row, complete_flag
 * 1, launch_flag 0, and the collector agrees with the DB.
 */
import { appendFileSync, existsSync, readdirSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { invalidate, remove, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { binary, makeTree, runProgram, type Tree } from '../assessment/helpers.js';
import { adOf } from '../hooks/helpers.js';
import { DbHandle, callLaunch, jobsOfRun, runAsService, runState, seedLocalRun, startDb, stopDb, until } from './helpers.js';

jest.setTimeout(600_000);

let condor: HTCondorContext;
let tree: Tree;
let db: DbHandle;
/** A failed run keeps its tree (logs, run dir) for a look. */
let keep = false;
const ids: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  tree = makeTree();
  symlinkSync(binary(), join(tree.bin, 'kill_run'));
  // short in-hook retries: the outage outlasts them, so the drain must deliver
  appendFileSync(tree.config, 'outbox_hook_retry_seconds = 3\nkill_retry_seconds = 5\n');
  db = new DbHandle(tree.bin);
});

afterAll(async () => {
  await startDb().catch(() => undefined);
  for (const id of ids) await remove(condor, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(condor, { names: ids }).catch(() => undefined);
  await db.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  if (!keep) tree?.remove();
});

const adStatus = async (id: string): Promise<unknown> => (await adOf(condor, id))?.SWAMP_vmu_assessment_status;

test('MariaDB stopped during PostAssessment, a kill and a launch: after restart and a drain, right final statuses, one result row each', async () => {
  const d = await db.get();
  const post = await seedLocalRun(d, 'outcome=pass\ndelay_ms=2000\n', dirs); // ends during the outage
  // still performing when the kill comes, however slow the steps between on a loaded machine (with
  // 5 s it could finish first: then Finished is right and the test's premise gone)
  const killed = await seedLocalRun(d, 'outcome=pass\ndelay_ms=1000\nassess_ms=120000\n', dirs); // killed during the outage
  const crashed = await seedLocalRun(d, 'outcome=pass\ndelay_ms=1000\n', dirs); // worker died after submit
  ids.push(post.id, killed.id, crashed.id);
  expect(await callLaunch(d, killed.id)).toBe(0);
  await until('the slow run performing', async () => ((await adStatus(killed.id)) === 'Performing assessment' ? true : undefined), 120_000, 200);
  expect(await callLaunch(d, post.id)).toBe(0);
  const early = ['Starting assessment run script', 'Wrote ip address', 'Obtaining Assessment Machine IP Address', 'Performing assessment'];
  await until('the other run started', async () => (early.includes(String(await adStatus(post.id))) ? true : undefined), 120_000, 100);
  // as the DB's worker runs (the service account: the job dir must be the job owner's)
  const launched = runAsService(tree.bin, 'launchassessment', ['--runid', crashed.id, '--nodetached'], { SWAMP_LAUNCH_CRASH_AFTER: 'state-submitted' });
  expect(launched.signal).toBe('SIGKILL');

  const t0 = Date.now();
  await db.drop();
  await stopDb();
  const kill = runAsService(tree.bin, 'kill_run', ['--execution_record_uuid', killed.id, '--hard', '1']);
  expect(kill.status).toBe(0);
  // every job leaves the queue while the DB is down: two complete, one is removed
  try {
    await until(
      'all jobs out of the queue',
      async () => {
        for (const id of [post.id, killed.id, crashed.id]) {
          const j = await jobsOfRun(condor, id);
          if (j.queue.length > 0 || j.history.length === 0) return undefined;
        }
        return true;
      },
      240_000,
      1000,
    );
  } catch (e) {
    keep = true;
    for (const [name, id] of Object.entries({ post: post.id, killed: killed.id, crashed: crashed.id })) {
      process.stderr.write(`DEBUG ${name} ${id}: jobs ${JSON.stringify(await jobsOfRun(condor, id).catch(String))} ad ${String(await adStatus(id))}\n`);
    }
    process.stderr.write(`DEBUG tree kept: ${tree.root}; logs ${readdirSync(tree.logDir).join(' ')}\n`);
    throw e;
  }
  // the hooks gave up their in-hook retries; what they owe is in the outbox
  await until('hooks done', async () => (readdirSync(join(tree.runDir, 'outbox')).some((n) => n.startsWith(`${crashed.id}.20-status`)) ? true : undefined), 60_000, 500);
  await new Promise((r) => setTimeout(r, 8000));
  const owed = readdirSync(join(tree.runDir, 'outbox'));
  const outage = Math.round((Date.now() - t0) / 1000);
  await startDb();
  const before = { post: await runState(await db.get(), post.id), killed: await runState(await db.get(), killed.id), crashed: await runState(await db.get(), crashed.id) };

  const drained = runProgram(tree, 'launchassessment', ['--drain']);
  expect(drained.status === 0 || drained.status === 75).toBe(true);
  const after = { post: await runState(await db.get(), post.id), killed: await runState(await db.get(), killed.id), crashed: await runState(await db.get(), crashed.id) };
  const jobs = {
    post: (await jobsOfRun(condor, post.id)).history.length,
    killed: (await jobsOfRun(condor, killed.id)).history.length,
    crashed: (await jobsOfRun(condor, crashed.id)).history.length,
  };
  const ads = { post: await adStatus(post.id), killed: await adStatus(killed.id), crashed: await adStatus(crashed.id) };
  process.stderr.write(`MEASURE db outage ${outage} s: owed files ${JSON.stringify(owed)}\n  before drain ${JSON.stringify(before)}\n  after drain ${JSON.stringify(after)}\n  jobs per run ${JSON.stringify(jobs)} ads ${JSON.stringify(ads)}\n`);

  expect(after.post).toMatchObject({ status: 'Finished', complete_flag: 1, launch_flag: 0, results: 1 });
  expect(after.crashed).toMatchObject({ status: 'Finished', complete_flag: 1, launch_flag: 0, submitted_to_condor_flag: 1, results: 1 });
  expect(after.killed).toMatchObject({ status: 'Terminated', complete_flag: 1, launch_flag: 0 });
  expect(jobs).toEqual({ post: 1, killed: 1, crashed: 1 });
  expect(ads).toEqual({ post: 'Finished', killed: 'Terminated', crashed: 'Finished' });
  expect(existsSync(join(tree.runDir, `${crashed.id}.launch`))).toBe(false);

  // a second drain changes nothing (idempotent)
  runProgram(tree, 'launchassessment', ['--drain']);
  expect(await runState(await db.get(), post.id)).toEqual(after.post);
  expect(await runState(await db.get(), crashed.id)).toEqual(after.crashed);
  expect(readdirSync(join(tree.runDir, 'outbox')).filter((n) => !n.includes('.00-kill.'))).toEqual([]);
});
