/**
 * Least privilege (docs/security.md, sql/grants.sh): the programs' DB account can do exactly what
 * our programs and hooks do and nothing else; secure_file_priv is set; swamp.conf and the env file
 * holding DB passwords are not world-readable; a config that is not trusted by owner and mode is
 * refused by the programs called from the database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { connect, type Db } from '../../../lib/db/index.js';
import { dbEnv, dbOptions, projectDir } from '../helpers/db-env.js';
import { binary } from '../assessment/helpers.js';

let admin: Db;
let programs: Db;

beforeAll(async () => {
  admin = await connect(await dbOptions());
  const e = await dbEnv();
  const pw = readFileSync(path.join(projectDir(), '.local', 'mariadb', 'swamp.password'), 'utf8').trim();
  programs = await connect({ host: e.MYSQL_HOST ?? '127.0.0.1', port: Number(e.MYSQL_PORT ?? 3407), user: 'swamp', password: pw, connectTimeoutMs: 5000 });
});

afterAll(async () => {
  await programs?.close();
  await admin?.close();
});

test('the programs account has exactly the grants of sql/grants.sh: no ALL, no FILE, no GRANT OPTION', async () => {
  const rows = await admin.select<Record<string, string>>("SHOW GRANTS FOR 'swamp'@'127.0.0.1'");
  const grants = rows.map((r) => Object.values(r)[0] as string).map((g) => g.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''));
  expect(grants.join('\n')).not.toMatch(/ALL PRIVILEGES|WITH GRANT OPTION|\bFILE\b|SUPER/);
  expect(grants.sort()).toEqual([
    "GRANT EXECUTE ON PROCEDURE `assessment`.`insert_results` TO `swamp`@`127.0.0.1`",
    "GRANT EXECUTE ON PROCEDURE `assessment`.`update_execution_run_status` TO `swamp`@`127.0.0.1`",
    "GRANT EXECUTE ON PROCEDURE `viewer_store`.`store_viewer` TO `swamp`@`127.0.0.1`",
    "GRANT SELECT ON `assessment`.`assessment_result` TO `swamp`@`127.0.0.1`",
    "GRANT SELECT ON `assessment`.`exec_run_view` TO `swamp`@`127.0.0.1`",
    "GRANT SELECT ON `viewer_store`.`viewer_instance` TO `swamp`@`127.0.0.1`",
    "GRANT SELECT, UPDATE ON `assessment`.`execution_record` TO `swamp`@`127.0.0.1`",
    "GRANT SELECT, UPDATE ON `metric`.`metric_run` TO `swamp`@`127.0.0.1`",
    "GRANT USAGE ON *.* TO `swamp`@`127.0.0.1`",
  ].sort());
});

test('what the programs do works; anything else is denied', async () => {
  await programs.select('SELECT * FROM assessment.exec_run_view LIMIT 1');
  await programs.select('SELECT launch_flag FROM assessment.execution_record LIMIT 1');
  await programs.execute('UPDATE assessment.execution_record SET launch_flag = 0 WHERE execution_record_uuid = ?', [randomUUID()]);
  await programs.execute("CALL assessment.update_execution_run_status(?, 'status', 'x', @r)", [randomUUID()]);
  const denied = [
    "SELECT 'x' INTO OUTFILE '/tmp/swamp-outfile-test'",
    'DELETE FROM assessment.execution_record',
    'INSERT INTO assessment.execution_record (execution_record_uuid) VALUES (UUID())',
    'CREATE TABLE assessment.evil (x INT)',
    'SELECT * FROM mysql.global_priv',
    'SELECT * FROM project.user_account',
    "GRANT SELECT ON assessment.* TO 'swamp'@'127.0.0.1'",
    "CALL assessment.kill_assessment_run('x', '1', @r)",
  ];
  for (const sql of denied) await expect(programs.execute(sql)).rejects.toThrow(/denied|command denied|not allowed|Access/i);
  // A UDF needs no privilege at all (MariaDB has none for it): any account may call sys_exec, so the
  // allowlist and our programs' own argv checks are what stand (docs/security.md).
  const r = await programs.select<{ r: number | string }>("SELECT sys_exec('/bin/true') AS r");
  expect(Number(r[0]?.r)).toBe(126 * 256);
});

test('secure_file_priv is set (no INTO OUTFILE / LOAD DATA outside one empty directory)', async () => {
  const v = (await admin.select<{ v: string | null }>('SELECT @@secure_file_priv AS v'))[0]?.v;
  expect(v).toBeTruthy();
  expect(v).toMatch(/\/files\/?$/);
});

test('swamp.conf and .local/env are not world-readable', () => {
  // the installed file (make install DESTDIR=.local/inst): 0640 root:<submit group>
  const conf = path.join(projectDir(), '.local', 'inst', 'opt', 'swamp', 'etc', 'swamp.conf');
  expect(statSync(conf).mode & 0o777).toBe(0o640);
  expect(statSync(conf).uid).toBe(0);
  expect(statSync(conf).gid).toBe(Number(execFileSync('getent', ['group', process.env.SWAMP_SUBMIT_GROUP ?? 'swa-submit'], { encoding: 'utf8' }).split(':')[2]));
  expect(statSync(path.join(projectDir(), '.local', 'env')).mode & 0o077).toBe(0);
  expect(statSync(path.join(projectDir(), '.local', 'mariadb', 'swamp.password')).mode & 0o777).toBe(0o600);
});

describe('a config the programs called by the database do not trust', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync('/tmp/swamp-trust-');
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'bin'));
    mkdirSync(path.join(root, 'etc'));
    symlinkSync(binary(), path.join(root, 'bin', 'kill_run'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const runKill = (): ReturnType<typeof spawnSync> =>
    spawnSync(path.join(root, 'bin', 'kill_run'), ['--execution_record_uuid', randomUUID(), '--hard', '1'], {
      encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/bin:/bin' },
    });

  test.each([
    ['group-writable', 0o664, 0, /writable by its group/],
    ['world-writable', 0o666, 0, /writable by others/],
    ['owned by another account', 0o644, 4242, /owned by uid 4242/],
  ])('%s: exit 78, the reason on stderr, nothing killed', (_what, mode, uid, why) => {
    const conf = path.join(root, 'etc', 'swamp.conf');
    writeFileSync(conf, `SWAMPState = ON\nlogDir = ${root}\n`);
    chmodSync(conf, mode);
    chownSync(conf, uid, uid);
    const r = runKill();
    expect(r.status).toBe(78);
    expect(r.stdout).toBe('');
    expect(String(r.stderr)).toMatch(why);
  });

  test('a FIFO or /dev/zero in its place: refused at once', () => {
    const conf = path.join(root, 'etc', 'swamp.conf');
    symlinkSync('/dev/zero', conf);
    const t0 = Date.now();
    const r = runKill();
    expect(r.status).toBe(78);
    expect(Date.now() - t0).toBeLessThan(10_000);
    rmSync(conf);
    spawnSync('/usr/bin/mkfifo', [conf]);
    const r2 = runKill();
    expect(r2.status).toBe(78);
    expect(String(r2.stderr)).toMatch(/not a regular file/);
  });

  test('--config and $SWAMP_CONFIG are not honoured under kill_run', () => {
    const good = path.join(root, 'etc', 'swamp.conf');
    writeFileSync(good, `SWAMPState = ON\nlogDir = ${root}/log\n`, { mode: 0o644 });
    mkdirSync(path.join(root, 'log'), { mode: 0o755 });
    const evil = path.join(root, 'evil.conf');
    writeFileSync(evil, `logDir = ${root}/evil-log\n`, { mode: 0o644 });
    const r = spawnSync(path.join(root, 'bin', 'kill_run'), ['--execution_record_uuid', 'not-an-id', '--config', evil], {
      encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/bin:/bin', SWAMP_CONFIG: evil },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option: --config/);
    expect(() => statSync(path.join(root, 'evil-log'))).toThrow();
    // the refusal is logged where the installed config says
    expect(readFileSync(path.join(root, 'log', 'killjob.log'), 'utf8')).toMatch(/refused from the database/);
  });
});
