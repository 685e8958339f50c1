/**
 * Configured files are trusted by place, owner and mode, read bounded and never block
 * (lib/config/file.ts, docs/security.md).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedConfigCandidates, loadConfig, ownershipProblem, readConfiguredFile, resolveConfigPath } from '../../../lib/config/index.js';
import { ConfigError } from '../../../lib/errors/index.js';

let dir: string;
const me = process.geteuid?.() ?? 0;
const other = me === 0 ? 1990 : 0 === me ? 1 : me + 1;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swamp-cfg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, text = 'SWAMPState = ON\n', mode = 0o640): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode });
  chmodSync(p, mode);
  return p;
}

test('the owner/mode rule (sshd StrictModes)', () => {
  expect(ownershipProblem({ uid: 0, mode: 0o100640 }, [1990], false)).toBeUndefined();
  expect(ownershipProblem({ uid: 1990, mode: 0o100600 }, [1990], false)).toBeUndefined();
  expect(ownershipProblem({ uid: 1234, mode: 0o100600 }, [1990], false)).toMatch(/owned by uid 1234/);
  expect(ownershipProblem({ uid: 0, mode: 0o100664 }, [], false)).toMatch(/writable by its group/);
  expect(ownershipProblem({ uid: 0, mode: 0o100646 }, [], false)).toMatch(/writable by others/);
  expect(ownershipProblem({ uid: 0, mode: 0o41777 }, [], true)).toBeUndefined(); // sticky /tmp
  expect(ownershipProblem({ uid: 0, mode: 0o40777 }, [], true)).toMatch(/directory is writable by others/);
});

test('a good file is read; group/world-writable files and dirs are refused', () => {
  expect(loadConfig({ path: conf('ok.conf') }).swampOn).toBe(true);
  expect(() => loadConfig({ path: conf('gw.conf', 'x=1\n', 0o664) })).toThrow(/writable by its group/);
  expect(() => loadConfig({ path: conf('ww.conf', 'x=1\n', 0o666) })).toThrow(/writable by others/);
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  writeFileSync(join(open, 's.conf'), 'x=1\n', { mode: 0o644 });
  expect(() => loadConfig({ path: join(open, 's.conf') })).toThrow(/directory is writable by others/);
});

test('a file owned by another account is refused', () => {
  if (me !== 0) return; // chown needs root (CI runs as root)
  const p = conf('theirs.conf');
  chownSync(p, other, other);
  expect(() => loadConfig({ path: p })).toThrow(new RegExp(`owned by uid ${other}`));
});

test('/dev/zero, a FIFO, a directory, /proc and a huge file are refused without blocking or growing', () => {
  const started = Date.now();
  expect(() => readConfiguredFile('/dev/zero')).toThrow(/not a regular file|real file system/);
  const fifo = join(dir, 'fifo');
  execFileSync('/usr/bin/mkfifo', [fifo]);
  expect(() => readConfiguredFile(fifo)).toThrow(/not a regular file/);
  expect(() => readConfiguredFile(dir)).toThrow(/is a directory/);
  expect(() => readConfiguredFile('/proc/self/environ')).toThrow(/real file system/);
  const big = conf('big.conf', 'x'.repeat(2 * 1024 * 1024), 0o600);
  expect(() => readConfiguredFile(big)).toThrow(/larger than/);
  expect(() => readConfiguredFile(conf('small.conf', 'x'.repeat(100)), { maxBytes: 10 })).toThrow(ConfigError);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('a symlink to /dev/zero is refused after resolving it', () => {
  symlinkSync('/dev/zero', join(dir, 'z.conf'));
  expect(() => loadConfig({ path: join(dir, 'z.conf') })).toThrow(ConfigError);
});

test('installed-only lookup ignores --config and $SWAMP_CONFIG', () => {
  const prefix = join(dir, 'prefix');
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  mkdirSync(join(prefix, 'etc'));
  writeFileSync(join(prefix, 'etc', 'swamp.conf'), 'SWAMPState = ON\n', { mode: 0o640 });
  writeFileSync(join(prefix, 'bin', 'swamp'), '', { mode: 0o755 });
  const evil = conf('evil.conf', 'htcondor_root = /tmp/evil\n');
  const argv0 = join(prefix, 'bin', 'kill_run');
  symlinkSync(join(prefix, 'bin', 'swamp'), argv0);
  const r = resolveConfigPath({ only: 'installed', path: evil, env: { SWAMP_CONFIG: evil }, argv0, execPath: '/usr/bin/node' });
  expect(r).toEqual({ path: join(prefix, 'bin', '..', 'etc', 'swamp.conf'), source: 'installed' });
  expect(installedConfigCandidates(argv0, '/nonexistent/bin/x')).toContain(join(prefix, 'bin', '..', 'etc', 'swamp.conf'));
  // the admin lookup still honours them
  expect(resolveConfigPath({ path: evil }).path).toBe(evil);
  expect(resolveConfigPath({ env: { SWAMP_CONFIG: evil } }).path).toBe(evil);
});
