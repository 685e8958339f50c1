import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { embeddedScarf } from '../../../lib/machine/assessment-machine.js';
import { countWeaknesses } from '../../../lib/machine/assessment-outputs.js';
import { GCC_SCARF_BYTES, GCC_SCARF_SHA256 } from '../../../lib/machine/assets/gcc-scarf.js';

// the fixture the embedded asset was made from (test/fixtures/scarf; the program never reads it)
const SHARED_SCARF = join(process.cwd(), 'test', 'fixtures', 'scarf', 'gcc_parsed_results.xml');

test('the embedded SCARF file is the shared gcc fixture, byte for byte', async () => {
  const scarf = embeddedScarf();
  expect(Buffer.byteLength(scarf)).toBe(GCC_SCARF_BYTES);
  expect(createHash('sha256').update(scarf).digest('hex')).toBe(GCC_SCARF_SHA256);
  expect(countWeaknesses(scarf)).toBe(201);
  const fixture = await readFile(SHARED_SCARF, 'utf8').catch(() => undefined);
  if (fixture !== undefined) expect(scarf).toBe(fixture);
});
