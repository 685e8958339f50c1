import { appendFile, mkdtemp, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventFileFollower } from '../../../lib/monitor/follower.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'follower-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Collects words with their arrival time; `until` waits for a word. */
function collector() {
  const got: { word: string; at: number }[] = [];
  const waiters: { word: string; resolve: () => void }[] = [];
  return {
    got,
    words: () => got.map((g) => g.word),
    onWords: (ws: string[]) => {
      for (const w of ws) {
        got.push({ word: w, at: performance.now() });
        for (const x of waiters.filter((x) => x.word === w)) x.resolve();
      }
    },
    until: (word: string, ms = 3000) =>
      new Promise<void>((resolve, reject) => {
        if (got.some((g) => g.word === word)) return resolve();
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${word}; got ${got.map((g) => g.word).join(',')}`)), ms);
        waiters.push({ word, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
}

test('a burst of appended words arrives complete and in order, fast', async () => {
  const file = join(dir, 'job_events.log');
  await writeFile(file, '');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords });
  f.start();
  try {
    await f.checkNow();
    const t0 = performance.now();
    for (const w of ['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'MYSQLRUN', 'CREATEPROXY', 'PROPERTIES', 'TOMCATSTART', 'TOMCATRUN', 'TIMERSTART', 'VIEWERUP']) {
      await appendFile(file, `${w}\n`);
    }
    await c.until('VIEWERUP');
    expect(c.words()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'MYSQLRUN', 'CREATEPROXY', 'PROPERTIES', 'TOMCATSTART', 'TOMCATRUN', 'TIMERSTART', 'VIEWERUP']);
    expect(c.got.at(-1)!.at - t0).toBeLessThan(1500);
  } finally {
    await f.stop();
  }
});

test('each single word is reported well within a second (watch + stat fallback)', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords });
  f.start();
  try {
    const lat: number[] = [];
    for (const w of ['A1', 'A2', 'A3', 'A4', 'A5']) {
      const t0 = performance.now();
      await appendFile(file, `${w}\n`);
      await c.until(w);
      lat.push(c.got.at(-1)!.at - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Math.max(...lat)).toBeLessThan(1500);
  } finally {
    await f.stop();
  }
});

test('without fs.watch the stat poll alone keeps latency under a second', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, useWatch: false, pollIntervalMs: 250 });
  f.start();
  try {
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await appendFile(file, 'RUNSHSTART\nWROTEIPADDR\n');
    await c.until('WROTEIPADDR');
    expect(c.got.at(-1)!.at - t0).toBeLessThan(1000);
    expect(c.words()).toEqual(['RUNSHSTART', 'WROTEIPADDR']);
  } finally {
    await f.stop();
  }
});

test('truncation (`echo WORD > file`) re-reads from the start; seen words stay seen', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, useWatch: false, pollIntervalMs: 50 });
  f.start();
  try {
    await writeFile(file, 'RUNSHSTART\nWROTEIPADDR\n');
    await c.until('WROTEIPADDR');
    await writeFile(file, 'MYSQLSTART\n'); // shorter than before
    await c.until('MYSQLSTART');
    await writeFile(file, 'RUNSHSTART\n'); // a repeated word: ignored
    await writeFile(file, 'VIEWERDBDUMPSUCCESS\n'); // longer than before
    await c.until('VIEWERDBDUMPSUCCESS');
    await writeFile(file, 'CONFIG\n');
    await c.until('CONFIG');
    await writeFile(file, 'APIKEY\n'); // same size as before: detected by the head comparison
    await c.until('APIKEY');
    await f.checkNow();
    expect(c.words()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'VIEWERDBDUMPSUCCESS', 'CONFIG', 'APIKEY']);
  } finally {
    await f.stop();
  }
});

test('same-size rewrite is caught by direct checks too', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, useWatch: false, pollIntervalMs: 10_000 });
  await writeFile(file, 'CONFIG\n');
  await f.checkNow();
  await new Promise((r) => setTimeout(r, 20)); // let mtime move on coarse file systems
  await writeFile(file, 'APIKEY\n');
  await f.checkNow();
  expect(c.words()).toEqual(['CONFIG', 'APIKEY']);
});

test('replacement by rename (new inode) and removal/re-creation', async () => {
  const file = join(dir, 'job_events.log');
  const presence: boolean[] = [];
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, onPresence: (p) => presence.push(p), useWatch: false, pollIntervalMs: 10_000 });
  await f.checkNow();
  await writeFile(file, 'RUNSHSTART\n');
  await f.checkNow();
  await writeFile(join(dir, 'tmp'), 'RUNSHSTART\nBEGINASSESSMENT\n');
  await rename(join(dir, 'tmp'), file);
  await f.checkNow();
  await rm(file);
  await f.checkNow();
  await writeFile(file, 'ENDASSESSMENT\n');
  await f.checkNow();
  expect(c.words()).toEqual(['RUNSHSTART', 'BEGINASSESSMENT', 'ENDASSESSMENT']);
  expect(presence).toEqual([false, true, false, true]);
});

test('a line without newline is held back, then taken when complete or when it stays', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, useWatch: false, pollIntervalMs: 50 });
  await writeFile(file, 'RUNSHSTART\nVIEW');
  await f.checkNow();
  expect(c.words()).toEqual(['RUNSHSTART']);
  await appendFile(file, 'ERUP\nTIMER');
  await f.checkNow();
  expect(c.words()).toEqual(['RUNSHSTART', 'VIEWERUP']);
  await new Promise((r) => setTimeout(r, 60));
  await f.checkNow(); // unchanged for a poll period: `printf WORD > file` style writer
  expect(c.words()).toEqual(['RUNSHSTART', 'VIEWERUP', 'TIMER']);
});

test('the directory may appear late (docker creates out/ when the container starts)', async () => {
  const file = join(dir, 'out', 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, pollIntervalMs: 50 });
  f.start();
  try {
    await new Promise((r) => setTimeout(r, 120));
    await mkdir(join(dir, 'out'));
    await writeFile(file, 'RUNSHSTART\n');
    await c.until('RUNSHSTART');
    await appendFile(file, 'WROTEIPADDR\n');
    await c.until('WROTEIPADDR');
  } finally {
    await f.stop();
  }
});

test('a large file is read incrementally; non-ASCII bytes never make words', async () => {
  const file = join(dir, 'job_events.log');
  const c = collector();
  const f = new EventFileFollower({ path: file, onWords: c.onWords, useWatch: false, pollIntervalMs: 10_000 });
  const users = Array.from({ length: 2000 }, (_, i) => `user${i}`).join('\n') + '\n';
  await writeFile(file, 'CONNECTEDUSERS\n' + users);
  await f.checkNow();
  await appendFile(file, Buffer.from('caf\u00e9\nTIMERSHUTDOWN\n', 'utf8'));
  await f.checkNow();
  expect(c.words().length).toBe(2003);
  expect(c.words().at(-1)).toBe('TIMERSHUTDOWN');
  expect(c.words().at(-2)).toBe('caf');
});
