/**
 * Shared pieces of the local platform's "machine" programs (assessment-machine.ts, viewer-machine.ts).
 *
 * On this test platform vm and docker universe jobs cannot run, so a vanilla-universe job runs one of
 * our programs in the job's scratch directory, and that program plays the machine: it writes the same
 * event words, IP file and out/ files as a real VM (serial ports) or container (files under
 * $_CONDOR_SCRATCH_DIR/out) would. Nothing here talks to HTCondor, the DB or the test fixtures.
 */
import { appendFile, chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors/index.js';

/** `in/` and `out/` under the scratch dir, and the channel files of mirswamp/deployment swamp/config/libvirt_swamp_script.awk. */
export interface JobPaths {
  jobDir: string;
  inDir: string;
  outDir: string;
  eventFile: string;
  ipFile: string;
  runOut: string;
}

export function jobPaths(jobDir: string): JobPaths {
  const outDir = join(jobDir, 'out');
  return {
    jobDir,
    inDir: join(jobDir, 'in'),
    outDir,
    eventFile: join(outDir, 'job_events.log'),
    ipFile: join(outDir, 'job_ip_address.txt'),
    runOut: join(outDir, 'run.out'),
  };
}

/**
 * A properties file as ConfigReader::Simple reads BOGs and .conf files: `key=value` or `key value`,
 * `#` comments and blank lines skipped, one pair of surrounding quotes stripped, last duplicate wins.
 * Small on purpose: the machine only needs a few keys, and must not depend on lib/bog.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^\s*([^=\s]+)\s*=?\s*(.*?)\s*$/.exec(line);
    if (!m || m[1] === undefined) continue;
    let v = m[2] ?? '';
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    out.set(m[1], v);
  }
  return out;
}

/** `export NAME=value` lines of run-params.sh (PreViewer writes them; the shell removed the quotes). */
export function parseRunParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(raw);
    if (!m || m[1] === undefined) continue;
    let v = m[2] ?? '';
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    out.set(m[1], v);
  }
  return out;
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The BOG in the scratch dir, in/ or out/ (PreAssessment copies it to out/, PreViewer to in/). */
export async function readBog(p: JobPaths): Promise<Map<string, string>> {
  for (const dir of [p.jobDir, p.inDir, p.outDir]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    const bog = names.filter((n) => n.endsWith('.bog')).sort()[0];
    if (bog !== undefined) return parseProperties((await readFile(join(dir, bog), 'utf8')) ?? '');
  }
  return new Map();
}

/**
 * NumJobStarts of this job from the starter's copy of the job ad ($_CONDOR_JOB_AD), as PreAssessment
 * gets it through `$$([NumJobStarts])`; 0 when unknown.
 */
export async function numJobStartsFromJobAd(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = env._CONDOR_JOB_AD;
  if (!path) return 0;
  const text = await readTextIfExists(path);
  const m = text === undefined ? null : /^\s*NumJobStarts\s*=\s*(\d+)\s*$/m.exec(text);
  return m && m[1] !== undefined ? Number(m[1]) : 0;
}

/** `%Y/%m/%d %H:%M:%S` local time, the prefix of record_event lines in run.out. */
export function runOutStamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export type EventMode = 'append' | 'truncate';

/**
 * record_event of the in-machine scripts: a numbered line in run.out and the bare word in the event
 * file. `append` = serial port / `echo WORD >> file`; `truncate` = docker scripts' `echo WORD > file`.
 */
export class EventWriter {
  private sequence = 10;
  readonly written: string[] = [];

  constructor(
    private readonly paths: JobPaths,
    private readonly mode: EventMode,
  ) {}

  async record(word: string, message: string): Promise<void> {
    await appendFile(this.paths.runOut, `${runOutStamp()}: ${this.sequence} ${word} ${message}\n`);
    this.sequence++;
    if (this.mode === 'append') await appendFile(this.paths.eventFile, `${word}\n`);
    else await writeFile(this.paths.eventFile, `${word}\n`);
    this.written.push(word);
  }

  async log(line: string): Promise<void> {
    await appendFile(this.paths.runOut, `${runOutStamp()}: ${line}\n`);
  }
}

/**
 * in/ and out/, group-writable (0775 whatever the umask): they travel back to the submit side with
 * these modes, where mysqld's user (the submit group) removes them (docs/deployment.md).
 */
export async function ensureDirs(p: JobPaths): Promise<void> {
  for (const d of [p.inDir, p.outDir]) {
    await mkdir(d, { recursive: true });
    await chmod(d, 0o775);
  }
}

/** Sleep that ends early when `signal` aborts (SIGTERM must not wait for a long "assessment"). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Parse a non-negative integer option; undefined when absent; throws on garbage (a usage error). */
export function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

/** Where a machine program's own messages go (stderr; tests pass a collector). */
export interface MachineIo {
  stderr: (text: string) => void;
}

export const defaultMachineIo: MachineIo = { stderr: (t) => void process.stderr.write(t) };

/**
 * The entry shared by both machine programs: settings (exit 2 when they are wrong), then the play
 * with an abort signal raised by SIGTERM/SIGINT (condor_rm's graceful removal), exit 1 on failure.
 */
export async function runMachine<S>(
  name: string,
  resolve: () => Promise<S>,
  play: (settings: S, signal: AbortSignal) => Promise<number>,
  io: MachineIo,
): Promise<number> {
  let settings: S;
  try {
    settings = await resolve();
  } catch (e) {
    io.stderr(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const ac = new AbortController();
  const onTerm = (): void => ac.abort();
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  try {
    return await play(settings, ac.signal);
  } catch (e) {
    io.stderr(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
  }
}
