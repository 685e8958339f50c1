/**
 * The hook programs run directly (as HTCondor would: in a scratch dir, with the legacy argv) against the
 * real MariaDB and the real collector of the local pool; the installed binary (make services installs
 * it into .local/inst), run as root. Also measures monitorjob's event-to-collector latency and memory.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { jest } from '@jest/globals';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentRun, type SeededRun } from '../helpers/db-seed.js';
import { installedTree, linkProgram } from '../assessment/helpers.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';
import { BIN, CollectorWatch, LOG_DIR, PROJECTS_DIR, RESULTS_DIR, adOf, alive, assessThroughHooks, programEnv, rssKiB, runProgram, scratchDir, waitFor, writeBundle } from './helpers.js';

jest.setTimeout(120_000);

let condor: HTCondorContext;
let db: Db;
let env: Record<string, string>;
const cleanup: string[] = [];
const adNames: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  db = await connect(await dbOptions());
  env = programEnv(condor);
});

afterAll(async () => {
  if (adNames.length > 0) await invalidate(condor, { names: adNames }).catch(() => undefined);
  for (const d of cleanup) await rm(d, { recursive: true, force: true });
  await db?.close();
});

/** A fresh cluster id per test, so job logs and pid files never collide with real jobs. */
function clusterId(): string {
  return String(900_000 + Math.floor(Math.random() * 99_999));
}

async function prepareRun(): Promise<{ run: SeededRun; scratch: string; bog: Record<string, string> }> {
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c' });
  const scratch = await scratchDir('swamp-hook-it-');
  cleanup.push(scratch, join(RESULTS_DIR, run.executionRecordUuid), join(PROJECTS_DIR, run.projectUuid));
  adNames.push(run.executionRecordUuid);
  const pkgDir = await scratchDir('swamp-hook-pkg-');
  cleanup.push(pkgDir);
  const packagepath = join(pkgDir, 'snappy-c-1.0.tar.gz');
  await writeFile(packagepath, 'not really a tarball\n');
  const bog = {
    execrunid: run.executionRecordUuid,
    projectid: run.projectUuid,
    userid: run.userUuid,
    resultsfolder: join(RESULTS_DIR) + '/',
    platform_identifier: 'debian-12.0-64',
    platform_type: 'local',
    platform_image: 'swamp-assessment-machine',
    toolname: 'gcc-warn',
    toolpath: '/swamp/store/SCATools/gcc/gcc-warn-0.9.tar.gz',
    packagename: 'snappy-c',
    packageversion: '1.0',
    packagetype: 'C/C++',
    packagepath,
    packagesourcepath: 'snappy-c-1.0',
    notify_when_complete_flag: '0',
    version: '2',
  };
  await writeBundle(scratch, run.executionRecordUuid, bog);
  return { run, scratch, bog };
}

test('PreAssessment -> machine -> PostAssessment: statuses in order, results recorded, Finished', async () => {
  const { run, scratch } = await prepareRun();
  const id = run.executionRecordUuid;
  const cluster = clusterId();
  const args = [id, 'swamp', 'swamp-pool', cluster, '0', '0'];

  const pre = await runProgram('jobhook', ['PreAssessment', ...args], scratch, env);
  expect(pre.exitCode).toBe(0);
  expect(pre.stdout).toBe('');
  expect((await adOf(condor, id))?.SWAMP_vmu_assessment_status).toBe('Starting docker container');
  const pid = Number((await readFile(join(scratch, `monitorjob_${cluster}.pid`), 'utf8')).trim());
  expect(alive(pid)).toBe(true);
  const er = (await db.select<{ status: string; vm_hostname: string; vm_username: string; vm_password: string; run_date: string }>(
    'SELECT status, vm_hostname, vm_username, vm_password, run_date FROM assessment.execution_record WHERE execution_record_uuid = ?',
    [id],
  ))[0];
  expect(er).toMatchObject({ status: 'Starting docker container', vm_hostname: `aswamp-${cluster}-0`, vm_username: 'builder' });
  expect(er?.vm_password).toMatch(/^[a-zA-Z0-9!_]{8}$/);

  const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_assessment_status');
  const machine = await runProgram('swamp-assessment-machine', ['--delay-ms', '700'], scratch, env);
  expect(machine.exitCode).toBe(0);
  // the monitor leaves after ENDASSESSMENT (and clears vm_password)
  await waitFor('monitorjob to exit', async () => (alive(pid) ? undefined : true), 20_000);
  const seen = await watch.stop();
  // The collector is polled, so a status replaced within a few ms ("Wrote ip address" is followed at
  // once by "Obtaining ... IP Address") may never be observed; the order of what is seen must hold.
  const order = [
    'Starting docker container',
    'Starting assessment run script',
    'Wrote ip address',
    'Obtaining Assessment Machine IP Address',
    'Performing assessment',
    'Shutting down the assessment machine',
  ];
  expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort((a, b) => a - b));
  expect(seen).toEqual(expect.arrayContaining(['Starting assessment run script', 'Performing assessment', 'Shutting down the assessment machine']));
  expect(seen.every((s) => order.includes(s))).toBe(true);
  const ip = await db.select<{ vm_ip_address: string; vm_password: string | null }>('SELECT vm_ip_address, vm_password FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]);
  expect(ip[0]).toEqual({ vm_ip_address: '127.0.0.1', vm_password: '' });

  const post = await runProgram('jobhook', ['PostAssessment', ...args], scratch, env);
  expect(post.exitCode).toBe(0);
  expect((await adOf(condor, id))?.SWAMP_vmu_assessment_status).toBe('Finished');
  const final = (await db.select<{ status: string; complete_flag: number; completion_date: string | null }>(
    'SELECT status, complete_flag, completion_date FROM assessment.execution_record WHERE execution_record_uuid = ?',
    [id],
  ))[0];
  expect(final).toMatchObject({ status: 'Finished', complete_flag: 1 });
  expect(final?.completion_date).not.toBeNull();
  const results = await db.select<{ file_path: string; weakness_cnt: number; log_path: string; status_out: string }>(
    'SELECT file_path, weakness_cnt, log_path, status_out FROM assessment.assessment_result WHERE execution_record_uuid = ?',
    [id],
  );
  expect(results).toHaveLength(1);
  expect(results[0]?.file_path).toMatch(new RegExp(`/projects/${run.projectUuid}/A-Results/[0-9a-f-]{36}/parsed_results\\.xml$`));
  expect(results[0]?.weakness_cnt).toBe(201);
  expect(await readFile(results[0]?.file_path as string, 'utf8')).toContain('<AnalyzerReport');
  expect((await readdir(join(RESULTS_DIR, id))).sort()).toEqual(expect.arrayContaining(['inputdisk.tar.gz', 'outputdisk.tar.gz', 'status.out', 'run.out']));
  // the per-job log of mirswamp/services perl/agents/vmu_perl_launcher
  const log = await readFile(join(LOG_DIR, `${id}_${cluster}.log`), 'utf8');
  expect(log).toContain('HTCondor jobhook PreAssessment exit result: 0');
  expect(log).toContain('HTCondor jobhook PostAssessment exit result: 0');
  expect(log).toContain('monitorjob exit');
  await rm(join(LOG_DIR, `${id}_${cluster}.log`), { force: true });
});

test('Finished with Warnings through the real hooks: the output archive lands beside the result, and CALL launch_viewer Native "warnings" reads it', async () => {
  const r = await assessThroughHooks(db, condor, 'warnings', cleanup);
  adNames.push(r.run.executionRecordUuid);
  expect(r.finalStatus).toBe('Finished with Warnings');
  const row = (await db.select<{ status_out_error_msg: string | null; status_out: string | null }>(
    'SELECT status_out_error_msg, status_out FROM assessment.assessment_result WHERE assessment_result_uuid = ?',
    [r.resultUuid],
  ))[0];
  expect(row?.status_out_error_msg).toBeNull();
  expect(row?.status_out).toMatch(/^PASS: install-os-dependencies[\s\S]*PASS: all +\S+s$/);
  // the legacy A-Results/<uuid>/ layout, made by PostAssessment (nothing built by hand here)
  expect((await readdir(dirname(r.filePath))).sort()).toEqual(['assessment-report.json', 'outputdisk.tar.gz', 'parsed_results.xml', 'snappy-c-1.0.tar.gz']);

  // the web's request for the warnings report, through the calling procedure (sys_eval as mysqld's user)
  // the installed tree and its swamp.conf (swapped for this test, restored after): what the DB runs
  const tree = installedTree();
  linkProgram(tree, 'launch_viewer');
  const dest = await mkdtemp('/tmp/swamp-nw-');
  cleanup.push(dest);
  await chmod(dest, 0o1777);
  await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
  // strict UDF: this tree's programs on the allowlist; Native reports only below outgoingFolder
  // (docs/security.md)
  appendFileSync(tree.config, `outgoingFolder = ${dest}/\n`);
  const restoreUdf = await extendSharedUdfConf(allowEntryPrograms(tree.bin));
  try {
    await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @lv_path, @lv_rs, @lv_vi)', [
      r.resultUuid, r.run.userUuid, '8f9213ef-5d04-11e3-9fa4-001a4a81450b', r.run.projectUuid, `${dest}/`, 'warnings',
    ]);
  } finally {
    restoreUdf();
    tree.remove();
  }
  const out = (await db.select<{ path: string | null; rs: string | null }>('SELECT @lv_path AS path, @lv_rs AS rs', []))[0];
  expect(out).toEqual({ path: `${dest}/${r.resultUuid}/failedreport.json`, rs: 'SUCCESS' });
  const report = JSON.parse(await readFile(out?.path as string, 'utf8')) as { status: { name: string }[] };
  expect(report.status.length).toBeGreaterThan(0);
});

test('monitorjob: event-to-collector latency and resident memory', async () => {
  const { run, scratch } = await prepareRun();
  const id = run.executionRecordUuid;
  const cluster = clusterId();
  // the BOG where PreAssessment leaves it
  const tar = await import('tar');
  await tar.x({ file: join(scratch, `${id}_submitbundle.tar.gz`), cwd: scratch });
  await mkdir(join(scratch, 'out'), { recursive: true });
  await writeFile(join(scratch, 'out', 'job_events.log'), '');
  const { spawnDetached } = await import('../../../lib/cli/detach.js');
  const logFile = join(LOG_DIR, `${id}_${cluster}.log`);
  const pid = await spawnDetached(join(BIN, 'monitorjob'), ['MonitorAssessment', id, 'swamp', 'swamp-pool', cluster, '0', '0'], {
    cwd: scratch,
    env: { ...env, SWAMP_PROGRAM: 'monitorjob' },
    outputFile: logFile,
  });
  await new Promise((r) => setTimeout(r, 1500)); // started and settled
  const rssIdle = await rssKiB(pid);
  const words: [string, string][] = [
    ['RUNSHSTART', 'Starting assessment run script'],
    ['BEGINASSESSMENT', 'Performing assessment'],
    ['CONNECTEDUSERS', 'Checking for connected users'],
  ];
  const latencies: number[] = [];
  const rss: number[] = [];
  for (const [word, status] of words) {
    const t0 = Date.now();
    await appendFile(join(scratch, 'out', 'job_events.log'), `${word}\n`);
    await waitFor(status, async () => ((await adOf(condor, id))?.SWAMP_vmu_assessment_status === status ? true : undefined), 10_000, 10);
    latencies.push(Date.now() - t0);
    rss.push((await rssKiB(pid)) ?? 0);
    await new Promise((r) => setTimeout(r, 300));
  }
  // a burst written in one go: every word is published, the last one wins
  await appendFile(join(scratch, 'out', 'job_events.log'), 'WROTEIPADDR\nENDASSESSMENT\n');
  await writeFile(join(scratch, 'out', 'job_ip_address.txt'), '127.0.0.1\n');
  await waitFor('ENDASSESSMENT', async () => ((await adOf(condor, id))?.SWAMP_vmu_assessment_status === 'Shutting down the assessment machine' ? true : undefined), 15_000, 20);
  await waitFor('monitorjob exit', async () => (alive(pid) ? undefined : true), 15_000);
  const sorted = [...latencies].sort((a, b) => a - b);
  process.stderr.write(
    `MEASURE monitorjob event-to-collector latency ms: ${latencies.join(', ')} (median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted[sorted.length - 1]}); VmRSS KiB idle ${rssIdle}, after events: ${rss.join(', ')}\n`,
  );
  expect(Math.max(...latencies)).toBeLessThan(1000);
  const logText = await readFile(logFile, 'utf8');
  expect(logText).toContain('"reason":"ENDASSESSMENT"');
  await rm(logFile, { force: true });
});

test('a hook with a hostile id does nothing and fails', async () => {
  const scratch = await scratchDir('swamp-hook-bad-');
  cleanup.push(scratch);
  const r = await runProgram('jobhook', ['PreAssessment', `${randomUUID()}'; touch /tmp/owned #`, 'swamp', 'd', '1', '0', '0'], scratch, env);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/invalid run id/);
  expect(await readdir(scratch)).toEqual([]);
});

test('PostAssessment never follows a symlink out of the scratch dir (out/status.out, out/run.out, in/<package>)', async () => {
  const { run, scratch } = await prepareRun();
  const id = run.executionRecordUuid;
  const cluster = clusterId();
  const args = [id, 'swamp', 'swamp-pool', cluster, '0', '0'];
  expect((await runProgram('jobhook', ['PreAssessment', ...args], scratch, env)).exitCode).toBe(0);
  const pid = Number((await readFile(join(scratch, `monitorjob_${cluster}.pid`), 'utf8')).trim());
  expect((await runProgram('swamp-assessment-machine', ['--delay-ms', '100'], scratch, env)).exitCode).toBe(0);
  await waitFor('monitorjob to exit', async () => (alive(pid) ? undefined : true), 20_000);
  // The job owner replaces its outputs by links to files it must not publish (the case was
  // <mariadb data>/mysql/global_priv.MAD; any file outside the sandbox stands for it here).
  const outside = await scratchDir('swamp-hook-secret-');
  cleanup.push(outside);
  const secret = join(outside, 'global_priv.MAD');
  await writeFile(secret, 'TOP-SECRET-PASSWORD-HASH\n');
  const pkg = (await readFile(join(scratch, 'in', 'package.conf'), 'utf8')).match(/^package-archive=(.*)$/m)?.[1] as string;
  for (const f of ['out/status.out', 'out/run.out', `in/${pkg}`, 'out/versions.txt']) {
    await rm(join(scratch, f), { force: true });
    await symlink(secret, join(scratch, f));
  }
  const post = await runProgram('jobhook', ['PostAssessment', ...args], scratch, env);
  expect(post.exitCode).toBe(0);
  // nothing of the secret anywhere we store or publish; the file itself unchanged
  expect(await readFile(secret, 'utf8')).toBe('TOP-SECRET-PASSWORD-HASH\n');
  const stored = await db.select<{ status_out: string | null }>('SELECT status_out FROM assessment.assessment_result WHERE execution_record_uuid = ?', [id]);
  for (const r of stored) expect(r.status_out ?? '').not.toContain('TOP-SECRET');
  const grep = async (dir: string): Promise<string[]> => {
    const hits: string[] = [];
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || e.name.endsWith('.gz')) continue;
      const p = join(e.parentPath, e.name);
      if ((await readFile(p, 'latin1')).includes('TOP-SECRET')) hits.push(p);
    }
    return hits;
  };
  expect(await grep(join(RESULTS_DIR, id))).toEqual([]);
  expect(await grep(join(PROJECTS_DIR, run.projectUuid)).catch(() => [])).toEqual([]);
  const status = (await db.select<{ status: string }>('SELECT status FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0]?.status;
  expect(status).toMatch(/^Finished with Errors/);
  const log = await readFile(join(LOG_DIR, `${id}_${cluster}.log`), 'utf8');
  expect(log).toMatch(/is a symbolic link|outside/);
  await rm(join(LOG_DIR, `${id}_${cluster}.log`), { force: true });
});
