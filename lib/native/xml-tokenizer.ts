/**
 * A streaming, non-validating XML 1.0 tokenizer over UTF-8 bytes, specialised for the SCARF
 * transform (scarf-convert.ts). Pure: bytes go in with write()/end(), events come out through an
 * XmlHandler. It replaces saxes there and keeps what mattered of it for output identity:
 *
 * - entities: the five predefined ones and numeric character references (&#..; &#x..;) in text and
 *   attribute values; a general entity declared in the internal DTD subset (`<!ENTITY co "Co">`)
 *   is reported as a reference (entityRef) in text, as libxml2's reader keeps it (no
 *   XML_PARSE_NOENT) and its inner XML writes it back as `&co;`; external entity declarations
 *   (SYSTEM/PUBLIC), parameter entities, undeclared references and a declared entity inside an
 *   attribute value are errors (nothing is ever loaded);
 * - end-of-line handling: CR LF and a lone CR become LF in text, attribute values, comments and
 *   processing instructions; inside CDATA sections they are kept as they are (libxml2 does);
 * - attribute-value normalisation: a literal tab, LF or CR (CR LF counts once) becomes a space,
 *   while &#9; &#10; &#13; stay the real characters;
 * - comments, CDATA sections, processing instructions, the XML declaration (checked), DOCTYPE
 *   (skipped, internal subset included);
 * - well-formedness errors (thrown as XmlSyntaxError): mismatched or unclosed elements, junk after
 *   the root element, text outside it, a second root, '<' in an attribute value, duplicate
 *   attributes, bad names, "]]>" in text, "--" in comments, characters outside XML's Char
 *   production, invalid UTF-8, a truncated document.
 *
 * Not implemented (none of it occurs in SCARF): XML 1.1 line-end rules (NEL, LS), namespaces
 * (names are plain qualified names; the converter reconciles declarations as libxml2's inner XML
 * does), expansion of DTD-declared entities and default attributes.
 *
 * Speed: the input is scanned once, byte by byte, with lookup tables; text runs are reported as
 * byte ranges of the internal buffer, decoded in place (a reference is never shorter than its
 * UTF-8 encoding) and only when the handler asked for content (`wantText`). Element names are
 * interned (XmlName), so the handler dispatches on a small integer and end tags are matched by
 * comparing bytes against the open element's name.
 *
 * Memory: the internal buffer holds the unprocessed tail plus one written chunk. Text is reported
 * in pieces as it arrives, so only single markup tokens (a start tag, a comment, a CDATA section)
 * must fit in memory whole.
 */
import { isUtf8 } from 'node:buffer';
import { hashBytes, sameBytes } from './byte-keys.js';

/** An interned element name. `id` is the handler's code for it (-1: not one it registered). */
export interface XmlName {
  readonly id: number;
  readonly str: string;
  readonly bytes: Uint8Array;
}

export interface XmlHandler {
  /** Start tag; attributes are readable through the tokenizer's attr* methods during the call. */
  startTag(name: XmlName, selfClosing: boolean): void;
  /** End tag (also right after startTag for a self-closing tag). */
  endTag(name: XmlName): void;
  /**
   * Character data, decoded (references resolved, line ends normalised), as a byte range that is
   * valid only during the call. `special` is false when the range is known to contain none of
   * & < > CR (it was copied verbatim from the input). Called only while `wantText` is true.
   */
  text(buf: Uint8Array, start: number, end: number, special: boolean): void;
  /** CDATA section content (CR and CR LF kept as in the input). Only while `wantText`. */
  cdata(buf: Uint8Array, start: number, end: number): void;
  /** A reference to an entity declared in the internal subset: the raw `&name;` bytes. Only while `wantText`. */
  entityRef(buf: Uint8Array, start: number, end: number): void;
  /** Comment content (line ends normalised). Only while `wantText`. */
  comment(buf: Uint8Array, start: number, end: number): void;
  /** Processing instruction: target bytes, then body bytes (leading white space skipped). Only while `wantText`. */
  pi(buf: Uint8Array, targetStart: number, targetEnd: number, bodyStart: number, bodyEnd: number): void;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    /** Byte offset in the input. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const BANG = 0x21;
const QMARK = 0x3f;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;
const CR = 0x0d;
/** entCp of a reference to an entity declared in the internal subset. */
const DECLARED_ENTITY = -2;
const MAX_DECLARED_ENTITIES = 10_000;
/** Default bound of one markup token held whole (a 64 MiB start tag or CDATA section is no real SCARF). */
export const MAX_TOKEN_BYTES = 64 * 1024 * 1024;
const LF = 0x0a;
const TAB = 0x09;
const SP = 0x20;
const RSQB = 0x5d;
const LSQB = 0x5b;
const HASH = 0x23;
const SEMI = 0x3b;
const DASH = 0x2d;

/** Attribute flags. */
const A_DECODE = 1; // contains a reference, TAB, LF or CR: the decoded value differs from the raw bytes
const A_SPECIAL = 2; // the decoded value may contain & < > " TAB LF CR (serialisers must escape)
const A_ENTREF = 4; // contains a reference to an internal-subset entity, kept as `&name;` in the decoded value

// Byte classes. NAME_START / NAME: ASCII name characters (bytes >= 0x80 are decoded and checked).
const C_NAME_START = 1;
const C_NAME = 2;
const NAME_CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME_CLASS[c] = C_NAME_START | C_NAME;
  else if (/[0-9.\-]/.test(ch)) NAME_CLASS[c] = C_NAME;
}

/** Text inside the root: 0 = plain byte copied as is. */
const TEXT_CLASS = new Uint8Array(256);
/** Attribute values: 0 = plain byte. */
const ATTR_CLASS = new Uint8Array(256);
/** Comment, CDATA, PI content: 0 = plain byte. */
const RAW_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) {
  TEXT_CLASS[c] = 1;
  ATTR_CLASS[c] = 1;
  RAW_CLASS[c] = 1;
}
TEXT_CLASS[LF] = 0;
TEXT_CLASS[TAB] = 0;
RAW_CLASS[LF] = 0;
RAW_CLASS[TAB] = 0;
for (const c of [LT, AMP, GT, RSQB, 0xef]) TEXT_CLASS[c] = 1;
for (const c of [LT, AMP, GT, DQ, SQ, 0xef]) ATTR_CLASS[c] = 1;
RAW_CLASS[0xef] = 1;

function isS(c: number | undefined): boolean {
  return c === SP || c === LF || c === TAB || c === CR;
}

/** XML 1.0 (5th ed.) NameStartChar for code points >= 0x80. */
function isNameStartCp(cp: number): boolean {
  return (
    (cp >= 0xc0 && cp <= 0xd6) || (cp >= 0xd8 && cp <= 0xf6) || (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) || (cp >= 0x37f && cp <= 0x1fff) || (cp >= 0x200c && cp <= 0x200d) ||
    (cp >= 0x2070 && cp <= 0x218f) || (cp >= 0x2c00 && cp <= 0x2fef) || (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) || (cp >= 0xfdf0 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** XML 1.0 (5th ed.) NameChar for code points >= 0x80. */
function isNameCp(cp: number): boolean {
  return isNameStartCp(cp) || cp === 0xb7 || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x203f && cp <= 0x2040);
}

/** XML 1.0 Char production. */
function isXmlChar(cp: number): boolean {
  return cp === TAB || cp === LF || cp === CR || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Length of the UTF-8 sequence that starts with byte c (input already validated). */
function seqLen(c: number): number {
  return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
}

const MAX_INTERNED = 4096;
const XML_DECL = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>$/;

export class XmlTokenizer {
  /** Set by the handler: report text, CDATA, comments and PIs (otherwise they are only checked). */
  wantText = false;

  private buf: Buffer = Buffer.allocUnsafe(1 << 17);
  /** Bytes in buf. */
  private len = 0;
  /** Next unprocessed byte. */
  private pos = 0;
  /** buf[0, checked) is valid UTF-8 ending on a character boundary. */
  private checked = 0;
  /** Input offset of buf[0]. */
  private base = 0;
  private more = false;
  /** Do not run again before this many bytes are pending (see write). */
  private retryPending = 0;
  private started = false;
  private ended = false;
  private sawRoot = false;
  private closedRoot = false;
  private sawDoctype = false;
  /** Consecutive ']' at the end of the text seen so far (for "]]>"). */
  private brackets = 0;

  private readonly stack: XmlName[] = [];
  private readonly names: (XmlName | undefined)[] = new Array<XmlName | undefined>(MAX_INTERNED * 2);
  private interned = 0;
  private readonly known = new Map<string, number>();

  /** Attributes of the current start tag: nameStart, nameEnd, valueStart, valueEnd, flags. */
  private attrs = new Int32Array(5 * 16);
  private nAttrs = 0;
  /** Code point of the last reference parsed by entity(); DECLARED_ENTITY for an internal-subset entity. */
  private entCp = 0;
  /** General entities declared (internally) in the DOCTYPE. */
  private readonly declared = new Set<string>();

  /** The largest single markup token accepted (see run()). */
  maxTokenBytes = MAX_TOKEN_BYTES;

  constructor(
    private readonly handler: XmlHandler,
    /** Element names the handler wants recognised, with their ids (XmlName.id). */
    knownNames: Iterable<readonly [string, number]> = [],
  ) {
    for (const [n, id] of knownNames) this.known.set(n, id);
  }

  /** Current element depth (open elements). */
  get depth(): number {
    return this.stack.length;
  }

  // ---- input ---------------------------------------------------------------------------------

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('write after end');
    if (chunk.length === 0) return;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.checked -= this.pos;
      this.base += this.pos;
      this.pos = 0;
    }
    if (this.len + chunk.length > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(nb, 0, 0, this.len);
      this.buf = nb;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.validate();
    // A long token (start tag, comment, ...) that stalled is retried only once the pending data
    // has doubled, so arriving in many writes costs linear, not quadratic, scanning.
    if (this.len - this.pos < this.retryPending) return;
    this.run(this.checked, false);
  }

  /** End of input: processes what is left and checks that the document is complete. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.checked < this.len) this.fail(this.checked, 'invalid UTF-8');
    this.run(this.len, true);
    if (!this.sawRoot) this.fail(this.len, 'document must contain a root element');
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined) this.fail(this.len, `unclosed tag: ${top.str}`);
  }

  private validate(): void {
    const b = this.buf;
    const to = this.len;
    let end = to;
    // Back off an incomplete last sequence; it is completed by the next chunk.
    for (let k = to - 1; k >= this.checked && k >= to - 4; k--) {
      const c = b[k]!;
      if ((c & 0xc0) !== 0x80) {
        if (k + seqLen(c) > to) end = k;
        break;
      }
    }
    if (end > this.checked) {
      if (!isUtf8(b.subarray(this.checked, end))) this.fail(this.checked, 'invalid UTF-8');
      this.checked = end;
    }
  }

  private fail(at: number, msg: string): never {
    throw new XmlSyntaxError(msg, this.base + at);
  }

  // ---- main loop -----------------------------------------------------------------------------

  private run(limit: number, final: boolean): void {
    const b = this.buf;
    let i = this.pos;
    if (!this.started) {
      // A UTF-8 byte order mark is skipped.
      if (limit - i < 3 && !final && b[i] === 0xef) return;
      if (b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) i += 3;
    }
    this.more = false;
    while (i < limit) {
      const start = i;
      if (b[i] !== LT) {
        i = this.stack.length > 0 ? this.textIn(i, limit, final) : this.textOut(i, limit);
      } else if (i + 1 >= limit) {
        this.more = true;
      } else {
        const c = b[i + 1]!;
        if (c === SLASH) i = this.endTag(i, limit);
        else if (c === BANG) i = this.bang(i, limit);
        else if (c === QMARK) i = this.pi(i, limit);
        else i = this.startTag(i, limit);
      }
      if (this.more) {
        if (final) this.fail(i, 'unexpected end of document');
        break;
      }
      if (i !== start) this.started = true;
    }
    this.pos = i;
    const pending = this.len - i;
    // One markup token (start tag, comment, CDATA section, PI, DOCTYPE) must fit in memory whole:
    // past maxTokenBytes the document is refused instead of growing the buffer without end.
    if (this.more && pending > this.maxTokenBytes) this.fail(i, `markup token larger than ${this.maxTokenBytes} bytes`);
    this.retryPending = this.more && pending > 1 << 16 ? 2 * pending : 0;
  }

  // ---- text ----------------------------------------------------------------------------------

  /** White space between top-level markup. */
  private textOut(i: number, limit: number): number {
    const b = this.buf;
    while (i < limit) {
      const c = b[i];
      if (c === LT) break;
      if (!isS(c)) this.fail(i, 'text data outside of root node');
      i++;
    }
    return i;
  }

  /** Character data inside the root element, up to '<' or as far as the input allows. */
  private textIn(i: number, limit: number, final: boolean): number {
    const b = this.buf;
    const want = this.wantText;
    let s = i;
    let w = i;
    let br = this.brackets;
    let special = false;
    for (;;) {
      let j = i;
      while (j < limit && TEXT_CLASS[b[j]!] === 0) j++;
      if (j !== i) {
        if (want && w !== i) b.copyWithin(w, i, j);
        w += j - i;
        i = j;
        br = 0;
      }
      if (i >= limit) break;
      const c = b[i]!;
      if (c === LT) break;
      if (c === AMP) {
        const e = this.entity(i, limit);
        if (e < 0) {
          if (final) this.fail(i, 'unterminated entity reference');
          this.more = true;
          break;
        }
        if (this.entCp === DECLARED_ENTITY) {
          // the text so far, then the reference itself, verbatim
          if (want && w > s) this.handler.text(b, s, w, special);
          if (want) this.handler.entityRef(b, i, e);
          s = w = i = e;
          special = false;
          br = 0;
          continue;
        }
        w = want ? this.putCp(w, this.entCp) : w;
        i = e;
        special = true;
        br = 0;
      } else if (c === GT) {
        if (br >= 2) this.fail(i, 'the string "]]>" is disallowed in char data');
        if (want) b[w] = GT;
        w++;
        i++;
        special = true;
        br = 0;
      } else if (c === RSQB) {
        if (want) b[w] = RSQB;
        w++;
        i++;
        br++;
      } else if (c === CR) {
        if (i + 1 >= limit && !final) {
          this.more = true; // is it CR LF?
          break;
        }
        if (want) b[w] = LF;
        w++;
        i += i + 1 < limit && b[i + 1] === LF ? 2 : 1;
        br = 0;
      } else if (c === 0xef) {
        if (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf)) this.fail(i, 'disallowed character');
        if (want) {
          b[w] = 0xef;
          b[w + 1] = b[i + 1]!;
          b[w + 2] = b[i + 2]!;
        }
        w += 3;
        i += 3;
        br = 0;
      } else {
        this.fail(i, 'disallowed character');
      }
    }
    this.brackets = br;
    if (want && w > s) this.handler.text(b, s, w, special);
    return i;
  }

  /**
   * Parses the reference at b[i] === '&'. Returns the index after ';' and sets entCp, or -1 when
   * the input ends first. Throws on a malformed or undefined reference.
   */
  private entity(i: number, limit: number): number {
    const b = this.buf;
    let j = i + 1;
    if (j >= limit) return -1;
    if (b[j] === HASH) {
      j++;
      let v = 0;
      const hex = b[j] === 0x78; // only lowercase x, like saxes
      if (hex) j++;
      const from = j;
      for (;;) {
        if (j >= limit) return -1;
        const c = b[j]!;
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x57;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x37;
        else break;
        v = Math.min(v * (hex ? 16 : 10) + d, 0x7fffffff);
        j++;
      }
      if (j === from || b[j] !== SEMI || !isXmlChar(v)) this.fail(i, 'malformed character entity');
      this.entCp = v;
      return j + 1;
    }
    const from = j;
    for (;;) {
      if (j >= limit) return j - from > 8 ? this.fail(i, 'undefined entity') : -1;
      const c = b[j]!;
      if (c === SEMI) break;
      if (c >= 0x80 || (NAME_CLASS[c]! & C_NAME) === 0) this.fail(i, 'disallowed character in entity name');
      j++;
    }
    const n = j - from;
    const c0 = b[from];
    const c1 = b[from + 1];
    let cp = -1;
    if (n === 2 && b[from + 1] === 0x74) {
      if (c0 === 0x6c) cp = LT; // lt
      else if (c0 === 0x67) cp = GT; // gt
    } else if (n === 3 && c0 === 0x61 && c1 === 0x6d && b[from + 2] === 0x70) {
      cp = AMP; // amp
    } else if (n === 4) {
      if (c0 === 0x61 && c1 === 0x70 && b[from + 2] === 0x6f && b[from + 3] === 0x73) cp = SQ; // apos
      else if (c0 === 0x71 && c1 === 0x75 && b[from + 2] === 0x6f && b[from + 3] === 0x74) cp = DQ; // quot
    }
    if (cp < 0) {
      if (n > 0 && this.declared.size > 0 && this.declared.has(b.toString('utf8', from, j))) {
        this.entCp = DECLARED_ENTITY;
        return j + 1;
      }
      this.fail(i, n === 0 ? 'empty entity name' : 'undefined entity');
    }
    this.entCp = cp;
    return j + 1;
  }

  /** Writes code point cp as UTF-8 at b[w]; returns the index after it. */
  private putCp(w: number, cp: number): number {
    const b = this.buf;
    if (cp < 0x80) {
      b[w] = cp;
      return w + 1;
    }
    if (cp < 0x800) {
      b[w] = 0xc0 | (cp >> 6);
      b[w + 1] = 0x80 | (cp & 63);
      return w + 2;
    }
    if (cp < 0x10000) {
      b[w] = 0xe0 | (cp >> 12);
      b[w + 1] = 0x80 | ((cp >> 6) & 63);
      b[w + 2] = 0x80 | (cp & 63);
      return w + 3;
    }
    b[w] = 0xf0 | (cp >> 18);
    b[w + 1] = 0x80 | ((cp >> 12) & 63);
    b[w + 2] = 0x80 | ((cp >> 6) & 63);
    b[w + 3] = 0x80 | (cp & 63);
    return w + 4;
  }

  // ---- names ---------------------------------------------------------------------------------

  /** Scans a name starting at i; returns its end, or -1 if the input ends inside it. */
  private name(i: number, limit: number, what: string): number {
    const b = this.buf;
    const c0 = b[i]!;
    if (c0 < 0x80) {
      if ((NAME_CLASS[c0]! & C_NAME_START) === 0) this.fail(i, `disallowed character in ${what}`);
      i++;
    } else {
      if (!isNameStartCp(this.cpAt(i))) this.fail(i, `disallowed character in ${what}`);
      i += seqLen(c0);
    }
    for (;;) {
      if (i >= limit) return -1;
      const c = b[i]!;
      if (c < 0x80) {
        if ((NAME_CLASS[c]! & C_NAME) === 0) return i;
        i++;
      } else {
        if (!isNameCp(this.cpAt(i))) return i;
        i += seqLen(c);
      }
    }
  }

  /** The code point of the (validated, complete) UTF-8 sequence at b[i]. */
  private cpAt(i: number): number {
    const b = this.buf;
    const c = b[i]!;
    if (c < 0x80) return c;
    if (c < 0xe0) return ((c & 31) << 6) | (b[i + 1]! & 63);
    if (c < 0xf0) return ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
    return ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63);
  }

  private intern(s: number, e: number): XmlName {
    const b = this.buf;
    const mask = this.names.length - 1;
    let slot = hashBytes(b, s, e) & mask;
    for (;;) {
      const n = this.names[slot];
      if (n === undefined) break;
      if (sameBytes(n.bytes, b, s, e)) return n;
      slot = (slot + 1) & mask;
    }
    const str = b.toString('utf8', s, e);
    const name: XmlName = { id: this.known.get(str) ?? -1, str, bytes: new Uint8Array(b.subarray(s, e)) };
    // The table stays at most half full; past that, names are not interned (still correct).
    if (this.interned < MAX_INTERNED) {
      this.names[slot] = name;
      this.interned++;
    }
    return name;
  }

  // ---- tags ----------------------------------------------------------------------------------

  private startTag(i0: number, limit: number): number {
    const b = this.buf;
    const ne = this.name(i0 + 1, limit, 'tag name');
    if (ne < 0) return this.incomplete(i0);
    let i = ne;
    let n = 0;
    let self = false;
    for (;;) {
      if (i >= limit) return this.incomplete(i0);
      let c = b[i]!;
      if (c === GT) {
        i++;
        break;
      }
      if (c === SLASH) {
        if (i + 1 >= limit) return this.incomplete(i0);
        if (b[i + 1] !== GT) this.fail(i, 'forward-slash in opening tag not followed by >');
        i += 2;
        self = true;
        break;
      }
      if (!isS(c)) this.fail(i, i === ne ? 'disallowed character in tag name' : 'no whitespace between attributes');
      while (i < limit && isS(b[i])) i++;
      if (i >= limit) return this.incomplete(i0);
      c = b[i]!;
      if (c === GT || c === SLASH) continue;
      // Attribute name = "value"
      const as = i;
      const ae = this.name(i, limit, 'attribute name');
      if (ae < 0) return this.incomplete(i0);
      i = ae;
      while (i < limit && isS(b[i])) i++;
      if (i >= limit) return this.incomplete(i0);
      if (b[i] !== EQ) this.fail(i, 'attribute without value');
      i++;
      while (i < limit && isS(b[i])) i++;
      if (i >= limit) return this.incomplete(i0);
      const q = b[i]!;
      if (q !== DQ && q !== SQ) this.fail(i, 'unquoted attribute value');
      i++;
      const vs = i;
      let flags = 0;
      for (;;) {
        while (i < limit && ATTR_CLASS[b[i]!] === 0) i++;
        if (i >= limit) return this.incomplete(i0);
        const v = b[i]!;
        if (v === q) break;
        if (v === AMP) {
          const e = this.entity(i, limit);
          if (e < 0) return this.incomplete(i0);
          i = e;
          flags |= A_DECODE | A_SPECIAL | (this.entCp === DECLARED_ENTITY ? A_ENTREF : 0);
        } else if (v === DQ || v === SQ || v === GT) {
          flags |= A_SPECIAL;
          i++;
        } else if (v === TAB || v === LF || v === CR) {
          flags |= A_DECODE;
          i++;
        } else if (v === LT) {
          this.fail(i, "disallowed character '<' in attribute value");
        } else if (v === 0xef) {
          if (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf)) this.fail(i, 'disallowed character');
          i += 3;
        } else {
          this.fail(i, 'disallowed character');
        }
      }
      let a = this.attrs;
      if (a.length < 5 * (n + 1)) {
        a = new Int32Array(a.length * 2);
        a.set(this.attrs);
        this.attrs = a;
      }
      const o = 5 * n;
      a[o] = as;
      a[o + 1] = ae;
      a[o + 2] = vs;
      a[o + 3] = i;
      a[o + 4] = flags;
      n++;
      i++; // closing quote
    }
    this.nAttrs = n;
    if (n > 1) this.checkDuplicates(n);
    if (this.closedRoot) this.fail(i0, 'documents may contain only one root');
    const name = this.intern(i0 + 1, ne);
    this.sawRoot = true;
    if (!self) this.stack.push(name);
    this.handler.startTag(name, self);
    if (self) {
      this.handler.endTag(name);
      if (this.stack.length === 0) this.closedRoot = true;
    }
    this.nAttrs = 0;
    return i;
  }

  private checkDuplicates(n: number): void {
    const a = this.attrs;
    if (n > 16) {
      const seen = new Set<string>();
      for (let k = 0; k < n; k++) {
        const s = this.buf.toString('latin1', a[5 * k]!, a[5 * k + 1]!);
        if (seen.has(s)) this.fail(a[5 * k]!, `duplicate attribute: ${this.attrName(k)}`);
        seen.add(s);
      }
      return;
    }
    const b = this.buf;
    for (let x = 1; x < n; x++) {
      const xs = a[5 * x]!;
      const xl = a[5 * x + 1]! - xs;
      for (let y = 0; y < x; y++) {
        const ys = a[5 * y]!;
        if (a[5 * y + 1]! - ys !== xl) continue;
        let k = 0;
        while (k < xl && b[xs + k] === b[ys + k]) k++;
        if (k === xl) this.fail(xs, `duplicate attribute: ${this.attrName(x)}`);
      }
    }
  }

  private endTag(i0: number, limit: number): number {
    const b = this.buf;
    const top = this.stack[this.stack.length - 1];
    let i = i0 + 2;
    if (top === undefined) this.fail(i0, 'unmatched closing tag');
    const nb = top.bytes;
    for (let k = 0; k < nb.length; k++, i++) {
      if (i >= limit) return this.incomplete(i0);
      if (b[i] !== nb[k]) this.fail(i0, `mismatched closing tag (expected </${top.str}>)`);
    }
    if (i >= limit) return this.incomplete(i0);
    let c = b[i]!;
    if (c !== GT) {
      if (c < 0x80 ? (NAME_CLASS[c]! & C_NAME) !== 0 : isNameCp(this.cpAt(i))) {
        this.fail(i0, `mismatched closing tag (expected </${top.str}>)`);
      }
      while (i < limit && isS(b[i])) i++;
      if (i >= limit) return this.incomplete(i0);
      c = b[i]!;
      if (c !== GT) this.fail(i, 'disallowed character in closing tag');
    }
    this.stack.pop();
    this.handler.endTag(top);
    if (this.stack.length === 0) this.closedRoot = true;
    return i + 1;
  }

  private incomplete(i0: number): number {
    this.more = true;
    return i0;
  }

  // ---- attributes (valid during startTag) ----------------------------------------------------

  get attrCount(): number {
    return this.nAttrs;
  }

  attrName(k: number): string {
    return this.buf.toString('utf8', this.attrs[5 * k]!, this.attrs[5 * k + 1]!);
  }

  /** True if attribute k's name is exactly `name` (ASCII). */
  attrNameIs(k: number, name: string): boolean {
    const s = this.attrs[5 * k]!;
    if (this.attrs[5 * k + 1]! - s !== name.length) return false;
    for (let j = 0; j < name.length; j++) if (this.buf[s + j] !== name.charCodeAt(j)) return false;
    return true;
  }

  /** Index of the attribute named `name` (ASCII), or -1. */
  attrIndex(name: string): number {
    for (let k = 0; k < this.nAttrs; k++) if (this.attrNameIs(k, name)) return k;
    return -1;
  }

  /** Decodes attribute k in place (once) and returns its byte range [start, end] through attrRange. */
  attrDecode(k: number): void {
    const a = this.attrs;
    const o = 5 * k;
    if ((a[o + 4]! & A_DECODE) !== 0) {
      const b = this.buf;
      let r = a[o + 2]!;
      const e = a[o + 3]!;
      let w = r;
      while (r < e) {
        const c = b[r]!;
        if (c === AMP) {
          const q = this.entity(r, e + 1);
          if (this.entCp === DECLARED_ENTITY) {
            b.copyWithin(w, r, q); // the reference stays as it is (see attrEntityRefAt)
            w += q - r;
          } else {
            w = this.putCp(w, this.entCp);
          }
          r = q;
        } else if (c === TAB || c === LF || c === CR) {
          b[w++] = SP;
          r += c === CR && r + 1 < e && b[r + 1] === LF ? 2 : 1;
        } else {
          b[w++] = c;
          r++;
        }
      }
      a[o + 3] = w;
      a[o + 4] = a[o + 4]! & ~A_DECODE;
    }
    this.rangeStart = a[o + 2]!;
    this.rangeEnd = a[o + 3]!;
  }

  /** Set by attrDecode. */
  rangeStart = 0;
  rangeEnd = 0;

  /** True if attribute k's decoded value holds `&name;` references to internal-subset entities. */
  attrHasEntityRefs(k: number): boolean {
    return (this.attrs[5 * k + 4]! & A_ENTREF) !== 0;
  }

  /** Length of a `&name;` reference to a declared entity at b[i], else 0 (attrHasEntityRefs values). */
  entityRefAt(b: Uint8Array, i: number, e: number): number {
    if (b[i] !== AMP) return 0;
    let j = i + 1;
    while (j < e && b[j] !== SEMI && j - i < 256) j++;
    if (j >= e || b[j] !== SEMI) return 0;
    return this.declared.has(Buffer.from(b.buffer, b.byteOffset + i + 1, j - i - 1).toString('utf8')) ? j + 1 - i : 0;
  }

  /** True if the decoded value may contain characters a serialiser must escape. */
  attrSpecial(k: number): boolean {
    return (this.attrs[5 * k + 4]! & A_SPECIAL) !== 0;
  }

  /** The buffer that attribute ranges and names refer to (valid during startTag). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  attrValue(k: number): string {
    this.attrDecode(k);
    return this.buf.toString('utf8', this.rangeStart, this.rangeEnd);
  }

  /** True if attribute k's decoded value is exactly `v` (ASCII). */
  attrValueIs(k: number, v: string): boolean {
    this.attrDecode(k);
    const s = this.rangeStart;
    if (this.rangeEnd - s !== v.length) return false;
    for (let j = 0; j < v.length; j++) if (this.buf[s + j] !== v.charCodeAt(j)) return false;
    return true;
  }

  attrNameStart(k: number): number {
    return this.attrs[5 * k]!;
  }

  attrNameEnd(k: number): number {
    return this.attrs[5 * k + 1]!;
  }

  // ---- <! ... > and <? ... ?> ----------------------------------------------------------------

  /** True if b[i..] starts with the ASCII string s; null if the input ends before that is known. */
  private startsWith(i: number, limit: number, s: string): boolean | null {
    const b = this.buf;
    for (let k = 0; k < s.length; k++) {
      if (i + k >= limit) return null;
      if (b[i + k] !== s.charCodeAt(k)) return false;
    }
    return true;
  }

  /**
   * First index >= i of the ASCII string s that ends before limit, or -1. For the token that
   * starts at i0, a search that failed before resumes where it stopped (a long comment or CDATA
   * section arriving in many writes is scanned once, not once per write).
   */
  private find(i0: number, i: number, limit: number, s: string): number {
    if (this.findToken === this.base + i0) i = Math.max(i, this.findFrom - this.base);
    const k = this.buf.subarray(0, limit).indexOf(s, i, 'latin1');
    if (k >= 0) return k;
    this.findToken = this.base + i0;
    this.findFrom = this.base + Math.max(i, limit - s.length + 1);
    return -1;
  }

  /** Input offsets: the token whose terminator search stopped at findFrom. */
  private findToken = -1;
  private findFrom = 0;

  private bang(i0: number, limit: number): number {
    const b = this.buf;
    const i = i0 + 2;
    const isComment = this.startsWith(i, limit, '--');
    if (isComment === null) return this.incomplete(i0);
    if (isComment) {
      const s = i + 2;
      const k = this.find(i0, s, limit, '--');
      if (k < 0) return this.incomplete(i0);
      if (k + 2 >= limit) return this.incomplete(i0);
      if (b[k + 2] !== GT) this.fail(k, 'malformed comment ("--" inside)');
      const e = this.raw(s, k);
      if (this.wantText) this.handler.comment(b, s, e);
      return k + 3;
    }
    const isCdata = this.startsWith(i, limit, '[CDATA[');
    if (isCdata === null) return this.incomplete(i0);
    if (isCdata) {
      if (this.stack.length === 0) this.fail(i0, 'text data outside of root node');
      const s = i + 7;
      const k = this.find(i0, s, limit, ']]>');
      if (k < 0) return this.incomplete(i0);
      const e = this.raw(s, k, true);
      if (this.wantText) this.handler.cdata(b, s, e);
      return k + 3;
    }
    const isDoctype = this.startsWith(i, limit, 'DOCTYPE');
    if (isDoctype === null) return this.incomplete(i0);
    if (!isDoctype) this.fail(i0, 'incorrect syntax');
    if (this.sawDoctype || this.sawRoot) this.fail(i0, 'inappropriately located doctype declaration');
    const e = this.doctype(i + 7, limit);
    if (e < 0) return this.incomplete(i0);
    this.checkChars(i0, e);
    this.entityDeclarations(i0, e);
    this.sawDoctype = true;
    return e;
  }

  /**
   * The general entities declared in the internal subset of b[s, e) (a complete DOCTYPE). Internal
   * ones are remembered (their references are reported, never expanded); an external one (SYSTEM
   * or PUBLIC) or a parameter entity refuses the document, so nothing is ever fetched.
   */
  private entityDeclarations(s: number, e: number): void {
    const text = this.buf.toString('utf8', s, e);
    if (!text.includes('<!ENTITY')) return;
    // comments and PIs of the subset cannot declare anything
    const decls = text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g, '');
    const re = /<!ENTITY[ \t\r\n]+(%[ \t\r\n]+)?([^ \t\r\n"'>%]+)[ \t\r\n]+("[^"]*"|'[^']*'|[A-Z]+)/g;
    for (let m = re.exec(decls); m !== null; m = re.exec(decls)) {
      const at = s + Buffer.byteLength(decls.slice(0, m.index));
      if (m[1] !== undefined) this.fail(at, 'parameter entity declared (not supported)');
      const value = m[3] ?? '';
      if (!value.startsWith('"') && !value.startsWith("'")) this.fail(at, `external entity ${m[2] ?? ''} declared (${value}): refused`);
      if (value.includes('%')) this.fail(at, 'parameter entity reference in an entity value (not supported)');
      if (this.declared.size >= MAX_DECLARED_ENTITIES) this.fail(at, 'too many entity declarations');
      this.declared.add(m[2] ?? '');
    }
  }

  /** Skips a DOCTYPE declaration from after "<!DOCTYPE"; returns the index after its '>' or -1. */
  private doctype(i: number, limit: number): number {
    const b = this.buf;
    let subset = false;
    while (i < limit) {
      const c = b[i]!;
      if (c === DQ || c === SQ) {
        const k = b.indexOf(c, i + 1);
        if (k < 0 || k >= limit) return -1;
        i = k + 1;
      } else if (!subset && c === GT) {
        return i + 1;
      } else if (!subset && c === LSQB) {
        subset = true;
        i++;
      } else if (subset && c === RSQB) {
        subset = false;
        i++;
      } else if (subset && c === LT && i + 3 >= limit) {
        return -1;
      } else if (subset && c === LT && b[i + 1] === BANG && b[i + 2] === DASH && b[i + 3] === DASH) {
        const k = this.find(i, i + 4, limit, '-->');
        if (k < 0) return -1;
        i = k + 3;
      } else if (subset && c === LT && b[i + 1] === QMARK) {
        const k = this.find(i, i + 2, limit, '?>');
        if (k < 0) return -1;
        i = k + 2;
      } else {
        i++;
      }
    }
    return -1;
  }

  /** Fails on a character outside XML's Char production in b[s, e). */
  private checkChars(s: number, e: number): void {
    const b = this.buf;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (RAW_CLASS[c] === 0 || c === CR) continue;
      if (c !== 0xef || (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf))) this.fail(i, 'disallowed character');
    }
  }

  /**
   * Checks the characters of comment/CDATA/PI content b[s, e) and normalises its line ends in
   * place; returns the new end.
   */
  private raw(s: number, e: number, keepCr = false): number {
    const b = this.buf;
    let i = s;
    let w = s;
    for (;;) {
      let j = i;
      while (j < e && RAW_CLASS[b[j]!] === 0) j++;
      if (j !== i) {
        if (w !== i) b.copyWithin(w, i, j);
        w += j - i;
        i = j;
      }
      if (i >= e) return w;
      const c = b[i]!;
      if (c === CR && keepCr) {
        b[w++] = CR;
        i++;
      } else if (c === CR) {
        b[w++] = LF;
        i += i + 1 < e && b[i + 1] === LF ? 2 : 1;
      } else if (c === 0xef) {
        if (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf)) this.fail(i, 'disallowed character');
        b[w] = 0xef;
        b[w + 1] = b[i + 1]!;
        b[w + 2] = b[i + 2]!;
        w += 3;
        i += 3;
      } else {
        this.fail(i, 'disallowed character');
      }
    }
  }

  private pi(i0: number, limit: number): number {
    const b = this.buf;
    const ts = i0 + 2;
    if (ts >= limit) return this.incomplete(i0);
    const c0 = b[ts]!;
    if (c0 === QMARK || isS(c0)) this.fail(i0, 'processing instruction without a target');
    const te = this.name(ts, limit, 'processing instruction name');
    if (te < 0) return this.incomplete(i0);
    const c = b[te]!;
    if (c !== QMARK && !isS(c)) this.fail(te, 'disallowed character in processing instruction name');
    let bs = te;
    while (bs < limit && isS(b[bs])) bs++;
    const k = this.find(i0, bs, limit, '?>');
    if (k < 0) return this.incomplete(i0);
    const isXml = te - ts === 3 && (b[ts]! | 0x20) === 0x78 && (b[ts + 1]! | 0x20) === 0x6d && (b[ts + 2]! | 0x20) === 0x6c;
    if (isXml) {
      if (b[ts] !== 0x78 || b[ts + 1] !== 0x6d || b[ts + 2] !== 0x6c || this.started) {
        this.fail(i0, 'the XML declaration must appear at the start of the document');
      }
      if (!XML_DECL.test(b.toString('latin1', i0, k + 2))) this.fail(i0, 'malformed XML declaration');
      return k + 2;
    }
    const be = this.raw(bs, k);
    if (this.wantText) this.handler.pi(b, ts, te, bs, be);
    return k + 2;
  }
}
