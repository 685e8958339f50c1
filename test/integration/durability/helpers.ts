/**
 * Helpers of the durability tests: runs seeded for the local platform (the e2e tests' way), launched
 * from SQL or directly, this worktree's own MariaDB stopped and started (services/mariadb/db.sh with
 * the caller's SWAMP_DB_PORT), and a reconnecting DB handle.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { connect, type Db } from '../../../lib/db/index.js';
import { queryHistory, queryQueue, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { run } from '../../../lib/proc/run.js';
import { dbOptions, dbScript } from '../helpers/db-env.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';
import { seedMachineRun } from '../hooks/helpers.js';

export class DbHandle {
  private conn: Db | undefined;
  constructor(private readonly binDir: string) {}
  async get(): Promise<Db> {
    if (this.conn === undefined) {
      this.conn = await connect(await dbOptions());
      await this.conn.execute('SET @swamp_bin_dir = ?', [this.binDir]);
      // strict UDF: this tree's programs on the allowlist (again after a restart: db.sh start rewrites
      // the file; the next start drops these lines)
      await extendSharedUdfConf(allowEntryPrograms(this.binDir));
    }
    return this.conn;
  }
  async drop(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await c?.close().catch(() => undefined);
  }
}

export async function stopDb(): Promise<void> {
  await run(dbScript(), ['stop'], { timeoutMs: 120_000 });
}

export async function startDb(): Promise<void> {
  await run(dbScript(), ['start'], { timeoutMs: 180_000 });
}

/** Seeds a run whose tool tells the local machine `machineConf` (hooks/helpers.ts seedMachineRun). */
export async function seedLocalRun(db: Db, machineConf: string, dirs: string[]): Promise<{ id: string; project: string }> {
  return seedMachineRun(db, machineConf, dirs, 'swamp-dur-store-');
}

export async function callLaunch(db: Db, id: string): Promise<number> {
  await db.select('CALL assessment.execute_execution_record(?, @rc)', [id]);
  return Number((await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc);
}

export async function callKill(db: Db, id: string, hard = '1'): Promise<string> {
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, hard]);
  return (await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs ?? '';
}

export interface RunState {
  status: string;
  complete_flag: number;
  launch_flag: number;
  submitted_to_condor_flag: number;
  results: number;
}

export async function runState(db: Db, id: string): Promise<RunState | undefined> {
  const rows = await db.select<RunState & Record<string, unknown>>(
    'SELECT status, complete_flag, launch_flag, submitted_to_condor_flag, (SELECT COUNT(*) FROM assessment.assessment_result r WHERE r.execution_record_uuid = e.execution_record_uuid) AS results FROM assessment.execution_record e WHERE execution_record_uuid = ?',
    [id],
  );
  const r = rows[0];
  return r === undefined ? undefined : { ...r, results: Number(r.results) };
}

/** Jobs carrying the id: in the queue, and in history (with JobStatus and NumJobStarts). */
export async function jobsOfRun(ctx: HTCondorContext, id: string): Promise<{ queue: Record<string, unknown>[]; history: Record<string, unknown>[] }> {
  const attributes = ['ClusterId', 'JobStatus', 'NumJobStarts'];
  const queue = await queryQueue(ctx, { constraint: swampIdConstraint(id), attributes });
  const history = await queryHistory(ctx, { constraint: swampIdConstraint(id), attributes, limit: 20 });
  return { queue, history };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, periodMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, periodMs));
  }
}

/**
 * uid/gid the DB's workers run as: mysqld's user with the submit group (its membership is how it
 * writes the run dir and reads swamp.conf; make install), when we are root.
 */
export function serviceAccount(): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', process.env.SWAMP_DB_OS_USER ?? 'mysql'], { encoding: 'utf8' });
  const g = spawnSync('getent', ['group', process.env.SWAMP_SUBMIT_GROUP ?? 'swa-submit'], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0 || process.getuid?.() !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.split(':')[2]) };
}

/** mariadbd's umask, which every program it starts inherits: its job dirs stay group-writable (0771). */
const MYSQLD_UMASK = 0o006;

/**
 * Runs one of the tree's programs as the DB's worker would: as mysqld's user with mariadbd's umask
 * (the job, as the service account, writes into the dir the worker made through the group), no
 * SWAMP_CONFIG.
 */
export function runAsService(bin: string, name: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.SWAMP_CONFIG;
  // spawnSync has no umask option; the child inherits ours, set only for this synchronous call
  const old = process.umask(MYSQLD_UMASK);
  try {
    return spawnSync(join(bin, name), args, { encoding: 'utf8', timeout: 120_000, env: { ...base, ...env }, ...(serviceAccount() ?? {}) });
  } finally {
    process.umask(old);
  }
}
