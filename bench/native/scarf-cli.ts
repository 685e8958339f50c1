/**
 * Bench-only command line around convertScarfFile, bundled by run.ts with esbuild (CommonJS, like
 * the production bundle) so /usr/bin/time measures just node + our transform:
 *   node scarf-cli.cjs <input.xml> <output.json> <tool> <SCARFmetaData>
 */
import { readFileSync } from 'node:fs';
import { parseScarfMetadata } from '../../lib/native/metadata.js';
import { convertScarfFile } from '../../lib/native/scarf-file.js';

async function main(): Promise<void> {
  const [input, output, tool, metaPath] = process.argv.slice(2);
  if (!input || !output || !tool || !metaPath) throw new Error('usage: scarf-cli <input> <output> <tool> <metadata>');
  const { metadata } = parseScarfMetadata(readFileSync(metaPath, 'utf8'));
  const stats = await convertScarfFile({ inputPath: input, outputPath: output, toolName: tool, metadata });
  process.stdout.write(`${stats.messages.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
