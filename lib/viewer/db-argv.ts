/**
 * launch_viewer's command line when the database calls it (docs/security.md): the legacy options the
 * procedures build, each at most once (`--file_path` may repeat for CodeDX), each value checked for
 * its shape. Pure: no I/O; the facts that carry authority (which result file, which project, which
 * viewer) are then checked against the database by ./authority.ts.
 */
import { checkDateTime, checkDigits, checkEnum, checkHex, checkPathUnder, checkText, checkUuid, type ProgramSpec } from '../cli/index.js';
import { UsageError } from '../errors/index.js';
import { LAUNCHVIEWER_SPEC, type LaunchViewerOptions } from './options.js';

/** Options the calling procedure sends (assessment.launch_viewer); no --config, --debug, --detached, --indir. */
const DB_OPTION_NAMES = new Set([
  'viewer_name', 'viewer_db_path', 'viewer_db_checksum', 'viewer_uuid', 'user_uuid', 'project', 'outdir', 'file_path',
  'source_archive_path', 'package', 'package_name', 'package_type', 'package_version', 'tool_name', 'tool_version',
  'platform_name', 'platform_version', 'start_date', 'end_date', 'results_type',
]);

export const LAUNCHVIEWER_DB_SPEC = {
  name: 'launch_viewer',
  options: LAUNCHVIEWER_SPEC.options.filter((o) => DB_OPTION_NAMES.has(o.name)),
} as const satisfies ProgramSpec;

export const DB_VIEWER_NAMES = ['Native', 'CodeDX', 'ThreadFix'] as const;
const RESULTS_TYPES = ['results', 'warnings', 'errors'] as const;

export interface ViewerRoots {
  /** Directories result files, package archives and viewer databases may be read from. */
  data: readonly string[];
  /** Directories a Native report may be written below (`--outdir`). */
  outgoing: readonly string[];
}

/** Checks every value's shape; throws a ValidationError/UsageError (exit 2) for the first bad one. */
export function checkDatabaseViewerArgv(o: LaunchViewerOptions, roots: ViewerRoots): void {
  if (o.viewer_name === undefined) throw new UsageError('--viewer_name is required from the database');
  const viewer = checkEnum('viewer_name', o.viewer_name, DB_VIEWER_NAMES);
  const text: (keyof LaunchViewerOptions)[] = ['package_name', 'package_version', 'tool_name', 'tool_version', 'platform_name', 'platform_version'];
  for (const k of text) {
    const v = o[k];
    if (typeof v === 'string') checkText(k, v);
  }
  if (o.user_uuid !== undefined) checkUuid('user_uuid', o.user_uuid);
  if (o.package_type !== undefined && o.package_type !== '') checkDigits('package_type', o.package_type);
  if (o.start_date !== undefined) checkDateTime('start_date', o.start_date);
  if (o.end_date !== undefined) checkDateTime('end_date', o.end_date);
  for (const f of o.file_path ?? []) checkPathUnder('file_path', f, roots.data);
  if (o.source_archive_path !== undefined && o.source_archive_path !== '') checkPathUnder('source_archive_path', o.source_archive_path, roots.data);
  if (viewer === 'Native') {
    for (const k of ['project', 'viewer_uuid', 'viewer_db_path', 'viewer_db_checksum', 'source_archive_path'] as const) {
      if (o[k] !== undefined) throw new UsageError(`--${k} is not part of a Native request`, { option: k });
    }
    if ((o.file_path ?? []).length > 1) throw new UsageError('a Native request names one --file_path', { option: 'file_path' });
    if (o.results_type !== undefined) checkEnum('results_type', o.results_type.toLowerCase(), RESULTS_TYPES);
    if (o.outdir === undefined) throw new UsageError('a Native request needs --outdir', { option: 'outdir' });
    checkPathUnder('outdir', o.outdir, roots.outgoing);
    checkUuid('outdir', nativeResultUuid(o.outdir));
    return;
  }
  for (const k of ['outdir', 'results_type', 'start_date', 'end_date', 'package_version', 'tool_version', 'platform_name', 'platform_version'] as const) {
    if (o[k] !== undefined) throw new UsageError(`--${k} is not part of a ${viewer} request`, { option: k });
  }
  if (o.project === undefined) throw new UsageError(`${viewer} needs --project <project uuid>`, { option: 'project' });
  checkUuid('project', o.project);
  if (o.viewer_uuid === undefined) throw new UsageError(`${viewer} needs --viewer_uuid <viewer instance uuid>`, { option: 'viewer_uuid' });
  checkUuid('viewer_uuid', o.viewer_uuid);
  if (o.viewer_db_path !== undefined && o.viewer_db_path !== '' && o.viewer_db_path !== 'NULL') checkPathUnder('viewer_db_path', o.viewer_db_path, roots.data);
  if (o.viewer_db_checksum !== undefined) checkHex('viewer_db_checksum', o.viewer_db_checksum);
}

/** The procedure builds `--outdir <destination><result uuid>`: the result is the last component. */
export function nativeResultUuid(outdir: string): string {
  return outdir.replace(/\/+$/, '').split('/').pop() ?? '';
}
