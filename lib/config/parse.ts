/**
 * Pure parser for swamp.conf (no I/O), reproducing ConfigReader::Simple (the CPAN module the legacy
 * Perl used, 1.2x series) line by line, because admins' existing files must mean the same thing:
 *
 * - a line ending in a backslash followed only by whitespace is joined with the next line (the
 *   backslash and the newline are removed); the join happens before the comment test, so a comment
 *   ending in a backslash swallows the next line, exactly like the Perl `redo` loop;
 * - after the join, lines that are blank or whose first non-blank character is `#` are skipped;
 * - every other line must match `^\s*([^\s=]+)\s*=?\s*(['"]?)(.*?)\2\s*$`: the key is the first run of
 *   characters that are neither whitespace nor `=`, an optional `=` with optional blanks separates it
 *   from the value, one pair of matching surrounding quotes is removed and trailing blanks trimmed;
 * - a line whose first non-blank character is `=` cannot be parsed (the Perl reader dies there);
 * - the last of several lines with the same key wins.
 *
 * Perl's `\s` on byte strings is ASCII whitespace only and its `.` matches everything but `\n`;
 * the regular expressions below spell those classes out so JavaScript's wider `\s` and `.` do not
 * change what a line means.
 */

/** One key's value and the (first physical) line it was read from, for error messages. */
export interface ConfigEntry {
  readonly value: string;
  readonly line: number;
}

/** A line the legacy reader would have died on. Carries the 1-based line number. */
export class ConfigSyntaxError extends Error {
  readonly line: number;
  readonly text: string;
  constructor(line: number, text: string) {
    super(`cannot parse line ${line}: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text)}`);
    this.name = 'ConfigSyntaxError';
    this.line = line;
    this.text = text;
  }
}

// Perl's \s for non-UTF-8 strings (since 5.18 it includes \v).
const WS = '\\t\\n\\v\\f\\r ';
const CONTINUATION = new RegExp(`\\\\[${WS}]*$`);
const SKIP = new RegExp(`^[${WS}]*(#|$)`);
const LINE = new RegExp(`^[${WS}]*([^${WS}=]+)[${WS}]*=?[${WS}]*(['"]?)([^\\n]*?)\\2[${WS}]*$`);

/** Splits like Perl's `<FH>`: each piece keeps its trailing "\n"; the last may lack one. */
function physicalLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

/** Parses one logical line (already joined and chomped). Returns undefined for blank/comment lines. */
export function parseConfigLine(line: string): { key: string; value: string } | undefined | null {
  if (SKIP.test(line)) return undefined;
  const m = LINE.exec(line);
  if (!m) return null;
  return { key: m[1] ?? '', value: m[3] ?? '' };
}

/**
 * Parses swamp.conf text into key -> entry (insertion order = first appearance; value = last).
 * Throws ConfigSyntaxError on a line the legacy reader rejects.
 */
export function parseConfigText(text: string): Map<string, ConfigEntry> {
  // A UTF-8 byte-order mark would become part of the first key; editors add it silently.
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = physicalLines(src);
  const entries = new Map<string, ConfigEntry>();
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let cur = lines[i++] ?? '';
    // Perl: if (s/\\ \s* $//x) { $_ .= <CONFIG>; redo unless eof CONFIG; }
    for (;;) {
      const m = CONTINUATION.exec(cur);
      if (!m) break;
      cur = cur.slice(0, m.index);
      if (i < lines.length) cur += lines[i++] ?? '';
      if (i >= lines.length) break; // at eof the Perl loop falls through without re-testing
    }
    if (cur.endsWith('\n')) cur = cur.slice(0, -1); // chomp
    const parsed = parseConfigLine(cur);
    if (parsed === undefined) continue;
    if (parsed === null) throw new ConfigSyntaxError(startLine, cur);
    entries.set(parsed.key, { value: parsed.value, line: startLine });
  }
  return entries;
}
