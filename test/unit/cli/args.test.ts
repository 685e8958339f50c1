import { parseArgv, normalizeArgv, COMMON_OPTIONS, type ProgramSpec } from '../../../lib/cli/args.js';
import { UsageError } from '../../../lib/errors/index.js';

const launchViewer = {
  name: 'launch_viewer',
  options: [
    { name: 'viewer_name', type: 'string' },
    { name: 'viewer_db_path', type: 'string' },
    { name: 'viewer_uuid', type: 'string' },
    { name: 'project', type: 'string' },
    { name: 'outdir', type: 'string' },
    { name: 'file_path', type: 'string', repeat: true },
    { name: 'package', type: 'string', dest: 'package_name' },
    { name: 'package_name', type: 'string' },
    { name: 'package_type', type: 'string', default: '0' },
    { name: 'detached', type: 'negatable', default: true },
    ...COMMON_OPTIONS,
  ],
} as const satisfies ProgramSpec;

const killRun = {
  name: 'kill_run',
  options: [{ name: 'execution_record_uuid', type: 'string' }, { name: 'hard', type: 'string' }, { name: 'detached', type: 'negatable', default: true }, ...COMMON_OPTIONS],
} as const satisfies ProgramSpec;

const calldorun = {
  name: 'execute_execution_record',
  options: [{ name: 'runid', type: 'string' }, { name: 'list', type: 'int', optionalValue: 0 }, { name: 'detached', type: 'negatable', default: true }, ...COMMON_OPTIONS],
  positionals: [{ name: 'execution_record_uuid' }],
} as const satisfies ProgramSpec;

describe('Getopt::Long forms', () => {
  test('a command line as the DB builds it (values in separate arguments)', async () => {
    const argv = ['--viewer_name', 'Native', '--package_type', '5', '--file_path', '/a/b/results.xml', '--outdir', '/swamp/outgoing/x', '--package_name', 'p'];
    const ok = await parseArgv(launchViewer, argv);
    expect(ok.options).toEqual({ viewer_name: 'Native', package_type: '5', file_path: ['/a/b/results.xml'], outdir: '/swamp/outgoing/x', package_name: 'p', detached: true });
    const typed: string[] | undefined = ok.options.file_path;
    const flag: boolean | undefined = ok.options.detached;
    expect([typed, flag]).toBeDefined();
  });

  test('--opt value, --opt=value, -opt value, -opt=value', async () => {
    for (const argv of [
      ['--execution_record_uuid', 'U', '--hard', '1'],
      ['--execution_record_uuid=U', '--hard=1'],
      ['-execution_record_uuid', 'U', '-hard', '1'],
      ['-execution_record_uuid=U', '-hard=1'],
    ]) {
      const r = await parseArgv(killRun, argv);
      expect(r.options).toEqual({ execution_record_uuid: 'U', hard: '1', detached: true });
    }
  });

  test('underscores are kept in keys (commander would camel-case dashes only)', async () => {
    const r = await parseArgv(killRun, ['--execution_record_uuid', 'x']);
    expect(Object.keys(r.options)).toContain('execution_record_uuid');
  });

  test('repeated --file_path is collected in order', async () => {
    const r = await parseArgv(launchViewer, ['--file_path', 'a', '--file_path=b', '-file_path', 'c']);
    expect(r.options.file_path).toEqual(['a', 'b', 'c']);
  });

  test('a repeated scalar option: last wins', async () => {
    const r = await parseArgv(killRun, ['--hard', '0', '--hard', '1']);
    expect(r.options.hard).toBe('1');
  });

  test('negatable: --detached, --nodetached, --no-detached, default', async () => {
    expect((await parseArgv(killRun, [])).options.detached).toBe(true);
    expect((await parseArgv(killRun, ['--nodetached'])).options.detached).toBe(false);
    expect((await parseArgv(killRun, ['--no-detached'])).options.detached).toBe(false);
    expect((await parseArgv(killRun, ['-nodetached'])).options.detached).toBe(false);
    expect((await parseArgv(killRun, ['--nodetached', '--detached'])).options.detached).toBe(true);
  });

  test('mandatory values take the next argument whatever it is, including empty strings', async () => {
    expect((await parseArgv(killRun, ['--hard', ''])).options.hard).toBe('');
    expect((await parseArgv(killRun, ['--hard', '--debug'])).options).toEqual({ hard: '--debug', detached: true });
    expect((await parseArgv(killRun, ['--hard='])).options.hard).toBe('');
    expect((await parseArgv(killRun, ['--hard=a=b'])).options.hard).toBe('a=b');
  });

  test('values with shell metacharacters pass through untouched (no shell anywhere)', async () => {
    const v = `x'; rm -rf / #$(id)\`\n"`;
    expect((await parseArgv(killRun, ['--hard', v])).options.hard).toBe(v);
  });

  test('case-insensitive names and unique prefixes, as Getopt::Long', async () => {
    expect((await parseArgv(killRun, ['--Execution_Record_UUID', 'u'])).options.execution_record_uuid).toBe('u');
    expect((await parseArgv(killRun, ['--exec', 'u', '-h', '1'])).options).toEqual({ execution_record_uuid: 'u', hard: '1', detached: true });
    expect((await parseArgv(killRun, ['--nodet'])).options.detached).toBe(false);
    expect((await parseArgv(launchViewer, ['--outd', 'o'])).options.outdir).toBe('o');
  });

  test('ambiguous prefix is a usage error', async () => {
    await expect(parseArgv(launchViewer, ['--viewer', 'x'])).rejects.toThrow(/ambiguous/);
    await expect(parseArgv(launchViewer, ['--d'])).rejects.toThrow(/ambiguous/);
  });

  test('several options sharing one destination (--package and --package_name)', async () => {
    expect((await parseArgv(launchViewer, ['--package', 'a'])).options.package_name).toBe('a');
    expect((await parseArgv(launchViewer, ['--package_name', 'b'])).options.package_name).toBe('b');
  });

  test('defaults', async () => {
    expect((await parseArgv(launchViewer, [])).options).toEqual({ package_type: '0', detached: true });
  });

  test('positional argument (execute_execution_record <uuid>) and --runid', async () => {
    const r = await parseArgv(calldorun, ['0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b']);
    expect(r.positionals).toEqual(['0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b']);
    expect((await parseArgv(calldorun, ['--runid', 'u', '--nodetached'])).options).toEqual({ runid: 'u', detached: false });
    await expect(parseArgv(calldorun, ['a', 'b'])).rejects.toThrow(/unexpected argument "b"/);
    expect((await parseArgv(calldorun, ['--', '--not-an-option'])).positionals).toEqual(['--not-an-option']);
  });

  test('optional integer value (list:i)', async () => {
    expect((await parseArgv(calldorun, ['--list'])).options.list).toBe(0);
    expect((await parseArgv(calldorun, ['--list', '5'])).options.list).toBe(5);
    expect((await parseArgv(calldorun, ['--list', 'uuid'])).positionals).toEqual(['uuid']);
    await expect(parseArgv(calldorun, ['--list=x'])).rejects.toThrow(/number expected/);
  });

  test('usage errors', async () => {
    await expect(parseArgv(killRun, ['--bogus', 'x'])).rejects.toThrow('unknown option: --bogus');
    await expect(parseArgv(killRun, ['--hard'])).rejects.toThrow('option --hard requires an argument');
    await expect(parseArgv(killRun, ['--debug=1'])).rejects.toThrow('does not take an argument');
    await expect(parseArgv(killRun, ['--nodetached=1'])).rejects.toThrow('does not take an argument');
    await expect(parseArgv(killRun, ['---x'])).rejects.toThrow(UsageError);
    await expect(parseArgv(killRun, ['--=x'])).rejects.toThrow(UsageError);
    await expect(parseArgv(killRun, ['stray'])).rejects.toThrow(UsageError);
    try {
      await parseArgv(killRun, ['--bogus']);
    } catch (e) {
      expect((e as UsageError).kind).toBe('usage');
    }
  });

  test('--help returns help text and does nothing else; -h stays a prefix of --hard', async () => {
    const r = await parseArgv(killRun, ['--help']);
    expect(r.help).toContain('--execution_record_uuid <value>');
    expect(r.help).toContain('--detached');
    expect((await parseArgv(killRun, ['-h', 'x'])).options.hard).toBe('x');
  });

  test('normalizeArgv hands commander canonical tokens', () => {
    expect(normalizeArgv(launchViewer, ['-package', 'p', '--file_path=a', '--nodetached', 'x']).tokens).toEqual(['--package_name=p', '--file_path=a', '--no-detached']);
  });

  test('spec errors are programming errors (TypeError)', () => {
    expect(() => normalizeArgv({ name: 'x', options: [{ name: 'a', type: 'flag' }, { name: 'a', type: 'string' }] }, [])).toThrow(TypeError);
  });
});
