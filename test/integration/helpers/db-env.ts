/**
 * Connection settings of the private MariaDB for integration tests: MYSQL_* from the environment
 * (CI exports `services/mariadb/db.sh env`), otherwise `db.sh start` (idempotent, ~0.05 s when the
 * server is up) followed by `db.sh env`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../../lib/proc/run.js';
import type { DbOptions } from '../../../lib/db/index.js';

export function projectDir(): string {
  let dir = process.cwd();
  for (;;) {
    if (existsSync(path.join(dir, 'services/mariadb/db.sh'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find services/mariadb/db.sh above ' + process.cwd());
    dir = up;
  }
}

export function dbScript(): string {
  return path.join(projectDir(), 'services/mariadb/db.sh');
}

/** Parses `export NAME='value'` / `export NAME=value` lines. */
export function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(.*))$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = m[2] ?? m[3] ?? '';
  }
  return out;
}

let cached: Record<string, string> | undefined;

export async function dbEnv(): Promise<Record<string, string>> {
  if (cached) return cached;
  const e = process.env;
  if (e.MYSQL_HOST && e.MYSQL_USER && e.MYSQL_PWD !== undefined) {
    cached = Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== undefined));
    return cached;
  }
  await run(dbScript(), ['start'], { timeoutMs: 180_000 });
  const r = await run(dbScript(), ['env'], { timeoutMs: 10_000 });
  cached = parseEnvLines(r.stdout);
  return cached;
}

export async function dbOptions(overrides: Partial<DbOptions> = {}): Promise<DbOptions> {
  const e = await dbEnv();
  return {
    host: e.MYSQL_HOST ?? '127.0.0.1',
    port: Number(e.MYSQL_PORT ?? 3407),
    user: e.MYSQL_USER ?? 'swamp',
    password: e.MYSQL_PWD ?? '',
    database: e.SWAMP_DB_NAME ?? 'assessment',
    connectTimeoutMs: 5000,
    ...overrides,
  };
}
