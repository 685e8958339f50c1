/**
 * The shipped logrotate rules (packaging/logrotate/swamp-backend) run by the real `logrotate -f`
 * against a log dir laid out as `make install` does (2770, service account and group), while a
 * logger of ours keeps writing: the line after each rotation must land in the new file, never in the
 * rotated one (which logrotate later compresses and deletes). scripts/services.sh installs logrotate.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'zlib';
import { createLogger } from '../../../lib/log/index.js';

const ROOT = resolve(process.env.SWAMP_ROOT ?? process.cwd());
// the service account and submit group of make install (scripts/services.sh creates them)
const USER = process.env.SWAMP_SERVICE_USER ?? 'swa-daemon';
const GROUP = process.env.SWAMP_SUBMIT_GROUP ?? 'swa-submit';

function logrotateBinary(): string {
  for (const p of ['/usr/sbin/logrotate', '/sbin/logrotate', '/usr/bin/logrotate']) if (existsSync(p)) return p;
  throw new Error('logrotate is not installed (scripts/services.sh installs it: make services)');
}

function msgs(file: string): string[] {
  const text = file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : readFileSync(file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

let prefix = '';
let conf = '';
let state = '';
let uid = 0;
let gid = 0;

beforeAll(() => {
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('getent', ['group', GROUP], { encoding: 'utf8' }).split(':')[2]);
  prefix = mkdtempSync(join(tmpdir(), 'swamp-logrotate-'));
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'log'));
  chownSync(join(prefix, 'log'), uid, gid);
  chmodSync(join(prefix, 'log'), 0o2770);
  const rules = readFileSync(join(ROOT, 'packaging', 'logrotate', 'swamp-backend'), 'utf8')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@SWAMP_USER@', USER)
    .replaceAll('@SWAMP_GROUP@', GROUP);
  conf = join(prefix, 'swamp-backend.logrotate');
  writeFileSync(conf, rules, { mode: 0o644 });
  state = join(prefix, 'logrotate.state');
});

afterAll(() => {
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

function rotate(): void {
  const r = spawnSync(logrotateBinary(), ['-f', '-s', state, conf], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`logrotate failed (${r.status}): ${r.stderr}`);
}

test('a long-running logger follows logrotate -f: each line after a rotation is in the new 0640 file', () => {
  const file = join(prefix, 'log', 'monitorjob-rot.log');
  const log = createLogger({ program: 'monitorjob-rot', logDir: join(prefix, 'log') });
  log.info('one');
  // root's new file belongs to the log dir's owner, so the service account appends to it
  expect(statSync(file)).toMatchObject({ uid, gid });
  expect(statSync(file).mode & 0o777).toBe(0o640);

  rotate();
  expect(statSync(file).size).toBe(0); // `create` made the new, empty file
  expect(statSync(file).mode & 0o777).toBe(0o640);
  expect(statSync(file)).toMatchObject({ uid, gid });
  log.info('two');
  expect(msgs(`${file}.1`)).toEqual(['one']);
  expect(msgs(file)).toEqual(['two']);

  rotate(); // .1 -> .2.gz (delaycompress), current -> .1
  log.child({ step: 3 }).info('three');
  expect(msgs(`${file}.2.gz`)).toEqual(['one']);
  expect(msgs(`${file}.1`)).toEqual(['two']);
  expect(msgs(file)).toEqual(['three']);

  // the rotated files deleted (rotate 8 ran out): the logger still writes where it can be read
  rmSync(`${file}.1`);
  rmSync(`${file}.2.gz`);
  log.info('four');
  expect(msgs(file)).toEqual(['three', 'four']);
});
