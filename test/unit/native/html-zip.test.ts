import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARCHIVE_BUDGET } from '../../../lib/files/budget.js';
import { runNativeViewer } from '../../../lib/native/viewer.js';
import { ZipWriter } from '../../../lib/viewer/zip.js';
import { makeZip, tempDir, type ZipItem } from './helpers.js';

async function viewZip(dir: string, items: ZipItem[], name = 'report.ZIP', outdir = path.join(dir, 'outgoing', 'r1')) {
  const zip = path.join(dir, name);
  writeFileSync(zip, makeZip(items));
  const r = await runNativeViewer({ results_type: 'results', file_path: zip, outdir, tool_name: 'Sonatype' });
  return { r, outdir };
}

describe('HTML zip branch', () => {
  test('extracts and answers index.html (any results_type, .zip in any case)', async () => {
    const t = tempDir();
    try {
      const { r, outdir } = await viewZip(t.dir, [
        { name: 'index.html', data: '<html>hi</html>' },
        { name: 'css/' },
        { name: 'css/a.css', data: 'a{}' },
      ]);
      expect(r).toMatchObject({ ok: true, fileName: 'index.html', output: 'index.html\n' });
      expect(readFileSync(path.join(outdir, 'index.html'), 'utf8')).toBe('<html>hi</html>');
      expect(readFileSync(path.join(outdir, 'css', 'a.css'), 'utf8')).toBe('a{}');
      expect(readdirSync(outdir).sort()).toEqual(['css', 'index.html', 'report.ZIP']);
    } finally {
      t.cleanup();
    }
  });

  test('index.html not at the top level: nothing printed', async () => {
    const t = tempDir();
    try {
      const { r } = await viewZip(t.dir, [{ name: 'top/index.html', data: 'x' }]);
      expect(r).toMatchObject({ ok: false, output: null, exitCode: 3 });
    } finally {
      t.cleanup();
    }
  });

  test.each([
    ['a ".." entry', [{ name: 'index.html', data: 'ok' }, { name: '../evil.html', data: 'x' }]],
    ['a nested ".." entry', [{ name: 'index.html', data: 'ok' }, { name: 'a/../../evil.html', data: 'x' }]],
    ['an absolute entry', [{ name: 'index.html', data: 'ok' }, { name: '/tmp/evil-native-test.html', data: 'x' }]],
    ['a backslash entry', [{ name: 'index.html', data: 'ok' }, { name: '..\\evil.html', data: 'x' }]],
    ['a symlink entry', [{ name: 'index.html', data: 'ok' }, { name: 'link', data: '/etc/passwd', mode: 0o120777 }]],
  ])('a zip with %s is refused whole: nothing written, nothing printed', async (_l, items) => {
    const t = tempDir();
    try {
      const { r, outdir } = await viewZip(t.dir, items);
      expect(r).toMatchObject({ ok: false, output: null, exitCode: 3 });
      expect(existsSync(path.join(outdir, 'index.html'))).toBe(false);
      expect(existsSync(path.join(t.dir, 'outgoing', 'evil.html'))).toBe(false);
      expect(existsSync('/tmp/evil-native-test.html')).toBe(false);
      expect(readdirSync(outdir)).toEqual(['report.ZIP']);
    } finally {
      t.cleanup();
    }
  });

  test('an entry that would be written through an existing symlink in outdir is refused', async () => {
    const t = tempDir();
    try {
      const outdir = path.join(t.dir, 'o');
      const elsewhere = path.join(t.dir, 'elsewhere');
      mkdirSync(outdir);
      mkdirSync(elsewhere);
      symlinkSync(elsewhere, path.join(outdir, 'sub'));
      const { r } = await viewZip(t.dir, [{ name: 'index.html', data: 'ok' }, { name: 'sub/x.html', data: 'x' }], 'r.zip', outdir);
      expect(r.ok).toBe(false);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(lstatSync(path.join(outdir, 'sub')).isSymbolicLink()).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  test('cache: when the zip copy and index.html are already in outdir nothing is re-extracted', async () => {
    const t = tempDir();
    try {
      const { outdir } = await viewZip(t.dir, [{ name: 'index.html', data: 'v1' }]);
      writeFileSync(path.join(t.dir, 'report.ZIP'), makeZip([{ name: 'index.html', data: 'v2' }]));
      const r = await runNativeViewer({ results_type: 'errors', file_path: path.join(t.dir, 'report.ZIP'), outdir });
      expect(r.ok).toBe(true);
      expect(readFileSync(path.join(outdir, 'index.html'), 'utf8')).toBe('v1');
    } finally {
      t.cleanup();
    }
  });

  test('a missing zip prints the legacy copy error', async () => {
    const t = tempDir();
    try {
      const zip = path.join(t.dir, 'missing.zip');
      const r = await runNativeViewer({ results_type: 'results', file_path: zip, outdir: path.join(t.dir, 'o') });
      expect(r).toMatchObject({ ok: false, output: `ERROR Cannot copy ${zip} to ${path.join(t.dir, 'o')} ENOENT\n` });
    } finally {
      t.cleanup();
    }
  });
});

describe('HTML zip branch: archive budget', () => {
  test.each([
    ['too many entries', { maxEntries: 3 }, 5, 1],
    ['more bytes than archive_max_bytes', { maxBytes: 1024 * 1024 }, 1, 4 * 1024 * 1024],
    ['a ratio past archive_max_ratio (a bomb: 70 MiB of zeros in ~70 kB)', { maxRatio: 100 }, 1, 70 * 1024 * 1024],
  ])('%s: refused before or while writing, nothing extracted left behind, exit 3', async (_l, over, n, size) => {
    const t = tempDir();
    try {
      const zip = path.join(t.dir, 'bomb.zip');
      const w = new ZipWriter(zip);
      w.addFile('index.html', Buffer.from('<html/>'));
      for (let i = 0; i < n; i++) w.addFile(`d/f${i}.bin`, Buffer.alloc(size));
      w.finish();
      const outdir = path.join(t.dir, 'out');
      const r = await runNativeViewer({ results_type: 'results', file_path: zip, outdir, budget: { ...DEFAULT_ARCHIVE_BUDGET, ...over } });
      expect(r).toMatchObject({ ok: false, exitCode: 3 });
      expect(r.messages.join('\n')).toMatch(/archive_max_/);
      expect(readdirSync(outdir)).toEqual(['bomb.zip']);
    } finally {
      t.cleanup();
    }
  });
});
