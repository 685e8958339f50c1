/**
 * The real OutboxSink: the DB through lib/db (one connection, opened on first use and again after a
 * failure, closed by close()) and the collector through lib/htcondor. Modules are loaded lazily.
 */
import type { Db, DbOptions } from '../db/index.js';
import type { HTCondorContext } from '../htcondor/index.js';
import type { OutboxSink } from './deliver.js';

export function realOutboxSink(dbOpts: DbOptions, collectorCtx: HTCondorContext): OutboxSink {
  let conn: Promise<Db> | undefined;
  const lib = () => import('../db/index.js');
  const db = async (): Promise<Db> => {
    const { connect } = await lib();
    conn ??= connect(dbOpts);
    try {
      return await conn;
    } catch (e) {
      conn = undefined;
      throw e;
    }
  };
  // A failed statement may leave the connection dead (server restarted): drop it so the next call reconnects.
  const withDb = async <T>(fn: (d: Db) => Promise<T>): Promise<T> => {
    const d = await db();
    try {
      return await fn(d);
    } catch (e) {
      conn = undefined;
      await d.close().catch(() => undefined);
      throw e;
    }
  };
  return {
    resultRecorded: (uuid) =>
      withDb(async (d) => (await d.select('SELECT 1 AS x FROM assessment.assessment_result WHERE assessment_result_uuid = ?', [uuid])).length > 0),
    insertResults: async (a) => {
      const { insertResults } = await lib();
      return withDb((d) => insertResults(d, a));
    },
    saveMetricResult: async (runId, m) => {
      const { updateMetricResult } = await lib();
      return withDb((d) => updateMetricResult(d, runId, m));
    },
    currentStatus: async (runId) => {
      const { getExecutionRecord, getMetricRun, runKind } = await lib();
      return withDb(async (d) => {
        const row = runKind(runId) === 'metric' ? await getMetricRun(d, runId) : await getExecutionRecord(d, runId);
        return row === undefined ? undefined : (row.status ?? '');
      });
    },
    writeStatus: async (runId, status, final) => {
      const { updateRunStatus } = await lib();
      return withDb((d) => updateRunStatus(d, runId, status, { final }));
    },
    setFlag: async (runId, flag, value) => {
      const { setRunFlag } = await lib();
      await withDb((d) => setRunFlag(d, runId, flag, value));
    },
    clearVmPassword: async (runId) => {
      const { updateExecutionRunStatus } = await lib();
      await withDb((d) => updateExecutionRunStatus(d, runId, 'vm_password', ''));
    },
    currentAdStatus: async (name) => {
      const { queryAds, isExactly } = await import('../htcondor/index.js');
      const ads = await queryAds(collectorCtx, { constraint: isExactly('Name', name), myType: 'Generic' });
      const ad = ads[0];
      const s = ad?.SWAMP_vmu_assessment_status ?? ad?.SWAMP_vmu_viewer_status;
      return typeof s === 'string' ? s : undefined;
    },
    advertise: async (ad) => {
      const { advertise } = await import('../htcondor/index.js');
      await advertise(collectorCtx, [ad as Record<string, string>]);
    },
    storeViewer: async (a) => {
      const { storeViewer } = await lib();
      return withDb((d) => storeViewer(d, a));
    },
    close: async () => {
      const c = conn;
      conn = undefined;
      if (c !== undefined) await (await c.catch(() => undefined))?.close();
    },
  };
}
