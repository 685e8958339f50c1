/**
 * Shared pieces of the udf-strict tests: a private mariadbd with its own UDF config (a second
 * instance like test/integration/db/udf-config.test.ts, so the shared instance on 3407 keeps the
 * default shell mode), a byte-exact recording bin, a marker directory, the rows the calling
 * procedures read, and the hostile and honest values put into every user-controlled field.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomInt, randomUUID } from 'node:crypto';
import { run } from '../../../lib/proc/run.js';
import { connect, type Db } from '../../../lib/db/index.js';
import { dbScript, parseEnvLines } from '../helpers/db-env.js';

export const NATIVE = '8f9213ef-5d04-11e3-9fa4-001a4a81450b';
export const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';
export const PROGRAMS = ['execute_execution_record', 'launch_viewer', 'kill_run'] as const;
export type Program = (typeof PROGRAMS)[number];

// ------------------------------------------------------------------ private instance

export interface Instance {
  dir: string;
  db: Db;
  errorLog: string;
  /** Bytes of the error log written since the last call. */
  newLogLines(): string;
  stop(): Promise<void>;
}

/** Starts a private mariadbd (own dir, own port) whose UDF reads `confLines`. */
export async function startInstance(name: string, confLines: string[]): Promise<Instance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `swamp-${name}-`));
  chmodSync(dir, 0o755);
  const conf = path.join(dir, 'sys_udf.conf');
  writeFileSync(conf, confLines.join('\n') + '\n', { mode: 0o644 });
  // 3420-3489 belong to udf-config.test.ts
  const port = 3500 + randomInt(0, 400);
  const env = { ...process.env, SWAMP_DB_DIR: path.join(dir, 'instance'), SWAMP_DB_PORT: String(port), SWAMP_UDF_CONF: conf } as Record<string, string>;
  // MYSQL_* from .local/env and its mariadb wrapper in .local/bin (TCP to 3407) must not point
  // db.sh's client at the shared instance
  for (const k of ['MYSQL_HOST', 'MYSQL_PORT', 'MYSQL_SOCKET', 'MYSQL_PWD', 'MYSQL_USER']) delete env[k];
  env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  try {
    await run(dbScript(), ['start'], { timeoutMs: 120_000, env, extendEnv: false });
  } catch (e) {
    // never leave a half-started server of ours behind
    await run(dbScript(), ['stop'], { timeoutMs: 60_000, env, extendEnv: false }).catch(() => undefined);
    throw e;
  }
  const e = parseEnvLines((await run(dbScript(), ['env'], { timeoutMs: 10_000, env, extendEnv: false })).stdout);
  const db = await connect({ host: '127.0.0.1', port: Number(e.MYSQL_PORT), user: e.MYSQL_USER ?? 'swamp', password: e.MYSQL_PWD ?? '', connectTimeoutMs: 5000 });
  const errorLog = e.SWAMP_DB_ERROR_LOG ?? path.join(dir, 'instance', 'mariadbd.err');
  let seen = readFileSync(errorLog).length;
  return {
    dir,
    db,
    errorLog,
    newLogLines(): string {
      const all = readFileSync(errorLog);
      const fresh = all.subarray(seen).toString('utf8');
      seen = all.length;
      return fresh;
    },
    async stop(): Promise<void> {
      await db.close().catch(() => undefined);
      await run(dbScript(), ['stop'], { timeoutMs: 60_000, env, extendEnv: false }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ byte-exact recording bin

/*
 * Each program appends "CALL <name>" and one "ARG <hex bytes>" line per argument to calls.log
 * (hex, so newlines and any byte survive), saves its environment to <name>.env, prints
 * <name>.stdout if present. The directory is world-writable: the programs run as mariadbd's user.
 */
const RECORDER = `#!/bin/sh
d=$(dirname "$0")
n=$(basename "$0")
{
  printf 'CALL %s\\n' "$n"
  for a in "$@"; do printf 'ARG %s\\n' "$(printf '%s' "$a" | od -An -v -tx1 | tr -d ' \\n')"; done
} >>"$d/calls.log"
env >"$d/$n.env"
[ -f "$d/$n.stdout" ] && cat "$d/$n.stdout"
exit 0
`;

export interface Call {
  program: string;
  args: Buffer[];
}

export class HexRecorder {
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'swamp-hexbin-'));
    chmodSync(this.dir, 0o777);
    for (const p of PROGRAMS) writeFileSync(path.join(this.dir, p), RECORDER, { mode: 0o755 });
  }
  path(p: Program): string {
    return path.join(this.dir, p);
  }
  setStdout(p: Program, text: string | null): void {
    const f = path.join(this.dir, `${p}.stdout`);
    if (text === null) rmSync(f, { force: true });
    else writeFileSync(f, text, { mode: 0o644 });
  }
  calls(): Call[] {
    const f = path.join(this.dir, 'calls.log');
    if (!existsSync(f)) return [];
    const out: Call[] = [];
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.startsWith('CALL ')) out.push({ program: line.slice(5), args: [] });
      else if (line.startsWith('ARG ')) out[out.length - 1]?.args.push(Buffer.from(line.slice(4), 'hex'));
    }
    return out;
  }
  /** Arguments as UTF-8 strings (for readable expectations); bytes are compared separately. */
  callsUtf8(): { program: string; args: string[] }[] {
    return this.calls().map((c) => ({ program: c.program, args: c.args.map((a) => a.toString('utf8')) }));
  }
  env(p: Program): Record<string, string> {
    const f = path.join(this.dir, `${p}.env`);
    const out: Record<string, string> = {};
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }
  clear(): void {
    rmSync(path.join(this.dir, 'calls.log'), { force: true });
    for (const p of PROGRAMS) this.setStdout(p, null);
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ markers

/** A short, world-writable directory (values are VARCHAR(45)): /tmp/uXXXXXX. */
export function markerDir(): string {
  const d = mkdtempSync('/tmp/u');
  chmodSync(d, 0o777);
  return d;
}
export function markers(dir: string): string[] {
  return readdirSync(dir).sort();
}

// ------------------------------------------------------------------ values

/**
 * Hostile values, one style per entry; `tag` names the marker file the injected command creates.
 * Every value contains a balanced number of single quotes, so in the shell the injection does not
 * disturb the fields after it and every field's own marker appears.
 */
export type Style = 'semicolon' | 'subst' | 'backtick' | 'pipe' | 'newline' | 'amp';
export function hostile(style: Style, dir: string, tag: string): string {
  const t = `touch ${dir}/${tag}`;
  switch (style) {
    case 'semicolon': return `x'; ${t}; '`;
    case 'subst': return `'$(${t})'`;
    case 'backtick': return `'\`${t}\`'`;
    case 'pipe': return `x' | ${t} | '`;
    case 'newline': return `x'\n${t}\n'`;
    case 'amp': return `x' & ${t} & '`;
  }
}
export const STYLES: Style[] = ['semicolon', 'subst', 'backtick', 'pipe', 'newline', 'amp'];

/** A value of exactly `len` characters whose injection sits at its end (column-width limits). */
export function longHostile(dir: string, tag: string, len: number): string {
  const tail = `'; touch ${dir}/${tag}; '`;
  return 'L'.repeat(len - tail.length) + tail;
}

// ------------------------------------------------------------------ rows the procedures read

export interface NativeRows {
  userUuid: string;
  projectUuid: string;
  resultUuid: string;
}

/** A user in a project (enabled, member). */
export async function seedUserProject(db: Db, userUuid: string = randomUUID(), projectUuid: string = randomUUID()): Promise<void> {
  await db.execute('INSERT INTO project.user_account (user_uid, enabled_flag) VALUES (?, 1)', [userUuid]);
  await db.execute('INSERT INTO project.project (project_uid, full_name) VALUES (?, ?)', [projectUuid, 'udf-strict']);
  await db.execute('INSERT INTO project.project_user (project_uid, user_uid) VALUES (?, ?)', [projectUuid, userUuid]);
}

export interface ResultFields {
  resultUuid?: string;
  projectUuid: string;
  filePath: string;
  sourceArchivePath?: string;
  packageName?: string;
  packageVersion?: string;
  toolName?: string;
  toolVersion?: string;
  platformName?: string;
  platformVersion?: string;
}

/** An assessment_result row with the given (possibly hostile) texts; no execution record, no
 *  package type, so launch_viewer leaves --start_date/--end_date/--package_type out. */
export async function seedResult(db: Db, f: ResultFields): Promise<string> {
  const uuid = f.resultUuid ?? randomUUID();
  await db.execute(
    `INSERT INTO assessment.assessment_result (assessment_result_uuid, execution_record_uuid, project_uuid, file_path, source_archive_path,
       package_name, package_version, tool_name, tool_version, platform_name, platform_version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [uuid, randomUUID(), f.projectUuid, f.filePath, f.sourceArchivePath ?? null, f.packageName ?? null, f.packageVersion ?? null,
      f.toolName ?? null, f.toolVersion ?? null, f.platformName ?? null, f.platformVersion ?? null],
  );
  return uuid;
}

export interface LaunchResult {
  path: string | null;
  rs: string | null;
  inst: string | null;
}

export async function launchViewer(db: Db, resultUuids: string | null, userUuid: string, viewer: string, projectUuid: string,
  destBase: string, resultsType: string | null): Promise<LaunchResult> {
  await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @rp, @rs, @vi)', [resultUuids, userUuid, viewer, projectUuid, destBase, resultsType]);
  const rows = await db.select<{ rp: Buffer | string | null; rs: Buffer | string | null; vi: string | null }>('SELECT @rp AS rp, @rs AS rs, @vi AS vi');
  const s = (v: Buffer | string | null | undefined): string | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : v);
  return { path: s(rows[0]?.rp), rs: s(rows[0]?.rs), inst: s(rows[0]?.vi) };
}

export async function killRun(db: Db, id: string | null, hard: string | null): Promise<string | null> {
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, hard]);
  return (await db.select<{ rs: string | null }>('SELECT @rs AS rs'))[0]?.rs ?? null;
}

export async function executeRecord(db: Db, uuid: string): Promise<number | null> {
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [uuid]);
  const v = (await db.select<{ rc: number | string | null }>('SELECT @rc AS rc'))[0]?.rc;
  return v === null || v === undefined ? null : Number(v);
}

// ------------------------------------------------------------------ the hostile world

/**
 * Every user-controlled field of the four calling paths gets its own hostile value; the marker of
 * a field is named after it. Returns the calls to make and the marker names a shell would create.
 */
export interface HostileWorld {
  tags: string[];
  runAll(db: Db): Promise<{ native: LaunchResult; codedx: LaunchResult; kill: string | null; exec: number | null; execLong: number | null }>;
}

export async function seedHostileWorld(db: Db, dir: string): Promise<HostileWorld> {
  const tags: string[] = [];
  let i = 0;
  const long = (tag: string, len: number): string => {
    tags.push(tag);
    return longHostile(dir, tag, len);
  };
  const h = (tag: string): string => {
    tags.push(tag);
    return hostile(STYLES[i++ % STYLES.length]!, dir, tag);
  };
  // Native: user, project membership, the result row's texts, results_type, destination, result uuid
  const user = h('user');
  // the project is not part of the Native command; hostile anyway (membership is checked by uuid)
  const project = hostile('subst', dir, 'proj-not-in-cmd');
  await seedUserProject(db, user, project);
  const resultUuid = h('ruuid');
  await seedResult(db, {
    resultUuid, projectUuid: project,
    filePath: long('fpath', 200),
    packageName: h('pname'), packageVersion: h('pver'), toolName: h('tname'), toolVersion: h('tver'),
    platformName: h('plname'), platformVersion: h('plver'),
  });
  const resultsType = h('rtype');
  const destBase = h('dest');
  // CodeDX: a viewer instance with hostile stored paths, two results (first with details)
  const cdxUser = h('cuser');
  const cdxProject = h('cproj');
  await seedUserProject(db, cdxUser, cdxProject);
  await db.execute('INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid, viewer_db_path, viewer_db_checksum) VALUES (?, ?, ?, ?, ?)',
    [h('vinst'), CODEDX, cdxProject, h('dbpath'), h('dbsum')]);
  const r1 = await seedResult(db, { projectUuid: cdxProject, filePath: h('cfp1'), sourceArchivePath: h('csap'), packageName: h('cpkg'), toolName: h('ctool') });
  const r2 = await seedResult(db, { projectUuid: cdxProject, filePath: long('cfp2', 200) });
  // kill_assessment_run: id and hard flag; execute_execution_record: the uuid (not even quoted)
  const killId = h('kid');
  const killHard = h('khard');
  const execId = `a;touch ${dir}/exec`;
  tags.push('exec');
  const execLong = `${'E'.repeat(45 - `|touch ${dir}/exel`.length)}|touch ${dir}/exel`;
  tags.push('exel');
  return {
    tags: tags.sort(),
    async runAll(d: Db) {
      const native = await launchViewer(d, resultUuid, user, NATIVE, project, destBase, resultsType);
      const codedx = await launchViewer(d, `${r1},${r2}`, cdxUser, CODEDX, cdxProject, '/swamp/outgoing/', 'results');
      const kill = await killRun(d, killId, killHard);
      const exec = await executeRecord(d, execId);
      const execL = await executeRecord(d, execLong);
      return { native, codedx, kill, exec, execLong: execL };
    },
  };
}

/** Honest but awkward values: spaces, tabs, double quotes, backslashes, $ ` ; | & ( ) < > * ? [ ~ #
 *  inside the single quotes, a newline, non-ASCII, the maximum column width. None contains a single
 *  quote: production does not escape it, so no mode could pass it through unchanged. */
export const HONEST = {
  packageName: 'zlib "ng" fork',
  packageVersion: '1.2.13 $(not run) `nor this`',
  toolName: 'cppcheck; really | & fine',
  toolVersion: '2.11 <beta> (rc) *?[x]~#',
  platformName: 'Débian Lïnux 日本語 ✓',
  platformVersion: 'line one\nline two\ttab \\ backslash',
  resultsType: 'results "quoted"',
  destBase: '/swamp/out going/ü/',
};
