/**
 * Structured per-program logs: `<logDir>/<program>.log`, one JSON object per line.
 *
 * - Each line goes out in ONE write(2) on a descriptor opened with O_APPEND, so lines of concurrent
 *   processes (a DB tick launching runs while a kill and a monitor run) never interleave.
 * - Never stdout: stdout of these programs is read by sys_eval. If the log directory is not
 *   writable, lines go to stderr (the mysqld error log, or swamperrors.log for detached workers).
 * - Nothing is ever truncated (the legacy wiped the global runtrace.log on every launch).
 * - No dependencies and no work at import time: start-up time is an API for sys_exec.
 * - The log dir is group-writable for the accounts that log (mysqld's, the service account, root),
 *   so anyone in that group could plant a link there: files are opened with O_NOFOLLOW and
 *   O_NONBLOCK and must be regular files with one link, else lines go to stderr. New files are 0640;
 *   one made by root is given to the directory's owner so the service account can append to it. A
 *   file of another account that we may not append to is left alone: our lines go to
 *   `<program>.<user>.log` beside it.
 * - Rotation: before each line the name is checked (lstat) against the open descriptor; when
 *   logrotate has moved the file away, or it is gone, the file is opened again (created). SIGHUP
 *   does the same for long-running programs (reopenLogFiles), so a monitorjob that runs for days
 *   never writes into a rotated, later deleted file.
 */
import { closeSync, fchmodSync, fchownSync, fstatSync, lstatSync, openSync, statSync, writeSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type Fields = Readonly<Record<string, unknown>>;

const LEVELS: Readonly<Record<Level, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const CORE = new Set(['time', 'level', 'program', 'pid', 'msg']);

export function isLevel(s: string): s is Level {
  return Object.prototype.hasOwnProperty.call(LEVELS, s);
}

export interface Logger {
  readonly program: string;
  readonly level: Level;
  /** The file lines go to, or undefined while writing to stderr. */
  readonly target: string | undefined;
  trace(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  fatal(msg: string, fields?: Fields): void;
  isEnabled(level: Level): boolean;
  /** A logger writing to the same sink with extra fields on every line (e.g. { runid }). */
  child(bindings: Fields): Logger;
}

export interface LoggerOptions {
  /** Program name: file name `<program>.log` and the `program` field. Must be a plain name. */
  program: string;
  /** Directory of the log file (from config; default /opt/swamp/log). null = stderr only. */
  logDir?: string | null;
  /** Minimum level; default from $SWAMP_LOG_LEVEL, else 'info'. */
  level?: Level;
  /** Fields on every line. */
  bindings?: Fields;
  /** Permission bits of a newly created log file. Default 0o640 (group: the log readers). */
  fileMode?: number;
}

/** Every open sink, so SIGHUP (reopenLogFiles) can reach the descriptors of a long-running program. */
const SINKS = new Set<WeakRef<Sink>>();

/** Makes every logger of this process open its file again before its next line (SIGHUP after rotation). */
export function reopenLogFiles(): void {
  for (const ref of SINKS) {
    const s = ref.deref();
    if (s === undefined) SINKS.delete(ref);
    else s.reopen();
  }
}

function userName(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') || String(process.getuid?.() ?? 'user');
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}

/** Where lines go: opened lazily on the first line, shared by a logger and its children. */
class Sink {
  #fd: number | undefined;
  #opened = false;
  /** dev/ino of the open file, to notice a rotation. */
  #dev = 0;
  #ino = 0;
  target: string | undefined;
  readonly #file: string | undefined;
  readonly #mode: number;

  constructor(file: string | undefined, mode: number) {
    this.#file = file;
    this.#mode = mode;
    if (file !== undefined) SINKS.add(new WeakRef(this));
  }

  /** Opens `file` for appending: never through a link, only a regular file with one name. */
  #openFile(file: string): number {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    let fd: number;
    let created = false;
    try {
      // Create exclusively first so a new file gets its mode regardless of the umask.
      fd = openSync(file, flags | constants.O_CREAT | constants.O_EXCL, this.#mode);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      fd = openSync(file, flags);
    }
    try {
      const st = fstatSync(fd);
      // A FIFO or device, or a hard link to someone else's file planted in the log dir.
      if (!st.isFile() || st.nlink !== 1) throw Object.assign(new Error(`${file} is not a plain log file`), { code: 'EUNSAFE' });
      if (created) {
        try {
          fchmodSync(fd, this.#mode);
          // root's new file goes to the directory's owner (the service account), which appends to it next
          if (process.getuid?.() === 0) {
            const dir = statSync(join(file, '..'));
            if (dir.uid !== 0) fchownSync(fd, dir.uid, dir.gid);
          }
        } catch {
          /* not our file system to change modes on */
        }
      }
      this.#dev = st.dev;
      this.#ino = st.ino;
      return fd;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  #open(): void {
    this.#opened = true;
    if (this.#file === undefined) return;
    try {
      this.#fd = this.#openFile(this.#file);
      this.target = this.#file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EACCES') return this.#fallback(e);
      // Another account's 0640 file: our own file beside it.
      const own = this.#file.replace(/\.log$/, `.${userName()}.log`);
      try {
        this.#fd = this.#openFile(own);
        this.target = own;
      } catch (e2) {
        this.#fallback(e2);
      }
    }
  }

  /** True when the name no longer leads to the open file (rotated away, removed, replaced). */
  #rotated(): boolean {
    if (this.target === undefined) return false;
    try {
      const st = lstatSync(this.target);
      return st.ino !== this.#ino || st.dev !== this.#dev;
    } catch {
      return true;
    }
  }

  reopen(): void {
    this.close();
  }

  #fallback(e: unknown): void {
    this.#fd = undefined;
    this.target = undefined;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    this.#raw(2, `${JSON.stringify({ time: new Date().toISOString(), level: 'warn', pid: process.pid, msg: `log file ${this.#file} not writable (${code}); logging to stderr` })}\n`);
  }

  #raw(fd: number, line: string): void {
    const buf = Buffer.from(line, 'utf8');
    try {
      let off = 0;
      // Regular files take the whole buffer in one write(2); the loop only matters for pipes.
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } catch {
      // A logger must never take the program down (EPIPE on a closed stderr, ENOSPC, ...).
    }
  }

  write(line: string): void {
    if (this.#opened && this.#fd !== undefined && this.#rotated()) this.close();
    if (!this.#opened) this.#open();
    if (this.#fd !== undefined) {
      const before = this.#fd;
      try {
        const buf = Buffer.from(line, 'utf8');
        let off = 0;
        while (off < buf.length) off += writeSync(before, buf, off, buf.length - off);
        return;
      } catch (e) {
        this.#fallback(e);
      }
    }
    this.#raw(2, line);
  }

  close(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        /* already closed */
      }
    }
    this.#fd = undefined;
    this.#opened = false;
  }
}

function errorFields(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name, message: e.message };
  const rec = e as unknown as Record<string, unknown>;
  if (typeof rec.kind === 'string') out.kind = rec.kind;
  if (rec.details !== undefined) out.details = rec.details;
  if (typeof rec.code === 'string') out.code = rec.code;
  if (e.stack) out.stack = e.stack;
  if (e.cause !== undefined) out.cause = e.cause instanceof Error ? errorFields(e.cause) : e.cause;
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return errorFields(value);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  return value;
}

/** Builds one log line (pure; exported for tests). Core keys cannot be overridden by fields. */
export function formatLine(level: Level, program: string, msg: string, bindings: Fields, fields: Fields | undefined, now = new Date()): string {
  const rec: Record<string, unknown> = { time: now.toISOString(), level, program, pid: process.pid };
  for (const [k, v] of Object.entries(bindings)) rec[CORE.has(k) ? `field_${k}` : k] = v;
  rec.msg = msg;
  if (fields) for (const [k, v] of Object.entries(fields)) rec[CORE.has(k) ? `field_${k}` : k] = v;
  let json: string;
  try {
    json = JSON.stringify(rec, replacer);
  } catch {
    // Circular structures: keep the message, drop the fields rather than lose the line.
    json = JSON.stringify({ time: rec.time, level, program, pid: process.pid, msg, fields_error: 'unserialisable fields' });
  }
  return `${json}\n`;
}

class JsonLogger implements Logger {
  readonly program: string;
  readonly level: Level;
  readonly #min: number;
  readonly #sink: Sink;
  readonly #bindings: Fields;

  constructor(program: string, level: Level, sink: Sink, bindings: Fields) {
    this.program = program;
    this.level = level;
    this.#min = LEVELS[level];
    this.#sink = sink;
    this.#bindings = bindings;
  }

  get target(): string | undefined {
    return this.#sink.target;
  }

  isEnabled(level: Level): boolean {
    return LEVELS[level] >= this.#min;
  }

  #log(level: Level, msg: string, fields?: Fields): void {
    if (LEVELS[level] < this.#min) return;
    this.#sink.write(formatLine(level, this.program, msg, this.#bindings, fields));
  }

  trace(msg: string, fields?: Fields): void {
    this.#log('trace', msg, fields);
  }
  debug(msg: string, fields?: Fields): void {
    this.#log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.#log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.#log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.#log('error', msg, fields);
  }
  fatal(msg: string, fields?: Fields): void {
    this.#log('fatal', msg, fields);
  }

  child(bindings: Fields): Logger {
    return new JsonLogger(this.program, this.level, this.#sink, { ...this.#bindings, ...bindings });
  }
}

const PROGRAM_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Creates a logger. Opening the file is deferred to the first line that passes the level filter. */
export function createLogger(opts: LoggerOptions): Logger {
  if (!PROGRAM_RE.test(opts.program)) throw new TypeError(`invalid program name for a log file: ${JSON.stringify(opts.program)}`);
  const envLevel = process.env.SWAMP_LOG_LEVEL;
  const level: Level = opts.level ?? (envLevel !== undefined && isLevel(envLevel) ? envLevel : 'info');
  const dir = opts.logDir === undefined ? '/opt/swamp/log' : opts.logDir;
  const file = dir === null ? undefined : join(dir, `${opts.program}.log`);
  return new JsonLogger(opts.program, level, new Sink(file, opts.fileMode ?? 0o640), opts.bindings ?? {});
}

/** A logger that drops everything (tests, library code called without one). */
class NullLogger implements Logger {
  readonly program = 'null';
  readonly level: Level = 'fatal';
  readonly target = undefined;
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  fatal(): void {}
  isEnabled(): boolean {
    return false;
  }
  child(): Logger {
    return this;
  }
}

export const nullLogger: Logger = new NullLogger();
