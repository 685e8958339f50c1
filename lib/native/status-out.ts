/**
 * status.out -> failedreport.json content (legacy vmu_AssessmentSupport.pm parse_statusOut and
 * FrameworkUtils.pm generateStatusOutJson). The parsing and report building are pure; the files of
 * the assessment output directory are reached through the injected `OutputAccess`.
 */

/** Perl \s on byte strings (5.18+): space, \t, \n, \v, \f, \r. */
const WS = '[ \\t\\n\\v\\f\\r]';
const TASK_LINE = new RegExp(
  `^${WS}*(PASS|FAIL|SKIP|NOTE):${WS}+([a-zA-Z0-9_-]+)(?:${WS}+\\(([^\\n]*)\\))?(?:${WS}+(-?\\d+\\.?\\d*))?(s|ms|ns)?${WS}*$`,
);
const DELIMITER = new RegExp(`^${WS}*-+${WS}*$`);
/** Perl s/\s+\d+\.?\d*(?:s|ms|ns)?\s*$//gms with ASCII \s and Perl's multi-line $. */
const DURATION = new RegExp(`${WS}+\\d+\\.?\\d*(?:s|ms|ns)?${WS}*(?=\\n|(?![\\s\\S]))`, 'g');
const TRIM = new RegExp(`^${WS}+|${WS}+$`, 'g');

export interface TaskRecord {
  task: string;
  status: 'PASS' | 'FAIL' | 'SKIP' | 'NOTE';
  short?: string;
  duration?: string;
  units?: string;
  long?: string;
}

export interface StatusOutMeta {
  tasks: string[];
  firstFailure?: string;
  weaknesses?: string;
  noFiles?: boolean;
  noBuild?: boolean;
  sourceFiles?: number;
  compilable?: number;
  retry?: boolean;
  /** undefined: no `all` task line; true/false from PASS: all / FAIL: all. */
  allPass?: boolean;
  passCount: number;
  failCount: number;
  skipCount: number;
  noteCount: number;
}

export interface StatusOut {
  status: Map<string, TaskRecord>;
  meta: StatusOutMeta;
  content: string;
}

export function perlTrim(s: string): string {
  return s.replace(TRIM, '');
}

/** Split file text into chomped lines like Perl's <$fh> + chomp. */
export function perlLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function parseStatusOut(text: string): StatusOut {
  const lines = perlLines(text);
  const status = new Map<string, TaskRecord>();
  const meta: StatusOutMeta = { tasks: [], passCount: 0, failCount: 0, skipCount: 0, noteCount: 0 };
  let inLong = false;
  let long: string | undefined;
  let longTask: string | undefined;
  for (const line of lines) {
    const m = TASK_LINE.exec(line);
    if (m) {
      const st = m[1] as TaskRecord['status'];
      const task = m[2] as string;
      const rec: TaskRecord = { task, status: st };
      if (m[3] !== undefined) rec.short = m[3];
      if (m[4] !== undefined) rec.duration = m[4];
      if (m[5] !== undefined) rec.units = m[5];
      status.set(task, rec);
      meta.tasks.push(task);
      if (st === 'PASS') {
        meta.passCount++;
        if (task === 'all') meta.allPass = true;
      } else if (st === 'FAIL') {
        meta.failCount++;
        if (!meta.firstFailure) meta.firstFailure = task;
        if (task === 'all') meta.allPass = false;
      } else if (st === 'SKIP') {
        meta.skipCount++;
        if (task === 'assess') meta.noFiles = true;
      } else {
        meta.noteCount++;
        if (task === 'retry') meta.retry = true;
      }
      const short = rec.short ?? '';
      if (task === 'parse-results') {
        const w = /weaknesses\s*:\s*(\d+)/.exec(short);
        if (w) meta.weaknesses = w[1];
      } else if (task === 'no-build-setup') {
        const nb = /source-files\s*:\s*(\d+)[\s\S]*compilable\s*:\s*(\d+)/.exec(short);
        if (nb) {
          meta.noBuild = true;
          meta.sourceFiles = Number(nb[1]);
          meta.compilable = Number(nb[2]);
        }
      }
      longTask = task;
    } else if (DELIMITER.test(line)) {
      if (!inLong) inLong = true;
      else {
        const key = longTask ?? '';
        let rec = status.get(key);
        if (rec === undefined) {
          // Perl autovivifies an entry for a long message before any task line.
          rec = { task: key, status: 'NOTE' };
          status.set(key, rec);
        }
        if (long !== undefined) rec.long = long;
        else delete rec.long;
        inLong = false;
        long = undefined;
      }
    } else {
      long = (long ?? '') + line + '\n';
    }
  }
  return { status, meta, content: perlTrim(lines.join('\n')) };
}

export function stripDurations(content: string): string {
  return content.replace(DURATION, '');
}

/** ConfigReader::Simple-like properties: `key value` or `key=value`, # comments, quotes removed. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^\s=]+)\s*(?:=\s*|\s+)(.*)$/.exec(line) ?? /^([^\s=]+)$/.exec(line);
    if (!m) continue;
    let v = (m[2] ?? '').trim();
    const q = /^(["'])([\s\S]*)\1$/.exec(v);
    if (q) v = q[2] ?? '';
    out.set(m[1] as string, v);
  }
  return out;
}

/** What generateStatusOutJson needs from the assessment's output directory (`out/`). */
export interface OutputAccess {
  /** A regular file directly addressed under out/ (relative path), or null if missing/unsafe. */
  readTop(rel: string): Promise<Buffer | null>;
  /** `tar -O -xzf out/<archive> <member>`: the member's bytes, or null. */
  readFromArchive(archiveRel: string, member: string): Promise<Buffer | null>;
}

export interface OutputFiles {
  /** Top-level keys -> file names (statusOut, buildAssessOut, runOut, ...). */
  files: Map<string, string>;
  buildConf?: Map<string, string>;
  resultsConf?: Map<string, string>;
  parsedResultsConf?: Map<string, string>;
}

const DEFAULT_OUTPUT_FILES: ReadonlyArray<[string, string]> = [
  ['buildAssessOut', 'build_assess.out'], ['buildConf', 'build.conf'], ['captureArchive', 'capture.tar.gz'],
  ['envSh', 'env.sh'], ['parsedResultsConf', 'parsed_results.conf'], ['resultsConf', 'results.conf'],
  ['runOut', 'run.out'], ['statusOut', 'status.out'],
];
const COMMON = ['buildConf', 'parsedResultsConf', 'resultsConf'] as const;

/** locate_output_files(out, 'output_files.conf'). */
export async function locateOutputFiles(io: OutputAccess): Promise<OutputFiles> {
  let files = new Map<string, string>();
  const conf = await io.readTop('output_files.conf');
  if (conf !== null) files = parseProperties(conf.toString('utf8'));
  if (files.size === 0) files = new Map(DEFAULT_OUTPUT_FILES);
  for (const [k, v] of [...files]) {
    if ((await io.readTop(v)) === null) files.delete(k);
  }
  const defaults = new Map(DEFAULT_OUTPUT_FILES);
  for (const k of COMMON) {
    const d = defaults.get(k) as string;
    if (!files.has(k) && (await io.readTop(d)) !== null) files.set(k, d);
  }
  const result: OutputFiles = { files };
  for (const k of COMMON) {
    const name = files.get(k);
    if (name === undefined) continue;
    const buf = await io.readTop(name);
    if (buf === null || buf.length === 0) continue;
    const props = parseProperties(buf.toString('utf8'));
    if (props.size > 0) result[k] = props;
  }
  return result;
}

export interface StatusEntry {
  name: string;
  content: string | null | { success: string[]; fail: string[] };
  collapsed: boolean;
  anchor?: string;
}

const ARCHIVE_KEYS = {
  buildConf: { archive: 'build-archive', dir: 'build-dir', altDir: 'build-root-dir' },
  resultsConf: { archive: 'results-archive', dir: 'results-dir', altDir: undefined },
  parsedResultsConf: { archive: 'parsed-results-archive', dir: 'parsed-results-dir', altDir: undefined },
} as const;
type ArchiveKey = keyof typeof ARCHIVE_KEYS;

const MAX_INITIAL_COLLAPSE_SIZE = 2048;

function decode(b: Buffer): string {
  return b.toString('utf8');
}

/** Perl truthiness of file content: "" and "0" are false. */
function perlTrue(b: Buffer | null): b is Buffer {
  return b !== null && b.length > 0 && !(b.length === 1 && b[0] === 0x30);
}

interface ErrorFile {
  name: string;
  content: string;
  bytes: number;
}

async function archiveFile(io: OutputAccess, of: OutputFiles, key: ArchiveKey, fileOrKey: string): Promise<ErrorFile | null> {
  const conf = of[key];
  if (conf === undefined) return null;
  const k = ARCHIVE_KEYS[key];
  const archive = conf.get(k.archive);
  let dir = conf.get(k.dir);
  if (!dir && k.altDir !== undefined) dir = conf.get(k.altDir);
  if (!archive || !dir) return null;
  const file = conf.get(fileOrKey) ?? fileOrKey;
  const member = catfile(dir, file);
  const buf = await io.readFromArchive(archive, member);
  if (!perlTrue(buf)) return null;
  return { name: member, content: decode(buf), bytes: buf.length };
}

/** File::Spec catfile: join with '/', collapsing duplicate slashes. */
function catfile(a: string, b: string): string {
  return `${a}/${b}`.replace(/\/{2,}/g, '/').replace(/^\.\//, '');
}

/** Direct-child element texts of selected elements (a tiny XML::Simple stand-in). */
async function collectRecords(xml: string, parentPath: string[], recordName: string): Promise<Record<string, string>[] | null> {
  const { SaxesParser } = await import('saxes');
  const p = new SaxesParser({ xmlns: false, position: false });
  const stack: string[] = [];
  const records: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  let field: string | null = null;
  let text = '';
  let failed = false;
  p.on('error', () => {
    failed = true;
  });
  p.on('opentag', (t) => {
    stack.push(t.name);
    const d = stack.length;
    if (cur === null && t.name === recordName && d === parentPath.length + 1 && parentPath.every((n, i) => i === 0 || stack[i] === n)) {
      cur = { ...t.attributes };
    } else if (cur !== null && d === parentPath.length + 2) {
      field = t.name;
      text = '';
    }
  });
  p.on('text', (t) => {
    if (field !== null) text += t;
  });
  p.on('cdata', (t) => {
    if (field !== null) text += t;
  });
  p.on('closetag', () => {
    const d = stack.length;
    stack.pop();
    if (cur !== null && field !== null && d === parentPath.length + 2) {
      cur[field] = text;
      field = null;
    } else if (cur !== null && d === parentPath.length + 1) {
      records.push(cur);
      cur = null;
    }
  });
  try {
    p.write(xml).close();
  } catch {
    return null;
  }
  return failed ? null : records;
}

async function addSourceFiles(io: OutputAccess, of: OutputFiles): Promise<{ success: string[]; fail: string[] } | null> {
  const bc = of.buildConf;
  const name = bc?.get('source-compiles') ?? bc?.get('no-build-failures') ?? 'source-compiles.xml';
  let xml: Buffer | null = await io.readTop(name);
  if (xml === null) {
    const c = await archiveFile(io, of, 'buildConf', name);
    if (c === null) return null;
    xml = Buffer.from(c.content, 'utf8');
  }
  const success: string[] = [];
  const fail: string[] = [];
  const recs = await collectRecords(decode(xml), ['*'], 'source-compile');
  for (const r of recs ?? []) {
    const exit = r['exit-code'];
    if (!exit || exit === '0') success.push(r['source-file'] ?? '');
    else fail.push(`${r['source-file'] ?? ''}\n${r['output'] ?? ''}`);
  }
  return { success, fail };
}

function perlNum(s: string): number {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : 0;
}

async function addAssessFiles(io: OutputAccess, of: OutputFiles): Promise<ErrorFile[]> {
  const rc = of.resultsConf;
  if (rc === undefined) return [];
  const summary = await archiveFile(io, of, 'resultsConf', rc.get('assessment-summary-file') ?? 'assessment_summary.xml');
  if (summary === null) return [];
  const recs = await collectRecords(summary.content, ['*', 'assessment-artifacts'], 'assessment');
  const out: ErrorFile[] = [];
  for (const a of recs ?? []) {
    const ok = a['execution-successful'];
    const exit = a['exit-code'];
    const failed = ok !== undefined ? !/true/i.test(ok) : exit !== undefined && perlNum(exit) !== 0;
    if (!failed) continue;
    for (const f of [a['stdout'], a['stderr']]) {
      if (f === undefined) continue;
      const c = await archiveFile(io, of, 'resultsConf', f);
      if (c) out.push(c);
    }
  }
  return out;
}

const ERROR_FILES: Readonly<Record<string, { key: ArchiveKey; stdout: string[]; stderr: string[] }>> = {
  build: { key: 'buildConf', stdout: ['build-stdout-file', 'build_stdout.out', 'build.out'], stderr: ['build-stderr-file', 'build_stderr.out', 'build.err'] },
  configure: {
    key: 'buildConf',
    stdout: ['config-stdout-file', 'config_stdout.out', 'configure_stdout.out', 'config.out'],
    stderr: ['config-stderr-file', 'config_stderr.out', 'configure_stderr.out'],
  },
  'flow-typed': { key: 'resultsConf', stdout: ['flow-typed_stdout1.out'], stderr: ['flow-typed_stderr1.out'] },
  'gem-install': { key: 'buildConf', stdout: ['gem_install.out'], stderr: ['gem_install.err'] },
  'gem-unpack': { key: 'buildConf', stdout: ['gem_unpack.out'], stderr: ['gem_unpack.err'] },
  'install-pip-dependencies': { key: 'buildConf', stdout: ['pip_install.out'], stderr: ['pip_install.err'] },
  'parse-results': { key: 'parsedResultsConf', stdout: ['resultparser-stdout-file'], stderr: ['resultparser-stderr-file'] },
  'read-gem-spec': { key: 'buildConf', stdout: [], stderr: ['gem-name-err.spec'] },
};

async function addErrorFiles(io: OutputAccess, of: OutputFiles, so: StatusOut): Promise<ErrorFile[]> {
  const first = so.meta.firstFailure;
  if (first === undefined) return [];
  if (first === 'assess') return addAssessFiles(io, of);
  const spec = Object.prototype.hasOwnProperty.call(ERROR_FILES, first) ? ERROR_FILES[first] : undefined;
  if (spec === undefined) return [];
  const out: ErrorFile[] = [];
  for (const candidates of [spec.stdout, spec.stderr]) {
    for (const c of candidates) {
      const f = await archiveFile(io, of, spec.key, c);
      if (f) {
        out.push(f);
        break;
      }
    }
  }
  return out;
}

const DO_NOT_COLLAPSE: Readonly<Record<'buildAssessOut' | 'runOut', ReadonlySet<string>>> = {
  buildAssessOut: new Set(['all', 'assess', 'build-archive', 'package-archive', 'install-os-dependencies']),
  runOut: new Set(['setup']),
};

function shouldCollapse(so: StatusOut, key: 'sourceFiles' | 'buildAssessOut' | 'runOut'): boolean {
  const m = so.meta;
  if (key === 'sourceFiles' && m.allPass && m.noBuild && (m.sourceFiles ?? 0) > (m.compilable ?? 0)) return false;
  if (m.firstFailure === undefined) return true;
  if (key !== 'sourceFiles' && DO_NOT_COLLAPSE[key].has(m.firstFailure)) return false;
  return true;
}

function headline(so: StatusOut): StatusEntry {
  const m = so.meta;
  let name: string;
  let content: string;
  let anchor: string;
  if (m.allPass) {
    if (m.noBuild && (m.sourceFiles ?? 0) > (m.compilable ?? 0)) {
      name = 'no-build-setup';
      content = `Source files: ${m.sourceFiles} > Compilable: ${m.compilable}`;
      anchor = 'task-warn-no-build-setup-pass';
    } else if (so.status.get('assess')?.status === 'SKIP' && m.noFiles) {
      name = 'assess';
      content = 'No files found to assess';
      anchor = 'task-warn-assess-skip';
    } else {
      name = 'Success';
      content = 'No warnings or errors found.';
      anchor = 'task-def-all';
    }
  } else if (m.firstFailure !== undefined) {
    name = m.firstFailure;
    const t = so.status.get(m.firstFailure);
    const s = t?.short;
    const l = t?.long;
    content = s !== undefined && l !== undefined ? `${s}\n${l}` : (s ?? l ?? 'Internal Error');
    anchor = `task-debug-${m.firstFailure}`;
  } else {
    name = 'all';
    content = 'Internal Error';
    anchor = 'task-debug-all';
  }
  return { name, content, collapsed: false, anchor };
}

async function versionsEntry(io: OutputAccess): Promise<StatusEntry[]> {
  const v = await io.readTop('versions.txt');
  return v === null ? [] : [{ name: 'Component Versions', content: decode(v), collapsed: false }];
}

/** generateStatusOutJson: the `status` list (without the header keys). */
export async function generateStatusList(io: OutputAccess): Promise<StatusEntry[]> {
  const of = await locateOutputFiles(io);
  const statusName = of.files.get('statusOut');
  const statusBuf = statusName === undefined ? null : await io.readTop(statusName);
  if (statusName === undefined || statusBuf === null) {
    return [
      {
        name: 'Status Not Found',
        content: 'Unable to determine the final status of the assessment.',
        collapsed: false,
        anchor: '#_missing-or-invalid-status-out-file',
      },
      ...(await versionsEntry(io)),
    ];
  }
  const so = parseStatusOut(decode(statusBuf));
  const list: StatusEntry[] = [headline(so)];
  list.push({ name: statusName, content: stripDurations(so.content), collapsed: false });
  if (so.meta.noBuild) {
    const sf = await addSourceFiles(io, of);
    if (sf) list.push({ name: 'Source Files', content: sf, collapsed: shouldCollapse(so, 'sourceFiles') });
  }
  const errorFiles = await addErrorFiles(io, of, so);
  for (const f of errorFiles) list.push({ name: f.name, content: f.content, collapsed: f.bytes >= MAX_INITIAL_COLLAPSE_SIZE });
  const bao = of.files.get('buildAssessOut');
  if (bao !== undefined) {
    const b = await io.readTop(bao);
    // Legacy: `_should_collapse(...) || $error_files`, i.e. the error-file list itself (truthy) or
    // null when not collapsible. We emit the boolean the web UI effectively saw (docs/native-viewer.md).
    const collapsed = shouldCollapse(so, 'buildAssessOut') || errorFiles.length > 0;
    list.push({ name: bao, content: b === null ? null : decode(b), collapsed });
  }
  const run = of.files.get('runOut');
  if (run !== undefined) {
    const b = await io.readTop(run);
    list.push({ name: run, content: b === null ? null : decode(b), collapsed: shouldCollapse(so, 'runOut') });
  }
  list.push(...(await versionsEntry(io)));
  return list;
}

export interface ReportHeader {
  assessment_start_ts: string | null;
  assessment_end_ts: string | null;
  report_generation_ts: string;
}

/** Compact JSON like Perl JSON::to_json (no trailing newline). */
export function serializeReport(status: StatusEntry[], header?: ReportHeader): string {
  return JSON.stringify(header ? { status, ...header } : { status });
}
