/**
 * Native viewer benchmark: throughput (MB/s, MB = 10^6 bytes of input) and peak resident memory
 * of our SCARF -> nativereport.json transform, side by side with the legacy C parser when it has
 * been built (bench/native/build-legacy-c.sh), on the gcc fixture and on generated inputs.
 *
 *   npx tsx bench/native/run.ts [--sizes 10,100,500] [--runs 3] [--no-c]
 *
 * Inputs and outputs go to bench/out/ (git-ignored). Peak RSS comes from /usr/bin/time -f %M
 * (Debian package `time`); wall time from the parent's clock. Each output of ours is compared
 * byte for byte with the legacy output when both exist.
 */
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { build } from 'esbuild';
import { generateScarf } from './gen.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'bench/out');
const FIX = process.env.SWAMP_SCARF_FIXTURES ?? path.resolve(ROOT, 'test/fixtures/scarf');
const FIXTURE = path.join(FIX, 'gcc_parsed_results.xml');
const META = path.join(FIX, 'gcc_SCARFmetaData');
const TOOLLIST = path.join(FIX, 'Scarf_ToolList.json');
const LEGACY = path.join(OUT, 'legacy-c/vmu_Scarf_CParsing');
const TIME = '/usr/bin/time';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const sizes = arg('--sizes', '10,100,500').split(',').filter(Boolean).map(Number);
const runs = Number(arg('--runs', '3'));
const withC = !process.argv.includes('--no-c') && existsSync(LEGACY);

interface Sample { seconds: number; rssKB: number }

async function measure(cmd: string, args: string[]): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const r = await execa(TIME, ['-f', '%M', cmd, ...args], { reject: false, timeout: 900_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.exitCode !== 0) throw new Error(`${cmd} failed (${r.exitCode}): ${r.stderr.slice(-500)}`);
  const lines = r.stderr.trim().split('\n');
  return { seconds, rssKB: Number(lines[lines.length - 1]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function sameFile(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  const ba = Buffer.alloc(1 << 20);
  const bb = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const na = readSync(fa, ba, 0, ba.length, null);
      const nb = readSync(fb, bb, 0, bb.length, null);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(TIME)) throw new Error('/usr/bin/time missing: apt-get install time');
  const cli = path.join(OUT, 'scarf-cli.cjs');
  await build({
    entryPoints: [path.join(ROOT, 'bench/native/scarf-cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile: cli,
    logLevel: 'warning',
  });
  const inputs: { label: string; file: string }[] = [{ label: 'gcc fixture', file: FIXTURE }];
  for (const mb of sizes) {
    const file = path.join(OUT, `synthetic_${mb}MB.xml`);
    if (!existsSync(file) || Math.abs(statSync(file).size - mb * 1e6) > 1e5) {
      const g = generateScarf(FIXTURE, mb * 1e6, file);
      process.stderr.write(`generated ${file}: ${g.bytes} bytes, ${g.bugs} bugs\n`);
    }
    inputs.push({ label: `synthetic ${mb} MB`, file });
  }
  const rows: string[] = [];
  rows.push(`node ${process.version}; legacy C: ${withC ? 'built here' : 'not available'}; runs per input: ${runs} (median)`);
  rows.push('');
  rows.push('| input | size MB | ours s | ours MB/s | ours peak RSS MB | C s | C MB/s | C peak RSS MB | identical |');
  rows.push('|---|---|---|---|---|---|---|---|---|');
  for (const inp of inputs) {
    const size = statSync(inp.file).size / 1e6;
    const n = inp.file === FIXTURE ? Math.max(runs, 5) : runs;
    const ours: Sample[] = [];
    const legacy: Sample[] = [];
    const oursOut = path.join(OUT, 'ours.json');
    const cOut = path.join(OUT, 'legacy.json');
    for (let i = 0; i < n; i++) {
      ours.push(await measure(process.execPath, [cli, inp.file, oursOut, 'GCC', META]));
      if (withC) {
        legacy.push(
          await measure(LEGACY, ['-input_file', inp.file, '-output_file', cOut, '-tool_name', 'GCC', '-tool_list', TOOLLIST, '-metadata_path', META]),
        );
      }
    }
    const os = median(ours.map((s) => s.seconds));
    const orss = median(ours.map((s) => s.rssKB)) / 1024;
    let cCols = '– | – | –';
    let same = '–';
    if (withC) {
      const cs = median(legacy.map((s) => s.seconds));
      const crss = median(legacy.map((s) => s.rssKB)) / 1024;
      cCols = `${cs.toFixed(2)} | ${(size / cs).toFixed(1)} | ${crss.toFixed(1)}`;
      same = sameFile(oursOut, cOut) ? 'yes' : 'NO';
    }
    const row = `| ${inp.label} | ${size.toFixed(2)} | ${os.toFixed(2)} | ${(size / os).toFixed(1)} | ${orss.toFixed(1)} | ${cCols} | ${same} |`;
    rows.push(row);
    process.stderr.write(`${row}\n`);
  }
  const text = rows.join('\n') + '\n';
  writeFileSync(path.join(OUT, 'native-results.md'), text);
  process.stdout.write(text);
}

await main();
