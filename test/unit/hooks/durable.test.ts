/**
 * PostAssessment's durable layer (lib/hooks/durable.ts) with an in-memory DB/collector that can be
 * "down": owed changes are journaled, count as saved, and are delivered in order once it is back; a
 * recorded kill turns the final status into Terminated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InsertResultsArgs, StoreViewerArgs } from '../../../lib/db/index.js';
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
  viewerDbs: string[] = [];
  async storeViewer(a: StoreViewerArgs) {
    this.check();
    if (a.viewerInstanceUuid === 'gone') return 'ERROR: Viewer Instance Not Found';
    this.viewerDbs.push(a.viewerDbPath);
    return 'SUCCESS';
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

function make(sink: Sink, kind: 'assessment' | 'viewer' = 'assessment', runId = RUN) {
  const outbox = new Outbox(join(dir, 'outbox')).ensure();
  const inner = { db: new MemoryHookDb(), publisher: new MemoryPublisher() };
  return { outbox, inner, h: durableHook(inner, { outbox, sink, runId, log: nullLogger, retryMs: 200, kind }) };
}

const VIEWER_RUN = 'vrun_0a1b2c3d-0000-4000-8000-0000000000cc_CodeDX';
const store = (path: string, viewerInstanceUuid = '0a1b2c3d-0000-4000-8000-0000000000cc') => ({
  viewerInstanceUuid,
  viewerDbPath: path,
  viewerDbChecksum: 'c',
  platformImage: null,
  viewerVersion: null,
});

test('PostViewer with the DB down: the viewer database counts as stored, is owed, and the newest one is stored later', async () => {
  const sink = new Sink();
  const { outbox, inner, h } = make(sink, 'viewer', VIEWER_RUN);
  expect(await h.db.storeViewer(store('/p/V-Runs/v/db_1.tar.gz'))).toBe('SUCCESS');
  // a later PostViewer of the same viewer, still during the outage: its database replaces the owed one
  expect(await make(sink, 'viewer', VIEWER_RUN).h.db.storeViewer(store('/p/V-Runs/v/db_2.tar.gz'))).toBe('SUCCESS');
  // the viewer's ads go straight to the collector, never through the outbox
  await h.publisher.publish({ MyType: 'Generic', Name: VIEWER_RUN, SWAMP_vmu_viewer_status: 'Viewer shutdown completed' });
  expect(inner.publisher.statuses().length).toBe(1);
  await h.settle();
  expect(outbox.list().map((e) => e.slot)).toEqual(['10-viewer-db']);
  sink.up = true;
  await make(sink, 'viewer', VIEWER_RUN).h.settle();
  expect(sink.viewerDbs).toEqual(['/p/V-Runs/v/db_2.tar.gz']);
  expect(outbox.list()).toEqual([]);
});

test('PostViewer for a deleted viewer instance: the refusal is returned and nothing stays owed', async () => {
  const sink = new Sink();
  sink.up = true;
  const { outbox, h } = make(sink, 'viewer', VIEWER_RUN);
  expect(await h.db.storeViewer(store('/p/x.tar.gz', 'gone'))).toBe('ERROR: Viewer Instance Not Found');
  expect(outbox.list()).toEqual([]);
});

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
