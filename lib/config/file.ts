/**
 * Reading a configured file safely (docs/security.md):
 *
 * - bounded: at most `maxBytes` are read, a larger file is refused (`/dev/zero` cannot grow us);
 * - never blocking: opened O_NONBLOCK | O_NOCTTY and refused unless fstat says regular file (a FIFO,
 *   a device, a directory are refused before any read); anything under /proc, /sys or /dev (after
 *   resolving symlinks) is refused too, because those "regular" files have no real size;
 * - trusted by owner and mode (`trusted: true`, like sshd's StrictModes): the file must be owned by
 *   root or by the account running us, and neither it nor its directory may be writable by group or
 *   others (a sticky directory such as /tmp is accepted: others cannot replace the file there).
 *
 * Every refusal is a ConfigError (exit 78) naming the file and the reason.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors/index.js';

/** swamp.conf is a few KiB; 1 MiB leaves room for comments and still refuses a runaway file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ReadConfiguredOptions {
  maxBytes?: number;
  /** Apply the owner/mode rules (swamp.conf and other files that carry authority). */
  trusted?: boolean;
  /** Accepted owners besides root; default: the effective uid of this process. */
  owners?: readonly number[];
  /** What the file is, for messages ("config file", "docker images file"). */
  what?: string;
}

const PSEUDO_FS = ['/proc/', '/sys/', '/dev/'];

function fail(what: string, path: string, why: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new ConfigError(`cannot use ${what} ${path}: ${why}`, { file: path, ...details }, cause === undefined ? undefined : { cause });
}

function errnoWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'too many symbolic links';
  return code ?? String(e);
}

/** The owner/mode rule for one file or directory; undefined when it holds, else the reason. */
export function ownershipProblem(st: Pick<Stats, 'uid' | 'mode'>, owners: readonly number[], isDir: boolean): string | undefined {
  if (st.uid !== 0 && !owners.includes(st.uid)) return `owned by uid ${st.uid}, not by root${owners.length ? ` or uid ${owners.join('/')}` : ''}`;
  const writable = st.mode & 0o022;
  if (writable !== 0 && !(isDir && (st.mode & 0o1000) !== 0)) {
    return `${isDir ? 'its directory is' : 'it is'} writable by ${writable & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return undefined;
}

/** Reads a configured file under the rules above; returns its text (UTF-8). */
export function readConfiguredFile(path: string, opts: ReadConfiguredOptions = {}): string {
  const what = opts.what ?? 'config file';
  const max = opts.maxBytes ?? MAX_CONFIG_BYTES;
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    fail(what, path, errnoWhy(e), { code: (e as NodeJS.ErrnoException).code }, e);
  }
  if (PSEUDO_FS.some((p) => real.startsWith(p))) fail(what, path, `${real} is not a regular file on a real file system`);
  let fd: number;
  try {
    // O_NOFOLLOW on the resolved path: a symlink swapped in after realpath is refused, not followed.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW);
  } catch (e) {
    fail(what, path, errnoWhy(e), { code: (e as NodeJS.ErrnoException).code }, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(what, path, st.isDirectory() ? 'is a directory' : 'is not a regular file (FIFO, device or socket)');
    if (st.size > max) fail(what, path, `larger than ${max} bytes (${st.size})`);
    if (opts.trusted) {
      const owners = opts.owners ?? (typeof process.geteuid === 'function' ? [process.geteuid()] : []);
      const bad = ownershipProblem(st, owners, false);
      if (bad !== undefined) fail(what, path, bad, { uid: st.uid, mode: st.mode & 0o7777 });
      const dir = dirname(real);
      const dst = statSync(dir);
      const badDir = ownershipProblem(dst, owners, true);
      if (badDir !== undefined) fail(what, path, `${badDir.replace(/^it is/, 'its directory is')} (${dir})`, { dir, uid: dst.uid, mode: dst.mode & 0o7777 });
    }
    // Read at most max + 1 bytes: a file that grew after fstat is still refused, never read whole.
    const buf = Buffer.alloc(Math.min(max + 1, Math.max(st.size + 1, 4096)));
    let len = 0;
    for (;;) {
      if (len === buf.length) break;
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    if (len > max) fail(what, path, `larger than ${max} bytes`);
    if (len === buf.length) fail(what, path, 'changed while it was read');
    return buf.subarray(0, len).toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    fail(what, path, errnoWhy(e), { code: (e as NodeJS.ErrnoException).code }, e);
  } finally {
    closeSync(fd);
  }
}
