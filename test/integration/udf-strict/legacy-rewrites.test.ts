/**
 * The strict-safe rewrites of legacy SWAMP procedures outside this backend (sql/60_strict_safe_procs.sql,
 * docs/udf-strict.md section 4) on a private mariadbd in strict mode that allows /usr/bin/{mkdir,cp,chmod,
 * rm,sha512sum}: the legacy command strings are refused, the rewritten ones do the work, and a
 * file name with spaces, quotes and non-ASCII is copied, not interpreted. The copies run under a
 * temporary root (@swamp_files_root, tests only) instead of /swamp.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedResult, seedUserProject, startInstance, type Instance } from './support.js';

let inst: Instance;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'swamp-files-'));
  chmodSync(root, 0o777);
  inst = await startInstance('rewrites', ['mode = strict', ...['mkdir', 'cp', 'chmod', 'rm', 'sha512sum'].map((p) => `allow = /usr/bin/${p}`)]);
  await inst.db.execute('SET @swamp_files_root = ?', [root]);
}, 120_000);

afterAll(async () => {
  await inst?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

async function sysExec(cmd: string): Promise<number | null> {
  const v = (await inst.db.select<{ r: number | string | null }>('SELECT sys_exec(?) AS r', [cmd]))[0]?.r;
  return v === null || v === undefined ? null : Number(v);
}

test('the legacy command strings are refused in strict mode', async () => {
  const d = `${root}/swamp/outgoing/${randomUUID()}`;
  expect(await sysExec(`[ -d ${d} ] || mkdir -p ${d}`)).toBe(126 * 256); // download_results
  expect(await sysExec(`mkdir -p ${d}`)).toBe(126 * 256); // download, metric.insert_results
  expect(await sysExec(`sha512sum ${root}/x`)).toBe(126 * 256); // package_store / tool_shed (sys_eval there)
  expect(existsSync(d)).toBe(false);
  const log = inst.newLogLines();
  expect(log).toContain("strict mode refused sys_exec (unquoted '[' (glob, tilde or brace expansion) at byte 0)");
  expect(log).toContain("strict mode refused sys_exec (program 'mkdir' is not an absolute path)");
});

test('sh_quote makes any value one word in both modes', async () => {
  const rows = await inst.db.select<{ q: string }>('SELECT assessment.sh_quote(?) AS q', ["it's a \"x\" $(y) ü"]);
  expect(rows[0]?.q).toBe(`'it'\\''s a "x" $(y) ü'`);
});

test('download_results: copies a result whose name has spaces, quotes and non-ASCII; nothing injected', async () => {
  const user = randomUUID();
  const project = randomUUID();
  await seedUserProject(inst.db, user, project);
  await inst.db.execute("INSERT IGNORE INTO assessment.system_setting (system_setting_code, system_setting_value) VALUES ('OUTGOING_BASE_URL', 'https://swamp.example/results/')");
  const srcDir = path.join(root, 'swamp', 'SCAProjects', project);
  mkdirSync(srcDir, { recursive: true, mode: 0o755 });
  chmodSync(path.join(root, 'swamp'), 0o777); // mariadbd's user creates swamp/outgoing/
  const name = "it's \"parsed\" $(touch m) `touch n` ü.xml"; // a touch would land in the datadir
  writeFileSync(path.join(srcDir, name), '<AnalyzerReport/>\n', { mode: 0o644 });
  const ruuid = await seedResult(inst.db, { projectUuid: project, filePath: path.join(srcDir, name) });
  await inst.db.execute('CALL assessment.download_results(?, ?, ?, @url, @file, @rs)', [ruuid, user, 'scarf']);
  const r = (await inst.db.select<{ url: string; file: string; rs: string }>('SELECT @url AS url, @file AS file, @rs AS rs'))[0]!;
  expect(r.rs).toBe('SUCCESS');
  expect(r.file.startsWith(`${root}/swamp/outgoing/`)).toBe(true);
  expect(path.basename(r.file)).toBe(name);
  expect(readFileSync(r.file, 'utf8')).toBe('<AnalyzerReport/>\n');
  expect(r.url).toBe(`https://swamp.example/results/${path.basename(path.dirname(r.file))}/${name}`);
  expect(statSync(path.dirname(r.file)).mode & 0o777).toBe(0o777);
  for (const m of ['m', 'n']) expect(existsSync(path.join(inst.dir, 'instance', 'data', m))).toBe(false);
  expect(inst.newLogLines()).not.toContain('refused');
});

test('tool_shed.add_tool_version: cp -r, rm -rf of the upload, chmod, sha512sum', async () => {
  const tv = randomUUID();
  await inst.db.execute('INSERT INTO tool_shed.tool_version (tool_version_uuid, tool_uuid) VALUES (?, ?)', [tv, randomUUID()]);
  const upload = `up ${randomUUID()}`;
  const inc = path.join(root, 'swamp', 'incoming', upload);
  mkdirSync(inc, { recursive: true, mode: 0o777 });
  chmodSync(path.join(root, 'swamp', 'incoming'), 0o777);
  chmodSync(inc, 0o777);
  const body = 'tool archive\n';
  writeFileSync(path.join(inc, "t'ool.tar.gz"), body, { mode: 0o644 });
  mkdirSync(path.join(root, 'swamp', 'store', 'SCATools'), { recursive: true });
  chmodSync(path.join(root, 'swamp', 'store', 'SCATools'), 0o777);
  chmodSync(path.join(root, 'swamp', 'store'), 0o777);
  chmodSync(path.join(root, 'swamp'), 0o777);
  await inst.db.execute('CALL tool_shed.add_tool_version(?, ?, @st, @msg)', [tv, `${upload}/t'ool.tar.gz`]);
  const r = (await inst.db.select<{ st: string; msg: string }>('SELECT @st AS st, @msg AS msg'))[0]!;
  expect(r).toEqual({ st: 'SUCCESS', msg: 'Tool sucessfully moved to storage' });
  const row = (await inst.db.select<{ tool_path: string; checksum: string }>('SELECT tool_path, checksum FROM tool_shed.tool_version WHERE tool_version_uuid = ?', [tv]))[0]!;
  expect(row.tool_path).toBe(path.join(root, 'swamp', 'store', 'SCATools', upload, "t'ool.tar.gz"));
  expect(row.checksum).toBe(createHash('sha512').update(body).digest('hex'));
  expect(existsSync(inc)).toBe(false); // the upload was removed
});

describe('table values that would name a directory instead of the intended file', () => {
  function incomingWith(keep: string): string {
    const inc = path.join(root, 'swamp', 'incoming');
    mkdirSync(path.join(inc, keep), { recursive: true, mode: 0o777 });
    writeFileSync(path.join(inc, keep, 'other-upload.tar.gz'), 'someone else\n', { mode: 0o644 });
    return inc;
  }

  test.each([
    ['no file name (no /)', 'x'],
    ['empty', ''],
    ['climbing to the parent', '../keep-me/x'],
    ['dot directory', './x'],
    ['three components', 'a/b/c'],
    ['file name ..', 'a/..'],
  ])('add_tool_version: %s is refused, nothing removed or copied', async (_what, toolPath) => {
    const inc = incomingWith(`keep ${randomUUID()}`);
    const before = readdirSync(inc).sort();
    const storeDir = path.join(root, 'swamp', 'store', 'SCATools');
    mkdirSync(storeDir, { recursive: true });
    const storeBefore = readdirSync(storeDir).sort();
    const tv = randomUUID();
    await inst.db.execute('INSERT INTO tool_shed.tool_version (tool_version_uuid, tool_uuid) VALUES (?, ?)', [tv, randomUUID()]);
    await inst.db.execute('CALL tool_shed.add_tool_version(?, ?, @st, @msg)', [tv, toolPath]);
    const r = (await inst.db.select<{ st: string; msg: string }>('SELECT @st AS st, @msg AS msg'))[0]!;
    expect(r).toEqual({ st: 'ERROR', msg: 'Invalid tool path' });
    expect(readdirSync(inc).sort()).toEqual(before);
    expect(readdirSync(storeDir).sort()).toEqual(storeBefore);
    expect(existsSync(path.join(root, 'swamp', 'store', 'keep-me'))).toBe(false);
  });

  test.each([['no file name', 'x'], ['climbing', '../keep-me/x']])('add_package_version: %s is refused', async (_what, p) => {
    const pv = randomUUID();
    await inst.db.execute('INSERT INTO package_store.package_version (package_version_uuid, package_uuid) VALUES (?, ?)', [pv, randomUUID()]);
    await inst.db.execute('CALL package_store.add_package_version(?, ?, @st, @msg)', [pv, p]);
    const r = (await inst.db.select<{ st: string; msg: string }>('SELECT @st AS st, @msg AS msg'))[0]!;
    expect(r).toEqual({ st: 'ERROR', msg: 'Invalid package path' });
  });

  test.each([
    ['outside the swamp root', '/etc/passwd'],
    ['climbing out', 'ROOT/swamp/SCAProjects/../../../etc/passwd'],
    ['a directory', 'ROOT/swamp/SCAProjects/'],
  ])('download_results: a result path %s is refused, nothing copied', async (_what, p) => {
    const user = randomUUID();
    const project = randomUUID();
    await seedUserProject(inst.db, user, project);
    const ruuid = await seedResult(inst.db, { projectUuid: project, filePath: p.replace('ROOT', root) });
    const out = path.join(root, 'swamp', 'outgoing');
    mkdirSync(out, { recursive: true });
    const before = readdirSync(out).sort();
    await inst.db.execute('CALL assessment.download_results(?, ?, ?, @url, @file, @rs)', [ruuid, user, 'scarf']);
    const r = (await inst.db.select<{ rs: string }>('SELECT @rs AS rs'))[0]!;
    expect(r.rs).toBe('ERROR: INVALID FILE PATH');
    expect(readdirSync(out).sort()).toEqual(before);
  });
});
