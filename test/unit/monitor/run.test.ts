import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMonitor } from '../../../lib/monitor/run.js';
import { defaultMonitorConfig } from '../../../lib/monitor/state.js';
import type { AdValue, MonitorLogger } from '../../../lib/monitor/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runmon-'));
  await mkdir(join(dir, 'out'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakePublisher() {
  const ads: { ad: Readonly<Record<string, AdValue>>; at: number }[] = [];
  const waiters: { pred: (s: string) => boolean; resolve: () => void }[] = [];
  return {
    ads,
    statuses: () => ads.map((a) => String(a.ad.SWAMP_vmu_assessment_status ?? a.ad.SWAMP_vmu_viewer_status)),
    publisher: {
      publish: async (ad: Readonly<Record<string, AdValue>>) => {
        ads.push({ ad, at: performance.now() });
        const s = String(ad.SWAMP_vmu_assessment_status ?? ad.SWAMP_vmu_viewer_status);
        for (const w of waiters.filter((w) => w.pred(s))) w.resolve();
      },
    },
    until: (status: string, ms = 3000) =>
      new Promise<void>((resolve, reject) => {
        if (ads.some((a) => String(a.ad.SWAMP_vmu_assessment_status ?? a.ad.SWAMP_vmu_viewer_status) === status)) return resolve();
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${status}`)), ms);
        waiters.push({ pred: (s) => s === status, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
}

const logs: string[] = [];
const logger: MonitorLogger = {
  info: (m) => logs.push(`info ${m}`),
  warn: (m) => logs.push(`warn ${m}`),
  error: (m) => logs.push(`error ${m}`),
};

test('assessment: event -> publish latency, DB updates, ends at ENDASSESSMENT', async () => {
  const eventFile = join(dir, 'out', 'job_events.log');
  const ipFile = join(dir, 'out', 'job_ip_address.txt');
  const pub = fakePublisher();
  const updates: Record<string, string>[] = [];
  const done = runMonitor({
    config: defaultMonitorConfig({ kind: 'assessment', execrunuid: 'a1', vmhostname: 'aswamp-1-0', platform: 'local' }),
    eventFile,
    ipFile,
    publisher: pub.publisher,
    logger,
    recorder: { updateRun: async (f) => void updates.push({ ...f }) },
    handleSignals: false,
    ipLookupSleepMs: 20,
  });
  const lat: number[] = [];
  await new Promise((r) => setTimeout(r, 100));
  for (const [word, status] of [
    ['RUNSHSTART', 'Starting assessment run script'],
    ['WROTEIPADDR', 'Obtaining Assessment Machine IP Address'],
    ['BEGINASSESSMENT', 'Performing assessment'],
  ] as const) {
    if (word === 'WROTEIPADDR') await writeFile(ipFile, '127.0.0.1\n');
    const t0 = performance.now();
    await appendFile(eventFile, `${word}\n`);
    await pub.until(status);
    lat.push(pub.ads.at(-1)!.at - t0);
  }
  await appendFile(eventFile, 'ENDASSESSMENT\n');
  const result = await done;
  expect(result.reason).toBe('ENDASSESSMENT');
  expect(result.words).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'BEGINASSESSMENT', 'ENDASSESSMENT']);
  expect(pub.statuses()).toEqual([
    'Starting assessment run script',
    'Wrote ip address',
    'Obtaining Assessment Machine IP Address',
    'Performing assessment',
    'Shutting down the assessment machine',
  ]);
  expect(updates).toEqual([{ vm_ip_address: '127.0.0.1' }, { vm_password: '' }]);
  expect(Math.max(...lat)).toBeLessThan(1500);
});

test('viewer: abort (SIGTERM) ends with "Viewer shutdown complete"; publish failures are logged, not fatal', async () => {
  const eventFile = join(dir, 'out', 'job_events.log');
  let fail = true;
  const seen: string[] = [];
  const ac = new AbortController();
  const done = runMonitor({
    config: defaultMonitorConfig({ kind: 'viewer', execrunuid: 'vrun_p_CodeDX', vmhostname: 'vswamp-1-0' }),
    eventFile,
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: {
      publish: async (ad) => {
        if (fail) {
          fail = false;
          throw new Error('collector down');
        }
        seen.push(String(ad.SWAMP_vmu_viewer_status));
      },
    },
    logger,
    handleSignals: false,
    abort: ac.signal,
  });
  await appendFile(eventFile, 'RUNSHSTART\nMYSQLSTART\n');
  await new Promise((r) => setTimeout(r, 400));
  ac.abort();
  const r = await done;
  expect(r.reason).toBe('SIGTERM');
  expect(r.publishFailures).toBe(1);
  expect(seen).toEqual(['Starting mysql service', 'Viewer shutdown complete']);
  expect(logs.some((l) => l.startsWith('error publishing'))).toBe(true);
});

test('job-ended predicate and real process signals end the monitor', async () => {
  let ended = false;
  const pub = fakePublisher();
  const done = runMonitor({
    config: defaultMonitorConfig({ kind: 'assessment', execrunuid: 'a2', vmhostname: 'aswamp-2-0' }),
    eventFile: join(dir, 'out', 'job_events.log'),
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: pub.publisher,
    jobEnded: () => ended,
    tickMs: 50,
    handleSignals: false,
  });
  setTimeout(() => (ended = true), 150);
  expect((await done).reason).toBe('job ended');

  const sig = runMonitor({
    config: defaultMonitorConfig({ kind: 'viewer', execrunuid: 'vrun_q_CodeDX', vmhostname: 'vswamp-3-0' }),
    eventFile: join(dir, 'out', 'job_events.log'),
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: pub.publisher,
  });
  await new Promise((r) => setTimeout(r, 50));
  process.emit('SIGTERM');
  expect((await sig).reason).toBe('SIGTERM');
  expect(process.listenerCount('SIGTERM')).toBe(0);
});

test('re-advertise interval and missing-file end with short test timings', async () => {
  const pub = fakePublisher();
  const eventFile = join(dir, 'out', 'job_events.log');
  await writeFile(eventFile, 'RUNSHSTART\n');
  const done = runMonitor({
    config: defaultMonitorConfig({ kind: 'assessment', execrunuid: 'a3', vmhostname: 'aswamp-3-0', readvertiseMs: 200, missingAfterEventMs: 300 }),
    eventFile,
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: pub.publisher,
    tickMs: 50,
    pollMs: 50,
    handleSignals: false,
  });
  await new Promise((r) => setTimeout(r, 700));
  await rm(eventFile);
  const r = await done;
  expect(r.reason).toBe('event file gone');
  const n = pub.statuses().filter((s) => s === 'Starting assessment run script').length;
  expect(n).toBeGreaterThanOrEqual(3);
});

test('job-ended helpers: pid and file', async () => {
  const { processGone, fileGone } = await import('../../../lib/monitor/job-ended.js');
  expect(processGone(process.pid)()).toBe(false);
  expect(processGone(2 ** 22 + 12345)()).toBe(true); // above pid_max: never a live process
  const f = join(dir, 'marker');
  await writeFile(f, '');
  expect(await fileGone(f)()).toBe(false);
  await rm(f);
  expect(await fileGone(f)()).toBe(true);
});
