/**
 * A private tree for launch tests, under /tmp (visible inside the HTCondor chroot), in the installed
 * layout's shape (docs/deployment.md; scripts/services.sh installs it into .local/inst):
 *   <T>/bin/execute_execution_record -> the installed native entry, <T>/bin/launchassessment -> the
 *   installed binary (make install)
 *   <T>/etc/swamp.conf   the local setup's config (scripts/local-config.sh: the installed htcondor_root
 *                        with the service account's token) with this tree's log, run and results
 *                        dirs, 0640 root:swa-submit, so the program finds it from its argv0 when
 *                        mysqld (bare environment) starts it
 *   <T>/log, <T>/run     2770 swa-daemon:swa-submit, <T>/results 2775 (as make install): mysqld's
 *                        programs write through the group, the jobs run as the service account
 * Every test cleans up the jobs it submitted (condor_rm by exact SWAMP id) and its collector ads.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { anyOf, invalidate, isExactly, queryHistory, queryQueue, remove, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { projectDir } from '../helpers/db-env.js';

// the tools by absolute path, as the programs call them (no PATH search: docs/security.md)
export const CTX: HTCondorContext = { timeoutMs: 30_000, toolDir: join(process.env.SWAMP_CONDOR_HOST ?? '/opt/swamp-condor/host', 'bin') };

export interface Tree {
  root: string;
  bin: string;
  config: string;
  runDir: string;
  logDir: string;
  logFile: string;
  /** Writes another config file in the tree with extra/override lines; returns its path. */
  variant(name: string, lines: string[]): string;
  /** Run-dir entries that were there before the tree was made (the installed tree's): not this test's. */
  readonly before: ReadonlySet<string>;
  /** Size of the launcher's log when the tree was made: lines before it are not this test's. */
  readonly logOffset: number;
  remove(): void;
}

/** The service account and the submit group (make install; scripts/services.sh exports their names). */
export const SERVICE_USER = process.env.SWAMP_SERVICE_USER ?? 'swa-daemon';
export const SUBMIT_GROUP = process.env.SWAMP_SUBMIT_GROUP ?? 'swa-submit';
/** mysqld's OS user (services/mariadb/db.sh). */
export const DB_OS_USER = process.env.SWAMP_DB_OS_USER ?? 'mysql';

function ids(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' });
  const g = spawnSync('getent', ['group', SUBMIT_GROUP], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error(`no account ${SERVICE_USER} or group ${SUBMIT_GROUP}: run make services`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.split(':')[2]) };
}

/** The installed layout of the local setup (scripts/services.sh: make install DESTDIR=.local/inst). */
export function installedPrefix(): string {
  return process.env.SWAMP_PREFIX ?? join(projectDir(), '.local', 'inst', 'opt', 'swamp');
}

/** The installed binary (every program name links to it). */
export function binary(): string {
  const b = join(installedPrefix(), 'bin', 'swamp');
  if (!existsSync(b)) throw new Error(`${b} missing: run make services (it runs make install DESTDIR=.local/inst)`);
  return b;
}

/** Writes a swamp.conf as make install leaves it: 0640 root:<submit group>. */
export function writeConf(p: string, text: string): void {
  writeFileSync(p, text, { mode: 0o640 });
  chownSync(p, 0, ids().gid);
  chmodSync(p, 0o640);
}

function override(base: string, set: Record<string, string>, extra: string[] = []): string {
  const keys = new Set(Object.keys(set));
  const kept = base.split('\n').filter((l) => {
    const k = /^\s*([^\s=]+)/.exec(l)?.[1];
    return k === undefined || !keys.has(k);
  });
  return `${[...kept, ...Object.entries(set).map(([k, v]) => `${k} = ${v}`), ...extra].join('\n')}\n`;
}

/**
 * The installed tree itself (make install DESTDIR=.local/inst; what the procedures run by default),
 * its swamp.conf swapped for the test's settings and restored by remove(): the programs the DB calls
 * see only the installed file, as in production. One at a time (tests run in band). remove() also
 * removes the run-dir entries the test made.
 */
export function installedTree(settings: Record<string, string> = {}): Tree {
  const root = installedPrefix();
  const config = join(root, 'etc', 'swamp.conf');
  const runDir = join(root, 'run');
  const logFile = join(root, 'log', 'launchassessment.log');
  const original = readFileSync(config, 'utf8');
  const text = override(original, { preferred_platform_type: 'local', SWAMPState: 'ON', ...settings });
  writeConf(config, text);
  const before = new Set(readdirSync(runDir));
  const variants = mkdtempSync('/tmp/swamp-la-conf-');
  return {
    root,
    bin: join(root, 'bin'),
    config,
    runDir,
    logDir: join(root, 'log'),
    logFile,
    before,
    logOffset: existsSync(logFile) ? statSync(logFile).size : 0,
    variant(name, lines) {
      const p = join(variants, `${name}.conf`);
      writeConf(p, override(readFileSync(config, 'utf8'), settingsOf(lines)));
      return p;
    },
    remove() {
      writeConf(config, original);
      for (const n of readdirSync(runDir)) if (!before.has(n)) rmSync(join(runDir, n), { recursive: true, force: true });
      rmSync(variants, { recursive: true, force: true });
    },
  };
}

function settingsOf(lines: readonly string[]): Record<string, string> {
  const set: Record<string, string> = {};
  for (const l of lines) {
    const m = /^(\S+)\s*=\s*(.*)$/.exec(l);
    if (m) set[m[1] as string] = m[2] as string;
  }
  return set;
}

/** A program name in the tree's bin dir (the installed tree has every name already). */
export function linkProgram(tree: Tree, name: string): void {
  if (!existsSync(join(tree.bin, name))) symlinkSync(binary(), join(tree.bin, name));
}

/**
 * A private tree for a test that needs its own dirs or two configs at once. `settings` override the
 * local setup's keys (e.g. `preferred_platform_type: 'DC'` for the docker platform).
 */
export function makeTree(settings: Record<string, string> = {}): Tree {
  const root = mkdtempSync('/tmp/swamp-la-');
  chmodSync(root, 0o755);
  const dirs = ['bin', 'etc', 'log', 'run', 'results'].map((d) => join(root, d));
  for (const d of dirs) mkdirSync(d);
  const owner = ids();
  for (const d of ['log', 'run', 'results']) {
    const p = join(root, d);
    chownSync(p, owner.uid, owner.gid);
    chmodSync(p, d === 'results' ? 0o2775 : 0o2770);
  }
  // the names as installed: execute_execution_record is the native entry (entry/), which hands what
  // it does not take itself to the swamp beside its real path; launchassessment is swamp
  symlinkSync(join(installedPrefix(), 'bin', 'execute_execution_record'), join(root, 'bin', 'execute_execution_record'));
  symlinkSync(binary(), join(root, 'bin', 'launchassessment'));
  const gen = spawnSync(join(projectDir(), 'scripts', 'local-config.sh'), [], { encoding: 'utf8', timeout: 10_000 });
  if (gen.status !== 0) throw new Error(`local-config.sh failed: ${gen.stderr}`);
  const baseSettings = {
    logDir: join(root, 'log'),
    runDir: join(root, 'run'),
    resultsFolder: `${join(root, 'results')}/`,
    preferred_platform_type: 'local',
    SWAMPState: 'ON',
    ...settings,
  };
  const text = override(gen.stdout, baseSettings);
  const config = join(root, 'etc', 'swamp.conf');
  writeConf(config, text);
  return {
    root,
    bin: join(root, 'bin'),
    config,
    runDir: join(root, 'run'),
    logDir: join(root, 'log'),
    logFile: join(root, 'log', 'launchassessment.log'),
    before: new Set<string>(),
    logOffset: 0,
    variant(name, lines) {
      const p = join(root, 'etc', `${name}.conf`);
      writeConf(p, override(text, settingsOf(lines)));
      return p;
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs the program (no shell) and waits; a SIGKILLed worker shows as signal 'SIGKILL'. */
export function runProgram(tree: Tree, name: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  // No SWAMP_CONFIG: like mysqld's bare environment, the program finds <tree>/etc/swamp.conf from argv0.
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.SWAMP_CONFIG;
  return spawnSync(join(tree.bin, name), args, { encoding: 'utf8', timeout: 120_000, env: { ...base, ...env } });
}

export interface LogLine {
  msg: string;
  execrunid?: string;
  outcome?: string;
  [k: string]: unknown;
}

export function logLines(tree: Tree): LogLine[] {
  if (!existsSync(tree.logFile)) return [];
  return readFileSync(tree.logFile)
    .subarray(tree.logOffset)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

/** Waits until the worker logged `launch finished` for the id `count` times. */
export async function waitForWorker(tree: Tree, id: string, count = 1, timeoutMs = 30_000): Promise<LogLine[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const done = logLines(tree).filter((l) => l.msg === 'launch finished' && l.execrunid === id);
    if (done.length >= count) return done;
    if (Date.now() > until) throw new Error(`worker for ${id} did not finish within ${timeoutMs} ms; log:\n${readFileSafe(tree.logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}

/** Every job (queue + recent history) carrying the id, by exact equality. */
export async function jobsOf(id: string): Promise<Array<{ cluster: number; where: 'queue' | 'history' }>> {
  const constraint = swampIdConstraint(id);
  const q = await queryQueue(CTX, { constraint, attributes: ['ClusterId'] });
  const h = await queryHistory(CTX, { constraint, attributes: ['ClusterId'], limit: 10 });
  const clusters = new Map<number, 'queue' | 'history'>();
  for (const ad of q) clusters.set(Number(ad.ClusterId), 'queue');
  for (const ad of h) if (!clusters.has(Number(ad.ClusterId))) clusters.set(Number(ad.ClusterId), 'history');
  return [...clusters].map(([cluster, where]) => ({ cluster, where }));
}

/**
 * condor_rm of every queued job of this tree (by the job dirs its run dir holds, and by the ids the
 * tests created), and the ids' collector ads. Returns the job dirs that still had a queued job.
 */
export async function cleanup(tree: Tree, ids: readonly string[]): Promise<string[]> {
  const dirs = readdirSync(tree.runDir).filter((n) => /^[am]swamp_/.test(n) && !tree.before.has(n));
  const clauses = [...dirs.map((d) => isExactly('SWAMP_submit_jobdir', d)), ...ids.map((id) => swampIdConstraint(id))];
  let queued: string[] = [];
  if (clauses.length > 0) {
    const constraint = anyOf(...clauses);
    const ads = await queryQueue(CTX, { constraint, attributes: ['ClusterId', 'SWAMP_submit_jobdir'] });
    queued = ads.map((a) => String(a.SWAMP_submit_jobdir));
    if (ads.length > 0) await remove(CTX, { constraint });
  }
  if (ids.length > 0) await invalidate(CTX, { names: ids }).catch(() => undefined);
  return queued;
}

export function queueFiles(tree: Tree): string[] {
  return readdirSync(tree.runDir).filter((n) => /\.(bog|launch|lock)$/.test(n) && !tree.before.has(n));
}
