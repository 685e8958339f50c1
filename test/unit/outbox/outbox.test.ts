import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayOutbox, replayWithBackoff, type OutboxSink } from '../../../lib/outbox/deliver.js';
import { markKill, pendingKills, readKillIntent, recordKillIntent } from '../../../lib/outbox/kill-intent.js';
import { isTerminalStatus, mayReplaceStatus, resultUuidFor } from '../../../lib/outbox/rules.js';
import { Outbox } from '../../../lib/outbox/store.js';
import { duplicatesToRemove, holdAction, isHeldForPass, type QueuedJob } from '../../../lib/durability/jobs-policy.js';
import { nullLogger } from '../../../lib/log/index.js';
import type { InsertResultsArgs, StoreViewerArgs } from '../../../lib/db/index.js';

const RUN = '0a1b2c3d-0000-4000-8000-000000000001';

class FakeSink implements OutboxSink {
  up = true;
  rows = new Set<string>();
  inserts = 0;
  status = new Map<string, string>();
  flags: string[] = [];
  ad = new Map<string, string>();
  private check(): void {
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }
  async resultRecorded(u: string) {
    this.check();
    return this.rows.has(u);
  }
  async insertResults(a: InsertResultsArgs) {
    this.check();
    this.inserts++;
    this.rows.add(a.assessmentResultUuid);
    return 'SUCCESS';
  }
  async saveMetricResult() {
    this.check();
    return 1;
  }
  async currentStatus(id: string) {
    this.check();
    return this.status.get(id);
  }
  async writeStatus(id: string, s: string) {
    this.check();
    this.status.set(id, s);
    return true;
  }
  async setFlag(id: string, f: string, v: boolean) {
    this.check();
    this.flags.push(`${f}=${v ? 1 : 0}`);
  }
  async clearVmPassword() {
    this.check();
  }
  async currentAdStatus(id: string) {
    return this.ad.get(id);
  }
  async advertise(ad: Readonly<Record<string, string>>) {
    this.ad.set(ad.Name as string, ad.SWAMP_vmu_assessment_status as string);
  }
  viewerDbs: string[] = [];
  async storeViewer(a: StoreViewerArgs) {
    this.check();
    return a.viewerInstanceUuid === 'gone' ? 'ERROR: Viewer Instance Not Found' : (this.viewerDbs.push(a.viewerDbPath), 'SUCCESS');
  }
  async close() {}
}

function result(uuid: string): InsertResultsArgs {
  return { executionRecordUuid: RUN, assessmentResultUuid: uuid, resultPath: '/r', resultChecksum: 'x', sourceArchivePath: null, sourceArchiveChecksum: null, logPath: null, logChecksum: null, weaknessCount: 1, linesOfCode: -1, statusOut: '', statusOutErrorMsg: '' };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rules', () => {
  test('terminal statuses and what may replace them', () => {
    expect(isTerminalStatus('Finished')).toBe(true);
    expect(isTerminalStatus('Finished with Errors - Will retry 2 times')).toBe(false);
    expect(isTerminalStatus('Terminated')).toBe(true);
    expect(isTerminalStatus('Terminate Status Unknown')).toBe(false);
    expect(mayReplaceStatus('Finished', 'Waiting in HTCondor Queue')).toBe(false);
    expect(mayReplaceStatus('Finished', 'Terminated')).toBe(false);
    expect(mayReplaceStatus('Finished', 'Terminated', { byKill: true })).toBe(true);
    expect(mayReplaceStatus('Terminated', 'Finished')).toBe(false);
    expect(mayReplaceStatus('SUBMITTING TO HTCONDOR', 'Finished')).toBe(true);
  });
  test('result uuid: stable per run and start, uuid-shaped', () => {
    expect(resultUuidFor(RUN, 0)).toBe(resultUuidFor(RUN, 0));
    expect(resultUuidFor(RUN, 1)).not.toBe(resultUuidFor(RUN, 0));
    expect(resultUuidFor(RUN, 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('outbox', () => {
  test('owed changes survive an outage and are delivered once, in order', async () => {
    const o = new Outbox(join(dir, 'outbox')).ensure();
    const sink = new FakeSink();
    sink.status.set(RUN, 'Saving Results');
    sink.up = false;
    o.put('10-result-aaaa', { kind: 'result', runId: RUN, result: result('u1') });
    o.put('20-status-hook', { kind: 'status', runId: RUN, status: 'Finished', final: true });
    o.put('30-flags', { kind: 'flags', runId: RUN, complete: true, launchOff: true });
    o.put('40-ad-hook', { kind: 'ad', runId: RUN, ad: { MyType: 'Generic', Name: RUN, SWAMP_vmu_assessment_status: 'Finished' } });
    const r1 = await replayOutbox(o, sink, nullLogger);
    // the DB changes wait; the collector's ad does not
    expect(r1).toMatchObject({ pending: 3, delivered: 1 });
    expect(sink.ad.get(RUN)).toBe('Finished');
    sink.up = true;
    const r2 = await replayOutbox(o, sink, nullLogger);
    expect(r2).toMatchObject({ pending: 0, delivered: 3 });
    expect(sink.status.get(RUN)).toBe('Finished');
    expect(sink.flags).toEqual(['complete_flag=1', 'launch_flag=0']);
    expect(readdirSync(o.dir)).toEqual([]);
    // a duplicate delivery (crash before the file was removed) inserts nothing
    o.put('10-result-aaaa', { kind: 'result', runId: RUN, result: result('u1') });
    await replayOutbox(o, sink, nullLogger);
    expect(sink.inserts).toBe(1);
  });

  test('a terminal status is never replaced by a late owed one, except Terminated of a kill', async () => {
    const o = new Outbox(join(dir, 'outbox')).ensure();
    const sink = new FakeSink();
    sink.status.set(RUN, 'Terminated');
    o.put('20-status-hook', { kind: 'status', runId: RUN, status: 'Finished', final: true });
    await replayOutbox(o, sink, nullLogger);
    expect(sink.status.get(RUN)).toBe('Terminated');
    sink.status.set(RUN, 'Finished');
    o.put('21-status-kill', { kind: 'status', runId: RUN, status: 'Terminated', final: true, byKill: true });
    await replayOutbox(o, sink, nullLogger);
    expect(sink.status.get(RUN)).toBe('Terminated');
  });

  test('replay with backoff gives up at the deadline and keeps the change', async () => {
    const o = new Outbox(join(dir, 'outbox')).ensure();
    const sink = new FakeSink();
    sink.up = false;
    o.put('30-flags', { kind: 'flags', runId: RUN, complete: true });
    let slept = 0;
    const r = await replayWithBackoff(o, sink, nullLogger, { deadline: Date.now() + 50, firstDelayMs: 10, sleep: async (ms) => void (slept += ms, await new Promise((res) => setTimeout(res, ms))) });
    expect(r.pending).toBe(1);
    expect(slept).toBeGreaterThan(0);
    expect(o.list()).toHaveLength(1);
  });

  test('kill intents: recorded, listed while pending, kept as a tombstone when done', () => {
    const o = new Outbox(join(dir, 'outbox')).ensure();
    const k = recordKillIntent(o, RUN, '1');
    expect(pendingKills(o).map((x) => x.runId)).toEqual([RUN]);
    expect(o.list()).toEqual([]); // not an owed change
    markKill(o, k, 'done', 'terminated');
    expect(pendingKills(o)).toEqual([]);
    expect(readKillIntent(o, RUN)?.state).toBe('done');
  });

  test('refuses names that are not run ids', () => {
    const o = new Outbox(join(dir, 'outbox'));
    expect(() => o.put('30-flags', { kind: 'flags', runId: '../x', complete: true })).toThrow(/not a run id/);
  });
});

describe('queue policy', () => {
  const job = (p: Partial<QueuedJob>): QueuedJob => ({ id: RUN, cluster: 1, proc: 0, jobStatus: 1, numJobStarts: 0, numHolds: 0, holdReason: '', holdReasonCode: undefined, userid: '', projectid: '', ...p });
  test('duplicates: the started (else oldest) job is kept, idle extras removed', () => {
    const r = duplicatesToRemove([job({ cluster: 5 }), job({ cluster: 3 }), job({ cluster: 9, jobStatus: 2, numJobStarts: 1 }), job({ id: 'other', cluster: 4 })]);
    expect(r.remove.map((j) => j.cluster).sort()).toEqual([3, 5]);
    expect(r.runningExtras).toEqual([]);
  });
  test('held: transient holds released up to the limit, others ended', () => {
    expect(holdAction(job({ jobStatus: 5, numHolds: 1, holdReason: 'Transfer output files failure: No space left on device' }), 3)).toBe('release');
    expect(holdAction(job({ jobStatus: 5, numHolds: 4, holdReasonCode: 12, holdReason: 'x' }), 3)).toBe('end');
    expect(holdAction(job({ jobStatus: 5, numHolds: 1, holdReasonCode: 1, holdReason: 'via condor_hold (by user swamp)' }), 3)).toBe('end');
  });
  test('a spooled job waiting for its input (hold code 16) is not held for the pass', () => {
    expect(isHeldForPass(job({ jobStatus: 5, holdReasonCode: 16, holdReason: 'Spooling input data files' }))).toBe(false);
    expect(isHeldForPass(job({ jobStatus: 5, holdReasonCode: 1, holdReason: 'via condor_hold' }))).toBe(true);
    expect(isHeldForPass(job({ jobStatus: 2 }))).toBe(false);
  });
});
