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
 * The zip goes into a directory the caller owns (a temp dir under the run dir, never the cwd, which
 * for a DB-started program is mysqld's datadir).
 */
import { copyFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ReadEntry } from 'tar';
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

/** Reads a tar (gzip detected by node-tar) from a file or a buffer and adds its entries to the zip. */
async function tarIntoZip(source: { file: string } | { data: Buffer }, zip: ZipWriter, onMember?: (path: string, data: Buffer) => boolean): Promise<void> {
  const tar = await import('tar');
  const pending: Promise<void>[] = [];
  let failure: unknown;
  const onentry = (entry: ReadEntry): void => {
    const type = entry.type;
    if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile' && type !== 'Directory') {
      entry.resume(); // links, devices, pax headers: nothing to carry into a source zip
      return;
    }
    const chunks: Buffer[] = [];
    pending.push(
      new Promise<void>((resolve) => {
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          try {
            const data = Buffer.concat(chunks);
            if (onMember !== undefined && onMember(entry.path, data)) {
              // consumed by the caller (the gem's data.tar.gz)
            } else if (onMember === undefined) {
              if (type === 'Directory') zip.addDirectory(entry.path, { mode: entry.mode ?? 0o755, mtime: entry.mtime ?? new Date() });
              else zip.addFile(entry.path, data, { mode: entry.mode ?? 0o644, mtime: entry.mtime ?? new Date() });
            }
          } catch (e) {
            failure ??= e;
          }
          resolve();
        });
      }),
    );
  };
  if ('file' in source) {
    await tar.t({ file: source.file, strict: true, onReadEntry: onentry });
  } else {
    await new Promise<void>((resolve, reject) => {
      const p = new tar.Parser({ strict: true, onReadEntry: onentry });
      p.on('error', reject);
      p.on('end', () => resolve());
      p.end(source.data);
    });
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
}

/**
 * Writes `<dir>/<base>.zip` from the archive and returns its path, or undefined when the archive is not
 * of a kind we re-zip. Throws on a damaged archive or an unsafe entry name (the caller keeps the
 * original then); a partial zip is removed.
 */
export async function rezipArchive(archive: string, dir: string): Promise<string | undefined> {
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
      await tarIntoZip({ file: archive }, zip);
    } else {
      let data: Buffer | undefined;
      await tarIntoZip({ file: archive }, zip, (path, bytes) => {
        if (path === 'data.tar.gz') data = bytes;
        return true;
      });
      if (data === undefined) throw new Error(`${archive}: no data.tar.gz in the gem`);
      await tarIntoZip({ data }, zip);
    }
    zip.finish();
    return out;
  } catch (e) {
    zip.close();
    await rm(out, { force: true });
    throw e;
  }
}
