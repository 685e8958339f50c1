/**
 * PostAssessment's durable layer (lib/hooks/durable.ts) with an in-memory DB/collector that can be
 * "down": owed changes are journaled, count as saved, and are delivered in order once it is back; a
 * recorded kill turns the final status into Terminated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InsertResultsArgs } from '../../../lib/db/index.js';
import { durableHook } from '../../../lib/hooks/durable.js';
import { MemoryHookDb } from '../../../lib/hooks/db.js';
import { MemoryPublisher } from '../../../lib/hooks/collector.js';
import { nullLogger } from '../../../lib/log/index.js';
import type { OutboxSink } from '../../../lib/outbox/deliver.js';
import { recordKillIntent } from '../../../lib/outbox/kill-intent.js';
import { Outbox } from '../../../lib/outbox/store.js';

const RUN = '0a1b2c3d-0000-4000-8000-0000000000bb';

class Sink implements OutboxSink {
  up = false;
  rows: string[] = [];
  status = 'Saving Results';
  flags: string[] = [];
  ads: string[] = [];
  private check(): void {
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  }
  async resultRecorded(u: string) {
    this.check();
    return this.rows.includes(u);
  }
  async insertResults(a: InsertResultsArgs) {
    this.check();
    this.rows.push(a.assessmentResultUuid);
    return 'SUCCESS';
  }
  async saveMetricResult() {
    this.check();
    return 1;
  }
  async currentStatus() {
    this.check();
    return this.status;
  }
  async writeStatus(_id: string, s: string) {
    this.check();
    this.status = s;
    return true;
  }
  async setFlag(_id: string, f: string, v: boolean) {
    this.check();
    this.flags.push(`${f}=${v ? 1 : 0}`);
  }
  async clearVmPassword() {
    this.check();
  }
  async currentAdStatus() {
    return this.ads[this.ads.length - 1];
  }
  async advertise(ad: Readonly<Record<string, string>>) {
    this.ads.push(ad.SWAMP_vmu_assessment_status as string);
  }
  async close() {}
}

const args = (uuid: string): InsertResultsArgs => ({
  executionRecordUuid: RUN,
  assessmentResultUuid: uuid,
  resultPath: '/r/x.xml',
  resultChecksum: 'c',
  sourceArchivePath: null,
  sourceArchiveChecksum: null,
  logPath: null,
  logChecksum: null,
  weaknessCount: 3,
  linesOfCode: -1,
  statusOut: 'PASS: all',
  statusOutErrorMsg: '',
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function make(sink: Sink) {
  const outbox = new Outbox(join(dir, 'outbox')).ensure();
  const inner = { db: new MemoryHookDb(), publisher: new MemoryPublisher() };
  return { outbox, inner, h: durableHook(inner, { outbox, sink, runId: RUN, log: nullLogger, retryMs: 200 }) };
}

test('DB down for the whole hook: the result counts as saved, everything is owed, and delivered once later', async () => {
  const sink = new Sink();
  const { outbox, h } = make(sink);
  expect(await h.db.insertResults(args('u-1'))).toBe('SUCCESS');
  expect(await h.db.updateStatus(RUN, 'Finished', true)).toBe(true);
  expect(await h.db.setCompleteFlag(RUN, true)).toBe(1);
  await h.publisher.publish({ MyType: 'Generic', Name: RUN, SWAMP_vmu_assessment_status: 'Finished' });
  // the collector was up: the ad went at once; the DB changes wait in order
  expect(sink.ads).toEqual(['Finished']);
  await h.settle();
  expect(outbox.list().map((e) => e.slot)).toEqual(['10-result-u-1', '20-status-hook', '30-flags']);
  sink.up = true;
  const again = make(sink); // the next drain pass, in effect
  await again.h.settle();
  expect(sink.rows).toEqual(['u-1']);
  expect(sink.status).toBe('Finished');
  expect(sink.flags).toEqual(['complete_flag=1', 'launch_flag=0']);
  expect(outbox.list()).toEqual([]);
});

test('a recorded kill: final status and ad become Terminated, progress ads are not sent', async () => {
  const sink = new Sink();
  sink.up = true;
  const { outbox, inner, h } = make(sink);
  recordKillIntent(outbox, RUN, '1');
  await h.publisher.publish({ MyType: 'Generic', Name: RUN, SWAMP_vmu_assessment_status: 'Saving Results' });
  await h.db.updateStatus(RUN, 'Finished', true);
  await h.publisher.publish({ MyType: 'Generic', Name: RUN, SWAMP_vmu_assessment_status: 'Finished' });
  expect(inner.publisher.statuses()).toEqual([]);
  expect(sink.status).toBe('Terminated');
  expect(sink.ads).toEqual(['Terminated']);
});
