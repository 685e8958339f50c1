/**
 * lib/files: the sandboxed open/copy/write of job files and the archive budgets, on real temp files
 * and real archives (node-tar, zlib).
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { ArchiveBudgetError, BudgetMeter, DEFAULT_ARCHIVE_BUDGET, RATIO_FLOOR_BYTES, effectiveByteLimit, type ArchiveBudget } from '../../../lib/files/budget.js';
import { SandboxError, copyOutOf, openInside, readInside, writeInside } from '../../../lib/files/sandbox.js';
import { copyTarMember, extractTar, readTarMember } from '../../../lib/files/tar.js';
import { configFromText } from '../../../lib/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'files-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const small = (o: Partial<ArchiveBudget> = {}): ArchiveBudget => ({ ...DEFAULT_ARCHIVE_BUDGET, ...o });

describe('budget meter (pure)', () => {
  test('ratio limit applies past the floor only, and never above maxBytes', () => {
    expect(effectiveByteLimit(small(), 1000)).toBe(RATIO_FLOOR_BYTES);
    expect(effectiveByteLimit(small(), 10 * 1024 * 1024)).toBe(200 * 10 * 1024 * 1024);
    expect(effectiveByteLimit(small({ maxBytes: 1000 }), 10 * 1024 * 1024)).toBe(1000);
  });
  test('entries, kept bytes and processed bytes each throw past their limit', () => {
    const m = new BudgetMeter(small({ maxEntries: 2, maxBytes: 100 }), 1, 'x');
    m.entry('a');
    m.entry('b');
    expect(() => m.entry('c')).toThrow(ArchiveBudgetError);
    const k = new BudgetMeter(small({ maxBytes: 100 }), 1, 'x');
    k.add(100);
    expect(() => k.add(1)).toThrow(/archive_max_bytes/);
    const p = new BudgetMeter(small({ maxBytes: 100 }), 1, 'x');
    p.process(100);
    expect(() => p.process(1)).toThrow(/archive_max_bytes/);
  });
  test('swamp.conf keys with K/M/G suffixes; bad values are config errors', () => {
    expect(configFromText('').archiveBudget).toEqual(DEFAULT_ARCHIVE_BUDGET);
    expect(configFromText('archive_max_bytes = 512M\narchive_max_entries = 10\narchive_max_ratio = 50\narchive_max_member_bytes = 64K\n').archiveBudget).toEqual({
      maxBytes: 512 * 1024 * 1024,
      maxEntries: 10,
      maxRatio: 50,
      maxMemberBytes: 64 * 1024,
    });
    expect(() => configFromText('archive_max_bytes = lots\n').archiveBudget).toThrow(/archive_max_bytes/);
    expect(() => configFromText('archive_max_entries = 0\n').archiveBudget).toThrow(/archive_max_entries/);
  });
});

describe('sandboxed job files', () => {
  let root: string;
  let secret: string;
  beforeEach(() => {
    root = join(dir, 'scratch');
    mkdirSync(join(root, 'out'), { recursive: true });
    mkdirSync(join(root, 'in'));
    secret = join(dir, 'global_priv.MAD');
    writeFileSync(secret, 'SECRET');
    writeFileSync(join(root, 'out', 'run.out'), 'run');
  });

  test('a regular file inside is read (capped) and copied', () => {
    writeFileSync(join(root, 'out', 'status.out'), 'PASS: all\n');
    expect(readInside(root, 'out/status.out', 4)).toEqual({ data: Buffer.from('PASS'), truncated: true, size: 10 });
    copyOutOf(root, 'out/status.out', join(dir, 'copy'));
    expect(readFileSync(join(dir, 'copy'), 'utf8')).toBe('PASS: all\n');
  });

  test('a symlink to a file outside (out/status.out -> mariadb data) is neither read nor copied', () => {
    symlinkSync(secret, join(root, 'out', 'status.out'));
    expect(readInside(root, 'out/status.out', 100)).toBeNull();
    expect(() => copyOutOf(root, 'out/status.out', join(dir, 'copy'))).toThrow(SandboxError);
    expect(existsSync(join(dir, 'copy'))).toBe(false);
  });

  test('a symlinked directory out of the sandbox (in -> /elsewhere) is refused, a link inside is fine', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'package.conf'), 'package-archive=x');
    rmSync(join(root, 'in'), { recursive: true });
    symlinkSync(other, join(root, 'in'));
    expect(() => openInside(root, 'in/package.conf')).toThrow(/outside/);
    mkdirSync(join(root, 'real'));
    writeFileSync(join(root, 'real', 'f'), 'inside');
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    expect(readInside(root, 'alias/f', 100)?.data.toString()).toBe('inside');
  });

  test('FIFOs and directories are refused without blocking; `..` never resolves', () => {
    execFileSync('mkfifo', [join(root, 'out', 'fifo')]);
    expect(() => openInside(root, 'out/fifo')).toThrow(/not a regular file/);
    expect(() => openInside(root, 'out')).toThrow(/not a regular file/);
    expect(() => openInside(root, '../global_priv.MAD')).toThrow(/outside/);
    expect(() => openInside(root, secret)).toThrow(/outside/);
  });

  test('writeInside replaces a planted symlink instead of writing through it', () => {
    symlinkSync(secret, join(root, 'out', 'versions.txt'));
    writeInside(root, 'out/versions.txt', 'v1\n');
    expect(readFileSync(secret, 'utf8')).toBe('SECRET');
    expect(lstatSync(join(root, 'out', 'versions.txt')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'out', 'versions.txt'), 'utf8')).toBe('v1\n');
  });

  test('writeInside refuses a directory that resolves outside', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    symlinkSync(other, join(root, 'outlink'));
    expect(() => writeInside(root, 'outlink/versions.txt', 'x')).toThrow(SandboxError);
    expect(readdirSync(other)).toEqual([]);
  });
});

async function tarGz(files: Record<string, string | Buffer>, name = 'a.tar.gz'): Promise<string> {
  const src = mkdtempSync(join(dir, 'src-'));
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(src, rel, '..'), { recursive: true });
    writeFileSync(join(src, rel), data);
  }
  const file = join(dir, name);
  await tar.c({ gzip: true, file, cwd: src, portable: true }, Object.keys(files));
  return file;
}

describe('tar within a budget', () => {
  test('extracts regular files and directories; skips links; refuses `..`', async () => {
    const a = await tarGz({ 'd/a.txt': 'A', 'b.txt': 'B' });
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const r = await extractTar(a, dest, { budget: small() });
    expect(readFileSync(join(dest, 'd', 'a.txt'), 'utf8')).toBe('A');
    expect(r.files).toHaveLength(2);
  });

  test('past the entry budget: refused, nothing left behind', async () => {
    const a = await tarGz({ a: '1', b: '2', c: '3', d: '4' });
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    await expect(extractTar(a, dest, { budget: small({ maxEntries: 3 }) })).rejects.toThrow(ArchiveBudgetError);
    expect(readdirSync(dest)).toEqual([]);
  });

  test('a bomb (20 MiB of zeros in a ~20 kB tar.gz) past the byte budget: refused early, nothing left', async () => {
    const a = await tarGz({ 'x/zeros': Buffer.alloc(20 * 1024 * 1024), 'x/after': 'z' });
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    await expect(extractTar(a, dest, { budget: small({ maxBytes: 1024 * 1024 }) })).rejects.toThrow(/archive_max_bytes/);
    expect(readdirSync(dest)).toEqual([]);
  });

  test('truncateFilesAt cuts a long member, and the member reader holds at most the cap', async () => {
    const a = await tarGz({ 'out/status.out': Buffer.alloc(5 * 1024 * 1024, 0x41), 'out/run.out': 'r' });
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const r = await extractTar(a, dest, { budget: small(), truncateFilesAt: 1000 });
    expect(r.truncated).toEqual(['out/status.out']);
    expect(lstatSync(join(dest, 'out', 'status.out')).size).toBe(1000);
    const m = await readTarMember(a, './out/status.out', small(), 10);
    expect(m).toEqual({ data: Buffer.from('AAAAAAAAAA'), truncated: true });
    expect(await readTarMember(a, 'out/missing', small())).toBeNull();
  });

  test('copyTarMember streams one member to a new file, budget applies', async () => {
    const a = await tarGz({ 'p/parsed.xml': '<x/>', 'p/big': Buffer.alloc(3 * 1024 * 1024) });
    expect(await copyTarMember(a, 'p/parsed.xml', join(dir, 'out.xml'), small())).toBe(true);
    expect(readFileSync(join(dir, 'out.xml'), 'utf8')).toBe('<x/>');
    await expect(copyTarMember(a, 'p/big', join(dir, 'big'), small({ maxBytes: 1024 * 1024 }))).rejects.toThrow(ArchiveBudgetError);
    expect(existsSync(join(dir, 'big'))).toBe(false);
  });

  test('a damaged archive is an error, not a crash', async () => {
    const bad = join(dir, 'bad.tar.gz');
    writeFileSync(bad, Buffer.concat([gzipSync(Buffer.alloc(2048, 7))]));
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    await expect(extractTar(bad, dest, { budget: small() })).rejects.toThrow();
    expect(readdirSync(dest)).toEqual([]);
  });

  test('an extraction never writes through a symlink already in the destination', async () => {
    const a = await tarGz({ 'in/x': 'payload' });
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(dest, 'in'));
    await expect(extractTar(a, dest, { budget: small() })).rejects.toThrow(/not a directory/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  test('a 200 MB status.out in a 200 kB tar.gz: read through with bounded memory', async () => {
    // built with tar(1) from a sparse file so the test itself stays cheap on disk
    const src = join(dir, 'big');
    mkdirSync(join(src, 'out'), { recursive: true });
    writeFileSync(join(src, 'out', 'status.out'), '');
    truncateSync(join(src, 'out', 'status.out'), 200 * 1024 * 1024);
    const a = join(dir, 'big.tar.gz');
    execFileSync('tar', ['-C', src, '-czf', a, 'out']);
    const before = process.memoryUsage().rss;
    const m = await readTarMember(a, 'out/status.out', small(), 1024 * 1024);
    expect(m?.data.length).toBe(1024 * 1024);
    expect(m?.truncated).toBe(true);
    expect(process.memoryUsage().rss - before).toBeLessThan(160 * 1024 * 1024);
  }, 60_000);
});
