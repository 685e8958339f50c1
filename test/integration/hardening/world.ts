/**
 * The world of the hostile-values suite (docs/security.md): a private mariadbd in strict mode whose
 * allowlist is a tree of OUR program (symlinks to dist/bin/swamp) with its installed swamp.conf
 * beside it, the legacy calling procedures unchanged, and an attacker's kit:
 *
 * - a marker directory: every injected command would `touch` a file there;
 * - an attacker config (root-owned, so only "--config is not accepted" can stop it) whose
 *   htcondor_root holds condor_* programs that leave a marker, and whose logDir is its own;
 * - a secret file outside the configured roots (`--file_path` payloads point at it);
 * - fake condor_* tools of ours under the tree (record and fail), so an honest request that gets as far
 *   as HTCondor never touches the real pool.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GCC_SCARF_GZIP_BASE64 } from '../../../lib/machine/assets/gcc-scarf.js';
import { startInstance, type Instance } from '../udf-strict/support.js';
import { binary } from '../assessment/helpers.js';

export const NATIVE = '8f9213ef-5d04-11e3-9fa4-001a4a81450b';
export const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';

export interface World {
  inst: Instance;
  /** /tmp/hXXXXXX: the tree (short: destination_base_path_in is VARCHAR(45)). */
  root: string;
  bin: string;
  logDir: string;
  swamp: string;
  outgoing: string;
  /** /tmp/uXXXXXX: markers of anything an attacker made run. */
  marks: string;
  evilConf: string;
  secret: string;
  secretText: string;
  stop(): Promise<void>;
}

function uidOf(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function gidOf(name: string): number {
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no group ${name}`);
  return Number(line.split(':')[2]);
}

const FAKE_CONDOR = (log: string): string => `#!/bin/sh
# ours: records the call and fails, so an honest request never reaches the real pool
echo "$(basename "$0") $*" >> ${log}
exit 1
`;

const EVIL_CONDOR = (marker: string): string => `#!/bin/sh
touch ${marker}
exit 0
`;

export async function startWorld(): Promise<World> {
  // mysqld's user (it runs the programs) and the submit group (make install: swamp.conf, run and log)
  const swampUser = { uid: uidOf(process.env.SWAMP_DB_OS_USER ?? 'mysql').uid, gid: gidOf(process.env.SWAMP_SUBMIT_GROUP ?? 'swa-submit') };
  const root = mkdtempSync('/tmp/h');
  chmodSync(root, 0o755);
  const bin = path.join(root, 'bin');
  const etc = path.join(root, 'etc');
  const logDir = path.join(root, 'log');
  const run = path.join(root, 'run');
  const swamp = path.join(root, 'swamp');
  const outgoing = path.join(swamp, 'outgoing');
  const fake = path.join(root, 'condor', 'bin');
  for (const d of [bin, etc, logDir, run, swamp, outgoing, fake, path.join(swamp, 'SCAProjects')]) mkdirSync(d, { recursive: true, mode: 0o755 });
  for (const d of [logDir, run, outgoing]) chownSync(d, swampUser.uid, swampUser.gid);
  for (const n of ['execute_execution_record', 'launch_viewer', 'kill_run']) symlinkSync(binary(), path.join(bin, n));
  const fakeLog = path.join(logDir, 'fake-condor.calls');
  for (const t of ['condor_q', 'condor_submit', 'condor_rm', 'condor_status', 'condor_history', 'condor_advertise', 'condor_wait']) {
    writeFileSync(path.join(fake, t), FAKE_CONDOR(fakeLog), { mode: 0o755 });
  }

  const marks = mkdtempSync('/tmp/u');
  chmodSync(marks, 0o777);
  // the attacker's kit: a config that would put its own condor_* first and log elsewhere
  const evilRoot = path.join(marks, 'c');
  mkdirSync(path.join(evilRoot, 'bin'), { recursive: true, mode: 0o755 });
  for (const t of ['condor_q', 'condor_submit', 'condor_rm', 'condor_status', 'condor_history', 'condor_advertise', 'condor_wait']) {
    writeFileSync(path.join(evilRoot, 'bin', t), EVIL_CONDOR(path.join(marks, 'EVIL-CONDOR-RAN')), { mode: 0o755 });
  }
  const evilConf = path.join(marks, 'e.conf');
  writeFileSync(evilConf, `SWAMPState = ON\nSWAMP-in-a-Box = yes\nhtcondor_root = ${evilRoot}\nlogDir = ${marks}/evil-log\nrunDir = ${marks}/evil-run\ntrustedDataDirs = /\noutgoingFolder = /\n`, { mode: 0o644 });
  const secretText = `SECRET-${randomUUID()}`;
  const secret = path.join(marks, 's.conf');
  writeFileSync(secret, `dbPerlPass = ${secretText}\n`, { mode: 0o644 });

  // strict mode, our three programs of this tree on the allowlist
  const inst = await startInstance('hardening', ['mode = strict', 'timeout_seconds = 60', ...['execute_execution_record', 'launch_viewer', 'kill_run'].map((n) => `allow = ${path.join(bin, n)}`)]);
  const port = (await inst.db.select<{ p: number }>('SELECT @@port AS p'))[0]?.p;
  const password = readFileSync(path.join(inst.dir, 'instance', 'swamp.password'), 'utf8').trim();
  const conf = [
    '# hostile-values suite: the installed swamp.conf beside the programs',
    'SWAMPState = ON',
    'SWAMP-in-a-Box = yes',
    `logDir = ${logDir}`,
    `runDir = ${run}`,
    `binDir = ${bin}`,
    `resultsFolder = ${swamp}/results/`,
    `projectsFolder = ${swamp}/SCAProjects/`,
    `trustedDataDirs = ${swamp}/`,
    `outgoingFolder = ${outgoing}/`,
    `htcondor_root = ${path.join(root, 'condor')}`,
    'preferred_platform_type = local',
    'master.viewer.type = local',
    'dbPerlDsnHost = 127.0.0.1',
    `dbPerlDsnPort = ${port}`,
    'dbPerlUser = swamp',
    `dbPerlPass = ${password}`,
    '',
  ].join('\n');
  const confPath = path.join(etc, 'swamp.conf');
  writeFileSync(confPath, conf, { mode: 0o640 });
  chownSync(confPath, 0, swampUser.gid);
  chmodSync(confPath, 0o640);
  await inst.db.execute('SET @swamp_bin_dir = ?', [bin]);

  return {
    inst, root, bin, logDir, swamp, outgoing, marks, evilConf, secret, secretText,
    async stop() {
      await inst.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(marks, { recursive: true, force: true });
    },
  };
}

/** Every file below `dir` (relative names), for "nothing appeared" checks. */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The bytes of every regular file below `dir`, concatenated (secret-leak check). */
export function allBytes(dir: string): string {
  let s = '';
  for (const r of listTree(dir)) {
    const p = path.join(dir, r);
    try {
      s += readFileSync(p, 'latin1');
    } catch {
      /* directories, sockets */
    }
  }
  return s;
}

// ------------------------------------------------------------------ rows

export async function seedUserProject(w: World, user: string, project: string): Promise<void> {
  const db = w.inst.db;
  await db.execute('INSERT IGNORE INTO project.user_account (user_uid, enabled_flag) VALUES (?, 1)', [user]);
  await db.execute('INSERT IGNORE INTO project.project (project_uid, full_name) VALUES (?, ?)', [project, 'hardening']);
  await db.execute('INSERT IGNORE INTO project.project_user (project_uid, user_uid) VALUES (?, ?)', [project, user]);
}

/** An honest SCARF result file of `project` below the data root, readable by mariadbd's user. */
export function honestResultFile(w: World, project: string, result: string): string {
  const dir = path.join(w.swamp, 'SCAProjects', project.replace(/[^A-Za-z0-9-]/g, '_'), 'A-Results', result.replace(/[^A-Za-z0-9-]/g, '_'));
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f = path.join(dir, 'parsed_results.xml');
  writeFileSync(f, gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64')), { mode: 0o644 });
  return f;
}

export interface ResultRow {
  result: string;
  project: string;
  filePath: string | null;
  sourceArchivePath?: string | null;
  packageName?: string;
  packageVersion?: string;
  toolName?: string;
  toolVersion?: string;
  platformName?: string;
  platformVersion?: string;
}

export async function seedResult(w: World, r: ResultRow): Promise<void> {
  await w.inst.db.execute(
    `INSERT INTO assessment.assessment_result (assessment_result_uuid, execution_record_uuid, project_uuid, file_path, source_archive_path,
       package_name, package_version, tool_name, tool_version, platform_name, platform_version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [r.result, randomUUID(), r.project, r.filePath, r.sourceArchivePath ?? null, r.packageName ?? 'zlib', r.packageVersion ?? '1.2.13',
      r.toolName ?? 'GCC', r.toolVersion ?? '12', r.platformName ?? 'Debian', r.platformVersion ?? '12'],
  );
}
