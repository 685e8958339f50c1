/**
 * The status-report branch of the Native viewer (legacy doNativeStatusOut): assessment output
 * archive -> <outdir>/failedreport.json (+ <inputdir>/assessment-report.json). The archive's out/
 * tree is extracted within the archive budget (lib/files/tar.ts: regular files and directories only,
 * no links, no absolute or '..' paths, each file cut at maxMemberBytes) into a private temporary
 * directory inside outdir, read, and removed, whatever happens.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARCHIVE_BUDGET, type ArchiveBudget } from '../files/budget.js';
import { openInside, readInside, type OpenedFile } from '../files/sandbox.js';
import { extractTar, readTarMember } from '../files/tar.js';
import { writeFileAtomic } from './atomic.js';
import { ctime } from './metadata.js';
import { isSafeRelative, oneLine } from './safe-path.js';
import { generateStatusList, serializeReport, type OutputAccess } from './status-out.js';

export interface FailedReportOptions {
  resultsType: string;
  filePath: string;
  outdir: string;
  startDate: string | null;
  endDate: string | null;
  now?: Date;
  budget?: ArchiveBudget;
}

export type BranchResult = { code: number; output: string | null; messages: string[] };

async function isReadableFile(p: string): Promise<boolean> {
  try {
    const st = await fsp.stat(p);
    if (!st.isFile()) return false;
    await fsp.access(p, 4);
    return true;
  } catch {
    return false;
  }
}

/**
 * `tar -O -xzf archive member` within the budget: the member's first `budget.maxMemberBytes` bytes,
 * or null when it is absent or the archive is damaged or over budget (the report then shows what it
 * shows for a missing file, as the legacy did when tar failed).
 */
export async function readTarMemberBytes(archive: string | number, member: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<Buffer | null> {
  try {
    const m = await readTarMember(archive, member, budget);
    return m === null ? null : m.data;
  } catch {
    return null;
  }
}

/**
 * Extract only out/ (regular files and directories) of the archive below `dest`, within the budget;
 * files longer than maxMemberBytes are cut there (the report shows at most that much of each file,
 * and a 700 MB status.out is read through, not held).
 */
export async function extractOutTree(archive: string, dest: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<string[]> {
  const r = await extractTar(archive, dest, {
    budget,
    what: `archive ${path.basename(archive)}`,
    // entries outside out/ and unsafe names are skipped (tar(1) skipped them with a warning), not fatal
    filter: (e) => /^out(\/|$)/.test(e.path) && isSafeRelative(e.path),
    truncateFilesAt: budget.maxMemberBytes,
  });
  return r.truncated;
}

/**
 * The assessment's output directory as the report reads it: files directly under `outRoot` opened
 * inside it (no symlink out of it, regular files only, at most maxMemberBytes each), and members of
 * the archives found there.
 */
export function dirAccess(outRoot: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): OutputAccess {
  return {
    async readTop(rel) {
      if (!isSafeRelative(rel)) return null;
      return readInside(outRoot, rel, budget.maxMemberBytes)?.data ?? null;
    },
    async readFromArchive(archiveRel, member) {
      if (!isSafeRelative(archiveRel) || !isSafeRelative(member)) return null;
      let f: OpenedFile;
      try {
        f = openInside(outRoot, archiveRel);
      } catch {
        return null;
      }
      try {
        return await readTarMemberBytes(f.fd, member, budget);
      } finally {
        closeSync(f.fd);
      }
    },
  };
}

export async function nativeStatusReport(o: FailedReportOptions): Promise<BranchResult> {
  const messages: string[] = [];
  try {
    await fsp.mkdir(o.outdir, { recursive: true });
  } catch {
    return { code: 3, output: `ERROR - use_make_path failed for: ${oneLine(o.outdir)}\n`, messages };
  }
  // Legacy copies the given file into outdir (a failed copy only warns).
  try {
    await fsp.copyFile(o.filePath, path.join(o.outdir, path.basename(o.filePath)));
  } catch (err) {
    messages.push(`warning: cannot copy ${o.filePath} to ${o.outdir}: ${(err as Error).message}`);
  }
  const inputdir = path.dirname(o.filePath);
  let file = o.filePath;
  if (/warnings/i.test(o.resultsType)) file = path.join(inputdir, 'outputdisk.tar.gz');
  if (!(await isReadableFile(file))) return { code: 3, output: `ERROR - ${oneLine(file)} not found\n`, messages };
  if (!/.tar$|.tar.gz$/.test(file)) return { code: 3, output: `ERROR - ${oneLine(file)} is not a tar archive\n`, messages };

  const budget = o.budget ?? DEFAULT_ARCHIVE_BUDGET;
  const work = path.join(o.outdir, `.native-out.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    await fsp.mkdir(work, { mode: 0o700 });
    try {
      const cut = await extractOutTree(file, work, budget);
      if (cut.length > 0) messages.push(`files cut at ${budget.maxMemberBytes} bytes (archive_max_member_bytes): ${cut.join(', ')}`);
    } catch (err) {
      return {
        code: 3,
        output: `ERROR - tar xf ${oneLine(file)} -C ${oneLine(o.outdir)} failed - ${oneLine((err as Error).message)}\n`,
        messages,
      };
    }
    const status = await generateStatusList(dirAccess(path.join(work, 'out'), budget));
    try {
      await writeFileAtomic(path.join(inputdir, 'assessment-report.json'), serializeReport(status));
    } catch (err) {
      messages.push(`warning: cannot save ${path.join(inputdir, 'assessment-report.json')}: ${(err as Error).message}`);
    }
    const target = path.join(o.outdir, 'failedreport.json');
    const json = serializeReport(status, {
      assessment_start_ts: o.startDate,
      assessment_end_ts: o.endDate,
      report_generation_ts: ctime(o.now ?? new Date()),
    });
    try {
      await writeFileAtomic(target, json);
    } catch {
      return { code: 3, output: `Error - cannot save ${oneLine(target)}\n`, messages };
    }
    return { code: 0, output: 'failedreport.json\n', messages };
  } catch (err) {
    // Anything else (out of space, a report that cannot be built): a clear line, never a crash.
    return { code: 3, output: `ERROR - status report of ${oneLine(file)} failed - ${oneLine((err as Error).message)}\n`, messages };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
