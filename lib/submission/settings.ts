/**
 * What the launcher reads from swamp.conf, with the installed layout's defaults, in one place.
 * `binDir` is lib/config's (the same default for every program). Keys lib/config has no typed
 * accessor for are read raw here (documented in docs/launchassessment.md):
 *   platformImagesDir  VM master images (legacy fixed /swamp/platforms/images/)
 *   dockerImagesFile   copy of `docker images` (legacy /opt/swamp/etc/swamp_docker_images.txt)
 *   vm_bridge_interface  facility VM template's bridge (`+VMPARAM_Bridge_Interface`)
 *   htcondor_timeout_seconds  per HTCondor tool call (default 30)
 *   htcondor_spool     spool input to a remote schedd (default yes when htcondor_submit_node is set)
 *   htcondor_job_owner the account HTCondor makes the job's Owner when it differs from the submitting
 *                      login (an IDTOKEN of the service account decides; docs/deployment.md)
 */
import { userInfo } from 'node:os';
import { trimSlash, type SwampConfig } from '../config/index.js';
import type { DbOptions } from '../db/index.js';
import type { HTCondorContext, ToolCall } from '../htcondor/index.js';
import { preferredPlatformType, type PlatformType } from './platform.js';

export interface LaunchSettings {
  runDir: string;
  logDir: string;
  binDir: string;
  resultsFolder: string;
  imagesDir: string;
  dockerImagesFile: string;
  preferredType: PlatformType;
  maxRetries: number;
  swampInABox: boolean;
  bridgeInterface: string | undefined;
  /** `<swampDir>/etc`: the site's submit templates (vmu_htcondor_submit, docker_htcondor_submit). */
  etcDir: string;
  computeChecksums: boolean;
  /** Raw SWAMPState value (gate.ts decides). */
  swampState: string | undefined;
  db: DbOptions;
  /** condor_q / condor_history / condor_submit (schedd side). */
  queueCtx: HTCondorContext;
  /** condor_advertise (the SWAMP collector). */
  collectorCtx: HTCondorContext;
  /**
   * The job's Owner: the `<owner>` argument of the hooks (VM platform: part of the libvirt domain name).
   * The submitting login, unless htcondor_job_owner names the token's account.
   */
  owner: string;
  /** The swamp.conf these settings came from (handed to local-platform jobs as SWAMP_CONFIG). */
  configPath: string | undefined;
}

export function launchSettings(c: SwampConfig, onCall?: (call: ToolCall) => void): LaunchSettings {
  const env = c.htcondorEnv();
  const pool = c.htcondorPool;
  const timeoutMs = c.int('htcondor_timeout_seconds', 30, { min: 1, max: 3600 }) * 1000;
  const base: HTCondorContext = { env, toolDir: c.htcondorToolDir, timeoutMs, ...(onCall ? { onCall } : {}) };
  const queueCtx: HTCondorContext = { ...base };
  if (pool?.submitNode !== undefined && pool.manager !== undefined) {
    queueCtx.schedd = pool.submitNode;
    queueCtx.pool = pool.manager;
    // a remote schedd cannot read the run dir: input is spooled (htcondor_spool = no for a facility
    // whose schedd shares the run dir's file system)
    queueCtx.spool = c.bool('htcondor_spool', true);
  }
  const collectorCtx: HTCondorContext = { ...base };
  if (pool?.collectorHost !== undefined) collectorCtx.pool = pool.collectorHost;
  const db = c.database;
  return {
    runDir: trimSlash(c.runDir),
    logDir: trimSlash(c.logDir),
    binDir: c.binDir(),
    resultsFolder: c.resultsFolder,
    imagesDir: c.string('platformImagesDir', '/swamp/platforms/images/'),
    dockerImagesFile: c.string('dockerImagesFile', '/opt/swamp/etc/swamp_docker_images.txt'),
    preferredType: preferredPlatformType(c.get('preferred_platform_type')),
    maxRetries: c.assessmentMaxRetries,
    swampInABox: c.isSwampInABox,
    bridgeInterface: c.string('vm_bridge_interface'),
    etcDir: c.etcDir,
    computeChecksums: c.computeBOGChecksums,
    swampState: c.get('SWAMPState'),
    db: {
      host: db.host,
      port: db.port,
      ...(db.socketPath !== undefined ? { socketPath: db.socketPath } : {}),
      user: db.user,
      password: db.password,
      ...(db.database !== undefined ? { database: db.database } : {}),
      connectTimeoutMs: c.int('dbConnectTimeoutSeconds', 10, { min: 1, max: 600 }) * 1000,
      queryTimeoutMs: 30_000,
    },
    queueCtx,
    collectorCtx,
    owner: c.string('htcondor_job_owner') ?? userInfo().username,
    configPath: c.file.startsWith('/') ? c.file : undefined,
  };
}
