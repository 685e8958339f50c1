/**
 * The native entry execute_execution_record (entry/execute_execution_record.c) in a private tree:
 *
 *   <T>/bin/execute_execution_record   the entry, built from source
 *   <T>/bin/swamp                      a recorder standing in for the Node program: it writes the
 *                                      argv[0] and arguments it was started with to <T>/handed
 *   <T>/etc/swamp.conf                 runDir = <T>/run
 *
 * The entry answers 0 by itself only when it wrote the request and a live submitter holds the lock;
 * everything else must reach the Node program with argv[0] and the arguments unchanged. What the
 * Node program then does is tested with the real one (test/integration/assessment/batch.test.ts,
 * launch.test.ts: makeTree() installs the entry as execute_execution_record).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEntry, compileC } from './build-entry.js';

const RECORDER = String.raw`
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char self[4096], out[4200];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 3;
  self[n] = 0;
  *strrchr(self, '/') = 0;
  snprintf(out, sizeof out, "%s/../handed", self);
  FILE *f = fopen(out, "a");
  if (!f) return 4;
  for (int i = 0; i < argc; i++) fprintf(f, "%s%s", i ? "\t" : "", argv[i]);
  fprintf(f, "\n");
  fclose(f);
  return 0;
}
`;

const ID = '0a1b2c3d-ef00-4111-8222-33334444aabb';
const ID_UPPER = ID.toUpperCase();
const METRIC = `M-${ID}`;

let build = '';
let entry = '';
let recorder = '';
let T = '';
const sleepers: ChildProcess[] = [];

beforeAll(() => {
  build = mkdtempSync(join(tmpdir(), 'swamp-entry-build-'));
  entry = buildEntry(build);
  recorder = compileC(build, 'recorder', RECORDER);
});
afterAll(() => {
  rmSync(build, { recursive: true, force: true });
  for (const s of sleepers) s.kill('SIGKILL');
});

beforeEach(() => {
  T = mkdtempSync(join(tmpdir(), 'swamp-entry-'));
  chmodSync(T, 0o755);
  for (const d of ['bin', 'etc', 'run']) mkdirSync(join(T, d), { mode: 0o755 });
  copyFileSync(entry, join(T, 'bin', 'execute_execution_record'));
  copyFileSync(recorder, join(T, 'bin', 'swamp'));
  chmodSync(join(T, 'bin', 'execute_execution_record'), 0o755);
  chmodSync(join(T, 'bin', 'swamp'), 0o755);
  conf(`runDir = ${join(T, 'run')}\n`);
});
afterEach(() => rmSync(T, { recursive: true, force: true }));

function conf(text: string, mode = 0o644): void {
  const p = join(T, 'etc', 'swamp.conf');
  writeFileSync(p, text);
  chmodSync(p, mode);
}

interface Ran {
  status: number | null;
  stdout: string;
  handed: string[][];
  requests: string[];
  more: boolean;
}

/** Runs the entry as sys_exec does: absolute argv[0], a bare environment. */
function run(args: readonly string[], argv0 = join(T, 'bin', 'execute_execution_record')): Ran {
  const r = spawnSync(argv0, [...args], { argv0, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 10_000 });
  const handedFile = join(T, 'handed');
  const runDir = join(T, 'run');
  return {
    status: r.status,
    stdout: r.stdout,
    handed: existsSync(handedFile) ? readFileSync(handedFile, 'utf8').split('\n').slice(0, -1).map((l) => l.split('\t')) : [],
    requests: readdirSync(runDir).filter((n) => n.endsWith('.request')),
    more: existsSync(join(runDir, '.submitter.more')),
  };
}

/** A submitter lock as lib/submission/lock.ts writes it. */
function lock(fields: { pid?: number; host?: string; since?: number; pgid?: number; raw?: string } = {}): void {
  const line = fields.raw ?? `${fields.pid ?? process.pid} ${fields.host ?? hostname()} ${fields.since ?? Date.now()}${fields.pgid !== undefined ? ` ${fields.pgid}` : ''}\n`;
  writeFileSync(join(T, 'run', '.submitter.lock'), line);
}

/** A pid that is certainly gone (a child that exited and was reaped). */
function deadPid(): number {
  const r = spawnSync('/bin/true');
  return r.pid;
}

describe('the fast path: request written, running submitter told, answer 0', () => {
  test.each([
    ['an assessment run id', ID],
    ['an upper-case one', ID_UPPER],
    ['a metric run id', METRIC],
  ])('%s', (_what, id) => {
    lock();
    const r = run([id]);
    expect(r).toMatchObject({ status: 0, stdout: '', handed: [], requests: [`${id}.request`], more: true });
    const body = JSON.parse(readFileSync(join(T, 'run', `${id}.request`), 'utf8')) as { execrunid: string; requested: string };
    expect(body.execrunid).toBe(id);
    expect(Math.abs(Date.parse(body.requested) - Date.now())).toBeLessThan(60_000);
    // nothing but the request and the marker is left (no temp file)
    expect(readdirSync(join(T, 'run')).sort()).toEqual(['.submitter.lock', '.submitter.more', `${id}.request`]);
  });

  test('a submitter on another host holds the lock until it is 15 minutes old', () => {
    lock({ host: 'elsewhere.example', pid: deadPid() });
    expect(run([ID])).toMatchObject({ status: 0, handed: [] });
    lock({ host: 'elsewhere.example', since: Date.now() - 16 * 60_000 });
    expect(run([ID]).handed).toHaveLength(1);
  });

  test('a gone holder whose process group lives on (its condor_submit) still holds the lock', () => {
    const sleeper = spawn('/bin/sleep', ['60'], { detached: true, stdio: 'ignore' });
    sleepers.push(sleeper);
    lock({ pid: deadPid(), pgid: sleeper.pid as number });
    expect(run([ID])).toMatchObject({ status: 0, handed: [] });
    sleeper.kill('SIGKILL');
  });

  test('the config as lib/config/parse.ts reads it: quotes, launchMode batch in any case, "=" optional', () => {
    lock();
    conf(`# the run dir\nlaunchMode BATCH\nrunDir = '${join(T, 'run')}'   \n`);
    expect(run([ID])).toMatchObject({ status: 0, handed: [] });
  });

  test('a config found beside the real path of the name called (the legacy /usr/local/bin link)', () => {
    lock();
    const legacy = mkdtempSync(join(tmpdir(), 'swamp-entry-legacy-'));
    try {
      mkdirSync(join(legacy, 'bin'));
      symlinkSync(join(T, 'bin', 'execute_execution_record'), join(legacy, 'bin', 'execute_execution_record'));
      expect(run([ID], join(legacy, 'bin', 'execute_execution_record'))).toMatchObject({ status: 0, handed: [] });
    } finally {
      rmSync(legacy, { recursive: true, force: true });
    }
  });
});

describe('everything else goes to the Node program with argv[0] and the arguments unchanged', () => {
  const argv0 = (): string => join(T, 'bin', 'execute_execution_record');

  test('no submitter: the request is written first, then the Node program starts one', () => {
    const r = run([ID]);
    expect(r.handed).toEqual([[argv0(), ID]]);
    expect(r.requests).toEqual([`${ID}.request`]);
    expect(r.more).toBe(false);
  });

  test.each([
    ['a dead holder', () => lock({ pid: deadPid() })],
    ['a dead holder whose process group is gone too', () => lock({ pid: deadPid(), pgid: deadPid() })],
    ['a lock older than 15 minutes', () => lock({ since: Date.now() - 16 * 60_000 })],
    ['a lock line it cannot read', () => lock({ raw: 'garbage\n' })],
    ['a lock with a negative pid', () => lock({ raw: `-1 ${hostname()} ${Date.now()}\n` })],
    ['an empty lock', () => lock({ raw: '' })],
  ])('%s', (_what, make) => {
    make();
    const r = run([ID]);
    expect(r.handed).toEqual([[argv0(), ID]]);
    expect(r.more).toBe(false);
  });

  test('a lock that is a symlink is not followed', () => {
    writeFileSync(join(T, 'real-lock'), `${process.pid} ${hostname()} ${Date.now()}\n`);
    symlinkSync(join(T, 'real-lock'), join(T, 'run', '.submitter.lock'));
    expect(run([ID]).handed).toHaveLength(1);
  });

  test.each([
    ['no argument', []],
    ['two arguments', [ID, ID]],
    ['an option', ['--help']],
    ['--runid', ['--runid', ID]],
    ['mixed case', [`${ID.slice(0, 8).toUpperCase()}${ID.slice(8)}`]],
    ['a viewer run', [`vrun_${ID}_CodeDX`]],
    ['a quote and a command', [`${ID}';touch /tmp/x;'`]],
    ['a path', [`../../${ID}`]],
    ['an empty id', ['']],
    ['a metric prefix alone', ['M-']],
  ])('argv: %s (nothing written)', (_what, args) => {
    lock();
    const r = run(args);
    expect(r.handed).toEqual([[argv0(), ...args]]);
    expect(r.requests).toEqual([]);
    expect(r.more).toBe(false);
  });

  test('another program name (launchassessment) is never taken', () => {
    lock();
    symlinkSync('execute_execution_record', join(T, 'bin', 'launchassessment'));
    const r = run([ID], join(T, 'bin', 'launchassessment'));
    expect(r.handed).toEqual([[join(T, 'bin', 'launchassessment'), ID]]);
    expect(r.requests).toEqual([]);
  });

  test.each([
    ['writable by others', () => conf(`runDir = ${join(T, 'run')}\n`, 0o666)],
    ['writable by its group', () => conf(`runDir = ${join(T, 'run')}\n`, 0o664)],
    ['in a group-writable directory', () => chmodSync(join(T, 'etc'), 0o775)],
    ['missing', () => rmSync(join(T, 'etc', 'swamp.conf'))],
    ['a directory', () => (rmSync(join(T, 'etc', 'swamp.conf')), mkdirSync(join(T, 'etc', 'swamp.conf')))],
    ['larger than 1 MiB', () => conf(`runDir = ${join(T, 'run')}\n${'#'.repeat(1024 * 1024)}\n`)],
    ['with a line the reader refuses', () => conf(`runDir = ${join(T, 'run')}\n= x\n`)],
    ['with launchMode per-run', () => conf(`runDir = ${join(T, 'run')}\nlaunchMode = per-run\n`)],
    ['with an unknown launchMode', () => conf(`runDir = ${join(T, 'run')}\nlaunchMode = fast\n`)],
    ['with a relative runDir', () => conf('runDir = run\n')],
    ['with a runDir through ..', () => conf(`runDir = ${join(T, 'etc')}/../run\n`)],
    ['with a runDir of non-ASCII bytes', () => conf(`runDir = ${join(T, 'run')}\u00e9\n`)],
    ['with a runDir that is not a directory', () => conf(`runDir = ${join(T, 'etc', 'swamp.conf')}\n`)],
    ['with a NUL byte', () => conf(`runDir = ${join(T, 'run')}\n\0\n`)],
  ])('a config %s: nothing written', (_what, make) => {
    lock();
    make();
    const r = run([ID]);
    expect(r.handed).toEqual([[argv0(), ID]]);
    expect(r.requests).toEqual([]);
  });

  test('a config symlinked from elsewhere is read at its real place (rules apply there)', () => {
    lock();
    const other = mkdtempSync(join(tmpdir(), 'swamp-entry-conf-'));
    try {
      chmodSync(other, 0o777); // world-writable without the sticky bit: refused
      writeFileSync(join(other, 'swamp.conf'), `runDir = ${join(T, 'run')}\n`, { mode: 0o644 });
      rmSync(join(T, 'etc', 'swamp.conf'));
      symlinkSync(join(other, 'swamp.conf'), join(T, 'etc', 'swamp.conf'));
      expect(run([ID]).handed).toHaveLength(1);
      chmodSync(other, 0o755);
      expect(run([ID]).handed).toHaveLength(1); // the first call's hand-over only
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a request that cannot be written (a directory in its place) is handed over', () => {
    lock();
    mkdirSync(join(T, 'run', `${ID}.request`));
    const r = run([ID]);
    expect(r.handed).toEqual([[argv0(), ID]]);
    expect(readdirSync(join(T, 'run')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('no Node program beside the entry: one stderr line, exit 70, nothing on stdout', () => {
    rmSync(join(T, 'bin', 'swamp'));
    const r = spawnSync(join(T, 'bin', 'execute_execution_record'), [ID], { encoding: 'utf8', env: {} });
    expect(r.status).toBe(70);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^execute_execution_record: cannot start swamp beside .*; nothing launched\n$/);
  });

  test('an old lock line of the old format (no pgid) is read', () => {
    lock({ raw: `${process.pid} ${hostname()} ${Date.now()}\n` });
    expect(run([ID])).toMatchObject({ status: 0, handed: [] });
  });
});
