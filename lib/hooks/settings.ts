/**
 * What the hooks and the monitor read from swamp.conf, in one place with the defaults of the
 * installed layout. Keys not (yet) covered by lib/config's typed accessors are read raw here:
 * `swampDir` (legacy getSwampDir(), fixed /opt/swamp), `binDir`, `projectsFolder`, `metricsFolder`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH, type SwampConfig } from '../config/index.js';

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
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * The directory of the running binary, when it is our single-executable program (so a test tree
 * without `binDir` still finds its own monitorjob); undefined under `node`.
 */
export function ownBinDir(execPath: string = process.execPath): string | undefined {
  const base = execPath.split('/').pop() ?? '';
  return base === 'node' || base.startsWith('node') ? undefined : dirname(execPath);
}

export function hookSettings(c: SwampConfig): HookSettings {
  const swampDir = trimSlash(c.string('swampDir', '/opt/swamp'));
  const v = c.viewer;
  const api = c.string('swamp_api_web_server');
  return {
    swampDir,
    binDir: trimSlash(c.string('binDir') ?? ownBinDir() ?? join(swampDir, 'bin')),
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

/**
 * `SWAMP_CONFIG` of the job's `Environment` in the starter's copy of the job ad (`$_CONDOR_JOB_AD`), the
 * place a submit file's `environment = "... SWAMP_CONFIG=<path>"` ends up. Pure over the ad text.
 */
export function configFromJobAd(adText: string): string | undefined {
  const m = /^Environment\s*=\s*"(.*)"\s*$/m.exec(adText);
  if (!m || m[1] === undefined) return undefined;
  // New-style environment string: space-separated NAME=value, a value with spaces in single quotes.
  for (const tok of m[1].replace(/\\"/g, '"').match(/(?:[^\s']+|'[^']*')+/g) ?? []) {
    if (tok.startsWith('SWAMP_CONFIG=')) {
      const v = tok.slice('SWAMP_CONFIG='.length).replace(/^'(.*)'$/, '$1');
      return v === '' ? undefined : v;
    }
  }
  return undefined;
}

/**
 * swamp.conf for a hook or monitor: $SWAMP_CONFIG, then SWAMP_CONFIG of the job's own environment (job
 * ad), /opt/swamp/etc/swamp.conf, then `<dir of argv0 or of the binary>/../etc` (launchassessment's order). HTCondor
 * starts PreCmd/PostCmd WITHOUT the job's environment (measured on the local pool: only the
 * `+PreEnvironment` / `+PostEnvironment` attributes reach them), hence the look into the job ad.
 */
export function locateJobConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv0: string = process.argv0,
  exists: (p: string) => boolean = existsSync,
  readAd: (p: string) => string | undefined = readSmallFile,
  execPath: string = process.execPath,
): string | undefined {
  if (env.SWAMP_CONFIG) return env.SWAMP_CONFIG;
  const ad = env._CONDOR_JOB_AD ? readAd(env._CONDOR_JOB_AD) : undefined;
  const fromAd = ad === undefined ? undefined : configFromJobAd(ad);
  if (fromAd !== undefined) return fromAd;
  if (exists(DEFAULT_CONFIG_PATH)) return DEFAULT_CONFIG_PATH;
  // HTCondor starts the hooks as argv[0] `condor_Prescript`/`condor_Postscript` (no directory), so the
  // binary's own path (execPath of the single-executable program) is tried as well.
  for (const p of [argv0, execPath]) {
    if (!p.includes('/')) continue;
    const near = join(dirname(resolve(p)), '..', 'etc', 'swamp.conf');
    if (exists(near)) return near;
  }
  return undefined;
}

function readSmallFile(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
