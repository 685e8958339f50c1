/**
 * Shape checks for values that reach a program through a database command line (docs/security.md).
 * Pure: no I/O. Every check returns the value unchanged or throws a ValidationError (exit 2) whose
 * message names the option and quotes a truncated, JSON-escaped copy of the value (safe in a log line).
 */
import { posix } from 'node:path';
import { ValidationError } from '../errors/index.js';
import { describeValue, isUuid } from './ids.js';

/** Longest free-text value accepted (the DB columns are VARCHAR(100)/(200)). */
export const MAX_TEXT = 400;
/** Longest path accepted (VARCHAR(200) columns plus a base path). */
export const MAX_PATH = 1024;

function refuse(option: string, value: string, why: string): never {
  throw new ValidationError(`--${option} ${describeValue(value)}: ${why}`, { option });
}

// C0 controls, DEL and the C1 range: a newline in a name would forge log lines and BOG entries.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Free text (names, versions): printable, bounded. Quotes, `$`, `;` are data here, never syntax. */
export function checkText(option: string, value: string, max = MAX_TEXT): string {
  if (value.length > max) refuse(option, value, `longer than ${max} characters`);
  if (CONTROL.test(value)) refuse(option, value, 'control characters are not accepted');
  return value;
}

/** One of a fixed set of words, compared exactly. */
export function checkEnum<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) refuse(option, value, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return value as T;
}

/** Digits only (package type ids). */
export function checkDigits(option: string, value: string): string {
  if (!/^\d{1,9}$/.test(value)) refuse(option, value, 'expected a number');
  return value;
}

/** A uuid (lower or upper case, as MySQL uuid() and Data::UUID write them). */
export function checkUuid(option: string, value: string): string {
  if (!isUuid(value)) refuse(option, value, 'expected a uuid');
  return value;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` as MariaDB prints a DATETIME, or empty. */
export function checkDateTime(option: string, value: string): string {
  if (value !== '' && !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/.test(value)) refuse(option, value, 'expected a date and time');
  return value;
}

/** Hex digest (checksums), or empty. */
export function checkHex(option: string, value: string): string {
  if (!/^[0-9A-Fa-f]{0,256}$/.test(value)) refuse(option, value, 'expected a hex checksum');
  return value;
}

/**
 * An absolute path below one of `roots` (each an absolute directory): normalised without `..`, no
 * control characters, bounded, never a root itself. Lexical only: the caller opens it without following
 * symlinks out of the root where that matters. Returns the path as given.
 */
export function checkPathUnder(option: string, value: string, roots: readonly string[]): string {
  if (value.length > MAX_PATH) refuse(option, value, `longer than ${MAX_PATH} characters`);
  if (CONTROL.test(value)) refuse(option, value, 'control characters are not accepted');
  if (!value.startsWith('/')) refuse(option, value, 'expected an absolute path');
  if (value.split('/').some((c) => c === '..' || c === '.')) refuse(option, value, "'.' and '..' are not accepted in a path");
  const norm = posix.normalize(value);
  for (const r of roots) {
    const root = posix.normalize(r).replace(/\/+$/, '');
    if (root === '' || !root.startsWith('/')) continue;
    if (norm.startsWith(`${root}/`) && norm.length > root.length + 1) return value;
  }
  refuse(option, value, `not below a configured directory (${roots.join(', ') || 'none configured'})`);
}
