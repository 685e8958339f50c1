/**
 * Output-contract helpers: a result is written under a temporary name in the target directory
 * and renamed into place only when complete, so a reader never sees a half-written file under the
 * success name. Temporary names start with '.' and are unique per process and call.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export function tempPathFor(finalPath: string): string {
  const dir = path.dirname(finalPath);
  return path.join(dir, `.${path.basename(finalPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Write `data` to finalPath atomically (temp file + rename). */
export async function writeFileAtomic(finalPath: string, data: string | Buffer): Promise<void> {
  const tmp = tempPathFor(finalPath);
  try {
    await fsp.writeFile(tmp, data, { flag: 'wx' });
    await fsp.rename(tmp, finalPath);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}
