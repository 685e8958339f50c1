/**
 * What swampctl reads from swamp.conf, in one place. The launcher's settings (lib/assessment) give the
 * directories, the DB account and the HTCondor contexts; the keys below are swampctl's own (new, with
 * these defaults; docs/swampctl.md):
 *
 *   cleanupResultsDays         results working dirs (<resultsFolder>/<id>) older than this   28
 *   cleanupResultsPassedDays   ... whose status.out says `PASS: all` (legacy cleanworking.pl)   7
 *   cleanupJobDirDays          job dirs with no job in the queue or history, older than this   7
 *   cleanupStaleAdHours        status ads of gone jobs with a final status, older than this   24
 *   cleanupOrphanMinutes       a DB-active run with no job is left alone this long             10
 *   (0 hours / minutes: at once)
 *   logRetentionDays           rotated log files older than this are removed                  60
 */
import type { SwampConfig } from '../config/index.js';
import type { DbOptions } from '../db/index.js';
import type { HTCondorContext, ToolCall } from '../htcondor/index.js';
import { trimSlash } from '../config/index.js';
import { launchSettings } from '../submission/settings.js';
import { Outbox } from '../outbox/store.js';

export interface CleanupSettings {
  resultsDays: number;
  resultsPassedDays: number;
  jobDirDays: number;
  staleAdHours: number;
  orphanMinutes: number;
  logRetentionDays: number;
}

export interface CtlSettings {
  configPath: string;
  runDir: string;
  /** The journal of owed DB/collector changes and kill intents (lib/outbox). */
  outboxDir: string;
  logDir: string;
  resultsFolder: string;
  dockerImagesFile: string;
  swampState: string | undefined;
  db: DbOptions;
  /**
   * The account for what only an administrator may do in the DB: alter the launch events
   * (enable/disable) and see every procedure (health). `dbAdminUser`/`dbAdminPass` in swamp.conf;
   * without them the backend's least-privilege account (docs/security.md), which cannot.
   */
  adminDb: DbOptions;
  adminDbConfigured: boolean;
  queueCtx: HTCondorContext;
  collectorCtx: HTCondorContext;
  cleanup: CleanupSettings;
}

export function ctlSettings(c: SwampConfig, onCall?: (call: ToolCall) => void): CtlSettings {
  const l = launchSettings(c, onCall);
  const adminUser = c.string('dbAdminUser');
  return {
    configPath: c.file,
    runDir: l.runDir,
    outboxDir: Outbox.forRunDir(l.runDir, c.string('outboxDir')).dir,
    logDir: l.logDir,
    resultsFolder: trimSlash(l.resultsFolder),
    dockerImagesFile: l.dockerImagesFile,
    swampState: l.swampState,
    db: l.db,
    adminDb: adminUser === undefined ? l.db : { ...l.db, user: adminUser, password: c.string('dbAdminPass') ?? '' },
    adminDbConfigured: adminUser !== undefined,
    queueCtx: l.queueCtx,
    collectorCtx: l.collectorCtx,
    cleanup: cleanupSettings(c),
  };
}

/** swampctl's own keys (validated: `config check` calls this alone). */
export function cleanupSettings(c: SwampConfig): CleanupSettings {
  return {
    resultsDays: c.int('cleanupResultsDays', 28, { min: 1 }),
    resultsPassedDays: c.int('cleanupResultsPassedDays', 7, { min: 1 }),
    jobDirDays: c.int('cleanupJobDirDays', 7, { min: 1 }),
    staleAdHours: c.int('cleanupStaleAdHours', 24, { min: 0 }),
    orphanMinutes: c.int('cleanupOrphanMinutes', 10, { min: 0 }),
    logRetentionDays: c.int('logRetentionDays', 60, { min: 1 }),
  };
}
