/**
 * The HTML branch of the Native viewer (legacy doNativeHTML): copy the zip into outdir and extract
 * it there with yauzl (instead of `unzip -DD -K`), then answer `index.html` if it is at the top
 * level. Entries that would land outside outdir (absolute, '..', backslashes), symlink entries and
 * writes through an existing symlink refuse the whole archive; every file is written under a
 * temporary name and renamed, so index.html never exists half-written. The archive has a budget
 * (lib/files/budget.ts): entry count and declared sizes are checked before anything is written, the
 * bytes actually inflated while writing; past it, everything extracted so far is removed again.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Entry } from 'yauzl';
import { BudgetMeter, DEFAULT_ARCHIVE_BUDGET, type ArchiveBudget } from '../files/budget.js';
import { tempPathFor } from './atomic.js';
import type { BranchResult } from './failed-report.js';
import { isSafeRelative, noSymlinkBetween, oneLine, resolveInside } from './safe-path.js';

export class ZipRefusedError extends Error {}

async function readable(p: string): Promise<boolean> {
  try {
    await fsp.access(p, 4);
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function unixMode(e: Entry): number | null {
  const madeBy = e.versionMadeBy >> 8;
  if (madeBy !== 3) return null; // not made on Unix: no mode bits
  return (e.externalFileAttributes >>> 16) & 0xffff;
}

/** Extract `zipPath` below `outdir`; returns the created paths. Throws ZipRefusedError on a hostile entry. */
export async function extractZipSafely(zipPath: string, outdir: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<string[]> {
  const yauzl = await import('yauzl');
  const root = await fsp.realpath(outdir);
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, strictFileNames: true, decodeStrings: true });
  const meter = new BudgetMeter(budget, zip.fileSize, `zip ${path.basename(zipPath)}`);
  const created: string[] = [];
  const madeDirs: string[] = [];
  let complete = false;
  try {
    // The central directory's count and sizes first: a bomb is refused before one byte is written.
    // (yauzl checks each entry's inflated size against the declared one while reading.)
    meter.declared(0, zip.entryCount);
    const entries: Entry[] = [];
    let declared = 0;
    for await (const e of zip.eachEntry()) {
      entries.push(e);
      meter.entry(e.fileName);
      declared += e.uncompressedSize;
    }
    meter.declared(declared, entries.length);
    // Pass 1: refuse the whole archive if any entry is unsafe (nothing written yet).
    for (const e of entries) {
      const name = e.fileName.replace(/\/+$/, '');
      if (name === '' && e.fileName !== '') continue;
      if (!isSafeRelative(name) || resolveInside(root, name) === null) throw new ZipRefusedError(`unsafe entry name: ${e.fileName}`);
      const mode = unixMode(e);
      if (mode !== null && (mode & S_IFMT) === S_IFLNK) throw new ZipRefusedError(`symlink entry: ${e.fileName}`);
      if (e.isEncrypted()) throw new ZipRefusedError(`encrypted entry: ${e.fileName}`);
    }
    // Pass 2: write.
    for (const e of entries) {
      const isDir = e.fileName.endsWith('/');
      const name = e.fileName.replace(/\/+$/, '');
      if (name === '') continue;
      const full = resolveInside(root, name) as string;
      if (!(await noSymlinkBetween(root, full))) throw new ZipRefusedError(`entry would be written through a symlink: ${e.fileName}`);
      const mode = unixMode(e);
      if (isDir) {
        const first = await fsp.mkdir(full, { recursive: true });
        if (first !== undefined) madeDirs.push(first);
        created.push(full);
        continue;
      }
      const first = await fsp.mkdir(path.dirname(full), { recursive: true });
      if (first !== undefined) madeDirs.push(first);
      const tmp = tempPathFor(full);
      try {
        const rs = await zip.openReadStreamPromise(e);
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            try {
              meter.process(chunk.length);
              meter.add(chunk.length);
              cb(null, chunk);
            } catch (err) {
              cb(err as Error);
            }
          },
        });
        // Permission bits only: no setuid/setgid/sticky (legacy unzip -K kept them).
        await pipeline(rs, counter, createWriteStream(tmp, { flags: 'wx', mode: mode === null ? 0o644 : (mode & 0o777) | 0o400 }));
        await fsp.rename(tmp, full);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
      created.push(full);
    }
    complete = true;
  } finally {
    zip.close();
    if (!complete) {
      // Leave nothing of a refused archive behind: the files written, then the directories made.
      for (const p of [...created].reverse()) await fsp.rm(p, { force: true, recursive: false }).catch(() => undefined);
      for (const d of [...madeDirs].reverse()) await fsp.rm(d, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return created;
}

export async function nativeHtml(filePath: string, outdir: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<BranchResult> {
  const messages: string[] = [];
  try {
    await fsp.mkdir(outdir, { recursive: true });
  } catch (err) {
    messages.push(`cannot create ${outdir}: ${(err as Error).message}`);
    return { code: 3, output: null, messages };
  }
  const base = path.basename(filePath);
  const copy = path.join(outdir, base);
  const index = path.join(outdir, 'index.html');
  if (!(await readable(copy)) || !(await readable(index))) {
    try {
      if (path.resolve(filePath) !== path.resolve(copy)) {
        const tmp = tempPathFor(copy);
        try {
          await fsp.copyFile(filePath, tmp);
          await fsp.rename(tmp, copy);
        } catch (err) {
          await fsp.rm(tmp, { force: true });
          throw err;
        }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return { code: 3, output: `ERROR Cannot copy ${oneLine(filePath)} to ${oneLine(outdir)} ${oneLine(String(code))}\n`, messages };
    }
    let created: string[];
    try {
      created = await extractZipSafely(copy, outdir, budget);
    } catch (err) {
      messages.push(`unzip ${copy} failed: ${(err as Error).message}`);
      return { code: 3, output: null, messages };
    }
    // chgrp -R --reference=<outdir>: give what we created the group of outdir.
    try {
      const gid = (await fsp.stat(outdir)).gid;
      for (const p of [copy, ...created]) {
        const st = await fsp.lstat(p);
        if (st.gid !== gid) await fsp.lchown(p, st.uid, gid);
      }
    } catch (err) {
      messages.push(`chgrp failed: ${(err as Error).message}`);
      return { code: 3, output: null, messages };
    }
  }
  if (await readable(index)) return { code: 0, output: 'index.html\n', messages };
  return { code: 3, output: null, messages };
}
