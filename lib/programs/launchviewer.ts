/**
 * launchviewer, installed also as launch_viewer (the name the DB procedure calls through sys_eval):
 *
 *   launch_viewer --viewer_name 'Native' --results_type … --file_path … --outdir … [--package_name …]…
 *       synchronous file transform (lib/native/viewer.ts): prints exactly `nativereport.json`,
 *       `failedreport.json` or `index.html` (+ newline), or an ERROR line, or nothing; never detaches
 *   launch_viewer --viewer_name 'CodeDX' --project <uuid> [--viewer_uuid …] [--user_uuid …]
 *       [--viewer_db_path …] [--package … --source_archive_path … --package_type … --file_path …]…
 *       prints `SUCCESS`, detaches (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm runScriptDetached), and the worker launches the viewer job when none runs for the
 *       project and uploads the results once it is up (lib/viewer/launch.ts)
 *   any other viewer name (ThreadFix included): nothing on stdout, exit 1, so the DB reports
 *       'Error Launching Viewer' exactly as with the legacy (which supported only CodeDX and Native)
 *
 * A CodeDX request whose project or viewer name is not a valid id prints nothing (exit 2): the DB then
 * reports an error instead of a SUCCESS for a launch that cannot happen.
 */
import { argvTrust, detachOrContinue, exitCodeFor, parseArgv, runProgram, writeOut } from '../cli/index.js';
import { toSwampError, UsageError } from '../errors/index.js';
import { createLogger, nullLogger, type Logger } from '../log/index.js';
import { LAUNCHVIEWER_SPEC, viewerKind, viewerRequest, type LaunchViewerOptions } from '../viewer/options.js';
import { installedLogger } from './db-entry.js';

export async function main(argv: readonly string[], calledAs?: string): Promise<number> {
  let log: Logger = nullLogger;
  const fromDb = argvTrust(calledAs) === 'database';
  // runProgram (lib/cli/exit-codes.ts) maps what is thrown to the exit code, the log and one stderr line.
  return runProgram(async () => {
    let o: LaunchViewerOptions;
    if (fromDb) {
      // From the database: the installed config and the log first, so a refused argv is logged.
      log = await installedLogger('launchviewer');
      const { LAUNCHVIEWER_DB_SPEC } = await import('../viewer/db-argv.js');
      o = (await parseArgv(LAUNCHVIEWER_DB_SPEC, argv, { trust: 'database' })).options;
      await checkFromDatabase(o);
    } else {
      const parsed = await parseArgv(LAUNCHVIEWER_SPEC, argv);
      if (parsed.help !== undefined) {
        await writeOut(parsed.help);
        return 0;
      }
      o = parsed.options;
    }
    const kind = viewerKind(o.viewer_name);
    if (kind === 'native') return await native(o, fromDb);

    const { loadConfig, resolveConfigPath } = await import('../config/index.js');
    const configPath = resolveConfigPath(fromDb ? { only: 'installed' } : { path: o.config }).path;
    const config = loadConfig({ path: configPath });
    log = createLogger({ program: 'launchviewer', logDir: config.logDir, ...(o.debug ? { level: 'trace' } : {}) });

    if (kind === 'unsupported') {
      // Legacy: "viewer '<name>' not supported.", no output -> sys_eval NULL -> 'Error Launching Viewer'.
      log.error('viewer not supported', { viewer: o.viewer_name ?? null });
      return 1;
    }
    const { validateProjectId, validateViewerName } = await import('../cli/ids.js');
    let project: string;
    let viewer: string;
    try {
      if (o.project === undefined) throw new UsageError('CodeDX needs --project <project uuid>');
      project = validateProjectId(o.project);
      viewer = validateViewerName(o.viewer_name);
    } catch (e) {
      log.error('refused: invalid CodeDX request, nothing printed, nothing launched', { err: toSwampError(e) });
      throw e;
    }
    const req = viewerRequest(o, project, viewer);

    if (o.detached !== false) {
      const role = await detachOrContinue({
        logDir: config.logDir,
        contractOutput: 'SUCCESS',
        // The worker gets the resolved config path: it may start under another argv[0]. Under the
        // database's name it runs under that name again and finds the installed config by itself.
        args: fromDb ? [...argv] : [...argv, '--config', configPath],
        logger: log,
      });
      if (role === 'parent') return 0;
    }
    const { viewerSettings } = await import('../viewer/settings.js');
    const { realViewerOps } = await import('../viewer/condor.js');
    const { handleViewerRequest } = await import('../viewer/launch.js');
    const settings = viewerSettings(config, (call) => log.debug('htcondor call', { tool: call.tool, ms: Math.round(call.durationMs), outcome: call.outcome }));
    const r = await handleViewerRequest(req, { settings, ops: realViewerOps(settings), log });
    log.info('viewer request finished', { execrunid: r.execrunid, launch: r.launch, upload: r.upload, clusterId: r.clusterId });
    if (r.error !== undefined && (r.launch === 'failed' || r.launch === 'lookup-failed')) return exitCodeFor(r.error) || 1;
    return r.upload === 'failed' || r.upload === 'timeout' ? 1 : 0;
  }, { program: 'launchviewer', logger: () => log, ...(fromDb ? { fromDatabase: { nothing: 'nothing printed, nothing launched', argv } } : {}) });
}

/**
 * Under launch_viewer: every value's shape (lib/viewer/db-argv.ts), then the facts that carry authority
 * against the database (lib/viewer/authority.ts). ThreadFix and other names need no DB: they are refused
 * later exactly as the legacy did. Throws a ValidationError/UsageError (exit 2) on the first bad value.
 */
async function checkFromDatabase(o: LaunchViewerOptions): Promise<void> {
  const { loadConfig } = await import('../config/index.js');
  const { checkDatabaseViewerArgv } = await import('../viewer/db-argv.js');
  const config = loadConfig({ only: 'installed' });
  checkDatabaseViewerArgv(o, { data: config.dataRoots, outgoing: config.outgoingRoots });
  const kind = viewerKind(o.viewer_name);
  if (kind === 'unsupported') return;
  const { launchSettings } = await import('../submission/settings.js');
  const { withDb } = await import('../db/index.js');
  const { checkCodeDxAuthority, checkNativeAuthority } = await import('../viewer/authority.js');
  await withDb(launchSettings(config).db, (db) => (kind === 'native' ? checkNativeAuthority(db, o) : checkCodeDxAuthority(db, o)));
}

/** Native: the transform's output verbatim (the DB's return value), its exit code; never detached. */
async function native(o: LaunchViewerOptions, fromDb: boolean): Promise<number> {
  // The configuration gives the log dir and `<swampDir>/etc` (Scarf_ToolList.json); without one the
  // transform still runs, with the legacy's fixed /opt/swamp/etc, and logs nothing.
  let config: import('../config/index.js').SwampConfig | undefined;
  try {
    const { loadConfig } = await import('../config/index.js');
    config = fromDb ? loadConfig({ only: 'installed' }) : loadConfig({ path: o.config });
  } catch {
    config = undefined;
  }
  const { runNativeViewer } = await import('../native/viewer.js');
  // The archive budget of swamp.conf (docs/files.md); the defaults without a config or with a bad value.
  let budget: import('../files/budget.js').ArchiveBudget | undefined;
  try {
    budget = config?.archiveBudget;
  } catch {
    budget = undefined;
  }
  const r = await runNativeViewer({
    budget,
    results_type: o.results_type,
    package_type: o.package_type,
    file_path: o.file_path,
    outdir: o.outdir,
    package_name: o.package_name,
    package_version: o.package_version,
    tool_name: o.tool_name,
    tool_version: o.tool_version,
    platform_name: o.platform_name,
    platform_version: o.platform_version,
    start_date: o.start_date,
    end_date: o.end_date,
    user_uuid: o.user_uuid,
    etcDir: config?.etcDir ?? '/opt/swamp/etc',
  });
  if (r.output !== null && r.output !== '') await writeOut(r.output);
  // Diagnostics go to the log file, never stdout (the DB's value) nor stderr (mysqld's error log).
  if (config !== undefined) {
    try {
      const log = createLogger({ program: 'launchviewer', logDir: config.logDir, ...(o.debug ? { level: 'trace' } : {}) });
      const line = r.ok ? log.info.bind(log) : log.error.bind(log);
      line('native viewer', { fileName: r.ok ? r.fileName : null, exitCode: r.exitCode, messages: r.messages.slice(0, 50) });
    } catch {
      /* no log: the output above is what counts */
    }
  }
  return r.exitCode;
}
