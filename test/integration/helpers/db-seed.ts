/**
 * Seed rows for tests: a user, project, package (type/package/version), tool (version) and platform
 * (version) so that assessment.exec_run_view yields a complete row for the execution record, plus
 * optional result and metric rows. Every id is fresh, so tests can share one database.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../../lib/db/index.js';

export interface SeededRun {
  executionRecordUuid: string;
  userUuid: string;
  projectUuid: string;
  packageUuid: string;
  packageVersionUuid: string;
  packageTypeId: number;
  toolUuid: string;
  toolVersionUuid: string;
  platformUuid: string;
  platformVersionUuid: string;
}

export interface SeedOptions {
  launchFlag?: 0 | 1;
  launchCounter?: number;
  launchCountdown?: number;
  completeFlag?: 0 | 1;
  userEnabled?: boolean;
  packageName?: string;
  packageVersion?: string;
  toolName?: string;
  platformIdentifier?: string;
}

/** A fixed package type for fixtures (C/C++, as in SWAMP's id 1). */
export const FIXTURE_PACKAGE_TYPE_ID = 1;

export async function seedAssessmentRun(db: Db, o: SeedOptions = {}): Promise<SeededRun> {
  const s: SeededRun = {
    executionRecordUuid: randomUUID(),
    userUuid: randomUUID(),
    projectUuid: randomUUID(),
    packageUuid: randomUUID(),
    packageVersionUuid: randomUUID(),
    packageTypeId: FIXTURE_PACKAGE_TYPE_ID,
    toolUuid: randomUUID(),
    toolVersionUuid: randomUUID(),
    platformUuid: randomUUID(),
    platformVersionUuid: randomUUID(),
  };
  await db.execute('INSERT IGNORE INTO package_store.package_type (package_type_id, name) VALUES (?, ?)', [s.packageTypeId, 'C/C++']);
  await db.execute('INSERT INTO project.user_account (user_uid, enabled_flag) VALUES (?, ?)', [s.userUuid, o.userEnabled === false ? 0 : 1]);
  await db.execute('INSERT INTO project.project (project_uid, full_name) VALUES (?, ?)', [s.projectUuid, 'fixture project']);
  await db.execute('INSERT INTO project.project_user (project_uid, user_uid) VALUES (?, ?)', [s.projectUuid, s.userUuid]);
  await db.execute(
    'INSERT INTO package_store.package (package_uuid, name, package_type_id, package_language, package_owner_uuid) VALUES (?, ?, ?, ?, ?)',
    [s.packageUuid, o.packageName ?? 'zlib', s.packageTypeId, 'C', s.userUuid],
  );
  await db.execute(
    `INSERT INTO package_store.package_version (package_version_uuid, package_uuid, version_string, package_path, checksum,
       source_path, build_system, build_cmd, android_redo_build, use_gradle_wrapper)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.packageVersionUuid, s.packageUuid, o.packageVersion ?? '1.2.13', `/swamp/store/SCAPackages/${s.packageVersionUuid}/zlib-1.2.13.tar.gz`,
      'f'.repeat(128), 'zlib-1.2.13', 'configure+make', null, 0, 1],
  );
  await db.execute('INSERT INTO tool_shed.tool (tool_uuid, name) VALUES (?, ?)', [s.toolUuid, o.toolName ?? 'cppcheck']);
  await db.execute('INSERT INTO tool_shed.tool_version (tool_version_uuid, tool_uuid, version_string, tool_path, checksum) VALUES (?, ?, ?, ?, ?)', [
    s.toolVersionUuid, s.toolUuid, '2.11', `/swamp/store/SCATools/cppcheck/cppcheck-2.11.tar.gz`, 'e'.repeat(128),
  ]);
  await db.execute('INSERT INTO platform_store.platform (platform_uuid, name) VALUES (?, ?)', [s.platformUuid, 'Debian Linux']);
  await db.execute(
    'INSERT INTO platform_store.platform_version (platform_version_uuid, platform_uuid, version_string, platform_path, platform_identifier) VALUES (?, ?, ?, ?, ?)',
    [s.platformVersionUuid, s.platformUuid, '12.0 64-bit', 'debian-12.0-64', o.platformIdentifier ?? 'debian-12.0-64'],
  );
  await db.execute(
    `INSERT INTO assessment.execution_record (execution_record_uuid, user_uuid, project_uuid, platform_version_uuid, tool_version_uuid,
       package_version_uuid, launch_flag, launch_counter, launch_countdown, complete_flag)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.executionRecordUuid, s.userUuid, s.projectUuid, s.platformVersionUuid, s.toolVersionUuid, s.packageVersionUuid,
      o.launchFlag ?? 0, o.launchCounter ?? 0, o.launchCountdown ?? 0, o.completeFlag ?? 0],
  );
  return s;
}

/** An assessment_result row of a seeded run (file under a directory named after the result uuid). */
export async function seedAssessmentResult(db: Db, run: SeededRun, o: { filePath?: string; sourceArchivePath?: string } = {}): Promise<string> {
  const uuid = randomUUID();
  await db.execute(
    `INSERT INTO assessment.assessment_result (assessment_result_uuid, execution_record_uuid, project_uuid, file_path, source_archive_path,
       platform_name, platform_version, tool_name, tool_version, package_name, package_version,
       platform_version_uuid, tool_version_uuid, package_version_uuid)
     VALUES (?, ?, ?, ?, ?, 'Debian Linux', '12.0 64-bit', 'cppcheck', '2.11', 'zlib', '1.2.13', ?, ?, ?)`,
    [uuid, run.executionRecordUuid, run.projectUuid, o.filePath ?? `/swamp/SCAProjects/${run.projectUuid}/A-Results/${uuid}/parsed_results.xml`,
      o.sourceArchivePath ?? `/swamp/SCAProjects/${run.projectUuid}/A-Results/${uuid}/zlib-1.2.13.tar.gz`,
      run.platformVersionUuid, run.toolVersionUuid, run.packageVersionUuid],
  );
  return uuid;
}

/** A metric tool + run for a seeded package (metric runs use metric.metric_tool_version). */
export async function seedMetricRun(db: Db, run: SeededRun): Promise<string> {
  const toolUuid = randomUUID();
  const toolVersionUuid = randomUUID();
  const uuid = `M-${randomUUID()}`;
  await db.execute('INSERT INTO metric.metric_tool (metric_tool_uuid, name) VALUES (?, ?)', [toolUuid, 'cloc']);
  await db.execute('INSERT INTO metric.metric_tool_version (metric_tool_version_uuid, metric_tool_uuid, version_string, tool_path, checksum) VALUES (?, ?, ?, ?, ?)', [
    toolVersionUuid, toolUuid, '1.82', '/swamp/store/SCATools/cloc/cloc-1.82.tar.gz', 'd'.repeat(128),
  ]);
  await db.execute(
    `INSERT INTO metric.metric_run (metric_run_uuid, package_uuid, package_version_uuid, tool_uuid, tool_version_uuid, platform_uuid,
       platform_version_uuid, package_owner_uuid, launch_counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    [uuid, run.packageUuid, run.packageVersionUuid, toolUuid, toolVersionUuid, run.platformUuid, run.platformVersionUuid, run.userUuid],
  );
  return uuid;
}
