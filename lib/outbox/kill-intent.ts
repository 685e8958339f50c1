/**
 * A kill is an intent kept until carried out (docs/durability.md): killjob records it in the outbox
 * (`<runId>.00-kill.json`, fsync'ed) before it answers the DB, the kill worker carries it out and
 * marks it done, and a drain pass retries the pending ones (schedd or DB outage). A done intent stays
 * as a tombstone for `KILL_TOMBSTONE_DAYS`: every launch of the run checks it under the run's lock
 * before condor_submit, so no job starts after a kill said SUCCESS; the post hook finds it too and
 * writes Terminated instead of its own final status.
 */
import { readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Outbox } from './store.js';
import { parseEntryName } from './store.js';

export const KILL_SLOT = '00-kill';
export const KILL_TOMBSTONE_DAYS = 14;

export interface KillIntent {
  version: 1;
  kind: 'kill';
  runId: string;
  /** kill_run's --hard value as given. */
  hard?: string;
  state: 'pending' | 'done';
  created: string;
  attempts: number;
  outcome?: string;
  updated?: string;
}

export function recordKillIntent(outbox: Outbox, runId: string, hard: string | undefined): KillIntent {
  const prev = readKillIntent(outbox, runId);
  const intent: KillIntent = {
    version: 1,
    kind: 'kill',
    runId,
    ...(hard !== undefined ? { hard } : {}),
    state: 'pending',
    created: prev?.created ?? new Date().toISOString(),
    attempts: prev?.attempts ?? 0,
  };
  outbox.write(outbox.path(runId, KILL_SLOT), intent as unknown as Record<string, unknown>);
  return intent;
}

export function readKillIntent(outbox: Outbox, runId: string): KillIntent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(outbox.path(runId, KILL_SLOT), 'utf8')) as unknown;
  } catch {
    return undefined; // none, or unreadable (a torn file cannot exist: written atomically)
  }
  const k = v as Partial<KillIntent>;
  return k.kind === 'kill' && k.runId === runId ? (k as KillIntent) : undefined;
}

export function markKill(outbox: Outbox, intent: KillIntent, state: 'pending' | 'done', outcome: string): void {
  outbox.write(outbox.path(intent.runId, KILL_SLOT), {
    ...intent,
    state,
    outcome,
    attempts: intent.attempts + 1,
    updated: new Date().toISOString(),
  } as unknown as Record<string, unknown>);
}

/** Runs with a kill not yet carried out. */
export function pendingKills(outbox: Outbox): KillIntent[] {
  const out: KillIntent[] = [];
  for (const n of safeList(outbox.dir)) {
    const p = parseEntryName(n);
    if (p?.slot !== KILL_SLOT) continue;
    const k = readKillIntent(outbox, p.runId);
    if (k?.state === 'pending') out.push(k);
  }
  return out;
}

/** Removes done tombstones older than `days`; returns how many. */
export function pruneKillTombstones(outbox: Outbox, days = KILL_TOMBSTONE_DAYS, now = Date.now()): number {
  let n = 0;
  for (const name of safeList(outbox.dir)) {
    const p = parseEntryName(name);
    if (p?.slot !== KILL_SLOT) continue;
    const file = join(outbox.dir, name);
    const k = readKillIntent(outbox, p.runId);
    try {
      if (k?.state === 'done' && now - statSync(file).mtimeMs > days * 86_400_000) {
        unlinkSync(file);
        n++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return n;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
