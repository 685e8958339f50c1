/**
 * swamp.conf edits and checks, pure: setting a key keeps every other byte of the file (comments,
 * order, the other keys' spelling); a check runs every typed accessor and reports each bad value.
 */
import { configFromText, type SwampConfig } from '../config/index.js';
import { UsageError, isSwampError } from '../errors/index.js';
import { cleanupSettings } from './settings.js';

const KEY_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** Keys whose values are never listed (they are shown only when asked for by name). */
export const SECRET_KEY_RE = /pass|secret|apikey|token/i;

/** The text with `key = value` (the last line that sets the key is replaced; else appended). */
export function setConfigValue(text: string, key: string, value: string): string {
  if (!KEY_RE.test(key)) throw new UsageError(`invalid key ${JSON.stringify(key.slice(0, 60))}`);
  if (/[\r\n\0]/.test(value) || /\\$/.test(value)) throw new UsageError('a value is one line and does not end with a backslash');
  if (value !== value.trim()) throw new UsageError('a value has no leading or trailing blanks (the reader trims them)');
  const lines = text.split('\n');
  const keyRe = new RegExp(`^\\s*${key.replace(/[.]/g, '\\.')}(\\s*=|\\s+|$)`);
  let at = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (/^\s*#/.test(l)) continue;
    // a continued line (previous ends with a backslash) is not a key line
    if (i > 0 && /\\$/.test(lines[i - 1] as string)) continue;
    if (keyRe.test(l)) at = i;
  }
  const line = `${key} = ${value}`;
  if (at >= 0) {
    let end = at;
    while (/\\$/.test(lines[end] as string) && end + 1 < lines.length) end++;
    lines.splice(at, end - at + 1, line);
    return lines.join('\n');
  }
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}

export interface ConfigProblem {
  what: string;
  message: string;
}

/** Every typed accessor and swampctl's keys; the problems found (empty = valid). */
export function checkConfig(c: SwampConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const probes: [string, () => unknown][] = [
    ['SWAMPState', () => c.swampOn],
    ['directories', () => [c.logDir, c.runDir, c.resultsFolder]],
    ['htcondor', () => [c.htcondorRoot, c.htcondorPool, c.assessmentMaxRetries, c.int('htcondor_timeout_seconds', 30, { min: 1, max: 3600 })]],
    ['platform', () => [c.preferredPlatformType, c.computeBOGChecksums]],
    ['database', () => [c.database, c.int('dbConnectTimeoutSeconds', 10, { min: 1, max: 600 })]],
    ['viewer', () => c.viewer],
    ['swampctl', () => cleanupSettings(c)],
  ];
  for (const [what, fn] of probes) {
    try {
      fn();
    } catch (e) {
      problems.push({ what, message: isSwampError(e) || e instanceof Error ? e.message : String(e) });
    }
  }
  return problems;
}

/** Parses and checks a whole text (for `config set` before writing). */
export function checkConfigText(text: string, file: string): ConfigProblem[] {
  try {
    return checkConfig(configFromText(text, file));
  } catch (e) {
    return [{ what: 'syntax', message: e instanceof Error ? e.message : String(e) }];
  }
}
