/**
 * PostAssessment (legacy mirswamp/services perl/agents/vmu_PostAssessment.pl): runs after the machine stopped.
 * Preserves in/ and out/ in `<resultsFolder>/<execrunuid>/`, finds the results, records them
 * (insert_results, or the metric_run row), and writes the final status to the collector and the DB.
 * The exit code is HTCondor's: 5 asks for another start (only while a retry remains), 0 otherwise.
 */
import { closeSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readBogFile } from '../bog/index.js';
import type { ArchiveBudget } from '../files/budget.js';
import { copyOutOf, openInside, readInside, writeInside } from '../files/sandbox.js';
import { copyTarMember } from '../files/tar.js';
import { resultUuidFor } from '../outbox/rules.js';
import { dirAccess } from '../native/failed-report.js';
import { generateStatusList, parseProperties, serializeReport } from '../native/status-out.js';
import { assessmentStatusAd } from '../status/ads.js';
import { AssessmentStatus, withRetry } from '../status/catalogue.js';
import { tarDirectory } from './archive.js';
import { directorySize, sha512File, type HookContext } from './context.js';
import { isSonatypeTool } from './inputs.js';
import { finalDecision, statusOutFacts } from './outcome.js';
import { notifyCompletion } from './notify.js';
import { metricLineCounts } from './metric.js';
import { platformOf } from './settings.js';
import { extractOutputDisk } from './vm.js';

export const INPUT_ARCHIVE = 'inputdisk.tar.gz';
export const OUTPUT_ARCHIVE = 'outputdisk.tar.gz';
/** insert_results.status_out_in is VARCHAR(3000). */
const STATUS_OUT_MAX = 3000;

/*
 * Everything under the scratch dir (in/, out/) was written by the job: it is read only through
 * lib/files/sandbox.ts (no symlink out of the scratch dir, regular files only, at most
 * archive_max_member_bytes held in memory), and copied out the same way.
 */

/** A job file as text (its first maxMemberBytes bytes), or undefined when missing or refused. */
function readJobText(ctx: HookContext, path: string): string | undefined {
  return readInside(ctx.paths.scratch, path, ctx.settings.archiveBudget.maxMemberBytes)?.data.toString('utf8');
}

function readConf(ctx: HookContext, path: string): Map<string, string> | undefined {
  const t = readJobText(ctx, path);
  return t === undefined ? undefined : parseProperties(t);
}

/** Copies a job file to `dest`, refusing a symlink out of the scratch dir and anything not a regular file. */
function copyJobFile(ctx: HookContext, path: string, dest: string): void {
  copyOutOf(ctx.paths.scratch, path, dest);
}

/** Runs `use` on the descriptor of a job archive opened inside the scratch dir; null when missing or refused. */
async function withJobArchive<T>(ctx: HookContext, path: string, use: (fd: number, budget: ArchiveBudget) => Promise<T>): Promise<T | null> {
  let fd: number;
  try {
    fd = openInside(ctx.paths.scratch, path).fd;
  } catch (e) {
    ctx.log.warn('job archive not readable', { path, error: e });
    return null;
  }
  try {
    return await use(fd, ctx.settings.archiveBudget);
  } finally {
    closeSync(fd);
  }
}

export interface PreservedData {
  ok: boolean;
  packageArchive: string | undefined;
  logFile: string | undefined;
}

/** Step 5: archives of in/ and out/, status.out, run.out and the package archive into the results folder. */
export async function preserveAssessmentData(ctx: HookContext, resultsDir: string): Promise<PreservedData> {
  const { paths, log } = ctx;
  let ok = true;
  const fail = (msg: string, e?: unknown): void => {
    ok = false;
    log.error(msg, e === undefined ? undefined : { error: e });
  };
  try {
    await tarDirectory(join(resultsDir, INPUT_ARCHIVE), paths.scratch, 'in');
  } catch (e) {
    fail('tar of in/ failed', e);
  }
  let versions: Buffer | undefined;
  try {
    versions = readFileSync(join(ctx.settings.etcDir, 'versions.txt'));
  } catch {
    log.info('no versions.txt to add to out/');
  }
  if (versions !== undefined) {
    try {
      // out/ is the job's: a symlink planted at out/versions.txt is replaced, never written through
      writeInside(paths.scratch, 'out/versions.txt', versions);
    } catch (e) {
      log.warn('versions.txt not added to out/', { error: e });
    }
  }
  try {
    await tarDirectory(join(resultsDir, OUTPUT_ARCHIVE), paths.scratch, 'out');
  } catch (e) {
    fail('tar of out/ failed', e);
  }
  try {
    copyJobFile(ctx, 'out/status.out', join(resultsDir, 'status.out'));
  } catch (e) {
    fail('status.out not found', e);
  }
  let logFile: string | undefined;
  try {
    copyJobFile(ctx, 'out/run.out', join(resultsDir, 'run.out'));
    logFile = join(resultsDir, 'run.out');
  } catch (e) {
    fail('run.out not found', e);
  }
  let packageArchive: string | undefined;
  const name = readConf(ctx, 'in/package.conf')?.get('package-archive');
  if (!name || name.includes('/') || name === '..' || name === '.') fail('package-archive not found in in/package.conf');
  else {
    try {
      copyJobFile(ctx, `in/${name}`, join(resultsDir, name));
      packageArchive = join(resultsDir, name);
    } catch (e) {
      fail(`package archive in/${name} not found`, e);
    }
  }
  return { ok, packageArchive, logFile };
}

export interface PreservedResults {
  ok: boolean;
  haveResults: boolean;
  resultFile: string;
}

/**
 * Step 7: the result file. SCARF (parsed_results archive) for most tools, the AHC archive for Sonatype;
 * without results, or when the framework did not pass, the error results archive is kept and the
 * output archive becomes the result file.
 */
export async function preserveAssessmentResults(ctx: HookContext, bog: Readonly<Record<string, string>>, pass: boolean, resultsDir: string): Promise<PreservedResults> {
  const log = ctx.log;
  let haveResults = false;
  let resultFile = '';
  /** `<archiveKey>` and `<dirKey>` of out/<confName>: where `fileName` is in which archive of out/. */
  const where = (confName: string, archiveKey: string, dirKey: string, fileName: string | undefined): { archive: string; member: string } | null => {
    const conf = readConf(ctx, `out/${confName}`);
    const archive = conf?.get(archiveKey);
    const dir = conf?.get(dirKey);
    if (!conf || !archive || !dir || !fileName || archive.includes('/') || archive === '..') return null;
    return { archive: `out/${archive}`, member: `${dir}/${fileName}` };
  };
  /** Streams a member of an archive of out/ into `dest` (results can be hundreds of MB: never held). */
  const saveMember = async (w: { archive: string; member: string } | null, dest: string): Promise<boolean> => {
    if (w === null) return false;
    try {
      return (await withJobArchive(ctx, w.archive, (fd, budget) => copyTarMember(fd, w.member, dest, budget))) === true;
    } catch (e) {
      log.error('result member not extracted', { archive: w.archive, member: w.member, error: e });
      return false;
    }
  };
  if (isSonatypeTool(bog)) {
    const name = readConf(ctx, 'out/results.conf')?.get('ahc-results-archive');
    if (name) {
      const dest = join(resultsDir, basename(name));
      if (await saveMember(where('results.conf', 'results-archive', 'results-dir', name), dest)) {
        resultFile = dest;
        haveResults = true;
      }
    }
  } else {
    const conf = readConf(ctx, 'out/parsed_results.conf');
    const name = conf?.get('parsed-results-file');
    if (name) {
      const dest = join(resultsDir, basename(name));
      if (await saveMember(where('parsed_results.conf', 'parsed-results-archive', 'parsed-results-dir', name), dest)) {
        resultFile = dest;
        haveResults = true;
        // streamed like the result file (a weaknesses.txt is never cut at archive_max_member_bytes)
        for (const extra of ['weaknesses.txt', 'weakness_count.out']) {
          await saveMember(where('parsed_results.conf', 'parsed-results-archive', 'parsed-results-dir', extra), join(resultsDir, extra));
        }
      }
    }
  }
  log.info('results', { haveResults, resultFile });
  let ok = true;
  if (!haveResults || !pass) {
    try {
      copyJobFile(ctx, 'out/results.tar.gz', join(resultsDir, 'results.tar.gz'));
    } catch (e) {
      log.error('out/results.tar.gz not found', { error: e });
      ok = false;
    }
    resultFile = join(resultsDir, OUTPUT_ARCHIVE);
  }
  return { ok, haveResults, resultFile };
}

async function copyInto(dir: string, file: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const dest = join(dir, basename(file));
  await copyFile(file, dest);
  return dest;
}

/** Perl's trim (`s/^\s+//; s/\s+$//` on bytes): ASCII white space only, unlike String#trim. */
export function perlTrim(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+/, '').replace(/[ \t\n\v\f\r]+$/, '');
}

/**
 * status_out as the legacy passed it: the status.out text trimmed (parse_statusOutLines joins the
 * chomped lines and trims), NULL without a status.out; cut at the parameter's 3000 characters.
 */
export function statusOutValue(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = perlTrim(text);
  return t.length > STATUS_OUT_MAX ? t.slice(0, STATUS_OUT_MAX) : t;
}

export interface SaveInput {
  resultFile: string;
  /** `<resultsDir>/outputdisk.tar.gz`; kept beside the result unless it is the result. */
  outArchive: string;
  packageArchive: string | undefined;
  logFile: string | undefined;
  report: string | undefined;
  weaknesses: number | undefined;
  locSum: number;
  /** status.out text, undefined when there was none. */
  statusOut: string | undefined;
  firstFailure: string | null;
}

/** A file the save needs; like the legacy's copy() of '' or of a missing file, its absence fails the save. */
function required(path: string | undefined, what: string): string {
  if (path === undefined || path === '') throw new Error(`${what} is missing`);
  return path;
}

/**
 * Step 8 (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm saveAssessmentResult,
 * saveMetricResult): copy into the project (or metric) store and record the result in the DB; true on
 * success. As the legacy, in this order, each copy failing the save before the DB is called:
 * the result file, the output archive (only logged when it cannot be copied), the package archive,
 * the assessment report, run.out into A-Logs. Metric runs keep the result, the output archive and
 * the report. The output archive beside the result is what the Native viewer's warnings report reads.
 */
export async function saveResults(ctx: HookContext, bog: Readonly<Record<string, string>>, r: SaveInput): Promise<boolean> {
  const { args, settings, log } = ctx;
  const statusOut = statusOutValue(r.statusOut);
  const keepOutArchive = async (dir: string): Promise<void> => {
    if (r.outArchive === r.resultFile) return;
    try {
      await copyInto(dir, r.outArchive);
    } catch (e) {
      log.warn(`copy of ${r.outArchive} to ${dir} failed`, { error: e });
    }
  };
  if (args.family === 'metric') {
    const dir = join(settings.metricsFolder, args.execrunuid);
    const path = await copyInto(dir, r.resultFile);
    await keepOutArchive(dir);
    await copyInto(dir, required(r.report, 'the assessment report'));
    const rs = await ctx.db.saveMetricResult(args.execrunuid, { resultPath: path, resultChecksum: await sha512File(path), statusOut, statusOutErrorMsg: r.firstFailure });
    log.info('metric result saved', { path, rows: rs });
    return rs === 1;
  }
  const projectId = bog.projectid ?? '';
  if (!/^[0-9A-Za-z-]{1,64}$/.test(projectId)) throw new Error(`BOG projectid ${JSON.stringify(projectId)} is not a project uuid`);
  // from the run and the start, not random: a replayed or repeated PostAssessment records one row
  const resultUuid = resultUuidFor(args.execrunuid, args.numJobStarts);
  const resultsDir = join(settings.projectsFolder, projectId, 'A-Results', resultUuid);
  const logsDir = join(settings.projectsFolder, projectId, 'A-Logs', resultUuid);
  const resultPath = await copyInto(resultsDir, r.resultFile);
  await keepOutArchive(resultsDir);
  const sourcePath = await copyInto(resultsDir, required(r.packageArchive, 'the package archive'));
  await copyInto(resultsDir, required(r.report, 'the assessment report'));
  const logPath = await copyInto(logsDir, required(r.logFile, 'run.out'));
  const rs = await ctx.db.insertResults({
    executionRecordUuid: args.execrunuid,
    assessmentResultUuid: resultUuid,
    resultPath,
    resultChecksum: await sha512File(resultPath),
    sourceArchivePath: sourcePath,
    sourceArchiveChecksum: await sha512File(sourcePath),
    logPath,
    logChecksum: await sha512File(logPath),
    weaknessCount: r.weaknesses ?? -1,
    linesOfCode: r.locSum,
    statusOut,
    statusOutErrorMsg: r.firstFailure,
  });
  log.info('insert_results', { result: rs, resultUuid, resultPath });
  return rs === 'SUCCESS';
}

export async function postAssessment(ctx: HookContext): Promise<number> {
  const { args, log, paths, settings } = ctx;
  const sfx = (t: string): string => withRetry(t, args.numJobStarts, settings.maxRetries);
  await ctx.stopMonitor();
  let bog: Record<string, string> = {};
  try {
    bog = readBogFile(join(paths.scratch, `${args.execrunuid}.bog`));
  } catch (e) {
    log.error('BOG not readable', { error: e });
  }
  const userUuid = bog.userid || 'null';
  const projectId = bog.projectid || 'null';
  const publish = (status: string): Promise<void> =>
    ctx.publisher
      .publish(assessmentStatusAd({ execrunuid: args.execrunuid, vmhostname: args.vmhostname, status, userUuid, projectId }))
      .catch((e: unknown) => log.error('advertise failed', { status, error: e }));

  await publish(sfx(AssessmentStatus.Extracting));
  if (platformOf(bog) === 'vm') {
    try {
      await ctx.checkTools(['guestfish']);
      await ctx.runTool(extractOutputDisk('out'), paths.scratch);
    } catch (e) {
      log.error('output disk extraction failed', { error: e });
      await publish(sfx(AssessmentStatus.FailedToExtract));
    }
  }

  await publish(sfx(AssessmentStatus.PostProcessing));
  const statusOut = readJobText(ctx, 'out/status.out');
  const facts = statusOutFacts(statusOut);
  log.info('status.out', { found: facts.found, pass: facts.pass, retry: facts.retry, weaknesses: facts.weaknesses, firstFailure: facts.firstFailure });
  if (!facts.pass) {
    const runOut = readJobText(ctx, 'out/run.out');
    if (runOut !== undefined) log.info('run.out of a run that did not pass', { runOut: runOut.slice(-8192) });
  }

  const resultsRoot = bog.resultsfolder || settings.resultsFolder;
  const resultsDir = join(resultsRoot, args.execrunuid);
  let data: PreservedData = { ok: false, packageArchive: undefined, logFile: undefined };
  let results: PreservedResults = { ok: false, haveResults: false, resultFile: join(resultsDir, OUTPUT_ARCHIVE) };
  let report: string | undefined;
  let locSum = -1;
  try {
    await mkdir(resultsDir, { recursive: true });
    data = await preserveAssessmentData(ctx, resultsDir);
    if (!data.ok) await publish(sfx(AssessmentStatus.FailedToPreserveData));
    else if (/synopsys|coverity/i.test(bog.toolname ?? '') && data.packageArchive) locSum = await ctx.linesOfCode(data.packageArchive);
    try {
      report = join(resultsDir, 'assessment-report.json');
      await writeFile(report, serializeReport(await generateStatusList(dirAccess(paths.outDir, settings.archiveBudget))));
    } catch (e) {
      log.error('assessment-report.json failed', { error: e });
      report = undefined;
    }
    results = await preserveAssessmentResults(ctx, bog, facts.pass, resultsDir);
    if (!results.ok) await publish(sfx(AssessmentStatus.FailedToPreserveResults));
    else if (results.haveResults && args.family === 'metric' && /cloc/i.test(bog.toolname ?? '')) {
      const counts = await metricLineCounts(results.resultFile);
      if (counts) await ctx.db.updateMetricLineCounts(args.execrunuid, counts);
    }
  } catch (e) {
    log.error('preserving the assessment failed', { error: e });
    await publish(sfx(AssessmentStatus.FailedToPreserveResults));
  }

  await publish(sfx(AssessmentStatus.SavingResults));
  let saved = false;
  try {
    saved = await saveResults(ctx, bog, {
      resultFile: results.resultFile,
      outArchive: join(resultsDir, OUTPUT_ARCHIVE),
      packageArchive: data.packageArchive,
      logFile: data.logFile,
      report,
      weaknesses: facts.weaknesses,
      locSum,
      statusOut,
      firstFailure: facts.firstFailure,
    });
  } catch (e) {
    log.error('saving the results failed', { error: e });
  }
  if (!saved) await publish(sfx(AssessmentStatus.FailedToSave));

  const d = finalDecision({ facts, haveResults: results.haveResults, savedInDb: saved, numJobStarts: args.numJobStarts, maxRetries: settings.maxRetries });
  const level = d.status.startsWith(AssessmentStatus.FinishedWithErrors) ? 'error' : 'info';
  log[level](`Assessment: ${args.execrunuid} ${d.status}`, { exitCode: d.exitCode });
  await publish(d.status);
  try {
    await ctx.db.updateStatus(args.execrunuid, d.status, true);
  } catch (e) {
    log.error('recording the final status failed', { error: e });
  }
  if (d.complete) {
    try {
      await ctx.db.setCompleteFlag(args.execrunuid, true);
    } catch (e) {
      log.warn('setting complete_flag failed', { error: e });
    }
    if (bog.notify_when_complete_flag === '1' || bog.notify_when_complete_flag === 'true') {
      if (settings.apiWebServer === undefined) log.error('assessment notification failed - no swamp_api_web_server in swamp.conf');
      else await notifyCompletion(settings.apiWebServer, args.execrunuid, log);
    }
  }
  try {
    await ctx.db.updateRun(args.execrunuid, { slot_size_end: String(await directorySize(paths.scratch)) });
  } catch (e) {
    log.warn('recording slot_size_end failed', { error: e });
  }
  log.info(`PostAssessment: ${args.execrunuid} Exit ${d.exitCode}`);
  return d.exitCode;
}
