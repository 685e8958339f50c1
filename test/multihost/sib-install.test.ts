/**
 * The layout `make install DESTDIR=<inst>` made on the data host (accounts, groups, owners, modes and
 * the run dir's default ACL), in both multi-host shapes: the facility's data host (`mh.sh up`) and
 * SWAMP-in-a-Box in production's shape (`mh.sh up-sib`, SWAMP_MH_SHAPE=sib). In SiB also the
 * installed programs run as the real accounts: mysqld's programs as `mysql` through CALL, the drain
 * pass as the service account (as swamp-drain.service runs it: SWAMP_CONFIG set, umask 0007); the
 * facility's counterparts are in maintenance.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { connect, type Db } from '../../lib/db/index.js';
import { invalidate, isExactly, queryHistory, queryQueue, remove, runTool, swampIdConstraint, type HTCondorContext } from '../../lib/htcondor/index.js';
import { parseEnvLines } from '../integration/helpers/db-env.js';
import { seedAssessmentRun } from '../integration/helpers/db-seed.js';

jest.setTimeout(300_000);

const SIB = process.env.SWAMP_MH_SHAPE === 'sib';
const MH_DIR = process.env.SWAMP_MH_DIR ?? '/var/lib/swamp-mh';
const ENV_FILE = join(MH_DIR, ...(SIB ? ['sib', 'env'] : ['env']));
const env = parseEnvLines(readFileSync(ENV_FILE, 'utf8'));
const need = (k: string): string => {
  const v = env[k];
  if (v === undefined) throw new Error(`${k} missing from ${ENV_FILE}: run services/multihost/mh.sh ${SIB ? 'up-sib' : 'up'}`);
  return v;
};
const d = SIB ? describe : describe.skip;

const idOf = (what: 'u' | 'g', name: string): number => Number(execFileSync('id', [`-${what}`, name], { encoding: 'utf8' }).trim());
const groupId = (name: string): number => Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);

/** owner, group and mode (with setuid/setgid/sticky) of a path. */
function who(path: string): { owner: number; group: number; mode: string } {
  const s = statSync(path);
  return { owner: s.uid, group: s.gid, mode: (s.mode & 0o7777).toString(8).padStart(4, '0') };
}

/** An installed program on the SiB host (its network namespace) as `user`, as its unit runs it. */
function runAs(user: string, program: string, args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stderr: string } {
  const envArgs = Object.entries({ PATH: '/usr/bin:/bin', SWAMP_CONFIG: join(need('SWAMP_MH_PREFIX'), 'etc', 'swamp.conf'), ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('ip', ['netns', 'exec', need('SWAMP_MH_NETNS'), 'setpriv', `--reuid=${user}`, `--regid=${String(idOf('g', user))}`, '--init-groups',
    'env', '-i', ...envArgs, 'sh', '-c', 'umask 0007 && exec "$0" "$@"', join(need('SWAMP_MH_PREFIX'), 'bin', program), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

let db: Db;
let queue: HTCondorContext;
const ids: string[] = [];
const vruns: string[] = [];
const dirs: string[] = [];
const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';

beforeAll(async () => {
  if (!SIB) return;
  queue = { toolDir: need('SWAMP_MH_TOOLS') };
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
  if (!SIB) return;
  for (const id of ids) await remove(queue, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  for (const id of vruns) await remove(queue, { constraint: isExactly('SWAMP_vrun_execrunuid', id) }).catch(() => undefined);
  if (ids.length + vruns.length > 0) await invalidate(queue, { names: [...ids, ...vruns] }).catch(() => undefined);
  for (const x of dirs) await rm(x, { recursive: true, force: true });
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

/** A run of the local platform's simulated machine (see facility.test.ts). */
async function seedRun(): Promise<string> {
  const base = await mkdtemp(join(need('SWAMP_MH_SHARED'), 'store', 'inst-'));
  await chmod(base, 0o755);
  dirs.push(base);
  const pkg = join(base, 'snappy-c-1.0.tar.gz');
  await writeFile(pkg, 'package archive\n', { mode: 0o644 });
  const inFiles = join(base, 'gcc-warn-0.9', 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true, mode: 0o755 });
  await writeFile(join(inFiles, 'machine.conf'), 'outcome=pass\ndelay_ms=200\n', { mode: 0o644 });
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c', launchFlag: 1, launchCounter: 1 });
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [pkg, run.packageVersionUuid]);
  await db.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [join(base, 'gcc-warn-0.9.tar.gz'), run.toolVersionUuid]);
  ids.push(run.executionRecordUuid);
  return run.executionRecordUuid;
}

/** JSON lines of one of the installed programs' logs. */
function logLines(file: string): Array<Record<string, unknown>> {
  const f = join(need('SWAMP_MH_LOG'), file);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The job dir of a run, named by the job's SWAMP_submit_jobdir. */
async function finishedJob(id: string): Promise<{ Owner: string; JobStatus: number; SWAMP_submit_jobdir: string }> {
  return waitFor('the run to finish and leave the queue', async () => {
    const row = (await db.select<{ complete_flag: number }>('SELECT complete_flag FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0];
    if (row?.complete_flag !== 1) return undefined;
    if ((await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId'] })).length > 0) return undefined;
    const h = await queryHistory(queue, { constraint: swampIdConstraint(id), attributes: ['Owner', 'JobStatus', 'SWAMP_submit_jobdir'], limit: 1 });
    return h[0] as { Owner: string; JobStatus: number; SWAMP_submit_jobdir: string } | undefined;
  }, 180_000, 500);
}

describe(`the layout make install made (${SIB ? 'SiB' : 'the facility\'s data host'})`, () => {
  test('accounts: the service account in the submit group (primary), mysqld\'s user a member', () => {
    const svc = need('SWAMP_MH_SERVICE_USER');
    const grp = need('SWAMP_MH_GROUP');
    expect(idOf('g', svc)).toBe(groupId(grp));
    expect(execFileSync('id', ['-nG', need('SWAMP_MH_DB_OS_USER')], { encoding: 'utf8' }).trim().split(' ')).toContain(grp);
  });

  test('owners, groups and modes of programs, config, run, log, data and token dirs', () => {
    const prefix = need('SWAMP_MH_PREFIX');
    const inst = need('SWAMP_MH_INST');
    const svc = idOf('u', need('SWAMP_MH_SERVICE_USER'));
    const grp = groupId(need('SWAMP_MH_GROUP'));
    expect(who(join(prefix, 'bin', 'swamp'))).toEqual({ owner: 0, group: 0, mode: '0755' });
    expect(who(join(prefix, 'etc', 'swamp.conf'))).toEqual({ owner: 0, group: grp, mode: '0640' });
    expect(need('SWAMP_MH_RUN')).toBe(join(prefix, 'run'));
    expect(need('SWAMP_MH_LOG')).toBe(join(prefix, 'log'));
    for (const dir of ['run', 'log']) expect(who(join(prefix, dir))).toEqual({ owner: svc, group: grp, mode: '2770' });
    // the run dir's default ACL: what is made beneath it keeps the submit group's rights
    const acl = execFileSync('getfacl', ['-cp', join(prefix, 'run')], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
    expect(acl).toEqual(expect.arrayContaining([`group:${need('SWAMP_MH_GROUP')}:rwx`, 'default:user::rwx', 'default:group::rwx', `default:group:${need('SWAMP_MH_GROUP')}:rwx`, 'default:mask::rwx', 'default:other::---']));
    // (the facility's data dirs are its shared file system, made by mh.sh like an NFS export)
    const data = SIB ? ['swamp/working/results', 'swamp/outgoing', 'swamp/projects', 'swamp/metrics'].map((x) => join(inst, x)) : ['working/results', 'outgoing', 'projects', 'metrics'].map((x) => join(need('SWAMP_MH_SHARED'), x));
    for (const dir of data) expect(who(dir)).toEqual({ owner: svc, group: grp, mode: '2775' });
    expect(who(join(prefix, 'etc', 'tokens.d'))).toEqual({ owner: 0, group: 0, mode: '0755' });
    for (const u of [need('SWAMP_MH_DB_OS_USER'), need('SWAMP_MH_SERVICE_USER'), 'root']) {
      const uid = idOf('u', u);
      expect({ u, ...who(join(prefix, 'etc', 'tokens.d', u)) }).toEqual({ u, owner: uid, group: idOf('g', u), mode: '0700' });
      expect({ u, ...who(join(prefix, 'etc', 'tokens.d', u, need('SWAMP_MH_SERVICE_USER'))) }).toEqual({ u, owner: uid, group: idOf('g', u), mode: '0600' });
    }
  });
});

d('the installed programs as the real accounts', () => {
  test('CALL (mysqld as mysql) makes a job dir in the submit group; the job is the service account\'s; the drain as the service account removes the finished dir', async () => {
    const id = await seedRun();
    await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
    expect(Number((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc)).toBe(0);
    const job = await finishedJob(id);
    expect(job).toMatchObject({ Owner: need('SWAMP_MH_SERVICE_USER'), JobStatus: 4 });
    const dir = join(need('SWAMP_MH_RUN'), job.SWAMP_submit_jobdir);
    // made by mysqld's program: its owner, the run dir's group (setgid), group-writable
    const made = who(dir);
    expect(made.owner).toBe(idOf('u', need('SWAMP_MH_DB_OS_USER')));
    expect(made.group).toBe(groupId(need('SWAMP_MH_GROUP')));
    expect(Number.parseInt(made.mode, 8) & 0o2070).toBe(0o2070);
    // the job's event log in it was written by the service account (through the group)
    const drained = runAs(need('SWAMP_MH_SERVICE_USER'), 'launchassessment', ['--drain']);
    expect(drained).toMatchObject({ status: 0 });
    expect(existsSync(dir)).toBe(false);
  });

  test('the drain as the service account relaunches a run a crashed worker left queued: the job is the service account\'s, the next pass removes its dir', async () => {
    const id = await seedRun();
    const run = need('SWAMP_MH_RUN');
    // mysqld's worker (as mysql) dies right after writing the BOG
    const crashed = runAs(need('SWAMP_MH_DB_OS_USER'), 'launchassessment', ['--runid', id, '--nodetached'], { SWAMP_LAUNCH_CRASH_AFTER: 'bog-written' });
    expect(crashed.status).not.toBe(0);
    expect(existsSync(join(run, `${id}.bog`))).toBe(true);
    expect(await queryQueue(queue, { constraint: swampIdConstraint(id), attributes: ['ClusterId'] })).toHaveLength(0);

    const t0 = Date.now();
    expect(runAs(need('SWAMP_MH_SERVICE_USER'), 'launchassessment', ['--drain'])).toMatchObject({ status: 0 });
    expect(readdirSync(run).filter((n) => n.startsWith(`${id}.`))).toEqual([]);
    const job = await finishedJob(id);
    process.stderr.write(`MEASURE sib (production shape) drain->Finished: ${Date.now() - t0} ms\n`);
    expect(job).toMatchObject({ Owner: need('SWAMP_MH_SERVICE_USER'), JobStatus: 4 });
    expect((await db.select<{ status: string }>('SELECT status FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0]?.status).toBe('Finished');
    // made by the drain (umask 0007, as its unit runs it): the service account's, in the submit group
    const dir = join(run, job.SWAMP_submit_jobdir);
    const made = who(dir);
    expect(made.owner).toBe(idOf('u', need('SWAMP_MH_SERVICE_USER')));
    expect(made.group).toBe(groupId(need('SWAMP_MH_GROUP')));
    expect(Number.parseInt(made.mode, 8) & 0o2070).toBe(0o2070);
    // the next pass removes it (the job wrote in/ and out/ as the service account: only it can)
    expect(runAs(need('SWAMP_MH_SERVICE_USER'), 'launchassessment', ['--drain'])).toMatchObject({ status: 0 });
    expect(existsSync(dir)).toBe(false);
  });

  test('launch_viewer (mysqld\'s user) removes an earlier viewer\'s job dir that the job and HTCondor wrote into as the service account', async () => {
    const run = await seedAssessmentRun(db, { packageName: 'zlib' });
    const id = `vrun_${run.projectUuid}_CodeDX`;
    vruns.push(id);
    // the earlier viewer's job dir, made by launch_viewer (as mysqld's user) with its submit file
    const name = `vswamp_${randomUUID().toUpperCase()}`;
    const dir = join(need('SWAMP_MH_RUN'), name);
    const db0 = need('SWAMP_MH_DB_OS_USER');
    execFileSync('setpriv', [`--reuid=${db0}`, `--regid=${String(idOf('g', db0))}`, '--init-groups', 'sh', '-c', 'umask 0077 && mkdir "$0" && : > "$0/$1.sub"', dir, id]);
    // its job: the simulated viewer, as the service account, ended by its idle timeout; HTCondor
    // brings in/ and out/ back into the job dir
    const sub = [
      'universe = vanilla',
      `executable = ${join(need('SWAMP_MH_PREFIX'), 'bin', 'swamp-viewer-machine')}`,
      'arguments = "--idle-timeout-ms 1000 --delay-ms 10"',
      'environment = "SWAMP_PROGRAM=swamp-viewer-machine"',
      'transfer_executable = False',
      'should_transfer_files = YES',
      'transfer_output_files = in,out',
      'when_to_transfer_output = ON_EXIT_OR_EVICT',
      'log = condor_log',
      `initialdir = ${dir}`,
      `+SWAMP_test_earlier_viewer = "${id}"`,
      'queue',
      '',
    ].join('\n');
    await runTool(queue, 'condor_submit', ['-terse', '-'], { input: sub });
    const ended = await waitFor('the earlier viewer to end', async () => {
      const h = await queryHistory(queue, { constraint: `SWAMP_test_earlier_viewer == "${id}"`, attributes: ['JobStatus', 'Owner', 'ExitCode'], limit: 1 });
      return h[0];
    }, 120_000, 500);
    expect(ended).toMatchObject({ JobStatus: 4, Owner: need('SWAMP_MH_SERVICE_USER'), ExitCode: 0 });
    for (const sub of ['in', 'out']) expect(statSync(join(dir, sub)).uid).toBe(idOf('u', need('SWAMP_MH_SERVICE_USER')));
    expect(readdirSync(join(dir, 'out'))).toContain('codedx_viewerdb.tar.gz');

    // the next viewer of the project: launch_viewer as mysqld's user removes the earlier dir
    await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @lv_path, @lv_rs, @lv_vi)', [null, run.userUuid, CODEDX, run.projectUuid, `${need('SWAMP_MH_SHARED')}/`, null]);
    expect((await db.select<{ rs: string }>('SELECT @lv_rs AS rs'))[0]?.rs).toBe('SUCCESS');
    const removed = await waitFor('the earlier dir\'s removal', async () => {
      const lines = logLines('launchviewer.log').filter((l) => l.jobDir === name);
      return lines.find((l) => l.msg === 'removed the job dir of an earlier viewer job' || l.msg === 'cannot remove an old viewer job dir');
    }, 60_000);
    expect(removed.msg).toBe('removed the job dir of an earlier viewer job');
    expect(existsSync(dir)).toBe(false);
  });
});
