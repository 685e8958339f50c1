/**
 * PreViewer's run-params.sh (mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl), written by code instead of `echo … >> file`
 * through a shell: the file is sourced by the viewer machine's run.sh, so every value is shell-quoted
 * here (a plain value is written bare, as the legacy's shell left it; anything else in single quotes),
 * and no BOG value can inject a command. Pure.
 */
import type { PlatformKind } from './settings.js';

/** `value` as one shell word: bare when it is plain, else single-quoted ('\'' for a quote). */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,=-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RunParamsShInput {
  platform: PlatformKind;
  /** Absolute scratch directory ($_CONDOR_SCRATCH_DIR, which the legacy's shell expanded). */
  scratch: string;
  urluuid: string;
  apikey: string;
  viewer: string;
  timeout: { frequency: number; duration: number; lastlog: number };
}

/** The `export NAME=value` lines, in the legacy order. */
export function runParamsSh(i: RunParamsShInput): string {
  const vm = i.platform === 'vm';
  const inDir = vm ? '/mnt/in' : `${i.scratch}/in`;
  const outDir = vm ? '/mnt/out' : `${i.scratch}/out`;
  const vars: [string, string][] = [
    ['PROJECT', i.urluuid],
    ['APIKEY', i.apikey],
    ['JOB_INPUT_DIR', inDir],
    ['JOB_OUTPUT_DIR', outDir],
    ['SWAMP_EVENT_FILE', vm ? '/dev/ttyS1' : `${outDir}/job_events.log`],
    ['IP_ADDR_FILE', vm ? '/dev/ttyS2' : `${outDir}/job_ip_address.txt`],
    ['SWAMP_LOG_FILE', `${outDir}/run.out`],
    ['TOMCAT_LOG_DIR', '/opt/tomcat/logs'],
    ['SKIPPED_BUNDLE', `${outDir}/skippedbundle`],
    ['VIEWER', i.viewer],
    ['VIEWER_STARTEPOCH_FILE', `${outDir}/run.epoch`],
    ['CHECKTIMEOUT_FREQUENCY', String(i.timeout.frequency)],
    ['CHECKTIMEOUT_DURATION', String(i.timeout.duration)],
    ['CHECKTIMEOUT_LASTLOG', String(i.timeout.lastlog)],
    ['MACHINE_SHUTDOWN_COMMAND', vm ? '/sbin/shutdown -h now' : 'supervisorctl shutdown'],
  ];
  return vars.map(([k, v]) => `export ${k}=${shellWord(v.replace(/[\r\n]+/g, ' '))}\n`).join('');
}

/** Where run-params.sh goes: in/ for a VM (it becomes the input disk), the scratch dir for containers. */
export function runParamsShPath(platform: PlatformKind, scratch: string): string {
  return platform === 'vm' ? `${scratch}/in/run-params.sh` : `${scratch}/run-params.sh`;
}

/** The CodeDX files a non-baked viewer image gets in in/ (from <thirdparty>/codedx/...). */
export const CODEDX_FILES = [
  'codedx.war',
  'emptydb-codedx.sql',
  'emptydb-mysql-codedx.sql',
  'flushprivs.sql',
  'resetdb-codedx.sql',
  'backup_viewerdb.sh',
  'logback.xml',
  'codedx.props',
] as const;

/** `codedx-<version>.war` from version.properties text, or undefined. */
export function codedxVersion(versionProperties: string): string | undefined {
  const m = /^\s*version\s*[=:]\s*(\S+)\s*$/m.exec(versionProperties);
  return m && m[1] !== undefined ? `codedx-${m[1]}.war` : undefined;
}

/** The last event word of out/job_events.log (non-printables removed); undefined when there is none. */
export function lastEventWord(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split('\n').map((l) => l.replace(/[^\x21-\x7e]/g, '')).filter((l) => l !== '');
  return lines[lines.length - 1];
}

/** PostViewer: the viewer never came up (no word, or a SHUTDOWN word other than the idle timeout's). */
export function viewerDidNotStartWord(word: string | undefined): boolean {
  return word === undefined || (word.includes('SHUTDOWN') && word !== 'TIMERSHUTDOWN');
}

/** `codedx_viewerdb_<YYYYmmddHHMMSS>.tar.gz` in local time, as strftime did. */
export function viewerDbBundleName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `codedx_viewerdb_${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.tar.gz`;
}
