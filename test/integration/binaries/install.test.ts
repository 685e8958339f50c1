/**
 * make install into a DESTDIR, the installed binary running without Node on the PATH, and
 * make uninstall removing exactly what install put there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(process.env.SWAMP_ROOT ?? process.cwd());
const PREFIX = '/opt/swamp';
let dest = '';

beforeAll(() => {
  dest = mkdtempSync(join(tmpdir(), 'swamp-install-'));
  // a DESTDIR build: no account created (the owners are checked in production's shape, test/multihost)
  execFileSync('make', ['--no-print-directory', 'install', `DESTDIR=${dest}`, `PREFIX=${PREFIX}`, 'LEGACY_BINDIR=/usr/local/bin', 'SWAMP_USER=swamp', 'CREATE_ACCOUNTS=0', 'TOKEN_USERS=mysqlx swamp'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
}, 320_000);

afterAll(() => {
  if (dest) rmSync(dest, { recursive: true, force: true });
});

test('the binary, every program name and the legacy names are installed', () => {
  const bin = join(dest, PREFIX, 'bin');
  expect(statSync(join(bin, 'swamp')).mode & 0o777).toBe(0o755);
  const config = JSON.parse(readFileSync(join(ROOT, 'pkg.config.json'), 'utf8')) as { programs: string[]; simulators: string[]; nativeEntries: string[] };
  // the native entries (entry/) are programs of their own; every other name links to swamp
  expect(config.nativeEntries).toEqual(['execute_execution_record']);
  for (const p of config.programs) {
    if (config.simulators.includes(p)) continue;
    if (config.nativeEntries.includes(p)) {
      expect(lstatSync(join(bin, p)).isFile()).toBe(true);
      expect(statSync(join(bin, p)).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(bin, p)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    } else expect(readlinkSync(join(bin, p))).toBe('swamp');
  }
  // the local platform's simulated machines only with WITH_SIMULATOR=1
  expect(config.simulators).toEqual(['swamp-assessment-machine', 'swamp-viewer-machine']);
  for (const p of config.simulators) expect(existsSync(join(bin, p))).toBe(false);
  // the legacy names link to the program of that name: the native entry, or swamp
  expect(readlinkSync(join(dest, 'usr/local/bin', 'execute_execution_record'))).toBe(`${PREFIX}/bin/execute_execution_record`);
  for (const p of ['launch_viewer', 'kill_run']) expect(readlinkSync(join(dest, 'usr/local/bin', p))).toBe(`${PREFIX}/bin/swamp`);
});

test('make install WITH_SIMULATOR=1 adds the simulated machines, which say what they are', () => {
  const sim = mkdtempSync(join(tmpdir(), 'swamp-install-sim-'));
  try {
    execFileSync('make', ['--no-print-directory', 'install', `DESTDIR=${sim}`, `PREFIX=${PREFIX}`, 'LEGACY_BINDIR=/usr/local/bin', 'WITH_SIMULATOR=1', 'CREATE_ACCOUNTS=0'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    for (const p of ['swamp-assessment-machine', 'swamp-viewer-machine']) {
      expect(readlinkSync(join(sim, PREFIX, 'bin', p))).toBe('swamp');
      const r = spawnSync(join(sim, PREFIX, 'bin', p), ['--help'], { env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('SIMULATOR');
    }
  } finally {
    rmSync(sim, { recursive: true, force: true });
  }
}, 320_000);

test('log and run dirs 2770 (the submit group, setgid), data dirs 2775, one 0700 token dir per submitting user', () => {
  const mode = (p: string): number => statSync(join(dest, p)).mode & 0o7777;
  expect(mode(`${PREFIX}/log`)).toBe(0o2770);
  expect(mode(`${PREFIX}/run`)).toBe(0o2770);
  for (const d of ['/swamp/working/results', '/swamp/outgoing', '/swamp/SCAProjects']) expect(mode(d)).toBe(0o2775);
  expect(mode(`${PREFIX}/etc/tokens.d`)).toBe(0o755);
  for (const u of ['mysqlx', 'swamp']) expect(mode(`${PREFIX}/etc/tokens.d/${u}`)).toBe(0o700);
  // the HTCondor client settings that pick each user's token copy
  expect(readFileSync(join(dest, PREFIX, 'share/swamp-backend/htcondor/swamp-tokens.config'), 'utf8')).toContain(`SEC_TOKEN_DIRECTORY = ${PREFIX}/etc/tokens.d/$(USERNAME)`);
});

test('systemd units, cron alternative, logrotate and example config carry the prefix', () => {
  const service = readFileSync(join(dest, 'etc/systemd/system/swamp-drain.service'), 'utf8');
  expect(service).toContain(`ExecStart=${PREFIX}/bin/launchassessment --drain`);
  expect(service).toContain('User=swamp');
  expect(readFileSync(join(dest, 'etc/systemd/system/swamp-drain.timer'), 'utf8')).toContain('OnUnitActiveSec=1min');
  expect(readFileSync(join(dest, PREFIX, 'share/swamp-backend/cron/swamp-backend'), 'utf8')).toContain(`${PREFIX}/bin/launchassessment --drain`);
  // the cleanup pass: a systemd timer, or the cron line
  expect(readFileSync(join(dest, 'etc/systemd/system/swamp-cleanup.service'), 'utf8')).toContain(`ExecStart=${PREFIX}/bin/swampctl cleanup`);
  expect(readFileSync(join(dest, 'etc/systemd/system/swamp-cleanup.timer'), 'utf8')).toContain('OnUnitActiveSec=1h');
  expect(readFileSync(join(dest, PREFIX, 'share/swamp-backend/cron/swamp-backend'), 'utf8')).toContain(`${PREFIX}/bin/swampctl cleanup`);
  // execute hosts with the docker platform: leaked containers, as root (the docker socket's owner)
  const containers = readFileSync(join(dest, 'etc/systemd/system/swamp-containers.service'), 'utf8');
  expect(containers).toContain(`ExecStart=${PREFIX}/bin/swampctl containers --remove-leaked`);
  expect(containers).toContain('User=root');
  expect(readFileSync(join(dest, 'etc/systemd/system/swamp-containers.timer'), 'utf8')).toContain('OnUnitActiveSec=1h');
  const rotate = readFileSync(join(dest, 'etc/logrotate.d/swamp-backend'), 'utf8');
  expect(rotate).toContain(`${PREFIX}/log/*.log`);
  expect(rotate).toMatch(/^\s*create 0640 swamp \S+$/m);
  expect(rotate).toMatch(/^\s*su swamp \S+$/m);
  expect(rotate).not.toContain('0666');
  expect(existsSync(join(dest, PREFIX, 'etc/swamp.conf.example'))).toBe(true);
});

test('the installed binary runs with no node anywhere on the PATH', () => {
  const bin = join(dest, PREFIX, 'bin');
  for (const name of ['killjob', 'launchassessment', 'launchviewer', 'monitorjob', 'jobhook', 'swampctl']) {
    const r = spawnSync(join(bin, name), ['--help'], { env: { PATH: '/nonexistent', HOME: '/nonexistent' }, encoding: 'utf8', timeout: 20_000 });
    expect({ name, status: r.status }).toEqual({ name, status: 0 });
    expect(r.stdout.length).toBeGreaterThan(0);
  }
  // the multi-call entry lists its programs
  const r = spawnSync(join(bin, 'swamp'), ['--help'], { env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: 20_000 });
  expect(r.stdout).toContain('launchassessment');
});

test('make uninstall removes what install put there and keeps local files', () => {
  writeFileSync(join(dest, PREFIX, 'etc/swamp.conf'), 'SWAMPState = ON\n');
  writeFileSync(join(dest, PREFIX, 'log/keep.log'), 'x\n');
  execFileSync('make', ['--no-print-directory', 'uninstall', `DESTDIR=${dest}`, `PREFIX=${PREFIX}`, 'LEGACY_BINDIR=/usr/local/bin'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  expect(existsSync(join(dest, PREFIX, 'bin/swamp'))).toBe(false);
  expect(() => lstatSync(join(dest, 'usr/local/bin/kill_run'))).toThrow();
  expect(existsSync(join(dest, 'etc/systemd/system/swamp-drain.service'))).toBe(false);
  expect(existsSync(join(dest, 'etc/systemd/system/swamp-cleanup.timer'))).toBe(false);
  expect(existsSync(join(dest, PREFIX, 'etc/swamp.conf'))).toBe(true);
  expect(existsSync(join(dest, PREFIX, 'log/keep.log'))).toBe(true);
});
