/**
 * Re-zipping the package archive for Code Dx (legacy makezip: extract with tar/jar/gem/wheel into a
 * temp dir, then `zip ../<base>.zip -qr .`), without any external program and without extracting to
 * disk: tar entries are read with node-tar and written straight into a zip (zip.ts).
 *
 *   .tar .tar.gz .tgz   entries as they are (files and directories; links and specials skipped)
 *   .gem                the entries of its data.tar.gz (what `gem unpack` extracts)
 *   .jar .whl           already zip files: copied under the `.zip` name (what unpack + zip gave)
 *   anything else       not re-zipped: the caller uploads the original (legacy: "keep the original")
 *
 * Every archive is read within the archive budget (lib/files/budget.ts; a bomb is refused, the caller
 * then uploads the original as for a damaged archive).
 *
 * The zip goes into a directory the caller owns (a temp dir under the run dir, never the cwd, which
 * for a DB-started program is mysqld's datadir).
 */
import { statSync } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BudgetMeter, DEFAULT_ARCHIVE_BUDGET, type ArchiveBudget } from '../files/budget.js';
import { loadTar, walkTar } from '../files/tar.js';
import { ZipWriter } from './zip.js';

/** The archive kinds we can turn into a zip, and the `<base>` of `<base>.zip`. */
export function rezipKind(archive: string): { kind: 'tar' | 'gem' | 'zip-copy'; base: string } | undefined {
  const name = basename(archive);
  const m = /^(.+?)(\.tar\.gz|\.tgz|\.tar|\.gem|\.jar|\.whl)$/i.exec(name);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const ext = m[2].toLowerCase();
  const kind = ext === '.gem' ? 'gem' : ext === '.jar' || ext === '.whl' ? 'zip-copy' : 'tar';
  return { kind, base: m[1] };
}

/**
 * Reads a tar (gzip detected by node-tar) within the budget and adds its files and directories to the
 * zip, one entry at a time (an entry is held in memory while it is deflated; the budget bounds it).
 * `onMember`, when given, takes the entries instead (the gem's data.tar.gz).
 */
async function tarIntoZip(file: string, zip: ZipWriter, budget: ArchiveBudget, onMember?: (path: string, data: Buffer) => void): Promise<void> {
  const tar = await loadTar();
  const meter = new BudgetMeter(budget, statSync(file).size, `package archive ${basename(file)}`);
  walkTar(tar, file, meter, (e) => {
    // links, devices, pax headers: nothing to carry into a source zip
    if (e.kind !== 'file' && e.kind !== 'directory') return 'skip';
    const chunks: Buffer[] = [];
    return {
      data: (chunk) => {
        if (chunk !== null) {
          meter.add(chunk.length);
          chunks.push(chunk);
          return;
        }
        const data = Buffer.concat(chunks);
        const mtime = e.mtime ?? new Date();
        if (onMember !== undefined) onMember(e.path, data);
        else if (e.kind === 'directory') zip.addDirectory(e.path, { mode: e.mode ?? 0o755, mtime });
        else zip.addFile(e.path, data, { mode: e.mode ?? 0o644, mtime });
      },
    };
  });
}

/**
 * Writes `<dir>/<base>.zip` from the archive and returns its path, or undefined when the archive is not
 * of a kind we re-zip. Throws on a damaged archive or an unsafe entry name (the caller keeps the
 * original then); a partial zip is removed.
 */
export async function rezipArchive(archive: string, dir: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<string | undefined> {
  const k = rezipKind(archive);
  if (k === undefined) return undefined;
  const out = join(dir, `${k.base}.zip`);
  if (k.kind === 'zip-copy') {
    await copyFile(archive, out);
    return out;
  }
  const zip = new ZipWriter(out);
  try {
    if (k.kind === 'tar') {
      await tarIntoZip(archive, zip, budget);
    } else {
      let data: Buffer | undefined;
      await tarIntoZip(archive, zip, budget, (path, bytes) => {
        if (path === 'data.tar.gz') data = bytes;
      });
      if (data === undefined) throw new Error(`${archive}: no data.tar.gz in the gem`);
      // the inner archive goes through a file in the caller's directory, read like any other
      const inner = join(dir, `.${k.base}.data.tar.gz`);
      await writeFile(inner, data, { flag: 'wx', mode: 0o600 });
      try {
        await tarIntoZip(inner, zip, budget);
      } finally {
        await rm(inner, { force: true });
      }
    }
    zip.finish();
    return out;
  } catch (e) {
    zip.close();
    await rm(out, { force: true });
    throw e;
  }
}
