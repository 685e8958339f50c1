/**
 * The reads an administrator's tool (swampctl) makes: active runs, one run's rows, the server's clock,
 * the UDFs, procedures and events present. Placeholders only; identifiers come from the fixed texts
 * below (an event name is checked against the list read from information_schema first).
 */
import type { Db, Row } from './connection.js';
import { runKind } from './backend.js';

export interface ActiveRunRow extends Row {
  id: string;
  kind: 'assessment' | 'metric';
  status: string;
  launch_flag: number;
  submitted_to_condor_flag: number;
  complete_flag: number;
  user_uuid: string | null;
  project_uuid: string | null;
  run_date: string | null;
  completion_date: string | null;
  update_date: string | null;
}

const ACTIVE_SQL = `
  SELECT execution_record_uuid AS id, 'assessment' AS kind, status, launch_flag, submitted_to_condor_flag, complete_flag,
         user_uuid, project_uuid, run_date, completion_date, COALESCE(update_date, create_date) AS update_date
    FROM assessment.execution_record WHERE complete_flag = 0 AND delete_date IS NULL
  UNION ALL
  SELECT metric_run_uuid, 'metric', status, launch_flag, submitted_to_condor_flag, complete_flag,
         package_owner_uuid, NULL, run_date, completion_date, COALESCE(update_date, create_date)
    FROM metric.metric_run WHERE complete_flag = 0`;

/** Runs the DB considers not complete (assessment and metric), one statement. */
export async function listActiveRuns(db: Db): Promise<ActiveRunRow[]> {
  return db.select<ActiveRunRow>(ACTIVE_SQL);
}

/** For run ids of jobs with no active row: 'complete' when a row exists, else 'absent'. Viewer ids are skipped. */
export async function runRowPresence(db: Db, ids: readonly string[]): Promise<Map<string, 'complete' | 'absent'>> {
  const out = new Map<string, 'complete' | 'absent'>();
  const a = ids.filter((i) => runKind(i) === 'assessment');
  const m = ids.filter((i) => runKind(i) === 'metric');
  for (const i of [...a, ...m]) out.set(i, 'absent');
  for (let k = 0; k < a.length; k += 500) {
    const part = a.slice(k, k + 500);
    const rows = await db.select<{ id: string }>(`SELECT execution_record_uuid AS id FROM assessment.execution_record WHERE execution_record_uuid IN (${part.map(() => '?').join(',')})`, part);
    for (const r of rows) out.set(r.id, 'complete');
  }
  for (let k = 0; k < m.length; k += 500) {
    const part = m.slice(k, k + 500);
    const rows = await db.select<{ id: string }>(`SELECT metric_run_uuid AS id FROM metric.metric_run WHERE metric_run_uuid IN (${part.map(() => '?').join(',')})`, part);
    for (const r of rows) out.set(r.id, 'complete');
  }
  return out;
}

/** One run's row (execution_record or metric_run), every column; undefined = no such run. */
export async function getRunRow(db: Db, id: string): Promise<Row | undefined> {
  const sql =
    runKind(id) === 'metric'
      ? 'SELECT * FROM metric.metric_run WHERE metric_run_uuid = ?'
      : 'SELECT * FROM assessment.execution_record WHERE execution_record_uuid = ?';
  return (await db.select(sql, [id]))[0];
}

/** assessment_result rows of a run (result, source archive and log paths). */
export async function getAssessmentResults(db: Db, id: string): Promise<Row[]> {
  return db.select(
    'SELECT assessment_result_uuid, file_path, checksum, source_archive_path, log_path, weakness_cnt, status_out_error_msg FROM assessment.assessment_result WHERE execution_record_uuid = ?',
    [id],
  );
}

/** Viewer instances of a project (with the viewer's name). */
export async function getProjectViewerInstances(db: Db, project: string): Promise<Row[]> {
  return db.select(
    `SELECT vi.viewer_instance_uuid, v.name AS viewer_name, vi.status, vi.status_code, vi.viewer_db_path, vi.vm_ip_address, vi.proxy_url, vi.update_date
       FROM viewer_store.viewer_instance vi
       JOIN viewer_store.viewer_version vv ON vv.viewer_version_uuid = vi.viewer_version_uuid
       JOIN viewer_store.viewer v ON v.viewer_uuid = vv.viewer_uuid
      WHERE vi.project_uuid = ?`,
    [project],
  );
}

/** The server's clock, epoch milliseconds. */
export async function serverTimeMs(db: Db): Promise<number> {
  const rows = await db.select<{ t: string | number }>('SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS t');
  return Number(rows[0]?.t);
}

/** UDFs registered in mysql.func among `names` (throws when the account may not read mysql.func). */
export async function registeredUdfs(db: Db, names: readonly string[]): Promise<{ name: string; dl: string }[]> {
  return db.select<{ name: string; dl: string }>(`SELECT name, dl FROM mysql.func WHERE name IN (${names.map(() => '?').join(',')})`, names);
}

/** `schema.name` of the procedures among `wanted` that exist. */
export async function presentProcedures(db: Db, wanted: readonly string[]): Promise<Set<string>> {
  const rows = await db.select<{ n: string }>(
    "SELECT CONCAT(ROUTINE_SCHEMA, '.', ROUTINE_NAME) AS n FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'PROCEDURE'",
  );
  const have = new Set(rows.map((r) => r.n));
  return new Set(wanted.filter((w) => have.has(w)));
}

export async function pluginDir(db: Db): Promise<string | undefined> {
  const rows = await db.select<{ d: string | null }>('SELECT @@plugin_dir AS d');
  return rows[0]?.d ?? undefined;
}

export interface EventRow extends Row {
  name: string;
  status: string;
}

/** Scheduler events among `wanted` (`schema.name`), with ENABLED / DISABLED. */
export async function listEvents(db: Db, wanted: readonly string[]): Promise<EventRow[]> {
  const rows = await db.select<EventRow>("SELECT CONCAT(EVENT_SCHEMA, '.', EVENT_NAME) AS name, STATUS AS status FROM information_schema.EVENTS");
  return rows.filter((r) => wanted.includes(r.name)).sort((a, b) => a.name.localeCompare(b.name));
}

/** ALTER EVENT <schema.name> ENABLE|DISABLE, for a name read back from information_schema. */
export async function setEventEnabled(db: Db, name: string, enabled: boolean): Promise<void> {
  if (!/^[a-z_]+\.[a-z_]+$/.test(name)) throw new TypeError(`bad event name ${name}`);
  await db.execute(`ALTER EVENT ${name} ${enabled ? 'ENABLE' : 'DISABLE'}`);
}

/** @@event_scheduler (ON / OFF / DISABLED). */
export async function eventScheduler(db: Db): Promise<string> {
  const rows = await db.select<{ v: string }>('SELECT @@event_scheduler AS v');
  return String(rows[0]?.v ?? '');
}
