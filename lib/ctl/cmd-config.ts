/**
 * `swampctl config get [key] | set <key> <value> | check`. `set` validates the whole new file before
 * writing it atomically (temp file, fsync, rename), with the old file's mode and owner.
 */
import { chownSync, readFileSync, statSync } from 'node:fs';
import { formatJson, isHumanOutput, printListing, writeOut, type OutStream } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { ConfigError, SwampError, UsageError } from '../errors/index.js';
import { configFromText } from '../config/index.js';
import { writeFileAtomicSync } from '../bog/atomic.js';
import { resolveConfigPath } from '../config/index.js';
import { checkConfig, checkConfigText, SECRET_KEY_RE, setConfigValue } from './config-edit.js';
import type { CommonOptions } from './env.js';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read config file ${path}: ${code ?? String(e)}`, { file: path, code });
  }
}

export async function configCommand(o: CommonOptions, action: string, key: string | undefined, value: string | undefined, out: OutStream = process.stdout): Promise<number> {
  const path = resolveConfigPath({ path: o.config }).path;
  switch (action) {
    case 'get': {
      if (value !== undefined) throw new UsageError('config get takes at most one key');
      const c = configFromText(readText(path), path);
      if (key !== undefined) {
        const v = c.get(key);
        if (v === undefined) throw new SwampError('not-found', `${key} is not set in ${path}`, { key });
        await writeOut(o.json ? formatJson({ key, value: v }) : `${v}\n`, out);
        return 0;
      }
      const rows = c.keys().map((k) => ({ key: k, value: SECRET_KEY_RE.test(k) && c.get(k) ? '(set)' : c.get(k), line: c.lineOf(k) }));
      await printListing(rows, { json: o.json === true, document: { version: 1, file: path, entries: rows }, columns: [{ key: 'key', header: 'KEY' }, { key: 'value', header: 'VALUE' }], stream: out });
      return 0;
    }
    case 'set': {
      if (key === undefined || value === undefined) throw new UsageError('config set needs <key> <value>');
      const old = readText(path);
      const next = setConfigValue(old, key, value);
      const problems = checkConfigText(next, path);
      if (problems.length > 0) throw new ConfigError(`refused, the file would be invalid: ${problems.map((p) => p.message).join('; ')}`, { key });
      const st = statSync(path);
      if (next !== old) {
        try {
          writeFileAtomicSync(path, next, { mode: st.mode & 0o7777 });
          if (process.getuid?.() === 0) chownSync(path, st.uid, st.gid);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new SwampError(code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'denied' : 'external', `cannot write ${path}: ${code ?? String(e)}`, { path });
        }
      }
      const shown = SECRET_KEY_RE.test(key) ? '(set)' : value;
      await writeOut(o.json ? formatJson({ version: 1, file: path, key, value: shown, changed: next !== old }) : `${path}: ${key} = ${shown}${next === old ? ' (unchanged)' : ''}\n`, out);
      return 0;
    }
    case 'check': {
      if (key !== undefined) throw new UsageError('config check takes no argument');
      let problems;
      try {
        problems = checkConfig(configFromText(readText(path), path));
      } catch (e) {
        problems = [{ what: 'syntax', message: e instanceof Error ? e.message : String(e) }];
      }
      const st = statSync(path);
      const doc = { version: 1, file: path, ok: problems.length === 0, mode: (st.mode & 0o7777).toString(8), uid: st.uid, problems };
      if (o.json) await writeOut(formatJson(doc, isHumanOutput(out)), out);
      else await writeOut(problems.length === 0 ? `${path}: ok\n` : problems.map((p) => `${path}: ${p.what}: ${p.message}\n`).join(''), out);
      return problems.length === 0 ? 0 : EXIT_CODES.config;
    }
    default:
      throw new UsageError(`unknown config action ${JSON.stringify(action)} (get, set or check)`);
  }
}
