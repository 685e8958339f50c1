/**
 * Pure BOG ("bill of goods") properties format, mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties (vmu_Support.pm
 * saveProperties/_getPropString), byte for byte on the writing side:
 *
 *   # <comment>                      first line, only when a comment is given
 *   key=value                        one line per key, keys in byte order (Perl `sort keys`)
 *   key:=value                       value with leading or trailing whitespace (kept verbatim)
 *   key:<N>L=line1\n...\nlineN       value containing N-1 newlines (the value spans N lines)
 *
 * The reading side is the exact inverse of that writer, so every string survives a round trip.
 * The legacy reader (ConfigReader::Simple) did not understand its own writer: `key:=` came back under
 * the key `key:`, multi-line values were cut into bogus keys and surrounding quotes were stripped
 * (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties). Plain `key=value` lines are therefore taken verbatim here (no quote stripping, no trim).
 */

export type BogValue = string | number | bigint | boolean | null | undefined;
export type BogInput = Readonly<Record<string, BogValue>>;
export type Bog = Record<string, string>;

/** A key may not contain whitespace, ':' or '=', nor start with '#' (it would read as a comment). */
const KEY_RE = /^[^\s:=#][^\s:=]*$/;
// Perl's \s in `m/^\s+|\s+$/` (written values are byte strings, so ASCII whitespace).
const EDGE_WS = /^[\t\n\v\f\r ]|[\t\n\v\f\r ]$/;

export class BogFormatError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'BogFormatError';
    this.line = line;
  }
}

export function isValidBogKey(key: string): boolean {
  return KEY_RE.test(key);
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function toText(key: string, v: Exclude<BogValue, null | undefined>): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BogFormatError(`value of ${key} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  // The legacy BOG spells booleans as the words true/false (android_redo_build, use_gradle_wrapper).
  return v ? 'true' : 'false';
}

/** One property line (without the final newline), as _getPropString builds it. */
export function formatBogLine(key: string, value: string): string {
  if (!KEY_RE.test(key)) throw new BogFormatError(`invalid BOG key ${JSON.stringify(key)}`);
  let newlines = 0;
  for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) newlines++;
  if (newlines > 0) return `${key}:${newlines + 1}L=${value}`;
  if (EDGE_WS.test(value)) return `${key}:=${value}`;
  return `${key}=${value}`;
}

/**
 * Serialises a BOG. null/undefined values are left out (a missing key and an empty string stay
 * distinguishable; the Perl wrote `key=` for undef).
 */
export function formatBog(bog: BogInput, comment?: string): string {
  if (comment !== undefined && /[\r\n]/.test(comment)) throw new BogFormatError('BOG comment must be one line');
  const keys = Object.keys(bog)
    .filter((k) => bog[k] !== undefined && bog[k] !== null)
    .sort(byteCompare);
  let out = comment === undefined ? '' : `# ${comment}\n`;
  for (const key of keys) {
    const v = bog[key];
    if (v === undefined || v === null) continue;
    out += `${formatBogLine(key, toText(key, v))}\n`;
  }
  return out;
}

/** Parses BOG text written by formatBog or by the legacy saveProperties. */
export function parseBog(text: string): Bog {
  const bog: Bog = Object.create(null) as Bog;
  const lines = text.split('\n');
  // A well-formed file ends with "\n", leaving one empty piece after the last line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const line = lines[i++] ?? '';
    if (line.trim() === '' || /^[\t\v\f\r ]*#/.test(line)) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new BogFormatError(`no '=' in ${JSON.stringify(line.slice(0, 80))}`, lineNo);
    const head = line.slice(0, eq);
    const rest = line.slice(eq + 1);
    let key: string;
    let value: string;
    const colon = head.indexOf(':');
    if (colon < 0) {
      key = head;
      // Plain values never end in whitespace (the writer uses `:=` then); a "\r" is a CRLF edit.
      value = rest.endsWith('\r') ? rest.slice(0, -1) : rest;
    } else {
      key = head.slice(0, colon);
      const form = head.slice(colon + 1);
      if (form === '') {
        value = rest;
      } else {
        const m = /^([1-9]\d{0,8})L$/.exec(form);
        if (!m) throw new BogFormatError(`unknown value form ${JSON.stringify(`:${form}=`)} for ${JSON.stringify(key)}`, lineNo);
        const n = Number(m[1]);
        if (i + n - 1 > lines.length) {
          throw new BogFormatError(`value of ${JSON.stringify(key)} announces ${n} lines but the file ends first`, lineNo);
        }
        const parts = [rest, ...lines.slice(i, i + n - 1)];
        i += n - 1;
        value = parts.join('\n');
      }
    }
    if (!KEY_RE.test(key)) throw new BogFormatError(`invalid key ${JSON.stringify(key.slice(0, 80))}`, lineNo);
    bog[key] = value;
  }
  return bog;
}
