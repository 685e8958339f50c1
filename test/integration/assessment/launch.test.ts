/**
 * launchassessment against the real MariaDB (our UDF, the calling procedures) and the real HTCondor
 * pool: the end-to-end launch from `CALL assessment.execute_execution_record`, DB relaunches,
 * crash-at-every-step recovery, hostile ids, SWAMP off, metric runs, an unreachable schedd, --list.
 * Needs `make services` and `node scripts/build.mjs` (the tests run the built binary, as the DB does).
 */
import { jest } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, getExecutionRecord, type Db } from '../../../lib/db/index.js';
import { lookupSwampId, queryAds, isExactly } from '../../../lib/htcondor/index.js';
import { CRASH_POINTS } from '../../../lib/assessment/index.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentRun, seedMetricRun } from '../helpers/db-seed.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';
import { CTX, cleanup, installedTree, jobsOf, logLines, queueFiles, runProgram, waitForWorker, type Tree } from './helpers.js';

jest.setTimeout(120_000);

let db: Db;
let tree: Tree;
const submitted: string[] = [];
let restoreUdf: (() => void) | undefined;

beforeAll(async () => {
  db = await connect(await dbOptions());
  // the installed tree and its swamp.conf (swapped for this file, restored after): what the DB runs
  tree = installedTree();
  restoreUdf = await extendSharedUdfConf(allowEntryPrograms(tree.bin));
});

afterAll(async () => {
  restoreUdf?.();
  try {
    const stray = await cleanup(tree, submitted);
    if (stray.length > 0) process.stderr.write(`launch tests: condor_rm of the ${stray.length} job(s) these tests left queued\n`);
  } finally {
    await db.close();
    tree.remove();
  }
});

async function newRun(o: { launchFlag?: 0 | 1; launchCounter?: number } = {}): Promise<string> {
  const s = await seedAssessmentRun(db, { launchFlag: o.launchFlag ?? 1, launchCounter: o.launchCounter ?? 1 });
  submitted.push(s.executionRecordUuid);
  return s.executionRecordUuid;
}

async function callFromDb(id: string): Promise<{ rc: number | null; ms: number }> {
  await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
  const t0 = performance.now();
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  const ms = performance.now() - t0;
  const rows = await db.select<{ rc: number | null }>('SELECT @rc AS rc');
  return { rc: rows[0]?.rc ?? null, ms };
}

async function adStatus(id: string): Promise<string | undefined> {
  const ads = await queryAds(CTX, { constraint: isExactly('Name', id), attributes: ['Name', 'SWAMP_vmu_assessment_status'] });
  const v = ads[0]?.SWAMP_vmu_assessment_status;
  return typeof v === 'string' ? v : undefined;
}

// Statuses that may follow ours once the job starts (the pool negotiates every 2 s and the hooks run).
const NOT_BEFORE_SUBMIT = (s: string | undefined): boolean => s !== undefined && !['WAITING TO START', 'SUBMITTING TO HTCONDOR', 'Failed to submit to HTCondor'].includes(s);

describe('end to end from the DB', () => {
  test('CALL execute_execution_record returns 0 at once; the job is queued exactly once; DB and collector updated', async () => {
    const id = await newRun();
    const { rc, ms } = await callFromDb(id);
    expect(rc).toBe(0);
    expect(ms).toBeLessThan(3000); // the parent detaches; the work happens in the worker
    const done = await waitForWorker(tree, id);
    expect(done[0]?.outcome).toBe('submitted');

    const found = await lookupSwampId(CTX, id, { attributes: ['ClusterId', 'SWAMP_arun_execrunuid', 'SWAMP_submit_jobdir', 'JobPrio'] });
    expect(found.source).not.toBe('none');
    expect(found.ads[0]?.SWAMP_arun_execrunuid).toBe(id);
    expect(String(found.ads[0]?.SWAMP_submit_jobdir)).toMatch(/^aswamp_[0-9A-F-]{36}$/);
    expect(found.ads[0]?.JobPrio ?? 0).toBe(0);

    const rec = await getExecutionRecord(db, id);
    expect(rec?.launch_flag).toBe(0);
    expect(rec?.submitted_to_condor_flag).toBe(1);
    expect(NOT_BEFORE_SUBMIT(rec?.status)).toBe(true);
    // our worker wrote "Waiting in HTCondor Queue" (the job hooks may have moved it on since)
    expect(logLines(tree).some((l) => l.msg === 'job submitted' && l.execrunid === id && l.status === 'Waiting in HTCondor Queue')).toBe(true);
    expect(logLines(tree).some((l) => l.execrunid === id && /DB status update failed|collector update failed/.test(l.msg))).toBe(false);
    expect(NOT_BEFORE_SUBMIT(await adStatus(id))).toBe(true);
    expect(queueFiles(tree)).toEqual([]);

    // a DB relaunch (process_execution_records calling again) while the job exists: no second job
    const again = await callFromDb(id);
    expect(again.rc).toBe(0);
    const second = await waitForWorker(tree, id, 2);
    expect(second[1]?.outcome).toBe('adopted');
    expect(await jobsOf(id)).toHaveLength(1);
  });
});

describe('the DB launch loop (process_execution_records)', () => {
  async function processOnly(id: string): Promise<void> {
    await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
    await db.execute('SET @swamp_process_only = ?', [id]);
    try {
      await db.execute('CALL assessment.process_execution_records()');
    } finally {
      await db.execute('SET @swamp_process_only = NULL');
    }
  }

  test('launches the run; a relaunch after a lost DB update (mirswamp/services perl/agents/vmu_csa_agent.pl startHTCondorJob window) adopts the job instead of a second one', async () => {
    const id = await newRun({ launchCounter: 0 });
    await processOnly(id);
    expect((await waitForWorker(tree, id))[0]?.outcome).toBe('submitted');
    let rec = await getExecutionRecord(db, id);
    expect(rec).toMatchObject({ launch_flag: 0, submitted_to_condor_flag: 1, launch_counter: 1 });
    expect(await jobsOf(id)).toHaveLength(1);

    // the DB tick fires again as if our launch_flag = 0 had been lost
    await db.execute('UPDATE assessment.execution_record SET launch_flag = 1, launch_countdown = 0 WHERE execution_record_uuid = ?', [id]);
    await processOnly(id);
    expect((await waitForWorker(tree, id, 2))[1]?.outcome).toBe('adopted');
    rec = await getExecutionRecord(db, id);
    expect(rec).toMatchObject({ launch_flag: 0, submitted_to_condor_flag: 1, launch_counter: 2 });
    expect(await jobsOf(id)).toHaveLength(1);
  });
});

describe('exactly once across crashes', () => {
  test.each(CRASH_POINTS.map((p, i) => [p, i % 2 === 0 ? 'relaunch' : 'drain'] as const))(
    'worker killed after %s, then %s: one job, DB recorded, queue empty',
    async (point, how) => {
      const id = await newRun();
      const crashed = runProgram(tree, 'launchassessment', ['--runid', id, '--nodetached'], { SWAMP_LAUNCH_CRASH_AFTER: point });
      expect(crashed.signal).toBe('SIGKILL');
      expect(existsSync(join(tree.runDir, `${id}.bog`))).toBe(true);
      const expectJob = ['submitted', 'state-submitted', 'db-updated'].includes(point);
      expect((await jobsOf(id)).length).toBe(expectJob ? 1 : 0);

      const second = how === 'relaunch' ? runProgram(tree, 'launchassessment', ['--runid', id, '--nodetached']) : runProgram(tree, 'launchassessment', ['--drain']);
      expect(second.status).toBe(0);
      expect(await jobsOf(id)).toHaveLength(1);
      const rec = await getExecutionRecord(db, id);
      expect(rec?.launch_flag).toBe(0);
      expect(rec?.submitted_to_condor_flag).toBe(1);
      expect(queueFiles(tree).filter((n) => n.startsWith(id))).toEqual([]);

      // a later relaunch and drain change nothing
      runProgram(tree, 'launchassessment', ['--runid', id, '--nodetached']);
      runProgram(tree, 'launchassessment', ['--drain']);
      expect(await jobsOf(id)).toHaveLength(1);
    },
  );
});

describe('bad input and faults', () => {
  test.each([
    ['shell metacharacters', 'abc;touch /tmp/swamp-la-pwned'],
    ['command substitution', '$(id)'],
    ['quotes', "0258026e-6c62-4591-8378-89580a707e83'"],
    ['regex characters', '.*'],
    ['overlong', 'a'.repeat(300)],
    ['viewer id', 'vrun_0258026e-6c62-4591-8378-89580a707e83_CodeDX'],
  ])('%s: refused with a log line and status 2, nothing launched', (_what, bad) => {
    const before = logLines(tree).length;
    const filesBefore = readdirSync(tree.runDir).sort();
    const r = runProgram(tree, 'execute_execution_record', [bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid execution record uuid/);
    expect(r.stdout).toBe('');
    const lines = logLines(tree).slice(before);
    expect(lines.some((l) => l.msg === 'refused: invalid run id, nothing launched')).toBe(true);
    expect(readdirSync(tree.runDir).sort()).toEqual(filesBefore);
    expect(existsSync('/tmp/swamp-la-pwned')).toBe(false);
  });

  test('two run ids, unknown options: usage errors', () => {
    expect(runProgram(tree, 'execute_execution_record', ['0258026e-6c62-4591-8378-89580a707e83', 'extra']).status).toBe(2);
    expect(runProgram(tree, 'launchassessment', ['--bogus']).status).toBe(2);
  });

  test('SWAMPState not on (e.g. "none", which the legacy took for on): SWAMP off - Queued, final, launch_flag stays 1', async () => {
    const id = await newRun();
    const cfg = tree.variant('off', ['SWAMPState = none']);
    const r = runProgram(tree, 'launchassessment', ['--runid', id, '--nodetached', '--config', cfg]);
    expect(r.status).toBe(0);
    const rec = await getExecutionRecord(db, id);
    expect(rec?.status).toBe('SWAMP off - Queued');
    expect(rec?.completion_date).not.toBeNull();
    expect(rec?.launch_flag).toBe(1);
    expect(await jobsOf(id)).toHaveLength(0);
    expect(await adStatus(id)).toBe('SWAMP off - Queued');
  });

  test('schedd unreachable: nothing submitted, BOG kept; a later drain launches it once', async () => {
    const id = await newRun();
    const cfg = tree.variant('nopool', ['SWAMP-in-a-Box = no', 'htcondor_collector_host = 127.0.0.1:9', 'htcondor_submit_node = nosuch', 'htcondor_timeout_seconds = 20']);
    const r = runProgram(tree, 'launchassessment', ['--runid', id, '--nodetached', '--config', cfg]);
    expect(r.status).not.toBe(0);
    expect(existsSync(join(tree.runDir, `${id}.bog`))).toBe(true);
    expect(await jobsOf(id)).toHaveLength(0);
    expect(logLines(tree).some((l) => l.execrunid === id && /lookup failed/.test(l.msg))).toBe(true);
    expect(runProgram(tree, 'launchassessment', ['--drain']).status).toBe(0);
    expect(await jobsOf(id)).toHaveLength(1);
    expect((await getExecutionRecord(db, id))?.launch_flag).toBe(0);
  });
});

describe('metric runs and --list', () => {
  test('M- run: SWAMP_mrun_execrunuid, priority -10, mswamp job dir', async () => {
    const s = await seedAssessmentRun(db, { launchFlag: 0 });
    submitted.push(s.executionRecordUuid);
    const m = await seedMetricRun(db, s);
    submitted.push(m);
    const r = runProgram(tree, 'launchassessment', ['--runid', m, '--nodetached']);
    expect(r.status).toBe(0);
    const found = await lookupSwampId(CTX, m, { attributes: ['ClusterId', 'SWAMP_mrun_execrunuid', 'SWAMP_arun_execrunuid', 'JobPrio', 'SWAMP_submit_jobdir'] });
    expect(found.source).not.toBe('none');
    expect(found.ads[0]?.SWAMP_mrun_execrunuid).toBe(m);
    expect(found.ads[0]?.SWAMP_arun_execrunuid).toBeUndefined();
    expect(found.ads[0]?.JobPrio).toBe(-10);
    expect(String(found.ads[0]?.SWAMP_submit_jobdir)).toMatch(/^mswamp_/);
    const row = await db.select<{ launch_flag: number; submitted_to_condor_flag: number }>(
      'SELECT launch_flag, submitted_to_condor_flag FROM metric.metric_run WHERE metric_run_uuid = ?',
      [m],
    );
    expect(row[0]).toEqual({ launch_flag: 0, submitted_to_condor_flag: 1 });
  });

  test('--list prints the DB launch queue in the legacy format', async () => {
    const id = await newRun({ launchFlag: 1 });
    submitted.pop(); // never launched
    const r = runProgram(tree, 'launchassessment', ['--list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Database Queue has \d+ items in it\n(\d+\) [^\n]+\n)*Count: \d+\n$/);
    expect(r.stdout).toContain(`) ${id}\n`);
    await db.execute('UPDATE assessment.execution_record SET launch_flag = 0 WHERE execution_record_uuid = ?', [id]);
  });
});
