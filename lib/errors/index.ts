/**
 * Typed errors shared by every program. Each class carries the failure kind that the CLI layer maps
 * to an exit code in one place (lib/cli/exit-codes.ts), so library code never calls process.exit.
 */

/** How a failure is classified, so callers can decide between retry, success and report. */
export type FailureKind =
  | 'usage' // bad argv or a value that fails validation
  | 'config' // swamp.conf unreadable or malformed
  | 'not-found' // the job, run or file does not exist
  | 'already-done' // the action was already carried out (idempotent success)
  | 'busy' // timeout, lock held, service temporarily unreachable
  | 'denied' // permission refused by HTCondor, the DB or the file system
  | 'external' // an external tool failed in a way not covered above
  | 'internal'; // a bug of ours

export class SwampError extends Error {
  readonly kind: FailureKind;
  /** Extra facts for the log line (never printed on a contract stdout). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: FailureKind, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.details = details;
  }
}

export class UsageError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('usage', message, details);
  }
}

export class ConfigError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('config', message, details, options);
  }
}

export class ValidationError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('usage', message, details);
  }
}

/** An external program (condor_*, mysql, qemu-img, ...) failed; kind says how. */
export class ExternalCommandError extends SwampError {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;

  constructor(
    kind: FailureKind,
    message: string,
    info: { command: string; exitCode?: number | undefined; stderr?: string; timedOut?: boolean },
    options?: { cause?: unknown },
  ) {
    super(kind, message, { command: info.command, exitCode: info.exitCode, timedOut: info.timedOut ?? false }, options);
    this.command = info.command;
    this.exitCode = info.exitCode;
    this.stderr = info.stderr ?? '';
  }
}

export function isSwampError(e: unknown): e is SwampError {
  return e instanceof SwampError;
}

/** Wraps anything thrown into a SwampError so the exit-code mapping sees one type. */
export function toSwampError(e: unknown): SwampError {
  if (e instanceof SwampError) return e;
  if (e instanceof Error) return new SwampError('internal', e.message, {}, { cause: e });
  return new SwampError('internal', String(e));
}
