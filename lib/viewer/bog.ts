/**
 * The viewer BOG (legacy vmu_launchviewer.pl options + vmu_AgentMonitor.pl _launchViewer, mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties viewer
 * keys, mirswamp/services perl/agents/vmu_AgentMonitor.pl). Pure: ids and the platform choice are inputs.
 *
 *   from the request   resultsfolder, projectid, viewer, viewer_uuid, userid, db_path (when given)
 *   from the launch    execrunid (`vrun_<project>_<viewer>`), apikey (new uppercase UUID), urluuid
 *                      (`proxy-<new uppercase UUID>`), platform_identifier (swamp.conf master.viewer,
 *                      rewritten from the image for VM/DC), platform_type (VM | DC | local),
 *                      platform_image, vmhostname `vswamp`, use_docker_universe (`1` for DC, else
 *                      empty), use_baked_viewer `1` (hard-coded in the legacy)
 * PreViewer later adds vmhostname `vswamp-<cluster>-<proc>`, viewerversion and viewerplatform.
 */
import type { Bog } from '../bog/index.js';
import type { ViewerAdOptions } from '../status/index.js';
import type { ViewerRequest } from './options.js';

export type ViewerPlatformType = 'VM' | 'DC' | 'local';

/** The executable of a local-platform viewer job (lib/machine/viewer-machine.ts), in binDir. */
export const LOCAL_VIEWER_PROGRAM = 'swamp-viewer-machine';

export interface ViewerLaunchIds {
  execrunid: string;
  /** Data::UUID style: uppercase hex. */
  apikey: string;
  /** `proxy-<UUID>` (uri_escape of a UUID is the UUID itself). */
  urluuid: string;
}

export function newLaunchIds(execrunid: string, uuid: () => string): ViewerLaunchIds {
  return { execrunid, apikey: uuid().toUpperCase(), urluuid: `proxy-${uuid().toUpperCase()}` };
}

export interface ViewerPlatform {
  type: ViewerPlatformType;
  identifier: string;
  image: string;
}

export function viewerBog(req: ViewerRequest, ids: ViewerLaunchIds, platform: ViewerPlatform, resultsFolder: string): Bog {
  const bog: Bog = {
    resultsfolder: resultsFolder,
    projectid: req.project,
    viewer: req.viewer,
  };
  if (req.viewerUuid !== undefined) bog.viewer_uuid = req.viewerUuid;
  if (req.userUuid !== undefined) bog.userid = req.userUuid;
  if (req.dbPath !== undefined) bog.db_path = req.dbPath;
  bog.execrunid = ids.execrunid;
  bog.apikey = ids.apikey;
  bog.urluuid = ids.urluuid;
  bog.platform_identifier = platform.identifier;
  bog.platform_type = platform.type;
  bog.platform_image = platform.image;
  bog.vmhostname = 'vswamp';
  bog.use_docker_universe = platform.type === 'DC' ? '1' : '';
  bog.use_baked_viewer = '1';
  return bog;
}

/**
 * The ad options before anything is decided: the identifying fields only. The legacy's first ad had
 * every field `null`, so concurrent requests (backend: by project + viewer; web: by instance uuid) saw
 * NO_RECORD and launched a second viewer (mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM, vmu_AgentMonitor.pl _launchViewer).
 */
export function identifyingAdOptions(req: ViewerRequest): ViewerAdOptions {
  return { projectid: req.project, viewer: req.viewer, viewer_uuid: req.viewerUuid, userid: req.userUuid };
}
