/**
 * Hostile values in every field that reaches a command, through the real calling procedures (the
 * legacy ones, unchanged: sql/30_assessment_procs.sql) and our real programs, in strict mode
 * (docs/security.md). For each field and each payload:
 *   - no program other than ours ran (no marker of an injected command, no attacker condor_* ran);
 *   - no attacker config was loaded (its logDir and htcondor_root stay untouched);
 *   - no file outside the configured roots was read or written (the secret never shows up under the
 *     tree, nothing new appears outside it);
 *   - the DB status is an error, not SUCCESS — except where the value stays ONE argument that is
 *     data by nature: a free-text field (a package or tool name with `"`, `$(…)`, `;`, `../`, a
 *     leading `-`) or a path below the data root that is exactly the table's value; there SUCCESS is
 *     the honest answer and the checks above are what matters;
 *   - every refusal left a log line: the UDF's (mariadbd's error log) or our program's.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { allBytes, CODEDX, honestResultFile, listTree, NATIVE, seedResult, seedUserProject, startWorld, type World } from './world.js';

jest.setTimeout(600_000);

let w: World;
let kit: string[];

beforeAll(async () => {
  w = await startWorld();
  kit = listTree(w.marks);
}, 180_000);

afterAll(async () => {
  await w?.stop();
});

type Shape = 'uuid' | 'text' | 'path' | 'dest' | 'word';

interface Payload {
  name: string;
  value: (marker: string) => string;
  /** The value breaks out of its quotes (or is a newline): never a legitimate single value. */
  breaks: boolean;
}

/** The twelve payloads of the brief plus a --file_path injection at the secret. */
function payloads(w: World): Payload[] {
  return [
    { name: "'", value: () => "x' 'y", breaks: true },
    { name: '"', value: () => 'x"y', breaks: false },
    { name: '$(...)', value: (m) => `$(touch ${m})`, breaks: false },
    { name: 'backticks', value: (m) => `\`touch ${m}\``, breaks: false },
    { name: ';', value: (m) => `x; touch ${m}`, breaks: false },
    { name: '|', value: (m) => `x | touch ${m}`, breaks: false },
    { name: '&&', value: (m) => `x && touch ${m}`, breaks: false },
    { name: 'newline', value: (m) => `x\ntouch ${m}`, breaks: true },
    { name: 'leading -', value: () => '-x', breaks: false },
    { name: '--config', value: () => `x' --config '${w.evilConf}`, breaks: true },
    { name: '--help', value: () => "x' --help '", breaks: true },
    { name: '../', value: () => '../../../../etc/passwd', breaks: false },
    { name: '--file_path', value: () => `x' --file_path '${w.secret}`, breaks: true },
  ];
}

interface Field {
  name: string;
  shape: Shape;
  /** Runs the calling procedure with `value` in this field (honest values everywhere else). */
  call: (value: string) => Promise<{ ok: boolean; status: string }>;
}

// ------------------------------------------------------------------ the calling paths

async function native(o: { user?: string; ruuid?: string; filePath?: string | null; rtype?: string; dest?: string; text?: Partial<Record<'packageName' | 'packageVersion' | 'toolName' | 'toolVersion' | 'platformName' | 'platformVersion', string>> }): Promise<{ ok: boolean; status: string }> {
  const user = o.user ?? randomUUID();
  const project = randomUUID();
  await seedUserProject(w, user, project);
  const ruuid = o.ruuid ?? randomUUID();
  const filePath = o.filePath === undefined ? honestResultFile(w, project, ruuid) : o.filePath;
  await seedResult(w, { result: ruuid, project, filePath, ...o.text });
  await w.inst.db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @rp, @rs, @vi)', [ruuid, user, NATIVE, project, o.dest ?? `${w.outgoing}/`, o.rtype ?? 'results']);
  const rs = (await w.inst.db.select<{ rs: string | null }>('SELECT @rs AS rs'))[0]?.rs ?? null;
  return { ok: rs === 'SUCCESS', status: String(rs) };
}

async function codedx(o: { user?: string; project?: string; instance?: string; dbPath?: string; dbSum?: string; fp1?: string; sap?: string; pkg?: string; tool?: string; fp2?: string }): Promise<{ ok: boolean; status: string }> {
  const user = o.user ?? randomUUID();
  const project = o.project ?? randomUUID();
  await seedUserProject(w, user, project);
  const instance = o.instance ?? randomUUID();
  await w.inst.db.execute('INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid, viewer_db_path, viewer_db_checksum) VALUES (?, ?, ?, ?, ?)',
    [instance, CODEDX, project, o.dbPath ?? null, o.dbSum ?? null]);
  const r1 = randomUUID();
  const r2 = randomUUID();
  await seedResult(w, { result: r1, project, filePath: o.fp1 ?? honestResultFile(w, project, r1), sourceArchivePath: o.sap ?? `${w.swamp}/SCAPackages/zlib.tar.gz`, packageName: o.pkg ?? 'zlib', toolName: o.tool ?? 'GCC' });
  await seedResult(w, { result: r2, project, filePath: o.fp2 ?? honestResultFile(w, project, r2) });
  await w.inst.db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @rp, @rs, @vi)', [`${r1},${r2}`, user, CODEDX, project, `${w.outgoing}/`, 'results']);
  const rs = (await w.inst.db.select<{ rs: string | null }>('SELECT @rs AS rs'))[0]?.rs ?? null;
  return { ok: rs === 'SUCCESS', status: String(rs) };
}

async function kill(id: string, hard: string): Promise<{ ok: boolean; status: string }> {
  await w.inst.db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, hard]);
  const rs = (await w.inst.db.select<{ rs: string | null }>('SELECT @rs AS rs'))[0]?.rs ?? null;
  return { ok: rs === 'SUCCESS', status: String(rs) };
}

async function exec(id: string): Promise<{ ok: boolean; status: string }> {
  await w.inst.db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  const rc = (await w.inst.db.select<{ rc: number | string | null }>('SELECT @rc AS rc'))[0]?.rc ?? null;
  return { ok: rc !== null && Number(rc) === 0, status: `rc ${String(rc)}` };
}

function fields(): Field[] {
  const p = (v: string): string => `${w.swamp}/SCAProjects/p/${v}`;
  return [
    // Native (sys_eval; the transform runs inside the call)
    { name: 'native user', shape: 'uuid', call: (v) => native({ user: v }) },
    { name: 'native result uuid', shape: 'uuid', call: (v) => native({ ruuid: v }) },
    { name: 'native file_path', shape: 'path', call: (v) => native({ filePath: p(v) }) },
    { name: 'native results_type', shape: 'word', call: (v) => native({ rtype: v }) },
    { name: 'native destination', shape: 'dest', call: (v) => native({ dest: v }) },
    { name: 'native package_name', shape: 'text', call: (v) => native({ text: { packageName: v } }) },
    { name: 'native package_version', shape: 'text', call: (v) => native({ text: { packageVersion: v } }) },
    { name: 'native tool_name', shape: 'text', call: (v) => native({ text: { toolName: `GCC ${v}` } }) },
    { name: 'native tool_version', shape: 'text', call: (v) => native({ text: { toolVersion: v } }) },
    { name: 'native platform_name', shape: 'text', call: (v) => native({ text: { platformName: v } }) },
    { name: 'native platform_version', shape: 'text', call: (v) => native({ text: { platformVersion: v } }) },
    // CodeDX (sys_eval; prints SUCCESS, then a detached worker)
    { name: 'codedx user', shape: 'uuid', call: (v) => codedx({ user: v }) },
    { name: 'codedx project', shape: 'uuid', call: (v) => codedx({ project: v }) },
    { name: 'codedx viewer instance', shape: 'uuid', call: (v) => codedx({ instance: v }) },
    { name: 'codedx viewer_db_path', shape: 'path', call: (v) => codedx({ dbPath: p(v) }) },
    { name: 'codedx viewer_db_checksum', shape: 'word', call: (v) => codedx({ dbSum: v }) },
    { name: 'codedx file_path (first)', shape: 'path', call: (v) => codedx({ fp1: p(v) }) },
    { name: 'codedx source_archive_path', shape: 'path', call: (v) => codedx({ sap: p(v) }) },
    { name: 'codedx package', shape: 'text', call: (v) => codedx({ pkg: v }) },
    { name: 'codedx tool_name', shape: 'text', call: (v) => codedx({ tool: v }) },
    { name: 'codedx file_path (second)', shape: 'path', call: (v) => codedx({ fp2: p(v) }) },
    // kill_assessment_run (sys_exec) and execute_execution_record (sys_exec, unquoted)
    { name: 'kill id', shape: 'uuid', call: (v) => kill(v, '1') },
    { name: 'kill hard flag', shape: 'word', call: (v) => kill(randomUUID(), v) },
    { name: 'execute_execution_record uuid', shape: 'uuid', call: (v) => exec(v) },
  ];
}

function logSizes(): Record<string, number> {
  const out: Record<string, number> = { udf: readFileSync(w.inst.errorLog).length };
  for (const f of ['launchviewer.log', 'killjob.log', 'launchassessment.log']) {
    const p = path.join(w.logDir, f);
    out[f] = existsSync(p) ? readFileSync(p).length : 0;
  }
  return out;
}

function newRefusals(before: Record<string, number>): string[] {
  const lines: string[] = [];
  const fresh = (p: string, from: number): string => (existsSync(p) ? readFileSync(p).subarray(from).toString('utf8') : '');
  for (const l of fresh(w.inst.errorLog, before.udf ?? 0).split('\n')) if (l.includes('sys_udf:')) lines.push(l);
  for (const f of ['launchviewer.log', 'killjob.log', 'launchassessment.log']) {
    for (const l of fresh(path.join(w.logDir, f), before[f] ?? 0).split('\n')) if (/"level":"(error|fatal)"/.test(l)) lines.push(l);
  }
  return lines;
}

test('honest requests reach our programs and succeed (the harness is live)', async () => {
  expect(await native({})).toEqual({ ok: true, status: 'SUCCESS' });
  expect(await codedx({})).toEqual({ ok: true, status: 'SUCCESS' });
  expect(await kill(randomUUID(), '1')).toEqual({ ok: true, status: 'SUCCESS' });
  expect(await exec(randomUUID())).toEqual({ ok: true, status: 'rc 0' });
});

const summary: { field: string; payload: string; outcome: string }[] = [];

describe('every field x every payload', () => {
  // one test per field (each runs its 13 payloads): bounded, and a failure names the field
  const names = ['native user', 'native result uuid', 'native file_path', 'native results_type', 'native destination', 'native package_name',
    'native package_version', 'native tool_name', 'native tool_version', 'native platform_name', 'native platform_version', 'codedx user',
    'codedx project', 'codedx viewer instance', 'codedx viewer_db_path', 'codedx viewer_db_checksum', 'codedx file_path (first)',
    'codedx source_archive_path', 'codedx package', 'codedx tool_name', 'codedx file_path (second)', 'kill id', 'kill hard flag',
    'execute_execution_record uuid'];
  test.each(names)('%s', async (name) => {
    const field = fields().find((f) => f.name === name)!;
    const all = payloads(w);
    for (let i = 0; i < all.length; i++) {
      const pl = all[i]!;
      const marker = path.join(w.marks, `m${names.indexOf(name)}p${i}`);
      const value = pl.value(marker);
      const before = logSizes();
      const r = await field.call(value);
      const where = `${name} / ${pl.name}`;
      // no injected command, no attacker condor_*, no attacker log dir, nothing new outside the tree
      expect({ where, marks: listTree(w.marks) }).toEqual({ where, marks: kit });
      // the secret file outside the roots was never copied into our tree
      expect({ where, leaked: allBytes(w.outgoing).includes(w.secretText) }).toEqual({ where, leaked: false });
      // one argument of a free-text field, or a path that stays below the data root and equals the
      // table's value: data, not syntax (Native then fails on the missing file; CodeDX accepts it)
      const dataOnly = !pl.breaks && (field.shape === 'text' || (field.shape === 'path' && pl.name !== '../'));
      if (!dataOnly) {
        expect({ where, ok: r.ok }).toEqual({ where, ok: false });
        expect({ where, logged: newRefusals(before).length > 0 }).toEqual({ where, logged: true });
      }
      summary.push({ field: name, payload: pl.name, outcome: r.ok ? 'SUCCESS (value kept as data)' : `error: ${r.status}` });
    }
  });
});

test('summary', () => {
  const errors = summary.filter((s) => !s.outcome.startsWith('SUCCESS')).length;
  process.stderr.write(`hostile-values: ${summary.length} cases, ${errors} refused with an error status, ${summary.length - errors} kept as data (free text, or a path equal to the table value)\n`);
  expect(summary.length).toBe(24 * 13);
});

test('the UDF refuses a config file that is group/world-writable or owned by another account: the statement fails, nothing runs', async () => {
  const { chmodSync, chownSync, statSync } = await import('node:fs');
  const conf = path.join(w.inst.dir, 'sys_udf.conf');
  const mode = statSync(conf).mode & 0o777;
  const sysExec = async (): Promise<unknown> => (await w.inst.db.select<{ r: unknown }>(`SELECT sys_exec('${w.bin}/kill_run') AS r`))[0]?.r;
  try {
    for (const m of [0o664, 0o646]) {
      chmodSync(conf, m);
      await expect(sysExec()).rejects.toThrow(/sys_udf: config writable by group or others/);
    }
    chmodSync(conf, mode);
    chownSync(conf, 4242, 4242);
    await expect(sysExec()).rejects.toThrow(/sys_udf: config owned by uid 4242/);
  } finally {
    chownSync(conf, 0, 0);
    chmodSync(conf, mode);
  }
  await expect(sysExec()).resolves.not.toBeUndefined(); // the restored file is accepted again
});
