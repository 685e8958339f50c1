/**
 * What the hooks and the monitor read from swamp.conf, in one place with the defaults of the
 * installed layout. Keys not (yet) covered by lib/config's typed accessors are read raw here:
 * `projectsFolder`, `metricsFolder`. The configuration file itself is found by lib/config's
 * resolveConfigPath (which also looks into the job ad, where the hooks find it).
 */
import { join } from 'node:path';
import { trimSlash, type SwampConfig } from '../config/index.js';
import type { ArchiveBudget } from '../files/budget.js';

export type PlatformKind = 'vm' | 'docker' | 'local';

export interface HookSettings {
  swampDir: string;
  /** Where monitorjob (and the other names of our binary) are installed. */
  binDir: string;
  logDir: string;
  /** `<swampDir>/etc`: services.conf, versions.txt. */
  etcDir: string;
  /** `<swampDir>/thirdparty`: frameworks, result parser, codedx files. */
  thirdpartyDir: string;
  /** Per-user project tree: A-Results, A-Logs, V-Runs (legacy /swamp/SCAProjects). */
  projectsFolder: string;
  /** Per-run working results (`resultsFolder`); the BOG's `resultsfolder` wins when set. */
  resultsFolder: string;
  /** Metric run results (legacy /swamp/store/SCAPackages/Metrics). */
  metricsFolder: string;
  maxRetries: number;
  isSwampInABox: boolean;
  internetInaccessible: string;
  sonatypeIntegrator: string;
  /** Completion notification base URL; undefined when not configured (the shipped placeholder HOSTNAME). */
  apiWebServer: string | undefined;
  vmipLookupAttempts: number;
  vmipLookupSleepMs: number;
  viewerTimeout: { frequency: number; duration: number; lastlog: number };
  /** Budget of the archives the hooks unpack or read (swamp.conf archive_max_*; docs/files.md). */
  archiveBudget: ArchiveBudget;
}

export function hookSettings(c: SwampConfig): HookSettings {
  const swampDir = c.swampDir;
  const v = c.viewer;
  const api = c.string('swamp_api_web_server');
  return {
    swampDir,
    binDir: c.binDir(),
    logDir: trimSlash(c.logDir),
    etcDir: join(swampDir, 'etc'),
    thirdpartyDir: join(swampDir, 'thirdparty'),
    projectsFolder: trimSlash(c.string('projectsFolder', '/swamp/SCAProjects')),
    resultsFolder: trimSlash(c.resultsFolder),
    metricsFolder: trimSlash(c.string('metricsFolder', '/swamp/store/SCAPackages/Metrics')),
    maxRetries: c.assessmentMaxRetries,
    isSwampInABox: c.isSwampInABox,
    internetInaccessible: c.internetInaccessible,
    sonatypeIntegrator: c.sonatypeIntegrator,
    apiWebServer: api === undefined || api === 'HOSTNAME' ? undefined : api,
    vmipLookupAttempts: v.vmipLookupAttempts,
    vmipLookupSleepMs: v.vmipLookupSleepSeconds * 1000,
    viewerTimeout: { frequency: v.timeoutFrequencyMinutes, duration: v.timeoutDurationSeconds, lastlog: v.timeoutLastlogSeconds },
    archiveBudget: c.archiveBudget,
  };
}

/**
 * Platform of a job from its BOG: `platform_type` VM / DC as the legacy wrote it, and `local` for our
 * vanilla-universe machine; `use_docker_universe = 1` also means docker (older BOGs).
 */
export function platformOf(bog: Readonly<Record<string, string>>): PlatformKind {
  const t = (bog.platform_type ?? '').trim().toLowerCase();
  if (t === 'local') return 'local';
  if (t === 'dc' || t === 'docker' || bog.use_docker_universe === '1') return 'docker';
  return 'vm';
}
