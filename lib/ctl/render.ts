/** Small pieces of swampctl's human output (pure): state marks and durations. */
import type { Colors } from '../cli/output.js';

export type Level = 'pass' | 'warn' | 'fail';

/** ● pass (green), ▲ warn (yellow), ✗ fail (red), as systemctl's state dot. */
export function mark(level: Level, c: Colors): string {
  return level === 'pass' ? c.green('●') : level === 'warn' ? c.yellow('▲') : c.red('✗');
}

/** 42 s, 5 min, 3 h, 2 d. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

export function ago(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? 'never' : `${duration(seconds)} ago`;
}

/** Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' UTC. */
export function isoSeconds(epoch: number | undefined): string | undefined {
  return epoch === undefined ? undefined : new Date(epoch * 1000).toISOString().replace('T', ' ').slice(0, 19);
}
