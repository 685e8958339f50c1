/**
 * The run lock outlives a dead holder while a process of its group lives (an orphaned condor_submit),
 * and not a moment longer.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockPath, tryLock } from '../../../lib/submission/lock.js';

const ID = '0a1b2c3d-0000-4000-8000-0000000000aa';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that is not running (the highest pids are free on any test machine). */
const DEAD_PID = 4_194_000;

test('a dead holder whose process group still has a member keeps the lock; free once the group is gone', async () => {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pgid = child.pid as number;
  writeFileSync(lockPath(dir, ID), `${DEAD_PID} ${hostname()} ${Date.now()} ${pgid}\n`);
  expect(tryLock(dir, ID)).toBeUndefined();
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-pgid, 'SIGKILL');
  await gone;
  const l = tryLock(dir, ID);
  expect(l).toBeDefined();
  l?.release();
});

test('a dead holder without a recorded group (older lock format) is stale at once', () => {
  writeFileSync(lockPath(dir, ID), `${DEAD_PID} ${hostname()} ${Date.now()}\n`);
  const l = tryLock(dir, ID);
  expect(l).toBeDefined();
  l?.release();
});
