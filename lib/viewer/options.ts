/**
 * launch_viewer's command line (legacy vmu_launchviewer.pl GetOptions, mirswamp/services perl/agents/vmu_launchviewer.pl) and the
 * dispatch on the viewer name. Pure: no I/O.
 *
 * The DB builds `--viewer_name 'CodeDX' --project '<uuid>' --viewer_db_path '…' --viewer_db_checksum '…'
 * --viewer_uuid '…' --user_uuid '…' [--package '…' --tool_name '…' --source_archive_path '…'
 * --package_type '…' --file_path '…' [--file_path '…']…]` (CodeDX/ThreadFix) or the Native option set.
 */
import { COMMON_OPTIONS, type OptionValues, type ProgramSpec } from '../cli/index.js';

export const LAUNCHVIEWER_SPEC = {
  name: 'launchviewer',
  description: 'launch a CodeDX viewer job (prints SUCCESS, then works detached), or turn results into a Native report file',
  options: [
    { name: 'viewer_name', type: 'string', description: 'CodeDX or Native (ThreadFix and other names: nothing printed, exit 1)' },
    { name: 'viewer_db_path', type: 'string', description: 'saved viewer database bundle restored into the viewer (CodeDX)' },
    { name: 'viewer_db_checksum', type: 'string', description: 'accepted and ignored, as in the legacy' },
    { name: 'viewer_uuid', type: 'string', description: 'viewer_instance uuid (CodeDX)' },
    { name: 'user_uuid', type: 'string', description: 'user uuid' },
    { name: 'project', type: 'string', description: 'project uuid (CodeDX)' },
    { name: 'indir', type: 'string', description: 'accepted and unused, as in the legacy' },
    { name: 'outdir', type: 'string', description: 'output directory (Native)' },
    { name: 'file_path', type: 'string', repeat: true, description: 'result file; repeatable' },
    { name: 'source_archive_path', type: 'string', description: 'package archive uploaded with the results (CodeDX)' },
    { name: 'package', type: 'string', dest: 'package_name', description: 'package name (CodeDX project name)' },
    { name: 'package_name', type: 'string', dest: 'package_name', description: 'same as --package' },
    { name: 'package_type', type: 'string', description: 'numeric package type id (3 = Java bytecode: no source archive upload)' },
    { name: 'package_version', type: 'string' },
    { name: 'tool_name', type: 'string' },
    { name: 'tool_version', type: 'string' },
    { name: 'platform_name', type: 'string' },
    { name: 'platform_version', type: 'string' },
    { name: 'start_date', type: 'string' },
    { name: 'end_date', type: 'string' },
    { name: 'results_type', type: 'string', description: 'results | warnings | errors (Native)' },
    { name: 'detached', type: 'negatable', description: 'CodeDX: work in a detached worker (default; --nodetached to stay)' },
    ...COMMON_OPTIONS,
  ],
} as const satisfies ProgramSpec;

export type LaunchViewerOptions = OptionValues<typeof LAUNCHVIEWER_SPEC>;

export type ViewerKind = 'native' | 'codedx' | 'unsupported';

/**
 * The legacy dispatch: `/Native/i` first, then `/CodeDX/i`; anything else (ThreadFix included) is not
 * supported: nothing printed, exit 1, so the DB's `sys_eval` gets NULL -> 'Error Launching Viewer'.
 */
export function viewerKind(name: string | undefined): ViewerKind {
  if (name === undefined) return 'unsupported';
  if (/Native/i.test(name)) return 'native';
  if (/CodeDX/i.test(name)) return 'codedx';
  return 'unsupported';
}

/** What the CodeDX worker needs from the command line, validated. */
export interface ViewerRequest {
  project: string;
  viewer: string;
  viewerUuid: string | undefined;
  userUuid: string | undefined;
  /** `--viewer_db_path`, unless absent, empty or the string `NULL` (legacy rule). */
  dbPath: string | undefined;
  packageName: string | undefined;
  packageType: string | undefined;
  sourceArchivePath: string | undefined;
  filePaths: string[];
}

/** Blank -> undefined (the DB passes only non-NULL values; an empty one means nothing too). */
function present(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

export function viewerRequest(o: LaunchViewerOptions, project: string, viewer: string): ViewerRequest {
  const db = present(o.viewer_db_path);
  return {
    project,
    viewer,
    viewerUuid: present(o.viewer_uuid),
    userUuid: present(o.user_uuid),
    dbPath: db === undefined || db === 'NULL' ? undefined : db,
    packageName: present(o.package_name),
    packageType: present(o.package_type),
    sourceArchivePath: present(o.source_archive_path),
    filePaths: (o.file_path ?? []).filter((f) => f !== ''),
  };
}
