/**
 * Crash-safe file replacement: write a temporary file in the target's directory, fsync it, rename it
 * over the target, fsync the directory. After a crash the target holds either the old or the new
 * content, never a torn mix, and a completed rename survives power loss. This is what makes the
 * on-disk BOG queue durable (docs/launchassessment.md).
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the new file (masked by the umask). Default 0o644. */
  mode?: number;
  /**
   * The caller syncs the directory itself, once for many files (syncDirs), before anything depends
   * on them: the file is fsynced and renamed here, its directory is only added to this set. A batch
   * launch writes hundreds of files into one directory per step; one directory fsync per step
   * instead of one per file.
   */
  dirSync?: Set<string>;
}

/** fsync of every directory collected by writes with `dirSync` (then the set is emptied). */
export function syncDirs(dirs: Set<string>): void {
  for (const d of dirs) fsyncDir(d);
  dirs.clear();
}

let tmpCounter = 0;

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a directory (EINVAL/EISDIR/EBADF); the rename is still atomic.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF' && code !== 'ENOTSUP') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Atomically replaces `path` with `data`. Synchronous on purpose: a handful of small writes, and the
 * callers (short CLI runs, the detach step) must not interleave other work with a half-done queue entry.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let tmp = '';
  let fd = -1;
  // Unique name by pid + counter + random, made certain by O_EXCL (node:crypto would cost start-up time).
  for (let attempt = 0; fd < 0; attempt++) {
    // Dot-prefixed, so directory scans for "*.bog" never pick up a temp file.
    tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}.${Math.random().toString(36).slice(2, 10)}.tmp`);
    try {
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, opts.mode ?? 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw e;
    }
  }
  let renamed = false;
  try {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    renamed = true;
    if (opts.dirSync !== undefined) opts.dirSync.add(dir);
    else fsyncDir(dir);
  } catch (e) {
    if (!renamed) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
      try {
        unlinkSync(tmp);
      } catch {
        /* never created or already gone */
      }
    }
    throw e;
  }
}
