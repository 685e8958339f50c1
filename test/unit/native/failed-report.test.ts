import { execFileSync } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { DEFAULT_ARCHIVE_BUDGET } from '../../../lib/files/budget.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { runNativeViewer } from '../../../lib/native/viewer.js';
import { tempDir } from './helpers.js';

/** A raw ustar archive, so entry names can be hostile (node-tar's packer would sanitize them). */
function rawTar(entries: { name: string; data?: string; type?: '0' | '2' | '5'; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function makeOutputDisk(dir: string, files: Record<string, string>, name = 'outputdisk.tar.gz'): Promise<string> {
  const src = path.join(dir, 'src');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), content);
  }
  const file = path.join(dir, 'results', name);
  mkdirSync(path.dirname(file), { recursive: true });
  await tar.c({ gzip: true, file, cwd: src, portable: true }, ['out']);
  return file;
}

async function makeBuildArchive(dir: string, members: Record<string, string>): Promise<string> {
  const src = path.join(dir, 'bsrc');
  for (const [rel, content] of Object.entries(members)) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), content);
  }
  const file = path.join(dir, 'build.tar.gz');
  await tar.c({ gzip: true, file, cwd: src, portable: true }, Object.keys(members));
  return readFileSync(file).toString('base64');
}

const NOW = new Date(2026, 10, 28, 14, 19, 9);

describe('status report branch (errors / warnings) with a real tar archive', () => {
  test('errors: failedreport.json with header, assessment-report.json next to the input, work dir removed', async () => {
    const t = tempDir();
    try {
      const build = Buffer.from(await makeBuildArchive(t.dir, { 'build/build_stdout.out': 'compiling\n', 'build/build_stderr.out': 'oops\n' }), 'base64');
      mkdirSync(path.join(t.dir, 'src', 'out'), { recursive: true });
      writeFileSync(path.join(t.dir, 'src', 'out', 'build.tar.gz'), build);
      const file = await makeOutputDisk(t.dir, {
        'out/status.out': 'PASS: configure 1s\nFAIL: build (exit 2) 3.5s\n  ----------\n  make: Error 2\n  ----------\nFAIL: all\n',
        'out/build.conf': 'build-archive=build.tar.gz\nbuild-dir=build\n',
        'out/build_assess.out': 'ba',
        'out/versions.txt': 'tool 1.0\n',
      });
      const outdir = path.join(t.dir, 'outgoing', 'r1');
      const r = await runNativeViewer({ results_type: 'errors', file_path: file, outdir, start_date: 'S', end_date: 'E', now: NOW });
      expect(r).toMatchObject({ ok: true, fileName: 'failedreport.json', output: 'failedreport.json\n' });
      const report = JSON.parse(readFileSync(path.join(outdir, 'failedreport.json'), 'utf8')) as Record<string, unknown>;
      expect(report['assessment_start_ts']).toBe('S');
      expect(report['assessment_end_ts']).toBe('E');
      expect(report['report_generation_ts']).toBe('Sat Nov 28 14:19:09 2026');
      expect(report['status']).toEqual([
        { name: 'build', content: 'exit 2\n  make: Error 2\n', collapsed: false, anchor: 'task-debug-build' },
        { name: 'status.out', content: 'PASS: configure\nFAIL: build (exit 2)\n  ----------\n  make: Error\n  ----------\nFAIL: all', collapsed: false },
        { name: 'build/build_stdout.out', content: 'compiling\n', collapsed: false },
        { name: 'build/build_stderr.out', content: 'oops\n', collapsed: false },
        { name: 'build_assess.out', content: 'ba', collapsed: true },
        { name: 'Component Versions', content: 'tool 1.0\n', collapsed: false },
      ]);
      const plain = JSON.parse(readFileSync(path.join(t.dir, 'results', 'assessment-report.json'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(plain)).toEqual(['status']);
      // outdir holds the copy of the archive and the report only (no out/, no temporary names).
      expect(readdirSync(outdir).sort()).toEqual(['failedreport.json', 'outputdisk.tar.gz']);
    } finally {
      t.cleanup();
    }
  });

  test('warnings: the file is replaced by outputdisk.tar.gz next to it', async () => {
    const t = tempDir();
    try {
      await makeOutputDisk(t.dir, { 'out/status.out': 'PASS: all\n' });
      writeFileSync(path.join(t.dir, 'results', 'parsed_results.xml'), '<x/>');
      const outdir = path.join(t.dir, 'o');
      const r = await runNativeViewer({ results_type: 'Warnings', file_path: path.join(t.dir, 'results', 'parsed_results.xml'), outdir, now: NOW });
      expect(r.ok).toBe(true);
      const report = JSON.parse(readFileSync(path.join(outdir, 'failedreport.json'), 'utf8')) as { status: { name: string }[]; assessment_start_ts: unknown };
      expect(report.status.map((s) => s.name)).toEqual(['Success', 'status.out']);
      expect(report.assessment_start_ts).toBeNull();
    } finally {
      t.cleanup();
    }
  });

  test('missing archive and a non-tar name print the legacy ERROR lines', async () => {
    const t = tempDir();
    try {
      const missing = path.join(t.dir, 'nope.tar.gz');
      expect(await runNativeViewer({ results_type: 'errors', file_path: missing, outdir: path.join(t.dir, 'o') })).toMatchObject({
        ok: false,
        output: `ERROR - ${missing} not found\n`,
        exitCode: 3,
      });
      const notTar = path.join(t.dir, 'x.zip2');
      writeFileSync(notTar, 'x');
      expect(await runNativeViewer({ results_type: 'errors', file_path: notTar, outdir: path.join(t.dir, 'o') })).toMatchObject({
        ok: false,
        output: `ERROR - ${notTar} is not a tar archive\n`,
      });
      const bad = path.join(t.dir, 'bad.tar.gz');
      writeFileSync(bad, 'not a tar at all');
      const r = await runNativeViewer({ results_type: 'errors', file_path: bad, outdir: path.join(t.dir, 'o') });
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/^ERROR - tar xf .* failed - .*\n$/);
      expect(existsSync(path.join(t.dir, 'o', 'failedreport.json'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  test('hostile archive: "..", absolute and symlink entries are not extracted or followed', async () => {
    const t = tempDir();
    try {
      const secret = path.join(t.dir, 'secret.txt');
      writeFileSync(secret, 'TOP SECRET');
      const file = path.join(t.dir, 'results', 'outputdisk.tar.gz');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(
        file,
        gzipSync(
          rawTar([
            { name: 'out/', type: '5' },
            { name: 'out/../../escaped.txt', data: 'x' },
            { name: '/tmp/absolute-native-test.txt', data: 'x' },
            { name: 'out/status.out', type: '2', link: secret },
            { name: 'out/versions.txt', type: '2', link: '../../secret.txt' },
            { name: 'out/run.out', data: 'run' },
          ]),
        ),
      );
      const outdir = path.join(t.dir, 'o');
      const r = await runNativeViewer({ results_type: 'errors', file_path: file, outdir, now: NOW });
      expect(r.ok).toBe(true);
      const text = readFileSync(path.join(outdir, 'failedreport.json'), 'utf8');
      expect(text).not.toContain('TOP SECRET');
      expect((JSON.parse(text) as { status: { name: string }[] }).status.map((s) => s.name)).toEqual(['Status Not Found']);
      expect(existsSync(path.join(t.dir, 'escaped.txt'))).toBe(false);
      expect(existsSync(path.join(t.dir, 'o', 'escaped.txt'))).toBe(false);
      expect(readdirSync(outdir).sort()).toEqual(['failedreport.json', 'outputdisk.tar.gz']);
    } finally {
      t.cleanup();
    }
  });

  test('a symlink planted in the extracted tree is not read', async () => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'secret.txt'), 'TOP SECRET');
      mkdirSync(path.join(t.dir, 'src', 'out'), { recursive: true });
      writeFileSync(path.join(t.dir, 'src', 'out', 'status.out'), 'PASS: all\n');
      symlinkSync(path.join(t.dir, 'secret.txt'), path.join(t.dir, 'src', 'out', 'run.out'));
      const file = await makeOutputDisk(t.dir, {});
      const r = await runNativeViewer({ results_type: 'errors', file_path: file, outdir: path.join(t.dir, 'o'), now: NOW });
      expect(r.ok).toBe(true);
      expect(readFileSync(path.join(t.dir, 'o', 'failedreport.json'), 'utf8')).not.toContain('TOP SECRET');
    } finally {
      t.cleanup();
    }
  });
});

describe('status report branch: bounded memory and archive budget', () => {
  function bigOutputDisk(dir: string, mb: number): string {
    // tar(1) over a sparse file: a 2.4 MB-class tar.gz holding a huge status.out, cheap to build
    const src = path.join(dir, 'bsrc');
    mkdirSync(path.join(src, 'out'), { recursive: true });
    writeFileSync(path.join(src, 'out', 'status.out'), 'FAIL: build (exit 2)\nFAIL: all\n');
    truncateSync(path.join(src, 'out', 'status.out'), mb * 1024 * 1024);
    writeFileSync(path.join(src, 'out', 'run.out'), 'run\n');
    const file = path.join(dir, 'results', 'outputdisk.tar.gz');
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('tar', ['-C', src, '-czf', file, 'out']);
    return file;
  }

  test('a 300 MB status.out: the report is built from its first archive_max_member_bytes, the work dir removed', async () => {
    const t = tempDir();
    try {
      const file = bigOutputDisk(t.dir, 300);
      const outdir = path.join(t.dir, 'o');
      const budget = { ...DEFAULT_ARCHIVE_BUDGET, maxMemberBytes: 64 * 1024 };
      const r = await runNativeViewer({ results_type: 'errors', file_path: file, outdir, now: NOW, budget });
      expect(r).toMatchObject({ ok: true, output: 'failedreport.json\n' });
      expect(r.messages.join('\n')).toMatch(/cut at 65536 bytes.*out\/status.out/);
      const report = JSON.parse(readFileSync(path.join(outdir, 'failedreport.json'), 'utf8')) as { status: { name: string; content: unknown }[] };
      expect(report.status[0]?.name).toBe('build');
      expect(String(report.status[1]?.content).length).toBeLessThanOrEqual(64 * 1024);
      expect(readdirSync(outdir).sort()).toEqual(['failedreport.json', 'outputdisk.tar.gz']);
    } finally {
      t.cleanup();
    }
  }, 60_000);

  test('past the budget: one ERROR line, exit 3, no work dir left, no crash', async () => {
    const t = tempDir();
    try {
      const file = bigOutputDisk(t.dir, 100);
      const outdir = path.join(t.dir, 'o');
      const r = await runNativeViewer({ results_type: 'errors', file_path: file, outdir, now: NOW, budget: { ...DEFAULT_ARCHIVE_BUDGET, maxBytes: 10 * 1024 * 1024 } });
      expect(r).toMatchObject({ ok: false, exitCode: 3 });
      expect(r.output).toMatch(/^ERROR - tar xf .* failed - .*archive_max_bytes.*\n$/);
      expect(readdirSync(outdir)).toEqual(['outputdisk.tar.gz']);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
