/**
 * Tar archives of the hooks with node-tar (no `tar` program, no shell), imported lazily:
 * - the submit bundle `<execrunid>_submitbundle.tar.gz` the launcher sends with the job (BOG + submit
 *   file): only plain top-level files are extracted, anything else is refused;
 * - `inputdisk.tar.gz` / `outputdisk.tar.gz`: gzip tars of in/ and out/ kept in the results folder
 *   (entries `in/...`, `out/...` as `tar -czf inputdisk.tar.gz in` made them; `lost+found` left out);
 * - the viewer's database bundle extraction into in/ (user data; path escapes refused).
 */
import { SwampError } from '../errors/index.js';

/** Names the submit bundle may contain: `<execrunid>.bog`, `<execrunid>.sub` and nothing that climbs. */
const BUNDLE_MEMBER = /^(?:\.\/)?[A-Za-z0-9][A-Za-z0-9._-]*\.(?:bog|sub)$/;

/** Extracts the submit bundle into `cwd`; returns the member names. */
export async function extractSubmitBundle(bundle: string, cwd: string): Promise<string[]> {
  const tar = await import('tar');
  const names: string[] = [];
  const refused: string[] = [];
  await tar.x({
    file: bundle,
    cwd,
    strict: true,
    preservePaths: false,
    // Ownership of the files is the job owner's, whatever the launcher's uid was.
    preserveOwner: false,
    filter: (path, entry) => {
      const type = 'type' in entry ? entry.type : undefined;
      const ok = BUNDLE_MEMBER.test(path) && (type === undefined || type === 'File' || type === 'OldFile');
      if (ok) names.push(path.replace(/^\.\//, ''));
      else refused.push(path);
      return ok;
    },
  });
  if (refused.length > 0) {
    throw new SwampError('external', `submit bundle ${bundle} has unexpected members: ${refused.slice(0, 5).join(', ')}`, { refused });
  }
  return names;
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
 * Extracts a user archive into `cwd` (`tar -C in -xzf <db_path>` of PreViewer, the results archives of
 * PostAssessment). node-tar refuses absolute paths and `..` components unless told otherwise; links that
 * point outside are not followed on extraction.
 */
export async function extractArchive(archive: string, cwd: string): Promise<void> {
  const tar = await import('tar');
  await tar.x({ file: archive, cwd, strict: false, preservePaths: false, preserveOwner: false });
}
