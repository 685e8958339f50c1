/**
 * Generate large SCARF inputs by repeating the BugInstance elements of the gcc fixture (ids
 * renumbered 0..N-1), keeping its prolog, AnalyzerReport start tag, BugSummary block and end tag.
 *   gen(target bytes, output path)
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export function generateScarf(fixture: string, targetBytes: number, outPath: string): { bytes: number; bugs: number } {
  const text = readFileSync(fixture, 'utf8');
  const first = text.indexOf('  <BugInstance');
  const lastEnd = text.lastIndexOf('</BugInstance>') + '</BugInstance>\n'.length;
  const head = text.slice(0, first);
  const tail = text.slice(lastEnd);
  const blocks = text.slice(first, lastEnd).split(/(?<=<\/BugInstance>\n)/);
  const fd = openSync(outPath, 'w');
  let bytes = 0;
  let bugs = 0;
  const put = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    writeSync(fd, b);
    bytes += b.length;
  };
  put(head);
  const tailBytes = Buffer.byteLength(tail);
  let pending = '';
  outer: for (;;) {
    for (const b of blocks) {
      if (bytes + Buffer.byteLength(pending) + Buffer.byteLength(b) + tailBytes > targetBytes && bugs > 0) break outer;
      pending += b.replace(/<BugInstance id="\d+">/, `<BugInstance id="${bugs}">`);
      bugs++;
      if (pending.length > 1 << 20) {
        put(pending);
        pending = '';
      }
    }
  }
  put(pending);
  put(tail);
  closeSync(fd);
  return { bytes, bugs };
}
