/**
 * The multi-host facility (services/multihost/mh.sh, `make test-multihost`): five hosts in network
 * namespaces. Every step starts at `CALL` on the data host's MariaDB, whose mariadbd runs as `mysql`;
 * the programs it starts hand the job to the remote schedd on `submit` with the service account's
 * IDTOKEN (input spooled), the job and its hooks run on `exec1`/`exec2` as the service account, the
 * hooks write results to the shared file system and the DB with their own account, and the status ads
 * reach the collector on `cm`, read here from the data host.
 *
 * With SWAMP_MH_SHAPE=sib the same tests run against SWAMP-in-a-Box in production's shape
 * (`mh.sh up-sib`): one host with every HTCondor role and MariaDB (as `mysql`), no spooling, jobs
 * owned by the service account through the same token.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar';
import { connect, type Db } from '../../lib/db/index.js';
import { invalidate, isExactly, queryAds, queryHistory, queryQueue, remove, swampIdConstraint, type HTCondorContext } from '../../lib/htcondor/index.js';
import { GCC_SCARF_GZIP_BASE64 } from '../../lib/machine/assets/gcc-scarf.js';
import { parseEnvLines } from '../integration/helpers/db-env.js';
import { logLines } from './shape.js';
import { seedAssessmentResult, seedAssessmentRun } from '../integration/helpers/db-seed.js';

jest.setTimeout(300_000);

const MH_DIR = process.env.SWAMP_MH_DIR ?? '/var/lib/swamp-mh';
const SIB = process.env.SWAMP_MH_SHAPE === 'sib';
const ENV_FILE = join(MH_DIR, ...(SIB ? ['sib', 'env'] : ['env']));
const env = parseEnvLines(readFileSync(ENV_FILE, 'utf8'));
const need = (k: string): string => {
  const v = env[k];
  if (v === undefined) throw new Error(`${k} missing from ${ENV_FILE}: run make services-multihost`);
  return v;
};
/** HTCondor tools run on the data host (root's copy of the service account's token). */
const queue: HTCondorContext = SIB ? { toolDir: need('SWAMP_MH_TOOLS') } : { toolDir: need('SWAMP_MH_TOOLS'), schedd: need('SWAMP_MH_SCHEDD'), pool: need('SWAMP_MH_CM') };
const collector: HTCondorContext = SIB ? { toolDir: need('SWAMP_MH_TOOLS') } : { toolDir: need('SWAMP_MH_TOOLS'), pool: need('SWAMP_MH_CM') };
const SERVICE_USER = need('SWAMP_MH_SERVICE_USER');
const LOG_DIR = need('SWAMP_MH_LOG');
/** The facility's shared file system (SiB: the host's own directories). */
const SHARED = SIB ? need('SWAMP_MH_SHARED') : join(MH_DIR, 'shared');
const EXEC_HOST = SIB ? /@sib\.swamp-mh\.test$/ : /@exec[12]\.swamp-mh\.test$/;
/** Where the hooks of a job that ran on `host` log. */
const hookLogDir = (host: string): string => (SIB ? LOG_DIR : join(MH_DIR, host, 'upper', 'var', 'log', 'swamp'));

let db: Db;
const ids: string[] = [];
const vruns: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  db = await connect({
    host: '127.0.0.1',
    port: Number(need('SWAMP_MH_DB_PORT')),
    socketPath: need('SWAMP_MH_DB_SOCKET'),
    // the tests' account (fixture rows); the programs use the least-privilege `swamp` (sql/grants.sh)
    user: 'swamp_test',
    password: need('SWAMP_MH_DB_TEST_PASSWORD'),
    database: 'assessment',
    connectTimeoutMs: 5000,
  });
});

afterAll(async () => {
  for (const id of ids) await remove(queue, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  for (const id of vruns) await remove(queue, { constraint: isExactly('SWAMP_vrun_execrunuid', id) }).catch(() => undefined);
  if (ids.length + vruns.length > 0) await invalidate(collector, { names: [...ids, ...vruns] }).catch(() => undefined);
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
  const base = await mkdtemp(join(SHARED, 'store', 'run-'));
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
  process.stderr.write(`MEASURE ${SIB ? 'sib (production shape)' : 'multihost'} CALL->Finished: ${ms} ms; job ${JSON.stringify(hist)}; launch HTCondor calls ${JSON.stringify(launched?.htcondorCalls)}\n`);
  expect(hist).toMatchObject({ JobStatus: 4, Owner: SERVICE_USER, NumJobStarts: 1 });
  // the hooks are told the job's real owner (htcondor_job_owner), not the mysqld user
  expect(String(hist.PreArguments).split(' ')[2]).toBe(SERVICE_USER);
  expect(String(hist.LastRemoteHost)).toMatch(EXEC_HOST);
  expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
  // both hooks ran and succeeded on the execute host (their log is local to it)
  const host = String(hist.LastRemoteHost).replace(/^.*@([a-z0-9]+)\..*$/, '$1');
  const hookLog = readFileSync(join(hookLogDir(host), `${id}_${String(launched?.clusterId)}.log`), 'utf8');
  expect(hookLog).toContain('HTCondor jobhook PreAssessment exit result: 0');
  expect(hookLog).toContain('HTCondor jobhook PostAssessment exit result: 0');
  // the status ads reached the collector on cm and are read from the data host
  expect(await statusOf(id)).toBe('Finished');
  const res = await db.select<{ file_path: string }>('SELECT file_path FROM assessment.assessment_result WHERE execution_record_uuid = ?', [id]);
  expect(res).toHaveLength(1);
  // written by the hook on the execute host, into the shared file system, as the service account
  expect(res[0]?.file_path.startsWith(SHARED)).toBe(true);
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
  process.stderr.write(`MEASURE ${SIB ? 'sib (production shape)' : 'multihost'} kill: ${Date.now() - t0} ms, ${JSON.stringify(done)}\n`);
  expect(done.outcome).toBe('terminated');
  const hist = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: HISTORY_ATTRS, limit: 1 });
  expect(hist[0]).toMatchObject({ JobStatus: 3, Owner: SERVICE_USER });
  await waitFor('Terminated in the DB', async () => ((await runRow(id))?.status === 'Terminated' ? true : undefined), 30_000);
  expect(await statusOf(id)).toBe('Terminated');
});

const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';

async function callLaunchViewer(resultUuid: string | null, user: string, project: string, dest: string): Promise<{ rs: string | null; vi: string | null }> {
  await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @lv_path, @lv_rs, @lv_vi)', [resultUuid, user, CODEDX, project, dest, null]);
  return (await db.select<{ rs: string | null; vi: string | null }>('SELECT @lv_rs AS rs, @lv_vi AS vi'))[0] as { rs: string | null; vi: string | null };
}

async function viewerAd(id: string): Promise<Record<string, unknown> | undefined> {
  return (await queryAds(collector, { constraint: isExactly('Name', id), myType: 'Generic' }))[0] as Record<string, unknown> | undefined;
}

test('a CodeDX viewer launches on an execute host, is found again by the next launch_viewer, and is stopped gracefully', async () => {
  const run = await seedAssessmentRun(db, { packageName: 'zlib' });
  const id = `vrun_${run.projectUuid}_CodeDX`;
  vruns.push(id);
  // (launch_viewer's destination path is a VARCHAR(45): a short name)
  const store = await mkdtemp(join(SHARED, 'v-'));
  await chmod(store, 0o1777);
  dirs.push(store);
  const uuid = await seedAssessmentResult(db, run);
  const file = join(store, 'parsed_results.xml');
  const scarf = gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64'));
  await writeFile(file, scarf, { mode: 0o644 });
  // the package archive the launcher re-zips for the upload
  const src = join(store, 'src');
  await mkdir(join(src, 'zlib-1.2.13'), { recursive: true });
  await writeFile(join(src, 'zlib-1.2.13', 'zlib.h'), '#define ZLIB_VERSION "1.2.13"\n');
  const archive = join(store, 'zlib-1.2.13.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: src, portable: true }, ['zlib-1.2.13']);
  await chmod(archive, 0o644);
  await db.execute('UPDATE assessment.assessment_result SET file_path = ?, source_archive_path = ?, tool_name = ? WHERE assessment_result_uuid = ?', [file, archive, 'GCC', uuid]);

  const t0 = Date.now();
  const out = await callLaunchViewer(uuid, run.userUuid, run.projectUuid, `${store}/`);
  expect(out.rs).toBe('SUCCESS');
  const instance = out.vi as string;
  const up = await waitFor('Viewer is up', async () => {
    const ad = await viewerAd(id);
    return Number(ad?.SWAMP_vmu_viewer_state) === 2 ? ad : undefined;
  }, 120_000, 250);
  process.stderr.write(`MEASURE ${SIB ? 'sib (production shape)' : 'multihost'} viewer up: ${Date.now() - t0} ms (vm ip ${String(up?.SWAMP_vmu_viewer_vmip)})\n`);
  expect(up?.SWAMP_vmu_viewer_instance_uuid).toBe(instance);
  const jobs = await queryQueue(queue, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['Owner', 'RemoteHost', 'ClusterId'] });
  expect(jobs).toHaveLength(1);
  expect(jobs[0]).toMatchObject({ Owner: SERVICE_USER });
  expect(String(jobs[0]?.RemoteHost)).toMatch(EXEC_HOST);

  // the results reached the viewer: launch_viewer on the data host uploaded them to the viewer's own
  // address on the execute host (facility: the execute host's, as a viewer VM's; SiB: loopback)
  const first = await waitFor('the first request\'s upload', async () => logLines('launchviewer.log').find((l) => l.msg === 'viewer request finished' && l.execrunid === id), 60_000, 250);
  expect(first).toMatchObject({ launch: 'launched', upload: 'uploaded' });
  const vmip = String(up?.SWAMP_vmu_viewer_vmip);
  // (SiB: the viewer serves on the host's loopback, which the launcher on the same host reaches and this
  // test, outside the host's network namespace, does not; the single-host suite reads it back there)
  if (!SIB) {
    expect(vmip).toMatch(/^10\.231\.17\.[56]:\d+$/);
    const base = `http://${vmip}/${String(up?.SWAMP_vmu_viewer_url_uuid)}/api`;
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: { Authorization: `System-Key ${String(up?.SWAMP_vmu_viewer_apikey)}` }, signal: AbortSignal.timeout(10_000) })).json()) as T;
    const projects = await get<{ projects: Array<{ id: number; name: string }> }>('/projects');
    const project = projects.projects.find((p) => p.name === 'zlib');
    expect(project).toBeDefined();
    const analyses = await get<{ analyses: Array<{ files: Array<{ field: string; name: string; sha256: string }> }> }>(`/projects/${String(project?.id)}/analyses`);
    expect(analyses.analyses).toHaveLength(1);
    expect(analyses.analyses[0]?.files.map((f) => [f.field, f.name])).toEqual([['file1', 'parsed_results.xml'], ['file2', 'zlib-1.2.13.zip']]);
    expect(analyses.analyses[0]?.files[0]?.sha256).toBe(createHash('sha256').update(scarf).digest('hex'));
  }

  // the next request finds the running viewer: same instance, no second job
  const again = await callLaunchViewer(null, run.userUuid, run.projectUuid, `${store}/`);
  expect(again).toMatchObject({ rs: 'SUCCESS', vi: instance });
  await waitFor('the second request', async () => logLines('launchviewer.log').filter((l) => l.msg === 'viewer request finished' && l.execrunid === id)[1], 60_000, 250);
  expect(logLines('launchviewer.log').filter((l) => l.msg === 'viewer request finished' && l.execrunid === id)
    .map((l) => String(l.launch)).sort()).toEqual(['launched', 'running']); // the first finishes after its upload
  expect(await queryQueue(queue, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] })).toHaveLength(1);

  // graceful stop (the web passes the project uuid): PostViewer on the execute host saves the viewer DB
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @kr)', [run.projectUuid, '0']);
  expect((await db.select<{ kr: string }>('SELECT @kr AS kr'))[0]?.kr).toBe('SUCCESS');
  await waitFor('the viewer to shut down', async () => {
    const q = await queryQueue(queue, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] });
    const ad = await viewerAd(id);
    return q.length === 0 && Number(ad?.SWAMP_vmu_viewer_state) === -3 ? true : undefined;
  }, 90_000, 250);
  const saved = await db.select<{ p: string | null }>('SELECT viewer_db_path AS p FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [instance]);
  expect(saved[0]?.p).toMatch(/codedx_viewerdb_\d{14}\.tar\.gz$/);
});
