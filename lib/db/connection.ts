/**
 * A single MariaDB connection for one program run (our CLIs are short-lived: one connection, a few
 * statements, close). mysql2 is imported lazily: its load time is part of every sys_exec call's
 * latency and most code paths never touch the database.
 */
import { toDbError } from './errors.js';

export interface DbOptions {
  host: string;
  port: number;
  /** Unix socket; when set, host/port are ignored by mysql2. */
  socketPath?: string;
  user: string;
  password: string;
  database?: string;
  connectTimeoutMs: number;
  /** Per-statement client-side timeout (default 30 s): a hung server must not hold the program. */
  queryTimeoutMs?: number;
}

/** Scalar values we bind to placeholders. */
export type SqlValue = string | number | boolean | null | Date | Buffer;

/** A row as mysql2 returns it with dateStrings: column name -> value. */
export type Row = Record<string, unknown>;

export interface ExecResult {
  affectedRows: number;
  insertId: number;
}

/** The subset of mysql2's promise connection we use (typed here so callers never see mysql2 types). */
interface RawConnection {
  query(options: { sql: string; timeout?: number; values?: readonly SqlValue[] }): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  destroy(): void;
}

export class Db {
  readonly #conn: RawConnection;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(conn: RawConnection, timeoutMs: number) {
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
  }

  /** SELECT (or CALL that returns rows): placeholders only, never string-built values. */
  async select<T extends Row = Row>(sql: string, values: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.#run(sql, values);
    if (!Array.isArray(result)) return [];
    return result as T[];
  }

  /** INSERT/UPDATE/DELETE/CALL without rows. */
  async execute(sql: string, values: readonly SqlValue[] = []): Promise<ExecResult> {
    const result = await this.#run(sql, values);
    // CALL returns [ResultSetHeader] or [rows..., header]; plain DML returns a ResultSetHeader
    const header = (Array.isArray(result) ? result[result.length - 1] : result) as Partial<ExecResult> | undefined;
    return { affectedRows: Number(header?.affectedRows ?? 0), insertId: Number(header?.insertId ?? 0) };
  }

  /**
   * CALL a procedure whose last parameter is an OUT string (the legacy `return_string` pattern):
   * mysql2 cannot bind OUT parameters, so the value goes through a session variable, read back on
   * the same connection.
   */
  async callWithOut(procedure: string, inValues: readonly SqlValue[]): Promise<string | null> {
    if (!/^[a-z_]+\.[a-z_]+$/.test(procedure)) throw new TypeError(`bad procedure name ${procedure}`);
    const marks = inValues.map(() => '?').join(', ');
    await this.#run(`CALL ${procedure}(${marks}${marks ? ', ' : ''}@swamp_out)`, inValues);
    const rows = await this.select<{ out: unknown }>('SELECT @swamp_out AS `out`');
    const v = rows[0]?.out;
    if (v === null || v === undefined) return null;
    return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#conn.end();
    } catch {
      this.#conn.destroy(); // the server went away: nothing left to flush
    }
  }

  async #run(sql: string, values: readonly SqlValue[]): Promise<unknown> {
    try {
      const [result] = await this.#conn.query({ sql, values: [...values], timeout: this.#timeoutMs });
      return result;
    } catch (e) {
      throw toDbError(e, 'query');
    }
  }
}

export async function connect(opts: DbOptions): Promise<Db> {
  const mysql = await import('mysql2/promise');
  try {
    const conn = await mysql.createConnection({
      host: opts.host,
      port: opts.port,
      ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
      user: opts.user,
      password: opts.password,
      ...(opts.database ? { database: opts.database } : {}),
      connectTimeout: opts.connectTimeoutMs,
      charset: 'utf8mb4_general_ci',
      // keep DATETIME as the text the DB stores: statuses and BOG values are strings, and a
      // Date would pick up the local time zone
      dateStrings: true,
      supportBigNumbers: true,
      multipleStatements: false,
    });
    // narrowed to the few methods we call, so no mysql2 type leaks into the rest of the code
    return new Db(conn as unknown as RawConnection, opts.queryTimeoutMs ?? 30_000);
  } catch (e) {
    throw toDbError(e, 'connect');
  }
}

/** Opens, runs fn, always closes. */
export async function withDb<T>(opts: DbOptions, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await connect(opts);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
