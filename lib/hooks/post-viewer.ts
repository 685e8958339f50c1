/**
 * PostViewer (legacy mirswamp/services perl/agents/vmu_PostViewer.pl): after the viewer machine stopped.
 * A viewer that never came up ends SHUTDOWN `Viewer did not start - status: <word>` (exit 1). Otherwise
 * STOPPING, (vm: output disk extracted), the database bundle out/codedx_viewerdb.tar.gz is copied to
 * `<projectsFolder>/<projectid>/V-Runs/<viewer_uuid>/codedx_viewerdb_<stamp>.tar.gz`, checksummed and
 * recorded with viewer_store.store_viewer, and the viewer ends SHUTDOWN `Viewer shutdown completed`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readBogFile } from '../bog/index.js';
import { copyOutOf, readInside } from '../files/sandbox.js';
import { viewerAdOptionsOf, viewerStatusAd, type ViewerAdOptions } from '../status/ads.js';
import { ViewerState, ViewerStatus, viewerDidNotStart, type ViewerStateValue } from '../status/catalogue.js';
import { sha512File, type HookContext } from './context.js';
import { platformOf } from './settings.js';
import { lastEventWord, viewerDbBundleName, viewerDidNotStartWord } from './viewer-inputs.js';
import { extractOutputDisk } from './vm.js';

export const VIEWER_DB_BUNDLE = 'codedx_viewerdb.tar.gz';
const UUID_LIKE = /^[0-9A-Za-z-]{1,64}$/;

export async function postViewer(ctx: HookContext): Promise<number> {
  const { args, log, paths, settings } = ctx;
  await ctx.stopMonitor();
  let bog: Record<string, string> = {};
  for (const f of [join(paths.scratch, `${args.execrunuid}.bog`), join(paths.inDir, `${args.execrunuid}.bog`)]) {
    try {
      bog = readBogFile(f);
      break;
    } catch {
      // try the next copy
    }
  }
  const options = viewerAdOptionsOf(bog);
  const publish = (state: ViewerStateValue, status: string, opts: ViewerAdOptions = options): Promise<void> =>
    ctx.publisher.publish(viewerStatusAd(args.execrunuid, state, status, opts)).catch((e: unknown) => log.error('advertise failed', { status, error: e }));

  // out/ is the job's: read inside the scratch dir only, at most archive_max_member_bytes
  const events = readInside(paths.scratch, paths.eventFile, settings.archiveBudget.maxMemberBytes)?.data.toString('latin1');
  const word = lastEventWord(events);
  if (viewerDidNotStartWord(word)) {
    const text = viewerDidNotStart(events === undefined ? undefined : (word ?? ''));
    log.error(text);
    await publish(ViewerState.Shutdown, text, {});
    return 1;
  }
  await publish(ViewerState.Stopping, ViewerStatus.StartingShutdown);
  let code = 0;
  if (platformOf(bog) === 'vm') {
    try {
      await ctx.checkTools(['guestfish']);
      await ctx.runTool(extractOutputDisk('out'), paths.scratch);
    } catch (e) {
      log.error('output disk extraction failed', { error: e });
      code = 1;
    }
  }
  const bundle = join(paths.outDir, VIEWER_DB_BUNDLE);
  let haveBundle = false;
  try {
    haveBundle = (await stat(bundle)).isFile();
  } catch {
    log.info('no viewer database bundle', { file: bundle });
  }
  if (haveBundle) {
    try {
      const projectId = bog.projectid ?? '';
      const viewerUuid = bog.viewer_uuid ?? '';
      if (!UUID_LIKE.test(projectId) || !UUID_LIKE.test(viewerUuid)) throw new Error(`BOG projectid/viewer_uuid not usable in a path: ${projectId} ${viewerUuid}`);
      const dir = join(settings.projectsFolder, projectId, 'V-Runs', viewerUuid);
      await mkdir(dir, { recursive: true });
      const dest = join(dir, viewerDbBundleName(ctx.now()));
      // a symlink out of the scratch dir, a FIFO or a device is refused (SandboxError)
      copyOutOf(paths.scratch, bundle, dest);
      const checksum = await sha512File(dest);
      const r = await ctx.db.storeViewer({
        viewerInstanceUuid: viewerUuid,
        viewerDbPath: dest,
        viewerDbChecksum: checksum,
        platformImage: bog.viewerplatform ?? null,
        viewerVersion: bog.viewerversion ?? null,
      });
      log.info('store_viewer', { result: r, path: dest });
      if (r !== 'SUCCESS') code = 1;
    } catch (e) {
      log.error('saving the viewer database failed', { error: e });
      code = 1;
    }
  }
  await publish(ViewerState.Shutdown, ViewerStatus.ShutdownCompleted);
  log.info(`PostViewer: ${args.execrunuid} Exit ${code}`);
  return code;
}
