/**
 * Structured per-program logs: `<logDir>/<program>.log`, one JSON object per line.
 *
 * - Each line goes out in ONE write(2) on a descriptor opened with O_APPEND, so lines of concurrent
 *   processes (a DB tick launching runs while a kill and a monitor run) never interleave.
 * - Never stdout: stdout of these programs is read by sys_eval. If the log directory is not
 *   writable, lines go to stderr (the mysqld error log, or swamperrors.log for detached workers).
 * - Nothing is ever truncated (the legacy wiped the global runtrace.log on every launch).
 * - No dependencies and no work at import time: start-up time is an API for sys_exec.
 */
import { closeSync, fchmodSync, openSync, writeSync, constants } from 'node:fs';
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
  /** Permission bits of a newly created log file. Default 0o666: the same files are written by the
   * mysqld user, the daemon user and job owners, as the legacy appenders (umask 0) allowed. */
  fileMode?: number;
}

/** Where lines go: opened lazily on the first line, shared by a logger and its children. */
class Sink {
  #fd: number | undefined;
  #opened = false;
  target: string | undefined;
  readonly #file: string | undefined;
  readonly #mode: number;

  constructor(file: string | undefined, mode: number) {
    this.#file = file;
    this.#mode = mode;
  }

  #open(): void {
    this.#opened = true;
    if (this.#file === undefined) return;
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
    try {
      // Create exclusively first so a new file gets its mode regardless of the umask.
      const fd = openSync(this.#file, flags | constants.O_EXCL, this.#mode);
      try {
        fchmodSync(fd, this.#mode);
      } catch {
        /* not our file system to change modes on */
      }
      this.#fd = fd;
      this.target = this.#file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return this.#fallback(e);
      try {
        this.#fd = openSync(this.#file, flags, this.#mode);
        this.target = this.#file;
      } catch (e2) {
        this.#fallback(e2);
      }
    }
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
  return new JsonLogger(opts.program, level, new Sink(file, opts.fileMode ?? 0o666), opts.bindings ?? {});
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
