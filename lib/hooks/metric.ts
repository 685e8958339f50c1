/**
 * Metric runs of the cloc tool: the line counts of the SCARF `<MetricSummaries>` (legacy
 * parse_metric_loc + saveMetricSummary) for `UPDATE metric.metric_run SET pkg_*_lines`. Streams the file
 * through saxes (imported lazily) so a large SCARF file costs no more memory than a small one.
 */
import { createReadStream } from 'node:fs';
import type { MetricLineCounts } from '../db/index.js';

/** Type -> Sum of every <MetricSummary> (pure over a chunk stream). */
export async function metricSummaries(chunks: AsyncIterable<string>): Promise<Map<string, number>> {
  const { SaxesParser } = await import('saxes');
  const p = new SaxesParser({ xmlns: false, position: false });
  const out = new Map<string, number>();
  const stack: string[] = [];
  let type: string | undefined;
  let sum: string | undefined;
  let text = '';
  p.on('opentag', (t) => {
    stack.push(t.name);
    text = '';
    if (t.name === 'MetricSummary') {
      type = undefined;
      sum = undefined;
    }
  });
  p.on('text', (t) => {
    text += t;
  });
  p.on('closetag', (t) => {
    stack.pop();
    if (stack[stack.length - 1] === 'MetricSummary') {
      if (t.name === 'Type') type = text.trim();
      else if (t.name === 'Sum') sum = text.trim();
    } else if (t.name === 'MetricSummary' && type !== undefined && sum !== undefined && /^\d+(\.\d+)?$/.test(sum)) {
      out.set(type, Math.round(Number(sum)));
    }
    text = '';
  });
  for await (const c of chunks) p.write(c);
  p.close();
  return out;
}

/** The four counts, or undefined when the file has no (or incomplete) line summaries. */
export async function metricLineCounts(scarfFile: string): Promise<MetricLineCounts | undefined> {
  let m: Map<string, number>;
  try {
    m = await metricSummaries(createReadStream(scarfFile, { encoding: 'utf8' }));
  } catch {
    return undefined;
  }
  const code = m.get('code-lines');
  const comment = m.get('comment-lines');
  const blank = m.get('blank-lines');
  const total = m.get('total-lines');
  if (code === undefined || comment === undefined || blank === undefined || total === undefined) return undefined;
  return { codeLines: code, commentLines: comment, blankLines: blank, totalLines: total };
}
