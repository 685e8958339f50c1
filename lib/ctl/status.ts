/**
 * `swampctl status`: the document (stable JSON, docs/swampctl.md) and its one-screen rendering. Pure.
 */
import type { Colors } from '../cli/output.js';
import { RUN_STATES, type Inconsistency, type Picture, type RunState, type Snapshot } from './model.js';
import { ago, mark } from './render.js';
import type { TimerPass } from './timers.js';
import type { JournalBacklog } from './journal.js';

export interface StatusDoc {
  version: 1;
  time: string;
  swampOn: boolean;
  sources: { db: string; schedd: string; collector: string; history: string };
  counts: Record<RunState, number>;
  viewersUp: { project: string; viewers: string[] }[];
  timers: { drain: TimerPass; cleanup: TimerPass };
  /** What is still owed to the DB or the collector, and kills not yet carried out; `error` when unreadable. */
  journal: JournalBacklog | { error: string };
  inconsistencies: Inconsistency[];
  htcondorCalls: number;
}

export function statusDoc(snap: Snapshot, pic: Picture, o: { swampOn: boolean; timers: StatusDoc['timers']; journal: StatusDoc['journal']; htcondorCalls: number }): StatusDoc {
  const src = (name: Snapshot['errors'][number]['source']): string => snap.errors.find((e) => e.source === name)?.message ?? 'ok';
  return {
    version: 1,
    time: new Date(snap.now * 1000).toISOString(),
    swampOn: o.swampOn,
    sources: { db: src('db'), schedd: src('schedd'), collector: src('collector'), history: src('history') },
    counts: pic.counts,
    viewersUp: pic.viewersUp,
    timers: o.timers,
    journal: o.journal,
    inconsistencies: pic.inconsistencies,
    htcondorCalls: o.htcondorCalls,
  };
}

/** Drain expected every minute, cleanup every hour (the shipped timers): older passes are a warning. */
const TIMER_WARN_S = { drain: 10 * 60, cleanup: 3 * 3600 };

export function renderStatus(d: StatusDoc, c: Colors): string {
  const out: string[] = [];
  const srcMark = (v: string): string => (v === 'ok' ? mark('pass', c) : mark('fail', c));
  out.push(
    `${mark(d.swampOn ? 'pass' : 'warn', c)} ${c.bold(`SWAMP ${d.swampOn ? 'on' : 'off'}`)}  ${d.time.replace('T', ' ').slice(0, 19)} UTC   ` +
      `db ${srcMark(d.sources.db)}  schedd ${srcMark(d.sources.schedd)}  collector ${srcMark(d.sources.collector)}`,
  );
  for (const [k, v] of Object.entries(d.sources)) if (v !== 'ok') out.push(`  ${c.red(k)}: ${v}`);
  out.push('');
  const n = (st: RunState): string => {
    const v = d.counts[st];
    const text = `${st} ${v}`;
    if (v === 0) return c.dim(text);
    return st === 'held' || st === 'orphan' || st === 'stuck' ? c.yellow(text) : text;
  };
  out.push(`${c.bold('Runs')}      ${RUN_STATES.map(n).join('  ')}`);
  const up = d.viewersUp.reduce((a, p) => a + p.viewers.length, 0);
  out.push(`${c.bold('Viewers')}   ${up} up in ${d.viewersUp.length} project${d.viewersUp.length === 1 ? '' : 's'}`);
  for (const p of d.viewersUp) out.push(`          ${p.project}  ${p.viewers.join(', ')}`);
  const t = (name: 'drain' | 'cleanup'): string => {
    const p = d.timers[name];
    const level = p.ageSeconds === null || p.ageSeconds > TIMER_WARN_S[name] ? 'warn' : 'pass';
    return `${mark(level, c)} ${name} ${p.lastPass === null ? 'no pass found' : `last pass ${ago(p.ageSeconds)}`}`;
  };
  out.push(`${c.bold('Timers')}    ${t('drain')}   ${t('cleanup')}`);
  out.push(`${c.bold('Journal')}   ${journalLine(d.journal, c)}`);
  out.push('');
  if (d.inconsistencies.length === 0) {
    out.push(`${mark('pass', c)} no inconsistencies between the DB, the queue and the collector`);
  } else {
    out.push(`${mark('warn', c)} ${c.bold(`${d.inconsistencies.length} inconsistenc${d.inconsistencies.length === 1 ? 'y' : 'ies'}`)}`);
    const w = Math.max(...d.inconsistencies.map((i) => i.kind.length));
    for (const i of d.inconsistencies) out.push(`  ${c.yellow(i.kind.padEnd(w))}  ${i.id}  ${c.dim(i.detail)}`);
  }
  out.push(c.dim(`(${d.htcondorCalls} HTCondor calls)`));
  return `${out.join('\n')}\n`;
}

/** Anything owed is a warning (the drain delivers it on its next pass); an unreadable journal fails. */
function journalLine(j: StatusDoc['journal'], c: Colors): string {
  if ('error' in j) return `${mark('fail', c)} ${j.error}`;
  const level = j.owed === 0 && j.pendingKills === 0 ? 'pass' : 'warn';
  const owed = j.owed === 0 ? 'nothing owed' : `${j.owed} change${j.owed === 1 ? '' : 's'} owed for ${j.runs} run${j.runs === 1 ? '' : 's'}, oldest ${ago(j.oldestAgeSeconds)}`;
  return `${mark(level, c)} ${owed}; ${j.pendingKills} kill${j.pendingKills === 1 ? '' : 's'} pending`;
}

/** Plain text for pipes: one `key<TAB>value` line per fact, then one line per inconsistency. */
export function statusTsv(d: StatusDoc): string {
  const lines: string[] = [`swamp\t${d.swampOn ? 'on' : 'off'}`];
  for (const [k, v] of Object.entries(d.sources)) lines.push(`source.${k}\t${v}`);
  for (const st of RUN_STATES) lines.push(`runs.${st}\t${d.counts[st]}`);
  for (const p of d.viewersUp) lines.push(`viewers.up\t${p.project}\t${p.viewers.join(',')}`);
  for (const name of ['drain', 'cleanup'] as const) lines.push(`timer.${name}\t${d.timers[name].lastPass ?? ''}\t${d.timers[name].ageSeconds ?? ''}`);
  if ('error' in d.journal) lines.push(`journal.error\t${d.journal.error}`);
  else lines.push(`journal.owed\t${d.journal.owed}\t${d.journal.runs}\t${d.journal.oldestAgeSeconds ?? ''}`, `journal.kills\t${d.journal.pendingKills}`);
  for (const i of d.inconsistencies) lines.push(`inconsistency\t${i.kind}\t${i.id}\t${i.detail}`);
  return `${lines.join('\n')}\n`;
}
