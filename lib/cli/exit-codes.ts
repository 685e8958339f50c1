/**
 * The ONE place where failures become exit codes (docs/cli-conventions.md has the same table).
 *
 * sys_exec callers only test `= 0`, so the split below is for administrators, cron/systemd and tests:
 * 0 and 2 follow the getopt/gh/HTCondor-CLI habit, the rest reuse sysexits(3) numbers because they are
 * the only shared vocabulary for "retry later" (75) and "fix the config" (78).
 */
import { toSwampError, type FailureKind, type SwampError } from '../errors/index.js';
import { nullLogger, type Logger } from '../log/index.js';

export const EXIT_OK = 0;

export const EXIT_CODES: Readonly<Record<FailureKind, number>> = {
  'already-done': 0, // idempotent success: the wanted state already holds (job already gone, ...)
  external: 1, // an external tool failed (condor_*, mysql, tar): generic failure, like the HTCondor tools
  usage: 2, // bad argv or an id that fails validation
  'not-found': 66, // EX_NOINPUT: the run, job or file does not exist
  internal: 70, // EX_SOFTWARE: a bug of ours
  busy: 75, // EX_TEMPFAIL: timeout, lock held, schedd/DB unreachable; retrying later may work
  denied: 77, // EX_NOPERM: HTCondor, the DB or the file system refused
  config: 78, // EX_CONFIG: swamp.conf unreadable, malformed or missing a needed value
};

/** Exit code for any thrown value (non-SwampErrors count as internal). */
export function exitCodeFor(e: unknown): number {
  return EXIT_CODES[toSwampError(e).kind];
}

export interface RunProgramOptions {
  /** Program name for stderr messages. */
  program: string;
  /** Logger, or a function returning it (it may only exist once main has read the config). */
  logger?: Logger | (() => Logger | undefined);
  /** Where the one-line error message goes (default process.stderr; never stdout). */
  stderr?: { write(s: string): unknown };
  /**
   * Under the names the database calls (docs/security.md): a usage error is logged as
   * `refused from the database, <nothing>: <message>` with the argv (JSON-escaped in the log line).
   */
  fromDatabase?: { nothing: string; argv: readonly string[] };
}

function resolveLogger(l: RunProgramOptions['logger']): Logger {
  if (l === undefined) return nullLogger;
  if (typeof l === 'function') return l() ?? nullLogger;
  return l;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 500);
}

/**
 * Runs `main`, maps its outcome to process.exitCode and returns that code. Never calls process.exit:
 * that would cut a pending stdout write that sys_eval is still reading.
 * `main` returns an exit code (or nothing for 0); thrown errors are logged with their kind and details
 * and summarised in one line on stderr; 'already-done' is logged as info and exits 0.
 */
export async function runProgram(main: () => Promise<number | void> | number | void, opts: RunProgramOptions): Promise<number> {
  let code: number;
  try {
    const r = await main();
    code = typeof r === 'number' ? r : EXIT_OK;
  } catch (thrown) {
    const err: SwampError = toSwampError(thrown);
    code = EXIT_CODES[err.kind];
    const log = resolveLogger(opts.logger);
    if (err.kind === 'already-done') {
      log.info(err.message, { kind: err.kind, ...err.details });
    } else {
      const db = opts.fromDatabase;
      const refused = db !== undefined && err.kind === 'usage';
      log.error(refused ? `refused from the database, ${db.nothing}: ${err.message}` : err.message, {
        kind: err.kind, exitCode: code, details: err.details, err: err.kind === 'internal' ? (err.cause ?? err) : undefined, ...(refused ? { argv: [...db.argv] } : {}),
      });
      const out = opts.stderr ?? process.stderr;
      try {
        out.write(`${opts.program}: ${oneLine(err.message)}\n`);
      } catch {
        /* stderr closed: the log line above is the record */
      }
    }
  }
  process.exitCode = code;
  return code;
}
