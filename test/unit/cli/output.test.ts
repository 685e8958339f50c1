import { writeContractValue, resetContractGuard, formatTable, formatTsv, formatJson, printListing, isHumanOutput, colorsFor, type OutStream } from '../../../lib/cli/output.js';

function sink(tty = false): OutStream & { data: string } {
  const s = {
    data: '',
    isTTY: tty,
    write(chunk: string, cb?: (err?: Error | null) => void): boolean {
      s.data += chunk;
      cb?.(null);
      return true;
    },
  };
  return s;
}

describe('output contract', () => {
  beforeEach(() => resetContractGuard());

  test('exactly one value followed by one newline', async () => {
    const s = sink();
    await writeContractValue('nativereport.json', s);
    expect(s.data).toBe('nativereport.json\n');
  });

  test('a second value is refused', async () => {
    const s = sink();
    await writeContractValue('SUCCESS', s);
    await expect(writeContractValue('SUCCESS', s)).rejects.toThrow(/already written/);
    expect(s.data).toBe('SUCCESS\n');
  });

  test('multi-line or NUL values are refused', async () => {
    const s = sink();
    await expect(writeContractValue('a\nb', s)).rejects.toThrow(/single line/);
    await expect(writeContractValue('a\0', s)).rejects.toThrow(/single line/);
    expect(s.data).toBe('');
  });
});

describe('listings', () => {
  const cols = [
    { key: 'id', header: 'ID' },
    { key: 'status', header: 'STATUS' },
  ];
  const rows = [
    { id: 'a', status: 'Running' },
    { id: 'bbbb', status: 'multi\nline' },
  ];

  test('table, tsv, json', () => {
    expect(formatTable(cols, rows)).toBe('ID    STATUS\na     Running\nbbbb  multi line\n');
    expect(formatTsv(cols, rows)).toBe('a\tRunning\nbbbb\tmulti line\n');
    expect(formatJson([])).toBe('[]\n');
    expect(formatJson(rows)).toBe(`${JSON.stringify(rows)}\n`);
  });

  test('printListing picks json / table / tsv', async () => {
    const j = sink(true);
    await printListing(rows, { json: true, columns: cols, stream: j });
    expect(JSON.parse(j.data)).toEqual(rows);
    const p = sink(false);
    await printListing(rows, { columns: cols, stream: p });
    expect(p.data).toBe('a\tRunning\nbbbb\tmulti line\n');
    const t = sink(true);
    await printListing(rows, { columns: cols, stream: t });
    expect(t.data.split('\n')[1]).toBe('a     Running');
  });

  test('colours only on terminals', async () => {
    expect(isHumanOutput(sink(false))).toBe(false);
    expect(isHumanOutput(sink(true))).toBe(true);
    expect((await colorsFor(sink(false))).bold('x')).toBe('x');
    // NO_COLOR (no-color.org) turns colour off even on a terminal; chalk alone ignores it
    expect((await colorsFor(sink(true), { NO_COLOR: '1' })).red('x')).toBe('x');
  });

  test('a column may colour its cells from the raw value; alignment ignores the escapes', () => {
    const colors = { bold: (s: string) => s, red: (s: string) => `\x1b[31m${s}\x1b[39m`, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s };
    const c2 = [{ key: 'id', header: 'ID' }, { key: 'status', header: 'STATUS', color: (v: unknown, c: typeof colors) => (v === 'Running' ? c.red : (s: string) => s) }];
    const out = formatTable(c2, [{ id: 'a', status: 'Running' }, { id: 'bbbb', status: 'x' }], colors);
    expect(out).toBe('ID    STATUS\na     \x1b[31mRunning\x1b[39m\nbbbb  x\n');
  });

  test('--json document instead of the rows, indented on a terminal', async () => {
    const t = sink(true);
    await printListing(rows, { json: true, document: { version: 1, runs: rows }, columns: cols, stream: t });
    expect(t.data).toBe(`${JSON.stringify({ version: 1, runs: rows }, null, 2)}\n`);
  });
});
