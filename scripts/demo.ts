/**
 * make demo: the production path on the local setup, from SQL, the way MariaDB drives it.
 *   1. CALL assessment.execute_execution_record  -> the run goes through HTCondor to `Finished`
 *   2. CALL assessment.launch_viewer (Native)     -> the stored SCARF result becomes nativereport.json
 *   3. CALL assessment.execute_execution_record + CALL assessment.kill_assessment_run on a long run
 * Prints what the database and the collector show at each step. Needs `make services` (make demo does it).
 */
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, getExecutionRecord, type Db } from '../lib/db/index.js';
import { isExactly, queryAds } from '../lib/htcondor/index.js';
import { seedAssessmentRun } from '../test/integration/helpers/db-seed.js';

const ROOT = process.env.SWAMP_ROOT ?? process.cwd();
const NATIVE_VIEWER = '8f9213ef-5d04-11e3-9fa4-001a4a81450b';
// tools by absolute path (no PATH search, docs/security.md)
const ctx = { timeoutMs: 30_000, toolDir: `${process.env.SWAMP_CONDOR_HOST ?? '/opt/swamp-condor/host'}/bin` };
const t0 = Date.now();

function say(line: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
}

async function seed(db: Db, machineConf: string, name: string) {
  const base = await mkdtemp('/tmp/swamp-demo-');
  await chmod(base, 0o755);
  const pkg = join(base, `${name}-1.0.tar.gz`);
  await writeFile(pkg, 'package archive\n');
  const inFiles = join(base, 'gcc-warn-0.9', 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true });
  await writeFile(join(inFiles, 'machine.conf'), machineConf);
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: name, launchFlag: 1, launchCounter: 1 });
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [pkg, run.packageVersionUuid]);
  await db.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [join(base, 'gcc-warn-0.9.tar.gz'), run.toolVersionUuid]);
  return run;
}

async function launch(db: Db, id: string): Promise<void> {
  const t = Date.now();
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  const rc = (await db.select<{ rc: number }>('SELECT @rc AS rc'))[0]?.rc;
  say(`CALL assessment.execute_execution_record('${id}', @rc) -> @rc = ${rc} in ${Date.now() - t} ms`);
}

/** Prints every new status (collector ad and DB) until `until` says stop. */
async function follow(db: Db, id: string, until: (s: string) => boolean, timeoutMs: number): Promise<string> {
  let lastAd = '';
  let lastDb = '';
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ad = (await queryAds(ctx, { constraint: isExactly('Name', id) }))[0];
    const adStatus = typeof ad?.SWAMP_vmu_assessment_status === 'string' ? ad.SWAMP_vmu_assessment_status : '';
    const dbStatus = (await getExecutionRecord(db, id))?.status ?? '';
    if (adStatus !== lastAd) say(`  collector: ${adStatus}`);
    if (dbStatus !== lastDb) say(`  database:  ${dbStatus}`);
    lastAd = adStatus;
    lastDb = dbStatus;
    if (until(adStatus) && until(dbStatus)) return dbStatus;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no final status for ${id} within ${timeoutMs / 1000} s (last: ${lastDb} / ${lastAd})`);
}

async function main(): Promise<void> {
  const db = await connect({
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3407),
    user: process.env.MYSQL_USER ?? 'swamp',
    password: process.env.MYSQL_PWD ?? '',
    connectTimeoutMs: 10_000,
  });
  try {
    say('1. an assessment, launched from SQL, runs on the local platform: a simulated assessment machine');
    say('   (HTCondor, the hooks, the monitor and the database are real; the machine replays a canned gcc result)');
    const a = await seed(db, 'outcome=pass\ndelay_ms=300\n', 'snappy-c');
    await launch(db, a.executionRecordUuid);
    await follow(db, a.executionRecordUuid, (s) => s.startsWith('Finished'), 180_000);
    const result = (await db.select<{ u: string; p: string }>('SELECT assessment_result_uuid AS u, file_path AS p FROM assessment.assessment_result WHERE execution_record_uuid = ?', [a.executionRecordUuid]))[0];
    if (!result) throw new Error('no assessment_result row');
    say(`  result stored: ${result.p}`);

    say('2. the Native viewer turns the stored SCARF result into a report, inside the SQL call');
    const t = Date.now();
    await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @path, @str, @inst)', [
      result.u,
      a.userUuid,
      NATIVE_VIEWER,
      a.projectUuid,
      `${join(ROOT, '.local', 'swamp', 'outgoing')}/`,
      'results',
    ]);
    const v = (await db.select<{ path: string; str: string }>('SELECT @path AS path, @str AS str'))[0];
    say(`CALL assessment.launch_viewer(... Native ...) -> return_string = ${v?.str}, return_path = ${v?.path} (${Date.now() - t} ms)`);
    if (v?.path) {
      const report = JSON.parse(await readFile(v.path, 'utf8')) as { AnalyzerReport?: { BugInstances?: unknown[] } } & Record<string, unknown>;
      const bugs = (report.AnalyzerReport as { BugInstances?: unknown[] } | undefined)?.BugInstances?.length;
      say(`  report: ${Object.keys(report).join(', ')}${bugs !== undefined ? `; ${bugs} bug instances` : ''}`);
    }

    say('3. a long assessment (simulated assessment machine), killed from SQL while it runs');
    const b = await seed(db, 'outcome=pass\ndelay_ms=20000\n', 'zlib');
    await launch(db, b.executionRecordUuid);
    await follow(db, b.executionRecordUuid, (s) => s === 'Performing assessment' || s.startsWith('Starting') || s === 'Starting assessment run script', 120_000).catch(() => undefined);
    const tk = Date.now();
    await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [b.executionRecordUuid, '1']);
    const rs = (await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs;
    say(`CALL assessment.kill_assessment_run('${b.executionRecordUuid}', '1', @rs) -> ${rs} in ${Date.now() - tk} ms`);
    // The removed job's post hook may write 'Finished with Errors' first; killjob's final status
    // (Terminated, Terminate Status Unknown, Terminate Failed) replaces it once the job has left.
    await follow(db, b.executionRecordUuid, (s) => s.startsWith('Terminate') && s !== 'Terminating', 200_000);
    say('done: logs in .local/inst/opt/swamp/log/, results in .local/inst/swamp/projects/ and .local/swamp/outgoing/');
  } finally {
    await db.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
