import {
  generateStatusList,
  parseProperties,
  parseStatusOut,
  serializeReport,
  stripDurations,
  type OutputAccess,
} from '../../../lib/native/status-out.js';

/** An in-memory out/ directory: top-level files and archives of members. */
function memAccess(top: Record<string, string>, archives: Record<string, Record<string, string>> = {}): OutputAccess {
  return {
    readTop: async (rel) => (Object.prototype.hasOwnProperty.call(top, rel) ? Buffer.from(top[rel] as string) : null),
    readFromArchive: async (a, m) => {
      const arc = archives[a];
      return arc && Object.prototype.hasOwnProperty.call(arc, m) ? Buffer.from(arc[m] as string) : null;
    },
  };
}

const FAIL_BUILD = [
  'PASS: install-os-dependencies           0.1s',
  'PASS: configure   (conf ok)   1.5s',
  'FAIL: build (exit code 2)  12.25s',
  '  ----------',
  '  make: *** [all] Error 2',
  '  ----------',
  'FAIL: all  20',
  '',
].join('\n');

describe('status.out parsing', () => {
  test('task lines, counters, first failure, long message with indentation', () => {
    const s = parseStatusOut(FAIL_BUILD);
    expect(s.meta).toMatchObject({ firstFailure: 'build', allPass: false, passCount: 2, failCount: 2, tasks: ['install-os-dependencies', 'configure', 'build', 'all'] });
    expect(s.status.get('build')).toEqual({ task: 'build', status: 'FAIL', short: 'exit code 2', duration: '12.25', units: 's', long: '  make: *** [all] Error 2\n' });
    expect(s.status.get('configure')?.short).toBe('conf ok');
    expect(s.content.startsWith('PASS: install')).toBe(true);
  });
  test('no-build, weaknesses, skip assess, retry, greedy short message, trailing CR', () => {
    const s = parseStatusOut(
      'NOTE: retry\nPASS: no-build-setup (source-files: 10, compilable: 7)\nPASS: parse-results (weaknesses: 42) (x)\r\nSKIP: assess\nPASS: all\n',
    );
    expect(s.meta).toMatchObject({ noBuild: true, sourceFiles: 10, compilable: 7, weaknesses: '42', noFiles: true, retry: true, allPass: true });
    expect(s.status.get('parse-results')?.short).toBe('weaknesses: 42) (x');
  });
  test('a stray line before a delimiter starts the next long message', () => {
    const s = parseStatusOut('FAIL: setup\nstray\n----\nreal\n----\n');
    expect(s.status.get('setup')?.long).toBe('stray\nreal\n');
  });
  test('duration stripping quirks of the legacy regex', () => {
    expect(stripDurations('  make: *** [all] Error 2')).toBe('  make: *** [all] Error');
    expect(stripDurations('  error count 5\n\nnext')).toBe('  error count\nnext');
    expect(stripDurations('a\n  42\nb')).toBe('a\nb');
    expect(stripDurations('version 1.2.3\nsize 10 s')).toBe('version 1.2.3\nsize 10 s');
    expect(stripDurations('PASS: all 1.5ms\nPASS: x 2ns')).toBe('PASS: all\nPASS: x');
  });
  test('properties files', () => {
    const p = parseProperties('# c\nbuild-archive=build.tar.gz\nbuild-dir build\nq = "quoted v"\n\n');
    expect([...p]).toEqual([['build-archive', 'build.tar.gz'], ['build-dir', 'build'], ['q', 'quoted v']]);
  });
});

describe('generateStatusOutJson', () => {
  test('failed build: headline, stripped status.out, build stdout/stderr from the archive, collapsing', async () => {
    const big = 'x'.repeat(2048);
    const list = await generateStatusList(
      memAccess(
        { 'status.out': FAIL_BUILD, 'build.conf': 'build-archive=build.tar.gz\nbuild-dir=build\nbuild-stdout-file=bs.out\n', 'build_assess.out': 'ba', 'run.out': 'r', 'versions.txt': 'v1\n' },
        { 'build.tar.gz': { 'build/bs.out': 'out', 'build/build_stderr.out': big } },
      ),
    );
    expect(list).toEqual([
      { name: 'build', content: 'exit code 2\n  make: *** [all] Error 2\n', collapsed: false, anchor: 'task-debug-build' },
      { name: 'status.out', content: expect.stringContaining('FAIL: build (exit code 2)\n'), collapsed: false },
      { name: 'build/bs.out', content: 'out', collapsed: false },
      { name: 'build/build_stderr.out', content: big, collapsed: true },
      { name: 'build_assess.out', content: 'ba', collapsed: true },
      { name: 'run.out', content: 'r', collapsed: true },
      { name: 'Component Versions', content: 'v1\n', collapsed: false },
    ]);
    expect((list[1]?.content as string).endsWith('FAIL: all')).toBe(true);
  });

  test('success, empty/"0" error files count as missing, runOut expanded only for setup', async () => {
    const ok = await generateStatusList(memAccess({ 'status.out': 'PASS: all\n', 'run.out': 'r' }));
    expect(ok.map((e) => [e.name, e.collapsed, e.anchor])).toEqual([
      ['Success', false, 'task-def-all'],
      ['status.out', false, undefined],
      ['run.out', true, undefined],
    ]);
    const setup = await generateStatusList(memAccess({ 'status.out': 'FAIL: setup (no vm)\n', 'run.out': 'r' }));
    expect(setup.map((e) => [e.name, e.content, e.collapsed])).toEqual([
      ['setup', 'no vm', false],
      ['status.out', 'FAIL: setup (no vm)', false],
      ['run.out', 'r', false],
    ]);
  });

  test('assess failure: files of failed assessments from the results archive; buildAssessOut collapsed like the legacy truthy list', async () => {
    const summary =
      '<assessment-summary><assessment-artifacts>' +
      '<assessment><exit-code>0</exit-code><stdout>ok.out</stdout></assessment>' +
      '<assessment><execution-successful>false</execution-successful><stdout>a1.out</stdout><stderr>a1.err</stderr></assessment>' +
      '<assessment><exit-code>3</exit-code><stdout>a2.out</stdout></assessment>' +
      '</assessment-artifacts></assessment-summary>';
    const list = await generateStatusList(
      memAccess(
        { 'status.out': 'FAIL: assess\nFAIL: all\n', 'results.conf': 'results-archive=results.tar.gz\nresults-dir=results\n', 'build_assess.out': 'ba' },
        { 'results.tar.gz': { 'results/assessment_summary.xml': summary, 'results/a1.out': 'o1', 'results/a1.err': 'e1', 'results/a2.out': 'o2', 'results/ok.out': 'x' } },
      ),
    );
    expect(list.map((e) => [e.name, e.content, e.collapsed])).toEqual([
      ['assess', 'Internal Error', false],
      ['status.out', 'FAIL: assess\nFAIL: all', false],
      ['results/a1.out', 'o1', false],
      ['results/a1.err', 'e1', false],
      ['results/a2.out', 'o2', false],
      ['build_assess.out', 'ba', true],
    ]);
    const none = await generateStatusList(memAccess({ 'status.out': 'FAIL: assess\n', 'build_assess.out': 'ba' }));
    expect(none[2]).toEqual({ name: 'build_assess.out', content: 'ba', collapsed: false });
  });

  test('no-build: Source Files entry from source-compiles.xml, expanded when source files > compilable', async () => {
    const xml =
      '<source-compiles><source-compile><source-file>a.c</source-file><exit-code>0</exit-code></source-compile>' +
      '<source-compile><source-file>b.c</source-file><exit-code>1</exit-code><output>err &amp; more</output></source-compile></source-compiles>';
    const list = await generateStatusList(
      memAccess({ 'status.out': 'PASS: no-build-setup (source-files: 2, compilable: 1)\nPASS: all\n', 'source-compiles.xml': xml }),
    );
    expect(list[0]).toEqual({ name: 'no-build-setup', content: 'Source files: 2 > Compilable: 1', collapsed: false, anchor: 'task-warn-no-build-setup-pass' });
    expect(list[2]).toEqual({ name: 'Source Files', content: { success: ['a.c'], fail: ['b.c\nerr & more'] }, collapsed: false });
  });

  test('status.out missing: Status Not Found + versions', async () => {
    const list = await generateStatusList(memAccess({ 'versions.txt': 'v' }));
    expect(list).toEqual([
      { name: 'Status Not Found', content: 'Unable to determine the final status of the assessment.', collapsed: false, anchor: '#_missing-or-invalid-status-out-file' },
      { name: 'Component Versions', content: 'v', collapsed: false },
    ]);
  });

  test('output_files.conf names the files; unsafe names are not read', async () => {
    const list = await generateStatusList(
      memAccess({ 'output_files.conf': 'statusOut=my-status.out\nrunOut=../../etc/passwd\n', 'my-status.out': 'PASS: all\n' }),
    );
    expect(list.map((e) => e.name)).toEqual(['Success', 'my-status.out']);
  });

  test('serialization is compact JSON with lowercase \\u escapes and the three header keys', () => {
    const s = serializeReport([{ name: 'n', content: 'a\u0001"/é', collapsed: false }], {
      assessment_start_ts: 's',
      assessment_end_ts: null,
      report_generation_ts: 'r',
    });
    expect(s).toBe('{"status":[{"name":"n","content":"a\\u0001\\"/é","collapsed":false}],"assessment_start_ts":"s","assessment_end_ts":null,"report_generation_ts":"r"}');
  });
});
