/**
 * monitorjob: follows a job's event file and publishes its status to the SWAMP collector
 * (legacy vmu_MonitorAssessment.pl / vmu_MonitorViewer.pl, mirswamp/services perl/agents/vmu_MonitorAssessment.pl, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl).
 *   monitorjob MonitorAssessment|MonitorViewer <execrunuid> <owner> <uiddomain> <clusterid> <procid> [<numjobstarts>]
 * Started detached by the Pre hooks in the job's scratch directory; logs to the per-job log. The event
 * protocol, word tables and timers are lib/monitor's; this entry wires the real collector publisher,
 * the DB updates the legacy monitor made (vm_ip_address, vm_password = ''), `virsh` for vm jobs, and
 * "the job is over" = the scratch directory is gone. Ends on INT/TERM, ENDASSESSMENT/VIEWERDOWN, or
 * when the job ends; exit 0 (the legacy's, nobody reads it).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readBogFile } from '../bog/index.js';
import { loadConfig } from '../config/index.js';
import { checkFamily, isMonitorName, parseJobArgs, MONITOR_NAMES } from '../hooks/args.js';
import { condorAdvertisePublisher } from '../hooks/collector.js';
import { scratchPaths } from '../hooks/context.js';
import { realHookDb } from '../hooks/db.js';
import { viewerAdOptionsOf } from '../status/ads.js';
import { DEFAULT_PATH, jobLogger } from '../hooks/runtime.js';
import { hookSettings, platformOf } from '../hooks/settings.js';
import { reopenLogFiles } from '../log/index.js';
import { defaultMonitorConfig, runMonitor } from '../monitor/index.js';
import type { VmCommandRunner } from '../monitor/types.js';
import { run } from '../proc/run.js';
import { retrySuffix } from '../status/catalogue.js';

/** `sudo virsh reset|shutdown <domain>` and the legacy success patterns. */
export function virshRunner(domain: string): VmCommandRunner {
  return async (command) => {
    const r = await run('sudo', ['-n', 'virsh', command, domain], { timeoutMs: 60_000, okExitCodes: [0, 1] });
    const out = r.stdout + r.stderr;
    return command === 'reset' ? /Domain.*was reset/.test(out) : /Domain.*is being shutdown/.test(out);
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (name === '--help' || name === '-h') {
    process.stdout.write(
      `usage: monitorjob MonitorAssessment|MonitorViewer <execrunuid> <owner> <uiddomain> <clusterid> <procid> <numjobstarts>\n` +
        `Started detached by the Pre hooks in the job's scratch dir: follows out/job_events.log and publishes\n` +
        `the job's status ClassAds (docs/monitor.md). Ends on INT/TERM or when the job ends.\n`,
    );
    return 0;
  }
  if (!isMonitorName(name)) {
    process.stderr.write(`monitorjob: first argument must be one of ${MONITOR_NAMES.join('|')}, got ${JSON.stringify(name ?? '')}\n`);
    return 2;
  }
  if (!process.env.PATH) process.env.PATH = DEFAULT_PATH;
  const scratch = process.cwd();
  let args;
  let config;
  try {
    args = parseJobArgs(argv.slice(1));
    checkFamily(name, args);
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`monitorjob: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const log = jobLogger(config, args, name);
  // A viewer's monitor runs for days: SIGHUP (e.g. from a logrotate postrotate) reopens the job log
  // at once; without it the next line notices the rotation anyway (lib/log). The default action of
  // SIGHUP would end the monitor.
  process.on('SIGHUP', () => reopenLogFiles());
  const settings = hookSettings(config);
  const paths = scratchPaths(scratch);
  let bog: Record<string, string> = {};
  try {
    bog = readBogFile(join(scratch, `${args.execrunuid}.bog`));
  } catch (e) {
    log.warn('BOG not readable; ads carry null user/project', { error: e });
  }
  const platform = platformOf(bog);
  const kind = args.family === 'viewer' ? 'viewer' : 'assessment';
  const monitorConfig = defaultMonitorConfig({
    kind,
    platform,
    execrunuid: args.execrunuid,
    vmhostname: args.vmhostname,
    userUuid: bog.userid || 'null',
    projectId: bog.projectid || 'null',
    retrySuffix: kind === 'assessment' ? retrySuffix(args.numJobStarts, settings.maxRetries) : '',
    viewerOptions: { ...viewerAdOptionsOf(bog), vmhostname: bog.vmhostname || args.vmhostname },
  });
  const db = realHookDb(config);
  const result = await runMonitor({
    config: monitorConfig,
    eventFile: paths.eventFile,
    ipFile: paths.ipFile,
    publisher: condorAdvertisePublisher(config),
    logger: log,
    ...(kind === 'assessment' ? { recorder: { updateRun: async (fields) => void (await db.updateRun(args.execrunuid, fields)) } } : {}),
    ...(platform === 'vm' ? { vmCommand: virshRunner(args.vmDomain) } : {}),
    // HTCondor removes the scratch directory when the job is over: nothing left to follow.
    jobEnded: async () => {
      try {
        await stat(scratch);
        return false;
      } catch {
        return true;
      }
    },
    ipLookupAttempts: settings.vmipLookupAttempts,
    ipLookupSleepMs: settings.vmipLookupSleepMs,
  });
  log.info('monitorjob exit', { reason: result.reason, words: result.words, published: result.published, publishFailures: result.publishFailures });
  return 0;
}
