/** `swampctl cleanup [--dry-run]`: one pass, a summary line per category (exit 1 when an item failed). */
import { colorsFor, formatJson, isHumanOutput, writeOut } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { cleanupPass, summaryLine, type Category } from './cleanup.js';
import { takeSnapshot } from './snapshot.js';
import type { CtlEnv } from './env.js';

export async function cleanupCommand(env: CtlEnv, o: { dryRun: boolean }): Promise<number> {
  const snap = await takeSnapshot(env.settings);
  // progress only on a terminal and only when there is much to do
  const progress =
    process.stderr.isTTY === true
      ? (category: Category, done: number, total: number): void => {
          if (total >= 20) process.stderr.write(`\r${category} ${done}/${total}${done === total ? '\n' : ''}`);
        }
      : undefined;
  const reports = await cleanupPass({ settings: env.settings, log: env.log, dryRun: o.dryRun, ...(progress ? { progress } : {}) }, snap);
  const doc = { version: 1, time: new Date(snap.now * 1000).toISOString(), dryRun: o.dryRun, categories: reports, errors: snap.errors, htcondorCalls: env.calls.total() };
  const summary = Object.fromEntries(reports.map((r) => [r.category, o.dryRun ? r.items.length : r.done]));
  if (o.dryRun) env.log.info('cleanup dry run', { would: summary });
  else env.log.info('cleanup pass done', { done: summary, failed: reports.reduce((a, r) => a + r.failed, 0), htcondorCalls: doc.htcondorCalls });
  if (env.json) await writeOut(formatJson(doc, isHumanOutput(env.out)), env.out);
  else {
    const c = await colorsFor(env.out);
    const lines: string[] = [];
    for (const r of reports) {
      lines.push(r.failed > 0 ? c.red(summaryLine(r, o.dryRun)) : r.items.length > 0 ? c.bold(summaryLine(r, o.dryRun)) : summaryLine(r, o.dryRun));
      for (const i of r.items) lines.push(`  ${i.name}\t${i.status !== undefined ? `${i.status}: ` : ''}${i.reason}${i.error !== undefined ? `\t${c.red(i.error)}` : ''}`);
    }
    await writeOut(`${lines.join('\n')}\n`, env.out);
  }
  if (reports.some((r) => r.failed > 0)) return EXIT_CODES.external;
  return snap.errors.some((e) => e.source !== 'history') ? EXIT_CODES.busy : 0;
}
