/**
 * The DB operations of an assessment launch, behind a small interface so the state machine
 * (launch.ts) is tested with in-memory fakes as well as against MariaDB (lib/db, placeholders).
 */
import { SwampError } from '../errors/index.js';
import type { Db } from '../db/index.js';
import type { ViewRow } from './bog.js';

export interface DbOps {
  /** The exec_run_view row (complete_flag = 0 runs only); undefined = none. */
  getExecRun(id: string): Promise<ViewRow | undefined>;
  /** The rows of many runs in one round trip (a batch); absent id = no row. Optional: fakes may lack it. */
  getExecRuns?(ids: readonly string[]): Promise<Map<string, ViewRow>>;
  setFlag(id: string, flag: 'launch_flag' | 'submitted_to_condor_flag' | 'complete_flag', value: boolean): Promise<void>;
  /** update_execution_run_status(status) (+ completion_date when final). */
  setStatus(id: string, status: string, final: boolean): Promise<void>;
  /** update_execution_run_status(<field>, value) for another field (vm_password). */
  setField(id: string, field: 'vm_password', value: string): Promise<void>;
  close(): Promise<void>;
}

/** DbOps over one lazily opened connection (closed by close()). */
export function realDb(open: () => Promise<Db>): DbOps {
  let conn: Promise<Db> | undefined;
  const db = (): Promise<Db> => {
    conn ??= open().catch((e: unknown) => {
      conn = undefined; // a later call may try again (the server may be back)
      throw e;
    });
    return conn;
  };
  return {
    async getExecRun(id) {
      const { getExecRun } = await import('../db/index.js');
      return getExecRun(await db(), id);
    },
    async getExecRuns(ids) {
      const { getExecRuns } = await import('../db/index.js');
      return getExecRuns(await db(), ids);
    },
    async setFlag(id, flag, value) {
      const { setRunFlag } = await import('../db/index.js');
      await setRunFlag(await db(), id, flag, value);
    },
    async setStatus(id, status, final) {
      const { updateRunStatus } = await import('../db/index.js');
      const ok = await updateRunStatus(await db(), id, status, { final });
      if (!ok) throw new SwampError('not-found', `update_execution_run_status did not answer SUCCESS for ${id}`, { id, status });
    },
    async setField(id, field, value) {
      const { updateExecutionRunStatus } = await import('../db/index.js');
      await updateExecutionRunStatus(await db(), id, field, value);
    },
    async close() {
      if (conn === undefined) return;
      try {
        await (await conn).close();
      } catch {
        /* never opened */
      }
      conn = undefined;
    },
  };
}
