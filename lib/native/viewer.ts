/**
 * `launch_viewer --viewer_name Native ...`: the synchronous file transform that runs inside the
 * SQL sys_eval call (legacy vmu_launchviewer.pl doNative). For each --file_path:
 *   name ends in .zip (any case)        -> HTML: extract, answer `index.html`
 *   results_type ~ /results/i           -> SCARF: `nativereport.json`
 *   results_type ~ /errors|warnings/i   -> status report: `failedreport.json`
 *   otherwise                           -> code 3, nothing printed
 * The caller prints `output` verbatim (it is the DB's return value) and exits with `exitCode`.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ArchiveBudget } from '../files/budget.js';
import { nativeStatusReport, type BranchResult } from './failed-report.js';
import { nativeHtml } from './html-zip.js';
import { ctime, type ScarfMetadata } from './metadata.js';
import { convertScarfFile } from './scarf-file.js';
import type { ToolListShape } from './scarf-tool-list-data.js';
import { loadToolList } from './tool-list-file.js';

/** The launch_viewer options the Native path uses, named as on the command line. */
export interface NativeViewerOptions {
  results_type?: string | undefined;
  package_type?: string | undefined;
  /** --file_path, repeatable. */
  file_path?: string | readonly string[] | undefined;
  outdir?: string | undefined;
  package_name?: string | undefined;
  package_version?: string | undefined;
  tool_name?: string | undefined;
  tool_version?: string | undefined;
  platform_name?: string | undefined;
  platform_version?: string | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
  user_uuid?: string | undefined;
  /** Clock for report_generation_ts (tests). */
  now?: Date | undefined;
  /**
   * `<swampDir>/etc`: its Scarf_ToolList.json, when present, gives the SCARF attribute lists (else the
   * embedded copy). Undefined: the embedded copy.
   */
  etcDir?: string | undefined;
  /** Archive budget (swamp.conf archive_max_*); the defaults when absent. */
  budget?: ArchiveBudget | undefined;
}

export type NativeFileName = 'nativereport.json' | 'failedreport.json' | 'index.html';

export type NativeViewerResult =
  | {
      ok: true;
      fileName: NativeFileName;
      /** Exact stdout: `<fileName>\n` (one line per --file_path when several were given). */
      output: string;
      exitCode: 0;
      /** Diagnostics for the log file, never for stdout. */
      messages: string[];
    }
  | {
      ok: false;
      /** Exact stdout of the legacy on this failure: a line containing ERROR, or null for nothing. */
      output: string | null;
      exitCode: number;
      messages: string[];
    };

/** Control characters (newline included) in a path are refused outright. */
function badPath(p: string): boolean {
  return p === '' || /[\u0000-\u001f\u007f]/.test(p);
}

/** outdir must not climb with '..' (it is created); control characters are refused. */
function badOutdir(p: string): boolean {
  return badPath(p) || p.split('/').includes('..');
}

async function nativeScarf(file: string, outdir: string, o: NativeViewerOptions): Promise<BranchResult> {
  const messages: string[] = [];
  // Perl: (split ' ', $tool_name)[0]. An empty word made the C program fail on its argument count.
  const tool = (o.tool_name ?? '').trim().split(/\s+/)[0] ?? '';
  if (tool === '') {
    messages.push('no tool name: the legacy parser fails on its argument list');
    return { code: 2, output: null, messages };
  }
  let toolList: ToolListShape | undefined;
  if (o.etcDir !== undefined) {
    try {
      const t = loadToolList(o.etcDir);
      toolList = t.list;
      messages.push(`SCARF tool list: ${t.source}`);
    } catch (err) {
      // An installed list that cannot be used: a configuration error (exit 78), nothing printed.
      messages.push((err as Error).message);
      return { code: 78, output: null, messages };
    }
  }
  try {
    await fsp.mkdir(outdir, { recursive: true });
  } catch (err) {
    messages.push(`cannot create ${outdir}: ${(err as Error).message}`);
    return { code: 2, output: null, messages };
  }
  const metadata: ScarfMetadata = {
    packageName: o.package_name ?? '',
    toolName: tool,
    platformName: o.platform_name ?? '',
    startDate: o.start_date ?? '',
    packageVersion: o.package_version ?? '',
    toolVersion: o.tool_version ?? '',
    platformVersion: o.platform_version ?? '',
    endDate: o.end_date ?? '',
    reportTime: ctime(o.now ?? new Date()),
  };
  try {
    const stats = await convertScarfFile({
      inputPath: file,
      outputPath: path.join(outdir, 'nativereport.json'),
      toolName: tool,
      metadata,
      ...(toolList !== undefined ? { toolList } : {}),
    });
    messages.push(...stats.messages);
    return { code: 0, output: 'nativereport.json\n', messages };
  } catch (err) {
    messages.push(`SCARF transform of ${file} failed: ${(err as Error).message}`);
    return { code: 1, output: null, messages };
  }
}

export async function runNativeViewer(opts: NativeViewerOptions): Promise<NativeViewerResult> {
  const files = opts.file_path === undefined ? [] : typeof opts.file_path === 'string' ? [opts.file_path] : [...opts.file_path];
  const resultsType = opts.results_type ?? '';
  const outdir = opts.outdir ?? '';
  const messages: string[] = [];
  let output = '';
  let last: BranchResult | null = null;
  let lastName: NativeFileName | null = null;
  for (const file of files) {
    let r: BranchResult;
    let name: NativeFileName | null = null;
    if (badPath(file) || badOutdir(outdir)) {
      r = { code: 3, output: null, messages: [`refused file_path or outdir: ${JSON.stringify(file)} ${JSON.stringify(outdir)}`] };
    } else if (/\.zip$/i.test(file)) {
      name = 'index.html';
      r = await nativeHtml(file, outdir, opts.budget);
    } else if (/results/i.test(resultsType)) {
      name = 'nativereport.json';
      r = await nativeScarf(file, outdir, opts);
    } else if (/errors/i.test(resultsType) || /warnings/i.test(resultsType)) {
      name = 'failedreport.json';
      r = await nativeStatusReport({
        resultsType,
        filePath: file,
        outdir,
        startDate: opts.start_date ?? null,
        endDate: opts.end_date ?? null,
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.budget ? { budget: opts.budget } : {}),
      });
    } else {
      r = { code: 3, output: null, messages: [`unknown results_type ${JSON.stringify(resultsType)} for ${file}`] };
    }
    messages.push(...r.messages);
    if (r.output !== null) output += r.output;
    last = r;
    lastName = r.code === 0 ? name : null;
  }
  if (last === null) {
    messages.push('no --file_path given');
    return { ok: false, output: null, exitCode: 0, messages };
  }
  if (last.code === 0 && lastName !== null) return { ok: true, fileName: lastName, output, exitCode: 0, messages };
  return { ok: false, output: output === '' ? null : output, exitCode: last.code, messages };
}
