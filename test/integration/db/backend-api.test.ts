/**
 * lib/db against the schema fixture: the procedures and statements the backend uses, and the
 * classification of connection failures.
 */
import { randomUUID } from 'node:crypto';
import {
  connect,
  DbError,
  findViewerInstance,
  getExecRun,
  getExecutionRecord,
  getMetricRun,
  getViewerInstance,
  insertResults,
  listLaunchQueue,
  setRunFlag,
  storeViewer,
  updateExecutionRunStatus,
  updateMetricLineCounts,
  updateMetricResult,
  updateRunStatus,
  type Db,
} from '../../../lib/db/index.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentRun, seedMetricRun } from '../helpers/db-seed.js';

let db: Db;
beforeAll(async () => {
  db = await connect(await dbOptions());
});
afterAll(async () => {
  await db?.close();
});

describe('exec_run_view', () => {
  test('a seeded run yields one complete row with every BOG column', async () => {
    const run = await seedAssessmentRun(db);
    const row = await getExecRun(db, run.executionRecordUuid);
    expect(row).toMatchObject({
      execution_record_uuid: run.executionRecordUuid,
      launch_counter: 0,
      project_uuid: run.projectUuid,
      user_uuid: run.userUuid,
      package_name: 'zlib',
      package_version: '1.2.13',
      package_language: 'C',
      package_type: 'C/C++',
      tool_name: 'cppcheck',
      version_string: '2.11',
      platform_identifier: 'debian-12.0-64',
      android_redo_build: 0,
      use_gradle_wrapper: 1,
      user_cnf: null,
      notify_when_complete_flag: 0,
    });
    for (const col of ['package_path', 'pkg_checksum', 'source_path', 'build_file', 'build_system', 'build_cmd', 'build_target', 'build_dir',
      'build_opt', 'config_cmd', 'config_opt', 'config_dir', 'bytecode_class_path', 'bytecode_aux_class_path', 'bytecode_source_path',
      'android_sdk_target', 'android_lint_target', 'language_version', 'maven_version', 'android_maven_plugin', 'exclude_paths',
      'package_build_settings', 'tool_path', 'tool_checksum', 'dependency_list']) {
      expect(row).toHaveProperty(col);
    }
  });

  test('complete runs are not in the view; metric runs are, as METRIC', async () => {
    const done = await seedAssessmentRun(db, { completeFlag: 1 });
    expect(await getExecRun(db, done.executionRecordUuid)).toBeUndefined();
    const m = await seedMetricRun(db, done);
    expect(await getExecRun(db, m)).toMatchObject({ execution_record_uuid: m, project_uuid: 'METRIC', user_uuid: 'METRIC', tool_name: 'cloc', user_cnf: null, notify_when_complete_flag: 0, launch_counter: 1 });
  });
});

describe('update_execution_run_status', () => {
  test('status, final status with completion_date, vm_password cleared on Finished', async () => {
    const run = await seedAssessmentRun(db);
    const id = run.executionRecordUuid;
    expect(await updateExecutionRunStatus(db, id, 'vm_password', 'secret')).toBe('SUCCESS');
    expect(await updateExecutionRunStatus(db, id, 'run_date', '2099-01-01 00:00:00'.replace('2099-01-01', new Date().toISOString().slice(0, 10)))).toBe('SUCCESS');
    expect(await updateRunStatus(db, id, 'Waiting in HTCondor Queue')).toBe(true);
    expect(await getExecutionRecord(db, id)).toMatchObject({ status: 'Waiting in HTCondor Queue', completion_date: null, vm_password: 'secret' });
    const now = new Date(Date.now() + 5000);
    expect(await updateRunStatus(db, id, 'Finished', { final: true, now })).toBe(true);
    const er = await getExecutionRecord(db, id);
    expect(er).toMatchObject({ status: 'Finished', vm_password: null });
    expect(er?.completion_date).toBe(now.toISOString().replace('T', ' ').slice(0, 19));
    expect(await updateExecutionRunStatus(db, randomUUID(), 'status', 'x')).toBe('ERROR: Record Not Found');
  });

  test('M- ids go to metric.metric_run', async () => {
    const m = await seedMetricRun(db, await seedAssessmentRun(db));
    expect(await updateExecutionRunStatus(db, m, 'status', 'Performing assessment')).toBe('SUCCESS');
    expect(await getMetricRun(db, m)).toMatchObject({ status: 'Performing assessment' });
  });

  test('an unknown field is an SQL error (the procedure has no ELSE)', async () => {
    const run = await seedAssessmentRun(db);
    await expect(updateExecutionRunStatus(db, run.executionRecordUuid, 'bogus' as 'status', 'x')).rejects.toMatchObject({ kind: 'external' });
  });
});

describe('flags, queue, results, viewers', () => {
  test('launch_flag / submitted_to_condor_flag / complete_flag on both tables; vrun_ is a no-op', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1 });
    expect(await listLaunchQueue(db)).toContain(run.executionRecordUuid);
    expect(await setRunFlag(db, run.executionRecordUuid, 'submitted_to_condor_flag', true)).toBe(1);
    expect(await setRunFlag(db, run.executionRecordUuid, 'launch_flag', false)).toBe(1);
    expect(await listLaunchQueue(db)).not.toContain(run.executionRecordUuid);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ launch_flag: 0, submitted_to_condor_flag: 1, complete_flag: 0 });
    const m = await seedMetricRun(db, run);
    expect(await setRunFlag(db, m, 'complete_flag', true)).toBe(1);
    expect(await getMetricRun(db, m)).toMatchObject({ complete_flag: 1 });
    expect(await setRunFlag(db, `vrun_${run.projectUuid}_CodeDX`, 'launch_flag', false)).toBe(0);
  });

  test('insert_results for an assessment run copies the run details into assessment_result', async () => {
    const run = await seedAssessmentRun(db);
    const result = randomUUID();
    const rs = await insertResults(db, {
      executionRecordUuid: run.executionRecordUuid, assessmentResultUuid: result, resultPath: '/r/results.xml', resultChecksum: 'c1',
      sourceArchivePath: '/r/src.tgz', sourceArchiveChecksum: 'c2', logPath: '/r/run.out', logChecksum: 'c3', weaknessCount: -1,
      linesOfCode: 1234, statusOut: 'PASS: all', statusOutErrorMsg: null,
    });
    expect(rs).toBe('SUCCESS');
    const rows = await db.select('SELECT * FROM assessment.assessment_result WHERE assessment_result_uuid = ?', [result]);
    expect(rows[0]).toMatchObject({ execution_record_uuid: run.executionRecordUuid, project_uuid: run.projectUuid, weakness_cnt: null,
      file_host: 'SWAMP', file_path: '/r/results.xml', tool_name: 'cppcheck', package_name: 'zlib', platform_name: 'Debian Linux', status_out: 'PASS: all' });
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ code_lines: 1234 });
  });

  test('insert_results routes M- ids to metric.insert_results; metric updates', async () => {
    const m = await seedMetricRun(db, await seedAssessmentRun(db));
    const rs = await insertResults(db, {
      executionRecordUuid: m, assessmentResultUuid: randomUUID(), resultPath: '/m/r.xml', resultChecksum: 'c', sourceArchivePath: null,
      sourceArchiveChecksum: null, logPath: null, logChecksum: null, weaknessCount: 0, linesOfCode: null, statusOut: 'PASS: all', statusOutErrorMsg: null,
    });
    expect(rs).toBe('SUCCESS');
    expect(await updateMetricLineCounts(db, m, { codeLines: 10, commentLines: 2, blankLines: 3, totalLines: 15 })).toBe(1);
    expect(await updateMetricResult(db, m, { resultPath: '/m/final.xml', resultChecksum: 'd', statusOut: 'PASS: all', statusOutErrorMsg: null })).toBe(1);
    expect(await getMetricRun(db, m)).toMatchObject({ file_host: 'SWAMP', result_path: '/m/final.xml', pkg_total_lines: 15 });
  });

  test('store_viewer updates the viewer instance', async () => {
    const inst = randomUUID();
    const project = randomUUID();
    await db.execute("INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid) VALUES (?, '5d0fb63c-865a-11e3-88bb-001a4a81450b', ?)", [inst, project]);
    expect(await storeViewer(db, { viewerInstanceUuid: inst, viewerDbPath: '/p/db.tgz', viewerDbChecksum: 'sum', platformImage: 'img', viewerVersion: 'codedx-5.0.0.war' })).toBe('SUCCESS');
    expect(await getViewerInstance(db, inst)).toMatchObject({ viewer_db_path: '/p/db.tgz', viewer_db_checksum: 'sum', platform_image: 'img', code_dx_version: 'codedx-5.0.0.war' });
    expect((await findViewerInstance(db, '5d0fb63c-865a-11e3-88bb-001a4a81450b', project))?.viewer_instance_uuid).toBe(inst);
    expect(await storeViewer(db, { viewerInstanceUuid: randomUUID(), viewerDbPath: 'x', viewerDbChecksum: 'y', platformImage: null, viewerVersion: null })).toBe('ERROR: Viewer Instance Not Found');
  });
});

describe('connection errors are classified', () => {
  test('wrong password -> denied', async () => {
    const err = await connect(await dbOptions({ password: 'wrong' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'denied', sqlState: '28000' }); // 1045 or 1698 (the account also allows unix_socket)
  });

  test('nothing listening -> busy', async () => {
    const err = await connect(await dbOptions({ port: 1, connectTimeoutMs: 1000 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'busy', code: 'ECONNREFUSED' });
  });

  test('a statement slower than the query timeout -> busy', async () => {
    const slow = await connect(await dbOptions({ queryTimeoutMs: 300 }));
    try {
      await expect(slow.select('SELECT SLEEP(2)')).rejects.toMatchObject({ kind: 'busy', code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    } finally {
      await slow.close();
    }
  });
});
