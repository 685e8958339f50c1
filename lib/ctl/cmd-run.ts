/**
 * `swampctl run <id>`: one run's whole story (kubectl describe style). HTCondor calls: one condor_q,
 * one condor_history, one condor_status, whatever the run's past; plus one `condor_q -better-analyze`
 * when its job is idle (why it does not run).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { colorsFor, formatJson, isHumanOutput, writeOut } from '../cli/output.js';
import { parseRunId } from '../cli/ids.js';
import { SwampError, toSwampError } from '../errors/index.js';
import { betterAnalyze, isExactly, queryAds, queryHistory, queryQueue, swampIdConstraint } from '../htcondor/index.js';
import { getAssessmentResults, getProjectViewerInstances, getRunRow, withDb, type Row } from '../db/index.js';
import { AD_ATTRS, JOB_ATTRS, jobOfAd, statusAdOf } from './convert.js';
import { parseEventLog } from './eventlog.js';
import { logLinesFor } from './loglines.js';
import { runKindOf, type AdView, type JobView } from './model.js';
import { renderStory, storyTsv, type RunStory } from './run-render.js';
import type { CtlEnv } from './env.js';

/** Columns never shown (secrets the DB keeps for the web). */
const SECRET_COLUMNS = new Set(['vm_password']);

function redact(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = SECRET_COLUMNS.has(k) && v !== null && v !== '' ? '(set)' : v;
  return out;
}

export async function runCommand(env: CtlEnv, rawId: string): Promise<number> {
  const parsed = parseRunId(rawId);
  const id = parsed.id;
  const kind = runKindOf(id);
  const s = env.settings;
  const story: RunStory = { version: 1, id, kind, db: null, jobs: [], events: [], ads: [], logLines: [], results: { dir: join(s.resultsFolder, id), exists: false, files: [] }, errors: [], htcondorCalls: 0 };
  const err = (source: string, e: unknown): void => {
    story.errors.push({ source, message: toSwampError(e).message });
  };

  await withDb(s.db, async (db) => {
    if (parsed.type === 'vrun') {
      story.db = { row: null, results: [], viewerInstances: (await getProjectViewerInstances(db, parsed.project)).map(redact) };
    } else {
      const row = await getRunRow(db, id);
      story.db = { row: row === undefined ? null : redact(row), results: kind === 'assessment' ? (await getAssessmentResults(db, id)).map(redact) : [] };
    }
  }).catch((e: unknown) => err('db', e));

  const constraint = swampIdConstraint(id);
  const [queue, history, ads] = await Promise.all([
    queryQueue(s.queueCtx, { constraint, attributes: JOB_ATTRS }).catch((e: unknown) => (err('schedd', e), [])),
    queryHistory(s.queueCtx, { constraint, attributes: JOB_ATTRS, limit: 20 }).catch((e: unknown) => (err('history', e), [])),
    queryAds(s.collectorCtx, { myType: 'Generic', constraint: isExactly('Name', id), attributes: AD_ATTRS }).catch((e: unknown) => (err('collector', e), [])),
  ]);
  const jobs = [...queue.map((a) => jobOfAd(a, 'queue')), ...history.map((a) => jobOfAd(a, 'history'))].filter((j): j is JobView => j !== undefined);
  story.jobs = jobs;
  story.ads = ads.map(statusAdOf).filter((a): a is AdView => a !== undefined);
  // an idle job: why it does not run (condor_q -better-analyze, one more call, only then)
  const idle = jobs.find((j) => j.source === 'queue' && j.jobStatus === 1);
  if (idle !== undefined) {
    try {
      story.whyIdle = { job: `${idle.cluster}.${idle.proc}`, ...(await betterAnalyze(s.queueCtx, { cluster: idle.cluster, proc: idle.proc })) };
    } catch (e) {
      err('better-analyze', e);
    }
  }

  // the event log of every job of the run, read once per file
  const clusters = new Set(jobs.map((j) => j.cluster));
  for (const file of new Set(jobs.map((j) => (j.userLog === undefined ? undefined : j.userLog.startsWith('/') ? j.userLog : j.iwd === undefined ? undefined : join(j.iwd, j.userLog))))) {
    if (file === undefined) continue;
    try {
      story.events.push(...parseEventLog(await readFile(file, 'utf8')).filter((e) => clusters.has(e.cluster)));
    } catch (e) {
      err(`event log ${file}`, e);
    }
  }
  story.logLines = await logLinesFor(s.logDir, id);
  try {
    story.results.files = (await readdir(story.results.dir)).sort();
    story.results.exists = true;
  } catch {
    /* no working results dir */
  }
  story.htcondorCalls = env.calls.total();

  const dbFound = story.db !== null && (story.db.row !== null || (story.db.viewerInstances?.length ?? 0) > 0);
  const nothing = !dbFound && story.jobs.length === 0 && story.ads.length === 0 && story.logLines.length === 0 && !story.results.exists;
  if (nothing && story.errors.length === 0) throw new SwampError('not-found', `no trace of run ${id} in the DB, HTCondor, the collector or the logs`, { id });

  if (env.json) await writeOut(formatJson(story, isHumanOutput(env.out)), env.out);
  else if (isHumanOutput(env.out)) await writeOut(renderStory(story, await colorsFor(env.out)), env.out);
  else await writeOut(storyTsv(story), env.out);
  return 0;
}
