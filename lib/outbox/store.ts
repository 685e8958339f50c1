/**
 * The outbox: every state change the backend owes the DB or the collector, one file per owed change,
 * in `<runDir>/outbox/` (swamp.conf `outboxDir` overrides). A change is written there atomically
 * (temp + fsync + rename + fsync of the directory, lib/bog/atomic) BEFORE it is attempted, and the
 * file is removed only once the DB or the collector acknowledged it. Whoever finds a file left
 * (the hook itself while it runs, the next `launchassessment --drain`) delivers it again; delivery
 * is idempotent (deliver.ts), so "delivered twice" and "crashed after delivering, before removing"
 * are harmless.
 *
 *   <runId>.<slot>.json     slot orders a run's changes: 10-result-<n>, 10-viewer-db, 20-status-<who>,
 *                           30-flags, 40-ad-<who>; a later write to the same slot replaces the earlier one
 *   <runId>.00-kill.json    a kill intent (kill-intent.ts): kept after it is carried out, as a
 *                           tombstone that keeps any later launch of the run from submitting
 *
 * The directory belongs to the service account (the owner of the run dir): created 0770 and, when
 * root creates it, handed to that owner, so the hooks (job owner = service account) and the drain write
 * the same files and nobody else can forge a result.
 */
import { chownSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../bog/atomic.js';
import { SwampError } from '../errors/index.js';
import type { InsertResultsArgs, MetricResult, StoreViewerArgs } from '../db/index.js';

export type OwedChange =
  /** CALL insert_results, once per run start (the uuid is derived from the run: rules.resultUuidFor). */
  | { kind: 'result'; runId: string; result: InsertResultsArgs }
  /** UPDATE metric.metric_run (idempotent as it is). */
  | { kind: 'metric-result'; runId: string; result: MetricResult }
  /** The run's status (+ completion_date when final), never over a terminal one (rules.mayReplaceStatus). */
  | { kind: 'status'; runId: string; status: string; final: boolean; byKill?: boolean }
  /** complete_flag = 1 and launch_flag = 0: the run is over, the DB must not launch it again. */
  | { kind: 'flags'; runId: string; complete?: boolean; launchOff?: boolean; clearVmPassword?: boolean }
  /** A status ad to the collector, under the same ordering rule as the DB status. */
  | { kind: 'ad'; runId: string; ad: Readonly<Record<string, string>>; byKill?: boolean }
  /** CALL viewer_store.store_viewer: PostViewer's saved viewer database (an UPDATE: idempotent as it is). */
  | { kind: 'viewer-db'; runId: string; store: StoreViewerArgs };

export interface OutboxEntry {
  version: 1;
  change: OwedChange;
  created: string;
  /** Delivery attempts so far (for the log; delivery never gives up on a transient failure). */
  attempts: number;
  lastError?: string;
}

export interface StoredEntry {
  file: string;
  runId: string;
  slot: string;
  entry: OutboxEntry;
}

/** Run ids as the backend uses them: uuid, M-<uuid>, vrun_<uuid>_<viewer>. No '/', no leading dot. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SLOT = /^\d\d-[a-z0-9-]{1,40}$/;

export function entryName(runId: string, slot: string): string {
  if (!RUN_ID.test(runId)) throw new SwampError('usage', `not a run id for the outbox: ${JSON.stringify(runId).slice(0, 80)}`);
  if (!SLOT.test(slot)) throw new SwampError('internal', `bad outbox slot ${slot}`);
  return `${runId}.${slot}.json`;
}

export function parseEntryName(name: string): { runId: string; slot: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_-]{0,127})\.(\d\d-[a-z0-9-]{1,40})\.json$/.exec(name);
  return m ? { runId: m[1] as string, slot: m[2] as string } : undefined;
}

function ioError(what: string, path: string, e: unknown): SwampError {
  const code = (e as NodeJS.ErrnoException).code;
  const kind = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'denied' : code === 'ENOSPC' ? 'busy' : 'external';
  return new SwampError(kind, `cannot ${what} ${path}: ${code ?? String(e)}`, { path, code }, { cause: e });
}

export class Outbox {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `<runDir>/outbox` unless swamp.conf names another directory. */
  static forRunDir(runDir: string, override?: string): Outbox {
    return new Outbox(override !== undefined && override !== '' ? override : join(runDir, 'outbox'));
  }

  /** Creates the directory (0770, owned like its parent when root creates it). Throws SwampError. */
  ensure(): this {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o770 });
    } catch (e) {
      throw ioError('create outbox', this.dir, e);
    }
    if (process.getuid?.() === 0) {
      try {
        const parent = statSync(join(this.dir, '..'));
        const mine = statSync(this.dir);
        if (mine.uid !== parent.uid || mine.gid !== parent.gid) chownSync(this.dir, parent.uid, parent.gid);
      } catch {
        /* best effort: root can still write it */
      }
    }
    return this;
  }

  path(runId: string, slot: string): string {
    return join(this.dir, entryName(runId, slot));
  }

  /** Writes (or replaces) the owed change durably; returns its file. Throws SwampError. */
  put(slot: string, change: OwedChange): string {
    const p = this.path(change.runId, slot);
    const entry: OutboxEntry = { version: 1, change, created: new Date().toISOString(), attempts: 0 };
    this.write(p, entry);
    return p;
  }

  write(path: string, entry: OutboxEntry | Record<string, unknown>): void {
    try {
      writeFileAtomicSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o644 });
    } catch (e) {
      throw ioError('write', path, e);
    }
  }

  /** The change was acknowledged: forget it. */
  ack(file: string): void {
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('remove', file, e);
    }
  }

  read(file: string): OutboxEntry | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError('read', file, e);
    }
    const v = JSON.parse(text) as OutboxEntry;
    if (v.version !== 1 || typeof v.change !== 'object' || v.change === null || typeof v.change.runId !== 'string') {
      throw new SwampError('external', `malformed outbox entry ${file}`, { file });
    }
    return v;
  }

  /** Owed changes (kill intents excluded), by run then slot: the order they must be delivered in. */
  list(filter?: { runId?: string }): StoredEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError('list', this.dir, e);
    }
    const out: StoredEntry[] = [];
    for (const n of names.sort()) {
      const p = parseEntryName(n);
      if (p === undefined || p.slot.startsWith('00-')) continue;
      if (filter?.runId !== undefined && p.runId !== filter.runId) continue;
      const file = join(this.dir, n);
      try {
        const entry = this.read(file);
        if (entry !== undefined && entry.change.runId === p.runId) out.push({ file, ...p, entry });
      } catch {
        /* a malformed file is left for a human (logged by the caller's count); never delivered */
      }
    }
    return out;
  }
}
