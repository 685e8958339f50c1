/**
 * The UDF's config file, read through SWAMP_UDF_CONF in the server's environment: a second private
 * mariadbd (own instance directory and port, `db.sh start` with SWAMP_DB_DIR) so the shared
 * instance's settings are never touched. Covers timeout_seconds, exit_status = code,
 * chop_last_byte = no and strict mode (no shell, allowlist, POSIX-like word splitting).
 */
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { run } from '../../../lib/proc/run.js';
import { connect, type Db } from '../../../lib/db/index.js';
import { dbScript, parseEnvLines } from '../helpers/db-env.js';
import { RecordingBin } from '../helpers/recording-bin.js';

let dir: string;
let env: Record<string, string>;
let db: Db;
let bin: RecordingBin;
const port = 3420 + randomInt(0, 70);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'swamp-db2-'));
  chmodSync(dir, 0o755);
  bin = new RecordingBin();
  const conf = path.join(dir, 'strict.conf');
  writeFileSync(
    conf,
    [
      '# test configuration',
      'timeout_seconds = 1',
      'exit_status = code      # exit code instead of the raw wait status',
      'chop_last_byte = no',
      'mode = strict',
      'allow = /bin/echo',
      'allow = /bin/sleep',
      'allow = /bin/false',
      `allow = ${bin.dir}/kill_run`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  env = { ...process.env, SWAMP_DB_DIR: path.join(dir, 'instance'), SWAMP_DB_PORT: String(port), SWAMP_UDF_CONF: conf } as Record<string, string>;
  // with .local/env sourced, MYSQL_* and the mariadb wrapper in .local/bin (TCP to 3407) would
  // point db.sh's client at the shared instance; execa must not merge process.env back in
  for (const k of ['MYSQL_HOST', 'MYSQL_PORT', 'MYSQL_SOCKET', 'MYSQL_PWD', 'MYSQL_USER']) delete env[k];
  env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  await run(dbScript(), ['start'], { timeoutMs: 120_000, env, extendEnv: false });
  const e = parseEnvLines((await run(dbScript(), ['env'], { timeoutMs: 10_000, env, extendEnv: false })).stdout);
  db = await connect({ host: '127.0.0.1', port: Number(e.MYSQL_PORT), user: e.MYSQL_USER ?? 'swamp', password: e.MYSQL_PWD ?? '', connectTimeoutMs: 5000 });
}, 120_000);

afterAll(async () => {
  await db?.close();
  if (env) await run(dbScript(), ['stop'], { timeoutMs: 60_000, env, extendEnv: false }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  bin?.remove();
}, 60_000);

async function sysEval(cmd: string): Promise<string | null> {
  const v = (await db.select<{ o: Buffer | null }>('SELECT sys_eval(?) AS o', [cmd]))[0]?.o;
  return v === null || v === undefined ? null : v.toString('utf8');
}
async function sysExec(cmd: string): Promise<number | null> {
  const v = (await db.select<{ r: number | string | null }>('SELECT sys_exec(?) AS r', [cmd]))[0]?.r;
  return v === null || v === undefined ? null : Number(v);
}

test('exit_status = code and chop_last_byte = no', async () => {
  expect(await sysExec('/bin/false')).toBe(1);
  expect(await sysEval('/bin/echo x')).toBe('x\n');
});

test('timeout_seconds from the file', async () => {
  const t0 = Date.now();
  expect(await sysExec('/bin/sleep 10')).toBe(128 + 9);
  expect(Date.now() - t0).toBeLessThan(3000);
});

test('strict: quotes are removed, nothing is expanded, no shell', async () => {
  expect(await sysEval(`/bin/echo 'a  b' "c\\"d" e\\ f 'it''s'`)).toBe('a  b c"d e f its\n');
  expect(await sysEval(`/bin/echo '$HOME' "x;y" '*'`)).toBe('$HOME x;y *\n');
});

test('strict: programs not on the allowlist, operators and expansions are refused (sys_eval NULL, sys_exec 126)', async () => {
  expect(await sysEval('/usr/bin/id')).toBeNull();
  expect(await sysEval('echo relative')).toBeNull();
  expect(await sysEval('/bin/echo a; /usr/bin/id')).toBeNull();
  expect(await sysEval('/bin/echo $HOME')).toBeNull();
  expect(await sysEval('/bin/echo `id`')).toBeNull();
  expect(await sysEval('/bin/echo a | /bin/cat')).toBeNull();
  expect(await sysEval("/bin/echo 'unterminated")).toBeNull();
  expect(await sysEval('/bin/echo a\n/usr/bin/id')).toBeNull(); // a newline outside quotes
  expect(await sysEval("/bin/echo 'a\nb'")).toBe('a\nb\n'); // inside quotes it is literal
  // sys_exec: a non-zero status (126, "cannot execute"), so "!= 0" callers see the error
  expect(await sysExec('/usr/bin/id')).toBe(126);
});

test('strict: the production kill_run command string runs unchanged', async () => {
  await db.execute('SET @swamp_bin_dir = ?', [bin.dir]);
  await db.execute("CALL assessment.kill_assessment_run('M-1234', '1', @rs)");
  expect((await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs).toBe('SUCCESS');
  expect(bin.calls()).toEqual([{ program: 'kill_run', args: ['--execution_record_uuid', 'M-1234', '--hard', '1'] }]);
});
