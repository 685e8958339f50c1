import { readFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseScarfMetadata } from '../../../lib/native/metadata.js';
import { convertScarfFile } from '../../../lib/native/scarf-file.js';
import { SCARF_TOOL_LIST } from '../../../lib/native/scarf-tool-list-data.js';
import { runNativeViewer } from '../../../lib/native/viewer.js';
import { FIXTURES, tempDir } from './helpers.js';

const XML = path.join(FIXTURES, 'gcc_parsed_results.xml');
const GOLDEN = readFileSync(path.join(FIXTURES, 'gcc_nativereport.json.good'));
const META = parseScarfMetadata(readFileSync(path.join(FIXTURES, 'gcc_SCARFmetaData'), 'utf8'));

describe('SCARF -> nativereport.json, golden file of the legacy C parser', () => {
  test('the fixture metadata file parses to 9 values without warnings', () => {
    expect(META.warnings).toEqual([]);
    expect(META.metadata.toolName).toBe('GCC');
    expect(META.metadata.reportTime).toBe('Thu Dec  7 16:55:33 2017');
  });

  test.each([
    ['1 MiB chunks', undefined],
    ['7-byte chunks (UTF-8 split across reads)', 7],
    ['4 KiB chunks', 4096],
  ])('byte-identical with %s', async (_label, chunkSize) => {
    const t = tempDir();
    try {
      const out = path.join(t.dir, 'nativereport.json');
      const stats = await convertScarfFile({
        inputPath: XML,
        outputPath: out,
        toolName: 'GCC',
        metadata: META.metadata,
        ...(chunkSize ? { chunkSize } : {}),
      });
      expect(stats.bugs).toBe(201);
      expect(readFileSync(out).equals(GOLDEN)).toBe(true);
      // Only the final file is left: the temporary name was renamed.
      expect(readdirSync(t.dir)).toEqual(['nativereport.json']);
      expect(stats.messages).toEqual([
        '[INFO] The number of bugCode found in SCARF XML result is 201/201.',
        '[INFO] The number of bugGroup found in SCARF XML result is 201/201.',
        '[INFO] The number of bugMessage found in SCARF XML result is 201/201.',
        '[INFO] The number of locations found in SCARF XML result is 220/201.',
      ]);
    } finally {
      t.cleanup();
    }
  });

  test('runNativeViewer with the launch_viewer options the metadata came from', async () => {
    const t = tempDir();
    try {
      const outdir = path.join(t.dir, 'outgoing', 'uuid-1');
      const r = await runNativeViewer({
        results_type: 'results',
        package_type: '1',
        file_path: [XML],
        outdir,
        package_name: 'snappy-c',
        package_version: '1.0',
        tool_name: 'GCC',
        tool_version: 'current',
        platform_name: 'Fedora',
        platform_version: '24 64-bit',
        start_date: '2017-11-30 22:06:54',
        end_date: '2017-11-30 22:09:53',
        user_uuid: 'u',
        now: new Date(2017, 11, 7, 16, 55, 33),
      });
      expect(r).toMatchObject({ ok: true, fileName: 'nativereport.json', output: 'nativereport.json\n', exitCode: 0 });
      expect(readFileSync(path.join(outdir, 'nativereport.json')).equals(GOLDEN)).toBe(true);
      expect(existsSync(path.join(outdir, 'SCARFmetaData'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  test('the embedded tool list equals Scarf_ToolList.json (content and key order)', () => {
    const shipped: unknown = JSON.parse(readFileSync(path.join(FIXTURES, 'Scarf_ToolList.json'), 'utf8'));
    expect(JSON.stringify(SCARF_TOOL_LIST)).toBe(JSON.stringify(shipped));
  });
});
