import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync, chownSync, symlinkSync, linkSync, renameSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, formatLine, nullLogger, reopenLogFiles } from '../../../lib/log/index.js';
import { isRoot, runAsSwamp, swampUid } from '../../fixtures/unprivileged/as-swamp.js';

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('structured log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'swamp-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('one JSON object per line with time, level, program, pid, bound runid, msg, fields', () => {
    const log = createLogger({ program: 'launch_viewer', logDir: dir, level: 'info' });
    log.info('starting', { argv: ['--viewer_name', 'CodeDX'] });
    const run = log.child({ runid: 'vrun_x_CodeDX' });
    run.warn('slow', { ms: 12, msg: 'cannot override', level: 'nope' });
    log.debug('hidden');
    const file = path.join(dir, 'launch_viewer.log');
    expect(log.target).toBe(file);
    const [a, b, ...rest] = lines(file);
    expect(rest).toHaveLength(0);
    expect(Object.keys(a as object)).toEqual(['time', 'level', 'program', 'pid', 'msg', 'argv']);
    expect(a).toMatchObject({ level: 'info', program: 'launch_viewer', pid: process.pid, msg: 'starting', argv: ['--viewer_name', 'CodeDX'] });
    expect(new Date((a as { time: string }).time).toISOString()).toBe((a as { time: string }).time);
    expect(b).toMatchObject({ level: 'warn', runid: 'vrun_x_CodeDX', msg: 'slow', ms: 12, field_msg: 'cannot override', field_level: 'nope' });
  });

  test('appends, never truncates; new file mode 0640', () => {
    const file = path.join(dir, 'p.log');
    writeFileSync(file, '{"old":true}\n');
    createLogger({ program: 'p', logDir: dir }).info('new');
    expect(lines(file)).toHaveLength(2);
    createLogger({ program: 'q', logDir: dir }).info('x');
    expect(statSync(path.join(dir, 'q.log')).mode & 0o777).toBe(0o640);
  });

  test('a symlink planted at the log name is never written through (O_NOFOLLOW): stderr instead', () => {
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    symlinkSync(victim, path.join(dir, 'evil.log'));
    const log = createLogger({ program: 'evil', logDir: dir });
    log.info('must not land in the victim');
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(log.target).toBeUndefined();
  });

  test('a hard link or a FIFO at the log name is refused as well', () => {
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    linkSync(victim, path.join(dir, 'hard.log'));
    const log = createLogger({ program: 'hard', logDir: dir });
    log.info('no');
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(log.target).toBeUndefined();
    execFileSync('mkfifo', [path.join(dir, 'fifo.log')]);
    const f = createLogger({ program: 'fifo', logDir: dir });
    f.info('does not block');
    expect(f.target).toBeUndefined();
  });

  test('rotation: a renamed or removed file is noticed before the next line, which goes to a new file', () => {
    const file = path.join(dir, 'rot.log');
    const log = createLogger({ program: 'rot', logDir: dir });
    log.info('one');
    renameSync(file, `${file}.1`);
    log.info('two');
    expect(lines(`${file}.1`).map((l) => l.msg)).toEqual(['one']);
    expect(lines(file).map((l) => l.msg)).toEqual(['two']);
    rmSync(file);
    log.child({ k: 1 }).info('three');
    expect(lines(file).map((l) => l.msg)).toEqual(['three']);
  });

  test('reopenLogFiles (SIGHUP) makes every logger open its file again', () => {
    const file = path.join(dir, 'hup.log');
    const log = createLogger({ program: 'hup', logDir: dir });
    log.info('a');
    reopenLogFiles();
    log.info('b');
    expect(lines(file).map((l) => l.msg)).toEqual(['a', 'b']);
  });

  test('level filter, env default, isEnabled', () => {
    const old = process.env.SWAMP_LOG_LEVEL;
    process.env.SWAMP_LOG_LEVEL = 'error';
    try {
      const log = createLogger({ program: 'lv', logDir: dir });
      expect(log.level).toBe('error');
      expect(log.isEnabled('warn')).toBe(false);
      log.warn('dropped');
      log.error('kept');
      expect(lines(path.join(dir, 'lv.log')).map((l) => l.msg)).toEqual(['kept']);
    } finally {
      if (old === undefined) delete process.env.SWAMP_LOG_LEVEL;
      else process.env.SWAMP_LOG_LEVEL = old;
    }
  });

  test('no file is created until something is logged', () => {
    createLogger({ program: 'lazy', logDir: dir, level: 'error' }).info('filtered');
    expect(() => statSync(path.join(dir, 'lazy.log'))).toThrow();
  });

  test('errors, bigint, circular values are serialised safely', () => {
    const err = Object.assign(new Error('boom'), { kind: 'busy', details: { a: 1 } });
    const circ: Record<string, unknown> = {};
    circ.self = circ;
    const line1 = JSON.parse(formatLine('error', 'p', 'm', {}, { err, n: 10n })) as Record<string, { name?: string; kind?: string }>;
    expect(line1.err).toMatchObject({ name: 'Error', message: 'boom', kind: 'busy', details: { a: 1 } });
    expect(line1.n).toBe('10');
    const line2 = JSON.parse(formatLine('error', 'p', 'm', {}, { circ })) as Record<string, unknown>;
    expect(line2).toMatchObject({ msg: 'm', fields_error: 'unserialisable fields' });
    expect(formatLine('info', 'p', 'a\nb', {}, undefined).split('\n')).toHaveLength(2); // one line + final \n
  });

  test('invalid program names are refused (they become file names)', () => {
    expect(() => createLogger({ program: '../etc/passwd', logDir: dir })).toThrow(TypeError);
  });

  test('nullLogger drops everything', () => {
    nullLogger.error('x');
    expect(nullLogger.child({ a: 1 })).toBe(nullLogger);
  });

  test('unwritable log dir falls back to stderr, never stdout', async () => {
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const missing = path.join(dir, 'missing', 'deeper');
    // A child process so stdout/stderr can be observed separately; the logger is bundled on the fly.
    const src = path.resolve(process.cwd(), 'lib/log/index.ts');
    const esbuild = await import('esbuild');
    const out = path.join(dir, 'log-bundle.cjs');
    await esbuild.build({
      stdin: {
        contents: `const { createLogger } = require(${JSON.stringify(src)}); const l = createLogger({ program: 'fb', logDir: ${JSON.stringify(missing)} }); l.info('to stderr', { a: 1 }); l.error('again');`,
        resolveDir: process.cwd(),
        loader: 'js',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: out,
      logLevel: 'silent',
    });
    await esbuild.stop(); // its build service would keep jest's process alive after the run
    const child = spawn(process.execPath, [out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let so = '';
    let se = '';
    child.stdout.on('data', (d: Buffer) => (so += d.toString()));
    child.stderr.on('data', (d: Buffer) => (se += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(so).toBe('');
    const errLines = se.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(errLines[0]).toMatchObject({ level: 'warn' });
    expect(String(errLines[0]?.msg)).toContain('not writable');
    expect(errLines.slice(1).map((l) => l.msg)).toEqual(['to stderr', 'again']);
  });

  test('concurrent processes never interleave lines', async () => {
    const src = path.resolve(process.cwd(), 'lib/log/index.ts');
    const esbuild = await import('esbuild');
    const out = path.join(dir, 'writer.cjs');
    await esbuild.build({
      stdin: {
        contents: `const { createLogger } = require(${JSON.stringify(src)});
const l = createLogger({ program: 'shared', logDir: process.argv[2] });
const pad = 'x'.repeat(3000);
for (let i = 0; i < 400; i++) l.info('line ' + i, { who: process.argv[3], pad });`,
        resolveDir: process.cwd(),
        loader: 'js',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: out,
      logLevel: 'silent',
    });
    await esbuild.stop(); // its build service would keep jest's process alive after the run
    const procs = ['a', 'b', 'c', 'd'].map((who) => spawn(process.execPath, [out, dir, who], { stdio: 'ignore' }));
    await Promise.all(procs.map((p) => new Promise((r) => p.on('close', r))));
    const all = lines(path.join(dir, 'shared.log'));
    expect(all).toHaveLength(1600);
    for (const who of ['a', 'b', 'c', 'd']) expect(all.filter((l) => l.who === who)).toHaveLength(400);
  }, 30000);
});

describe('log files shared by accounts (root and the service account)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'swamp-log-acct-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('root creates a file in a log dir owned by swamp: the file goes to swamp, which appends to it', () => {
    if (!isRoot()) return; // as an unprivileged user there is no second account to try
    const logs = path.join(dir, 'log');
    mkdirSync(logs);
    const uid = swampUid();
    chownSync(logs, uid, uid);
    chmodSync(logs, 0o2770);
    createLogger({ program: 'shared', logDir: logs }).info('from root');
    expect(statSync(path.join(logs, 'shared.log'))).toMatchObject({ uid, gid: uid });
    const r = runAsSwamp(dir, (lib) => `import { createLogger } from '${lib}/log/index.ts';\nconst l = createLogger({ program: 'shared', logDir: ${JSON.stringify(logs)} });\nl.info('from swamp');\nconsole.log(l.target);\n`);
    expect(r.stdout.trim()).toBe(path.join(logs, 'shared.log'));
    expect(lines(path.join(logs, 'shared.log')).map((l) => l.msg)).toEqual(['from root', 'from swamp']);
  });

  test("another account's 0640 file that swamp may not append to: swamp logs to <program>.swamp.log beside it", () => {
    if (!isRoot()) return;
    const logs = path.join(dir, 'log');
    mkdirSync(logs);
    const uid = swampUid();
    chownSync(logs, 0, uid);
    chmodSync(logs, 0o2770);
    writeFileSync(path.join(logs, 'other.log'), '', { mode: 0o640 }); // root's, group swamp: readable, not writable
    const r = runAsSwamp(dir, (lib) => `import { createLogger } from '${lib}/log/index.ts';\nconst l = createLogger({ program: 'other', logDir: ${JSON.stringify(logs)} });\nl.info('mine');\nconsole.log(l.target);\n`);
    expect(r.stdout.trim()).toBe(path.join(logs, 'other.swamp.log'));
    expect(lines(path.join(logs, 'other.swamp.log')).map((l) => l.msg)).toEqual(['mine']);
    expect(statSync(path.join(logs, 'other.swamp.log')).mode & 0o777).toBe(0o640);
  });
});
