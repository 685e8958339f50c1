import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { ZipWriter, checkEntryName, dosDateTime } from '../../../lib/viewer/zip.js';
import { rezipArchive } from '../../../lib/viewer/rezip.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swamp-zip-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Read {
  name: string;
  data: Buffer;
  mode: number;
}

async function readZip(path: string): Promise<Read[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  const out: Read[] = [];
  try {
    for await (const e of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      if (!e.fileName.endsWith('/')) for await (const c of await zip.openReadStreamPromise(e)) chunks.push(c as Buffer);
      out.push({ name: e.fileName, data: Buffer.concat(chunks), mode: (e.externalFileAttributes >>> 16) & 0o777 });
    }
  } finally {
    zip.close();
  }
  return out;
}

test('zip writer round-trips through yauzl: deflated, stored, empty, directories, UTF-8 names, modes', async () => {
  const p = join(dir, 'a.zip');
  const w = new ZipWriter(p);
  const big = Buffer.from('hello world\n'.repeat(5000));
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  w.addDirectory('pkg-1.0', { mode: 0o755 });
  w.addFile('pkg-1.0/big.txt', big, { mode: 0o644 });
  w.addFile('pkg-1.0/rand.bin', random, { mode: 0o600 });
  w.addFile('pkg-1.0/empty', Buffer.alloc(0));
  w.addFile('pkg-1.0/ünïcødé.c', Buffer.from('int x;\n'), { mode: 0o755 });
  w.finish();
  const entries = await readZip(p);
  expect(entries.map((e) => e.name)).toEqual(['pkg-1.0/', 'pkg-1.0/big.txt', 'pkg-1.0/rand.bin', 'pkg-1.0/empty', 'pkg-1.0/ünïcødé.c']);
  expect(entries[1]?.data.equals(big)).toBe(true);
  expect(entries[2]?.data.equals(random)).toBe(true);
  expect(entries[3]?.data.length).toBe(0);
  expect(entries[4]?.mode).toBe(0o755);
  expect(entries[2]?.mode).toBe(0o600);
  expect((await readFile(p)).length).toBeLessThan(big.length); // deflate was used
});

test('unsafe entry names are refused; DOS dates', () => {
  for (const n of ['/etc/passwd', '../x', 'a/../../x', 'a\\b', '', 'a//b']) expect(() => checkEntryName(n)).toThrow();
  expect(checkEntryName('./a/b')).toBe('a/b');
  expect(dosDateTime(new Date(1970, 0, 1))).toEqual({ date: 33, time: 0 });
  expect(dosDateTime(new Date(2020, 5, 19, 13, 45, 31))).toEqual({ date: (40 << 9) | (6 << 5) | 19, time: (13 << 11) | (45 << 5) | 15 });
});

test('tar.gz -> zip keeps files and directories, skips symlinks', async () => {
  const src = join(dir, 'src');
  await mkdir(join(src, 'zlib-1.2.13', 'sub'), { recursive: true });
  await writeFile(join(src, 'zlib-1.2.13', 'zlib.h'), '#define ZLIB 1\n');
  await writeFile(join(src, 'zlib-1.2.13', 'sub', 'x.c'), 'int main(void){return 0;}\n'.repeat(100));
  const { symlink } = await import('node:fs/promises');
  await symlink('zlib.h', join(src, 'zlib-1.2.13', 'link.h'));
  const archive = join(dir, 'zlib-1.2.13.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: src, portable: true }, ['zlib-1.2.13']);
  const out = join(dir, 'out1');
  await mkdir(out);
  const zip = await rezipArchive(archive, out);
  expect(zip).toBe(join(out, 'zlib-1.2.13.zip'));
  const entries = await readZip(zip as string);
  const names = entries.map((e) => e.name).sort();
  expect(names).toEqual(['zlib-1.2.13/', 'zlib-1.2.13/sub/', 'zlib-1.2.13/sub/x.c', 'zlib-1.2.13/zlib.h']);
  expect(entries.find((e) => e.name === 'zlib-1.2.13/zlib.h')?.data.toString()).toBe('#define ZLIB 1\n');
});

test('gem -> zip of its data.tar.gz; damaged archive throws and leaves no zip', async () => {
  const stage = join(dir, 'gem');
  await mkdir(join(stage, 'data', 'lib'), { recursive: true });
  await writeFile(join(stage, 'data', 'lib', 'rake.rb'), 'module Rake; end\n');
  await tar.c({ gzip: true, file: join(stage, 'data.tar.gz'), cwd: join(stage, 'data'), portable: true }, ['lib']);
  await writeFile(join(stage, 'metadata.gz'), 'x');
  const gem = join(dir, 'rake-13.0.gem');
  await tar.c({ file: gem, cwd: stage, portable: true }, ['metadata.gz', 'data.tar.gz']);
  const out = join(dir, 'out2');
  await mkdir(out);
  const zip = await rezipArchive(gem, out);
  expect((await readZip(zip as string)).map((e) => e.name).sort()).toEqual(['lib/', 'lib/rake.rb']);

  const bad = join(dir, 'bad.tar.gz');
  await writeFile(bad, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]));
  await expect(rezipArchive(bad, out)).rejects.toThrow();
  await expect(readFile(join(out, 'bad.zip'))).rejects.toThrow();
  expect(await rezipArchive(join(dir, 'x.tar.bz2'), out)).toBeUndefined();
});
