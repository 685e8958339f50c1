/**
 * swamp.conf: lookup, reading and typed accessors with the legacy defaults (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm).
 * The parser itself is pure (./parse.ts); this file adds the one synchronous read (a few hundred
 * bytes, done once per process, so a promise would only cost start-up time).
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readConfiguredFile } from './file.js';
import { ConfigError } from '../errors/index.js';
import { ConfigSyntaxError, parseConfigText, type ConfigEntry } from './parse.js';
import { DsnError, parseDsn, type DbEndpoint } from './dsn.js';

export { parseConfigText, parseConfigLine, ConfigSyntaxError, type ConfigEntry } from './parse.js';
export { parseDsn, DsnError, type DbEndpoint } from './dsn.js';
export { readConfiguredFile, ownershipProblem, MAX_CONFIG_BYTES } from './file.js';

export const DEFAULT_CONFIG_PATH = '/opt/swamp/etc/swamp.conf';
export const DEFAULT_LOG_DIR = '/opt/swamp/log';
export const DEFAULT_RUN_DIR = '/opt/swamp/run';
export const CONFIG_ENV = 'SWAMP_CONFIG';
export const DEFAULT_HTCONDOR_TOOL_DIR = '/usr/bin';

export type ConfigSource = 'option' | 'env' | 'default' | 'installed' | 'text';

export interface ConfigLookup {
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  argv0?: string;
  execPath?: string;
  /** For tests. */
  exists?: (p: string) => boolean;
  readFile?: (p: string) => string | undefined;
  /**
   * `installed`: the program runs under a name the database calls; only the file beside the install
   * counts (`<dir of the name called>/../etc/swamp.conf`, then `<dir of the real binary>/../etc/`):
   * no `--config`, no $SWAMP_CONFIG, no job ad, whatever the caller's argv or environment say
   * (docs/security.md).
   */
  only?: 'installed';
}

/** `<dir>/../etc/swamp.conf` beside the name called (a symlink in <prefix>/bin) and the real binary. */
export function installedConfigCandidates(argv0: string = process.argv0, execPath: string = process.execPath): string[] {
  const out: string[] = [];
  for (const start of [argv0, execPath]) {
    if (!start.includes('/')) continue;
    out.push(join(dirname(resolve(start)), '..', 'etc', 'swamp.conf'));
    try {
      out.push(join(dirname(realpathSync(start)), '..', 'etc', 'swamp.conf'));
    } catch {
      /* not there: the candidates above are enough */
    }
  }
  return [...new Set(out)];
}

/**
 * Where the configuration comes from, the one look-up of every program: `--config`, then
 * $SWAMP_CONFIG, then SWAMP_CONFIG of the job's own environment in the starter's copy of the job ad
 * ($_CONDOR_JOB_AD: HTCondor starts PreCmd/PostCmd WITHOUT the job's environment, measured on the
 * local pool: only `+PreEnvironment`/`+PostEnvironment` reach them), then the installed default, then
 * `<dir of the program>/../etc/swamp.conf`. Under the database-called names (`only: 'installed'`)
 * only the installed place beside the program.
 */
export function resolveConfigPath(opts: ConfigLookup = {}): { path: string; source: ConfigSource } {
  if (opts.only === 'installed') {
    const exists = opts.exists ?? existsSync;
    const found = installedConfigCandidates(opts.argv0, opts.execPath).find((p) => exists(p));
    return { path: found ?? join(dirname(resolve(opts.execPath ?? process.execPath)), '..', 'etc', 'swamp.conf'), source: 'installed' };
  }
  if (opts.path !== undefined && opts.path !== '') return { path: opts.path, source: 'option' };
  const env = opts.env ?? process.env;
  const exists = opts.exists ?? existsSync;
  const fromEnv = env[CONFIG_ENV];
  // An empty variable is treated as unset (the Perl tried to open '' and silently ran without config).
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, source: 'env' };
  const adFile = env._CONDOR_JOB_AD;
  if (adFile !== undefined && adFile !== '') {
    const ad = (opts.readFile ?? readSmallFile)(adFile);
    const fromAd = ad === undefined ? undefined : configFromJobAd(ad);
    if (fromAd !== undefined) return { path: fromAd, source: 'env' };
  }
  if (exists(DEFAULT_CONFIG_PATH)) return { path: DEFAULT_CONFIG_PATH, source: 'default' };
  // mysqld and HTCondor's hooks start us with a bare environment: a tree installed elsewhere than
  // /opt/swamp finds <dir of the program>/../etc/swamp.conf, by the name it was called as (a symlink
  // in <prefix>/bin; HTCondor's hooks get a bare `condor_Prescript`) and then by the real binary.
  for (const start of [opts.argv0 ?? process.argv0, opts.execPath ?? process.execPath]) {
    if (!start.includes('/')) continue;
    const near = join(dirname(resolve(start)), '..', 'etc', 'swamp.conf');
    if (exists(near)) return { path: near, source: 'default' };
  }
  return { path: DEFAULT_CONFIG_PATH, source: 'default' };
}

/**
 * `SWAMP_CONFIG` of the job's `Environment` in a job ad, the place a submit file's
 * `environment = "... SWAMP_CONFIG=<path>"` ends up. Pure over the ad text.
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

function readSmallFile(p: string): string | undefined {
  try {
    // the starter's job ad: bounded, a regular file, never blocking
    return readConfiguredFile(p, { what: 'job ad', maxBytes: 4 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/** A directory without its trailing slashes (`/` stays `/`). */
export function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * The directory of the running binary, when it is our single-executable program (so a tree without
 * `binDir` still finds its own programs); undefined under `node`.
 */
export function ownBinDir(execPath: string = process.execPath): string | undefined {
  const base = execPath.split('/').pop() ?? '';
  return base === 'node' || base.startsWith('node') ? undefined : dirname(execPath);
}

/** Reads and parses the configuration. Any failure is a ConfigError naming the file (and line). */
export function loadConfig(opts: ConfigLookup = {}): SwampConfig {
  const { path, source } = resolveConfigPath(opts);
  // Bounded, regular files only, owned by root or us and not writable by others (lib/config/file.ts).
  const text = readConfiguredFile(path, { trusted: true, what: 'config file' });
  return configFromText(text, path, source);
}

/** Builds a configuration from text (tests, `--config -` style tools). */
export function configFromText(text: string, file = '<text>', source: ConfigSource = 'text'): SwampConfig {
  try {
    return new SwampConfig(parseConfigText(text), file, source);
  } catch (e) {
    if (e instanceof ConfigSyntaxError) {
      throw new ConfigError(`${file}:${e.line}: ${e.message}`, { file, line: e.line }, { cause: e });
    }
    throw e;
  }
}

export type PlatformType = 'VM' | 'DC';

export interface DbSettings {
  host: string;
  port: number;
  socketPath?: string;
  database?: string;
  user: string;
  password: string;
}

export interface HTCondorPool {
  /** `-pool` for condor_advertise/condor_status (the SWAMP collector). */
  collectorHost: string | undefined;
  /** `-pool` for condor_q/condor_rm (the central manager). */
  manager: string | undefined;
  /** `-name` of the schedd; undefined means "discover it" (legacy: condor_status -schedd -af Name). */
  submitNode: string | undefined;
}

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on', 'y']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off', 'n', '']);
// Host names, IPv4/IPv6 literals; refuses the shipped placeholders such as "<dataserver hostname>".
const HOST_RE = /^[A-Za-z0-9._:-]{1,253}$/;

/**
 * A parsed swamp.conf. `get` is the raw ConfigReader::Simple view; the typed accessors apply the
 * legacy defaults and validate, throwing a ConfigError that names the file and line of a bad value.
 */
export class SwampConfig {
  readonly file: string;
  readonly source: ConfigSource;
  readonly #entries: ReadonlyMap<string, ConfigEntry>;

  constructor(entries: ReadonlyMap<string, ConfigEntry>, file = '<text>', source: ConfigSource = 'text') {
    this.#entries = entries;
    this.file = file;
    this.source = source;
  }

  /** Raw value as the legacy reader returned it, or undefined when the key is absent. */
  get(key: string): string | undefined {
    return this.#entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Line the key was read from (for messages). */
  lineOf(key: string): number | undefined {
    return this.#entries.get(key)?.line;
  }

  /** Keys in ASCII order (ConfigReader::Simple::directives). */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** Error for a bad value of `key`, naming the file and line. */
  invalid(key: string, why: string): ConfigError {
    const line = this.lineOf(key);
    const where = line === undefined ? this.file : `${this.file}:${line}`;
    return new ConfigError(`${where}: ${key}: ${why}`, { file: this.file, line, key });
  }

  /** Value, or `def` when the key is absent or empty (Perl `get(k) || default`). */
  string(key: string, def: string): string;
  string(key: string, def?: undefined): string | undefined;
  string(key: string, def?: string): string | undefined {
    const v = this.get(key);
    return v === undefined || v === '' ? def : v;
  }

  /** Integer value (absent/empty -> def); anything else than digits is a ConfigError. */
  int(key: string, def: number, range: { min?: number; max?: number } = {}): number {
    const v = this.string(key);
    if (v === undefined) return def;
    if (!/^[-+]?\d+$/.test(v.trim())) throw this.invalid(key, `expected an integer, got ${JSON.stringify(v)}`);
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n) || (range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
      const bounds = `${range.min !== undefined ? ` min ${range.min}` : ''}${range.max !== undefined ? ` max ${range.max}` : ''}`;
      throw this.invalid(key, `${v.trim()} is out of range${bounds}`);
    }
    return n;
  }

  /** yes/true/on/1 and no/false/off/0 (any case); absent -> def; anything else is a ConfigError. */
  bool(key: string, def: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return def;
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
    throw this.invalid(key, `expected yes/no, got ${JSON.stringify(v)}`);
  }

  host(key: string, def?: string): string | undefined {
    const v = this.string(key) ?? def;
    if (v === undefined) return undefined;
    if (!HOST_RE.test(v)) throw this.invalid(key, `not a host name: ${JSON.stringify(v)} (template placeholder not replaced?)`);
    return v;
  }

  port(key: string, def: number): number {
    return this.int(key, def, { min: 1, max: 65535 });
  }

  // ---- gates and modes ------------------------------------------------------------------------

  /** `SWAMPState`: launches are accepted only when ON. Absent -> off (legacy). */
  get swampOn(): boolean {
    const v = this.get('SWAMPState');
    if (v === undefined) return false;
    // Legacy matched /ON/i anywhere ("none", "JSON" counted as on); we accept only real yes-words.
    return TRUE_WORDS.has(v.trim().toLowerCase());
  }

  /** `SWAMP-in-a-Box`: yes-words -> single host. Legacy treated any non-empty value (even "no") as SiB. */
  get isSwampInABox(): boolean {
    const v = this.get('SWAMP-in-a-Box');
    return v !== undefined && TRUE_WORDS.has(v.trim().toLowerCase());
  }

  get internetInaccessible(): string {
    return this.string('SWAMP-in-a-Box.internet-inaccessible', 'false');
  }

  // ---- directories ----------------------------------------------------------------------------

  /** The installed tree (key `swampDir`, legacy getSwampDir(), fixed /opt/swamp). */
  get swampDir(): string {
    return trimSlash(this.string('swampDir', '/opt/swamp'));
  }

  /**
   * Our programs (key `binDir`, new): jobhook, monitorjob, the local platform's machines. Default: the
   * directory of the running single-executable binary, else `<swampDir>/bin`.
   */
  binDir(execPath: string = process.execPath): string {
    return trimSlash(this.string('binDir') ?? ownBinDir(execPath) ?? join(this.swampDir, 'bin'));
  }

  /** Our log directory (key `logDir`, new); legacy hard-coded /opt/swamp/log. */
  get logDir(): string {
    return this.string('logDir', DEFAULT_LOG_DIR);
  }

  /** BOG queue and job directories (key `runDir`, new); legacy hard-coded /opt/swamp/run. */
  get runDir(): string {
    return this.string('runDir', DEFAULT_RUN_DIR);
  }

  /** `<swampDir>/etc`: the site-editable files beside swamp.conf (submit templates, Scarf_ToolList.json, services.conf). */
  get etcDir(): string {
    return join(this.swampDir, 'etc');
  }

  get resultsFolder(): string {
    return this.string('resultsFolder', '/swamp/working/results/');
  }

  /**
   * Directories result files, package archives and viewer databases named on a database command line
   * may be read from (docs/security.md): `trustedDataDirs` (blank-separated absolute directories,
   * default `/swamp/`, the legacy data tree), plus `projectsFolder` and `resultsFolder` when set.
   */
  get dataRoots(): string[] {
    const listed = this.string('trustedDataDirs', '/swamp/').split(/[\t ]+/).filter((d) => d !== '');
    for (const d of listed) if (!d.startsWith('/')) throw this.invalid('trustedDataDirs', `${JSON.stringify(d)} is not an absolute directory`);
    const extra = [this.string('projectsFolder'), this.string('resultsFolder')].filter((d): d is string => d !== undefined && d.startsWith('/'));
    return [...new Set([...listed, ...extra])];
  }

  /** Where a Native report may be written (`--outdir` below it): `outgoingFolder`, default /swamp/outgoing/. */
  get outgoingRoots(): string[] {
    const d = this.string('outgoingFolder', '/swamp/outgoing/');
    if (!d.startsWith('/')) throw this.invalid('outgoingFolder', 'expected an absolute directory');
    return [d];
  }

  get reportUrl(): string {
    return this.string('reporturl', 'https://HOSTNAME/results');
  }

  // ---- HTCondor -------------------------------------------------------------------------------

  /** `htcondor_root`: when set, PATH/CONDOR_CONFIG/PYTHONPATH are derived from it (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm setHTCondorEnvironment). */
  get htcondorRoot(): string | undefined {
    return this.string('htcondor_root');
  }

  /**
   * Environment additions for HTCondor tools: `CONDOR_CONFIG=<root>/etc/condor_config` when
   * `htcondor_root` is set. Unlike the legacy setHTCondorEnvironment, no directory is put on PATH or
   * PYTHONPATH: the tools are started by absolute path (htcondorToolDir), so a configured directory
   * can never decide which other program a `condor_*` call or its children find.
   */
  htcondorEnv(): Record<string, string> {
    const root = this.htcondorRoot?.replace(/\/+$/, '');
    if (!root) return {};
    return { CONDOR_CONFIG: `${root}/etc/condor_config` };
  }

  /** Directory of the condor_* programs: `<htcondor_root>/bin`, else /usr/bin (Debian and RHEL packages). */
  get htcondorToolDir(): string {
    const root = this.htcondorRoot?.replace(/\/+$/, '');
    if (root && !root.startsWith('/')) throw this.invalid('htcondor_root', 'expected an absolute directory');
    return root ? `${root}/bin` : DEFAULT_HTCONDOR_TOOL_DIR;
  }

  get htcondorCollectorHost(): string | undefined {
    return this.host('htcondor_collector_host');
  }

  /**
   * Pool addressing for non-SiB facilities (undefined in SWAMP-in-a-Box, where the local
   * configuration is used). The manager defaults to the collector host rewritten as the legacy did
   * (csacol -> csacon, <x>.<y>.org -> <x>.mirsam.org).
   */
  get htcondorPool(): HTCondorPool | undefined {
    if (this.isSwampInABox) return undefined;
    const collectorHost = this.htcondorCollectorHost;
    let manager = this.host('htcondor_condor_manager');
    if (manager === undefined && collectorHost !== undefined) {
      manager = collectorHost.replace('csacol', 'csacon').replace(/(.*)\..*\.org$/, '$1.mirsam.org');
    }
    return { collectorHost, manager, submitNode: this.host('htcondor_submit_node') };
  }

  get assessmentMaxRetries(): number {
    return this.int('htcondor_assessment_max_retries', 3, { min: 0, max: 1000 });
  }

  /** `preferred_platform_type`: VM or DC; anything else (or absent) -> VM, as the legacy did. */
  get preferredPlatformType(): PlatformType {
    const v = this.string('preferred_platform_type');
    return v === 'DC' ? 'DC' : 'VM';
  }

  /** `computeBOGChecksums`: verify tool/package SHA-512 before launch. */
  get computeBOGChecksums(): boolean {
    return this.bool('computeBOGChecksums', false);
  }

  // ---- databases ------------------------------------------------------------------------------

  /**
   * The backend's DB account (legacy DBI `DBI:mysql:host=<dbPerlDsnHost>;port=<dbPerlDsnPort>`).
   * A full DSN may instead be given in `dbPerlDsn` (new; DBI or mariadb/jdbc URL form).
   */
  get database(): DbSettings {
    return this.#db('dbPerlDsn', 'dbPerlDsnHost', 'dbPerlDsnPort', 'dbPerlUser', 'dbPerlPass', 'java_agent');
  }

  #db(dsnKey: string, hostKey: string, portKey: string, userKey: string, passKey: string, defUser: string): DbSettings {
    let ep: DbEndpoint = {};
    const dsn = this.string(dsnKey);
    if (dsn !== undefined) {
      try {
        ep = parseDsn(dsn);
      } catch (e) {
        throw this.invalid(dsnKey, e instanceof DsnError ? e.message : String(e));
      }
    }
    const out: DbSettings = {
      host: ep.host ?? this.host(hostKey, 'localhost') ?? 'localhost',
      port: ep.port ?? this.port(portKey, 3306),
      user: this.string(userKey) ?? ep.user ?? defUser,
      password: this.get(passKey) ?? ep.password ?? '',
    };
    if (ep.socketPath !== undefined) out.socketPath = ep.socketPath;
    if (ep.database !== undefined) out.database = ep.database;
    return out;
  }

  // ---- viewers --------------------------------------------------------------------------------

  get viewer(): {
    masterViewer: string;
    masterViewerType: PlatformType;
    timeoutFrequencyMinutes: number;
    timeoutDurationSeconds: number;
    timeoutLastlogSeconds: number;
    vmipLookupAttempts: number;
    vmipLookupSleepSeconds: number;
  } {
    return {
      masterViewer: this.string('master.viewer', 'codedx-3.5.5-viewer'),
      masterViewerType: this.string('master.viewer.type') === 'DC' ? 'DC' : 'VM',
      timeoutFrequencyMinutes: this.int('vruntimeout_frequency', 10, { min: 1 }),
      timeoutDurationSeconds: this.int('vruntimeout_duration', 28800, { min: 0 }),
      timeoutLastlogSeconds: this.int('vruntimeout_lastlog', 3600, { min: 0 }),
      vmipLookupAttempts: this.int('vmip_lookup_attempts', 10, { min: 1 }),
      vmipLookupSleepSeconds: this.int('vmip_lookup_sleep', 1, { min: 0 }),
    };
  }

  // ---- files handed to us -----------------------------------------------------------------------

  /**
   * The budget of every archive we unpack or read (docs/files.md): `archive_max_bytes` (4 GiB),
   * `archive_max_entries` (200000), `archive_max_ratio` (200: inflated bytes per archive byte, checked
   * past 64 MiB), `archive_max_member_bytes` (4 MiB: one file held in memory, e.g. status.out for a
   * report). Sizes accept a K/M/G suffix (powers of 1024).
   */
  get archiveBudget(): { maxBytes: number; maxEntries: number; maxRatio: number; maxMemberBytes: number } {
    return {
      maxBytes: this.size('archive_max_bytes', 4 * 1024 ** 3),
      maxEntries: this.int('archive_max_entries', 200_000, { min: 1 }),
      maxRatio: this.int('archive_max_ratio', 200, { min: 1 }),
      maxMemberBytes: this.size('archive_max_member_bytes', 4 * 1024 ** 2),
    };
  }

  /** A byte count: digits with an optional K, M or G suffix (powers of 1024); at least 1. */
  size(key: string, def: number): number {
    const v = this.string(key);
    if (v === undefined) return def;
    const m = /^\s*(\d+)\s*([KMG]?)i?B?\s*$/i.exec(v);
    if (!m) throw this.invalid(key, `expected a size such as 512M, got ${JSON.stringify(v)}`);
    const n = Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] ?? '').toUpperCase() || ' ');
    if (!Number.isSafeInteger(n) || n < 1) throw this.invalid(key, `${v.trim()} is out of range`);
    return n;
  }

  // ---- misc -----------------------------------------------------------------------------------

  get sonatypeIntegrator(): string {
    return this.string('sonatype_integrator', 'SWAMP');
  }

  get swampApiWebServer(): string {
    return this.string('swamp_api_web_server', 'HOSTNAME');
  }

  /** Legacy XML-RPC daemons (kept for tools that still talk to a Perl submit node). */
  get launchPad(): { host: string; port: number } {
    return { host: this.host('launchPadHost', 'localhost') ?? 'localhost', port: this.port('launchPadPort', 8085) };
  }

  get agentMonitor(): { host: string; port: number } {
    return { host: this.host('agentMonitorHost', 'localhost') ?? 'localhost', port: this.port('agentMonitorPort', 8084) };
  }
}
