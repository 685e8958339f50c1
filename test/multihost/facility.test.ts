/**
 * The multi-host facility (services/multihost/mh.sh, `make test-multihost`): five hosts in network
 * namespaces. Every step starts at `CALL` on the data host's MariaDB, whose mariadbd runs as `mysql`;
 * the programs it starts hand the job to the remote schedd on `submit` with the service account's
 * IDTOKEN (input spooled), the job and its hooks run on `exec1`/`exec2` as the service account, the
 * hooks write results to the shared file system and the DB with their own account, and the status ads
 * reach the collector on `cm`, read here from the data host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { connect, type Db } from '../../lib/db/index.js';
import { invalidate, isExactly, queryAds, queryHistory, queryQueue, remove, swampIdConstraint, type HTCondorContext } from '../../lib/htcondor/index.js';
import { parseEnvLines } from '../integration/helpers/db-env.js';
import { seedAssessmentRun } from '../integration/helpers/db-seed.js';

jest.setTimeout(300_000);

const MH_DIR = process.env.SWAMP_MH_DIR ?? '/var/lib/swamp-mh';
const env = parseEnvLines(readFileSync(join(MH_DIR, 'env'), 'utf8'));
const need = (k: string): string => {
  const v = env[k];
  if (v === undefined) throw new Error(`${k} missing from ${MH_DIR}/env: run make services-multihost`);
  return v;
};
/** HTCondor tools run on the data host (root's copy of the service account's token). */
const queue: HTCondorContext = { toolDir: need('SWAMP_MH_TOOLS'), schedd: need('SWAMP_MH_SCHEDD'), pool: need('SWAMP_MH_CM') };
const collector: HTCondorContext = { toolDir: need('SWAMP_MH_TOOLS'), pool: need('SWAMP_MH_CM') };
const SERVICE_USER = need('SWAMP_MH_SERVICE_USER');
const LOG_DIR = join(MH_DIR, 'data', 'log');

let db: Db;
const ids: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  db = await connect({
    host: '127.0.0.1',
    port: Number(need('SWAMP_MH_DB_PORT')),
    socketPath: need('SWAMP_MH_DB_SOCKET'),
    user: 'swamp',
    password: need('SWAMP_MH_DB_PASSWORD'),
    database: 'assessment',
    connectTimeoutMs: 5000,
  });
});

afterAll(async () => {
  for (const id of ids) await remove(queue, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(collector, { names: ids }).catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await db?.close();
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, periodMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, periodMs));
  }
}

/** A run whose tool tells the local machine `machineConf` (see test/integration/hooks/e2e.test.ts). */
async function seedRun(machineConf: string): Promise<{ id: string; project: string }> {
  // on the shared file system: PreAssessment on the execute host copies them (legacy /swamp/store)
  const base = await mkdtemp(join(MH_DIR, 'shared', 'store', 'run-'));
  await chmod(base, 0o755);
  dirs.push(base);
  const pkg = join(base, 'snappy-c-1.0.tar.gz');
  await writeFile(pkg, 'package archive\n', { mode: 0o644 });
  const inFiles = join(base, 'gcc-warn-0.9', 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true, mode: 0o755 });
  await writeFile(join(inFiles, 'machine.conf'), machineConf, { mode: 0o644 });
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c', launchFlag: 1, launchCounter: 1 });
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [pkg, run.packageVersionUuid]);
  await db.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [join(base, 'gcc-warn-0.9.tar.gz'), run.toolVersionUuid]);
  ids.push(run.executionRecordUuid);
  return { id: run.executionRecordUuid, project: run.projectUuid };
}

async function launch(id: string): Promise<number> {
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  return Number((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc);
}

async function runRow(id: string): Promise<{ status: string; complete_flag: number } | undefined> {
  return (await db.select<{ status: string; complete_flag: number }>('SELECT status, complete_flag FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0];
}

async function statusOf(id: string): Promise<string | undefined> {
  const ads = await queryAds(collector, { constraint: isExactly('Name', id), myType: 'Generic' });
  const s = (ads[0] as Record<string, unknown> | undefined)?.SWAMP_vmu_assessment_status;
  return typeof s === 'string' ? s : undefined;
}

function logLines(file: string): Array<Record<string, unknown>> {
  const f = join(LOG_DIR, file);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const HISTORY_ATTRS = ['JobStatus', 'Owner', 'LastRemoteHost', 'ExitCode', 'NumJobStarts', 'RemoveReason', 'PreArguments'];

test('an assessment launched by CALL on the data host runs on an execute host as the service account; results land in the DB', async () => {
  const { id } = await seedRun('outcome=pass\ndelay_ms=200\n');
  const t0 = Date.now();
  expect(await launch(id)).toBe(0);
  // the job is owned by the service account, although the mysqld user (mysql) submitted it
  const owner = await waitFor(
    'the job in the remote queue',
    async () => {
      const q = await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['Owner'] });
      if (q[0] !== undefined) return q[0].Owner as string;
      const h = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: ['Owner'], limit: 1 });
      return h[0]?.Owner as string | undefined;
    },
    60_000,
  );
  expect(owner).toBe(SERVICE_USER);
  const hist = await waitFor(
    'the run to end',
    async () => {
      const row = await runRow(id);
      if (row?.complete_flag !== 1) return undefined;
      const h = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: HISTORY_ATTRS, limit: 1 });
      return h[0];
    },
    180_000,
    500,
  );
  const ms = Date.now() - t0;
  const launched = logLines('launchassessment.log').find((l) => l.msg === 'launch finished' && l.execrunid === id);
  process.stderr.write(`MEASURE multihost CALL->Finished: ${ms} ms; job ${JSON.stringify(hist)}; launch HTCondor calls ${JSON.stringify(launched?.htcondorCalls)}\n`);
  expect(hist).toMatchObject({ JobStatus: 4, Owner: SERVICE_USER, NumJobStarts: 1 });
  // the hooks are told the job's real owner (htcondor_job_owner), not the mysqld user
  expect(String(hist.PreArguments).split(' ')[2]).toBe(SERVICE_USER);
  expect(String(hist.LastRemoteHost)).toMatch(/@exec[12]\.swamp-mh\.test$/);
  expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
  // both hooks ran and succeeded on the execute host (their log is local to it)
  const host = String(hist.LastRemoteHost).replace(/^.*@(exec[12])\..*$/, '$1');
  const hookLog = readFileSync(join(MH_DIR, host, 'upper', 'var', 'log', 'swamp', `${id}_${String(launched?.clusterId)}.log`), 'utf8');
  expect(hookLog).toContain('HTCondor jobhook PreAssessment exit result: 0');
  expect(hookLog).toContain('HTCondor jobhook PostAssessment exit result: 0');
  // the status ads reached the collector on cm and are read from the data host
  expect(await statusOf(id)).toBe('Finished');
  const res = await db.select<{ file_path: string }>('SELECT file_path FROM assessment.assessment_result WHERE execution_record_uuid = ?', [id]);
  expect(res).toHaveLength(1);
  // written by the hook on the execute host, into the shared file system, as the service account
  expect(res[0]?.file_path.startsWith(join(MH_DIR, 'shared'))).toBe(true);
  expect(await readFile(res[0]?.file_path as string, 'utf8')).toContain('<AnalyzerReport');
});

test('kill_assessment_run removes a running assessment on an execute host', async () => {
  const { id } = await seedRun('outcome=pass\ndelay_ms=3000\n');
  expect(await launch(id)).toBe(0);
  await waitFor('Performing assessment', async () => ((await statusOf(id)) === 'Performing assessment' ? true : undefined), 120_000, 250);
  const t0 = Date.now();
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, '1']);
  expect((await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs).toBe('SUCCESS');
  const done = await waitFor('the kill worker', async () => logLines('killjob.log').find((l) => l.msg === 'kill finished' && l.runid === id), 200_000, 250);
  process.stderr.write(`MEASURE multihost kill: ${Date.now() - t0} ms, ${JSON.stringify(done)}\n`);
  expect(done.outcome).toBe('terminated');
  const hist = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: HISTORY_ATTRS, limit: 1 });
  expect(hist[0]).toMatchObject({ JobStatus: 3, Owner: SERVICE_USER });
  await waitFor('Terminated in the DB', async () => ((await runRow(id))?.status === 'Terminated' ? true : undefined), 30_000);
  expect(await statusOf(id)).toBe('Terminated');
});
