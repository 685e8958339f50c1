/**
 * The database calls the backend makes, with the exact SQL object names of SWAMP's data server
 * (mirswamp/db Data Server/Assessment/assessment_procs.sql). Each function takes an open Db; values are always placeholders, the
 * only identifiers built into SQL come from fixed tables below.
 */
import { DbError } from './errors.js';
import type { Db, Row } from './connection.js';

/** Run id families: assessment runs (uuid), metric runs ('M-' + uuid), viewer runs ('vrun_...'). */
export type RunKind = 'assessment' | 'metric' | 'viewer';

export function runKind(id: string): RunKind {
  if (id.startsWith('M-')) return 'metric';
  if (id.startsWith('vrun_')) return 'viewer';
  return 'assessment';
}

/** Fields update_execution_run_status accepts (the procedure has a CASE over exactly these). */
export type RunStatusField =
  | 'status'
  | 'completion_date'
  | 'run_date'
  | 'vm_password'
  | 'vm_hostname'
  | 'vm_username'
  | 'vm_image'
  | 'vm_ip_address'
  | 'execute_node_architecture_id'
  | 'tool_filename'
  | 'slot_size_start'
  | 'slot_size_end'
  | 'lines_of_code'
  | 'cpu_utilization';

/**
 * CALL assessment.update_execution_run_status(uuid, field, value, @r); returns @r
 * ('SUCCESS' or 'ERROR: Record Not Found'). Values are VARCHAR(128) in the procedure.
 */
export async function updateExecutionRunStatus(db: Db, runId: string, field: RunStatusField, value: string | null): Promise<string | null> {
  return db.callWithOut('assessment.update_execution_run_status', [runId, field, value]);
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC, the format the legacy backend writes into completion_date/run_date. */
export function dbTimestampUtc(d: Date = new Date()): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * Sets the status; a final status also sets completion_date (= now, UTC), one call per field as
 * the legacy updateRunStatus. Returns true when every call answered SUCCESS.
 */
export async function updateRunStatus(db: Db, runId: string, status: string, opts: { final?: boolean; now?: Date } = {}): Promise<boolean> {
  const results = [await updateExecutionRunStatus(db, runId, 'status', status)];
  if (opts.final) results.push(await updateExecutionRunStatus(db, runId, 'completion_date', dbTimestampUtc(opts.now)));
  return results.every((r) => r === 'SUCCESS');
}

export interface InsertResultsArgs {
  executionRecordUuid: string;
  assessmentResultUuid: string;
  resultPath: string | null;
  resultChecksum: string | null;
  sourceArchivePath: string | null;
  sourceArchiveChecksum: string | null;
  logPath: string | null;
  logChecksum: string | null;
  /** -1 = unknown (stored as NULL) */
  weaknessCount: number;
  /** -1 = unknown */
  linesOfCode: number | null;
  statusOut: string | null;
  statusOutErrorMsg: string | null;
}

/** CALL assessment.insert_results(12 args, @r); 'SUCCESS' expected. M- ids go to metric.insert_results. */
export async function insertResults(db: Db, a: InsertResultsArgs): Promise<string | null> {
  return db.callWithOut('assessment.insert_results', [
    a.executionRecordUuid,
    a.assessmentResultUuid,
    a.resultPath,
    a.resultChecksum,
    a.sourceArchivePath,
    a.sourceArchiveChecksum,
    a.logPath,
    a.logChecksum,
    a.weaknessCount,
    a.linesOfCode,
    a.statusOut,
    a.statusOutErrorMsg,
  ]);
}

export interface StoreViewerArgs {
  viewerInstanceUuid: string;
  viewerDbPath: string;
  viewerDbChecksum: string;
  platformImage: string | null;
  viewerVersion: string | null;
}

/** CALL viewer_store.store_viewer(instance, db_path, checksum, platform_image, version, @r). */
export async function storeViewer(db: Db, a: StoreViewerArgs): Promise<string | null> {
  return db.callWithOut('viewer_store.store_viewer', [a.viewerInstanceUuid, a.viewerDbPath, a.viewerDbChecksum, a.platformImage, a.viewerVersion]);
}

/** One row of assessment.exec_run_view: what the BOG is built from (mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties). */
export interface ExecRunRow extends Row {
  execution_record_uuid: string;
  launch_counter: number;
  project_uuid: string | null;
  user_uuid: string | null;
  package_name: string | null;
  package_version: string | null;
  package_language: string | null;
  package_type: string | null;
  package_path: string | null;
  pkg_checksum: string | null;
  source_path: string | null;
  build_file: string | null;
  build_system: string | null;
  build_cmd: string | null;
  build_target: string | null;
  build_dir: string | null;
  build_opt: string | null;
  config_cmd: string | null;
  config_opt: string | null;
  config_dir: string | null;
  bytecode_class_path: string | null;
  bytecode_aux_class_path: string | null;
  bytecode_source_path: string | null;
  android_sdk_target: string | null;
  android_lint_target: string | null;
  android_redo_build: number | null;
  use_gradle_wrapper: number | null;
  language_version: string | null;
  maven_version: string | null;
  android_maven_plugin: string | null;
  exclude_paths: string | null;
  package_build_settings: string | null;
  package_info: string | null;
  tool_name: string | null;
  version_string: string | null;
  tool_path: string | null;
  tool_checksum: string | null;
  platform_path: string | null;
  platform_identifier: string | null;
  dependency_list: string | null;
  user_cnf: string | null;
  notify_when_complete_flag: number | null;
}

/** SELECT * FROM assessment.exec_run_view WHERE execution_record_uuid = ? (first row; undefined = none). */
export async function getExecRun(db: Db, runId: string): Promise<ExecRunRow | undefined> {
  const rows = await db.select<ExecRunRow>('SELECT * FROM assessment.exec_run_view WHERE execution_record_uuid = ?', [runId]);
  return rows[0];
}

/**
 * The exec_run_view rows of many runs, by id (absent: unknown or complete). One query per 500 ids:
 * the view's condition is pushed into both halves of its UNION, so each id is a primary-key look-up,
 * and a batch launch pays one round trip instead of one per run.
 */
export async function getExecRuns(db: Db, runIds: readonly string[]): Promise<Map<string, ExecRunRow>> {
  const out = new Map<string, ExecRunRow>();
  const uniq = [...new Set(runIds)];
  for (let i = 0; i < uniq.length; i += 500) {
    const chunk = uniq.slice(i, i + 500);
    const rows = await db.select<ExecRunRow>(`SELECT * FROM assessment.exec_run_view WHERE execution_record_uuid IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) out.set(String(r.execution_record_uuid), r);
  }
  return out;
}

export type RunFlag = 'launch_flag' | 'complete_flag' | 'submitted_to_condor_flag';

// Fixed identifiers (placeholders cannot name tables or columns).
const FLAG_SQL: Record<'assessment' | 'metric', Record<RunFlag, string>> = {
  assessment: {
    launch_flag: 'UPDATE assessment.execution_record SET launch_flag = ? WHERE execution_record_uuid = ?',
    complete_flag: 'UPDATE assessment.execution_record SET complete_flag = ? WHERE execution_record_uuid = ?',
    submitted_to_condor_flag: 'UPDATE assessment.execution_record SET submitted_to_condor_flag = ? WHERE execution_record_uuid = ?',
  },
  metric: {
    launch_flag: 'UPDATE metric.metric_run SET launch_flag = ? WHERE metric_run_uuid = ?',
    complete_flag: 'UPDATE metric.metric_run SET complete_flag = ? WHERE metric_run_uuid = ?',
    submitted_to_condor_flag: 'UPDATE metric.metric_run SET submitted_to_condor_flag = ? WHERE metric_run_uuid = ?',
  },
};

/**
 * UPDATE <execution_record|metric_run> SET <flag> = 0|1 WHERE <uuid> = ?. Viewer runs have no row:
 * a no-op returning 0, as in the legacy. Returns the number of rows changed (0 = not found or
 * already set).
 */
export async function setRunFlag(db: Db, runId: string, flag: RunFlag, value: boolean): Promise<number> {
  const kind = runKind(runId);
  if (kind === 'viewer') return 0;
  const r = await db.execute(FLAG_SQL[kind][flag], [value ? 1 : 0, runId]);
  return r.affectedRows;
}

/** The DB launch queue: SELECT execution_record_uuid FROM assessment.execution_record WHERE launch_flag = 1. */
export async function listLaunchQueue(db: Db): Promise<string[]> {
  const rows = await db.select<{ execution_record_uuid: string }>(
    'SELECT execution_record_uuid FROM assessment.execution_record WHERE launch_flag = 1',
  );
  return rows.map((r) => r.execution_record_uuid);
}

export interface ExecutionRecordRow extends Row {
  execution_record_uuid: string;
  status: string;
  launch_flag: number;
  launch_counter: number;
  launch_countdown: number;
  submitted_to_condor_flag: number;
  complete_flag: number;
  run_date: string | null;
  completion_date: string | null;
  delete_date: string | null;
  vm_password: string | null;
}

export async function getExecutionRecord(db: Db, uuid: string): Promise<ExecutionRecordRow | undefined> {
  const rows = await db.select<ExecutionRecordRow>('SELECT * FROM assessment.execution_record WHERE execution_record_uuid = ?', [uuid]);
  return rows[0];
}

export interface MetricRunRow extends Row {
  metric_run_uuid: string;
  status: string;
  launch_flag: number;
  launch_counter: number;
  submitted_to_condor_flag: number;
  complete_flag: number;
  run_date: string | null;
  completion_date: string | null;
  file_host: string | null;
  result_path: string | null;
  result_checksum: string | null;
  status_out: string | null;
  status_out_error_msg: string | null;
  pkg_code_lines: number | null;
  pkg_comment_lines: number | null;
  pkg_blank_lines: number | null;
  pkg_total_lines: number | null;
}

export async function getMetricRun(db: Db, uuid: string): Promise<MetricRunRow | undefined> {
  const rows = await db.select<MetricRunRow>('SELECT * FROM metric.metric_run WHERE metric_run_uuid = ?', [uuid]);
  return rows[0];
}

export interface MetricLineCounts {
  codeLines: number;
  commentLines: number;
  blankLines: number;
  totalLines: number;
}

/** UPDATE metric.metric_run SET pkg_code_lines, pkg_comment_lines, pkg_blank_lines, pkg_total_lines. */
export async function updateMetricLineCounts(db: Db, uuid: string, c: MetricLineCounts): Promise<number> {
  const r = await db.execute(
    'UPDATE metric.metric_run SET pkg_code_lines = ?, pkg_comment_lines = ?, pkg_blank_lines = ?, pkg_total_lines = ? WHERE metric_run_uuid = ?',
    [c.codeLines, c.commentLines, c.blankLines, c.totalLines, uuid],
  );
  return r.affectedRows;
}

export interface MetricResult {
  resultPath: string;
  resultChecksum: string;
  statusOut: string | null;
  statusOutErrorMsg: string | null;
}

/** UPDATE metric.metric_run SET file_host='SWAMP', result_path, result_checksum, status_out, status_out_error_msg. */
export async function updateMetricResult(db: Db, uuid: string, m: MetricResult): Promise<number> {
  const r = await db.execute(
    "UPDATE metric.metric_run SET file_host = 'SWAMP', result_path = ?, result_checksum = ?, status_out = ?, status_out_error_msg = ? WHERE metric_run_uuid = ?",
    [m.resultPath, m.resultChecksum, m.statusOut, m.statusOutErrorMsg, uuid],
  );
  return r.affectedRows;
}

export interface ViewerInstanceRow extends Row {
  viewer_instance_uuid: string;
  viewer_version_uuid: string;
  project_uuid: string;
  viewer_db_path: string | null;
  viewer_db_checksum: string | null;
  platform_image: string | null;
  code_dx_version: string | null;
  status: string | null;
  status_code: number | null;
  vm_ip_address: string | null;
  proxy_url: string | null;
}

export async function getViewerInstance(db: Db, viewerInstanceUuid: string): Promise<ViewerInstanceRow | undefined> {
  const rows = await db.select<ViewerInstanceRow>('SELECT * FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [viewerInstanceUuid]);
  return rows[0];
}

/** The instance of a viewer version in a project (what launch_viewer finds or creates). */
export async function findViewerInstance(db: Db, viewerVersionUuid: string, projectUuid: string): Promise<ViewerInstanceRow | undefined> {
  const rows = await db.select<ViewerInstanceRow>(
    'SELECT * FROM viewer_store.viewer_instance WHERE viewer_version_uuid = ? AND project_uuid = ?',
    [viewerVersionUuid, projectUuid],
  );
  if (rows.length > 1) {
    throw new DbError('external', `${rows.length} viewer_instance rows for viewer version ${viewerVersionUuid} in project ${projectUuid}`, {});
  }
  return rows[0];
}
