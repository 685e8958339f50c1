/**
 * The passes besides launch and kill, in the multi-host shapes (`make test-multihost`; facility by
 * default, SWAMP_MH_SHAPE=sib for SWAMP-in-a-Box in production's shape). They share lib/htcondor with
 * launch and kill, and must reach the same remote schedd (`-name`/`-pool`, input spooled) with the
 * service account's identity:
 *
 * - the drain pass (`launchassessment --drain` as the service account on the data host, as
 *   swamp-drain.service runs it) relaunches a run whose worker died after writing its BOG, and ends a
 *   job held for good (condor_q + condor_rm on the remote schedd);
 * - `swampctl cleanup` as the service account removes a finished run's job dir (its job found in the
 *   remote schedd's history), invalidates a stale status ad at the collector and records an orphan;
 * - a metric run started by `CALL metric.create_metric_run` on the data host runs on an execute host as
 *   the service account and its result lands in the DB and on the shared file system.
 */
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { Db } from '../../lib/db/index.js';
import { invalidate, isExactly, queryAds, queryHistory, queryQueue, remove, runTool, scheddArgs, swampIdConstraint } from '../../lib/htcondor/index.js';
import { seedAssessmentRun } from '../integration/helpers/db-seed.js';
import {
  collector, CONFIG, connectDb, DB_OS_USER, EXEC_HOST, groupIdOf, logLines, need, queue, RUN_DIR, runAs, seedRun, SERVICE_USER, SHAPE, SHARED, SIB, storeArchives, waitFor,
} from './shape.js';

jest.setTimeout(300_000);

let db: Db;
const ids: string[] = [];
const dirs: string[] = [];
const files: string[] = [];

beforeAll(async () => {
  db = await connectDb();
});

afterAll(async () => {
  for (const id of ids) await remove(queue, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(collector, { names: ids }).catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  for (const f of files) await rm(f, { force: true });
  await db?.close();
});

async function runRow(id: string): Promise<{ status: string; complete_flag: number } | undefined> {
  return (await db.select<{ status: string; complete_flag: number }>('SELECT status, complete_flag FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0];
}

async function statusOf(id: string): Promise<string | undefined> {
  const ads = await queryAds(collector, { constraint: isExactly('Name', id), myType: 'Generic' });
  const s = (ads[0] as Record<string, unknown> | undefined)?.SWAMP_vmu_assessment_status;
  return typeof s === 'string' ? s : undefined;
}

type Job = { Owner: string; JobStatus: number; LastRemoteHost?: string; SWAMP_submit_jobdir: string };

/** The run's job once the run has ended in the DB and the job has left the (remote) queue. */
async function endedJob(id: string, table = 'assessment.execution_record', key = 'execution_record_uuid'): Promise<Job> {
  return waitFor('the run to end and its job to leave the queue', async () => {
    const row = (await db.select<{ complete_flag: number }>(`SELECT complete_flag FROM ${table} WHERE ${key} = ?`, [id]))[0];
    if (row?.complete_flag !== 1) return undefined;
    if ((await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId'] })).length > 0) return undefined;
    const h = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: ['Owner', 'JobStatus', 'LastRemoteHost', 'SWAMP_submit_jobdir'], limit: 1 });
    return h[0] as Job | undefined;
  }, 180_000, 500);
}

/** A drain pass as the service account; the log lines it added. */
function drainPass(): Array<Record<string, unknown>> {
  const seen = new Set(logLines('launchassessment.log').map((l) => JSON.stringify(l)));
  const r = runAs(SERVICE_USER, 'launchassessment', ['--drain']);
  expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
  return logLines('launchassessment.log').filter((l) => !seen.has(JSON.stringify(l)));
}

test('the drain pass (service account) relaunches a run whose worker died: the job goes to the schedd and is the service account\'s; the next pass removes its dir', async () => {
  const run = await seedRun(db, 'outcome=pass\ndelay_ms=200\n', dirs);
  const id = run.executionRecordUuid;
  ids.push(id);
  // mysqld's worker (as the mysqld user, on the data host) dies right after writing the BOG
  const crashed = runAs(DB_OS_USER, 'launchassessment', ['--runid', id, '--nodetached'], { SWAMP_LAUNCH_CRASH_AFTER: 'bog-written' });
  expect(crashed.status).not.toBe(0);
  expect(existsSync(join(RUN_DIR, `${id}.bog`))).toBe(true);
  expect(await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId'] })).toHaveLength(0);

  const t0 = Date.now();
  const lines = drainPass();
  expect(readdirSync(RUN_DIR).filter((n) => n.startsWith(`${id}.`))).toEqual([]);
  const job = await endedJob(id);
  process.stderr.write(`MEASURE ${SHAPE} drain->Finished: ${Date.now() - t0} ms; ${JSON.stringify(lines.find((l) => l.msg === 'drain pass done'))}\n`);
  expect(job).toMatchObject({ Owner: SERVICE_USER, JobStatus: 4 });
  expect(String(job.LastRemoteHost)).toMatch(EXEC_HOST);
  expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
  // the drain's job dir: the service account's, in the submit group (its unit's umask 0007)
  const dir = join(RUN_DIR, job.SWAMP_submit_jobdir);
  expect(existsSync(dir)).toBe(true);
  drainPass();
  expect(existsSync(dir)).toBe(false);
});

test('the drain pass ends a job held for good on the schedd: removed (condor_rm as the service account), the run Finished with Errors', async () => {
  const run = await seedRun(db, 'outcome=pass\ndelay_ms=60000\n', dirs);
  const id = run.executionRecordUuid;
  ids.push(id);
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  expect(Number((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc)).toBe(0);
  // (a spooled job is held by HTCondor itself until its input has reached the schedd: wait past that)
  const cluster = await waitFor('the job idle or running in the queue', async () => {
    const q = await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId', 'JobStatus'] });
    return q[0] !== undefined && [1, 2].includes(Number(q[0].JobStatus)) ? Number(q[0].ClusterId) : undefined;
  }, 60_000);
  // an admin holds it (not a transient hold: the drain ends it instead of releasing it)
  await runTool(queue, 'condor_hold', [...scheddArgs(queue), '-reason', 'multihost test: held for good', String(cluster)]);
  await waitFor('JobStatus 5', async () => {
    const q = await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['JobStatus'] });
    return Number(q[0]?.JobStatus) === 5 ? true : undefined;
  }, 30_000);
  const lines = drainPass();
  expect(lines.find((l) => l.msg === 'held job' && l.runid === id)).toMatchObject({ action: 'end' });
  const h = await waitFor('the held job to leave the queue', async () => {
    if ((await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId'] })).length > 0) return undefined;
    return (await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: ['JobStatus', 'Owner', 'RemoveReason'], limit: 1 }))[0];
  }, 60_000);
  expect(h).toMatchObject({ JobStatus: 3, Owner: SERVICE_USER });
  expect(String(h.RemoveReason)).toContain('held: multihost test: held for good');
  expect(await runRow(id)).toMatchObject({ status: 'Finished with Errors', complete_flag: 1 });
  expect(await statusOf(id)).toBe('Finished with Errors');
});

test('swampctl cleanup (service account): a finished run\'s job dir, a stale ad at the collector and an orphan, all read from the schedd and collector the data host names', async () => {
  // a run that finished: its job dir stays until a pass finds the job in the schedd's history
  const run = await seedRun(db, 'outcome=pass\ndelay_ms=200\n', dirs);
  const id = run.executionRecordUuid;
  ids.push(id);
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  const job = await endedJob(id);
  expect(job.Owner).toBe(SERVICE_USER);
  const dir = join(RUN_DIR, job.SWAMP_submit_jobdir);
  expect(existsSync(dir)).toBe(true);
  await waitFor('the final ad', async () => ((await statusOf(id)) === 'Finished' ? true : undefined), 30_000);
  // an orphan: the DB says it is in HTCondor, no schedd knows it
  const orphan = await seedAssessmentRun(db, { launchFlag: 0, launchCounter: 1 });
  ids.push(orphan.executionRecordUuid);
  await db.execute("UPDATE assessment.execution_record SET status = 'Performing assessment', submitted_to_condor_flag = 1 WHERE execution_record_uuid = ?", [orphan.executionRecordUuid]);

  // the installed swamp.conf with no grace periods (a copy, owned and moded like the original)
  const conf = join(need('SWAMP_MH_PREFIX'), 'etc', `swamp-cleanup-test-${process.pid}.conf`);
  files.push(conf);
  await writeFile(conf, `${await readFile(CONFIG, 'utf8')}\ncleanupOrphanMinutes = 0\ncleanupStaleAdHours = 0\n`);
  await chown(conf, 0, groupIdOf(need('SWAMP_MH_GROUP')));
  await chmod(conf, 0o640);
  const t0 = Date.now();
  const r = runAs(SERVICE_USER, 'swampctl', ['cleanup', '--json'], { SWAMP_CONFIG: conf });
  process.stderr.write(`MEASURE ${SHAPE} swampctl cleanup: ${Date.now() - t0} ms\n`);
  expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
  const doc = JSON.parse(r.stdout) as { categories: Array<{ category: string; items: Array<{ name: string; status?: string }>; skipped?: string; failed: number }>; errors: unknown[]; htcondorCalls: number };
  process.stderr.write(`MEASURE ${SHAPE} swampctl cleanup HTCondor calls: ${doc.htcondorCalls}\n`);
  expect(doc.errors).toEqual([]);
  const cat = (c: string): { items: Array<{ name: string; status?: string }>; skipped?: string; failed: number } => doc.categories.find((x) => x.category === c) as { items: Array<{ name: string; status?: string }>; skipped?: string; failed: number };
  expect(cat('job-dirs').items.map((i) => i.name)).toContain(job.SWAMP_submit_jobdir);
  expect(existsSync(dir)).toBe(false);
  expect(cat('stale-ads').items.map((i) => i.name)).toContain(id);
  expect(await statusOf(id)).toBeUndefined();
  expect(cat('orphans').items).toContainEqual(expect.objectContaining({ name: orphan.executionRecordUuid, status: 'Finished with Errors' }));
  expect(await runRow(orphan.executionRecordUuid)).toMatchObject({ status: 'Finished with Errors', complete_flag: 1 });
  for (const c of doc.categories) expect({ c: c.category, failed: c.failed }).toEqual({ c: c.category, failed: 0 });
});

test('a metric run started by CALL metric.create_metric_run runs on an execute host as the service account; its result lands in the DB and the shared metrics folder', async () => {
  const run = await seedAssessmentRun(db, { packageName: 'snappy-c' });
  const a = await storeArchives('outcome=pass\ndelay_ms=200\n', dirs, 'cloc-1.82');
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [a.pkg, run.packageVersionUuid]);
  const typeId = 100_000 + Math.floor(Math.random() * 1_000_000_000);
  const tool = `mt-${typeId}`;
  await db.execute('INSERT INTO package_store.package_type (package_type_id, name, default_platform_uuid) VALUES (?, ?, ?)', [typeId, 'fixture', run.platformUuid]);
  await db.execute('UPDATE package_store.package SET package_type_id = ? WHERE package_uuid = ?', [typeId, run.packageUuid]);
  await db.execute("INSERT INTO metric.metric_tool (metric_tool_uuid, name) VALUES (?, 'cloc')", [tool]);
  await db.execute("INSERT INTO metric.metric_tool_version (metric_tool_version_uuid, metric_tool_uuid, version_string, tool_path, checksum) VALUES (?, ?, '1.82', ?, ?)", [`mtv-${typeId}`, tool, a.tool, 'd'.repeat(128)]);
  await db.execute('INSERT INTO metric.metric_tool_language (metric_tool_uuid, package_type_id) VALUES (?, ?)', [tool, typeId]);

  const t0 = Date.now();
  await db.execute('CALL metric.create_metric_run(?, ?, ?, @rs)', [run.packageUuid, run.packageVersionUuid, typeId]);
  expect((await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs).toBe('SUCCESS');
  const m = (await db.select<{ id: string }>('SELECT metric_run_uuid AS id FROM metric.metric_run WHERE package_version_uuid = ?', [run.packageVersionUuid]))[0]?.id as string;
  expect(m).toMatch(/^M-/);
  ids.push(m);
  const job = await endedJob(m, 'metric.metric_run', 'metric_run_uuid');
  process.stderr.write(`MEASURE ${SHAPE} metric CALL->Finished: ${Date.now() - t0} ms\n`);
  expect(job).toMatchObject({ Owner: SERVICE_USER, JobStatus: 4 });
  expect(String(job.LastRemoteHost)).toMatch(EXEC_HOST);
  expect(job.SWAMP_submit_jobdir).toMatch(/^mswamp_/);
  const row = (await db.select<{ status: string; result_path: string | null; submitted_to_condor_flag: number }>(
    'SELECT status, result_path, submitted_to_condor_flag FROM metric.metric_run WHERE metric_run_uuid = ?', [m]))[0];
  expect(row).toMatchObject({ status: 'Finished', submitted_to_condor_flag: 1 });
  // saved by PostAssessment on the execute host into the shared metrics folder
  expect(String(row?.result_path).startsWith(join(SHARED, 'metrics', m))).toBe(true);
  expect(await readFile(String(row?.result_path), 'utf8')).toContain('<AnalyzerReport');
  expect(await statusOf(m)).toBe('Finished');
  dirs.push(join(SHARED, 'metrics', m));
  if (!SIB) expect(await queryQueue(queue, { constraint: swampIdConstraint(m), attributes: ['ClusterId'] })).toHaveLength(0);
});
