/**
 * The positional arguments HTCondor passes to the job hooks (legacy vmu_perl_launcher +
 * getStandardParameters, mirswamp/services perl/agents/vmu_perl_launcher) [COMPAT]:
 *
 *   <Name> <execrunuid> <owner> <uiddomain> <clusterid> <procid> [<numjobstarts>] [<debug>]
 *
 * Pure: validation and derived names only. Every value ends up in a file name, a ClassAd or a DB
 * call, so each one is checked against an allowlist here, before anything else runs.
 */
import { ValidationError } from '../errors/index.js';
import { describeValue, parseRunId } from '../cli/ids.js';
import { machineHostname } from '../status/ads.js';

export const HOOK_NAMES = ['PreAssessment', 'PostAssessment', 'PreViewer', 'PostViewer'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The monitor is started by the Pre hooks under these names (the legacy script names without vmu_). */
export const MONITOR_NAMES = ['MonitorAssessment', 'MonitorViewer'] as const;
export type MonitorName = (typeof MONITOR_NAMES)[number];

export type RunFamily = 'assessment' | 'metric' | 'viewer';

export interface JobArgs {
  execrunuid: string;
  owner: string;
  uiddomain: string;
  clusterId: string;
  procId: string;
  /** NumJobStarts of the job ad when the hook runs (0 on the first start). */
  numJobStarts: number;
  debug: boolean;
  family: RunFamily;
  /** `aswamp|mswamp|vswamp-<cluster>-<proc>`. */
  vmhostname: string;
  /** libvirt domain `<owner>_<uiddomain>_<cluster>.<proc>` (VM platform). */
  vmDomain: string;
  /** `<id>` of the job log name: execrunuid without `vrun_` and `_CodeDX` (the project uuid for viewers). */
  logId: string;
}

// Login names and HTCondor UID_DOMAIN values: conservative allowlists (they reach a virsh argument).
const OWNER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const DOMAIN_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;
const INT_RE = /^\d{1,10}$/;

function field(re: RegExp, value: string | undefined, what: string): string {
  if (value === undefined || !re.test(value)) throw new ValidationError(`invalid ${what}: ${describeValue(value)}`, { what });
  return value;
}

/**
 * Parses `<execrunuid> <owner> <uiddomain> <clusterid> <procid> [numjobstarts] [debug]` (the hook
 * or monitor name already removed). NumJobStarts arrives as HTCondor expands `$$([NumJobStarts])`;
 * an unexpanded or absent value counts as 0, as the Perl's `$numjobstarts > 0` test did.
 */
export function parseJobArgs(argv: readonly string[]): JobArgs {
  if (argv.length < 5 || argv.length > 7) {
    throw new ValidationError(`expected <execrunuid> <owner> <uiddomain> <clusterid> <procid> [numjobstarts] [debug], got ${argv.length} arguments`);
  }
  const run = parseRunId(argv[0]);
  const owner = field(OWNER_RE, argv[1], 'owner');
  const uiddomain = field(DOMAIN_RE, argv[2], 'uid domain');
  const clusterId = field(INT_RE, argv[3], 'cluster id');
  const procId = field(INT_RE, argv[4], 'proc id');
  const rawStarts = argv[5];
  const numJobStarts = rawStarts !== undefined && INT_RE.test(rawStarts) ? Number(rawStarts) : 0;
  const debug = argv[6] !== undefined && argv[6] !== '' && argv[6] !== '0';
  const family: RunFamily = run.type === 'vrun' ? 'viewer' : run.type === 'mrun' ? 'metric' : 'assessment';
  return {
    execrunuid: run.id,
    owner,
    uiddomain,
    clusterId,
    procId,
    numJobStarts,
    debug,
    family,
    vmhostname: machineHostname(run.id, clusterId, procId),
    vmDomain: `${owner}_${uiddomain}_${clusterId}.${procId}`,
    logId: jobLogId(run.id),
  };
}

/** vmu_perl_launcher: `s/vrun_//; s/_CodeDX//` on the execrunuid. */
export function jobLogId(execrunuid: string): string {
  return execrunuid.replace('vrun_', '').replace('_CodeDX', '');
}

/** `<id>_<clusterid>`: the per-job log's base name (the file is `<logDir>/<id>_<clusterid>.log`). */
export function jobLogName(a: Pick<JobArgs, 'logId' | 'clusterId'>): string {
  return `${a.logId}_${a.clusterId}`;
}

export function isHookName(s: string | undefined): s is HookName {
  return (HOOK_NAMES as readonly string[]).includes(s ?? '');
}

export function isMonitorName(s: string | undefined): s is MonitorName {
  return (MONITOR_NAMES as readonly string[]).includes(s ?? '');
}

/** The hook must match the run family: assessment hooks for arun/mrun ids, viewer hooks for vrun ids. */
export function checkFamily(name: HookName | MonitorName, a: JobArgs): void {
  const viewerHook = name.endsWith('Viewer');
  if (viewerHook !== (a.family === 'viewer')) {
    throw new ValidationError(`${name} called for a ${a.family} run ${a.execrunuid}`);
  }
}
