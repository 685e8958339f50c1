/** mysql2 access for the backend: one connection per program run, placeholders only, typed errors. */
export { connect, withDb, Db, type DbOptions, type SqlValue, type Row, type ExecResult } from './connection.js';
export { DbError, classifyMysqlError, toDbError, type MysqlErrorLike } from './errors.js';
export * from './backend.js';
export * from './admin.js';
