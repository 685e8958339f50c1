/**
 * The CodeDX launch request, in the detached worker (legacy vmu_launchviewer.pl doViewerVM +
 * vmu_AgentMonitor.pl _launchViewer + vmu_csa_agent.pl run-now mode, mirswamp/services perl/agents/vmu_launchviewer.pl doViewerVM, mirswamp/services perl/agents/vmu_csa_agent.pl, mirswamp/services perl/agents/vmu_AgentMonitor.pl):
 *
 *   lock vrun_<project>_<viewer>                  one launcher at a time per project+viewer (bounded wait)
 *     look: collector ad (exact Name) + queue (exact SWAMP_vrun_execrunuid); decide (decide.ts)
 *     launch:  LAUNCHING `Launching Viewer VM`     first ad, with projectid/viewer/viewer_uuid/userid
 *              platform, BOG (apikey, urluuid)
 *              LAUNCHING `Launching viewer`        with the BOG's fields
 *              LAUNCHING `Creating HTCondor job`   job dir vswamp_<UUID>: BOG, submit file, bundle
 *              LAUNCHING `Waiting in HTCondor Queue`, condor_submit, ClusterId_<n>
 *              any failure: ERROR -5 `Launch viewer error` (never a LAUNCHING ad left behind)
 *   unlock
 *   upload (when --package was given): poll the collector until READY `Viewer is up` (bounded), then
 *     the result files and the package archive (re-zipped) to the viewer's API.
 *
 * Because every launcher looks and submits under the lock, 20 concurrent requests give one job: the
 * first submits, the others find its job in the queue. `Waiting in HTCondor Queue` is advertised just
 * before condor_submit rather than after it: a job on a fast pool starts (and PreViewer advertises
 * `Starting …`) within a second, and a late launcher ad would move its status backwards.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { toSwampError, type SwampError } from '../errors/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { ViewerState, ViewerStatus, viewerAdOptionsOf, viewerStatusAd, type ViewerAdOptions, type ViewerStateValue } from '../status/index.js';
import { viewerRunId } from '../cli/ids.js';
import { tryLock, type RunLock } from '../submission/lock.js';
import { markCluster, prepareJobDir } from '../submission/queue.js';
import { identifyingAdOptions, newLaunchIds, viewerBog } from './bog.js';
import { archivePlan, decideLaunch, readViewerAd, uploadWaitStep, viewerBaseUrl, type ViewerEndpoint } from './decide.js';
import type { ViewerOps } from './condor.js';
import type { ViewerRequest } from './options.js';
import type { ViewerSettings } from './settings.js';
import { isViewerJobDirName, viewerJobDirName, viewerSubmitFile } from './submit.js';
import { platformTemplate } from '../submission/template-file.js';

export interface ViewerDeps {
  settings: ViewerSettings;
  ops: ViewerOps;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  uuid?: () => string;
  /** The upload (default: codedx-api.ts over http/https). */
  upload?: (endpoint: ViewerEndpoint, baseUrl: string, packageName: string, files: readonly string[]) => Promise<unknown>;
}

export type LaunchOutcome = 'launched' | 'running' | 'busy' | 'lookup-failed' | 'failed';
export type UploadOutcome = 'none' | 'uploaded' | 'not-up' | 'timeout' | 'failed' | 'skipped';

export interface ViewerResult {
  execrunid: string;
  launch: LaunchOutcome;
  upload: UploadOutcome;
  clusterId?: number;
  jobDir?: string;
  error?: SwampError;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForLock(runDir: string, id: string, waitMs: number, sleep: (ms: number) => Promise<void>, now: () => number): Promise<RunLock | undefined> {
  const until = now() + waitMs;
  for (;;) {
    const lock = tryLock(runDir, id);
    if (lock !== undefined) return lock;
    if (now() >= until) return undefined;
    await sleep(100 + Math.floor(Math.random() * 150));
  }
}

export async function handleViewerRequest(req: ViewerRequest, deps: ViewerDeps): Promise<ViewerResult> {
  const id = viewerRunId(req.project, req.viewer);
  const log = (deps.log ?? nullLogger).child({ execrunid: id });
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const result: ViewerResult = { execrunid: id, launch: 'busy', upload: 'none' };

  const lock = await waitForLock(deps.settings.base.runDir, id, deps.settings.lockWaitMs, sleep, now);
  if (lock === undefined) {
    // Someone has held the lock for minutes: that launcher owns the viewer; we only upload.
    log.warn('another launcher holds the viewer lock; not launching', { waitedMs: deps.settings.lockWaitMs });
  } else {
    try {
      await launchUnderLock(req, id, deps, log, sleep, now, result);
    } finally {
      lock.release();
    }
  }
  if (result.launch === 'failed' || result.launch === 'lookup-failed') {
    result.upload = req.packageName === undefined ? 'none' : 'skipped';
    return result;
  }
  if (req.packageName !== undefined) result.upload = await upload(req, req.packageName, id, deps, log, sleep, now);
  return result;
}

async function launchUnderLock(
  req: ViewerRequest,
  id: string,
  deps: ViewerDeps,
  log: Logger,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
  result: ViewerResult,
): Promise<void> {
  const { settings, ops } = deps;
  const waitUntil = now() + settings.stoppingWaitMs;
  for (;;) {
    let decision;
    try {
      const ad = readViewerAd(await ops.readAd(id));
      decision = decideLaunch(ad, await ops.queuedJobs(id));
    } catch (e) {
      // Legacy: a failed collector query ends the request without an ad. Nothing was launched.
      result.launch = 'lookup-failed';
      result.error = toSwampError(e);
      log.error('cannot read the viewer state; not launching', { err: result.error });
      return;
    }
    log.info('launch decision', { action: decision.action, reason: decision.reason });
    if (decision.action === 'launch') break;
    if (decision.action === 'running') {
      result.launch = 'running';
      result.clusterId = decision.job.cluster;
      return;
    }
    if (now() >= waitUntil) {
      log.warn('the old viewer job is still leaving the queue; not launching', { cluster: decision.job.cluster });
      result.launch = 'running';
      return;
    }
    await sleep(2000);
  }

  await removeDeadJobDirs(settings.base.runDir, id, log);
  const uuid = deps.uuid ?? randomUUID;
  let options: ViewerAdOptions = identifyingAdOptions(req);
  const publish = async (state: ViewerStateValue, status: string): Promise<void> => {
    try {
      await ops.advertise(viewerStatusAd(id, state, status, options));
      log.info('advertised', { state, status });
    } catch (e) {
      // The launch goes on: the next ad (or the job's hooks) may get through.
      log.error('advertise failed', { status, err: toSwampError(e) });
    }
  };
  await publish(ViewerState.Launching, ViewerStatus.LaunchingViewerVm);
  const base = settings.base;
  let jobDir: string | undefined;
  let submitted = false;
  try {
    const platform = await ops.platform();
    const bog = viewerBog(req, newLaunchIds(id, uuid), platform, base.resultsFolder);
    options = viewerAdOptionsOf(bog);
    await publish(ViewerState.Launching, ViewerStatus.LaunchingViewer);
    jobDir = viewerJobDirName(uuid());
    const submitText = viewerSubmitFile({
      execrunid: id,
      platformType: platform.type,
      platformImage: platform.image,
      userid: req.userUuid,
      projectid: req.project,
      viewerUuid: req.viewerUuid,
      jobDir,
      owner: base.owner,
      binDir: base.binDir,
      swampInABox: base.swampInABox,
      bridgeInterface: base.bridgeInterface,
      // the same site templates as assessments (the legacy copied them for viewers too)
      template: platformTemplate(platform.type, base.etcDir, base.swampInABox),
      configPath: base.configPath,
    });
    await publish(ViewerState.Launching, ViewerStatus.CreatingJob);
    const job = await prepareJobDir(base.runDir, jobDir, id, bog, submitText, platform.type === 'VM');
    await publish(ViewerState.Launching, ViewerStatus.WaitingInQueue);
    const cluster = await ops.submit(job.dir, job.submitFile);
    submitted = true;
    markCluster(base.runDir, jobDir, cluster);
    result.launch = 'launched';
    result.clusterId = cluster;
    result.jobDir = jobDir;
    log.info('viewer job submitted', { clusterId: cluster, jobDir, platform: platform.type, urluuid: bog.urluuid });
  } catch (e) {
    result.launch = 'failed';
    result.error = toSwampError(e);
    log.error('viewer launch failed', { err: result.error, jobDir });
    await publish(ViewerState.Error, ViewerStatus.LaunchViewerError);
    if (jobDir !== undefined && !submitted) await rm(join(base.runDir, jobDir), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Job dirs of earlier viewer jobs of this project+viewer (`vswamp_*` holding `<id>.sub`). Called only
 * when the queue has no job for the id, so every such dir belongs to a job that has left the queue
 * (its output already transferred back): the legacy AgentMonitor's deleteJobDir, done at the one
 * moment it is known to be safe, so viewer job dirs do not pile up.
 */
async function removeDeadJobDirs(runDir: string, id: string, log: Logger): Promise<void> {
  let names: string[];
  try {
    names = await readdir(runDir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!isViewerJobDirName(n)) continue;
    try {
      await access(join(runDir, n, `${id}.sub`));
    } catch {
      continue; // another project's viewer
    }
    await rm(join(runDir, n), { recursive: true, force: true }).then(
      () => log.info('removed the job dir of an earlier viewer job', { jobDir: n }),
      (e: unknown) => log.warn('cannot remove an old viewer job dir', { jobDir: n, err: toSwampError(e) }),
    );
  }
}

async function readable(p: string): Promise<boolean> {
  try {
    await access(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

async function upload(
  req: ViewerRequest,
  packageName: string,
  id: string,
  deps: ViewerDeps,
  log: Logger,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
): Promise<UploadOutcome> {
  const { settings, ops } = deps;
  const until = now() + settings.uploadTimeoutMs;
  let endpoint: ViewerEndpoint;
  for (;;) {
    let step;
    try {
      step = uploadWaitStep(readViewerAd(await ops.readAd(id)));
    } catch (e) {
      log.error('cannot read the viewer state; no upload', { err: toSwampError(e) });
      return 'failed';
    }
    if (step.action === 'ready') {
      endpoint = step.endpoint;
      break;
    }
    if (step.action === 'give-up') {
      log.warn('viewer is not coming up; no upload', { reason: step.reason });
      return 'not-up';
    }
    if (now() >= until) {
      log.error(`launch timed out after ${Math.round(settings.uploadTimeoutMs / 1000)} seconds; no upload`);
      return 'timeout';
    }
    await sleep(settings.uploadPollMs);
  }

  const files: string[] = [];
  for (const f of req.filePaths) {
    if (await readable(f)) files.push(f);
    else log.error('result file not readable; left out of the upload', { file: f });
  }
  let tmp: string | undefined;
  try {
    const plan = archivePlan(req.packageType, req.sourceArchivePath);
    const archive = req.sourceArchivePath;
    if (plan !== 'none' && archive !== undefined) {
      if (!(await readable(archive))) {
        log.warn('package archive not readable; results only', { archive });
      } else if (plan === 'as-is') {
        files.push(archive);
      } else {
        // A private temp dir under the run dir: never the cwd (mysqld's datadir for DB-started programs).
        tmp = await mkdtemp(join(settings.base.runDir, `.viewer-upload-${process.pid}-`));
        let zip: string | undefined;
        try {
          const { rezipArchive } = await import('./rezip.js');
          zip = await rezipArchive(archive, tmp, settings.archiveBudget);
        } catch (e) {
          log.warn('re-zipping the package archive failed; uploading the original', { archive, err: toSwampError(e) });
        }
        files.push(zip ?? archive);
      }
    }
    if (files.length === 0) {
      log.warn('nothing to upload');
      return 'none';
    }
    const baseUrl = viewerBaseUrl(endpoint.vmip, endpoint.urluuid, settings.viewerType === 'local');
    const send =
      deps.upload ??
      (async (ep: ViewerEndpoint, url: string, pkg: string, list: readonly string[]): Promise<unknown> => {
        const { uploadAnalysisRun } = await import('./codedx-api.js');
        return uploadAnalysisRun({ baseUrl: url, apikey: ep.apikey }, pkg, list);
      });
    const answer = await send(endpoint, baseUrl, packageName, files);
    log.info('uploaded to the viewer', { files, answer });
    return 'uploaded';
  } catch (e) {
    log.error('upload to the viewer failed', { err: toSwampError(e), files });
    return 'failed';
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}
