/**
 * The facts of a launch_viewer request that carry authority, checked against the database by id
 * (docs/security.md): argv only repeats what the calling procedure read from its tables, so any value
 * that differs from the table was injected and the request is refused (ValidationError, exit 2).
 *
 * - Native: the result is the one named by `--outdir <destination><result uuid>`; `--file_path` must
 *   be that result's `file_path`.
 * - CodeDX: `--viewer_uuid` must be a viewer instance of `--project` for the CodeDX viewer version;
 *   `--viewer_db_path` that instance's saved database; every `--file_path` and the
 *   `--source_archive_path` must belong to a result of that project.
 */
import { ValidationError } from '../errors/index.js';
import type { Db } from '../db/index.js';
import type { LaunchViewerOptions } from './options.js';
import { nativeResultUuid } from './db-argv.js';

/** The viewer version uuids the calling procedure maps to its viewer names. */
export const VIEWER_VERSION_UUIDS: Readonly<Record<string, string>> = {
  CodeDX: '5d0fb63c-865a-11e3-88bb-001a4a81450b',
  ThreadFix: 'b0e931d7-bfb2-11e5-bf72-001a4a814413',
};

function refuse(message: string, details: Record<string, unknown>): never {
  throw new ValidationError(`${message} (refused: the database says otherwise)`, details);
}

export async function checkNativeAuthority(db: Db, o: LaunchViewerOptions): Promise<void> {
  const result = nativeResultUuid(o.outdir ?? '');
  const rows = await db.select<{ file_path: string | null }>('SELECT file_path FROM assessment.assessment_result WHERE assessment_result_uuid = ?', [result]);
  if (rows.length !== 1) refuse(`no assessment result ${JSON.stringify(result)}`, { result });
  const want = rows[0]?.file_path ?? null;
  const given = o.file_path?.[0];
  if (given !== undefined && given !== want) refuse(`--file_path is not the file of result ${result}`, { result, option: 'file_path' });
}

export async function checkCodeDxAuthority(db: Db, o: LaunchViewerOptions): Promise<void> {
  const rows = await db.select<{ project_uuid: string; viewer_version_uuid: string; viewer_db_path: string | null }>(
    'SELECT project_uuid, viewer_version_uuid, viewer_db_path FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?',
    [o.viewer_uuid ?? ''],
  );
  const inst = rows[0];
  if (inst === undefined) refuse(`no viewer instance ${JSON.stringify(o.viewer_uuid)}`, { option: 'viewer_uuid' });
  if (inst.project_uuid !== o.project) refuse('--project is not the project of the viewer instance', { option: 'project', viewerInstance: o.viewer_uuid });
  if (inst.viewer_version_uuid !== VIEWER_VERSION_UUIDS[o.viewer_name ?? '']) refuse('--viewer_name is not the viewer of the viewer instance', { option: 'viewer_name' });
  const dbPath = o.viewer_db_path === undefined || o.viewer_db_path === '' || o.viewer_db_path === 'NULL' ? null : o.viewer_db_path;
  if (dbPath !== null && dbPath !== inst.viewer_db_path) refuse('--viewer_db_path is not the saved database of the viewer instance', { option: 'viewer_db_path' });
  for (const f of o.file_path ?? []) {
    const n = await db.select('SELECT 1 FROM assessment.assessment_result WHERE file_path = ? AND project_uuid = ? LIMIT 1', [f, o.project ?? '']);
    if (n.length === 0) refuse('--file_path is not a result file of the project', { option: 'file_path' });
  }
  if (o.source_archive_path !== undefined && o.source_archive_path !== '') {
    const n = await db.select('SELECT 1 FROM assessment.assessment_result WHERE source_archive_path = ? AND project_uuid = ? LIMIT 1', [o.source_archive_path, o.project ?? '']);
    if (n.length === 0) refuse('--source_archive_path is not a package archive of a result of the project', { option: 'source_archive_path' });
  }
}
