/**
 * Files handed to us by a job (its scratch dir: in/, out/) or a user (a result archive) are opened
 * so that a planted symlink cannot make a hook read, copy or overwrite something outside the
 * sandbox (`out/status.out -> <mariadb data>/mysql/global_priv.MAD` must not end up in the project's
 * results): the last component is opened with O_NOFOLLOW, and after the open the kernel's own name
 * for the descriptor (/proc/self/fd/N) must lie under the sandbox's real path, which catches a
 * symlinked directory on the way as well as any race between a check and the open. Only regular
 * files are accepted (a FIFO would block, a device would never end): O_NONBLOCK makes the open of a
 * FIFO return at once, and the fstat refuses it.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SwampError } from '../errors/index.js';

/** A path that would leave its sandbox, or that is not a regular file. */
export class SandboxError extends SwampError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('denied', message, details);
  }
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NOCTTY;

/** True if `p` equals `root` or lies below it (both absolute, normalised). */
export function isUnder(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `rel` relative to `root`: no absolute path, no `..` component, no NUL or backslash. */
export function relativeInside(root: string, rel: string): string | null {
  if (rel === '' || rel.includes('\0') || isAbsolute(rel)) return null;
  if (rel.split('/').includes('..')) return null;
  const full = resolve(root, rel);
  return isUnder(resolve(root), full) ? full : null;
}

/** The path the kernel has for an open descriptor (Linux /proc). */
function fdPath(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

export interface OpenedFile {
  fd: number;
  stat: Stats;
  /** The real path of the opened file. */
  path: string;
}

/**
 * Opens `rel` (or an absolute path) under `root` for reading: a regular file whose real path is under
 * the real path of `root`. Throws SandboxError when it is not; ENOENT etc. are thrown as they are.
 */
export function openInside(root: string, rel: string): OpenedFile {
  const realRoot = realpathSync(root);
  const full = isAbsolute(rel) ? (isUnder(resolve(root), resolve(rel)) ? resolve(rel) : null) : relativeInside(root, rel);
  if (full === null) throw new SandboxError(`${rel}: outside ${root}`, { root, path: rel });
  let fd: number;
  try {
    fd = openSync(full, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new SandboxError(`${full}: is a symbolic link`, { root, path: rel });
    throw e;
  }
  try {
    const real = fdPath(fd);
    if (!isUnder(realRoot, real)) throw new SandboxError(`${full}: resolves to ${real}, outside ${realRoot}`, { root, path: rel, real });
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SandboxError(`${full}: not a regular file`, { root, path: rel });
    return { fd, stat, path: real };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Opens a file for reading only if it is a regular file and not a symlink (no sandbox root). */
export function openRegularNoFollow(path: string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new SandboxError(`${path}: is a symbolic link`, { path });
    throw e;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new SandboxError(`${path}: not a regular file`, { path });
  }
  return { fd, stat, path };
}

export interface ReadResult {
  data: Buffer;
  /** The file was longer than the cap: `data` is its first `cap` bytes. */
  truncated: boolean;
  size: number;
}

/** Reads at most `cap` bytes of an open descriptor (from offset 0), without growing past it. */
export function readCapped(fd: number, size: number, cap: number): ReadResult {
  const want = Math.min(size, cap);
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buf, got, want - got, got);
    if (n === 0) break;
    got += n;
  }
  return { data: got === want ? buf : buf.subarray(0, got), truncated: size > cap, size };
}

/** A regular file under `root`, at most `cap` bytes of it; null when missing or refused. */
export function readInside(root: string, rel: string, cap: number): ReadResult | null {
  let f: OpenedFile;
  try {
    f = openInside(root, rel);
  } catch {
    return null;
  }
  try {
    return readCapped(f.fd, f.stat.size, cap);
  } finally {
    closeSync(f.fd);
  }
}

/**
 * Creates `dest` (which must not exist: O_EXCL, O_NOFOLLOW) with mode `mode`, runs `fill` on its
 * descriptor, and removes the file again if `fill` throws.
 */
export function createExclusive(dest: string, mode: number, fill: (fd: number) => void): void {
  const fd = openSync(dest, CREATE_FLAGS, mode);
  let ok = false;
  try {
    fill(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) {
      try {
        // the file we just created (O_EXCL), not something planted in its place
        unlinkSync(dest);
      } catch {
        /* already gone */
      }
    }
  }
}

/** Copies all bytes of an open descriptor to another one (64 KiB at a time). */
export function copyFd(from: number, to: number, limit = Number.MAX_SAFE_INTEGER): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  for (;;) {
    const n = readSync(from, buf, 0, buf.length, null);
    if (n === 0) return total;
    total += n;
    if (total > limit) throw new SandboxError(`file larger than ${limit} bytes`, { limit });
    let off = 0;
    while (off < n) off += writeSync(to, buf, off, n - off);
  }
}

/**
 * Copies the regular file `rel` under `root` to `dest` (created new, O_EXCL|O_NOFOLLOW; an existing
 * regular file at `dest` is replaced). Symlinks out of the sandbox, FIFOs and devices are refused
 * (SandboxError), a missing file throws ENOENT.
 */
export function copyOutOf(root: string, rel: string, dest: string, opts: { mode?: number; maxBytes?: number } = {}): number {
  const f = openInside(root, rel);
  try {
    replaceRegular(dest);
    let n = 0;
    createExclusive(dest, opts.mode ?? 0o644, (out) => {
      n = copyFd(f.fd, out, opts.maxBytes);
    });
    return n;
  } finally {
    closeSync(f.fd);
  }
}

/** Removes `p` if it is a regular file or a symlink (never follows it); leaves directories alone. */
export function replaceRegular(p: string): void {
  try {
    unlinkSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw e;
  }
}

/**
 * Writes `data` to `rel` under `root` (a directory of the job: out/versions.txt) without following a
 * symlink planted at that name or on the way: the directory is checked like a read, the name is
 * unlinked and created anew with O_EXCL|O_NOFOLLOW.
 */
export function writeInside(root: string, rel: string, data: Buffer | string, mode = 0o644): void {
  const full = relativeInside(root, rel);
  if (full === null) throw new SandboxError(`${rel}: outside ${root}`, { root, path: rel });
  const realRoot = realpathSync(root);
  const realDir = realpathSync(dirname(full));
  if (!isUnder(realRoot, realDir)) throw new SandboxError(`${dirname(full)}: resolves outside ${realRoot}`, { root, path: rel });
  const target = join(realDir, relative(dirname(full), full));
  replaceRegular(target);
  createExclusive(target, mode, (fd) => {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  });
}
