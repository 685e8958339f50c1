/**
 * Tar archives of the hooks with node-tar (no `tar` program, no shell), imported lazily:
 * - the submit bundle `<execrunid>_submitbundle.tar.gz` the launcher sends with the job (BOG + submit
 *   file): only plain top-level files are extracted, anything else is refused;
 * - `inputdisk.tar.gz` / `outputdisk.tar.gz`: gzip tars of in/ and out/ kept in the results folder
 *   (entries `in/...`, `out/...` as `tar -czf inputdisk.tar.gz in` made them; `lost+found` left out);
 * - the viewer's database bundle extraction into in/ (user data; path escapes refused).
 */
import { SwampError } from '../errors/index.js';
import { DEFAULT_ARCHIVE_BUDGET, type ArchiveBudget } from '../files/budget.js';
import { extractTar, type ExtractResult } from '../files/tar.js';

/** Names the submit bundle may contain: `<execrunid>.bog`, `<execrunid>.sub` and nothing that climbs. */
const BUNDLE_MEMBER = /^(?:\.\/)?[A-Za-z0-9][A-Za-z0-9._-]*\.(?:bog|sub)$/;

/**
 * Extracts the submit bundle into `cwd`; returns the member names. Anything but plain `<name>.bog` /
 * `<name>.sub` files refuses the whole bundle (nothing is left extracted).
 */
export async function extractSubmitBundle(bundle: string, cwd: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<string[]> {
  const refused: string[] = [];
  let r: ExtractResult;
  try {
    r = await extractTar(bundle, cwd, {
      budget,
      what: `submit bundle ${bundle}`,
      links: 'refuse',
      filter: (e) => {
        if (e.kind === 'file' && BUNDLE_MEMBER.test(e.path)) return true;
        refused.push(e.path);
        throw new SwampError('external', `submit bundle ${bundle} has unexpected members: ${e.path}`, { refused });
      },
    });
  } catch (e) {
    if (e instanceof SwampError) throw e;
    throw new SwampError('external', `submit bundle ${bundle}: ${(e as Error).message}`, {}, { cause: e });
  }
  return r.files.map((f) => f.slice(f.lastIndexOf('/') + 1));
}

/** `tar -czf <archive> <dir>` run in `cwd`, leaving out `lost+found` (an ext3 output disk has one). */
export async function tarDirectory(archive: string, cwd: string, dir: string): Promise<void> {
  const tar = await import('tar');
  await tar.c(
    {
      gzip: true,
      file: archive,
      cwd,
      portable: true,
      filter: (path) => !/(^|\/)lost\+found(\/|$)/.test(path),
    },
    [dir],
  );
}

/** Member names of a tar(.gz) archive (tests, the report). */
export async function listArchive(archive: string): Promise<string[]> {
  const tar = await import('tar');
  const names: string[] = [];
  await tar.t({ file: archive, onReadEntry: (e) => names.push(e.path) });
  return names;
}

/**
 * Extracts a user archive into `cwd` (`tar -C in -xzf <db_path>` of PreViewer) within the budget
 * (lib/files/tar.ts): regular files and directories only (links and special files skipped), no
 * absolute or `..` names, nothing written through a symlink; past the budget, or on a damaged
 * archive, what was extracted is removed again and the error thrown.
 */
export async function extractArchive(archive: string, cwd: string, budget: ArchiveBudget = DEFAULT_ARCHIVE_BUDGET): Promise<ExtractResult> {
  return extractTar(archive, cwd, { budget, what: `archive ${archive}` });
}
