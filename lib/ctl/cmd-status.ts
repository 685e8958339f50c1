/** `swampctl status` and `swampctl runs`: one snapshot, reconciled, rendered. */
import { colorsFor, formatJson, isHumanOutput, printListing, writeOut, type Column } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { UsageError } from '../errors/index.js';
import { reconcile, RUN_STATES, type RunState, type RunView } from './model.js';
import { takeSnapshot } from './snapshot.js';
import { renderStatus, statusDoc, statusTsv } from './status.js';
import { timerPasses } from './timers.js';
import { readJournal, type JournalBacklog } from './journal.js';
import { toSwampError } from '../errors/index.js';
import { isoSeconds } from './render.js';
import type { CtlEnv } from './env.js';

function swampOn(state: string | undefined): boolean {
  return state !== undefined && ['1', 'yes', 'true', 'on', 'y'].includes(state.trim().toLowerCase());
}

function journalOf(dir: string, now: number): JournalBacklog | { error: string } {
  try {
    return readJournal(dir, now);
  } catch (e) {
    return { error: toSwampError(e).message };
  }
}

/** One snapshot per round (O(1) HTCondor calls each); `--watch` redraws a terminal, `--json` prints JSON lines. */
export async function statusCommand(env: CtlEnv, o: { watch?: number; count?: number } = {}): Promise<number> {
  const tty = isHumanOutput(env.out);
  for (let round = 1; ; round++) {
    env.calls.reset();
    const snap = await takeSnapshot(env.settings);
    const pic = reconcile(snap);
    const doc = statusDoc(snap, pic, { swampOn: swampOn(env.settings.swampState), timers: timerPasses(env.settings.logDir), journal: journalOf(env.settings.outboxDir, snap.now), htcondorCalls: env.calls.total() });
    if (env.json) await writeOut(formatJson(doc, tty && o.watch === undefined), env.out);
    else if (tty) await writeOut(`${o.watch !== undefined ? '\x1b[2J\x1b[H' : ''}${renderStatus(doc, await colorsFor(env.out))}`, env.out);
    else await writeOut(`${statusTsv(doc)}${o.watch !== undefined ? '\n' : ''}`, env.out);
    if (round === 1) env.log.info('status', { counts: doc.counts, inconsistencies: doc.inconsistencies.length, htcondorCalls: doc.htcondorCalls });
    // an incomplete picture is not a success a script should trust
    const code = snap.errors.some((e) => e.source !== 'history') ? EXIT_CODES.busy : 0;
    if (o.watch === undefined || (o.count !== undefined && round >= o.count)) return code;
    await new Promise((r) => setTimeout(r, (o.watch as number) * 1000));
  }
}

export interface RunsFilter {
  state?: string[];
  user?: string;
  project?: string;
  kind?: string;
}

export const RUN_COLUMNS: readonly Column[] = [
  { key: 'id', header: 'ID' },
  { key: 'kind', header: 'KIND' },
  {
    key: 'state',
    header: 'STATE',
    color: (v, c) => (v === 'held' || v === 'orphan' || v === 'stuck' ? c.yellow : v === 'running' ? c.green : (s: string) => s),
  },
  { key: 'cluster', header: 'JOB' },
  { key: 'sinceText', header: 'SINCE' },
  { key: 'dbStatus', header: 'DB STATUS' },
  { key: 'adStatus', header: 'COLLECTOR STATUS' },
  { key: 'user', header: 'USER' },
  { key: 'project', header: 'PROJECT' },
];

/** Filters runs (pure); an unknown state or kind is a usage error. */
export function filterRuns(runs: readonly RunView[], f: RunsFilter): RunView[] {
  const states = (f.state ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '');
  for (const s of states) if (!RUN_STATES.includes(s as RunState)) throw new UsageError(`unknown state ${JSON.stringify(s)} (one of ${RUN_STATES.join(', ')})`);
  if (f.kind !== undefined && !['assessment', 'metric', 'viewer'].includes(f.kind)) throw new UsageError(`unknown kind ${JSON.stringify(f.kind)} (assessment, metric or viewer)`);
  return runs.filter(
    (r) =>
      (states.length === 0 || states.includes(r.state)) &&
      (f.user === undefined || r.user === f.user) &&
      (f.project === undefined || r.project === f.project) &&
      (f.kind === undefined || r.kind === f.kind),
  );
}

export async function runsCommand(env: CtlEnv, f: RunsFilter): Promise<number> {
  filterRuns([], f); // a bad filter is refused before any call
  const snap = await takeSnapshot(env.settings);
  const pic = reconcile(snap);
  const rows = filterRuns(pic.runs, f);
  const document = { version: 1, time: new Date(snap.now * 1000).toISOString(), runs: rows, errors: snap.errors, htcondorCalls: env.calls.total() };
  await printListing(
    rows.map((r) => ({ ...r, sinceText: isoSeconds(r.since) })),
    { json: env.json, document, columns: RUN_COLUMNS, stream: env.out },
  );
  for (const e of snap.errors) process.stderr.write(`swampctl: ${e.source}: ${e.message}\n`);
  return snap.errors.some((e) => e.source !== 'history') ? EXIT_CODES.busy : 0;
}
