/**
 * A kill's final status as owed changes (lib/outbox): DB status, complete_flag/launch_flag and the
 * collector ad are journaled before they are attempted, so a DB outage during a kill delays
 * `Terminated` instead of losing it (the next drain pass delivers it). `Terminated` of a kill that
 * removed the run's job replaces any final status (the post hook's `Finished…` included): the final
 * status after a kill is Terminated in both the DB and the collector, whichever finishes first.
 */
import type { Logger } from '../log/index.js';
import { replayOutbox, type OutboxSink } from '../outbox/deliver.js';
import type { Outbox } from '../outbox/store.js';
import { AssessmentStatus, type StatusAd } from '../status/index.js';

export interface OwedKillTarget {
  outbox: Outbox;
  sink: OutboxSink;
}

/**
 * Journals and tries the kill's final writes. `removedByUs`: the kill removed (or saw removed) the
 * run's job, so Terminated wins over a terminal status. Returns true when all were delivered.
 */
export async function oweKillFinal(
  o: OwedKillTarget,
  runId: string,
  text: string,
  ad: StatusAd,
  opts: { jobGone: boolean; removedByUs: boolean },
  log: Logger,
): Promise<boolean> {
  const byKill = opts.removedByUs && text === AssessmentStatus.Terminated;
  o.outbox.put('21-status-kill', { kind: 'status', runId, status: text, final: true, byKill });
  o.outbox.put('31-flags-kill', { kind: 'flags', runId, clearVmPassword: true, ...(opts.jobGone ? { complete: true, launchOff: true } : {}) });
  o.outbox.put('41-ad-kill', { kind: 'ad', runId, ad, byKill });
  const r = await replayOutbox(o.outbox, o.sink, log, { runId });
  if (r.pending > 0) log.warn('final status of the kill kept in the outbox until the DB/collector answers', { status: text, pending: r.pending });
  else log.info('final status written', { status: text, delivered: r.delivered, skipped: r.skipped });
  return r.pending === 0;
}
