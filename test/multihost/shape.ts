/**
 * The shape a multi-host test runs against (services/multihost/mh.sh): the facility (`mh.sh up`,
 * default) or SWAMP-in-a-Box in production's shape (`mh.sh up-sib`, SWAMP_MH_SHAPE=sib), read from the
 * environment file mh.sh writes; the tests' DB connection, the HTCondor contexts of the data host,
 * fixture runs whose archives live on the shared file system, and the installed programs run as the
 * real accounts on the data host.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Db } from '../../lib/db/index.js';
import type { HTCondorContext } from '../../lib/htcondor/index.js';
import { parseEnvLines } from '../integration/helpers/db-env.js';
import { seedAssessmentRun, type SeededRun } from '../integration/helpers/db-seed.js';

export const MH_DIR = process.env.SWAMP_MH_DIR ?? '/var/lib/swamp-mh';
export const SIB = process.env.SWAMP_MH_SHAPE === 'sib';
export const SHAPE = SIB ? 'sib (production shape)' : 'multihost';
const ENV_FILE = join(MH_DIR, ...(SIB ? ['sib', 'env'] : ['env']));
const env = parseEnvLines(readFileSync(ENV_FILE, 'utf8'));

export function need(k: string): string {
  const v = env[k];
  if (v === undefined) throw new Error(`${k} missing from ${ENV_FILE}: run make services-multihost (mh.sh up / up-sib)`);
  return v;
}

/** HTCondor tools run on the data host (root's copy of the service account's token). */
export const queue: HTCondorContext = SIB ? { toolDir: need('SWAMP_MH_TOOLS') } : { toolDir: need('SWAMP_MH_TOOLS'), schedd: need('SWAMP_MH_SCHEDD'), pool: need('SWAMP_MH_CM') };
export const collector: HTCondorContext = SIB ? { toolDir: need('SWAMP_MH_TOOLS') } : { toolDir: need('SWAMP_MH_TOOLS'), pool: need('SWAMP_MH_CM') };
export const SERVICE_USER = need('SWAMP_MH_SERVICE_USER');
export const DB_OS_USER = need('SWAMP_MH_DB_OS_USER');
export const PREFIX = need('SWAMP_MH_PREFIX');
export const RUN_DIR = need('SWAMP_MH_RUN');
export const LOG_DIR = need('SWAMP_MH_LOG');
/** The facility's shared file system (SiB: the host's own directories). */
export const SHARED = need('SWAMP_MH_SHARED');
export const CONFIG = join(PREFIX, 'etc', 'swamp.conf');
export const EXEC_HOST = SIB ? /@sib\.swamp-mh\.test$/ : /@exec[12]\.swamp-mh\.test$/;

export async function connectDb(): Promise<Db> {
  return connect({
    host: '127.0.0.1',
    port: Number(need('SWAMP_MH_DB_PORT')),
    socketPath: need('SWAMP_MH_DB_SOCKET'),
    // the tests' account (fixture rows); the programs use the least-privilege `swamp` (sql/grants.sh)
    user: 'swamp_test',
    password: need('SWAMP_MH_DB_TEST_PASSWORD'),
    database: 'assessment',
    connectTimeoutMs: 5000,
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, periodMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, periodMs));
  }
}

export const groupIdOf = (name: string): number => Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
export const idOf = (what: 'u' | 'g', name: string): number => Number(execFileSync('id', [`-${what}`, name], { encoding: 'utf8' }).trim());

/**
 * A tool archive (with the local machine's `machine.conf`) and a package archive on the shared file
 * system, where PreAssessment on the execute host reads them (legacy /swamp/store).
 */
export async function storeArchives(machineConf: string, dirs: string[], tool = 'gcc-warn-0.9'): Promise<{ pkg: string; tool: string }> {
  const base = await mkdtemp(join(SHARED, 'store', 'run-'));
  await chmod(base, 0o755);
  dirs.push(base);
  const pkg = join(base, 'snappy-c-1.0.tar.gz');
  await writeFile(pkg, 'package archive\n', { mode: 0o644 });
  const inFiles = join(base, tool, 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true, mode: 0o755 });
  await writeFile(join(inFiles, 'machine.conf'), machineConf, { mode: 0o644 });
  return { pkg, tool: join(base, `${tool}.tar.gz`) };
}

/** An assessment run of the local platform's simulated machine, told `machineConf`. */
export async function seedRun(db: Db, machineConf: string, dirs: string[]): Promise<SeededRun> {
  const a = await storeArchives(machineConf, dirs);
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c', launchFlag: 1, launchCounter: 1 });
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [a.pkg, run.packageVersionUuid]);
  await db.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [a.tool, run.toolVersionUuid]);
  return run;
}

/**
 * JSON lines of one of the data host's logs (`<program>.log`), with those its programs wrote as the
 * other account: a program whose log file belongs to another account writes `<program>.<user>.log`
 * (the installed log dir is 2770, its files 0640; docs/compat.md).
 */
export function logLines(file: string): Array<Record<string, unknown>> {
  const base = file.replace(/\.log$/, '');
  const out: Array<Record<string, unknown>> = [];
  for (const name of [file, `${base}.${DB_OS_USER}.log`, `${base}.${SERVICE_USER}.log`]) {
    const f = join(LOG_DIR, name);
    if (!existsSync(f)) continue;
    out.push(...readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
  }
  return out;
}

/**
 * An installed program on the data host (its network namespace) as `user`, as its unit runs it
 * (packaging/systemd: SWAMP_CONFIG set, umask 0007, nothing else in the environment).
 */
export function runAs(user: string, program: string, args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const envArgs = Object.entries({ PATH: '/usr/bin:/bin', SWAMP_CONFIG: CONFIG, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('ip', ['netns', 'exec', need('SWAMP_MH_NETNS'), 'setpriv', `--reuid=${user}`, `--regid=${String(idOf('g', user))}`, '--init-groups',
    'env', '-i', ...envArgs, 'sh', '-c', 'umask 0007 && exec "$0" "$@"', join(PREFIX, 'bin', program), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
