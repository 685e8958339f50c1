/**
 * The status-report branch of the Native viewer (legacy doNativeStatusOut): assessment output
 * archive -> <outdir>/failedreport.json (+ <inputdir>/assessment-report.json). The archive's out/
 * tree is extracted with node-tar into a private temporary directory inside outdir (regular files
 * and directories only: no links, no absolute or '..' paths), read, and removed.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { ctime } from './metadata.js';
import { isSafeRelative, oneLine, resolveInside } from './safe-path.js';
import { generateStatusList, serializeReport, type OutputAccess } from './status-out.js';

export interface FailedReportOptions {
  resultsType: string;
  filePath: string;
  outdir: string;
  startDate: string | null;
  endDate: string | null;
  now?: Date;
}

export type BranchResult = { code: number; output: string | null; messages: string[] };

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

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

/** `tar -O -xzf archive member`: the bytes of the first regular-file entry named `member`. */
export async function readTarMember(archive: string, member: string): Promise<Buffer | null> {
  const tar = await import('tar');
  const want = member.replace(/^(\.\/)+/, '');
  let found: Buffer | null = null;
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        const name = entry.path.replace(/^(\.\/)+/, '');
        if (found !== null || name !== want || !FILE_TYPES.has(entry.type)) return;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          found = Buffer.concat(chunks);
        });
      },
    });
  } catch {
    return null;
  }
  return found;
}

/** Extract only out/ (regular files and directories) of the archive below `dest`. */
export async function extractOutTree(archive: string, dest: string): Promise<void> {
  const tar = await import('tar');
  await tar.x({
    file: archive,
    cwd: dest,
    strict: true,
    preserveOwner: false,
    preservePaths: false,
    filter: (p, entry) => {
      const rel = p.replace(/^(\.\/)+/, '');
      if (!/^out(\/|$)/.test(rel) || !isSafeRelative(rel)) return false;
      const type = 'type' in entry ? entry.type : undefined;
      return type === undefined || FILE_TYPES.has(type) || type === 'Directory';
    },
  });
}

export function dirAccess(outRoot: string): OutputAccess {
  return {
    async readTop(rel) {
      const full = resolveInside(outRoot, rel);
      if (full === null) return null;
      try {
        const st = await fsp.lstat(full);
        if (!st.isFile()) return null;
        return await fsp.readFile(full);
      } catch {
        return null;
      }
    },
    async readFromArchive(archiveRel, member) {
      const full = resolveInside(outRoot, archiveRel);
      if (full === null || !isSafeRelative(member)) return null;
      try {
        if (!(await fsp.lstat(full)).isFile()) return null;
      } catch {
        return null;
      }
      return readTarMember(full, member);
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

  const work = path.join(o.outdir, `.native-out.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    await fsp.mkdir(work, { mode: 0o700 });
    try {
      await extractOutTree(file, work);
    } catch (err) {
      return {
        code: 3,
        output: `ERROR - tar xf ${oneLine(file)} -C ${oneLine(o.outdir)} failed - ${oneLine((err as Error).message)}\n`,
        messages,
      };
    }
    const status = await generateStatusList(dirAccess(path.join(work, 'out')));
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
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
