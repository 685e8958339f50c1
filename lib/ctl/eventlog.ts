/**
 * HTCondor job event log (the `log` file of a submit), text format, pure: events are a header line
 * `NNN (cluster.proc.subproc) YYYY-MM-DD HH:MM:SS text` (or the old `MM/DD HH:MM:SS`), body lines,
 * and a `...` line.
 */
export interface JobEvent {
  code: number;
  cluster: number;
  proc: number;
  /** As written (the log's local or ISO time). */
  time: string;
  text: string;
  body: string[];
}

const HEAD = /^(\d{3}) \((\d+)\.(\d+)\.\d+\) (\S+ \S+) (.*)$/;

export function parseEventLog(text: string, cluster?: number): JobEvent[] {
  const out: JobEvent[] = [];
  let cur: JobEvent | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (cur === undefined) {
      const m = HEAD.exec(line);
      if (m) cur = { code: Number(m[1]), cluster: Number(m[2]), proc: Number(m[3]), time: m[4] as string, text: (m[5] as string).trim(), body: [] };
      continue;
    }
    if (line === '...') {
      if (cluster === undefined || cur.cluster === cluster) out.push(cur);
      cur = undefined;
      continue;
    }
    const b = line.trim();
    if (b !== '') cur.body.push(b);
  }
  return out;
}
