import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(process.cwd(), 'scripts', 'check-cycles.mjs');

function check(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('scripts/check-cycles.mjs', () => {
  test('imports that point one way pass', () => {
    const r = check({ 'a.ts': "import { b } from './b.js';\n", 'b.ts': 'export const b = 1;\n' });
    expect(r.status).toBe(0);
  });

  test('a circle through a type import or a dynamic import fails and is named', () => {
    const r = check({
      'a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'b.ts': "export type B = number;\nexport async function f() { return (await import('./a.js')); }\n",
    });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/import circle among 2 modules/);
  });

  test('the project itself has no circle', () => {
    const r = spawnSync(process.execPath, [SCRIPT, 'lib', 'bin'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
});
