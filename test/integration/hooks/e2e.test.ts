/**
 * End to end (issue 6): CALL assessment.execute_execution_record -> sys_exec -> our launcher -> HTCondor
 * runs the job on the local platform (PreAssessment, swamp-assessment-machine, monitorjob, PostAssessment,
 * all inside the pool's chroot as the job owner) -> the collector shows each status in order -> the DB
 * ends at Finished with results recorded. A run whose framework asks for a retry ends `Finished with
 * Errors` after max_retries further starts.
 *
 * The "tool" of these runs is a directory whose in-files/machine.conf tells the local machine how to
 * behave (PreAssessment copies a tool's in-files into in/, exactly as for a real tool).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, queryHistory, queryQueue, remove, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { installedTree, linkProgram, type Tree } from '../assessment/helpers.js';
import { CollectorWatch, PROJECTS_DIR, adOf, seedMachineRun, waitFor } from './helpers.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';

jest.setTimeout(420_000);

let condor: HTCondorContext;
let db: Db;
/** launchassessment's private installed tree (bin/ + etc/swamp.conf), which mysqld's sys_exec runs. */
let tree: Tree;
const ids: string[] = [];
const dirs: string[] = [];

let restoreUdf: (() => void) | undefined;

beforeAll(async () => {
  condor = await condorContext();
  db = await connect(await dbOptions());
  // the installed tree and its swamp.conf (swapped for this file, restored after): what the DB runs
  tree = installedTree();
  linkProgram(tree, 'kill_run');
  // this connection's calling procedures run <tree>/bin/execute_execution_record
  await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
  restoreUdf = await extendSharedUdfConf(allowEntryPrograms(tree.bin));
});

afterAll(async () => {
  restoreUdf?.();
  for (const id of ids) await remove(condor, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(condor, { names: ids }).catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await db?.close();
  tree?.remove();
});

/** Seeds a run whose tool tells the local machine `machineConf`; returns its id. */
async function seedRun(machineConf: string): Promise<{ id: string; project: string }> {
  const r = await seedMachineRun(db, machineConf, dirs, 'swamp-e2e-store-');
  ids.push(r.id);
  dirs.push(join(PROJECTS_DIR, r.project));
  return r;
}

async function launch(id: string): Promise<number> {
  const rows = await db.select<{ rc: number }>('CALL assessment.execute_execution_record(?, @rc)', [id]).then(() => db.select<{ rc: number }>('SELECT @rc AS rc'));
  return Number(rows[0]?.rc);
}

interface RunRow {
  status: string;
  complete_flag: number;
  launch_flag: number;
}

/**
 * PreAssessment's first status must reach the collector soon after the launch; when it does not, the
 * hooks did not run. Known cause: HTCondor starts PreCmd/PostCmd with argv[0] `condor_Prescript` /
 * `condor_Postscript` and without the job's environment, so the multi-call binary must know those names
 * (registry alias) or the submit file must pass SWAMP_PROGRAM=jobhook in +PreEnvironment/+PostEnvironment.
 */
async function expectHooksRan(id: string): Promise<void> {
  try {
    await waitFor('PreAssessment status', async () => {
      const ad = await adOf(condor, id);
      const s = ad?.SWAMP_vmu_assessment_status;
      return typeof s === 'string' && !['Creating HTCondor job', 'Waiting in HTCondor Queue'].includes(s) ? true : undefined;
    }, 60_000, 200);
  } catch {
    throw new Error('PreAssessment never advertised: the job hook did not run (argv[0] condor_Prescript not dispatched to jobhook? see docs/hooks.md "Submit file requirements")');
  }
}

/** kill_run's log lines in the tree's log directory. */
function killLog(): Array<Record<string, unknown>> {
  const f = join(tree.logDir, 'killjob.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function runRow(id: string): Promise<RunRow | undefined> {
  return (await db.select<RunRow & Record<string, unknown>>('SELECT status, complete_flag, launch_flag FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0];
}

/** Waits until the job has left the queue and the DB holds a final status; returns the job's history ad. */
async function waitForEnd(id: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return waitFor(
    `run ${id} to end`,
    async () => {
      const q = await queryQueue(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus', 'HoldReason'] });
      if (q.length > 0) return undefined;
      const h = await queryHistory(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus', 'NumJobStarts', 'ExitCode', 'PostExitCode', 'Owner'], limit: 1 });
      const row = await runRow(id);
      return h[0] !== undefined && row?.complete_flag === 1 ? (h[0] as Record<string, unknown>) : undefined;
    },
    timeoutMs,
    1000,
  );
}

test('a passing run: each status in order in the collector, DB Finished with results', async () => {
  const { id, project } = await seedRun('outcome=pass\ndelay_ms=400\n');
  const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_assessment_status', 50);
  const t0 = Date.now();
  expect(await launch(id)).toBe(0);
  await expectHooksRan(id);
  const hist = await waitForEnd(id, 180_000);
  const seen = await watch.stop();
  process.stderr.write(`MEASURE e2e passing run: ${Date.now() - t0} ms, collector statuses: ${JSON.stringify(seen)}\n`);
  // the job (and its hooks) ran as the service account: the worker (mysqld's user) submitted with its token
  expect(hist).toMatchObject({ JobStatus: 4, NumJobStarts: 1, Owner: process.env.SWAMP_SERVICE_USER ?? 'swa-daemon' });
  const order = [
    'Waiting in HTCondor Queue',
    'Starting docker container',
    'Starting assessment run script',
    'Wrote ip address',
    'Obtaining Assessment Machine IP Address',
    'Performing assessment',
    'Shutting down the assessment machine',
    'Extracting assessment results',
    'Post-Processing',
    'Saving Results',
    'Finished',
  ];
  const known = seen.filter((s) => order.includes(s));
  expect(known.map((s) => order.indexOf(s))).toEqual([...known.map((s) => order.indexOf(s))].sort((a, b) => a - b));
  expect(seen).toEqual(expect.arrayContaining(['Starting docker container', 'Starting assessment run script', 'Performing assessment', 'Finished']));
  expect(seen[seen.length - 1]).toBe('Finished');
  expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
  const res = await db.select<{ file_path: string; weakness_cnt: number }>('SELECT file_path, weakness_cnt FROM assessment.assessment_result WHERE execution_record_uuid = ?', [id]);
  expect(res).toHaveLength(1);
  expect(res[0]?.file_path.startsWith(join(PROJECTS_DIR, project, 'A-Results'))).toBe(true);
  expect(await readFile(res[0]?.file_path as string, 'utf8')).toContain('<AnalyzerReport');
});

test('a run whose framework asks for a retry: Finished with Errors, retried max_retries times', async () => {
  // swamp.conf of the local setup: htcondor_assessment_max_retries = 2
  const { id } = await seedRun('outcome=retry\ndelay_ms=100\n');
  const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_assessment_status', 100);
  expect(await launch(id)).toBe(0);
  await expectHooksRan(id);
  const hist = await waitForEnd(id, 400_000);
  const seen = await watch.stop();
  process.stderr.write(`MEASURE e2e retry run: history ${JSON.stringify(hist)}, finals seen: ${JSON.stringify(seen.filter((s) => s.startsWith('Finished')))}\n`);
  expect(seen).toEqual(expect.arrayContaining(['Finished with Errors - Will retry 2 times', 'Finished with Errors retry(1/2) - Will retry 1 time']));
  expect(seen[seen.length - 1]).toBe('Finished with Errors');
  expect(hist).toMatchObject({ NumJobStarts: 3, JobStatus: 4 });
  expect(await runRow(id)).toMatchObject({ status: 'Finished with Errors', complete_flag: 1 });
});

test('a running local assessment killed with CALL kill_assessment_run ends Terminated, not with the post hook\'s status', async () => {
  // slow steps: the kill arrives while the machine is performing the assessment
  const { id } = await seedRun('outcome=pass\ndelay_ms=3000\n');
  expect(await launch(id)).toBe(0);
  await waitFor('Performing assessment', async () => ((await adOf(condor, id))?.SWAMP_vmu_assessment_status === 'Performing assessment' ? true : undefined), 120_000, 200);
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, '1']);
  expect((await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs).toBe('SUCCESS');
  const done = await waitFor('kill worker', async () => killLog().find((l) => l.msg === 'kill finished' && l.runid === id), 200_000, 250);
  process.stderr.write(`MEASURE kill of a running local assessment: ${JSON.stringify(done)}\n`);
  expect(done.outcome).toBe('terminated');
  const hist = await queryHistory(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus'], limit: 1 });
  expect(hist[0]?.JobStatus).toBe(3);
  expect(await runRow(id)).toMatchObject({ status: 'Terminated', complete_flag: 1 });
  expect((await adOf(condor, id))?.SWAMP_vmu_assessment_status).toBe('Terminated');
});
