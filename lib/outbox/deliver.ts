/**
 * Delivering owed changes, idempotently: each kind checks what the DB or the collector already holds
 * before it writes, so a change delivered twice (a crash between the write and the removal of its
 * file, the hook and a drain at once) changes nothing the second time.
 *
 *   result         skipped when a row with its assessment_result uuid exists (the uuid comes from the
 *                  run, rules.resultUuidFor); a duplicate-key answer counts as delivered
 *   metric-result  an UPDATE of the run's row: idempotent as it is
 *   status         skipped when the run's current status is terminal and may not be replaced
 *   flags          complete_flag = 1, launch_flag = 0 (idempotent UPDATEs)
 *   ad             skipped when the collector's current ad is terminal and may not be replaced
 *   viewer-db      store_viewer: an UPDATE of the viewer instance's row, idempotent as it is; a later
 *                  PostViewer of the same viewer replaces the owed file (same slot), so an older
 *                  database never overwrites a newer one
 *
 * Transient failures (DB or collector unreachable) leave the file for a later pass; a change the DB
 * refuses for good (`ERROR: Record Not Found`: the run was deleted) is dropped and logged.
 */
import { toSwampError, type SwampError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { mayReplaceStatus } from './rules.js';
import type { OwedChange, Outbox, StoredEntry } from './store.js';
import type { InsertResultsArgs, MetricResult, RunFlag, StoreViewerArgs } from '../db/index.js';

/** Where owed changes go: the DB and the collector, behind an interface (real one in sink.ts). */
export interface OutboxSink {
  resultRecorded(resultUuid: string): Promise<boolean>;
  insertResults(a: InsertResultsArgs): Promise<string | null>;
  saveMetricResult(runId: string, m: MetricResult): Promise<number>;
  /** undefined: no such run. */
  currentStatus(runId: string): Promise<string | undefined>;
  writeStatus(runId: string, status: string, final: boolean): Promise<boolean>;
  setFlag(runId: string, flag: RunFlag, value: boolean): Promise<void>;
  /** update_execution_run_status(vm_password, '') (turns off the web's SSH button). */
  clearVmPassword(runId: string): Promise<void>;
  currentAdStatus(name: string): Promise<string | undefined>;
  advertise(ad: Readonly<Record<string, string>>): Promise<void>;
  /** CALL viewer_store.store_viewer; its answer (`SUCCESS`, or `ERROR: ...`). */
  storeViewer(a: StoreViewerArgs): Promise<string | null>;
  close(): Promise<void>;
}

export type Delivery = 'delivered' | 'skipped' | 'retry' | 'dropped';

function adStatus(ad: Readonly<Record<string, string>>): string {
  return ad.SWAMP_vmu_assessment_status ?? ad.SWAMP_vmu_viewer_status ?? '';
}

function isDuplicateKey(e: SwampError): boolean {
  return e.details.code === 'ER_DUP_ENTRY' || /Duplicate entry/i.test(e.message);
}

/** One delivery attempt of one change. */
export async function deliverChange(c: OwedChange, sink: OutboxSink, log: Logger): Promise<{ result: Delivery; error?: SwampError }> {
  try {
    switch (c.kind) {
      case 'result': {
        if (await sink.resultRecorded(c.result.assessmentResultUuid)) return { result: 'skipped' };
        let rs: string | null;
        try {
          rs = await sink.insertResults(c.result);
        } catch (e) {
          const err = toSwampError(e);
          if (isDuplicateKey(err)) return { result: 'skipped' };
          throw err;
        }
        if (rs === 'SUCCESS') return { result: 'delivered' };
        log.error('insert_results refused the owed result; dropped', { runid: c.runId, answer: rs });
        return { result: 'dropped' };
      }
      case 'metric-result': {
        const n = await sink.saveMetricResult(c.runId, c.result);
        if (n === 0 && (await sink.currentStatus(c.runId)) === undefined) {
          log.error('metric run gone; owed result dropped', { runid: c.runId });
          return { result: 'dropped' };
        }
        return { result: 'delivered' };
      }
      case 'status': {
        const current = await sink.currentStatus(c.runId);
        if (current === undefined) {
          log.error('run gone; owed status dropped', { runid: c.runId, status: c.status });
          return { result: 'dropped' };
        }
        if (current === c.status) return { result: 'skipped' };
        if (!mayReplaceStatus(current, c.status, { byKill: c.byKill === true })) {
          log.info('run already has a terminal status; owed status not written', { runid: c.runId, current, status: c.status });
          return { result: 'skipped' };
        }
        await sink.writeStatus(c.runId, c.status, c.final);
        return { result: 'delivered' };
      }
      case 'flags': {
        if (c.complete === true) await sink.setFlag(c.runId, 'complete_flag', true);
        if (c.launchOff === true) await sink.setFlag(c.runId, 'launch_flag', false);
        if (c.clearVmPassword === true) await sink.clearVmPassword(c.runId);
        return { result: 'delivered' };
      }
      case 'ad': {
        const next = adStatus(c.ad);
        const current = await sink.currentAdStatus(c.runId);
        if (current !== undefined && current !== next && !mayReplaceStatus(current, next, { byKill: c.byKill === true })) {
          log.info('collector already shows a terminal status; owed ad not sent', { runid: c.runId, current, status: next });
          return { result: 'skipped' };
        }
        await sink.advertise(c.ad);
        return { result: 'delivered' };
      }
      case 'viewer-db': {
        const answer = await sink.storeViewer(c.store);
        if (answer === 'SUCCESS') return { result: 'delivered' };
        // the viewer instance was deleted (or the procedure refuses the row for good): retrying cannot help
        log.error('store_viewer refused the owed viewer database; dropped', { runid: c.runId, answer, path: c.store.viewerDbPath });
        return { result: 'dropped' };
      }
    }
  } catch (e) {
    return { result: 'retry', error: toSwampError(e) };
  }
}

export interface ReplayReport {
  delivered: number;
  skipped: number;
  dropped: number;
  pending: number;
  runs: string[];
  /** Files of the changes dropped (refused for good). */
  droppedFiles: string[];
}

/** What a change is owed to: the DB's changes are ordered among themselves, the collector's apart. */
export function targetOf(c: OwedChange): 'db' | 'collector' {
  return c.kind === 'ad' ? 'collector' : 'db';
}

/**
 * Delivers the outbox's changes (all, or one run's) in order. A run's later DB changes wait while an
 * earlier one is pending (its final status must not reach the DB before its result row); its
 * collector ads do not wait for the DB.
 */
export async function replayOutbox(outbox: Outbox, sink: OutboxSink, log: Logger, filter?: { runId?: string }): Promise<ReplayReport> {
  const report: ReplayReport = { delivered: 0, skipped: 0, dropped: 0, pending: 0, runs: [], droppedFiles: [] };
  const blocked = new Set<string>();
  const entries: StoredEntry[] = outbox.list(filter);
  for (const e of entries) {
    const key = `${e.runId} ${targetOf(e.entry.change)}`;
    if (blocked.has(key)) {
      report.pending++;
      continue;
    }
    const { result, error } = await deliverChange(e.entry.change, sink, log);
    if (result === 'retry') {
      blocked.add(key);
      report.pending++;
      try {
        outbox.write(e.file, { ...e.entry, attempts: e.entry.attempts + 1, lastError: error?.message ?? 'unknown' });
      } catch {
        /* the count is informational */
      }
      log.warn('owed change not delivered yet; kept', { runid: e.runId, slot: e.slot, attempts: e.entry.attempts + 1, err: error });
      continue;
    }
    outbox.ack(e.file);
    if (result === 'dropped') report.droppedFiles.push(e.file);
    report[result === 'delivered' ? 'delivered' : result === 'skipped' ? 'skipped' : 'dropped']++;
    if (!report.runs.includes(e.runId)) report.runs.push(e.runId);
    if (e.entry.attempts > 0) log.info('owed change delivered after an outage', { runid: e.runId, slot: e.slot, result, attempts: e.entry.attempts });
  }
  return report;
}

/** Replays with backoff until nothing is pending or `deadline` (epoch ms) passes. */
export async function replayWithBackoff(
  outbox: Outbox,
  sink: OutboxSink,
  log: Logger,
  opts: { runId?: string; deadline: number; firstDelayMs?: number; maxDelayMs?: number; sleep?: (ms: number) => Promise<void> },
): Promise<ReplayReport> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = opts.firstDelayMs ?? 1000;
  for (;;) {
    const r = await replayOutbox(outbox, sink, log, opts.runId !== undefined ? { runId: opts.runId } : undefined);
    if (r.pending === 0) return r;
    const left = opts.deadline - Date.now();
    if (left <= 0) return r;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 30_000);
  }
}
