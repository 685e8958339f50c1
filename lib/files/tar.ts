/**
 * Reading user tar(.gz) archives within a budget (./budget.ts), synchronously: the archive is read
 * 64 KiB at a time and fed to node-tar's parser, whose entries are consumed by synchronous writes,
 * so memory stays at one chunk plus what the caller asked to hold, and reading stops at the first
 * entry past the budget instead of inflating the rest. Only regular files and directories are ever
 * written; links, devices and FIFOs are skipped (or refused), absolute and `..` names refused, and
 * files are created with O_EXCL|O_NOFOLLOW below directories we checked, so nothing is written
 * through a symlink. On any failure what was written is removed.
 */
import { closeSync, constants, fstatSync, futimesSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SwampError } from '../errors/index.js';
import { BudgetMeter, type ArchiveBudget } from './budget.js';
import { relativeInside } from './sandbox.js';

type TarModule = typeof import('tar');
let tarModule: TarModule | undefined;
/** node-tar, loaded once (start-up time matters for programs called through sys_eval). */
export async function loadTar(): Promise<TarModule> {
  tarModule ??= await import('tar');
  return tarModule;
}

export type EntryKind = 'file' | 'directory' | 'link' | 'other';

export interface TarEntryInfo {
  /** Name with leading `./` removed and trailing `/` removed. */
  path: string;
  kind: EntryKind;
  mode: number;
  size: number;
  mtime: Date | undefined;
}

/** What to do with an entry: a data sink (called per chunk, then with null at the end), skip, or stop reading. */
export type EntryAction = { data: (chunk: Buffer | null) => void } | 'skip' | 'stop';

export class ArchiveError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('external', message, details, options);
  }
}

function kindOf(type: string): EntryKind {
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') return 'file';
  if (type === 'Directory') return 'directory';
  if (type === 'SymbolicLink' || type === 'Link') return 'link';
  return 'other';
}

/** Size on disk of an archive given by path or descriptor (the ratio budget's base). */
function sizeOf(archive: string | number): number {
  return typeof archive === 'number' ? fstatSync(archive).size : statSync(archive).size;
}

export function normaliseName(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * Feeds the archive at `source` (a path, or an open descriptor positioned anywhere: it is read from
 * offset 0) through `onEntry`. Every entry counts against the meter's entries, every data byte
 * against its processed bytes; the sinks count what they keep (meter.add). Throws ArchiveBudgetError past the budget,
 * ArchiveError on a damaged archive, or what `onEntry`/a sink threw.
 */
export function walkTar(tar: TarModule, source: string | number, meter: BudgetMeter, onEntry: (e: TarEntryInfo) => EntryAction): void {
  const fd = typeof source === 'number' ? source : openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  let failure: unknown;
  let stopped = false;
  const parser = new tar.Parser({
    strict: true,
    // our meter decides; node-tar's own ratio check would be a second, unconfigured limit
    maxDecompressionRatio: Number.MAX_SAFE_INTEGER,
    onReadEntry: (entry) => {
      if (failure !== undefined || stopped) {
        entry.resume();
        return;
      }
      const count = (chunk: Buffer): boolean => {
        if (failure !== undefined) return false;
        try {
          meter.process(chunk.length);
          return true;
        } catch (e) {
          failure = e;
          return false;
        }
      };
      const info: TarEntryInfo = {
        path: normaliseName(entry.path),
        kind: kindOf(entry.type),
        mode: entry.mode ?? 0o644,
        size: entry.size ?? 0,
        mtime: entry.mtime,
      };
      let action: EntryAction;
      try {
        meter.entry(info.path);
        action = onEntry(info);
      } catch (e) {
        failure = e;
        entry.resume();
        return;
      }
      if (action === 'stop') {
        stopped = true;
        entry.resume();
        return;
      }
      if (action === 'skip') {
        entry.on('data', count);
        return;
      }
      const sink = action.data;
      entry.on('data', (chunk: Buffer) => {
        if (!count(chunk)) return;
        try {
          sink(chunk);
        } catch (e) {
          failure = e;
        }
      });
      entry.on('end', () => {
        if (failure !== undefined) return;
        try {
          sink(null);
        } catch (e) {
          failure = e;
        }
      });
    },
  });
  let closing = false;
  parser.on('error', (e: unknown) => {
    if (closing) return; // our own abort below
    failure ??= new ArchiveError(`damaged archive: ${(e as Error).message}`, {}, { cause: e });
  });
  // with strict: true node-tar reports a damaged archive as 'error'; warnings without strict are noise
  parser.on('warn', () => {});
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    let pos = 0;
    for (;;) {
      if (failure !== undefined || stopped) break;
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      // node-tar keeps references to what it is given: hand it a copy
      parser.write(Buffer.from(buf.subarray(0, n)));
    }
    if (failure === undefined && !stopped) parser.end();
    else {
      closing = true;
      parser.abort(new Error('stopped'));
    }
  } finally {
    if (typeof source !== 'number') closeSync(fd);
  }
  if (failure !== undefined) throw failure;
}

export interface ExtractOptions {
  budget: ArchiveBudget;
  /** What the meter's messages call the archive. */
  what?: string;
  /** Entries to keep (normalised name); others are skipped (still counted as entries). */
  filter?: (e: TarEntryInfo) => boolean;
  /** Links and special files: skipped silently (default) or refuse the archive. */
  links?: 'skip' | 'refuse';
  /** Files longer than this are cut at it (the rest is read but not written or counted). */
  truncateFilesAt?: number;
}

export interface ExtractResult {
  files: string[];
  directories: string[];
  /** Names of the files that were cut at truncateFilesAt. */
  truncated: string[];
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NOCTTY;

/**
 * Extracts regular files and directories of `archive` under `dest` (an existing directory) within the
 * budget. On failure everything it created is removed again and the error is thrown.
 */
export async function extractTar(archive: string | number, dest: string, o: ExtractOptions): Promise<ExtractResult> {
  const tar = await loadTar();
  const root = realpathSync(dest);
  const size = sizeOf(archive);
  const meter = new BudgetMeter(o.budget, size, o.what ?? `archive ${typeof archive === 'number' ? '' : archive}`.trim());
  const made: string[] = []; // files and directories we created, in order
  const result: ExtractResult = { files: [], directories: [], truncated: [] };
  const knownDirs = new Set<string>([root]);

  /** Creates the directories of `full` below root, refusing any existing non-directory (a symlink). */
  const ensureDirs = (full: string): void => {
    const rel = full.slice(root.length + 1).split('/');
    let cur = root;
    for (const part of rel) {
      cur = join(cur, part);
      if (knownDirs.has(cur)) continue;
      try {
        mkdirSync(cur, { mode: 0o755 });
        made.push(cur);
        result.directories.push(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (!lstatSync(cur).isDirectory()) throw new ArchiveError(`${cur} exists and is not a directory (a link?)`, { path: cur });
      }
      knownDirs.add(cur);
    }
  };

  try {
    walkTar(tar, archive, meter, (e) => {
      if (e.path === '' && e.kind === 'directory') return 'skip';
      if (e.kind === 'link' || e.kind === 'other') {
        if (o.links === 'refuse') throw new ArchiveError(`link or special file in the archive: ${e.path}`, { path: e.path });
        return 'skip';
      }
      if (o.filter !== undefined && !o.filter(e)) return 'skip';
      const full = relativeInside(root, e.path);
      if (full === null || full === root) throw new ArchiveError(`unsafe entry name: ${JSON.stringify(e.path)}`, { path: e.path });
      if (e.kind === 'directory') {
        ensureDirs(full);
        return 'skip';
      }
      ensureDirs(join(full, '..'));
      try {
        if (lstatSync(full).isDirectory()) throw new ArchiveError(`file entry over a directory: ${e.path}`, { path: e.path });
        unlinkSync(full); // a later entry of the same name wins, as with tar(1); a link is removed, never followed
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const fd = openSync(full, CREATE, (e.mode & 0o777) | 0o600);
      made.push(full);
      result.files.push(full);
      let written = 0;
      const cap = o.truncateFilesAt ?? Number.MAX_SAFE_INTEGER;
      return {
        data: (chunk) => {
          if (chunk === null) {
            try {
              if (e.mtime !== undefined) futimesSync(fd, e.mtime, e.mtime);
            } finally {
              closeSync(fd);
            }
            return;
          }
          if (written >= cap) return;
          const part = written + chunk.length > cap ? chunk.subarray(0, cap - written) : chunk;
          if (part.length < chunk.length) result.truncated.push(e.path);
          meter.add(part.length);
          let off = 0;
          while (off < part.length) off += writeSync(fd, part, off, part.length - off);
          written += part.length;
        },
      };
    });
  } catch (e) {
    for (const p of made.reverse()) {
      try {
        if (lstatSync(p).isDirectory()) rmdirSync(p);
        else unlinkSync(p);
      } catch {
        /* best effort: a directory still holding something not ours is left */
      }
    }
    throw e;
  }
  return result;
}

export interface MemberResult {
  data: Buffer;
  truncated: boolean;
}

/**
 * `tar -O -xf archive member`: the first regular-file entry named `member` (leading `./` ignored),
 * at most `cap` bytes of it (truncated: true when it was longer); null when absent. Reading stops as
 * soon as the member is complete.
 */
export async function readTarMember(archive: string | number, member: string, budget: ArchiveBudget, cap = budget.maxMemberBytes): Promise<MemberResult | null> {
  const tar = await loadTar();
  const size = sizeOf(archive);
  const want = normaliseName(member);
  const meter = new BudgetMeter(budget, size, `member ${want} of ${typeof archive === 'number' ? 'an archive' : archive}`);
  let found: MemberResult | null = null;
  let done = false;
  walkTar(tar, archive, meter, (e) => {
    if (done) return 'stop';
    if (e.kind !== 'file' || e.path !== want) return 'skip';
    const chunks: Buffer[] = [];
    let held = 0;
    let truncated = false;
    return {
      data: (chunk) => {
        if (chunk === null) {
          found = { data: Buffer.concat(chunks, held), truncated };
          done = true;
          return;
        }
        if (held >= cap) {
          truncated = true;
          return;
        }
        const part = held + chunk.length > cap ? chunk.subarray(0, cap - held) : chunk;
        if (part.length < chunk.length) truncated = true;
        meter.add(part.length);
        chunks.push(part);
        held += part.length;
      },
    };
  });
  return found;
}

/** Streams the member `member` of `archive` into `dest` (created new, O_EXCL); false when absent. */
export async function copyTarMember(archive: string | number, member: string, dest: string, budget: ArchiveBudget, mode = 0o644): Promise<boolean> {
  const tar = await loadTar();
  const size = sizeOf(archive);
  const want = normaliseName(member);
  const meter = new BudgetMeter(budget, size, `member ${want}`);
  let found = false;
  let fd: number | undefined;
  try {
    walkTar(tar, archive, meter, (e) => {
      if (found) return 'stop';
      if (e.kind !== 'file' || e.path !== want) return 'skip';
      found = true;
      try {
        unlinkSync(dest);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      fd = openSync(dest, CREATE, mode);
      const out = fd;
      return {
        data: (chunk) => {
          if (chunk === null) return;
          meter.add(chunk.length);
          let off = 0;
          while (off < chunk.length) off += writeSync(out, chunk, off, chunk.length - off);
        },
      };
    });
  } catch (e) {
    if (fd !== undefined) {
      closeSync(fd);
      fd = undefined;
      try {
        unlinkSync(dest);
      } catch {
        /* gone */
      }
    }
    throw e;
  }
  if (fd !== undefined) closeSync(fd);
  return found;
}
