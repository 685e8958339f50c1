/**
 * PreViewer (legacy mirswamp/services perl/agents/vmu_PreViewer.pl): prepares a CodeDX viewer job in its
 * scratch dir: in/ and out/, the BOG from the submit bundle (re-saved with vmhostname, viewerversion,
 * viewerplatform and copied into in/), the CodeDX files for non-baked images, the user's saved viewer
 * database, run-params.sh, the vm disks, the LAUNCHING ad, and monitorjob.
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBogFile, writeBogFile } from '../bog/index.js';
import { viewerAdOptionsOf, viewerStatusAd, type ViewerAdOptions } from '../status/ads.js';
import { ViewerState, ViewerStatus, type ViewerStateValue } from '../status/catalogue.js';
import { extractArchive, extractSubmitBundle } from './archive.js';
import { makeJobIoDirs, type HookContext } from './context.js';
import { platformOf, type PlatformKind } from './settings.js';
import { CODEDX_FILES, codedxVersion, runParamsSh, runParamsShPath } from './viewer-inputs.js';
import { VM_TOOLS, makeInputDisk, makeOutputDisk, qemuImgDelta } from './vm.js';

/** `codedx-<version>.war` from WEB-INF/classes/version.properties inside codedx.war (a zip), else `unknown`. */
export async function readViewerVersion(war: string): Promise<string> {
  try {
    const yauzl = await import('yauzl');
    const zip = await yauzl.openPromise(war, { lazyEntries: true, autoClose: false });
    try {
      for await (const entry of zip.eachEntry()) {
        if (entry.fileName !== 'WEB-INF/classes/version.properties') continue;
        let text = '';
        for await (const chunk of await zip.openReadStreamPromise(entry)) text += (chunk as Buffer).toString('utf8');
        return codedxVersion(text) ?? 'unknown';
      }
    } finally {
      zip.close();
    }
  } catch {
    // no war (local machine, baked image): unknown, as the legacy
  }
  return 'unknown';
}

export async function preViewer(ctx: HookContext): Promise<number> {
  const { args, log, paths, settings } = ctx;
  let options: ViewerAdOptions = {};
  const publish = (state: ViewerStateValue, status: string): Promise<void> =>
    ctx.publisher.publish(viewerStatusAd(args.execrunuid, state, status, options)).catch((e: unknown) => log.error('advertise failed', { status, error: e }));

  let bog: Record<string, string>;
  let platform: PlatformKind;
  try {
    await makeJobIoDirs(paths);
    await extractSubmitBundle(join(paths.scratch, `${args.execrunuid}_submitbundle.tar.gz`), paths.scratch);
    bog = readBogFile(join(paths.scratch, `${args.execrunuid}.bog`));
    bog.vmhostname = args.vmhostname;
    options = viewerAdOptionsOf(bog);
    platform = platformOf(bog);
    const codedx = join(settings.thirdpartyDir, 'codedx');
    if (bog.use_baked_viewer !== '1') {
      for (const f of CODEDX_FILES) {
        const src = f === 'codedx.war' ? join(codedx, 'vendor', f) : join(codedx, 'swamp', f);
        try {
          await copyFile(src, join(paths.inDir, f));
        } catch (e) {
          if (platform !== 'local') throw new Error(`CodeDX file ${src} not found`, { cause: e });
          log.warn('CodeDX file not found; the local viewer machine does not need it', { file: src });
        }
      }
      // the Code Dx admin key: the job owner's only (mode applies if the file is new; set it either way)
      const props = join(paths.inDir, 'codedx.props');
      await writeFile(props, `swa.admin.system-key=${(bog.apikey ?? '').replace(/[\r\n]+/g, '')}\n`, { flag: 'a', mode: 0o600 });
      await chmod(props, 0o600);
    }
    if (bog.db_path) {
      try {
        await extractArchive(bog.db_path, paths.inDir, settings.archiveBudget);
      } catch (e) {
        // The viewer starts with an empty database rather than not at all (legacy: only logged).
        log.error('restoring the saved viewer database failed', { db_path: bog.db_path, error: e });
      }
    }
    await writeFile(
      runParamsShPath(platform, paths.scratch),
      runParamsSh({
        platform,
        scratch: paths.scratch,
        urluuid: bog.urluuid ?? '',
        apikey: bog.apikey ?? '',
        viewer: bog.viewer ?? '',
        timeout: settings.viewerTimeout,
      }),
      // APIKEY: the job owner's only
      { mode: 0o600 },
    );
    if (platform === 'vm') {
      await ctx.checkTools(VM_TOOLS);
      const image = bog.platform_image ?? '';
      if (image === '') throw new Error('BOG has no platform_image');
      await ctx.runTool(qemuImgDelta(image), paths.scratch);
      await ctx.runTool(makeInputDisk(), paths.scratch);
      await ctx.runTool(makeOutputDisk(), paths.scratch);
    }
    bog.viewerversion = await readViewerVersion(join(codedx, 'vendor', 'codedx.war'));
    bog.viewerplatform = bog.platform_image ?? '';
    const bogFile = join(paths.scratch, `${args.execrunuid}.bog`);
    writeBogFile(bogFile, bog, { mode: 0o600 }); // holds the viewer's apikey
    await copyFile(bogFile, join(paths.inDir, `${args.execrunuid}.bog`));
  } catch (e) {
    log.error('PreViewer failed', { error: e });
    // Legacy left the state at LAUNCHING here, so the web showed "launching" until the ad expired
    // (mirswamp/services perl/agents/vmu_PreViewer.pl); ERROR lets the user launch again at once. The text is the legacy one.
    await publish(ViewerState.Error, ViewerStatus.UnableToStartVm);
    return 1;
  }
  await writeFile(paths.eventFile, '', { flag: 'a' });
  await writeFile(paths.ipFile, '', { flag: 'a' });
  await publish(ViewerState.Launching, platform === 'vm' ? ViewerStatus.StartingVm : ViewerStatus.StartingDc);
  try {
    const pid = await ctx.startMonitor('MonitorViewer', args);
    log.info('monitorjob started', { pid });
  } catch (e) {
    log.error('starting monitorjob failed', { error: e });
  }
  return 0;
}
