/**
 * Our programs' log lines about one run id, from the JSON-lines logs (`<logDir>/*.log`, the current
 * files; rotated ones are compressed). Streamed line by line; only lines containing the id are
 * parsed, and only the last `max` are kept, so memory stays bounded whatever the log size.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LogLine {
  time: string;
  level: string;
  program: string;
  msg: string;
  /** The line's other fields. */
  fields: Record<string, unknown>;
}

export async function logLinesFor(logDir: string, id: string, max = 300): Promise<LogLine[]> {
  let names: string[];
  try {
    names = (await readdir(logDir)).filter((n) => n.endsWith('.log')).sort();
  } catch {
    return [];
  }
  const kept: LogLine[] = [];
  for (const n of names) {
    const rl = createInterface({ input: createReadStream(join(logDir, n), { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const l of rl) {
      if (!l.includes(id)) continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch {
        continue; // swamperrors.log carries raw stderr text: not ours to parse
      }
      const { time, level, program, msg, ...fields } = o;
      delete fields.pid;
      kept.push({ time: String(time ?? ''), level: String(level ?? ''), program: String(program ?? n.replace(/\.log$/, '')), msg: String(msg ?? ''), fields });
      if (kept.length > max * 2) {
        kept.sort((a, b) => a.time.localeCompare(b.time));
        kept.splice(0, kept.length - max);
      }
    }
  }
  kept.sort((a, b) => a.time.localeCompare(b.time));
  return kept.slice(-max);
}
