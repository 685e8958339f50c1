/**
 * The test harness has production's shape (docs/deployment.md, "The test harness"): mariadbd runs as
 * `mysql`, the programs the database calls are the installed ones (make install DESTDIR=.local/inst,
 * scripts/services.sh) with the installed swamp.conf, and the jobs they submit are owned by the
 * service account through the mysqld user's copy of its IDTOKEN. Every other integration test runs
 * on these services; this file checks the shape itself, from `CALL` with no per-test tree.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, openSync, readFileSync, readdirSync, readlinkSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, lookupSwampId, remove, swampIdConstraint } from '../../../lib/htcondor/index.js';
import { CTX, DB_OS_USER, SERVICE_USER, SUBMIT_GROUP, installedPrefix } from '../assessment/helpers.js';
import { dbEnv, dbOptions, projectDir } from '../helpers/db-env.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';
import { sharedUdfConfPath } from '../helpers/udf-conf.js';

const P = installedPrefix();
const ENTRY = ['execute_execution_record', 'launch_viewer', 'kill_run'];
let db: Db;
const ids: string[] = [];
const jobDirs: string[] = [];

const uidOf = (u: string): number => Number(execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim());
const gidOf = (g: string): number => Number(execFileSync('getent', ['group', g], { encoding: 'utf8' }).split(':')[2]);
const ownerOf = (p: string): { uid: number; gid: number; mode: number } => {
  const s = statSync(p);
  return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
};

beforeAll(async () => {
  db = await connect(await dbOptions());
});

afterAll(async () => {
  for (const id of ids) await remove(CTX, { constraint: swampIdConstraint(id) }).catch(() => undefined);
  if (ids.length > 0) await invalidate(CTX, { names: ids }).catch(() => undefined);
  for (const d of jobDirs) rmSync(d, { recursive: true, force: true });
  await db?.close();
});

test('mariadbd runs as mysql, a member of the submit group, never as the service account', async () => {
  const e = await dbEnv();
  const defaults = readFileSync(e.SWAMP_DB_DEFAULTS_FILE ?? join(projectDir(), '.local', 'mariadb', 'my.cnf'), 'utf8');
  const pidFile = /^pid-file\s*=\s*(.+)$/m.exec(defaults)?.[1]?.trim();
  expect(pidFile).toBeDefined();
  const pid = readFileSync(pidFile as string, 'utf8').trim();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  expect(Number(uids?.[1])).toBe(uidOf(DB_OS_USER));
  expect(Number(uids?.[2])).toBe(uidOf(DB_OS_USER));
  expect(DB_OS_USER).not.toBe(SERVICE_USER);
  const groups = (/^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  expect(groups).toContain(gidOf(SUBMIT_GROUP));
});

test('the procedures run the installed programs, which are on the UDF allowlist (the build tree is not)', async () => {
  const rows = await db.select<{ v: string }>("SELECT setting_value AS v FROM assessment.backend_setting WHERE setting_code = 'BIN_DIR'");
  expect(rows[0]?.v).toBe(join(P, 'bin'));
  const allow = readFileSync(await sharedUdfConfPath(), 'utf8')
    .split('\n')
    .filter((l) => /^allow\s*=/.test(l))
    .map((l) => l.replace(/^allow\s*=\s*/, '').trim());
  // db.sh start writes the installed three; files that hand the DB a per-test tree add theirs
  // (test/integration/helpers/udf-conf.ts) until the next start
  expect(allow).toEqual(expect.arrayContaining(ENTRY.map((n) => join(P, 'bin', n))));
  expect(allow.filter((a) => a.startsWith(join(projectDir(), 'dist')))).toEqual([]);
  for (const n of ENTRY) expect(readdirSync(join(P, 'bin'))).toContain(n);
});

test("make install's owners and modes: run and log dirs, swamp.conf, the token copies", () => {
  const svc = uidOf(SERVICE_USER);
  const grp = gidOf(SUBMIT_GROUP);
  expect(ownerOf(join(P, 'run'))).toEqual({ uid: svc, gid: grp, mode: 0o2770 });
  expect(ownerOf(join(P, 'log'))).toEqual({ uid: svc, gid: grp, mode: 0o2770 });
  expect(ownerOf(join(P, 'etc', 'swamp.conf'))).toEqual({ uid: 0, gid: grp, mode: 0o640 });
  for (const u of [DB_OS_USER, SERVICE_USER, 'root']) {
    expect(ownerOf(join(P, 'etc', 'tokens.d', u))).toMatchObject({ uid: uidOf(u), mode: 0o700 });
    expect(ownerOf(join(P, 'etc', 'tokens.d', u, SERVICE_USER))).toMatchObject({ uid: uidOf(u), mode: 0o600 });
  }
  // the programs the DB calls read the installed swamp.conf, whose htcondor_root reads those tokens
  const conf = readFileSync(join(P, 'etc', 'swamp.conf'), 'utf8');
  expect(conf).toMatch(new RegExp(`^htcondor_root = ${join(P, 'htcondor')}$`, 'm'));
  expect(conf).toMatch(new RegExp(`^runDir = ${join(P, 'run')}$`, 'm'));
  expect(readFileSync(join(P, 'htcondor', 'etc', 'condor_config'), 'utf8')).toContain(`SEC_TOKEN_DIRECTORY = ${join(P, 'etc', 'tokens.d')}/$(USERNAME)`);
});

test('CALL execute_execution_record: the job is owned by the service account, its dir is in the submit group', async () => {
  const s = await seedAssessmentRun(db, { launchFlag: 1, launchCounter: 1 });
  const id = s.executionRecordUuid;
  ids.push(id);
  // no @swamp_bin_dir: the procedure's own BIN_DIR, the installed tree
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  expect((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc).toBe(0);
  const until = Date.now() + 60_000;
  let found = await lookupSwampId(CTX, id, { attributes: ['Owner', 'SWAMP_submit_jobdir', 'Iwd'] });
  while (found.source === 'none' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    found = await lookupSwampId(CTX, id, { attributes: ['Owner', 'SWAMP_submit_jobdir', 'Iwd'] });
  }
  expect(found.source).not.toBe('none');
  const ad = found.ads[0] as Record<string, unknown>;
  expect(ad.Owner).toBe(SERVICE_USER);
  expect(ad.Owner).not.toBe(DB_OS_USER);
  const jobDir = join(P, 'run', String(ad.SWAMP_submit_jobdir));
  jobDirs.push(jobDir);
  expect(String(ad.Iwd)).toBe(jobDir);
  // made by the worker (mysqld's user) through the group; setgid of the run dir keeps the group
  expect(ownerOf(jobDir)).toMatchObject({ uid: uidOf(DB_OS_USER), gid: gidOf(SUBMIT_GROUP) });
  // the worker logged into the installed log dir
  expect(readFileSync(join(P, 'log', 'launchassessment.log'), 'utf8')).toContain(id);
}, 90_000);

test('execute_execution_record is the native entry (entry/), and the legacy name links to it', () => {
  const entry = join(P, 'bin', 'execute_execution_record');
  expect(lstatSync(entry).isFile()).toBe(true);
  const fd = openSync(entry, 'r');
  const magic = Buffer.alloc(4);
  readSync(fd, magic, 0, 4, 0);
  closeSync(fd);
  expect(magic.toString('latin1')).toBe('\x7fELF');
  expect(ownerOf(entry)).toMatchObject({ uid: 0, mode: 0o755 });
  // the install's legacy dir (DESTDIR-relative link to the prefix's entry, not to swamp)
  const legacy = join(P, '..', '..', 'usr', 'local', 'bin', 'execute_execution_record');
  if (existsSync(join(P, '..', '..', 'usr', 'local', 'bin'))) expect(readlinkSync(legacy)).toMatch(/\/bin\/execute_execution_record$/);
});

test('CALL execute_execution_record while a submitter holds the lock: the native entry records the request, tells it, starts nothing', async () => {
  const s = await seedAssessmentRun(db, { launchFlag: 1, launchCounter: 1 });
  const id = s.executionRecordUuid;
  ids.push(id);
  const runDir = join(P, 'run');
  const lockFile = join(runDir, '.submitter.lock');
  // the submitter of the test before has finished (it leaves when no request is left)
  for (const until = Date.now() + 30_000; existsSync(lockFile) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
  expect(existsSync(lockFile)).toBe(false);
  // a live holder in its own group stands in for a busy submitter
  const holder = spawn('/bin/sleep', ['120'], { detached: true, stdio: 'ignore' });
  const logFile = join(P, 'log', 'launchassessment.log');
  const logBefore = existsSync(logFile) ? statSync(logFile).size : 0;
  try {
    writeFileSync(lockFile, `${holder.pid} ${hostname()} ${Date.now()} ${holder.pid}\n`, { mode: 0o644 });
    rmSync(join(runDir, '.submitter.more'), { force: true });
    const t0 = performance.now();
    await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
    const ms = performance.now() - t0;
    expect((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc).toBe(0);
    const req = join(runDir, `${id}.request`);
    expect(JSON.parse(readFileSync(req, 'utf8'))).toMatchObject({ execrunid: id });
    // written by mysqld's user through the group (setgid run dir)
    expect(ownerOf(req)).toMatchObject({ uid: uidOf(DB_OS_USER), gid: gidOf(SUBMIT_GROUP) });
    expect(existsSync(join(runDir, '.submitter.more'))).toBe(true);
    // the Node program never ran: nothing logged, nothing submitted
    expect(existsSync(logFile) ? statSync(logFile).size : 0).toBe(logBefore);
    expect((await lookupSwampId(CTX, id)).source).toBe('none');
    process.stderr.write(`native entry through CALL: ${ms.toFixed(1)} ms\n`);
  } finally {
    rmSync(lockFile, { force: true });
    holder.kill('SIGKILL');
  }
  // the holder gone, the next look (here: the DB's relaunch of the same run) starts a real submitter,
  // which launches the recorded request exactly once
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  const until = Date.now() + 60_000;
  let found = await lookupSwampId(CTX, id, { attributes: ['Owner', 'SWAMP_submit_jobdir'] });
  while (found.source === 'none' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    found = await lookupSwampId(CTX, id, { attributes: ['Owner', 'SWAMP_submit_jobdir'] });
  }
  expect(found.ads).toHaveLength(1);
  expect(found.ads[0]?.Owner).toBe(SERVICE_USER);
  jobDirs.push(join(runDir, String(found.ads[0]?.SWAMP_submit_jobdir)));
  const untilGone = Date.now() + 30_000;
  while (existsSync(join(runDir, `${id}.request`)) && Date.now() < untilGone) await new Promise((r) => setTimeout(r, 200));
  expect(existsSync(join(runDir, `${id}.request`))).toBe(false);
}, 120_000);
