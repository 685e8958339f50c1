/**
 * The calling procedures of the schema fixture build the same command strings as production and
 * run them through our UDF: checked twice, as the logged command string (byte for byte) and as the
 * argv a recording program received after /bin/sh parsed it. The bin directory is pointed at the
 * recorders with the session variable @swamp_bin_dir, so no other session is affected.
 */
import { randomInt } from 'node:crypto';
import { connect, dbTimestampUtc, getExecutionRecord, updateExecutionRunStatus, type Db } from '../../../lib/db/index.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentResult, seedAssessmentRun, type SeededRun } from '../helpers/db-seed.js';
import { RecordingBin } from '../helpers/recording-bin.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';

const NATIVE = '8f9213ef-5d04-11e3-9fa4-001a4a81450b';
const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';
const THREADFIX = 'b0e931d7-bfb2-11e5-bf72-001a4a814413';

let db: Db;
let bin: RecordingBin;

let restoreUdf: (() => void) | undefined;

beforeAll(async () => {
  db = await connect(await dbOptions());
  bin = new RecordingBin();
  await db.execute('SET @swamp_bin_dir = ?, @swamp_log_cmds = 1', [bin.dir]);
  restoreUdf = await extendSharedUdfConf(allowEntryPrograms(bin.dir));
});
afterAll(async () => {
  restoreUdf?.();
  await db?.close();
  bin?.remove();
});
beforeEach(() => {
  bin.clear();
  for (const p of ['execute_execution_record', 'launch_viewer', 'kill_run'] as const) {
    bin.setStdout(p, null);
    bin.setExit(p, null);
  }
});

async function loggedCmd(caller: string, needle: string): Promise<string | undefined> {
  const rows = await db.select<{ cmd: string }>(
    'SELECT cmd FROM assessment.sys_exec_cmd_log WHERE caller = ? AND INSTR(cmd, ?) > 0 ORDER BY sys_exec_cmd_log_id DESC LIMIT 1',
    [caller, needle],
  );
  return rows[0]?.cmd;
}

async function out<T = string>(name: string): Promise<T> {
  const rows = await db.select<Record<string, T>>(`SELECT @${name} AS v`);
  return rows[0]?.v as T;
}

describe('backend_bin_dir()', () => {
  test('session variable, then the backend_setting row, then /usr/local/bin', async () => {
    expect((await db.select<{ d: string }>('SELECT assessment.backend_bin_dir() AS d'))[0]?.d).toBe(bin.dir);
    const other = await connect(await dbOptions());
    try {
      const setting = await other.select<{ v: string }>("SELECT setting_value AS v FROM assessment.backend_setting WHERE setting_code = 'BIN_DIR'");
      const d = (await other.select<{ d: string }>('SELECT assessment.backend_bin_dir() AS d'))[0]?.d;
      expect(d).toBe((setting[0]?.v ?? '/usr/local/bin').replace(/\/+$/, ''));
      await other.execute("SET @swamp_bin_dir = '/opt/x/bin/'");
      expect((await other.select<{ d: string }>('SELECT assessment.backend_bin_dir() AS d'))[0]?.d).toBe('/opt/x/bin');
    } finally {
      await other.close();
    }
  });
});

describe('execute_execution_record', () => {
  test('runs "<bin>/execute_execution_record <uuid>" and returns the wait status', async () => {
    const run = await seedAssessmentRun(db);
    await db.execute('CALL assessment.execute_execution_record(?, @rc)', [run.executionRecordUuid]);
    expect(Number(await out('rc'))).toBe(0);
    expect(await loggedCmd('execute_execution_record', run.executionRecordUuid)).toBe(`${bin.dir}/execute_execution_record ${run.executionRecordUuid}`);
    expect(bin.calls()).toEqual([{ program: 'execute_execution_record', args: [run.executionRecordUuid] }]);

    bin.setExit('execute_execution_record', 3);
    await db.execute('CALL assessment.execute_execution_record(?, @rc)', [run.executionRecordUuid]);
    expect(Number(await out('rc'))).toBe(3 * 256);
  });
});

describe('process_execution_records', () => {
  async function processOnly(...uuids: string[]): Promise<void> {
    await db.execute('SET @swamp_process_only = ?', [uuids.join(',')]);
    try {
      await db.execute('CALL assessment.process_execution_records()');
    } finally {
      await db.execute('SET @swamp_process_only = NULL');
    }
  }

  test('launch: counter+1, countdown 20, SUBMITTING TO HTCONDOR; then the back-off counts down', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1 });
    await processOnly(run.executionRecordUuid);
    let er = await getExecutionRecord(db, run.executionRecordUuid);
    expect(er).toMatchObject({ launch_counter: 1, launch_countdown: 20, status: 'SUBMITTING TO HTCONDOR', launch_flag: 1 });
    expect(bin.calls()).toEqual([{ program: 'execute_execution_record', args: [run.executionRecordUuid] }]);

    await processOnly(run.executionRecordUuid);
    er = await getExecutionRecord(db, run.executionRecordUuid);
    expect(er).toMatchObject({ launch_counter: 1, launch_countdown: 19 });
    expect(bin.calls()).toHaveLength(1); // no relaunch during the back-off

    await db.execute('UPDATE assessment.execution_record SET launch_countdown = 0 WHERE execution_record_uuid = ?', [run.executionRecordUuid]);
    await processOnly(run.executionRecordUuid);
    er = await getExecutionRecord(db, run.executionRecordUuid);
    expect(er).toMatchObject({ launch_counter: 2, launch_countdown: 20 });
    expect(bin.calls()).toHaveLength(2);
  });

  test('a failing program leaves the status unchanged (the DB retries later)', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1 });
    bin.setExit('execute_execution_record', 1);
    await processOnly(run.executionRecordUuid);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ status: 'WAITING TO START', launch_counter: 1, launch_countdown: 20 });
  });

  test('after 15 launches: Failed to launch, launch_flag 0, complete_flag 1', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1, launchCounter: 15 });
    await processOnly(run.executionRecordUuid);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ status: 'Failed to launch', launch_flag: 0, complete_flag: 1 });
    expect(bin.calls()).toEqual([]);
  });

  test('a run that fails validation gets the message as status and is not launched', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1, userEnabled: false });
    await processOnly(run.executionRecordUuid);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({
      status: 'FAILED TO VALIDATE ASSESSMENT DATA: USER ACCT DISABLED', launch_flag: 0, complete_flag: 1, launch_counter: 0,
    });
    expect(bin.calls()).toEqual([]);
  });

  test('only records with launch_flag = 1 are looked at', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 0 });
    await processOnly(run.executionRecordUuid);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ launch_counter: 0, status: 'WAITING TO START' });
  });
});

describe('kill_assessment_run', () => {
  test('always logs and runs " <bin>/kill_run --execution_record_uuid \'<id>\' --hard \'<flag>\'"', async () => {
    const id = 'e4a1f0f2-0000-4000-8000-' + String(randomInt(1e11, 1e12 - 1));
    await db.execute('SET @swamp_log_cmds = 0'); // kill_assessment_run logs regardless
    try {
      await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, '1']);
    } finally {
      await db.execute('SET @swamp_log_cmds = 1');
    }
    expect(await out('rs')).toBe('SUCCESS');
    expect(await loggedCmd('kill_assessment_run', id)).toBe(` ${bin.dir}/kill_run --execution_record_uuid '${id}' --hard '1'`);
    expect(bin.calls()).toEqual([{ program: 'kill_run', args: ['--execution_record_uuid', id, '--hard', '1'] }]);
  });

  test('NULL options are left out; a non-zero status gives ERROR', async () => {
    const id = `M-${String(randomInt(1e11, 1e12 - 1))}`;
    bin.setExit('kill_run', 2);
    await db.execute('CALL assessment.kill_assessment_run(?, NULL, @rs)', [id]);
    expect(await out('rs')).toBe('ERROR');
    expect(await loggedCmd('kill_assessment_run', id)).toBe(` ${bin.dir}/kill_run --execution_record_uuid '${id}'`);
  });

  test('deleting a running execution record kills it (trigger) with --hard 1', async () => {
    const run = await seedAssessmentRun(db, { launchFlag: 1 });
    await db.execute('UPDATE assessment.execution_record SET delete_date = NOW() WHERE execution_record_uuid = ?', [run.executionRecordUuid]);
    expect(bin.calls()).toEqual([{ program: 'kill_run', args: ['--execution_record_uuid', run.executionRecordUuid, '--hard', '1'] }]);
    expect(await getExecutionRecord(db, run.executionRecordUuid)).toMatchObject({ launch_flag: 0 });
  });
});

describe('launch_viewer', () => {
  let run: SeededRun;
  // shortly after the record's creation: update_execution_run_status computes TIMEDIFFs that must
  // stay within MariaDB's TIME range (as in production)
  const start = dbTimestampUtc(new Date(Date.now() + 60_000));
  const end = dbTimestampUtc(new Date(Date.now() + 3_600_000));
  beforeAll(async () => {
    run = await seedAssessmentRun(db);
    expect(await updateExecutionRunStatus(db, run.executionRecordUuid, 'run_date', start)).toBe('SUCCESS');
    expect(await updateExecutionRunStatus(db, run.executionRecordUuid, 'completion_date', end)).toBe('SUCCESS');
  });

  async function launch(resultUuids: string | null, viewerVersion: string, resultsType: string | null = 'results'): Promise<{ path: string | null; rs: string | null; inst: string | null }> {
    await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @rp, @rs, @vi)', [
      resultUuids, run.userUuid, viewerVersion, run.projectUuid, '/swamp/outgoing/', resultsType,
    ]);
    const rows = await db.select<{ rp: string | null; rs: string | null; vi: string | null }>('SELECT @rp AS rp, @rs AS rs, @vi AS vi');
    return { path: rows[0]?.rp ?? null, rs: rows[0]?.rs ?? null, inst: rows[0]?.vi ?? null };
  }

  test('Native: the exact command, the printed file name becomes return_path', async () => {
    const result = await seedAssessmentResult(db, run);
    const filePath = `/swamp/SCAProjects/${run.projectUuid}/A-Results/${result}/parsed_results.xml`;
    bin.setStdout('launch_viewer', 'nativereport.json\n');
    const r = await launch(result, NATIVE);
    expect(r.rs).toBe('SUCCESS');
    expect(r.path).toBe(`/swamp/outgoing/${result}/nativereport.json`);
    expect(await loggedCmd('launch_viewer', result)).toBe(
      ` ${bin.dir}/launch_viewer --viewer_name 'Native' --results_type 'results' --package_type '1'` +
        ` --file_path '${filePath}' --outdir '/swamp/outgoing/${result}' --package_name 'zlib' --package_version '1.2.13'` +
        ` --tool_name 'cppcheck' --tool_version '2.11' --platform_name 'Debian Linux' --platform_version '12.0 64-bit'` +
        ` --start_date '${start}' --end_date '${end}' --user_uuid '${run.userUuid}'`,
    );
    expect(bin.calls()[0]?.args).toEqual([
      '--viewer_name', 'Native', '--results_type', 'results', '--package_type', '1', '--file_path', filePath,
      '--outdir', `/swamp/outgoing/${result}`, '--package_name', 'zlib', '--package_version', '1.2.13',
      '--tool_name', 'cppcheck', '--tool_version', '2.11', '--platform_name', 'Debian Linux', '--platform_version', '12.0 64-bit',
      '--start_date', start, '--end_date', end, '--user_uuid', run.userUuid,
    ]);
    const hist = await db.select<{ n: number }>(
      "SELECT COUNT(*) AS n FROM viewer_store.viewer_launch_history WHERE assessment_result_uuid = ? AND viewer_instance_uuid = 'NATIVE'", [result]);
    expect(Number(hist[0]?.n)).toBe(1);
  });

  test('Native: no output or an error text gives ERROR FILE XFM; NULL results_type is left out', async () => {
    const result = await seedAssessmentResult(db, run);
    expect((await launch(result, NATIVE)).rs).toBe('ERROR FILE XFM');
    bin.setStdout('launch_viewer', 'Error - cannot save x\n');
    expect((await launch(result, NATIVE, null)).rs).toBe('ERROR FILE XFM');
    expect(await loggedCmd('launch_viewer', result)).toMatch(new RegExp(`^ ${bin.dir}/launch_viewer --viewer_name 'Native' --package_type '1' --file_path `));
  });

  test('CodeDX: creates the viewer instance, first result with details, further results as --file_path', async () => {
    const r1 = await seedAssessmentResult(db, run);
    const r2 = await seedAssessmentResult(db, run);
    bin.setStdout('launch_viewer', 'SUCCESS\n');
    const r = await launch(`${r1},${r2}`, CODEDX);
    expect(r.rs).toBe('SUCCESS');
    expect(r.inst).toMatch(/^[0-9a-f-]{36}$/);
    const p1 = `/swamp/SCAProjects/${run.projectUuid}/A-Results/${r1}/parsed_results.xml`;
    const p2 = `/swamp/SCAProjects/${run.projectUuid}/A-Results/${r2}/parsed_results.xml`;
    const sap = `/swamp/SCAProjects/${run.projectUuid}/A-Results/${r1}/zlib-1.2.13.tar.gz`;
    expect(await loggedCmd('launch_viewer', r1)).toBe(
      ` ${bin.dir}/launch_viewer --viewer_name 'CodeDX' --project '${run.projectUuid}' --viewer_uuid '${r.inst}' --user_uuid '${run.userUuid}'` +
        ` --package 'zlib' --tool_name 'cppcheck' --source_archive_path '${sap}' --package_type '1' --file_path '${p1}' --file_path '${p2}'`,
    );
    // the same instance is found again, now with its stored database bundle
    await db.execute('CALL viewer_store.store_viewer(?, ?, ?, ?, ?, @r)', [r.inst, '/swamp/db.tar.gz', 'abc', 'img', 'codedx-5']);
    bin.clear();
    const again = await launch(null, CODEDX);
    expect(again.inst).toBe(r.inst);
    expect(bin.calls()[0]?.args).toEqual([
      '--viewer_name', 'CodeDX', '--project', run.projectUuid, '--viewer_db_path', '/swamp/db.tar.gz', '--viewer_db_checksum', 'abc',
      '--viewer_uuid', r.inst, '--user_uuid', run.userUuid,
    ]);
  });

  test('ThreadFix: no output -> Error Launching Viewer; an error text is passed through', async () => {
    expect((await launch(null, THREADFIX)).rs).toBe('Error Launching Viewer');
    bin.setStdout('launch_viewer', 'ERROR: something\n');
    expect((await launch(null, THREADFIX)).rs).toBe('ERROR: something');
  });

  test('validation errors', async () => {
    expect((await launch(null, '00000000-0000-0000-0000-000000000000')).rs).toBe('ERROR: VIEWER VERSION NOT FOUND');
    await db.execute('CALL assessment.launch_viewer(NULL, ?, ?, ?, ?, ?, @rp, @rs, @vi)', ['nobody', NATIVE, run.projectUuid, '/x/', 'results']);
    expect(await out('rs')).toBe('ERROR: USER ACCOUNT NOT VALID');
  });
});

describe('metric.create_metric_run', () => {
  test('creates M-<uuid> runs with launch_counter 1 and starts each at once', async () => {
    const run = await seedAssessmentRun(db);
    const typeId = randomInt(100_000, 2_000_000_000);
    await db.execute('INSERT INTO package_store.package_type (package_type_id, name, default_platform_uuid) VALUES (?, ?, ?)', [typeId, 'fixture', run.platformUuid]);
    await db.execute("INSERT INTO metric.metric_tool (metric_tool_uuid, name) VALUES (CONCAT('mt-', ?), 'cloc')", [typeId]);
    await db.execute("INSERT INTO metric.metric_tool_version (metric_tool_version_uuid, metric_tool_uuid, version_string) VALUES (CONCAT('mtv-', ?), CONCAT('mt-', ?), '1.82')", [typeId, typeId]);
    await db.execute("INSERT INTO metric.metric_tool_language (metric_tool_uuid, package_type_id) VALUES (CONCAT('mt-', ?), ?)", [typeId, typeId]);
    await db.execute('CALL metric.create_metric_run(?, ?, ?, @rs)', [run.packageUuid, run.packageVersionUuid, typeId]);
    expect(await out('rs')).toBe('SUCCESS');
    const rows = await db.select<{ metric_run_uuid: string; launch_counter: number; platform_version_uuid: string }>(
      'SELECT metric_run_uuid, launch_counter, platform_version_uuid FROM metric.metric_run WHERE package_version_uuid = ?', [run.packageVersionUuid]);
    expect(rows).toHaveLength(1);
    const m = rows[0]!;
    expect(m.metric_run_uuid).toMatch(/^M-[0-9a-f-]{36}$/);
    expect(m).toMatchObject({ launch_counter: 1, platform_version_uuid: run.platformVersionUuid });
    expect(bin.calls()).toEqual([{ program: 'execute_execution_record', args: [m.metric_run_uuid] }]);
    expect(await loggedCmd('create_metric_run', m.metric_run_uuid)).toBe(`${bin.dir}/execute_execution_record ${m.metric_run_uuid}`);
  });
});
