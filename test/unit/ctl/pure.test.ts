import { readJournal, summarizeJournal } from '../../../lib/ctl/journal.js';
import { Outbox } from '../../../lib/outbox/store.js';
import { recordKillIntent } from '../../../lib/outbox/kill-intent.js';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setConfigValue, checkConfigText } from '../../../lib/ctl/config-edit.js';
import { parseEventLog } from '../../../lib/ctl/eventlog.js';
import { configFileLevel, diskLevel, udfMode, renderHealth, healthTsv, type HealthDoc } from '../../../lib/ctl/health.js';
import { orphanStatus, summaryLine, ROTATED_LOG_RE, JOB_DIR_RE } from '../../../lib/ctl/cleanup.js';
import { renderStatus, statusTsv, type StatusDoc } from '../../../lib/ctl/status.js';
import { lastLogLine } from '../../../lib/ctl/timers.js';
import { duration, ago } from '../../../lib/ctl/render.js';
import { imageLines } from '../../../lib/ctl/cmd-docker-images.js';
import { statusAdOf, jobOfAd } from '../../../lib/ctl/convert.js';
import { NO_COLORS } from '../../../lib/cli/output.js';

describe('config edit', () => {
  const text = '# c\nSWAMPState = ON\nlogDir /x\n#logDir = /commented\nlong = a \\\n  b\nlogDir=/y\n';
  test('replaces the last setting line, keeps every other byte', () => {
    expect(setConfigValue(text, 'logDir', '/z')).toBe('# c\nSWAMPState = ON\nlogDir /x\n#logDir = /commented\nlong = a \\\n  b\nlogDir = /z\n');
    expect(setConfigValue(text, 'long', 'c')).toBe('# c\nSWAMPState = ON\nlogDir /x\n#logDir = /commented\nlong = c\nlogDir=/y\n');
    expect(setConfigValue(text, 'new.key', 'v')).toBe(`${text}new.key = v\n`);
    expect(setConfigValue('a = 1', 'b', '2')).toBe('a = 1\nb = 2\n');
    expect(setConfigValue('SWAMPStateX = 1\n', 'SWAMPState', 'OFF')).toBe('SWAMPStateX = 1\nSWAMPState = OFF\n');
  });
  test('refuses bad keys and values', () => {
    expect(() => setConfigValue(text, 'a b', 'v')).toThrow(/invalid key/);
    expect(() => setConfigValue(text, 'k', 'a\nb')).toThrow(/one line/);
    expect(() => setConfigValue(text, 'k', 'a\\')).toThrow(/backslash/);
    expect(() => setConfigValue(text, 'k', ' a')).toThrow(/blanks/);
  });
  test('checks every typed value', () => {
    expect(checkConfigText('SWAMPState = ON\n', 'f')).toEqual([]);
    expect(checkConfigText('htcondor_assessment_max_retries = many\n', 'f')[0]?.message).toMatch(/f:1: htcondor_assessment_max_retries: expected an integer/);
    expect(checkConfigText('cleanupResultsDays = 0\n', 'f')[0]?.what).toBe('swampctl');
    expect(checkConfigText('= x\n', 'f')[0]?.what).toBe('syntax');
  });
});

test('event log parsing', () => {
  const log = [
    '000 (123.000.000) 2026-12-06 09:00:00 Job submitted from host: <127.0.0.1:9618>',
    '...',
    '001 (124.000.000) 2026-12-06 09:00:01 Job executing on host: <127.0.0.1>',
    '...',
    '012 (123.000.000) 2026-12-06 09:00:05 Job was held.',
    '\tError from slot1: boom',
    '\tCode 6 Subcode 2',
    '...',
  ].join('\n');
  const ev = parseEventLog(log, 123);
  expect(ev.map((e) => e.code)).toEqual([0, 12]);
  expect(ev[1]).toMatchObject({ cluster: 123, proc: 0, time: '2026-12-06 09:00:05', text: 'Job was held.', body: ['Error from slot1: boom', 'Code 6 Subcode 2'] });
  expect(parseEventLog(log)).toHaveLength(3);
});

test('health levels', () => {
  expect(configFileLevel({ uid: 0, mode: 0o100600 }, 1000, true)).toBe('pass');
  expect(configFileLevel({ uid: 1000, mode: 0o100640 }, 1000, true)).toBe('pass');
  expect(configFileLevel({ uid: 0, mode: 0o100644 }, 1000, true)).toBe('warn');
  expect(configFileLevel({ uid: 0, mode: 0o100644 }, 1000, false)).toBe('pass');
  expect(configFileLevel({ uid: 0, mode: 0o100664 }, 1000, false)).toBe('warn');
  expect(configFileLevel({ uid: 0, mode: 0o100666 }, 1000, false)).toBe('fail');
  expect(configFileLevel({ uid: 42, mode: 0o100600 }, 1000, false)).toBe('fail');
  expect([0.01, 0.1, 0.5].map(diskLevel)).toEqual(['fail', 'warn', 'pass']);
  expect(udfMode(undefined)).toMatch(/^shell/);
  expect(udfMode('# x\nmode = strict\n')).toBe('strict');
  expect(udfMode('timeout_seconds = 3\n')).toBe('shell');
  const doc: HealthDoc = { version: 1, time: 't', ok: false, htcondorCalls: 2, checks: [{ name: 'db', level: 'pass', detail: 'ok' }, { name: 'schedd', level: 'fail', detail: 'down' }] };
  expect(renderHealth(doc, NO_COLORS)).toBe('● db      ok\n✗ schedd  down\n\nunhealthy: 1 pass, 0 warn, 1 fail  t\n');
  expect(healthTsv(doc)).toBe('pass\tdb\tok\nfail\tschedd\tdown\n');
});

test('cleanup rules', () => {
  expect(orphanStatus({ adFinal: false })).toEqual({ status: 'Finished with Errors', reason: 'no job in the queue or history' });
  expect(orphanStatus({ historyJobStatus: 4, adStatus: 'Finished', adFinal: true }).status).toBe('Finished');
  expect(orphanStatus({ historyJobStatus: 3, adStatus: 'Performing assessment', adFinal: false }).status).toBe('Terminated');
  expect(orphanStatus({ historyJobStatus: 4, adFinal: false }).status).toBe('Finished with Errors');
  expect(summaryLine({ category: 'job-dirs', items: [{ name: 'a', reason: 'r' }], done: 1, failed: 0 }, false)).toBe('job-dirs: 1 removed');
  expect(summaryLine({ category: 'orphans', items: [{ name: 'a', reason: 'r' }], done: 0, failed: 0 }, true)).toBe('orphans: 1 would be recorded');
  expect(summaryLine({ category: 'stale-ads', items: [], done: 0, failed: 0, skipped: 'collector unreachable' }, false)).toBe('stale-ads: skipped (collector unreachable)');
  expect(['a.log.1', 'a.log.2.gz', 'a.log-20260101', 'a.log-20260101.gz', 'a.log', 'a.log.tmp'].map((n) => ROTATED_LOG_RE.test(n))).toEqual([true, true, true, true, false, false]);
  expect(['aswamp_0F3C0000-0000-4000-8000-000000000001', 'vswamp_0F3C0000-0000-4000-8000-000000000001', 'aswamp_x', 'vrun_x'].map((n) => JOB_DIR_RE.test(n))).toEqual([true, true, false, false]);
});

test('status screen and its tab-separated form', () => {
  const d: StatusDoc = {
    version: 1,
    time: '2026-12-06T09:00:00.000Z',
    swampOn: true,
    sources: { db: 'ok', schedd: 'ok', collector: 'down', history: 'ok' },
    counts: { waiting: 1, queued: 2, running: 3, held: 1, finishing: 0, orphan: 1, stuck: 0 },
    viewersUp: [{ project: 'p1', viewers: ['CodeDX'] }],
    timers: { drain: { lastPass: '2026-12-06T08:59:30.000Z', ageSeconds: 30 }, cleanup: { lastPass: null, ageSeconds: null } },
    journal: { owed: 3, runs: 2, oldestAgeSeconds: 90, pendingKills: 1 },
    inconsistencies: [{ kind: 'db-active-no-job', id: 'x', detail: 'gone' }],
    htcondorCalls: 3,
  };
  const screen = renderStatus(d, NO_COLORS);
  expect(screen).toContain('● SWAMP on  2026-12-06 09:00:00 UTC   db ●  schedd ●  collector ✗');
  expect(screen).toContain('Runs      waiting 1  queued 2  running 3  held 1  finishing 0  orphan 1  stuck 0');
  expect(screen).toContain('Viewers   1 up in 1 project\n          p1  CodeDX');
  expect(screen).toContain('● drain last pass 30 s ago   ▲ cleanup no pass found');
  expect(screen).toContain('▲ 1 inconsistency\n  db-active-no-job  x  gone');
  expect(statusTsv(d)).toContain('runs.running\t3\n');
  expect(statusTsv(d)).toContain('inconsistency\tdb-active-no-job\tx\tgone\n');
  expect(statusTsv(d)).toContain('source.collector\tdown\n');
  expect(screen).toContain('Journal   ▲ 3 changes owed for 2 runs, oldest 90 s ago; 1 kill pending');
  expect(statusTsv(d)).toContain('journal.owed\t3\t2\t90\njournal.kills\t1\n');
  const clear = renderStatus({ ...d, journal: { owed: 0, runs: 0, oldestAgeSeconds: null, pendingKills: 0 } }, NO_COLORS);
  expect(clear).toContain('Journal   ● nothing owed; 0 kills pending');
  expect(renderStatus({ ...d, journal: { error: 'cannot list /x: EACCES' } }, NO_COLORS)).toContain('Journal   ✗ cannot list /x: EACCES');
});

test('journal backlog: owed changes, their runs, the oldest, pending kills', () => {
  const now = Date.parse('2026-12-06T09:00:00Z') / 1000;
  expect(summarizeJournal([], 0, now)).toEqual({ owed: 0, runs: 0, oldestAgeSeconds: null, pendingKills: 0 });
  const owed = [
    { runId: 'a', created: '2026-12-06T08:58:00Z' },
    { runId: 'a', created: '2026-12-06T08:59:00Z' },
    { runId: 'b', created: 'not a time' },
  ];
  expect(summarizeJournal(owed, 2, now)).toEqual({ owed: 3, runs: 2, oldestAgeSeconds: 120, pendingKills: 2 });
});

test('journal backlog read from a real outbox directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-outbox-'));
  try {
    const box = new Outbox(dir).ensure();
    box.put('30-status', { kind: 'status', runId: 'run-1', status: 'Finished', final: true });
    box.put('40-flags', { kind: 'flags', runId: 'run-1', complete: true, launchOff: true });
    recordKillIntent(box, 'run-2', undefined);
    const j = readJournal(dir, Date.now() / 1000);
    expect(j).toMatchObject({ owed: 2, runs: 1, pendingKills: 1 });
    expect(j.oldestAgeSeconds).toBeLessThan(60);
    expect(readJournal(join(dir, 'absent'), Date.now() / 1000)).toEqual({ owed: 0, runs: 0, oldestAgeSeconds: null, pendingKills: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('last log line of a timer, from the tail only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
  try {
    const f = join(dir, 'l.log');
    const line = (t: string, msg: string): string => `${JSON.stringify({ time: t, level: 'info', msg })}\n`;
    writeFileSync(f, line('2026-01-01T00:00:00Z', 'drain pass done') + 'x'.repeat(100) + '\n' + line('2026-01-02T00:00:00Z', 'drain pass done') + line('2026-01-03T00:00:00Z', 'other'));
    expect(lastLogLine(f, 'drain pass done')?.time).toBe('2026-01-02T00:00:00Z');
    expect(lastLogLine(f, 'nothing')).toBeUndefined();
    expect(lastLogLine(join(dir, 'absent'), 'x')).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('small formatters and converters', () => {
  expect([5, 300, 7200 * 2, 86400 * 3].map(duration)).toEqual(['5 s', '5 min', '4 h', '3 d']);
  expect(ago(null)).toBe('never');
  expect(imageLines('REPOSITORY TAG\nswamp/x  1  \n\n')).toEqual(['REPOSITORY TAG', 'swamp/x  1']);
  expect(statusAdOf({ Name: 'vrun_p_CodeDX', SWAMP_vmu_viewer_status: 'Viewer is up', SWAMP_vmu_viewer_state: '2', SWAMP_vmu_viewer_projectid: 'null', LastHeardFrom: 5 })).toEqual({
    name: 'vrun_p_CodeDX',
    kind: 'viewer',
    status: 'Viewer is up',
    viewerState: 2,
    lastHeard: 5,
  });
  expect(statusAdOf({ Name: 'x' })).toBeUndefined();
  expect(jobOfAd({ ClusterId: 7, ProcId: 0, JobStatus: 5, SWAMP_mrun_execrunuid: 'M-x', HoldReason: 'h' }, 'queue')).toEqual({ id: 'M-x', kind: 'metric', cluster: 7, proc: 0, jobStatus: 5, source: 'queue', holdReason: 'h' });
});

test('condor_q -better-analyze: the condition table and the last failure', async () => {
  const { parseBetterAnalyze } = await import('../../../lib/htcondor/analyze.js');
  const { whyIdleText } = await import('../../../lib/ctl/run-render.js');
  const text = [
    'The Requirements expression for job 101.000 reduces to these conditions:',
    '',
    '         Slots',
    'Step    Matched  Condition',
    '-----  --------  ---------',
    '[0]           0  Memory > 100000000',
    '[9]           1  TARGET.FileSystemDomain == MY.FileSystemDomain',
    '',
    'No successful match recorded.',
    'Last failed match: Sun Dec  6 09:37:43 2026',
    '',
    'Reason for last match failure: no match found WARNING: your Requirements expression refers to TARGET.Memory.',
  ].join('\n');
  const a = parseBetterAnalyze(text);
  expect(a).toEqual({
    conditions: [
      { step: 0, matched: 0, condition: 'Memory > 100000000' },
      { step: 9, matched: 1, condition: 'TARGET.FileSystemDomain == MY.FileSystemDomain' },
    ],
    reason: 'no match found',
  });
  expect(whyIdleText(a)).toBe('no slot matches "Memory > 100000000" (no match found)');
  expect(whyIdleText({ conditions: [] })).toMatch(/waiting for the negotiator/);
});
