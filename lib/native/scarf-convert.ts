/**
 * SCARF XML -> nativereport.json, streaming and pure (no I/O): UTF-8 bytes go in with
 * writeBytes() (or text with write()), JSON comes out through `emitBytes`/`emit` in pieces that
 * always end on a fragment boundary (header, BugInstances, summaries).
 * Reproduces the legacy C parser (libxml2 xmlTextReader + yajl) byte for byte on well-formed
 * input: see docs/native-viewer.md and the legacy parser, mirswamp/services
 * perl/agents/Scarf_Parsing_C/vmu_Scarf_CParsing.c.
 *
 * Parsing is done by the byte-level XmlTokenizer (xml-tokenizer.ts); values are rebuilt as
 * libxml2 inner XML into a per-bug byte arena and written as JSON bytes by YajlByteGen, so no
 * string is created per element or per value (only the two BugSummaries keys of each bug).
 *
 * Memory: one BugInstance at a time plus the BugSummaries tally (one entry per distinct
 * (BugCode, BugGroup)), so resident memory does not grow with the number of bugs.
 */
import { hashBytes, sameBytes } from './byte-keys.js';
import { quotedKey, YajlByteGen } from './json-gen.js';
import type { ScarfMetadata } from './metadata.js';
import { resolveToolAttributes } from './tool-list.js';
import type { ToolListShape } from './scarf-tool-list-data.js';
import { XmlSyntaxError, XmlTokenizer, type XmlHandler, type XmlName } from './xml-tokenizer.js';

export interface ScarfConvertOptions {
  /** First word of the SWAMP tool name (selects the attribute list). */
  toolName: string;
  /** SCARFmetaData values, or null when the legacy metadata file would be missing. */
  metadata: ScarfMetadata | null;
  /**
   * Receives the JSON as UTF-8 bytes, in order. The view is only valid during the call (its
   * buffer is reused). Each piece ends on a fragment boundary.
   */
  emitBytes?: (bytes: Uint8Array) => void;
  /** Receives the JSON text in order (convenience for small documents; decodes emitBytes). */
  emit?: (chunk: string) => void;
  toolList?: ToolListShape;
  /** Bound of one BugInstance's values and of one markup token (default MAX_ELEMENT_BYTES). */
  maxElementBytes?: number;
}

/** Default bound of one BugInstance's captured content (and of one markup token): 64 MiB. */
export const MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

export interface ScarfConvertStats {
  bugs: number;
  /** Lines the legacy program prints/logs ([INFO] statistics, [ERROR] warnings). */
  messages: string[];
}

/** Values are byte ranges [s, e) of the per-bug arena; s = -1 means "element not seen". */
interface Location {
  primary: boolean;
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  sourceFileS: number;
  sourceFileE: number;
  explanationS: number;
  explanationE: number;
}

/** A BugSummaries key: a BugCode (with its groups) or a BugGroup value. */
interface Summary {
  /** The JSON key: the value, or "undefined" when the element was absent. */
  key: string;
  /** UTF-8 of key. */
  bytes: Uint8Array;
  count: number;
  /** Bytes of the written fragments. */
  size: number;
  groups: SummaryTable;
}

/** Entries in order of first appearance, and a hash index over their bytes. */
interface SummaryTable {
  list: Summary[];
  index: Map<number, Summary[]>;
}

const UNDEFINED = Buffer.from('undefined');

interface Method {
  primary: boolean;
  nameS: number;
  nameE: number;
}

/** Element ids (XmlName.id). 0..19 are captured elements: their inner XML is a value. */
const enum Cap {
  Xpath, Start, End, CweId, Method, StartLine, EndLine, StartColumn, EndColumn, Explanation, SourceFile,
  AssessmentReportFile, BuildId, BugCode, BugRank, ClassName, BugSeverity, BugGroup, BugMessage, ResolutionSuggestion,
}
const N_CAP = 20;
const enum El {
  BugInstance = 100, AnalyzerReport, Location, Metric, BugSummary, MetricSummaries,
}

const NAMES: readonly (readonly [string, number])[] = [
  ['Xpath', Cap.Xpath], ['Start', Cap.Start], ['End', Cap.End], ['CweId', Cap.CweId], ['Method', Cap.Method],
  ['StartLine', Cap.StartLine], ['EndLine', Cap.EndLine], ['StartColumn', Cap.StartColumn], ['EndColumn', Cap.EndColumn],
  ['Explanation', Cap.Explanation], ['SourceFile', Cap.SourceFile], ['AssessmentReportFile', Cap.AssessmentReportFile],
  ['BuildId', Cap.BuildId], ['BugCode', Cap.BugCode], ['BugRank', Cap.BugRank], ['ClassName', Cap.ClassName],
  ['BugSeverity', Cap.BugSeverity], ['BugGroup', Cap.BugGroup], ['BugMessage', Cap.BugMessage],
  ['ResolutionSuggestion', Cap.ResolutionSuggestion],
  ['BugInstance', El.BugInstance], ['AnalyzerReport', El.AnalyzerReport], ['Location', El.Location],
  ['Metric', El.Metric], ['BugSummary', El.BugSummary], ['MetricSummaries', El.MetricSummaries],
];

/** Attribute-count names of the legacy [INFO] statistics, per captured element. */
const COUNTED: Partial<Record<Cap, string>> = {
  [Cap.CweId]: 'cweIds', [Cap.Method]: 'methods', [Cap.AssessmentReportFile]: 'assessmentReportFile',
  [Cap.BuildId]: 'buildId', [Cap.BugCode]: 'bugCode', [Cap.BugRank]: 'bugRank', [Cap.ClassName]: 'className',
  [Cap.BugSeverity]: 'bugSeverity', [Cap.BugGroup]: 'bugGroup', [Cap.BugMessage]: 'bugMessage',
  [Cap.ResolutionSuggestion]: 'resolutionSuggestion',
};

/** C isspace() in the C locale. */
function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The legacy trim(): strip leading and trailing C-locale whitespace. */
export function trimC(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isCSpace(s.charCodeAt(a))) a++;
  while (b > a && isCSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const INT32 = 2 ** 31;
const LONG_MAX = 2n ** 63n - 1n;

/** C `(int) strtol(s, NULL, 10)`: whitespace, sign, digits up to the first non-digit; 0 if none. */
export function strtolInt(s: string): number {
  let i = 0;
  const n = s.length;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  const sc = s.charCodeAt(i);
  if (sc === 0x2d || sc === 0x2b) {
    neg = sc === 0x2d;
    i++;
  }
  const from = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  if (i === from) return 0;
  if (i - from <= 9) {
    const v = Number(s.slice(from, i));
    return neg ? -v : v;
  }
  let v = BigInt(s.slice(from, i));
  if (neg) v = -v;
  // strtol saturates at LONG_MIN/LONG_MAX; the int conversion keeps the low 32 bits.
  if (v > LONG_MAX) v = LONG_MAX;
  if (v < -LONG_MAX - 1n) v = -LONG_MAX - 1n;
  const r = Number(BigInt.asIntN(32, v));
  return r >= INT32 ? r - 2 * INT32 : r;
}

/** strtolInt over UTF-8 bytes b[s, e). */
function strtolBytes(b: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e && isCSpace(b[i]!)) i++;
  let neg = false;
  const sc = b[i];
  if (i < e && (sc === 0x2d || sc === 0x2b)) {
    neg = sc === 0x2d;
    i++;
  }
  const from = i;
  let v = 0;
  while (i < e) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  if (i === from) return 0;
  if (i - from <= 9) return neg ? -v : v;
  return strtolInt(Buffer.from(b.buffer, b.byteOffset + s, i - s).toString('latin1'));
}

const K = {
  AnalyzerReport: quotedKey('AnalyzerReport'), BugInstances: quotedKey('BugInstances'), BugId: quotedKey('BugId'),
  BuildId: quotedKey('BuildId'), BugCode: quotedKey('BugCode'), BugRank: quotedKey('BugRank'),
  ClassName: quotedKey('ClassName'), BugSeverity: quotedKey('BugSeverity'), BugGroup: quotedKey('BugGroup'),
  BugMessage: quotedKey('BugMessage'), ResolutionSuggestion: quotedKey('ResolutionSuggestion'),
  CweIds: quotedKey('CweIds'), Methods: quotedKey('Methods'), name: quotedKey('name'), primary: quotedKey('primary'),
  MethodId: quotedKey('MethodId'), BugLocations: quotedKey('BugLocations'), StartLine: quotedKey('StartLine'),
  EndLine: quotedKey('EndLine'), StartColumn: quotedKey('StartColumn'), EndColumn: quotedKey('EndColumn'),
  SourceFile: quotedKey('SourceFile'), Explanation: quotedKey('Explanation'), LocationId: quotedKey('LocationId'),
  InstanceLocation: quotedKey('InstanceLocation'), Xpath: quotedKey('Xpath'), LineNum: quotedKey('LineNum'),
  Start: quotedKey('Start'), End: quotedKey('End'), BugSummaries: quotedKey('BugSummaries'),
  count: quotedKey('count'), bytes: quotedKey('bytes'),
};

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Pending output is handed to the caller once it exceeds this many bytes. */
const FLUSH_AT = 1 << 18;

const HEADER_XML_ONLY = new Set(['uuid', 'assess_fw', 'assess_fw_version', 'build_fw', 'build_fw_version',
  'build_root_dir', 'package_root_dir', 'parser_fw', 'parser_fw_version']);

const HEADER_ORDER = ['uuid', 'tool_name', 'tool_version', 'assess_fw', 'assess_fw_version', 'assessment_start_ts',
  'assessment_end_ts', 'report_generation_ts', 'build_fw', 'build_fw_version', 'build_root_dir', 'package_name',
  'package_root_dir', 'package_version', 'platform_name', 'platform_version', 'parser_fw', 'parser_fw_version'] as const;

export class ScarfConversionError extends Error {}

/** A namespace declaration: prefix (null for the default namespace) and URI, as written. */
interface NsDecl {
  prefix: string | null;
  href: string;
}

/** `xmlns` -> null (default), `xmlns:p` -> 'p', anything else -> undefined. */
function declPrefix(b: Uint8Array, s: number, e: number): string | null | undefined {
  if (e - s < 5 || b[s] !== 0x78 || b[s + 1] !== 0x6d || b[s + 2] !== 0x6c || b[s + 3] !== 0x6e || b[s + 4] !== 0x73) return undefined;
  if (e - s === 5) return null;
  if (b[s + 5] !== 0x3a) return undefined;
  return Buffer.from(b.buffer, b.byteOffset + s + 6, e - s - 6).toString('utf8');
}

/** The prefix of a qualified name (bytes), or null when it has none. */
function prefixOf(b: Uint8Array, s: number, e: number): string | null {
  for (let i = s; i < e; i++) if (b[i] === 0x3a) return Buffer.from(b.buffer, b.byteOffset + s, i - s).toString('utf8');
  return null;
}

export class ScarfConverter implements XmlHandler {
  private readonly tok: XmlTokenizer;
  private readonly gen = new YajlByteGen();
  private readonly emitBytes: (bytes: Uint8Array) => void;
  private readonly meta: ScarfMetadata | null;
  private readonly enabled: ReadonlySet<string>;
  private readonly dictionary: readonly string[];
  private readonly messages: string[] = [];
  /** Per Cap: elements seen ([INFO] statistics); locations separately. */
  private readonly capCounts = new Float64Array(N_CAP);
  private locationCount = 0;
  /** BugSummaries: codes in order of appearance, each with its groups. */
  private readonly codes: SummaryTable = { list: [], index: new Map() };
  private readonly en: {
    buildId: boolean; bugCode: boolean; bugRank: boolean; className: boolean; bugSeverity: boolean; bugGroup: boolean;
    bugMessage: boolean; resolutionSuggestion: boolean; cweIds: boolean; methods: boolean; locations: boolean;
  };

  private depth = 0;
  private headerWritten = false;
  private bugsOpen = false;
  private inBug = false;
  private bugCount = 0;
  private bugsWritten = 0;
  /** Skip everything until this element closes (Metric, BugSummary, MetricSummaries); 0: none. */
  private skipId = 0;

  // The current bug. String values: arena ranges, S = -1 when absent.
  private readonly vs = new Int32Array(N_CAP);
  private readonly ve = new Int32Array(N_CAP);
  // Pools reused from bug to bug (no garbage per bug): the first n* entries are the current bug's.
  private readonly cweIds: number[] = [];
  private nCwe = 0;
  private readonly methods: Method[] = [];
  private nMethods = 0;
  private readonly locations: Location[] = [];
  private nLoc = 0;
  private start = 0;
  private end = 0;

  // Open captures (stack): kind, depth, offset in the arena right after `<Name attrs` (outermost:
  // one before its content).
  private readonly capKind: number[] = [];
  private readonly capDepth: number[] = [];
  private readonly capOff: number[] = [];
  private capN = 0;
  /** Inner XML of the bug's captured elements; reset per bug. */
  private arena: Buffer = Buffer.allocUnsafe(1 << 14);
  private ap = 0;
  /** The last start tag written into the arena still lacks its `>`. */
  private pending = false;
  private readonly maxBugBytes: number;

  // Namespaces (only once a document declares one: SCARF normally has none, and then none of this runs).
  /** Some element declared a namespace (xmlns / xmlns:p). */
  private nsActive = false;
  /** Declarations of the open elements, by depth (null: none). */
  private readonly nsStack: (NsDecl[] | null)[] = [];
  /** Declarations added to the current top copied node (libxml2 adds them to the copy's root). */
  private topAdded: NsDecl[] = [];
  /** Arena offset where the next added declaration goes: after the top node's own declarations. */
  private topInsertAt = -1;

  constructor(opts: ScarfConvertOptions) {
    if (opts.emitBytes) this.emitBytes = opts.emitBytes;
    else if (opts.emit) {
      const emit = opts.emit;
      const dec = new TextDecoder();
      this.emitBytes = (b) => emit(dec.decode(b));
    } else throw new Error('ScarfConverter: emit or emitBytes required');
    this.meta = opts.metadata;
    const r = resolveToolAttributes(opts.toolName, opts.toolList);
    this.enabled = r.enabled;
    this.dictionary = r.dictionary;
    this.messages.push(...r.warnings);
    const e = (k: string): boolean => r.enabled.has(k);
    this.en = {
      buildId: e('buildId'), bugCode: e('bugCode'), bugRank: e('bugRank'), className: e('className'),
      bugSeverity: e('bugSeverity'), bugGroup: e('bugGroup'), bugMessage: e('bugMessage'),
      resolutionSuggestion: e('resolutionSuggestion'), cweIds: e('cweIds'), methods: e('methods'),
      locations: e('locations'),
    };
    this.tok = new XmlTokenizer(this, NAMES);
    this.maxBugBytes = opts.maxElementBytes ?? MAX_ELEMENT_BYTES;
    this.tok.maxTokenBytes = this.maxBugBytes;
  }

  private fail(msg: string): never {
    throw new ScarfConversionError(msg);
  }

  /** UTF-8 input. */
  writeBytes(bytes: Uint8Array): void {
    try {
      this.tok.write(bytes);
    } catch (err) {
      this.rethrow(err);
    }
    if (this.gen.pos >= FLUSH_AT) this.flush();
  }

  /** Text input (encoded to UTF-8). */
  write(text: string): void {
    if (LONE_SURROGATE.test(text)) this.fail('XML parse error: disallowed character (unpaired surrogate)');
    this.writeBytes(Buffer.from(text, 'utf8'));
  }

  private rethrow(err: unknown): never {
    if (err instanceof XmlSyntaxError) this.fail(`XML parse error: ${err.message}`);
    throw err;
  }

  private flush(): void {
    if (this.gen.pos === 0) return;
    this.emitBytes(this.gen.buf.subarray(0, this.gen.pos));
    this.gen.reset();
  }

  // ---- arena ---------------------------------------------------------------------------------

  private room(n: number): void {
    if (this.ap + n <= this.arena.length) return;
    // One BugInstance's values are held whole: bounded, so a single huge element fails cleanly
    // instead of growing to Node's buffer/string limits.
    if (this.ap + n > this.maxBugBytes) this.fail(`BugInstance ${this.bugCount} larger than ${this.maxBugBytes} bytes`);
    const nb = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.ap + n));
    this.arena.copy(nb, 0, 0, this.ap);
    this.arena = nb;
  }

  private closePending(): void {
    if (this.pending) {
      this.room(1);
      this.arena[this.ap++] = 0x3e;
      this.pending = false;
    }
  }

  private put(src: Uint8Array, s: number, e: number): void {
    this.room(e - s);
    const a = this.arena;
    let p = this.ap;
    if (e - s > 64) {
      a.set(src.subarray(s, e), p);
      p += e - s;
    } else {
      for (let i = s; i < e; i++) a[p++] = src[i]!;
    }
    this.ap = p;
  }

  private putAscii(str: string): void {
    this.room(str.length);
    const a = this.arena;
    let p = this.ap;
    for (let i = 0; i < str.length; i++) a[p++] = str.charCodeAt(i);
    this.ap = p;
  }

  /** libxml2 (2.9) text serialization inside inner XML: & < > escaped, CR as &#13;. */
  private putText(src: Uint8Array, s: number, e: number): void {
    this.room(5 * (e - s));
    const a = this.arena;
    let p = this.ap;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      switch (c) {
        case 0x26: a[p++] = 0x26; a[p++] = 0x61; a[p++] = 0x6d; a[p++] = 0x70; a[p++] = 0x3b; break; // &amp;
        case 0x3c: a[p++] = 0x26; a[p++] = 0x6c; a[p++] = 0x74; a[p++] = 0x3b; break; // &lt;
        case 0x3e: a[p++] = 0x26; a[p++] = 0x67; a[p++] = 0x74; a[p++] = 0x3b; break; // &gt;
        case 0x0d: a[p++] = 0x26; a[p++] = 0x23; a[p++] = 0x31; a[p++] = 0x33; a[p++] = 0x3b; break; // &#13;
        default: a[p++] = c;
      }
    }
    this.ap = p;
  }

  /** libxml2 attribute value serialization. */
  private putAttr(src: Uint8Array, s: number, e: number): void {
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      switch (c) {
        case 0x26: this.putAscii('&amp;'); break;
        case 0x3c: this.putAscii('&lt;'); break;
        case 0x3e: this.putAscii('&gt;'); break;
        case 0x22: this.putAscii('&quot;'); break;
        case 0x0a: this.putAscii('&#10;'); break;
        case 0x0d: this.putAscii('&#13;'); break;
        case 0x09: this.putAscii('&#9;'); break;
        default:
          this.room(1);
          this.arena[this.ap++] = c;
      }
    }
  }

  /** An attribute value holding `&name;` references to declared entities: those written as they are. */
  private putAttrRefs(src: Uint8Array, s: number, e: number): void {
    let from = s;
    for (let i = s; i < e; i++) {
      const n = src[i] === 0x26 ? this.tok.entityRefAt(src, i, e) : 0;
      if (n === 0) continue;
      this.putAttr(src, from, i);
      this.put(src, i, i + n);
      i += n - 1;
      from = i + 1;
    }
    this.putAttr(src, from, e);
  }

  // ---- tokenizer events ----------------------------------------------------------------------

  text(buf: Uint8Array, start: number, end: number, special: boolean): void {
    this.closePending();
    if (special) this.putText(buf, start, end);
    else this.put(buf, start, end);
  }

  cdata(buf: Uint8Array, start: number, end: number): void {
    // libxml2 makes no node of an empty CDATA section: nothing in the inner XML
    if (end === start) return;
    this.closePending();
    this.putAscii('<![CDATA[');
    this.put(buf, start, end);
    this.putAscii(']]>');
  }

  /** `&name;` of an internal-subset entity: written back as it was (libxml2 keeps the reference). */
  entityRef(buf: Uint8Array, start: number, end: number): void {
    this.closePending();
    this.put(buf, start, end);
  }

  comment(buf: Uint8Array, start: number, end: number): void {
    this.closePending();
    this.putAscii('<!--');
    this.put(buf, start, end);
    this.putAscii('-->');
  }

  pi(buf: Uint8Array, ts: number, te: number, bs: number, be: number): void {
    this.closePending();
    this.putAscii('<?');
    this.put(buf, ts, te);
    if (be > bs) {
      this.putAscii(' ');
      this.put(buf, bs, be);
    }
    this.putAscii('?>');
  }

  startTag(name: XmlName, selfClosing: boolean): void {
    this.depth++;
    this.recordNamespaces();
    if (this.skipId !== 0) return;
    const id = name.id;
    if (!this.inBug) {
      if (id === El.BugInstance) {
        if (!this.headerWritten) this.fail('BugInstance before the AnalyzerReport start tag');
        this.newBug();
        this.bugCount++;
      } else if (id === El.AnalyzerReport) {
        this.writeHeader();
      } else if (id === El.Metric || id === El.BugSummary || id === El.MetricSummaries) {
        if (!selfClosing) this.skipId = id;
      }
      return;
    }
    // Inside a BugInstance.
    if (this.capN > 0) this.putStartTag(name);
    if (id === El.Location) {
      let l = this.locations[this.nLoc];
      if (l === undefined) {
        l = {
          primary: false, startLine: 0, endLine: 0, startColumn: 0, endColumn: 0,
          sourceFileS: -1, sourceFileE: -1, explanationS: -1, explanationE: -1,
        };
        this.locations.push(l);
      }
      l.primary = this.primary();
      l.startLine = l.endLine = l.startColumn = l.endColumn = 0;
      l.sourceFileS = l.sourceFileE = l.explanationS = l.explanationE = -1;
      this.nLoc++;
      this.locationCount++;
      return;
    }
    if (id < 0 || id >= N_CAP) return;
    if (id === Cap.Method) {
      let m = this.methods[this.nMethods];
      if (m === undefined) {
        m = { primary: false, nameS: 0, nameE: 0 };
        this.methods.push(m);
      }
      m.primary = this.primary();
      m.nameS = m.nameE = 0;
      this.nMethods++;
    }
    this.capCounts[id] = this.capCounts[id]! + 1;
    const n = this.capN;
    this.capKind[n] = id;
    this.capDepth[n] = this.depth;
    // Outermost capture: its own start tag is not in the arena, the content starts at ap.
    this.capOff[n] = n === 0 ? this.ap - 1 : this.ap;
    if (n === 0) this.pending = false;
    this.capN = n + 1;
    this.tok.wantText = true;
  }

  private primary(): boolean {
    const k = this.tok.attrIndex('primary');
    return k >= 0 && this.tok.attrValueIs(k, 'true');
  }

  private putStartTag(name: XmlName): void {
    this.closePending();
    const t = this.tok;
    const b = t.buffer;
    this.room(1);
    this.arena[this.ap++] = 0x3c;
    this.put(name.bytes, 0, name.bytes.length);
    if (this.nsActive) {
      // libxml2 writes an element's namespace declarations before its attributes, then the ones the
      // copy needed (reconciled on the copy's top node), then the attributes.
      for (let k = 0; k < t.attrCount; k++) if (declPrefix(b, t.attrNameStart(k), t.attrNameEnd(k)) !== undefined) this.putAttribute(k);
      if (this.depth === this.capDepth[0]! + 1) {
        this.topAdded = [];
        this.topInsertAt = this.ap;
      }
      this.reconcile(name);
      for (let k = 0; k < t.attrCount; k++) if (declPrefix(b, t.attrNameStart(k), t.attrNameEnd(k)) === undefined) this.putAttribute(k);
    } else {
      for (let k = 0; k < t.attrCount; k++) this.putAttribute(k);
    }
    this.pending = true;
  }

  private putAttribute(k: number): void {
    const t = this.tok;
    const b = t.buffer;
    this.putAscii(' ');
    this.put(b, t.attrNameStart(k), t.attrNameEnd(k));
    this.putAscii('="');
    t.attrDecode(k);
    if (t.attrHasEntityRefs(k)) this.putAttrRefs(b, t.rangeStart, t.rangeEnd);
    else if (t.attrSpecial(k)) this.putAttr(b, t.rangeStart, t.rangeEnd);
    else this.put(b, t.rangeStart, t.rangeEnd);
    this.putAscii('"');
  }

  /** Remembers the namespace declarations of the element just opened (at this.depth). */
  private recordNamespaces(): void {
    const t = this.tok;
    let decls: NsDecl[] | null = null;
    if (t.attrCount > 0) {
      const b = t.buffer;
      for (let k = 0; k < t.attrCount; k++) {
        const prefix = declPrefix(b, t.attrNameStart(k), t.attrNameEnd(k));
        if (prefix === undefined) continue;
        (decls ??= []).push({ prefix, href: t.attrValue(k) });
      }
    }
    if (decls !== null) this.nsActive = true;
    if (this.nsActive) this.nsStack[this.depth] = decls;
  }

  /** The nearest declaration of `prefix` between depths `from` (inclusive) and `to`, inward-out. */
  private findNs(prefix: string | null, to: number, from: number): NsDecl | undefined {
    for (let d = to; d >= from; d--) {
      const decls = this.nsStack[d];
      if (!decls) continue;
      for (let i = decls.length - 1; i >= 0; i--) if (decls[i]!.prefix === prefix) return decls[i];
    }
    return undefined;
  }

  /**
   * libxml2's xmlStaticCopyNode/xmlCopyProp: a namespace the element or one of its attributes uses,
   * declared outside the copied subtree, is declared again on the copy's top node. Only for the
   * outermost capture (nested captured elements are a SCARF oddity; docs/compat.md).
   */
  private reconcile(name: XmlName): void {
    const top = this.capDepth[0]! + 1;
    const need = (prefix: string | null, isAttr: boolean): void => {
      if (prefix === 'xml') return;
      const inCopy = this.findNs(prefix, this.depth, top) ?? this.topAdded.find((d) => d.prefix === prefix);
      if (inCopy !== undefined) return;
      const orig = this.findNs(prefix, this.depth, 1);
      // unprefixed: no namespace unless a default one is in scope (xmlns="" undeclares it)
      if (orig === undefined || (prefix === null && orig.href === '')) return;
      if (isAttr && prefix === null) return;
      this.insertDecl(orig);
    };
    need(prefixOf(name.bytes, 0, name.bytes.length), false);
    const t = this.tok;
    const b = t.buffer;
    for (let k = 0; k < t.attrCount; k++) {
      const s = t.attrNameStart(k);
      const e = t.attrNameEnd(k);
      if (declPrefix(b, s, e) !== undefined) continue;
      const p = prefixOf(b, s, e);
      if (p !== null) need(p, true);
    }
  }

  /** Inserts ` xmlns[:p]="href"` at topInsertAt, moving what follows (and every offset into it). */
  private insertDecl(d: NsDecl): void {
    this.topAdded.push(d);
    const text = Buffer.from(` ${d.prefix === null ? 'xmlns' : `xmlns:${d.prefix}`}="`, 'utf8');
    const at = this.topInsertAt;
    const saveAp = this.ap;
    // serialize at the end, then rotate it into place
    this.put(text, 0, text.length);
    const v = Buffer.from(d.href, 'utf8');
    this.putAttr(v, 0, v.length);
    this.putAscii('"');
    const len = this.ap - saveAp;
    if (at < saveAp) {
      const piece = Buffer.from(this.arena.subarray(saveAp, this.ap));
      this.arena.copyWithin(at + len, at, saveAp);
      piece.copy(this.arena, at);
      this.shiftOffsets(at, len);
    }
    this.topInsertAt = at + len;
  }

  /** Offsets into the arena at or after `at` move by `by` (an insertion). */
  private shiftOffsets(at: number, by: number): void {
    for (let i = 0; i < this.capN; i++) if (this.capOff[i]! >= at) this.capOff[i] = this.capOff[i]! + by;
    for (let i = 0; i < N_CAP; i++) {
      if (this.vs[i]! >= at) this.vs[i] = this.vs[i]! + by;
      if (this.ve[i]! >= at) this.ve[i] = this.ve[i]! + by;
    }
    for (let i = 0; i < this.nLoc; i++) {
      const l = this.locations[i]!;
      if (l.sourceFileS >= at) l.sourceFileS += by;
      if (l.sourceFileE >= at) l.sourceFileE += by;
      if (l.explanationS >= at) l.explanationS += by;
      if (l.explanationE >= at) l.explanationE += by;
    }
    for (let i = 0; i < this.nMethods; i++) {
      const m = this.methods[i]!;
      if (m.nameS >= at) m.nameS += by;
      if (m.nameE >= at) m.nameE += by;
    }
  }

  endTag(name: XmlName): void {
    const depth = this.depth--;
    if (this.nsActive) this.nsStack[depth] = null;
    if (this.skipId !== 0) {
      if (name.id === this.skipId) this.skipId = 0;
      return;
    }
    if (!this.inBug) return;
    const n = this.capN;
    if (n > 0 && this.capDepth[n - 1] === depth) {
      // Inner XML of this element: "" when it had no content (libxml2 writes <x/>).
      let s: number;
      let e: number;
      if (this.pending) {
        s = e = this.ap;
        this.pending = false;
        if (n > 1) this.putAscii('/>');
      } else {
        s = this.capOff[n - 1]! + 1;
        e = this.ap;
        if (n > 1) this.putEndTag(name);
      }
      this.capN = n - 1;
      if (n === 1) this.tok.wantText = false;
      this.setValue(this.capKind[n - 1]!, s, e);
      return;
    }
    if (n > 0) {
      if (this.pending) {
        this.putAscii('/>');
        this.pending = false;
      } else {
        this.putEndTag(name);
      }
    }
    if (name.id === El.BugInstance) {
      this.writeBug();
      this.inBug = false;
      this.capN = 0;
      this.pending = false;
      this.tok.wantText = false;
    }
  }

  private putEndTag(name: XmlName): void {
    this.putAscii('</');
    this.put(name.bytes, 0, name.bytes.length);
    this.putAscii('>');
  }

  // ---- the bug -------------------------------------------------------------------------------

  private newBug(): void {
    this.inBug = true;
    this.vs.fill(-1);
    this.ve.fill(-1);
    this.nCwe = 0;
    this.nMethods = 0;
    this.nLoc = 0;
    this.start = 0;
    this.end = 0;
    this.ap = 0;
    this.capN = 0;
    this.pending = false;
    // A bug with a huge message must not pin a huge arena for the rest of the run.
    if (this.arena.length > 1 << 20) this.arena = Buffer.allocUnsafe(1 << 14);
  }

  private lastLocation(what: string): Location | null {
    const loc = this.nLoc > 0 ? this.locations[this.nLoc - 1] : undefined;
    if (loc === undefined) {
      this.messages.push(`[WARN]: ${what} before any Location in BugInstance ${this.bugCount} ignored`);
      return null;
    }
    return loc;
  }

  private setValue(kind: number, s: number, e: number): void {
    const a = this.arena;
    switch (kind) {
      case Cap.Start: this.start = strtolBytes(a, s, e); return;
      case Cap.End: this.end = strtolBytes(a, s, e); return;
      case Cap.CweId: this.cweIds[this.nCwe++] = strtolBytes(a, s, e); return;
      case Cap.StartLine: { const l = this.lastLocation('StartLine'); if (l) l.startLine = strtolBytes(a, s, e); return; }
      case Cap.EndLine: { const l = this.lastLocation('EndLine'); if (l) l.endLine = strtolBytes(a, s, e); return; }
      case Cap.StartColumn: { const l = this.lastLocation('StartColumn'); if (l) l.startColumn = strtolBytes(a, s, e); return; }
      case Cap.EndColumn: { const l = this.lastLocation('EndColumn'); if (l) l.endColumn = strtolBytes(a, s, e); return; }
      default: break;
    }
    // String values: trimmed (C isspace).
    while (s < e && isCSpace(a[s]!)) s++;
    while (e > s && isCSpace(a[e - 1]!)) e--;
    switch (kind) {
      case Cap.Method: {
        const m = this.nMethods > 0 ? this.methods[this.nMethods - 1] : undefined;
        if (m) {
          m.nameS = s;
          m.nameE = e;
        }
        return;
      }
      case Cap.Explanation: { const l = this.lastLocation('Explanation'); if (l) { l.explanationS = s; l.explanationE = e; } return; }
      case Cap.SourceFile: { const l = this.lastLocation('SourceFile'); if (l) { l.sourceFileS = s; l.sourceFileE = e; } return; }
      default:
        this.vs[kind] = s;
        this.ve[kind] = e;
    }
  }

  private writeHeader(): void {
    if (this.headerWritten) this.fail('more than one AnalyzerReport start tag');
    this.headerWritten = true;
    const t = this.tok;
    const attrs = new Map<string, string>();
    for (let k = 0; k < t.attrCount; k++) attrs.set(t.attrName(k), t.attrValue(k));
    const m = this.meta;
    const xml = (k: string): string | null => attrs.get(k) ?? null;
    const values: Record<(typeof HEADER_ORDER)[number], string | null> = {
      uuid: null, tool_name: null, tool_version: null, assess_fw: null, assess_fw_version: null,
      assessment_start_ts: m ? m.startDate : null, assessment_end_ts: m ? m.endDate : null,
      report_generation_ts: m ? m.reportTime : null, build_fw: null, build_fw_version: null, build_root_dir: null,
      package_name: xml('package_name') ?? m?.packageName ?? null, package_root_dir: null,
      package_version: xml('package_version') ?? m?.packageVersion ?? null,
      platform_name: m ? m.platformName : null,
      platform_version: xml('platform_version') ?? m?.platformVersion ?? null, parser_fw: null, parser_fw_version: null,
    };
    values.tool_name = xml('tool_name') ?? m?.toolName ?? null;
    values.tool_version = xml('tool_version') ?? m?.toolVersion ?? null;
    for (const k of HEADER_XML_ONLY) values[k as keyof typeof values] = xml(k);
    const missing = (['tool_name', 'tool_version', 'uuid'] as const).filter((k) => values[k] === null);
    if (missing.length > 0) {
      this.messages.push(missing.map((k) => `Required Attribute: ${k} not found in Initial`).join(''));
      this.messages.push('[ERROR]: Checkstart failed');
    }
    const g = this.gen;
    g.mapOpen();
    g.quoted(K.AnalyzerReport);
    g.mapOpen();
    for (const k of HEADER_ORDER) {
      const v = values[k];
      if (v !== null) {
        g.string(k);
        g.string(v);
      }
    }
  }

  private kv(key: Uint8Array, kind: Cap): void {
    const s = this.vs[kind]!;
    if (s < 0) return;
    this.gen.quoted(key);
    this.gen.stringBytes(this.arena, s, this.ve[kind]!);
  }

  private writeBug(): void {
    const g = this.gen;
    const en = this.en;
    const a = this.arena;
    const from = g.pos;
    if (!this.bugsOpen) {
      g.quoted(K.BugInstances);
      g.arrayOpen();
      this.bugsOpen = true;
    }
    g.mapOpen();
    g.quoted(K.BugId);
    g.integer(++this.bugsWritten);
    if (en.buildId) this.kv(K.BuildId, Cap.BuildId);
    if (en.bugCode) this.kv(K.BugCode, Cap.BugCode);
    if (en.bugRank) this.kv(K.BugRank, Cap.BugRank);
    if (en.className) this.kv(K.ClassName, Cap.ClassName);
    if (en.bugSeverity) this.kv(K.BugSeverity, Cap.BugSeverity);
    if (en.bugGroup) this.kv(K.BugGroup, Cap.BugGroup);
    if (en.bugMessage) this.kv(K.BugMessage, Cap.BugMessage);
    if (en.resolutionSuggestion) this.kv(K.ResolutionSuggestion, Cap.ResolutionSuggestion);
    if (this.nCwe > 0 && en.cweIds) {
      g.quoted(K.CweIds);
      g.arrayOpen();
      for (let k = 0; k < this.nCwe; k++) g.integer(this.cweIds[k]!);
      g.arrayClose();
    }
    if (this.nMethods > 0 && en.methods) {
      g.quoted(K.Methods);
      g.arrayOpen();
      let id = 1;
      for (let k = 0; k < this.nMethods; k++) {
        const m = this.methods[k]!;
        g.mapOpen();
        g.quoted(K.name);
        g.stringBytes(a, m.nameS, m.nameE);
        g.quoted(K.primary);
        g.bool(m.primary);
        g.quoted(K.MethodId);
        g.integer(id++);
        g.mapClose();
      }
      g.arrayClose();
    }
    if (this.nLoc > 0 && en.locations) {
      g.quoted(K.BugLocations);
      g.arrayOpen();
      let id = 1;
      for (let k = 0; k < this.nLoc; k++) {
        const l = this.locations[k]!;
        g.mapOpen();
        if (l.startLine !== 0) { g.quoted(K.StartLine); g.integer(l.startLine); }
        if (l.endLine !== 0) { g.quoted(K.EndLine); g.integer(l.endLine); }
        if (l.startColumn !== 0) { g.quoted(K.StartColumn); g.integer(l.startColumn); }
        if (l.endColumn !== 0) { g.quoted(K.EndColumn); g.integer(l.endColumn); }
        if (l.sourceFileS >= 0) { g.quoted(K.SourceFile); g.stringBytes(a, l.sourceFileS, l.sourceFileE); }
        if (l.explanationS >= 0) { g.quoted(K.Explanation); g.stringBytes(a, l.explanationS, l.explanationE); }
        g.quoted(K.primary);
        g.bool(l.primary);
        g.quoted(K.LocationId);
        g.integer(id++);
        g.mapClose();
      }
      g.arrayClose();
    }
    const xs = this.vs[Cap.Xpath]!;
    if ((xs >= 0 || this.start !== 0 || this.end !== 0) && en.locations) {
      g.quoted(K.InstanceLocation);
      g.mapOpen();
      if (xs >= 0) { g.quoted(K.Xpath); g.stringBytes(a, xs, this.ve[Cap.Xpath]!); }
      if (this.start !== 0 || this.end !== 0) {
        g.quoted(K.LineNum);
        g.mapOpen();
        if (this.start !== 0) { g.quoted(K.Start); g.integer(this.start); }
        if (this.end !== 0) { g.quoted(K.End); g.integer(this.end); }
        g.mapClose();
      }
      g.mapClose();
    }
    g.mapClose();
    const bytes = g.pos - from;
    const code = this.summaryKey(this.codes, Cap.BugCode);
    const sum = this.summaryKey(code.groups, Cap.BugGroup);
    sum.count++;
    sum.size += bytes;
  }

  /**
   * The BugSummaries entry for this bug's value of `kind` in `table` (created on first use).
   * Looked up by the value's bytes (an absent element counts as the text "undefined", like the
   * legacy key), so the common case, a code or group seen before, allocates nothing.
   */
  private summaryKey(table: SummaryTable, kind: Cap): Summary {
    let a: Buffer = this.arena;
    let s = this.vs[kind]!;
    let e = this.ve[kind]!;
    if (s < 0) {
      a = UNDEFINED;
      s = 0;
      e = UNDEFINED.length;
    }
    const h = hashBytes(a, s, e);
    let bucket = table.index.get(h);
    if (bucket !== undefined) {
      for (const x of bucket) if (sameBytes(x.bytes, a, s, e)) return x;
    } else {
      bucket = [];
      table.index.set(h, bucket);
    }
    const bytes = new Uint8Array(a.subarray(s, e));
    const entry: Summary = { key: a.toString('utf8', s, e), bytes, count: 0, size: 0, groups: { list: [], index: new Map() } };
    bucket.push(entry);
    table.list.push(entry);
    return entry;
  }

  /** End of input: checks the document, writes summaries and the closing braces. */
  close(): ScarfConvertStats {
    try {
      this.tok.end();
    } catch (err) {
      this.rethrow(err);
    }
    if (!this.headerWritten) this.fail('no AnalyzerReport element');
    const g = this.gen;
    if (this.bugsOpen) g.arrayClose();
    if (this.codes.list.length > 0) {
      g.quoted(K.BugSummaries);
      g.mapOpen();
      for (const code of this.codes.list) {
        g.string(code.key);
        g.mapOpen();
        for (const group of code.groups.list) {
          g.string(group.key);
          g.mapOpen();
          g.quoted(K.count);
          g.integer(group.count);
          g.quoted(K.bytes);
          g.integer(group.size);
          g.mapClose();
        }
        g.mapClose();
      }
      g.mapClose();
    }
    g.mapClose();
    g.mapClose();
    this.flush();
    const counts = new Map<string, number>([['locations', this.locationCount]]);
    for (const [kind, name] of Object.entries(COUNTED)) counts.set(name, this.capCounts[Number(kind)] ?? 0);
    for (const name of this.dictionary) {
      if (this.enabled.has(name)) {
        this.messages.push(`[INFO] The number of ${name} found in SCARF XML result is ${counts.get(name) ?? 0}/${this.bugCount}.`);
      }
    }
    return { bugs: this.bugsWritten, messages: this.messages };
  }
}

/** Build a converter (async for compatibility with callers that awaited the lazy saxes import). */
export async function createScarfConverter(opts: ScarfConvertOptions): Promise<ScarfConverter> {
  return new ScarfConverter(opts);
}
