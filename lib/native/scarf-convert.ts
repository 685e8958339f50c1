/**
 * SCARF XML -> nativereport.json, streaming and pure (no I/O): text goes in with write(), JSON
 * comes out through the `emit` callback in pieces (header, one piece per BugInstance, summaries).
 * Reproduces the legacy C parser (libxml2 xmlTextReader + yajl) byte for byte on well-formed
 * input: see docs/native-viewer.md and the shared spec native-viewer.md §1.
 *
 * Memory: one BugInstance at a time plus the BugSummaries tally (one entry per distinct
 * (BugCode, BugGroup)), so resident memory does not grow with the number of bugs.
 */
import type { SaxesParser, SaxesTagPlain } from 'saxes';
import { YajlGen } from './json-gen.js';
import type { ScarfMetadata } from './metadata.js';
import { resolveToolAttributes } from './tool-list.js';
import type { ToolListShape } from './scarf-tool-list-data.js';

export interface ScarfConvertOptions {
  /** First word of the SWAMP tool name (selects the attribute list). */
  toolName: string;
  /** SCARFmetaData values, or null when the legacy metadata file would be missing. */
  metadata: ScarfMetadata | null;
  /** Receives the JSON text in order. */
  emit: (chunk: string) => void;
  toolList?: ToolListShape;
}

export interface ScarfConvertStats {
  bugs: number;
  /** Lines the legacy program prints/logs ([INFO] statistics, [ERROR] warnings). */
  messages: string[];
}

interface Location {
  primary: boolean;
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  sourceFile: string | null;
  explanation: string | null;
}

interface Method {
  primary: boolean;
  name: string;
}

interface Bug {
  buildId: string | null;
  bugCode: string | null;
  bugRank: string | null;
  className: string | null;
  bugSeverity: string | null;
  bugGroup: string | null;
  bugMessage: string | null;
  resolutionSuggestion: string | null;
  assessmentReportFile: string | null;
  cweIds: number[] | null;
  methods: Method[] | null;
  locations: Location[] | null;
  xpath: string | null;
  start: number;
  end: number;
}

function newBug(): Bug {
  return {
    buildId: null, bugCode: null, bugRank: null, className: null, bugSeverity: null, bugGroup: null,
    bugMessage: null, resolutionSuggestion: null, assessmentReportFile: null, cweIds: null, methods: null,
    locations: null, xpath: null, start: 0, end: 0,
  };
}

/** Element names whose inner XML is captured inside a BugInstance (value = what it sets). */
const enum Cap {
  Xpath, Start, End, CweId, Method, StartLine, EndLine, StartColumn, EndColumn, Explanation, SourceFile,
  AssessmentReportFile, BuildId, BugCode, BugRank, ClassName, BugSeverity, BugGroup, BugMessage, ResolutionSuggestion,
}

const CAPTURED: ReadonlyMap<string, Cap> = new Map([
  ['Xpath', Cap.Xpath], ['Start', Cap.Start], ['End', Cap.End], ['CweId', Cap.CweId], ['Method', Cap.Method],
  ['StartLine', Cap.StartLine], ['EndLine', Cap.EndLine], ['StartColumn', Cap.StartColumn], ['EndColumn', Cap.EndColumn],
  ['Explanation', Cap.Explanation], ['SourceFile', Cap.SourceFile], ['AssessmentReportFile', Cap.AssessmentReportFile],
  ['BuildId', Cap.BuildId], ['BugCode', Cap.BugCode], ['BugRank', Cap.BugRank], ['ClassName', Cap.ClassName],
  ['BugSeverity', Cap.BugSeverity], ['BugGroup', Cap.BugGroup], ['BugMessage', Cap.BugMessage],
  ['ResolutionSuggestion', Cap.ResolutionSuggestion],
]);

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

/** A flat copy of a string that shares no memory with the string it was sliced from. */
function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
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

/** libxml2 (2.9) text serialization inside inner XML: & < > escaped, CR as &#13;. */
const TEXT_ESC = /[&<>\r]/;
function escText(s: string): string {
  if (!TEXT_ESC.test(s)) return s;
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** libxml2 attribute value serialization. */
function escAttr(s: string): string {
  return s.replace(/[&<>"\n\r\t]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case '\n': return '&#10;';
      case '\r': return '&#13;';
      default: return '&#9;';
    }
  });
}

interface OpenCapture {
  kind: Cap;
  depth: number;
  /** Offset in the capture buffer right after `<Name attrs` of this element (-1: outermost). */
  offset: number;
}

const HEADER_XML_ONLY = new Set(['uuid', 'assess_fw', 'assess_fw_version', 'build_fw', 'build_fw_version',
  'build_root_dir', 'package_root_dir', 'parser_fw', 'parser_fw_version']);

const HEADER_ORDER = ['uuid', 'tool_name', 'tool_version', 'assess_fw', 'assess_fw_version', 'assessment_start_ts',
  'assessment_end_ts', 'report_generation_ts', 'build_fw', 'build_fw_version', 'build_root_dir', 'package_name',
  'package_root_dir', 'package_version', 'platform_name', 'platform_version', 'parser_fw', 'parser_fw_version'] as const;

export class ScarfConversionError extends Error {}

export class ScarfConverter {
  private readonly parser: SaxesParser<{ xmlns: false; position: false }>;
  private readonly gen = new YajlGen();
  private readonly emit: (chunk: string) => void;
  private readonly meta: ScarfMetadata | null;
  private readonly enabled: ReadonlySet<string>;
  private readonly dictionary: readonly string[];
  private readonly messages: string[] = [];
  private readonly xmlCounts = new Map<string, number>();
  private readonly summaries = new Map<string, Map<string, { count: number; bytes: number }>>();
  private readonly en: {
    buildId: boolean; bugCode: boolean; bugRank: boolean; className: boolean; bugSeverity: boolean; bugGroup: boolean;
    bugMessage: boolean; resolutionSuggestion: boolean; cweIds: boolean; methods: boolean; locations: boolean;
  };

  private error: Error | null = null;
  private depth = 0;
  private headerWritten = false;
  private bugsOpen = false;
  private bug: Bug | null = null;
  private bugCount = 0;
  private bugsWritten = 0;
  /** Skip everything until this element closes (Metric, BugSummary, MetricSummaries). */
  private skipName: string | null = null;
  private readonly captures: OpenCapture[] = [];
  private cap = '';
  /** The last start tag written into the capture buffer still lacks its `>`. */
  private pending = false;

  constructor(SaxesCtor: typeof SaxesParser, opts: ScarfConvertOptions) {
    this.emit = opts.emit;
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
    const p = new SaxesCtor({ xmlns: false, position: false });
    this.parser = p;
    p.on('error', (err) => {
      if (this.error === null) this.error = err;
    });
    p.on('opentag', (t) => this.onOpen(t));
    p.on('closetag', (t) => this.onClose(t));
    p.on('text', (t) => {
      if (this.captures.length > 0) this.append(escText(t));
    });
    p.on('cdata', (t) => {
      if (this.captures.length > 0) this.append('<![CDATA[' + t + ']]>');
    });
    p.on('comment', (t) => {
      if (this.captures.length > 0) this.append('<!--' + t + '-->');
    });
    p.on('processinginstruction', (pi) => {
      if (this.captures.length > 0) this.append('<?' + pi.target + (pi.body === '' ? '' : ' ' + pi.body) + '?>');
    });
  }

  private fail(msg: string): never {
    throw new ScarfConversionError(msg);
  }

  private append(s: string): void {
    if (this.pending) {
      this.cap += '>';
      this.pending = false;
    }
    this.cap += s;
  }

  private count(name: string): void {
    this.xmlCounts.set(name, (this.xmlCounts.get(name) ?? 0) + 1);
  }

  write(text: string): void {
    this.parser.write(text);
    if (this.error) this.fail(`XML parse error: ${this.error.message}`);
  }

  private onOpen(tag: SaxesTagPlain): void {
    this.depth++;
    if (this.skipName !== null) return;
    const name = tag.name;
    if (this.bug === null) {
      if (name === 'BugInstance') {
        if (!this.headerWritten) this.fail('BugInstance before the AnalyzerReport start tag');
        this.bug = newBug();
        this.bugCount++;
      } else if (name === 'AnalyzerReport') {
        this.writeHeader(tag.attributes);
      } else if (name === 'Metric' || name === 'BugSummary' || name === 'MetricSummaries') {
        if (!tag.isSelfClosing) this.skipName = name;
      }
      return;
    }
    // Inside a BugInstance.
    if (this.captures.length > 0) {
      this.append('<' + name);
      const attrs = tag.attributes;
      for (const k in attrs) this.cap += ' ' + k + '="' + escAttr(attrs[k] ?? '') + '"';
      this.pending = true;
    }
    const bug = this.bug;
    if (name === 'Location') {
      (bug.locations ??= []).push({
        primary: tag.attributes['primary'] === 'true', startLine: 0, endLine: 0, startColumn: 0, endColumn: 0,
        sourceFile: null, explanation: null,
      });
      this.count('locations');
      return;
    }
    const kind = CAPTURED.get(name);
    if (kind === undefined) return;
    if (kind === Cap.Method) {
      (bug.methods ??= []).push({ primary: tag.attributes['primary'] === 'true', name: '' });
    }
    const counted = COUNTED[kind];
    if (counted !== undefined) this.count(counted);
    if (this.captures.length === 0) {
      // Outermost capture: its own start tag is not in the buffer, the content starts at 0.
      this.cap = '';
      this.pending = false;
      this.captures.push({ kind, depth: this.depth, offset: -1 });
    } else {
      this.captures.push({ kind, depth: this.depth, offset: this.cap.length });
    }
  }

  private onClose(tag: SaxesTagPlain): void {
    const depth = this.depth--;
    if (this.skipName !== null) {
      if (tag.name === this.skipName) this.skipName = null;
      return;
    }
    const bug = this.bug;
    if (bug === null) return;
    const top = this.captures[this.captures.length - 1];
    if (top !== undefined && top.depth === depth) {
      // Inner XML of this element: "" when it had no content (libxml2 writes <x/>).
      let inner: string;
      if (this.pending) {
        inner = '';
        this.pending = false;
        if (this.captures.length > 1) this.cap += '/>';
      } else {
        inner = this.cap.slice(top.offset + 1);
        if (this.captures.length > 1) this.cap += '</' + tag.name + '>';
      }
      this.captures.pop();
      if (this.captures.length === 0) this.cap = '';
      this.setValue(bug, top.kind, inner);
      return;
    }
    if (this.captures.length > 0) {
      if (this.pending) {
        this.cap += '/>';
        this.pending = false;
      } else {
        this.cap += '</' + tag.name + '>';
      }
    }
    if (tag.name === 'BugInstance') {
      this.writeBug(bug);
      this.bug = null;
      this.captures.length = 0;
      this.cap = '';
      this.pending = false;
    }
  }

  private lastLocation(bug: Bug, what: string): Location | null {
    const locs = bug.locations;
    const loc = locs === null ? undefined : locs[locs.length - 1];
    if (loc === undefined) {
      this.messages.push(`[WARN]: ${what} before any Location in BugInstance ${this.bugCount} ignored`);
      return null;
    }
    return loc;
  }

  private setValue(bug: Bug, kind: Cap, inner: string): void {
    switch (kind) {
      case Cap.Xpath: bug.xpath = trimC(inner); break;
      case Cap.Start: bug.start = strtolInt(inner); break;
      case Cap.End: bug.end = strtolInt(inner); break;
      case Cap.CweId: (bug.cweIds ??= []).push(strtolInt(inner)); break;
      case Cap.Method: {
        const m = bug.methods?.[bug.methods.length - 1];
        if (m) m.name = trimC(inner);
        break;
      }
      case Cap.StartLine: { const l = this.lastLocation(bug, 'StartLine'); if (l) l.startLine = strtolInt(inner); break; }
      case Cap.EndLine: { const l = this.lastLocation(bug, 'EndLine'); if (l) l.endLine = strtolInt(inner); break; }
      case Cap.StartColumn: { const l = this.lastLocation(bug, 'StartColumn'); if (l) l.startColumn = strtolInt(inner); break; }
      case Cap.EndColumn: { const l = this.lastLocation(bug, 'EndColumn'); if (l) l.endColumn = strtolInt(inner); break; }
      case Cap.Explanation: { const l = this.lastLocation(bug, 'Explanation'); if (l) l.explanation = trimC(inner); break; }
      case Cap.SourceFile: { const l = this.lastLocation(bug, 'SourceFile'); if (l) l.sourceFile = trimC(inner); break; }
      case Cap.AssessmentReportFile: bug.assessmentReportFile = trimC(inner); break;
      case Cap.BuildId: bug.buildId = trimC(inner); break;
      case Cap.BugCode: bug.bugCode = trimC(inner); break;
      case Cap.BugRank: bug.bugRank = trimC(inner); break;
      case Cap.ClassName: bug.className = trimC(inner); break;
      case Cap.BugSeverity: bug.bugSeverity = trimC(inner); break;
      case Cap.BugGroup: bug.bugGroup = trimC(inner); break;
      case Cap.BugMessage: bug.bugMessage = trimC(inner); break;
      case Cap.ResolutionSuggestion: bug.resolutionSuggestion = trimC(inner); break;
    }
  }

  private writeHeader(attrs: Record<string, string>): void {
    if (this.headerWritten) this.fail('more than one AnalyzerReport start tag');
    this.headerWritten = true;
    const m = this.meta;
    const xml = (k: string): string | null => (Object.prototype.hasOwnProperty.call(attrs, k) ? (attrs[k] ?? '') : null);
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
    g.string('AnalyzerReport');
    g.mapOpen();
    for (const k of HEADER_ORDER) {
      const v = values[k];
      if (v !== null) g.kv(k, v);
    }
    this.emit(g.take());
  }

  private writeBug(bug: Bug): void {
    const g = this.gen;
    const en = this.en;
    if (!this.bugsOpen) {
      g.string('BugInstances');
      g.arrayOpen();
      this.bugsOpen = true;
    }
    g.mapOpen();
    g.string('BugId');
    g.integer(++this.bugsWritten);
    if (bug.buildId !== null && en.buildId) g.kv('BuildId', bug.buildId);
    if (bug.bugCode !== null && en.bugCode) g.kv('BugCode', bug.bugCode);
    if (bug.bugRank !== null && en.bugRank) g.kv('BugRank', bug.bugRank);
    if (bug.className !== null && en.className) g.kv('ClassName', bug.className);
    if (bug.bugSeverity !== null && en.bugSeverity) g.kv('BugSeverity', bug.bugSeverity);
    if (bug.bugGroup !== null && en.bugGroup) g.kv('BugGroup', bug.bugGroup);
    if (bug.bugMessage !== null && en.bugMessage) g.kv('BugMessage', bug.bugMessage);
    if (bug.resolutionSuggestion !== null && en.resolutionSuggestion) g.kv('ResolutionSuggestion', bug.resolutionSuggestion);
    if (bug.cweIds !== null && en.cweIds) {
      g.string('CweIds');
      g.arrayOpen();
      for (const id of bug.cweIds) g.integer(id);
      g.arrayClose();
    }
    if (bug.methods !== null && en.methods) {
      g.string('Methods');
      g.arrayOpen();
      let id = 1;
      for (const m of bug.methods) {
        g.mapOpen();
        g.kv('name', m.name);
        g.string('primary');
        g.bool(m.primary);
        g.string('MethodId');
        g.integer(id++);
        g.mapClose();
      }
      g.arrayClose();
    }
    if (bug.locations !== null && en.locations) {
      g.string('BugLocations');
      g.arrayOpen();
      let id = 1;
      for (const l of bug.locations) {
        g.mapOpen();
        if (l.startLine !== 0) { g.string('StartLine'); g.integer(l.startLine); }
        if (l.endLine !== 0) { g.string('EndLine'); g.integer(l.endLine); }
        if (l.startColumn !== 0) { g.string('StartColumn'); g.integer(l.startColumn); }
        if (l.endColumn !== 0) { g.string('EndColumn'); g.integer(l.endColumn); }
        if (l.sourceFile !== null) g.kv('SourceFile', l.sourceFile);
        if (l.explanation !== null) g.kv('Explanation', l.explanation);
        g.string('primary');
        g.bool(l.primary);
        g.string('LocationId');
        g.integer(id++);
        g.mapClose();
      }
      g.arrayClose();
    }
    if ((bug.xpath !== null || bug.start !== 0 || bug.end !== 0) && en.locations) {
      g.string('InstanceLocation');
      g.mapOpen();
      if (bug.xpath !== null) g.kv('Xpath', bug.xpath);
      if (bug.start !== 0 || bug.end !== 0) {
        g.string('LineNum');
        g.mapOpen();
        if (bug.start !== 0) { g.string('Start'); g.integer(bug.start); }
        if (bug.end !== 0) { g.string('End'); g.integer(bug.end); }
        g.mapClose();
      }
      g.mapClose();
    }
    g.mapClose();
    const fragment = g.take();
    this.emit(fragment);
    const bytes = Buffer.byteLength(fragment, 'utf8');
    const code = bug.bugCode ?? 'undefined';
    const group = bug.bugGroup ?? 'undefined';
    let groups = this.summaries.get(code);
    if (groups === undefined) {
      groups = new Map();
      // Keys are copied: a slice would keep its (large) parent string alive for the whole run.
      this.summaries.set(detach(code), groups);
    }
    const s = groups.get(group);
    if (s === undefined) groups.set(detach(group), { count: 1, bytes });
    else {
      s.count++;
      s.bytes += bytes;
    }
  }

  /** End of input: checks the document, writes summaries and the closing braces. */
  close(): ScarfConvertStats {
    this.parser.close();
    if (this.error) this.fail(`XML parse error: ${this.error.message}`);
    if (!this.headerWritten) this.fail('no AnalyzerReport element');
    const g = this.gen;
    if (this.bugsOpen) g.arrayClose();
    if (this.summaries.size > 0) {
      g.string('BugSummaries');
      g.mapOpen();
      for (const [code, groups] of this.summaries) {
        g.string(code);
        g.mapOpen();
        for (const [group, s] of groups) {
          g.string(group);
          g.mapOpen();
          g.string('count');
          g.integer(s.count);
          g.string('bytes');
          g.integer(s.bytes);
          g.mapClose();
        }
        g.mapClose();
      }
      g.mapClose();
    }
    g.mapClose();
    g.mapClose();
    this.emit(g.take());
    for (const name of this.dictionary) {
      if (this.enabled.has(name)) {
        this.messages.push(`[INFO] The number of ${name} found in SCARF XML result is ${this.xmlCounts.get(name) ?? 0}/${this.bugCount}.`);
      }
    }
    return { bugs: this.bugsWritten, messages: this.messages };
  }
}

/** Build a converter; saxes is loaded lazily (start-up time). */
export async function createScarfConverter(opts: ScarfConvertOptions): Promise<ScarfConverter> {
  const { SaxesParser } = await import('saxes');
  return new ScarfConverter(SaxesParser, opts);
}
