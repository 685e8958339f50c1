/**
 * A JSON generator that reproduces the byte layout of yajl 2.1's generator with `beautify` on
 * (the legacy C parser's writer): 4-space indent, `": "` after keys, `,\n` between members, `{`/`[`
 * followed by a newline, closers on their own line, one `\n` after the top-level value, and yajl's
 * string escaping. Pure: YajlByteGen writes UTF-8 bytes into a reusable buffer (what the SCARF
 * transform uses); YajlGen wraps it for string output.
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

/** Output bytes of a JSON string: `"` + yajl escaping of src[s, e) + `"` is written by YajlByteGen. */
const ESC_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) ESC_CLASS[c] = 1;
ESC_CLASS[0x22] = 1;
ESC_CLASS[0x5c] = 1;

/** `"` + key + `"` as bytes, for keys written often (no escaping needed). */
export function quotedKey(key: string): Uint8Array {
  if (NEEDS_ESCAPE.test(key)) throw new Error('quotedKey: key needs escaping');
  return Buffer.from('"' + key + '"', 'utf8');
}

/**
 * The yajl-compatible generator writing UTF-8 bytes into one growable buffer (`buf[0, pos)`).
 * The caller drains it with `reset()` after copying the bytes out; `pos` differences give the
 * byte size of what was generated in between.
 */
export class YajlByteGen {
  buf: Buffer = Buffer.allocUnsafe(1 << 16);
  pos = 0;
  private depth = 0;
  private state = new Uint8Array(64);

  constructor() {
    this.state[0] = St.Start;
  }

  /** Make room for n more bytes. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  reset(): void {
    this.pos = 0;
  }

  private spaces(n: number): void {
    const b = this.buf;
    let p = this.pos;
    for (let k = 0; k < n; k++) b[p++] = 0x20;
    this.pos = p;
  }

  /** INSERT_SEP + INSERT_WHITESPACE of yajl (room for the indent must be reserved). */
  private before(): void {
    const d = this.depth;
    const st = this.state[d];
    const b = this.buf;
    if (st === St.MapKey || st === St.InArray) {
      b[this.pos++] = 0x2c;
      b[this.pos++] = 0x0a;
      this.spaces(4 * d);
    } else if (st === St.MapVal) {
      b[this.pos++] = 0x3a;
      b[this.pos++] = 0x20;
    } else {
      this.spaces(4 * d);
    }
  }

  /** APPENDED_ATOM + FINAL_NEWLINE of yajl. */
  private after(): void {
    const d = this.depth;
    const st = this.state;
    switch (st[d]) {
      case St.Start: st[d] = St.Complete; this.room(1); this.buf[this.pos++] = 0x0a; break;
      case St.MapStart:
      case St.MapKey: st[d] = St.MapVal; break;
      case St.MapVal: st[d] = St.MapKey; break;
      case St.ArrayStart: st[d] = St.InArray; break;
      default: break;
    }
  }

  private checkValue(isKeyAllowed: boolean): void {
    const st = this.state[this.depth];
    if (st === St.Complete) throw new Error('json: generation already complete');
    if (!isKeyAllowed && (st === St.MapStart || st === St.MapKey)) throw new Error('json: a map key must be a string');
  }

  /** A string (key or value) from UTF-8 bytes src[s, e), yajl-escaped. */
  stringBytes(src: Uint8Array, s: number, e: number): void {
    this.checkValue(true);
    this.room(4 * this.depth + 4 + 6 * (e - s));
    this.before();
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      if (ESC_CLASS[c] === 0) {
        b[p++] = c;
        continue;
      }
      b[p++] = 0x5c;
      switch (c) {
        case 0x22: b[p++] = 0x22; break;
        case 0x5c: b[p++] = 0x5c; break;
        case 0x0a: b[p++] = 0x6e; break;
        case 0x0d: b[p++] = 0x72; break;
        case 0x09: b[p++] = 0x74; break;
        case 0x08: b[p++] = 0x62; break;
        case 0x0c: b[p++] = 0x66; break;
        default:
          b[p++] = 0x75;
          b[p++] = 0x30;
          b[p++] = 0x30;
          b[p++] = HEX.charCodeAt(c >> 4);
          b[p++] = HEX.charCodeAt(c & 15);
      }
    }
    b[p++] = 0x22;
    this.pos = p;
    this.after();
  }

  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.stringBytes(bytes, 0, bytes.length);
  }

  /** A string given as pre-escaped bytes including its quotes (see quotedKey). */
  quoted(q: Uint8Array): void {
    this.checkValue(true);
    this.room(4 * this.depth + 3 + q.length);
    this.before();
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < q.length; i++) b[p++] = q[i]!;
    this.pos = p;
    this.after();
  }

  private ascii(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  integer(n: number | bigint): void {
    this.checkValue(false);
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n < 1e9) {
      // Common case without a temporary string.
      this.room(4 * this.depth + 12);
      this.before();
      const b = this.buf;
      let p = this.pos;
      let div = 1;
      while (div * 10 <= n) div *= 10;
      for (; div >= 1; div = (div / 10) | 0) {
        b[p++] = 0x30 + (((n / div) | 0) % 10);
      }
      this.pos = p;
      this.after();
      return;
    }
    const s = String(n);
    this.room(4 * this.depth + 3 + s.length);
    this.before();
    this.ascii(s);
    this.after();
  }

  bool(v: boolean): void {
    this.checkValue(false);
    this.room(4 * this.depth + 8);
    this.before();
    this.ascii(v ? 'true' : 'false');
    this.after();
  }

  mapOpen(): void {
    this.open(St.MapStart, 0x7b);
  }

  arrayOpen(): void {
    this.open(St.ArrayStart, 0x5b);
  }

  private open(st: St, ch: number): void {
    this.checkValue(false);
    this.room(4 * this.depth + 4);
    this.before();
    this.depth++;
    if (this.depth >= this.state.length) {
      const ns = new Uint8Array(this.state.length * 2);
      ns.set(this.state);
      this.state = ns;
    }
    this.state[this.depth] = st;
    this.buf[this.pos++] = ch;
    this.buf[this.pos++] = 0x0a;
  }

  mapClose(): void {
    this.close(St.MapStart, St.MapKey, 0x7d);
  }

  arrayClose(): void {
    this.close(St.ArrayStart, St.InArray, 0x5d);
  }

  private close(a: St, b: St, ch: number): void {
    const st = this.state[this.depth];
    if (this.depth === 0 || (st !== a && st !== b)) throw new Error(`json: unbalanced ${String.fromCharCode(ch)}`);
    this.depth--;
    const d = this.depth;
    this.room(4 * d + 3);
    this.buf[this.pos++] = 0x0a;
    // APPENDED_ATOM on the parent, then INSERT_WHITESPACE (parent is no longer MapVal).
    const parent = this.state[d];
    if (parent === St.Start) this.state[d] = St.Complete;
    else if (parent === St.MapVal) this.state[d] = St.MapKey;
    else if (parent === St.ArrayStart) this.state[d] = St.InArray;
    this.spaces(4 * d);
    this.buf[this.pos++] = ch;
    if (this.state[d] === St.Complete) this.buf[this.pos++] = 0x0a;
  }

  /** True once the top-level value is closed. */
  get complete(): boolean {
    return this.state[0] === St.Complete;
  }

  get currentDepth(): number {
    return this.depth;
  }
}

/** The same generator producing strings: output accumulates until `take()`. */
export class YajlGen {
  private readonly g = new YajlByteGen();

  string(s: string): void {
    this.g.string(s);
  }

  /** A key followed by a string value (the common case, one call). */
  kv(key: string, value: string): void {
    this.g.string(key);
    this.g.string(value);
  }

  integer(n: number | bigint): void {
    this.g.integer(n);
  }

  bool(b: boolean): void {
    this.g.bool(b);
  }

  mapOpen(): void {
    this.g.mapOpen();
  }

  arrayOpen(): void {
    this.g.arrayOpen();
  }

  mapClose(): void {
    this.g.mapClose();
  }

  arrayClose(): void {
    this.g.arrayClose();
  }

  /** True once the top-level value is closed. */
  get complete(): boolean {
    return this.g.complete;
  }

  get currentDepth(): number {
    return this.g.currentDepth;
  }

  /** Return what was generated since the last take() and clear it. */
  take(): string {
    const s = this.g.buf.toString('utf8', 0, this.g.pos);
    this.g.reset();
    return s;
  }
}
