import { EXIT_CODES, exitCodeFor, runProgram } from '../../../lib/cli/exit-codes.js';
import { SwampError, UsageError, ConfigError, ValidationError, ExternalCommandError, type FailureKind } from '../../../lib/errors/index.js';
import type { Logger, Fields } from '../../../lib/log/index.js';

function memoryLogger(): Logger & { records: { level: string; msg: string; fields?: Fields }[] } {
  const records: { level: string; msg: string; fields?: Fields }[] = [];
  const mk = (level: string) => (msg: string, fields?: Fields) => void records.push({ level, msg, fields });
  const l = {
    program: 'test',
    level: 'trace' as const,
    target: undefined,
    records,
    trace: mk('trace'),
    debug: mk('debug'),
    info: mk('info'),
    warn: mk('warn'),
    error: mk('error'),
    fatal: mk('fatal'),
    isEnabled: () => true,
    child: () => l,
  };
  return l;
}

describe('exit codes', () => {
  afterEach(() => {
    process.exitCode = 0;
  });

  test('the table', () => {
    const want: Record<FailureKind, number> = {
      'already-done': 0,
      external: 1,
      usage: 2,
      'not-found': 66,
      internal: 70,
      busy: 75,
      denied: 77,
      config: 78,
    };
    expect(EXIT_CODES).toEqual(want);
  });

  test.each([
    [new UsageError('x'), 2],
    [new ValidationError('x'), 2],
    [new ConfigError('x'), 78],
    [new SwampError('not-found', 'x'), 66],
    [new SwampError('already-done', 'x'), 0],
    [new SwampError('busy', 'x'), 75],
    [new SwampError('denied', 'x'), 77],
    [new ExternalCommandError('external', 'x', { command: 'condor_q' }), 1],
    [new Error('bug'), 70],
    ['a string', 70],
  ])('%p -> %i', (e, code) => {
    expect(exitCodeFor(e)).toBe(code);
  });

  test('runProgram: success and explicit codes', async () => {
    expect(await runProgram(async () => undefined, { program: 'p' })).toBe(0);
    expect(process.exitCode).toBe(0);
    expect(await runProgram(() => 3, { program: 'p' })).toBe(3);
    expect(process.exitCode).toBe(3);
  });

  test('runProgram: logs the error with kind and details, one line on stderr, exit code set', async () => {
    const log = memoryLogger();
    let err = '';
    const code = await runProgram(
      async () => {
        throw new SwampError('busy', 'schedd\nunreachable', { schedd: 's1' });
      },
      { program: 'kill_run', logger: () => log, stderr: { write: (s: string) => (err += s) } },
    );
    expect(code).toBe(75);
    expect(process.exitCode).toBe(75);
    expect(err).toBe('kill_run: schedd unreachable\n');
    expect(log.records).toEqual([{ level: 'error', msg: 'schedd\nunreachable', fields: { kind: 'busy', exitCode: 75, details: { schedd: 's1' }, err: undefined } }]);
  });

  test('runProgram: a usage error from the database is logged as a refusal with the argv', async () => {
    const log = memoryLogger();
    let err = '';
    const argv = ['--execution_record_uuid', "x", '--config', '/tmp/evil.conf'];
    const code = await runProgram(
      async () => {
        throw new UsageError('unknown option: --config');
      },
      { program: 'killjob', logger: log, stderr: { write: (s: string) => (err += s) }, fromDatabase: { nothing: 'nothing killed', argv } },
    );
    expect(code).toBe(2);
    expect(err).toBe('killjob: unknown option: --config\n');
    expect(log.records[0]).toMatchObject({ level: 'error', msg: 'refused from the database, nothing killed: unknown option: --config', fields: { kind: 'usage', argv } });
  });

  test('runProgram: internal errors keep the cause for the log', async () => {
    const log = memoryLogger();
    const code = await runProgram(
      () => {
        throw new TypeError('undefined is not a function');
      },
      { program: 'p', logger: log, stderr: { write: () => true } },
    );
    expect(code).toBe(70);
    expect(log.records[0]?.fields?.err).toBeInstanceOf(TypeError);
  });

  test('runProgram: already-done is a success, logged at info, nothing on stderr', async () => {
    const log = memoryLogger();
    let err = '';
    const code = await runProgram(
      async () => {
        throw new SwampError('already-done', 'job already removed', { jobid: '12.0' });
      },
      { program: 'p', logger: log, stderr: { write: (s: string) => (err += s) } },
    );
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(log.records[0]).toMatchObject({ level: 'info', msg: 'job already removed' });
  });
});
