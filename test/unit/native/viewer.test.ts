import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runNativeViewer } from '../../../lib/native/viewer.js';
import { FIXTURES, tempDir } from './helpers.js';

const XML = path.join(FIXTURES, 'gcc_parsed_results.xml');

describe('runNativeViewer dispatch and hostile option values', () => {
  test('hostile metadata values are JSON-escaped and cannot shift other fields', async () => {
    const t = tempDir();
    try {
      const small = path.join(t.dir, 'in.xml');
      writeFileSync(small, '<AnalyzerReport uuid="u" tool_name="t" tool_version="v"><BugInstance id="1"><BugCode>c</BugCode></BugInstance></AnalyzerReport>');
      const outdir = path.join(t.dir, 'o');
      const r = await runNativeViewer({
        results_type: 'results',
        file_path: small,
        outdir,
        tool_name: "gcc'; rm -rf / #",
        package_name: 'p"\n\\x\u0001',
        platform_name: "it's\nplatform_version",
        start_date: '$(date)',
      });
      expect(r.ok).toBe(true);
      const report = JSON.parse(readFileSync(path.join(outdir, 'nativereport.json'), 'utf8')) as { AnalyzerReport: Record<string, string> };
      expect(report.AnalyzerReport['package_name']).toBe('p"\n\\x\u0001');
      expect(report.AnalyzerReport['platform_name']).toBe("it's\nplatform_version");
      expect(report.AnalyzerReport['assessment_start_ts']).toBe('$(date)');
      expect(report.AnalyzerReport['platform_version']).toBe('');
    } finally {
      t.cleanup();
    }
  });

  test.each([
    ['outdir with ".."', { outdir: '/tmp/x/../../etc' }],
    ['outdir with a newline', { outdir: '/tmp/x\ny' }],
    ['file_path with a newline', { file_path: `${XML}\n/etc/passwd` }],
    ['empty outdir', { outdir: '' }],
  ])('%s is refused: nothing printed', async (_l, o) => {
    const r = await runNativeViewer({ results_type: 'results', tool_name: 'gcc', file_path: XML, outdir: '/tmp/never-used', ...o });
    expect(r).toMatchObject({ ok: false, output: null });
    expect(existsSync('/tmp/never-used')).toBe(false);
  });

  test('outdir is created (recursively), like the legacy make_path', async () => {
    const t = tempDir();
    try {
      const outdir = path.join(t.dir, 'a', 'b', 'c');
      const r = await runNativeViewer({ results_type: 'results', tool_name: 'GCC', file_path: XML, outdir });
      expect(r).toMatchObject({ ok: true, fileName: 'nativereport.json' });
      expect(readdirSync(outdir)).toEqual(['nativereport.json']);
    } finally {
      t.cleanup();
    }
  });

  test('SCARF failures print nothing and leave no nativereport.json', async () => {
    const t = tempDir();
    try {
      const outdir = path.join(t.dir, 'o');
      const missing = await runNativeViewer({ results_type: 'results', tool_name: 'gcc', file_path: path.join(t.dir, 'none.xml'), outdir });
      expect(missing).toMatchObject({ ok: false, output: null });
      const bad = path.join(t.dir, 'bad.xml');
      writeFileSync(bad, '<AnalyzerReport><BugInstance id="1"><BugCode>x</BugCode>');
      expect(await runNativeViewer({ results_type: 'results', tool_name: 'gcc', file_path: bad, outdir })).toMatchObject({ ok: false, output: null });
      // An empty tool name broke the legacy command line: nothing printed.
      expect(await runNativeViewer({ results_type: 'results', tool_name: '  ', file_path: XML, outdir })).toMatchObject({ ok: false, output: null });
      expect(readdirSync(outdir)).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  test('an existing nativereport.json symlink is replaced, not written through', async () => {
    const t = tempDir();
    try {
      const outdir = path.join(t.dir, 'o');
      const victim = path.join(t.dir, 'victim');
      writeFileSync(victim, 'keep');
      const fs = await import('node:fs');
      fs.mkdirSync(outdir);
      fs.symlinkSync(victim, path.join(outdir, 'nativereport.json'));
      const r = await runNativeViewer({ results_type: 'results', tool_name: 'GCC', file_path: XML, outdir });
      expect(r.ok).toBe(true);
      expect(readFileSync(victim, 'utf8')).toBe('keep');
      expect(fs.lstatSync(path.join(outdir, 'nativereport.json')).isFile()).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  test('unknown results_type and no file_path print nothing', async () => {
    expect(await runNativeViewer({ results_type: 'other', file_path: XML, outdir: '/tmp/never-used' })).toMatchObject({ ok: false, output: null, exitCode: 3 });
    expect(await runNativeViewer({ results_type: 'results', outdir: '/tmp/never-used' })).toMatchObject({ ok: false, output: null });
  });

  test('several --file_path: one printed line each, the last decides', async () => {
    const t = tempDir();
    try {
      const r = await runNativeViewer({ results_type: 'results', tool_name: 'GCC', file_path: [XML, XML], outdir: path.join(t.dir, 'o') });
      expect(r).toMatchObject({ ok: true, output: 'nativereport.json\nnativereport.json\n' });
    } finally {
      t.cleanup();
    }
  });
});
