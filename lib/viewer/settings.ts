/**
 * What the viewer launcher reads from swamp.conf. Most of it is the assessment launcher's settings
 * (run, log and bin dirs, results folder, image sources, HTCondor contexts, owner, config path); the
 * viewer keys are `master.viewer` (platform identifier, default codedx-3.5.5-viewer) and
 * `master.viewer.type` (VM default, DC, or `local`: read raw because lib/config's accessor knows only
 * VM/DC). Timings have the legacy's values and are fields so tests can shorten them.
 */
import type { SwampConfig } from '../config/index.js';
import type { ArchiveBudget } from '../files/budget.js';
import type { ToolCall } from '../htcondor/index.js';
import { preferredPlatformType } from '../submission/platform.js';
import { launchSettings, type LaunchSettings } from '../submission/settings.js';
import type { ViewerPlatformType } from './bog.js';

export interface ViewerSettings {
  base: LaunchSettings;
  masterViewer: string;
  viewerType: ViewerPlatformType;
  /** Wait for another launcher's lock on the same project+viewer. */
  lockWaitMs: number;
  /** A removed/completed viewer job still leaving the queue: wait this long for it (AgentMonitor: 24 x 5 s). */
  stoppingWaitMs: number;
  /** Collector polls while waiting for READY before the upload (legacy: 60 x 10 s). */
  uploadPollMs: number;
  uploadTimeoutMs: number;
  /** Budget of the package archive re-zipped for Code Dx (swamp.conf archive_max_*). */
  archiveBudget: ArchiveBudget;
}

export function viewerSettings(c: SwampConfig, onCall?: (call: ToolCall) => void): ViewerSettings {
  return {
    base: launchSettings(c, onCall),
    masterViewer: c.viewer.masterViewer,
    viewerType: preferredPlatformType(c.get('master.viewer.type')),
    lockWaitMs: 300_000,
    stoppingWaitMs: 120_000,
    uploadPollMs: c.int('viewer_upload_poll_seconds', 2, { min: 1, max: 60 }) * 1000,
    uploadTimeoutMs: c.int('viewer_upload_timeout_seconds', 600, { min: 1, max: 7200 }) * 1000,
    archiveBudget: c.archiveBudget,
  };
}
