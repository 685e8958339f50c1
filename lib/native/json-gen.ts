/**
 * A JSON generator that reproduces the byte layout of yajl 2.1's generator with `beautify` on
 * (the legacy C parser's writer): 4-space indent, `": "` after keys, `,\n` between members, `{`/`[`
 * followed by a newline, closers on their own line, one `\n` after the top-level value, and yajl's
 * string escaping. Pure: output accumulates in a string that the caller takes with `take()`.
 */

const enum St {
  Start,
  MapStart,
  MapKey,
  MapVal,
  ArrayStart,
  InArray,
  Complete,
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const HEX = '0123456789ABCDEF';

/** yajl_string_encode without escape_solidus: short escapes, other C0 as \u00XX (uppercase), rest raw. */
export function yajlEscape(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    let esc: string;
    switch (c) {
      case 0x22: esc = '\\"'; break;
      case 0x5c: esc = '\\\\'; break;
      case 0x0a: esc = '\\n'; break;
      case 0x0d: esc = '\\r'; break;
      case 0x09: esc = '\\t'; break;
      case 0x08: esc = '\\b'; break;
      case 0x0c: esc = '\\f'; break;
      default: esc = '\\u00' + HEX[c >> 4] + HEX[c & 15];
    }
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return out + s.slice(from);
}

const INDENT = '    ';

export class YajlGen {
  private buf = '';
  private depth = 0;
  private readonly state: St[] = [St.Start];
  private readonly indents: string[] = [''];

  private indent(d: number): string {
    let s = this.indents[d];
    if (s === undefined) {
      s = INDENT.repeat(d);
      this.indents[d] = s;
    }
    return s;
  }

  /** INSERT_SEP + INSERT_WHITESPACE of yajl. */
  private before(): void {
    const st = this.state[this.depth];
    if (st === St.MapKey || st === St.InArray) this.buf += ',\n' + this.indent(this.depth);
    else if (st === St.MapVal) this.buf += ': ';
    else this.buf += this.indent(this.depth);
  }

  /** APPENDED_ATOM + FINAL_NEWLINE of yajl. */
  private after(): void {
    const d = this.depth;
    switch (this.state[d]) {
      case St.Start: this.state[d] = St.Complete; break;
      case St.MapStart:
      case St.MapKey: this.state[d] = St.MapVal; break;
      case St.MapVal: this.state[d] = St.MapKey; break;
      case St.ArrayStart: this.state[d] = St.InArray; break;
      default: break;
    }
    if (this.state[d] === St.Complete) this.buf += '\n';
  }

  private checkValue(isKeyAllowed: boolean): void {
    const st = this.state[this.depth];
    if (st === St.Complete) throw new Error('json: generation already complete');
    if (!isKeyAllowed && (st === St.MapStart || st === St.MapKey)) throw new Error('json: a map key must be a string');
  }

  string(s: string): void {
    this.checkValue(true);
    this.before();
    this.buf += '"' + yajlEscape(s) + '"';
    this.after();
  }

  /** A key followed by a string value (the common case, one call). */
  kv(key: string, value: string): void {
    this.string(key);
    this.string(value);
  }

  integer(n: number | bigint): void {
    this.checkValue(false);
    this.before();
    this.buf += String(n);
    this.after();
  }

  bool(b: boolean): void {
    this.checkValue(false);
    this.before();
    this.buf += b ? 'true' : 'false';
    this.after();
  }

  mapOpen(): void {
    this.open(St.MapStart, '{');
  }

  arrayOpen(): void {
    this.open(St.ArrayStart, '[');
  }

  private open(st: St, ch: string): void {
    this.checkValue(false);
    this.before();
    this.depth++;
    this.state[this.depth] = st;
    this.buf += ch + '\n';
  }

  mapClose(): void {
    this.close(St.MapStart, St.MapKey, '}');
  }

  arrayClose(): void {
    this.close(St.ArrayStart, St.InArray, ']');
  }

  private close(a: St, b: St, ch: string): void {
    const st = this.state[this.depth];
    if (this.depth === 0 || (st !== a && st !== b)) throw new Error(`json: unbalanced ${ch}`);
    this.depth--;
    this.buf += '\n';
    // APPENDED_ATOM on the parent, then INSERT_WHITESPACE (parent is no longer MapVal).
    const d = this.depth;
    const parent = this.state[d];
    if (parent === St.Start) this.state[d] = St.Complete;
    else if (parent === St.MapVal) this.state[d] = St.MapKey;
    else if (parent === St.ArrayStart) this.state[d] = St.InArray;
    this.buf += this.indent(d) + ch;
    if (this.state[d] === St.Complete) this.buf += '\n';
  }

  /** True once the top-level value is closed. */
  get complete(): boolean {
    return this.state[0] === St.Complete;
  }

  get currentDepth(): number {
    return this.depth;
  }

  /** Return what was generated since the last take() and clear it. */
  take(): string {
    const s = this.buf;
    this.buf = '';
    return s;
  }
}
