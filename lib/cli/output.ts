/**
 * The output contract. stdout of launch_viewer is returned to SQL by sys_eval, which drops the LAST
 * byte of whatever it reads (docs/database.md §2; mirswamp/deployment lib/lib_mysqludf_sys.c): a contract
 * value is therefore written as exactly one line, value + "\n", once, and nothing else ever goes to
 * stdout on that path. Human output (colours, tables: swampctl, docs/swampctl.md) appears only when
 * stdout is a terminal, tab-separated text in a pipe; `--json` prints one JSON document.
 */
import { SwampError } from '../errors/index.js';

export interface OutStream {
  write(chunk: string, cb?: (err?: Error | null) => void): boolean;
  isTTY?: boolean;
}

/** Writes and resolves once the data has been handed to the OS (so an exit cannot cut it). */
export function writeOut(text: string, stream: OutStream = process.stdout): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

let contractWritten = false;

/** For tests only: forget that a contract value was written. */
export function resetContractGuard(): void {
  contractWritten = false;
}

/**
 * Writes the one value a sys_eval caller receives (e.g. `SUCCESS`, `nativereport.json`) followed by
 * "\n". Refuses a second value and values containing line breaks or NUL (sys_eval truncates at NUL).
 */
export async function writeContractValue(value: string, stream: OutStream = process.stdout): Promise<void> {
  if (/[\r\n\0]/.test(value)) throw new SwampError('internal', 'contract value must be a single line without NUL', { value: value.slice(0, 80) });
  if (contractWritten) throw new SwampError('internal', 'a contract value was already written to stdout', { value: value.slice(0, 80) });
  contractWritten = true;
  await writeOut(`${value}\n`, stream);
}

/** True when stdout (or the given stream) is a terminal: only then colours and tables. */
export function isHumanOutput(stream: OutStream = process.stdout): boolean {
  return stream.isTTY === true;
}

export type Colorizer = (s: string) => string;
export interface Colors {
  bold: Colorizer;
  red: Colorizer;
  green: Colorizer;
  yellow: Colorizer;
  dim: Colorizer;
}

const plain: Colorizer = (s) => s;
export const NO_COLORS: Colors = { bold: plain, red: plain, green: plain, yellow: plain, dim: plain };

/**
 * Colour functions for a stream: chalk (loaded lazily, only for terminals) or identity functions when
 * the stream is not a TTY or NO_COLOR is set to anything non-empty (no-color.org; chalk itself only
 * looks at FORCE_COLOR and the terminal).
 */
export async function colorsFor(stream: OutStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<Colors> {
  if (stream.isTTY !== true || (env.NO_COLOR ?? '') !== '') return NO_COLORS;
  const { Chalk, supportsColor, supportsColorStderr } = await import('chalk');
  const support = stream === process.stderr ? supportsColorStderr : supportsColor;
  const c = new Chalk({ level: support ? support.level : 0 });
  return { bold: (s) => c.bold(s), red: (s) => c.red(s), green: (s) => c.green(s), yellow: (s) => c.yellow(s), dim: (s) => c.dim(s) };
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/[\r\n\t]/g, ' ');
}

// Width in terminal columns, ignoring ANSI colour sequences.
function width(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

export interface Column {
  key: string;
  header: string;
  /** Colour of a cell from its raw value (terminal tables only). */
  color?: (value: unknown, colors: Colors) => Colorizer;
}

/** Aligned plain-text table (pure). */
export function formatTable(columns: readonly Column[], rows: readonly Readonly<Record<string, unknown>>[], colors: Colors = NO_COLORS): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c.key])));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i] ?? ''))));
  const pad = (s: string, i: number): string => s + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(s)));
  const line = (parts: string[]): string => parts.map(pad).join('  ').trimEnd();
  const head = line(columns.map((c) => colors.bold(c.header)));
  const body = cells.map((r, ri) =>
    line(
      r.map((text, ci) => {
        const col = columns[ci] as Column;
        return col.color === undefined ? text : col.color(rows[ri]?.[col.key], colors)(text);
      }),
    ),
  );
  return [head, ...body].join('\n') + '\n';
}

/** Tab-separated rows without header, for pipes and scripts when --json is not given (pure). */
export function formatTsv(columns: readonly Column[], rows: readonly Readonly<Record<string, unknown>>[]): string {
  return rows.map((r) => columns.map((c) => cell(r[c.key])).join('\t') + '\n').join('');
}

/** One JSON document + "\n" (indented on a terminal); an empty listing is `[]`, never zero bytes. */
export function formatJson(value: unknown, pretty = false): string {
  return `${JSON.stringify(value ?? null, null, pretty ? 2 : undefined)}\n`;
}

/**
 * Prints a listing: `--json` -> one JSON document (`json` given: that document, else the rows);
 * terminal -> table; otherwise -> tab-separated lines.
 */
export async function printListing(
  rows: readonly Readonly<Record<string, unknown>>[],
  opts: { json?: boolean; document?: unknown; columns: readonly Column[]; stream?: OutStream },
): Promise<void> {
  const stream = opts.stream ?? process.stdout;
  if (opts.json) return writeOut(formatJson(opts.document ?? rows, isHumanOutput(stream)), stream);
  if (isHumanOutput(stream)) return writeOut(formatTable(opts.columns, rows, await colorsFor(stream)), stream);
  return writeOut(formatTsv(opts.columns, rows), stream);
}

/**
 * One line for a human on stderr (`<program>: <text>`), newlines folded and cut at 500 characters;
 * never throws, because a closed stderr must not turn a logged failure into a crash.
 */
export function stderrLine(program: string, text: string): void {
  try {
    process.stderr.write(`${program}: ${text.replace(/[\r\n]+/g, ' ').slice(0, 500)}\n`);
  } catch {
    /* stderr closed: the log line is the record */
  }
}
