/**
 * The post hooks' owed changes made durable (docs/durability.md). PostAssessment: the result row, the
 * final status, complete_flag/launch_flag and the final collector ad; PostViewer: the saved viewer
 * database (store_viewer). They are written to the outbox before they are attempted, and `settle()`
 * keeps delivering them with backoff for `outbox_hook_retry_seconds` (default 60) before the hook
 * exits; what is still owed then is delivered by the next drain pass.
 *
 * Wraps the hook context's HookDb and publisher, so the hook's own code is unchanged: an
 * insert_results that is journaled counts as saved (it will be recorded exactly once: the row's uuid
 * comes from the run and the start, lib/outbox/rules.resultUuidFor), so the run ends `Finished`
 * however long the DB is away. A kill recorded for the run turns the hook's final status into
 * `Terminated` and silences its later progress ads.
 *
 * A viewer's ads stay as they were (straight to the collector): a viewer is launched again under the
 * same name, so an old `Shutdown` replayed later would hide the new viewer; its state is soft and the
 * next launch_viewer reads HTCondor's queue, not the ad.
 */
import { existsSync } from 'node:fs';
import type { SwampConfig } from '../config/index.js';
import type { DbOptions } from '../db/index.js';
import { toSwampError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { StatusPublisher } from '../monitor/types.js';
import { replayOutbox, replayWithBackoff, targetOf, type OutboxSink } from '../outbox/deliver.js';
import { readKillIntent } from '../outbox/kill-intent.js';
import { isTerminalStatus } from '../outbox/rules.js';
import { realOutboxSink } from '../outbox/sink.js';
import { Outbox, type OwedChange } from '../outbox/store.js';
import { AssessmentStatus } from '../status/catalogue.js';
import { collectorContext } from './collector.js';
import type { HookDb } from './db.js';

export const DEFAULT_HOOK_RETRY_SECONDS = 60;

export interface DurableHook {
  db: HookDb;
  publisher: StatusPublisher;
  /** Delivers what is still owed, with backoff, until delivered or the retry time is up. */
  settle(): Promise<void>;
}

export interface DurableHookOptions {
  outbox: Outbox;
  sink: OutboxSink;
  runId: string;
  log: Logger;
  retryMs: number;
  /** Whose changes: an assessment's (default) or a viewer's (only store_viewer is journaled). */
  kind?: 'assessment' | 'viewer';
}

export function durableHook(inner: { db: HookDb; publisher: StatusPublisher }, o: DurableHookOptions): DurableHook {
  const { outbox, sink, runId, log } = o;
  // After one transient failure of a target (DB or collector), later changes for it are only
  // journaled (each attempt would wait out a connect timeout); settle() delivers them in order.
  const down = { db: false, collector: false };
  const killed = (): boolean => readKillIntent(outbox, runId) !== undefined;

  const owe = async (slot: string, change: OwedChange): Promise<'delivered' | 'owed' | 'dropped'> => {
    const file = outbox.put(slot, change);
    const target = targetOf(change);
    if (down[target]) return 'owed';
    // the run's earlier changes go first (a final status never before its result row)
    const r = await replayOutbox(outbox, sink, log, { runId });
    if (existsSync(file)) {
      down[target] = true;
      return 'owed';
    }
    return r.droppedFiles.includes(file) ? 'dropped' : 'delivered';
  };

  const db: HookDb = {
    updateRun: (id, f) => inner.db.updateRun(id, f),
    updateMetricLineCounts: (id, c) => inner.db.updateMetricLineCounts(id, c),
    async storeViewer(a) {
      const r = await owe('10-viewer-db', { kind: 'viewer-db', runId, store: a });
      if (r === 'owed') log.warn('DB unreachable: viewer database recorded in the outbox, stored as soon as it is back', { path: a.viewerDbPath });
      return r === 'dropped' ? 'ERROR: Viewer Instance Not Found' : 'SUCCESS';
    },
    async insertResults(a) {
      const r = await owe(`10-result-${a.assessmentResultUuid.slice(0, 8).toLowerCase()}`, { kind: 'result', runId: a.executionRecordUuid, result: a });
      if (r === 'owed') log.warn('DB unreachable: result kept in the outbox, recorded as soon as it is back', { resultUuid: a.assessmentResultUuid });
      return r === 'dropped' ? 'ERROR: Record Not Found' : 'SUCCESS';
    },
    async saveMetricResult(id, m) {
      const r = await owe('10-metric-result', { kind: 'metric-result', runId: id, result: m });
      if (r === 'owed') log.warn('DB unreachable: metric result kept in the outbox');
      return r === 'dropped' ? 0 : 1;
    },
    async updateStatus(id, status, final) {
      if (!final) return inner.db.updateStatus(id, status, final);
      const byKill = killed();
      const text = byKill && isTerminalStatus(status) ? AssessmentStatus.Terminated : status;
      if (byKill) log.info('a kill was recorded for this run: final status Terminated', { status });
      const r = await owe('20-status-hook', { kind: 'status', runId: id, status: text, final: true, byKill });
      if (r === 'owed') log.warn('DB unreachable: final status kept in the outbox', { status: text });
      return r !== 'dropped';
    },
    async setCompleteFlag(id, value) {
      if (!value) return inner.db.setCompleteFlag(id, value);
      const r = await owe('30-flags', { kind: 'flags', runId: id, complete: true, launchOff: true });
      return r === 'dropped' ? 0 : 1;
    },
  };

  const publisher: StatusPublisher = {
    async publish(ad) {
      const status = String(ad.SWAMP_vmu_assessment_status ?? '');
      const byKill = killed();
      if (!isTerminalStatus(status) && !status.includes('Will retry')) {
        // progress: soft state, straight to the collector, but never after a kill's Terminating
        if (byKill) return;
        return inner.publisher.publish(ad);
      }
      const text = byKill && isTerminalStatus(status) ? AssessmentStatus.Terminated : status;
      const strAd: Record<string, string> = {};
      for (const [k, v] of Object.entries(ad)) strAd[k] = String(v);
      strAd.SWAMP_vmu_assessment_status = text;
      const r = await owe('40-ad-hook', { kind: 'ad', runId, ad: strAd, byKill });
      if (r === 'owed') log.warn('collector unreachable: final ad kept in the outbox', { status: text });
    },
  };

  return {
    db,
    publisher: o.kind === 'viewer' ? inner.publisher : publisher,
    async settle() {
      try {
        if (outbox.list({ runId }).length === 0) return;
        const r = await replayWithBackoff(outbox, sink, log, { runId, deadline: Date.now() + o.retryMs });
        if (r.pending > 0) log.warn('changes still owed when the hook ends; the next drain pass delivers them', { pending: r.pending });
        else log.info('owed changes delivered', { delivered: r.delivered, skipped: r.skipped });
      } finally {
        // always: an open DB connection would keep the hook's process (and the job) alive
        await sink.close();
      }
    },
  };
}

/** The hook's DB options (as realHookDb's). */
export function hookDbOptions(config: SwampConfig): DbOptions {
  const s = config.database;
  return {
    host: s.host,
    port: s.port,
    ...(s.socketPath ? { socketPath: s.socketPath } : {}),
    user: s.user,
    password: s.password,
    connectTimeoutMs: 10_000,
    queryTimeoutMs: 30_000,
  };
}

/**
 * The real durable layer for a post hook, or undefined when the outbox cannot be used here (no run
 * dir on this execute node): then the hook writes straight to the DB as before, and says so.
 */
export function realDurableHook(
  config: SwampConfig,
  inner: { db: HookDb; publisher: StatusPublisher },
  runId: string,
  log: Logger,
  kind: 'assessment' | 'viewer' = 'assessment',
): DurableHook | undefined {
  try {
    const outbox = Outbox.forRunDir(config.runDir, config.string('outboxDir')).ensure();
    const retryMs = config.int('outbox_hook_retry_seconds', DEFAULT_HOOK_RETRY_SECONDS, { min: 0, max: 3600 }) * 1000;
    return durableHook(inner, { outbox, sink: realOutboxSink(hookDbOptions(config), collectorContext(config)), runId, log, retryMs, kind });
  } catch (e) {
    log.warn('no outbox on this node: DB and collector updates are not kept across an outage', { err: toSwampError(e) });
    return undefined;
  }
}
