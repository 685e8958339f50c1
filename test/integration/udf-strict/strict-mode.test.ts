/**
 * Strict mode of our UDF (docs/udf-strict.md) through the real calling procedures of the schema
 * fixture: assessment.launch_viewer (Native and CodeDX), assessment.kill_assessment_run and
 * assessment.execute_execution_record, on a private mariadbd whose UDF config says `mode = strict`
 * and allows only the recording programs. Hostile values in every user-controlled field run
 * nothing (no marker appears, no program is started, each refusal is one error-log line); honest
 * but awkward values reach our programs byte for byte. shell-mode.test.ts runs the same hostile
 * values in the default mode, where they do run: the reason strict mode exists.
 */
import { randomUUID } from 'node:crypto';
import {
  CODEDX, HONEST, HexRecorder, NATIVE, executeRecord, killRun, launchViewer, markerDir, markers, seedHostileWorld,
  seedResult, seedUserProject, startInstance, type Instance,
} from './support.js';

let inst: Instance;
let bin: HexRecorder;
let marks: string;

beforeAll(async () => {
  bin = new HexRecorder();
  marks = markerDir();
  inst = await startInstance('strict', [
    'mode = strict',
    `allow = ${bin.path('execute_execution_record')}`,
    `allow = ${bin.path('launch_viewer')}`,
    `allow = ${bin.path('kill_run')}`,
    'allow = /usr/bin/sleep',
    'allow = /nonexistent/program',
  ]);
  await inst.db.execute('SET @swamp_bin_dir = ?', [bin.dir]);
}, 120_000);

afterAll(async () => {
  await inst?.stop();
  bin?.remove();
  if (marks) (await import('node:fs')).rmSync(marks, { recursive: true, force: true });
}, 60_000);

beforeEach(() => {
  bin.clear();
  inst.newLogLines();
});

test('hostile values in every field: nothing runs, every caller sees an error, each refusal is logged', async () => {
  const world = await seedHostileWorld(inst.db, marks);
  bin.setStdout('launch_viewer', 'SUCCESS\n');
  const r = await world.runAll(inst.db);

  expect(markers(marks)).toEqual([]); // no injected command ran
  expect(bin.calls()).toEqual([]); // not even our own programs: the whole command is refused
  // refusals are errors for the callers: sys_eval NULL, sys_exec 126 (wait status 126 << 8)
  expect(r.native.rs).toBe('ERROR FILE XFM');
  expect(r.codedx.rs).toBe('Error Launching Viewer');
  expect(r.kill).toBe('ERROR');
  expect(r.exec).toBe(126 * 256);
  expect(r.execLong).toBe(126 * 256);

  const log = inst.newLogLines().split('\n').filter((l) => l.includes('sys_udf:'));
  expect(log).toHaveLength(5);
  for (const l of log) expect(l).toMatch(/\[Warning\] sys_udf: strict mode refused sys_(exec|eval) \(unquoted '.'|newline outside quotes/);
  expect(log.filter((l) => l.includes(`"${bin.dir}/execute_execution_record a;touch ${marks}/exec"`))).toHaveLength(1);
  expect(log.filter((l) => l.includes(`refused sys_eval`) && l.includes(`${bin.dir}/launch_viewer --viewer_name`))).toHaveLength(2);
  // a newline in a value cannot forge a log line: it is written as \n
  expect(log.every((l) => l.includes('" ') || l.endsWith('"') || l.includes('bytes)'))).toBe(true);
});

test('each hostile style on its own, in one field (kill id), is refused', async () => {
  const payloads = [
    `x'; touch ${marks}/a; '`, `'$(touch ${marks}/b)'`, `'\`touch ${marks}/c\`'`, `x' | touch ${marks}/d | '`,
    `x'\ntouch ${marks}/e\n'`, `x' && touch ${marks}/f; '`, `x' > ${marks}/g '`, `x' < /etc/passwd '`, `x' (touch) '`,
    `unbalanced'`, `x' $HOME '`, `x' *`,
  ];
  for (const p of payloads) expect(await killRun(inst.db, p, '1')).toBe('ERROR');
  expect(markers(marks)).toEqual([]);
  expect(bin.calls()).toEqual([]);
  const log = inst.newLogLines().split('\n').filter((l) => l.includes('strict mode refused sys_exec'));
  expect(log).toHaveLength(payloads.length);
  expect(log[0]).toContain("unquoted ';'");
  expect(log[1]).toContain("unquoted '$'");
  expect(log[2]).toContain("unquoted '`'");
  expect(log[3]).toContain("unquoted '|'");
  expect(log[4]).toContain('newline outside quotes');
  expect(log[9]).toContain('unbalanced single quote');
});

test('a program off the allowlist or a relative one is refused, with its name in the log', async () => {
  await inst.db.execute('SET @swamp_bin_dir = ?', ['/usr/bin']);
  try {
    expect(await killRun(inst.db, 'M-1', '1')).toBe('ERROR');
    expect(await executeRecord(inst.db, randomUUID())).toBe(126 * 256);
  } finally {
    await inst.db.execute('SET @swamp_bin_dir = ?', [bin.dir]);
  }
  const log = inst.newLogLines();
  expect(log).toContain("strict mode refused sys_exec (program '/usr/bin/kill_run' is not on the allowlist)");
  expect(log).toContain("strict mode refused sys_exec (program '/usr/bin/execute_execution_record' is not on the allowlist)");
  const rows = await inst.db.select<{ o: Buffer | null }>("SELECT sys_eval('sh -c id') AS o");
  expect(rows[0]?.o).toBeNull();
  expect(inst.newLogLines()).toContain("program 'sh' is not an absolute path");
});

test('an allowed program that cannot be started: sys_exec 127 (like the shell), sys_eval NULL, logged', async () => {
  expect(Number((await inst.db.select<{ r: number }>("SELECT sys_exec('/nonexistent/program x') AS r"))[0]?.r)).toBe(127 * 256);
  expect((await inst.db.select<{ o: Buffer | null }>("SELECT sys_eval('/nonexistent/program x') AS o"))[0]?.o).toBeNull();
  const log = inst.newLogLines();
  expect(log).toContain("strict mode could not start sys_exec program '/nonexistent/program': No such file or directory");
  expect(log).toContain("strict mode could not start sys_eval program '/nonexistent/program'");
});

test('Native: honest values reach launch_viewer byte for byte', async () => {
  const user = randomUUID();
  const project = randomUUID();
  await seedUserProject(inst.db, user, project);
  const ruuid = randomUUID();
  const dir = `/swamp/SCAProjects/${project}/A-Results/${ruuid}/`;
  const filePath = dir + `résultats "final" $x ${'n'.repeat(200)}`.slice(0, 200 - dir.length);
  expect(filePath).toHaveLength(200);
  await seedResult(inst.db, {
    resultUuid: ruuid, projectUuid: project, filePath,
    packageName: HONEST.packageName, packageVersion: HONEST.packageVersion, toolName: HONEST.toolName,
    toolVersion: HONEST.toolVersion, platformName: HONEST.platformName, platformVersion: HONEST.platformVersion,
  });
  bin.setStdout('launch_viewer', 'nativereport.json\n');
  const r = await launchViewer(inst.db, ruuid, user, NATIVE, project, HONEST.destBase, HONEST.resultsType);
  expect(r.rs).toBe('SUCCESS');
  expect(r.path).toBe(`${HONEST.destBase}${ruuid}/nativereport.json`);
  const expected = [
    '--viewer_name', 'Native', '--results_type', HONEST.resultsType, '--file_path', filePath,
    '--outdir', HONEST.destBase + ruuid, '--package_name', HONEST.packageName, '--package_version', HONEST.packageVersion,
    '--tool_name', HONEST.toolName, '--tool_version', HONEST.toolVersion, '--platform_name', HONEST.platformName,
    '--platform_version', HONEST.platformVersion, '--user_uuid', user,
  ];
  const calls = bin.calls();
  expect(calls).toHaveLength(1);
  expect(calls[0]?.program).toBe('launch_viewer');
  expect(calls[0]?.args.map((b) => b.toString('hex'))).toEqual(expected.map((s) => Buffer.from(s, 'utf8').toString('hex')));
  expect(inst.newLogLines()).not.toContain('sys_udf');
});

test('CodeDX: honest values reach launch_viewer byte for byte; the stored instance paths too', async () => {
  const user = randomUUID();
  const project = randomUUID();
  await seedUserProject(inst.db, user, project);
  const r1 = await seedResult(inst.db, {
    projectUuid: project, filePath: '/swamp/a b/ü "1".xml', sourceArchivePath: '/swamp/src/zlib 1.2 (ß).tar.gz',
    packageName: HONEST.packageName, toolName: HONEST.toolName,
  });
  const r2 = await seedResult(inst.db, { projectUuid: project, filePath: '/swamp/c\td/$(x) `y`.xml' });
  bin.setStdout('launch_viewer', 'SUCCESS\n');
  const r = await launchViewer(inst.db, `${r1},${r2}`, user, CODEDX, project, '/swamp/outgoing/', 'results');
  expect(r.rs).toBe('SUCCESS');
  expect(bin.callsUtf8()).toEqual([{
    program: 'launch_viewer',
    args: ['--viewer_name', 'CodeDX', '--project', project, '--viewer_uuid', r.inst, '--user_uuid', user,
      '--package', HONEST.packageName, '--tool_name', HONEST.toolName, '--source_archive_path', '/swamp/src/zlib 1.2 (ß).tar.gz',
      '--file_path', '/swamp/a b/ü "1".xml', '--file_path', '/swamp/c\td/$(x) `y`.xml'],
  }]);
  // the bundle the viewer stored earlier comes back unchanged
  await inst.db.execute('CALL viewer_store.store_viewer(?, ?, ?, ?, ?, @r)', [r.inst, '/swamp/db bundles/ü.tar.gz', 'sum "x"', 'img', 'codedx-5']);
  bin.clear();
  await launchViewer(inst.db, null, user, CODEDX, project, '/swamp/outgoing/', 'results');
  expect(bin.callsUtf8()[0]?.args.slice(4, 8)).toEqual(['--viewer_db_path', '/swamp/db bundles/ü.tar.gz', '--viewer_db_checksum', 'sum "x"']);
});

test('kill_run and execute_execution_record: honest ids pass unchanged', async () => {
  const id = `M-${randomUUID()}`;
  expect(await killRun(inst.db, id, '1')).toBe('SUCCESS');
  expect(await killRun(inst.db, 'a b "c" ü', null)).toBe('SUCCESS');
  const uuid = randomUUID();
  expect(await executeRecord(inst.db, uuid)).toBe(0);
  expect(bin.callsUtf8()).toEqual([
    { program: 'kill_run', args: ['--execution_record_uuid', id, '--hard', '1'] },
    { program: 'kill_run', args: ['--execution_record_uuid', 'a b "c" ü'] },
    { program: 'execute_execution_record', args: [uuid] },
  ]);
});

test('known limit: a quote without operators still splits the value into extra arguments (no command runs)', async () => {
  // production wraps values in '…' without escaping (mirswamp/db Data Server/Assessment/assessment_procs.sql, mirswamp/services perl/agents/vmu_launchviewer.pl); strict mode stops
  // commands, not argument injection into our own program, which must validate its options
  expect(await killRun(inst.db, "x' --hard 'evil", '1')).toBe('SUCCESS');
  expect(bin.callsUtf8()).toEqual([{ program: 'kill_run', args: ['--execution_record_uuid', 'x', '--hard', 'evil', '--hard', '1'] }]);
});

test('the child gets a fixed minimal environment, nothing of the server (e.g. SWAMP_UDF_CONF)', async () => {
  expect(await killRun(inst.db, 'M-env', null)).toBe('SUCCESS');
  const env = bin.env('kill_run');
  delete env.PWD; // set by the recording /bin/sh script itself
  expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'LOGNAME', 'PATH', 'SHELL', 'USER']);
  expect(env.PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  expect(env.LANG).toBe('C.UTF-8');
  expect(env.SHELL).toBe('/bin/sh');
  expect(env.USER).toBe(env.LOGNAME);
});

test('the timeout applies in strict mode too (process group killed)', async () => {
  const t0 = Date.now();
  const rows = await inst.db.select<{ r: number | string | null }>('SELECT sys_exec(?, 1) AS r', ['/usr/bin/sleep 30']);
  expect(Number(rows[0]?.r)).toBe(9); // raw wait status: killed by SIGKILL
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(inst.newLogLines()).toContain('sys_exec timed out, process group killed');
});

test('without allow lines the allowlist is our three entry programs in /usr/local/bin', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const conf = `${inst.dir}/sys_udf.conf`;
  const saved = readFileSync(conf, 'utf8');
  writeFileSync(conf, 'mode = strict\n'); // read again by the next statement
  try {
    const st = async (cmd: string): Promise<number> => Number((await inst.db.select<{ r: number }>('SELECT sys_exec(?) AS r', [cmd]))[0]?.r);
    // accepted (not installed on this host, so "not found"), not refused
    expect(await st('/usr/local/bin/kill_run --execution_record_uuid x')).toBe(127 * 256);
    expect(await st('/usr/local/bin/execute_execution_record x')).toBe(127 * 256);
    expect(await st('/usr/local/bin/launch_viewer x')).toBe(127 * 256);
    expect(await st('/usr/bin/sleep 0')).toBe(126 * 256);
    expect(await st(`${bin.path('kill_run')} x`)).toBe(126 * 256);
  } finally {
    writeFileSync(conf, saved);
  }
});
