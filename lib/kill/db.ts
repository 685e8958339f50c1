/** The database writes of a kill, over lib/db (statement forms exactly as the legacy's, mirswamp/services perl/agents/vmu_killrun.pl). */
import { connect, getExecutionRecord, getMetricRun, runKind, setRunFlag, updateExecutionRunStatus, updateRunStatus, type DbOptions } from '../db/index.js';
import type { KillDb } from './kill.js';

export function realKillDb(opts: DbOptions): () => Promise<KillDb> {
  return async () => {
    const db = await connect(opts);
    return {
      async currentStatus(runId) {
        const row = runKind(runId) === 'metric' ? await getMetricRun(db, runId) : await getExecutionRecord(db, runId);
        return row?.status ?? undefined;
      },
      async writeFinal(runId, status, jobGone) {
        await updateExecutionRunStatus(db, runId, 'vm_password', '');
        await updateRunStatus(db, runId, status, { final: true });
        // The LaunchPad set complete_flag = 1 after a successful condor_rm (and, wrongly, 0 after a
        // failed one, un-completing records): we only ever set it, and only once the job is gone.
        if (jobGone) await setRunFlag(db, runId, 'complete_flag', true);
      },
      close: () => db.close(),
    };
  };
}
