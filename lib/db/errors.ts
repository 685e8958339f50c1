/**
 * Classifies mysql2 failures into the shared failure kinds, so a caller can tell "try again later"
 * (server down, timeout, lock) from "fix the credentials" (denied) from everything else.
 * Pure: no I/O, testable without a server.
 */
import { SwampError, type FailureKind } from '../errors/index.js';

/** What mysql2 puts on its errors (both network errors and server errors). */
export interface MysqlErrorLike {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

export class DbError extends SwampError {
  readonly code: string | undefined;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;

  constructor(kind: FailureKind, message: string, info: MysqlErrorLike & { operation?: string }, options?: { cause?: unknown }) {
    super(kind, message, { code: info.code, errno: info.errno, sqlState: info.sqlState, operation: info.operation }, options);
    this.code = info.code;
    this.errno = info.errno;
    this.sqlState = info.sqlState;
  }
}

// The server or the network is not (yet) answering, or a transient server condition: retry later.
const BUSY = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOENT', // socket file missing: server not started
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT', // our query timeout
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  'ER_STATEMENT_TIMEOUT',
]);

const DENIED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_PROCACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_PASSWORD_NO_MATCH',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'EACCES',
]);

export function classifyMysqlError(e: MysqlErrorLike): FailureKind {
  const code = e.code ?? '';
  if (BUSY.has(code)) return 'busy';
  if (DENIED.has(code)) return 'denied';
  return 'external';
}

/** Wraps whatever mysql2 threw; never includes the password (mysql2 messages do not carry it). */
export function toDbError(e: unknown, operation: string): DbError {
  if (e instanceof DbError) return e;
  const info: MysqlErrorLike = typeof e === 'object' && e !== null ? (e as MysqlErrorLike) : { message: String(e) };
  const kind = classifyMysqlError(info);
  const text = info.sqlMessage ?? info.message ?? String(e);
  return new DbError(kind, `database ${operation} failed: ${info.code ? `${info.code}: ` : ''}${text}`, { ...info, operation }, { cause: e });
}
