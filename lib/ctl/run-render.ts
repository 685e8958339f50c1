/** `swampctl run <id>`: the document and its rendering (pure). */
import type { Colors } from '../cli/output.js';
import type { Analysis } from '../htcondor/index.js';
import { stateOfJob, type AdView, type JobView, type RunKind } from './model.js';
import type { JobEvent } from './eventlog.js';
import type { LogLine } from './loglines.js';
import { isoSeconds } from './render.js';

export interface RunStory {
  version: 1;
  id: string;
  kind: RunKind;
  /** null when the DB could not be read (see errors). */
  db: { row: Record<string, unknown> | null; results: Record<string, unknown>[]; viewerInstances?: Record<string, unknown>[] } | null;
  jobs: JobView[];
  events: JobEvent[];
  ads: AdView[];
  logLines: LogLine[];
  results: { dir: string; exists: boolean; files: string[] };
  /** An idle job: the requirement clauses and how many slots each matches (condor_q -better-analyze). */
  whyIdle?: { job: string } & Analysis;
  errors: { source: string; message: string }[];
  htcondorCalls: number;
}

const DB_KEYS = ['status', 'launch_flag', 'launch_counter', 'submitted_to_condor_flag', 'complete_flag', 'run_date', 'completion_date', 'user_uuid', 'project_uuid', 'vm_hostname', 'result_path', 'status_out_error_msg'];

function fields(f: Record<string, unknown>): string {
  return Object.entries(f)
    .filter(([k]) => k !== 'runid' && k !== 'execrunid')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 200);
}

export function renderStory(s: RunStory, c: Colors): string {
  const o: string[] = [];
  const h = (t: string): void => {
    o.push('', c.bold(t));
  };
  o.push(`${c.bold(s.id)}  (${s.kind})`);
  for (const e of s.errors) o.push(c.red(`  ${e.source}: ${e.message}`));
  h('Database');
  if (s.db === null) o.push('  (not read)');
  else if (s.db.viewerInstances !== undefined) {
    if (s.db.viewerInstances.length === 0) o.push('  no viewer instance for this project');
    for (const v of s.db.viewerInstances) o.push(`  ${String(v.viewer_name)}  ${String(v.viewer_instance_uuid)}  status ${String(v.status ?? '')}  ${c.dim(String(v.viewer_db_path ?? ''))}`);
  } else if (s.db.row === null) o.push('  no row');
  else for (const k of DB_KEYS) if (k in s.db.row && s.db.row[k] !== null && s.db.row[k] !== undefined) o.push(`  ${k.padEnd(25)} ${String(s.db.row[k])}`);
  h('HTCondor jobs');
  if (s.jobs.length === 0) o.push('  none in the queue or history');
  for (const j of s.jobs) {
    const st = stateOfJob(j.jobStatus);
    const state = j.source === 'history' ? (j.jobStatus === 3 ? 'removed' : 'completed') : st;
    o.push(
      `  ${j.cluster}.${j.proc}  ${j.source === 'queue' ? c.green(state) : c.dim(state)}  owner ${j.owner ?? '?'}  starts ${j.numJobStarts ?? 0}` +
        `  queued ${isoSeconds(j.qDate) ?? '?'}${j.jobDir ? `  dir ${j.jobDir}` : ''}`,
    );
    if (j.holdReason && j.jobStatus === 5) o.push(`    ${c.yellow(`held: ${j.holdReason}`)}`);
    if (j.removeReason && j.jobStatus === 3) o.push(`    removed: ${j.removeReason}`);
  }
  if (s.whyIdle !== undefined) {
    h(`Why job ${s.whyIdle.job} is not running`);
    o.push(`  ${whyIdleText(s.whyIdle)}`);
    for (const c2 of s.whyIdle.conditions) o.push(`  ${String(c2.matched).padStart(5)} slot${c2.matched === 1 ? ' ' : 's'}  ${c2.matched === 0 ? c.yellow(c2.condition) : c2.condition}`);
  }
  h('Event log');
  if (s.events.length === 0) o.push('  (none)');
  for (const e of s.events) o.push(`  ${e.time}  ${String(e.code).padStart(3, '0')} ${e.cluster}.${e.proc}  ${e.text}${e.body[0] ? c.dim(`  ${e.body[0]}`) : ''}`);
  h('Status ads');
  if (s.ads.length === 0) o.push('  (none)');
  for (const a of s.ads) o.push(`  ${a.status}${a.viewerState !== undefined ? ` (state ${a.viewerState})` : ''}  ${c.dim(`heard ${isoSeconds(a.lastHeard) ?? '?'}`)}`);
  h(`Log lines (${s.logLines.length})`);
  for (const l of s.logLines) {
    const lvl = l.level === 'error' || l.level === 'fatal' ? c.red(l.level) : l.level === 'warn' ? c.yellow(l.level) : l.level;
    o.push(`  ${l.time.replace('T', ' ').slice(0, 23)}  ${l.program.padEnd(16)} ${lvl.padEnd(5)} ${l.msg}  ${c.dim(fields(l.fields))}`);
  }
  h('Results');
  o.push(`  working dir ${s.results.dir}${s.results.exists ? `: ${s.results.files.join(', ') || '(empty)'}` : ' (absent)'}`);
  for (const r of s.db?.results ?? []) for (const k of ['file_path', 'source_archive_path', 'log_path']) if (r[k]) o.push(`  ${k.padEnd(20)} ${String(r[k])}`);
  if (s.db?.row?.result_path) o.push(`  result_path          ${String(s.db.row.result_path)}`);
  return `${o.join('\n')}\n`;
}

/** Plain text for pipes: `section<TAB>...` lines. */
export function storyTsv(s: RunStory): string {
  const o: string[] = [`id\t${s.id}\t${s.kind}`];
  if (s.db?.row) for (const k of DB_KEYS) if (s.db.row[k] !== null && s.db.row[k] !== undefined) o.push(`db\t${k}\t${String(s.db.row[k])}`);
  for (const v of s.db?.viewerInstances ?? []) o.push(`viewer\t${String(v.viewer_name)}\t${String(v.viewer_instance_uuid)}\t${String(v.status ?? '')}`);
  for (const j of s.jobs) o.push(`job\t${j.cluster}.${j.proc}\t${j.source}\t${j.jobStatus}\t${j.owner ?? ''}`);
  for (const e of s.events) o.push(`event\t${e.time}\t${e.code}\t${e.cluster}.${e.proc}\t${e.text}`);
  for (const a of s.ads) o.push(`ad\t${a.status}\t${a.viewerState ?? ''}\t${a.lastHeard ?? ''}`);
  for (const l of s.logLines) o.push(`log\t${l.time}\t${l.program}\t${l.level}\t${l.msg}`);
  o.push(`results\t${s.results.dir}\t${s.results.exists ? s.results.files.join(',') : ''}`);
  if (s.whyIdle !== undefined) o.push(`idle\t${s.whyIdle.job}\t${whyIdleText(s.whyIdle)}`);
  for (const e of s.errors) o.push(`error\t${e.source}\t${e.message}`);
  return `${o.join('\n')}\n`;
}

/** One sentence from the analysis (pure): the clauses no slot matches, else the last failure. */
export function whyIdleText(a: Analysis): string {
  const blockers = a.conditions.filter((c) => c.matched === 0).map((c) => c.condition);
  if (blockers.length > 0) return `no slot matches ${blockers.map((b) => `"${b}"`).join(' and ')}${a.reason ? ` (${a.reason})` : ''}`;
  return a.reason !== undefined ? `slots match its requirements; last match failure: ${a.reason}` : 'slots match its requirements; waiting for the negotiator';
}
