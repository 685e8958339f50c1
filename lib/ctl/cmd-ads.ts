/**
 * `swampctl ads [--invalidate <id> | --all-stale]` (legacy showSWAMPClassAds.pl and
 * invalidateAllSWAMPClassAds.pl, which removed every ad; ours removes one by exact name, or the stale ones).
 */
import { formatJson, isHumanOutput, printListing, writeOut, type Column } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { parseRunId } from '../cli/ids.js';
import { invalidate, isExactly, queryAds } from '../htcondor/index.js';
import { AD_ATTRS, statusAdOf } from './convert.js';
import { staleAds, type AdView } from './model.js';
import { ago } from './render.js';
import { takeSnapshot } from './snapshot.js';
import type { CtlEnv } from './env.js';

const COLUMNS: readonly Column[] = [
  { key: 'name', header: 'NAME' },
  { key: 'kind', header: 'KIND' },
  { key: 'status', header: 'STATUS' },
  { key: 'viewerState', header: 'STATE' },
  { key: 'job', header: 'JOB', color: (v, c) => (v === 'none' ? c.yellow : (s: string) => s) },
  { key: 'heard', header: 'HEARD' },
  { key: 'stale', header: 'STALE', color: (v, c) => (v === true ? c.yellow : c.dim) },
];

export async function adsCommand(env: CtlEnv, o: { invalidate?: string; allStale: boolean }): Promise<number> {
  const s = env.settings;
  if (o.invalidate !== undefined) {
    const id = parseRunId(o.invalidate).id;
    const found = (await queryAds(s.collectorCtx, { myType: 'Generic', constraint: isExactly('Name', id), attributes: AD_ATTRS })).map(statusAdOf).filter((a): a is AdView => a !== undefined);
    if (found.length > 0) await invalidate(s.collectorCtx, { names: [id] });
    env.log.info('status ad invalidated', { runid: id, existed: found.length > 0 });
    const doc = { version: 1, invalidated: found.length > 0 ? [id] : [], htcondorCalls: env.calls.total() };
    await writeOut(env.json ? formatJson(doc, isHumanOutput(env.out)) : found.length > 0 ? `invalidated ${id}\n` : `no status ad named ${id}\n`, env.out);
    return 0;
  }
  const snap = await takeSnapshot(s, { history: false });
  if (snap.ads === undefined) {
    await writeOut(env.json ? formatJson({ version: 1, errors: snap.errors }) : '', env.out);
    process.stderr.write(`swampctl: collector: ${snap.errors.find((e) => e.source === 'collector')?.message ?? 'unreachable'}\n`);
    return EXIT_CODES.busy;
  }
  const stale = new Set(staleAds(snap, s.cleanup.staleAdHours).map((a) => a.name));
  if (o.allStale) {
    if (snap.queue === undefined) {
      process.stderr.write('swampctl: schedd unreachable: cannot tell which ads have no job\n');
      return EXIT_CODES.busy;
    }
    if (stale.size > 0) await invalidate(s.collectorCtx, { names: [...stale] });
    env.log.info('stale status ads invalidated', { count: stale.size });
    const doc = { version: 1, invalidated: [...stale].sort(), htcondorCalls: env.calls.total() };
    await writeOut(env.json ? formatJson(doc, isHumanOutput(env.out)) : `invalidated ${stale.size} stale ad${stale.size === 1 ? '' : 's'}\n`, env.out);
    return 0;
  }
  const inQueue = new Map((snap.queue ?? []).map((j) => [j.id, `${j.cluster}.${j.proc}`]));
  const rows = snap.ads
    .map((a) => ({ ...a, job: snap.queue === undefined ? '?' : (inQueue.get(a.name) ?? 'none'), heard: ago(a.lastHeard === undefined ? undefined : snap.now - a.lastHeard), stale: stale.has(a.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  await printListing(rows, { json: env.json, document: { version: 1, time: new Date(snap.now * 1000).toISOString(), ads: rows, htcondorCalls: env.calls.total() }, columns: COLUMNS, stream: env.out });
  return 0;
}
