/**
 * gzip tarballs of a directory for the machines (results archives, viewer database bundle).
 * node-tar is imported lazily: it is only needed at the end of a machine run, never by the entry
 * programs that share the bundle.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Files to put under `<top>/` in a new archive: name -> content. */
export type FileSet = Readonly<Record<string, string | Buffer>>;

/** Writes `files` under `<stageDir>/<top>/` and archives them as `<archive>` with entries `<top>/<name>`. */
export async function writeTarGz(archive: string, stageDir: string, top: string, files: FileSet): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const p = join(stageDir, top, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  await tarGzPaths(archive, stageDir, [top]);
}

/** `tar -C <cwd> -czf <archive> <paths…>` with node-tar (portable: no uid/gid/mtime noise). */
export async function tarGzPaths(archive: string, cwd: string, paths: string[], gzip = true): Promise<void> {
  const tar = await import('tar');
  await tar.create({ gzip, file: archive, cwd, portable: true }, paths);
}
