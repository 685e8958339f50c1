/**
 * Argv under the names the database calls (docs/security.md): each legacy option at most once, no
 * --help/-help (usage on stderr via a UsageError), value shapes, launch_viewer's per-viewer rules.
 */
import { normalizeArgv, parseArgv, usageLine, type ProgramSpec } from '../../../lib/cli/args.js';
import { argvTrust } from '../../../lib/cli/trust.js';
import { checkDateTime, checkEnum, checkPathUnder, checkText, checkUuid } from '../../../lib/cli/values.js';
import { UsageError, ValidationError } from '../../../lib/errors/index.js';
import { checkDatabaseViewerArgv, LAUNCHVIEWER_DB_SPEC, nativeResultUuid } from '../../../lib/viewer/db-argv.js';

const KILL = {
  name: 'kill_run',
  options: [
    { name: 'execution_record_uuid', type: 'string' },
    { name: 'hard', type: 'string' },
  ],
} as const satisfies ProgramSpec;

const DB = { trust: 'database' } as const;
const U = '0258026e-6c62-4591-8378-89580a707e83';
const P = 'c8f8ef9a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

describe('database trust', () => {
  test('only the three database names are database-trusted', () => {
    for (const n of ['execute_execution_record', 'launch_viewer', 'kill_run']) expect(argvTrust(n)).toBe('database');
    for (const n of ['launchassessment', 'launchviewer', 'killjob', 'jobhook', undefined]) expect(argvTrust(n)).toBe('admin');
  });

  test('the legacy forms still parse', async () => {
    expect((await parseArgv(KILL, ['--execution_record_uuid', U, '--hard', '1'], DB)).options).toEqual({ execution_record_uuid: U, hard: '1' });
    expect((await parseArgv(KILL, ['-execution_record_uuid=' + U, '-hard=0'], DB)).options).toEqual({ execution_record_uuid: U, hard: '0' });
  });

  test('an option given twice is refused (an injected repeat), in every spelling', () => {
    for (const argv of [
      ['--execution_record_uuid', U, '--execution_record_uuid', 'x'],
      ['--hard', '1', '--hard', '0'],
      ['--hard', '1', '-HARD=0'],
      ['--hard', '1', '--ha', '0'],
    ]) {
      expect(() => normalizeArgv(KILL, argv, DB)).toThrow(/more than once/);
    }
    // an admin may still repeat (the last wins, as Getopt::Long)
    expect(() => normalizeArgv(KILL, ['--hard', '1', '--hard', '0'])).not.toThrow();
  });

  test('--help and -help are a UsageError carrying the usage line; unknown options (--config) too', () => {
    for (const h of ['--help', '-help', '--HELP', '-Help']) {
      expect(() => normalizeArgv(KILL, ['--execution_record_uuid', U, h], DB)).toThrow(UsageError);
      expect(() => normalizeArgv(KILL, [h], DB)).toThrow(/usage: kill_run \[--execution_record_uuid <value>\] \[--hard <value>\]/);
    }
    expect(normalizeArgv(KILL, ['--help']).help).toBe(true);
    expect(() => normalizeArgv(KILL, ['--config', '/tmp/evil.conf'], DB)).toThrow(/unknown option: --config/);
    expect(() => normalizeArgv(KILL, ['--debug'], DB)).toThrow(/unknown option/);
    expect(() => normalizeArgv(KILL, ['--nodetached'], DB)).toThrow(/unknown option/);
  });

  test('usage line', () => {
    expect(usageLine(KILL)).toBe('usage: kill_run [--execution_record_uuid <value>] [--hard <value>]');
  });
});

describe('value shapes', () => {
  test('text refuses control characters and overlong values; quotes and $ are data', () => {
    expect(checkText('package_name', `zlib 'x' "y" $(z) \`w\` ; | && -x ../`)).toContain('$(z)');
    expect(() => checkText('package_name', 'a\nb')).toThrow(ValidationError);
    expect(() => checkText('package_name', 'x'.repeat(401))).toThrow(/longer/);
  });

  test('enumerations, uuids, dates', () => {
    expect(checkEnum('hard', '1', ['', '0', '1'])).toBe('1');
    expect(() => checkEnum('hard', "1' --config '/x", ['', '0', '1'])).toThrow(/--hard "1' --config '\/x": expected one of/);
    expect(() => checkUuid('project', `${U} `)).toThrow(ValidationError);
    expect(checkDateTime('start_date', '2026-01-02 03:04:05')).toBe('2026-01-02 03:04:05');
    expect(checkDateTime('start_date', '')).toBe('');
    expect(() => checkDateTime('start_date', '$(id)')).toThrow(ValidationError);
  });

  test('paths: absolute, below a root, no . or .., never the root itself', () => {
    const roots = ['/swamp/', '/data/results'];
    expect(checkPathUnder('file_path', '/swamp/p/r.xml', roots)).toBe('/swamp/p/r.xml');
    expect(checkPathUnder('file_path', '/data/results/x', roots)).toBe('/data/results/x');
    for (const bad of ['/swamp', '/swamp/', '/swamp/../etc/passwd', '/swamp/./x', 'swamp/x', '/opt/swamp/etc/swamp.conf', '/data/resultsX/y', '/swamp/a\nb', '/proc/self/environ']) {
      expect(() => checkPathUnder('file_path', bad, roots)).toThrow(ValidationError);
    }
  });
});

describe('launch_viewer from the database', () => {
  const roots = { data: ['/swamp/'], outgoing: ['/swamp/outgoing/'] };
  const native = {
    viewer_name: 'Native', results_type: 'results', package_type: '1', file_path: ['/swamp/p/A-Results/x/parsed_results.xml'],
    outdir: `/swamp/outgoing/${U}`, package_name: 'zlib', package_version: '1.2', tool_name: 'GCC', tool_version: '12',
    platform_name: 'Debian', platform_version: '12', start_date: '2026-01-02 03:04:05', end_date: '', user_uuid: P,
  };
  const codedx = { viewer_name: 'CodeDX', project: P, viewer_uuid: U, user_uuid: P, viewer_db_path: 'NULL', viewer_db_checksum: 'ab12',
    package_name: 'zlib', tool_name: 'GCC', source_archive_path: '/swamp/store/zlib.tar.gz', package_type: '1', file_path: ['/swamp/a.xml', '/swamp/b.xml'] };

  test('the spec has the legacy options the procedure sends, nothing more', () => {
    const names = LAUNCHVIEWER_DB_SPEC.options.map((o) => o.name);
    expect(names).not.toEqual(expect.arrayContaining(['config']));
    for (const n of ['config', 'debug', 'detached', 'indir']) expect(names).not.toContain(n);
  });

  test('honest requests pass', () => {
    expect(() => checkDatabaseViewerArgv(native, roots)).not.toThrow();
    expect(() => checkDatabaseViewerArgv(codedx, roots)).not.toThrow();
    expect(nativeResultUuid(`/swamp/outgoing/${U}/`)).toBe(U);
  });

  test.each([
    ['viewer name outside the enumeration', { ...native, viewer_name: 'native ' }],
    ['Native with a project', { ...native, project: P }],
    ['Native with two files', { ...native, file_path: ['/swamp/a', '/swamp/b'] }],
    ['Native file outside the data roots', { ...native, file_path: ['/opt/swamp/etc/swamp.conf'] }],
    ['Native outdir outside outgoing', { ...native, outdir: `/proc/x/${U}` }],
    ['Native outdir climbing', { ...native, outdir: `/swamp/outgoing/../${U}` }],
    ['Native outdir not ending in a result uuid', { ...native, outdir: '/swamp/outgoing/x' }],
    ['results type', { ...native, results_type: "results' --config '/x" }],
    ['package type', { ...native, package_type: '1 2' }],
    ['newline in a name', { ...native, tool_name: 'GCC\n--config' }],
    ['user uuid', { ...native, user_uuid: '$(id)' }],
    ['CodeDX without viewer instance', { ...codedx, viewer_uuid: undefined }],
    ['CodeDX project not a uuid', { ...codedx, project: `${P}' --project '${U}` }],
    ['CodeDX with an outdir', { ...codedx, outdir: `/swamp/outgoing/${U}` }],
    ['CodeDX source archive outside', { ...codedx, source_archive_path: '/etc/shadow' }],
    ['CodeDX db path outside', { ...codedx, viewer_db_path: '/tmp/x.tar.gz' }],
    ['CodeDX checksum', { ...codedx, viewer_db_checksum: 'x; y' }],
  ])('%s is refused', (_what, o) => {
    expect(() => checkDatabaseViewerArgv(o as never, roots)).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});
