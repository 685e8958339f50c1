/**
 * The run directory as a durable queue (docs/launchassessment.md): everything a crashed launch needs to be
 * finished by the next DB relaunch or `--drain` pass is on disk, written atomically
 * (temp + fsync + rename, lib/bog/atomic).
 *
 *   <runDir>/<execrunid>.bog          the queued BOG: "this run must have exactly one job"
 *   <runDir>/<execrunid>.launch       launch state (JSON): the step reached, the job dir, the cluster id
 *   <runDir>/<execrunid>.request      a launch request from the DB (execute_execution_record), until the
 *                                     batch submitter has handled it (lib/assessment/submitter.ts)
 *   <runDir>/<execrunid>.lock         per-run lock (lock.ts)
 *   <runDir>/<aswamp|mswamp>_<UUID>/  job dir: <execrunid>.bog, <execrunid>.sub,
 *                                     <execrunid>_submitbundle.tar.gz, VM disk placeholders,
 *                                     ClusterId_<n> once submitted
 *
 * Unlike the legacy, the queued BOG is copied (not moved) into the job dir and removed only after the
 * DB has been updated, so a failed submit or a crash never strands it (mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SwampError } from '../errors/index.js';
import { readBogFile, syncDirs, writeBogFile, writeFileAtomicSync, type Bog } from '../bog/index.js';
import { submitBundleName, submitFileName, VM_DISKS } from './sections.js';

const JOB_DIR_RE = /^(aswamp|mswamp)_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** `<aswamp|mswamp>_<UUID>` with an uppercase uuid (lib/assessment/ids.ts jobDirName makes them). */
export function isJobDirName(name: string): boolean {
  return JOB_DIR_RE.test(name);
}

/** A BOG holding a secret: a non-empty value under an apikey, password, secret or token key. */
export function bogHoldsSecret(bog: Bog): boolean {
  return Object.entries(bog).some(([k, v]) => /apikey|passw|secret|token/i.test(k) && (v ?? '') !== '');
}

export interface JobModes {
  /** The BOG, the submit file and the bundle. */
  file: number;
  /** The job dir (mkdir's mode, less the umask). */
  dir: number;
}

/**
 * Modes of a run's BOG and job files (pure). A setgid run dir (make install: 2770 owned by the
 * service account and the submit group, docs/deployment.md) is shared by two accounts that both
 * need a job's files: mysqld's programs write them, the service account's drain, schedd and shadow
 * read them and write the job's log beside them. There a secret (a viewer's apikey, a password) stays
 * in the group: files 0640, dir 2770, never world-readable. In a run dir of one account it is that
 * account's only: 0600, 0700. Files without a secret are 0644 in dirs 0775 either way (a run launched
 * by root, as tests and an admin's drain do, is read by the job owner's transfer).
 */
export function jobModes(bog: Bog, sharedRunDir: boolean): JobModes {
  if (!bogHoldsSecret(bog)) return { file: 0o644, dir: 0o775 };
  // 02770: chmod would otherwise clear the setgid bit the dir inherited, and files the job writes
  // there would lose the group
  return sharedRunDir ? { file: 0o640, dir: 0o2770 } : { file: 0o600, dir: 0o700 };
}

/** A run dir with the setgid bit is the two-account shape's (see jobModes). */
export function isSharedRunDir(runDir: string): boolean {
  try {
    return (statSync(runDir).mode & 0o2000) !== 0;
  } catch {
    return false;
  }
}

export type LaunchStep = 'submitting' | 'submitted';

/** Contents of `<execrunid>.launch`. */
export interface LaunchState {
  version: 1;
  execrunid: string;
  step: LaunchStep;
  jobDir: string;
  /** Set once condor_submit has answered with a cluster id. */
  clusterId?: number;
  /** The job's proc in that cluster (a batch puts many runs in one cluster); absent = 0. */
  procId?: number;
  /** For the status ad when the BOG is gone. */
  userid?: string;
  projectid?: string;
  updated: string;
}

export function queuedBogPath(runDir: string, id: string): string {
  return join(runDir, `${id}.bog`);
}

export function statePath(runDir: string, id: string): string {
  return join(runDir, `${id}.launch`);
}

function ioError(what: string, path: string, e: unknown): SwampError {
  const code = (e as NodeJS.ErrnoException).code;
  const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'denied' : code === 'ENOSPC' ? 'busy' : 'external';
  return new SwampError(kind, `cannot ${what} ${path}: ${code ?? String(e)}`, { path, code }, { cause: e });
}

export function bogComment(): string {
  return 'Bill Of Goods File: launchassessment';
}

/** `dirSync`: the run dir's fsync is left to the caller (a batch: syncDirs once per step). */
export function writeQueuedBog(runDir: string, id: string, bog: Bog, dirSync?: Set<string>): void {
  // a viewer BOG holds the viewer's apikey (jobModes)
  writeBogFile(queuedBogPath(runDir, id), bog, { comment: bogComment(), mode: jobModes(bog, isSharedRunDir(runDir)).file, ...(dirSync !== undefined ? { dirSync } : {}) });
}

export function readQueuedBog(runDir: string, id: string): Bog | undefined {
  const p = queuedBogPath(runDir, id);
  if (!existsSync(p)) return undefined;
  return readBogFile(p);
}

export function readState(runDir: string, id: string): LaunchState | undefined {
  const p = statePath(runDir, id);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', p, e);
  }
  try {
    const s = JSON.parse(text) as LaunchState;
    if (s.execrunid !== id || (s.step !== 'submitting' && s.step !== 'submitted') || !isJobDirName(s.jobDir)) throw new Error('unexpected content');
    return s;
  } catch (e) {
    throw new SwampError('external', `malformed launch state ${p}: ${(e as Error).message}`, { path: p });
  }
}

/** `dirSync`: the run dir's fsync is left to the caller (a batch: syncDirs once per step). */
export function writeState(runDir: string, s: Omit<LaunchState, 'version' | 'updated'>, dirSync?: Set<string>): LaunchState {
  const full: LaunchState = { version: 1, ...s, updated: new Date().toISOString() };
  const p = statePath(runDir, s.execrunid);
  try {
    writeFileAtomicSync(p, `${JSON.stringify(full)}\n`, { mode: 0o644, ...(dirSync !== undefined ? { dirSync } : {}) });
  } catch (e) {
    throw ioError('write', p, e);
  }
  return full;
}

function unlinkIfThere(p: string): void {
  try {
    unlinkSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', p, e);
  }
}

/** The launch is complete: state first, then the BOG (a BOG without state is re-checked by lookup). */
export function completeLaunch(runDir: string, id: string): void {
  unlinkIfThere(statePath(runDir, id));
  unlinkIfThere(queuedBogPath(runDir, id));
}

export interface QueueEntry {
  id: string;
  hasBog: boolean;
  hasState: boolean;
}

/** Runs left in the queue: `*.bog` and `*.launch` files (never `vrun_` BOGs, never temp files). */
export function listQueue(runDir: string): QueueEntry[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch (e) {
    throw ioError('list', runDir, e);
  }
  const byId = new Map<string, QueueEntry>();
  for (const n of names) {
    if (n.startsWith('.') || /vrun_/i.test(n)) continue;
    const m = /^(.+)\.(bog|launch)$/.exec(n);
    if (!m) continue;
    const id = m[1] as string;
    const e = byId.get(id) ?? { id, hasBog: false, hasState: false };
    if (m[2] === 'bog') e.hasBog = true;
    else e.hasState = true;
    byId.set(id, e);
  }
  // Oldest first, by the BOG's (or state's) modification time: fair, unlike readdir order (mirswamp/services perl/agents/vmu_csa_agent.pl).
  const mtime = (e: QueueEntry): number => {
    try {
      return statSync(join(runDir, `${e.id}.${e.hasBog ? 'bog' : 'launch'}`)).mtimeMs;
    } catch {
      return 0;
    }
  };
  return [...byId.values()].sort((a, b) => mtime(a) - mtime(b));
}

export function requestPath(runDir: string, id: string): string {
  return join(runDir, `${id}.request`);
}

/**
 * Records a launch request durably (temp + fsync + rename + dir fsync) before execute_execution_record
 * answers the DB: from here on the run is the batch submitter's (or a drain's) to launch.
 */
export function writeRequest(runDir: string, id: string): void {
  const p = requestPath(runDir, id);
  try {
    writeFileAtomicSync(p, `${JSON.stringify({ execrunid: id, requested: new Date().toISOString() })}\n`, { mode: 0o644 });
  } catch (e) {
    throw ioError('write', p, e);
  }
}

export function removeRequest(runDir: string, id: string): void {
  unlinkIfThere(requestPath(runDir, id));
}

/** Ids with a launch request, oldest first (by mtime; fair under bursts). */
export function listRequests(runDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch (e) {
    throw ioError('list', runDir, e);
  }
  const out: Array<{ id: string; t: number }> = [];
  for (const n of names) {
    if (n.startsWith('.') || !n.endsWith('.request')) continue;
    let t = 0;
    try {
      t = statSync(join(runDir, n)).mtimeMs;
    } catch {
      continue; // handled meanwhile
    }
    out.push({ id: n.slice(0, -'.request'.length), t });
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.id);
}

/** Job dirs in the run dir (names only). */
export function listJobDirs(runDir: string): string[] {
  try {
    return readdirSync(runDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && isJobDirName(d.name))
      .map((d) => d.name);
  } catch (e) {
    throw ioError('list', runDir, e);
  }
}

export interface PreparedJob {
  dir: string;
  submitFile: string;
  bundle: string;
}

/**
 * Creates (or re-creates, after a crash) the job dir: the BOG, the submit file, the VM disk
 * placeholders and the submit bundle (gzip tar of the BOG and the submit file, node-tar). The job
 * dir and the run dir (its new entry) are fsynced here, or, given `dirSync`, added to it for the
 * caller's syncDirs before the submit.
 */
export async function prepareJobDir(runDir: string, jobDir: string, id: string, bog: Bog, submitText: string, vm: boolean, dirSync?: Set<string>): Promise<PreparedJob> {
  const dirs = dirSync ?? new Set<string>();
  const dir = join(runDir, jobDir);
  const secret = bogHoldsSecret(bog);
  const modes = jobModes(bog, isSharedRunDir(runDir));
  const fileMode = modes.file;
  try {
    mkdirSync(dir, { recursive: true, mode: modes.dir });
    if (secret) chmodSync(dir, modes.dir); // an existing dir (re-created after a crash) too
  } catch (e) {
    throw ioError('create job directory', dir, e);
  }
  const bogName = `${id}.bog`;
  const subName = submitFileName(id);
  const bundleName = submitBundleName(id);
  dirs.add(runDir);
  writeBogFile(join(dir, bogName), bog, { comment: bogComment(), mode: fileMode, dirSync: dirs });
  try {
    writeFileAtomicSync(join(dir, subName), submitText, { mode: fileMode, dirSync: dirs });
    if (vm) for (const d of VM_DISKS) closeSync(openSync(join(dir, d), 'w', 0o644));
  } catch (e) {
    throw ioError('write job files in', dir, e);
  }
  const tmp = join(dir, `.${bundleName}.${process.pid}.tmp`);
  try {
    const tar = await import('tar');
    // portable: no uid/gid/uname of the launcher in the archive; plain top-level members only
    await tar.create({ gzip: true, file: tmp, cwd: dir, portable: true }, [bogName, subName]);
    chmodSync(tmp, fileMode); // it holds the BOG
    renameSync(tmp, join(dir, bundleName));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw ioError('create submit bundle in', dir, e);
  }
  if (dirSync === undefined) {
    try {
      syncDirs(dirs);
    } catch (e) {
      throw ioError('sync', dir, e);
    }
  }
  return { dir, submitFile: subName, bundle: bundleName };
}

/** Empty `ClusterId_<n>` marker in the job dir (legacy create_empty_file). */
export function markCluster(runDir: string, jobDir: string, clusterId: number, procId = 0): void {
  try {
    // a batch job is <cluster>.<proc>: the marker names the proc too (ClusterId_<c> stays for proc 0)
    writeFileSync(join(runDir, jobDir, procId === 0 ? `ClusterId_${clusterId}` : `ClusterId_${clusterId}.${procId}`), '', { mode: 0o644 });
  } catch {
    /* informational marker only */
  }
}

export function removeJobDir(runDir: string, jobDir: string): void {
  if (!isJobDirName(jobDir)) return;
  rmSync(join(runDir, jobDir), { recursive: true, force: true });
}
