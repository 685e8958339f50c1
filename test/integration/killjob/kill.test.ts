/**
 * kill_run end to end from SQL: CALL assessment.kill_assessment_run -> our UDF -> the installed kill_run
 * (make install DESTDIR=.local/inst; run as mysqld's user, mysql, with the installed swamp.conf and
 * the service account's token) -> condor_rm / condor_wait -> collector and DB.
 * The jobs are plain `sleep` jobs carrying the SWAMP attributes the launchers set.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, getExecutionRecord, type Db } from '../../../lib/db/index.js';
import { advertise, isExactly, queryAds, queryHistory, queryQueue, remove, submit, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { assessmentStatusAd, viewerStatusAd } from '../../../lib/status/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';
import { installedPrefix } from '../assessment/helpers.js';

let ctx: HTCondorContext;
let db: Db;
let dir: string;
const submitted: string[] = [];
const LOG = join(installedPrefix(), 'log', 'killjob.log');

beforeAll(async () => {
  // the procedures run the installed programs (backend_setting BIN_DIR, on the UDF's allowlist)
  if (!existsSync(join(installedPrefix(), 'bin', 'kill_run'))) throw new Error('the installed kill_run is missing: make services');
  ctx = await condorContext();
  db = await connect(await dbOptions());
  dir = mkdtempSync('/tmp/swamp-kill-');
  chmodSync(dir, 0o777);
}, 60_000);

afterAll(async () => {
  for (const id of submitted) {
    await remove(ctx, { constraint: `SWAMP_arun_execrunuid =?= "${id}" || SWAMP_vrun_execrunuid =?= "${id}"` }).catch(() => undefined);
  }
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sleepJob(attributes: Record<string, string>, name: string, commands: Record<string, string> = {}): Promise<string> {
  const res = await submit(ctx, {
    executable: '/bin/sleep',
    arguments: ['600'],
    initialdir: dir,
    log: join(dir, `${name}.log`),
    attributes,
    commands,
  });
  const id = attributes.SWAMP_arun_execrunuid ?? attributes.SWAMP_vrun_execrunuid ?? '';
  submitted.push(id);
  return `${res.cluster}.0`;
}

async function waitRunning(job: string, ms = 60_000): Promise<void> {
  const [c] = job.split('.');
  const until = Date.now() + ms;
  for (;;) {
    const ads = await queryQueue(ctx, { constraint: `ClusterId == ${c}`, attributes: ['JobStatus'] });
    if (ads[0]?.JobStatus === 2) return;
    if (Date.now() > until) throw new Error(`job ${job} did not start`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function inQueue(job: string): Promise<boolean> {
  const [c] = job.split('.');
  return (await queryQueue(ctx, { constraint: `ClusterId == ${c}`, attributes: ['JobStatus'] })).length > 0;
}

async function callKill(id: string, hard: string | null): Promise<string> {
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, hard]);
  const rows = await db.select<{ rs: string }>('SELECT @rs AS rs');
  return rows[0]?.rs ?? '';
}

function workerDone(id: string): Record<string, unknown> | undefined {
  if (!existsSync(LOG)) return undefined;
  return readFileSync(LOG, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"kill finished"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.runid === id);
}

async function waitWorker(id: string, ms = 200_000): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const d = workerDone(id);
    if (d) return d;
    if (Date.now() > until) throw new Error(`kill worker for ${id} did not finish`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ad(name: string): Promise<Record<string, unknown> | undefined> {
  return (await queryAds(ctx, { constraint: isExactly('Name', name) }))[0];
}

test('kills a running assessment: Terminated in the DB and the collector; a prefix-sharing job survives', async () => {
  const run = await seedAssessmentRun(db, { launchFlag: 0 });
  const id = run.executionRecordUuid;
  // a second job whose id shares all but the last character with the first
  const sibling = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
  const job = await sleepJob({ SWAMP_arun_execrunuid: id, SWAMP_userid: run.userUuid, SWAMP_projectid: run.projectUuid }, 'a');
  const other = await sleepJob({ SWAMP_arun_execrunuid: sibling }, 'b');
  await advertise(ctx, [assessmentStatusAd({ execrunuid: id, vmhostname: 'aswamp-1-0', status: 'Performing assessment', userUuid: run.userUuid, projectId: run.projectUuid })]);
  await waitRunning(job);

  const t0 = Date.now();
  expect(await callKill(id, '1')).toBe('SUCCESS');
  expect(Date.now() - t0).toBeLessThan(2000); // sys_exec returns at once; the worker does the rest
  const done = await waitWorker(id);
  expect(done.outcome).toBe('terminated');
  // O(1) HTCondor calls, whatever the wait: lookup, advertise, rm, wait, confirm, ad read, advertise
  expect(Number(done.htcondorCallsTotal)).toBeLessThanOrEqual(8);

  expect(await inQueue(job)).toBe(false);
  expect(await inQueue(other)).toBe(true);
  await remove(ctx, { constraint: isExactly('SWAMP_arun_execrunuid', sibling) });
  const rec = await getExecutionRecord(db, id);
  expect(rec?.status).toBe('Terminated');
  expect(rec?.completion_date).not.toBeNull();
  expect(rec?.complete_flag).toBe(1);
  expect((await ad(id))?.SWAMP_vmu_assessment_status).toBe('Terminated');
  const hist = await queryHistory(ctx, { constraint: isExactly('SWAMP_arun_execrunuid', id), attributes: ['JobStatus'], limit: 1 });
  expect(hist[0]?.JobStatus).toBe(3);

  // killing again, and killing the finished job: exit 0 (SUCCESS), nothing changed
  expect(await callKill(id, '1')).toBe('SUCCESS');
  await new Promise((r) => setTimeout(r, 1500));
  expect((await getExecutionRecord(db, id))?.status).toBe('Terminated');
}, 240_000);

test('kills a project viewer by project uuid: Terminating then Terminated (-7) on the viewer ad', async () => {
  const project = randomUUID();
  const instance = randomUUID();
  const vrun = `vrun_${project}_CodeDX`;
  const job = await sleepJob({ SWAMP_vrun_execrunuid: vrun, SWAMP_viewerinstanceid: instance, SWAMP_projectid: project }, 'v');
  await advertise(ctx, [viewerStatusAd(vrun, 2, 'Viewer is up', { projectid: project, viewer: 'CodeDX', viewer_uuid: instance, urluuid: 'proxy-x' })]);
  await waitRunning(job);
  expect(await callKill(project, '0')).toBe('SUCCESS');
  const done = await waitWorker(project);
  expect(done.outcome).toBe('terminated');
  expect(await inQueue(job)).toBe(false);
  const a = await ad(vrun);
  expect(a?.SWAMP_vmu_viewer_state).toBe('-7');
  expect(a?.SWAMP_vmu_viewer_status).toBe('Terminated');
  expect(a?.SWAMP_vmu_viewer_instance_uuid).toBe(instance);
}, 240_000);

test('a job already being removed (an earlier kill whose worker died, or an admin condor_rm): the kill waits and writes Terminated', async () => {
  const run = await seedAssessmentRun(db, { launchFlag: 0 });
  const id = run.executionRecordUuid;
  // sleep ignores SIGCONT: the removal keeps the job in JobStatus 3 for its whole vacate time
  const job = await sleepJob({ SWAMP_arun_execrunuid: id }, 'r', { kill_sig: 'SIGCONT', job_max_vacate_time: '6' });
  await waitRunning(job);
  await remove(ctx, { constraint: isExactly('SWAMP_arun_execrunuid', id) });
  const [c] = job.split('.');
  expect((await queryQueue(ctx, { constraint: `ClusterId == ${c}`, attributes: ['JobStatus'] }))[0]?.JobStatus).toBe(3);
  expect(await callKill(id, '1')).toBe('SUCCESS');
  const done = await waitWorker(id);
  expect(done.outcome).toBe('already-removing');
  expect(await inQueue(job)).toBe(false);
  expect((await getExecutionRecord(db, id))?.status).toBe('Terminated');
  // no second condor_rm and no Terminating: statuses only move forwards
  expect((done.htcondorCalls as Record<string, number>).condor_rm ?? 0).toBe(0);
  expect((done.htcondorCalls as Record<string, number>).condor_advertise).toBe(1);
}, 240_000);

test('an unknown id and hostile ids: SUCCESS/ERROR to the DB, no job touched', async () => {
  const unknown = randomUUID();
  expect(await callKill(unknown, '1')).toBe('SUCCESS');
  const done = await waitWorker(unknown, 30_000);
  expect(done.outcome).toBe('not-found');
  // a hostile id never reaches HTCondor: the program refuses it (non-zero -> the procedure says ERROR)
  for (const bad of ['.*', '1" || true || "', 'x;touch /tmp/pwned-kill', `${unknown.slice(0, 8)}`]) {
    expect(await callKill(bad, '1')).toBe('ERROR');
  }
  expect(existsSync('/tmp/pwned-kill')).toBe(false);
}, 60_000);
