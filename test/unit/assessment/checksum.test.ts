import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BogError, LaunchCode } from '../../../lib/assessment/index.js';
import { verifyBogChecksums } from '../../../lib/assessment/checksum.js';

let dir: string;
let tool: string;
let pkg: string;
const sha = (s: string): string => createHash('sha512').update(s).digest('hex');
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'la-sum-'));
  tool = join(dir, 'tool.tar.gz');
  pkg = join(dir, 'pkg.tar.gz');
  writeFileSync(tool, 'tool bytes');
  writeFileSync(pkg, 'package bytes');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function code(row: Record<string, unknown>): Promise<number | undefined> {
  try {
    await verifyBogChecksums(row);
    return undefined;
  } catch (e) {
    return e instanceof BogError ? e.code : -1;
  }
}

test('computeBOGChecksums: SHA-512 of tool and package (legacy codes 1/2/3)', async () => {
  const ok = { tool_path: tool, tool_checksum: sha('tool bytes'), package_path: pkg, pkg_checksum: sha('package bytes').toUpperCase() };
  expect(await code(ok)).toBeUndefined();
  expect(await code({ ...ok, pkg_checksum: sha('other') })).toBe(LaunchCode.CHECKSUM_ERROR);
  expect(await code({ ...ok, tool_path: join(dir, 'missing') })).toBe(LaunchCode.FILESYSTEM_ERROR);
  expect(await code({ ...ok, tool_checksum: null })).toBe(LaunchCode.BOG_ERROR);
  expect(await code({ ...ok, package_path: '' })).toBe(LaunchCode.BOG_ERROR);
});
