/**
 * The shared instance's UDF settings (services/mariadb/db.sh writes them on every start: strict mode,
 * dist/bin's three entry programs on the allowlist). A test whose programs live elsewhere (its own
 * tree or a recording bin), or that checks the legacy shell mode, adds lines for its duration; the
 * UDF re-reads the file at every statement. Tests run one file at a time (--runInBand), and the next
 * `db.sh start` rewrites the file anyway.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dbEnv } from './db-env.js';

export async function sharedUdfConfPath(): Promise<string> {
  const e = await dbEnv();
  if (process.env.SWAMP_UDF_CONF) return process.env.SWAMP_UDF_CONF;
  if (!e.SWAMP_DB_PLUGIN_DIR) throw new Error('SWAMP_DB_PLUGIN_DIR unknown: source .local/env');
  return path.join(e.SWAMP_DB_PLUGIN_DIR, 'sys_udf.conf');
}

function writeConf(p: string, text: string): void {
  const tmp = `${p}.test-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  chmodSync(tmp, 0o644); // the UDF refuses a group/world-writable file
  renameSync(tmp, p);
}

/** Appends `lines` (later keys win, allow lines add up); returns the function that restores the file. */
export async function extendSharedUdfConf(lines: readonly string[]): Promise<() => void> {
  const p = await sharedUdfConfPath();
  const original = readFileSync(p, 'utf8');
  writeConf(p, `${original.replace(/\n?$/, '\n')}# added by a test (${process.pid})\n${lines.join('\n')}\n`);
  return () => writeConf(p, original);
}

/** allow lines for the three entry programs of a bin directory. */
export function allowEntryPrograms(binDir: string): string[] {
  return ['execute_execution_record', 'launch_viewer', 'kill_run'].map((n) => `allow = ${path.join(binDir, n)}`);
}
