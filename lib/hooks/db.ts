/**
 * The DB calls of the hooks and the monitor, behind a small interface so each step is testable with
 * an in-memory fake, and the real one opens one short connection per call batch (a hook runs for
 * seconds to minutes on an execute node; holding a connection that long gains nothing).
 */
import type { SwampConfig } from '../config/index.js';
import type { InsertResultsArgs, MetricLineCounts, MetricResult, RunStatusField, StoreViewerArgs } from '../db/index.js';

export interface HookDb {
  /** update_execution_run_status, one call per field (the legacy updateExecutionResults). */
  updateRun(runId: string, fields: Readonly<Partial<Record<RunStatusField, string>>>): Promise<boolean>;
  /** Status; a final one also sets completion_date. */
  updateStatus(runId: string, status: string, final: boolean): Promise<boolean>;
  insertResults(a: InsertResultsArgs): Promise<string | null>;
  setCompleteFlag(runId: string, value: boolean): Promise<number>;
  /** Metric runs: UPDATE metric.metric_run SET file_host, result_path, ... (rows changed). */
  saveMetricResult(runId: string, m: MetricResult): Promise<number>;
  updateMetricLineCounts(runId: string, c: MetricLineCounts): Promise<number>;
  storeViewer(a: StoreViewerArgs): Promise<string | null>;
}

const CONNECT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 30_000;

/** The real DB (lib/db), one connection per call. mysql2 is only loaded when a call happens. */
export function realHookDb(config: SwampConfig): HookDb {
  const s = config.database;
  const opts = {
    host: s.host,
    port: s.port,
    ...(s.socketPath ? { socketPath: s.socketPath } : {}),
    user: s.user,
    password: s.password,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  };
  const lib = (): Promise<typeof import('../db/index.js')> => import('../db/index.js');
  return {
    async updateRun(runId, fields) {
      const db = await lib();
      return db.withDb(opts, async (conn) => {
        let ok = true;
        for (const [k, v] of Object.entries(fields)) {
          if (v === undefined) continue;
          const r = await db.updateExecutionRunStatus(conn, runId, k as RunStatusField, v);
          if (r !== 'SUCCESS') ok = false;
        }
        return ok;
      });
    },
    async updateStatus(runId, status, final) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.updateRunStatus(conn, runId, status, { final }));
    },
    async insertResults(a) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.insertResults(conn, a));
    },
    async setCompleteFlag(runId, value) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.setRunFlag(conn, runId, 'complete_flag', value));
    },
    async saveMetricResult(runId, m) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.updateMetricResult(conn, runId, m));
    },
    async updateMetricLineCounts(runId, c) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.updateMetricLineCounts(conn, runId, c));
    },
    async storeViewer(a) {
      const db = await lib();
      return db.withDb(opts, (conn) => db.storeViewer(conn, a));
    },
  };
}

/** In-memory DB for tests: records every call. */
export class MemoryHookDb implements HookDb {
  readonly calls: { op: string; runId?: string; args: unknown }[] = [];
  insertResult: string | null = 'SUCCESS';
  storeResult: string | null = 'SUCCESS';

  async updateRun(runId: string, fields: Readonly<Partial<Record<RunStatusField, string>>>): Promise<boolean> {
    this.calls.push({ op: 'updateRun', runId, args: { ...fields } });
    return true;
  }
  async updateStatus(runId: string, status: string, final: boolean): Promise<boolean> {
    this.calls.push({ op: 'updateStatus', runId, args: { status, final } });
    return true;
  }
  async insertResults(a: InsertResultsArgs): Promise<string | null> {
    this.calls.push({ op: 'insertResults', runId: a.executionRecordUuid, args: a });
    return this.insertResult;
  }
  async setCompleteFlag(runId: string, value: boolean): Promise<number> {
    this.calls.push({ op: 'setCompleteFlag', runId, args: value });
    return 1;
  }
  async saveMetricResult(runId: string, m: MetricResult): Promise<number> {
    this.calls.push({ op: 'saveMetricResult', runId, args: m });
    return 1;
  }
  async updateMetricLineCounts(runId: string, c: MetricLineCounts): Promise<number> {
    this.calls.push({ op: 'updateMetricLineCounts', runId, args: c });
    return 1;
  }
  async storeViewer(a: StoreViewerArgs): Promise<string | null> {
    this.calls.push({ op: 'storeViewer', runId: a.viewerInstanceUuid, args: a });
    return this.storeResult;
  }
  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
}
