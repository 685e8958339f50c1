/** Path checks shared by the Native transforms. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** A relative archive/config path that stays below its root: no absolute, no '..', no NUL. */
export function isSafeRelative(rel: string): boolean {
  if (rel === '' || rel.includes('\0') || rel.includes('\\')) return false;
  if (path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return false;
  return !rel.split('/').includes('..');
}

/** Resolve `rel` below `root`, or null if it would escape. */
export function resolveInside(root: string, rel: string): string | null {
  if (!isSafeRelative(rel)) return null;
  const full = path.resolve(root, rel);
  const r = path.resolve(root);
  return full === r || full.startsWith(r + path.sep) ? full : null;
}

/** True if no component of `full` between `root` (exclusive) and `full` is a symlink. */
export async function noSymlinkBetween(root: string, full: string): Promise<boolean> {
  const r = path.resolve(root);
  const parts = path.relative(r, full).split(path.sep).filter((p) => p !== '');
  let cur = r;
  for (const p of parts) {
    cur = path.join(cur, p);
    try {
      const st = await fsp.lstat(cur);
      if (st.isSymbolicLink()) return false;
    } catch {
      return true; // does not exist yet: nothing below it can be a link
    }
  }
  return true;
}

/** Values echoed into a one-line message: control characters replaced. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, '?');
}
