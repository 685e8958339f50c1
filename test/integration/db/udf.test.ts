/**
 * Our sys_exec/sys_eval UDF inside the private mariadbd (services/mariadb/db.sh): legacy semantics
 * (raw wait status, last byte chopped, NULL for no output, wait for every writer of the pipe),
 * the timeout (per-call second argument), clean child state (fds 0-2 only, signals reset).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Db } from '../../../lib/db/index.js';
import { dbOptions } from '../helpers/db-env.js';
import { extendSharedUdfConf } from '../helpers/udf-conf.js';

let db: Db;
let restoreUdf: (() => void) | undefined;

// These are the legacy shell-mode semantics; the fixture's default is strict (docs/udf-strict.md).
beforeAll(async () => {
  restoreUdf = await extendSharedUdfConf(['mode = shell']);
  db = await connect(await dbOptions());
});
afterAll(async () => {
  restoreUdf?.();
  await db?.close();
});

async function sysEval(cmd: string, timeoutS?: number): Promise<string | null> {
  const rows = timeoutS === undefined
    ? await db.select<{ o: Buffer | string | null }>('SELECT sys_eval(?) AS o', [cmd])
    : await db.select<{ o: Buffer | string | null }>('SELECT sys_eval(?, ?) AS o', [cmd, timeoutS]);
  const v = rows[0]?.o;
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

async function sysExec(cmd: string | null, timeoutS?: number): Promise<number | null> {
  const rows = timeoutS === undefined
    ? await db.select<{ r: number | string | null }>('SELECT sys_exec(?) AS r', [cmd])
    : await db.select<{ r: number | string | null }>('SELECT sys_exec(?, ?) AS r', [cmd, timeoutS]);
  const v = rows[0]?.r;
  return v === null || v === undefined ? null : Number(v);
}

describe('sys_exec', () => {
  test('returns the raw wait status like the deployed legacy library', async () => {
    expect(await sysExec('exit 0')).toBe(0);
    expect(await sysExec('exit 1')).toBe(256);
    expect(await sysExec('exit 7')).toBe(7 * 256);
    expect(await sysExec('kill -TERM $$')).toBe(15); // killed by signal 15
    expect(await sysExec('/nonexistent/program')).toBe(127 * 256);
    expect(await sysExec(null)).toBeNull();
  });

  test('a stored procedure gets the status through an OUT parameter', async () => {
    await db.execute(`CREATE OR REPLACE PROCEDURE assessment.test_udf_exec(IN c VARCHAR(200), OUT rc INT)
                      BEGIN SET rc = sys_exec(c); END`);
    await db.execute('CALL assessment.test_udf_exec(?, @rc)', ['exit 3']);
    const rows = await db.select<{ rc: number }>('SELECT @rc AS rc');
    expect(Number(rows[0]?.rc)).toBe(3 * 256);
  });
});

describe('sys_eval', () => {
  test('returns stdout minus its last byte; NULL for no output; empty for a lone newline', async () => {
    expect(await sysEval('printf "index.html\\n"')).toBe('index.html');
    expect(await sysEval('printf "a\\nb\\n"')).toBe('a\nb');
    expect(await sysEval('printf abc')).toBe('ab'); // the legacy chops a real character too
    expect(await sysEval('true')).toBeNull();
    expect(await sysEval('echo')).toBe('');
    expect(await sysEval('echo to-stderr >&2')).toBeNull(); // stderr goes to the server log
  });

  test('through a procedure OUT parameter (utf8mb4 text) the value is exact', async () => {
    await db.execute(`CREATE OR REPLACE PROCEDURE assessment.test_udf_eval(IN c VARCHAR(200), OUT o LONGTEXT CHARACTER SET utf8mb4)
                      BEGIN SET o = sys_eval(c); END`);
    await db.execute('CALL assessment.test_udf_eval(?, @o)', ['printf "café nativereport.json\\n"']);
    const rows = await db.select<{ o: string }>('SELECT @o AS o');
    expect(rows[0]?.o).toBe('café nativereport.json');
  });

  test('runs as the server user (mysql, as Debian runs it) in the datadir with a minimal environment', async () => {
    const out = await sysEval('id -un; pwd; echo "$HOME|$PATH|${NODE_EXTRA_CA_CERTS:-none}"');
    const [user, cwd, env] = (out ?? '').split('\n');
    const dbUser = process.env.SWAMP_DB_OS_USER ?? 'mysql';
    expect(user).toBe(dbUser);
    expect(cwd).toMatch(/\/\.local\/mariadb\/data$/);
    const home = execFileSync('getent', ['passwd', dbUser], { encoding: 'utf8' }).split(':')[5];
    expect(env).toBe(`${home}|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin|none`);
  });

  test('a background child that keeps stdout holds the call (legacy: wait for every writer)', async () => {
    const t0 = Date.now();
    expect(await sysEval('(sleep 1 &); echo quick')).toBe('quick');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  test('a background child with its own stdout does not hold the call', async () => {
    const t0 = Date.now();
    expect(await sysEval('(sleep 5 >/dev/null 2>&1 &); echo started')).toBe('started');
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  test('a Node program that detaches its worker like our CLIs returns at once', async () => {
    const node = process.execPath;
    const script = "require('child_process').spawn('sleep',['5'],{detached:true,stdio:'ignore'}).unref(); process.stdout.write('SUCCESS\\n')";
    const t0 = Date.now();
    expect(await sysEval(`'${node}' -e "${script}"`)).toBe('SUCCESS');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('child process state', () => {
  test('the child sees only descriptors 0, 1, 2 (stdin = /dev/null)', async () => {
    // "; true" keeps the shell alive so $$ is the shell, not ls
    expect(await sysEval('ls /proc/$$/fd; true')).toBe('0\n1\n2');
    expect(await sysEval('readlink /proc/$$/fd/0; true')).toBe('/dev/null');
  });

  test('no signal is blocked or ignored, and it leads its own process group', async () => {
    // exec: grep replaces the shell, so it shows the state the UDF gave the child (a waiting dash
    // blocks all signals while it waits, which a child of the shell would observe)
    const out = await sysEval("exec grep -E '^(SigBlk|SigIgn)' /proc/self/status");
    const lines = (out ?? '').split('\n');
    expect(lines[0]).toMatch(/^SigBlk:\s+0+$/);
    // signals 1-31 all at default; glibc keeps its internal real-time signals 32/33 ignored
    const ign = BigInt('0x' + (lines[1] ?? '').replace(/^SigIgn:\s+/, ''));
    expect(ign & 0x7fffffffn).toBe(0n);
    const [pid, pgid] = (await sysEval('ps -o pid=,pgid= -p $$; true') ?? '').trim().split(/\s+/);
    expect(pid).toBe(pgid);
  });
});

describe('timeout', () => {
  test('sys_exec: the command is killed and a non-zero status returned', async () => {
    const t0 = Date.now();
    expect(await sysExec('sleep 20', 1)).toBe(9); // raw status of SIGKILL
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  test('sys_eval: returns what was read before the timeout, NULL when nothing', async () => {
    const t0 = Date.now();
    expect(await sysEval('echo partial; sleep 20', 1)).toBe('partial');
    expect(await sysEval('sleep 20', 1)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('the whole process group is killed, including a background child holding the pipe', async () => {
    const out = await sysEval('sleep 30 & echo $!; wait', 1);
    const pid = Number(out);
    expect(pid).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 200));
    // gone, or a zombie waiting for init to reap it (this sandbox's init does not reap)
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.charAt(0) ?? 'gone';
    } catch {
      /* no such process */
    }
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  test('0 as second argument means no timeout for this call', async () => {
    expect(await sysExec('sleep 1.2; exit 2', 0)).toBe(512);
  });
});
