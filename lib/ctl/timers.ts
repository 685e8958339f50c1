/**
 * When the timers last did a pass, from the last matching line of their JSON-lines logs: the drain
 * (`launchassessment --drain` logs "drain pass done") and the cleanup (`swampctl cleanup` logs
 * "cleanup pass done"). Only the file's tail is read, so the cost does not grow with the log.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

export const TAIL_BYTES = 512 * 1024;

/** The last line of `file` (within its last `maxBytes`) whose JSON `msg` is `msg`; undefined when none. */
export function lastLogLine(file: string, msg: string, maxBytes = TAIL_BYTES): Record<string, unknown> | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    const needle = JSON.stringify(msg);
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i] as string;
      if (!l.includes(needle)) continue;
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        if (o.msg === msg) return o;
      } catch {
        /* the first, cut line of the tail */
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export interface TimerPass {
  /** ISO time of the last pass, null when none was found. */
  lastPass: string | null;
  ageSeconds: number | null;
}

export const TIMERS = {
  drain: { file: 'launchassessment.log', msg: 'drain pass done' },
  cleanup: { file: 'swampctl.log', msg: 'cleanup pass done' },
} as const;

export function timerPasses(logDir: string, now = Date.now()): Record<keyof typeof TIMERS, TimerPass> {
  const one = (t: { file: string; msg: string }): TimerPass => {
    const line = lastLogLine(join(logDir, t.file), t.msg);
    const time = typeof line?.time === 'string' ? line.time : undefined;
    const ms = time === undefined ? NaN : Date.parse(time);
    return Number.isNaN(ms) ? { lastPass: null, ageSeconds: null } : { lastPass: time as string, ageSeconds: Math.max(0, Math.round((now - ms) / 1000)) };
  };
  return { drain: one(TIMERS.drain), cleanup: one(TIMERS.cleanup) };
}
