/**
 * The journal backlog for `swampctl status`: what the backend still owes the DB or the collector
 * (lib/outbox, docs/durability.md) and the kills not yet carried out. Reading is bounded by the
 * directory; summarising is pure. An owed change that stays is what an admin must see: the drain
 * delivers it on its next pass unless the DB or collector is still down.
 */
import { Outbox } from '../outbox/store.js';
import { pendingKills } from '../outbox/kill-intent.js';

export interface JournalBacklog {
  /** Owed DB/collector changes (kill intents excluded). */
  owed: number;
  /** Runs those changes belong to. */
  runs: number;
  /** Age of the oldest owed change, seconds; null when nothing is owed. */
  oldestAgeSeconds: number | null;
  /** Kills recorded and not yet carried out. */
  pendingKills: number;
}

/** Pure: the summary of what `readJournal` found. */
export function summarizeJournal(owed: readonly { runId: string; created: string }[], kills: number, now: number): JournalBacklog {
  let oldest: number | undefined;
  for (const o of owed) {
    const t = Date.parse(o.created);
    if (!Number.isNaN(t) && (oldest === undefined || t < oldest)) oldest = t;
  }
  return {
    owed: owed.length,
    runs: new Set(owed.map((o) => o.runId)).size,
    oldestAgeSeconds: oldest === undefined ? null : Math.max(0, Math.floor(now - oldest / 1000)),
    pendingKills: kills,
  };
}

/** Reads the outbox directory (no HTCondor or DB call). Throws SwampError when it cannot be read. */
export function readJournal(outboxDir: string, now: number): JournalBacklog {
  const box = new Outbox(outboxDir);
  const owed = box.list().map((e) => ({ runId: e.runId, created: e.entry.created }));
  return summarizeJournal(owed, pendingKills(box).length, now);
}
