import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selfCommand, DETACHED_WORKER_ENV } from '../../../lib/cli/detach.js';

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'swamp-detach-'));
  bundle = path.join(dir, 'detach-program.cjs');
  const esbuild = await import('esbuild');
  // Built the way production is (one CommonJS bundle), so no import.meta or ESM-only paths sneak in.
  await esbuild.build({
    entryPoints: [path.resolve(process.cwd(), 'test/fixtures/cli/detach-program.ts')],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'silent',
  });
  // the build service would keep jest's process alive after the run
  await esbuild.stop();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  stdout: string;
  eofMs: number;
  exitCode: number | null;
  markerAtEof: boolean;
}

/** Reads stdout until EOF like sys_eval (popen + read until EOF), then waits for the exit status. */
function runLikeSysEval(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'ignore'], cwd });
    let stdout = '';
    let eofMs = -1;
    let markerAtEof = false;
    const marker = args[args.indexOf('--marker') + 1] as string;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stdout.on('end', () => {
      eofMs = performance.now() - started;
      markerAtEof = existsSync(marker);
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout, eofMs, exitCode, markerAtEof }));
  });
}

async function waitFor(file: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(file)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return existsSync(file);
}

function sessionOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

describe('detach (legacy runScriptDetached)', () => {
  test('the caller gets SUCCESS and EOF at once while the worker keeps running', async () => {
    const marker = path.join(dir, 'marker-1.json');
    const logdir = path.join(dir);
    const out = await runLikeSysEval(['--marker', marker, '--logdir', logdir, '--sleep_ms', '3000'], dir);
    expect(out.stdout).toBe('SUCCESS\n');
    expect(out.exitCode).toBe(0);
    expect(out.markerAtEof).toBe(false);
    // The worker sleeps 3 s; EOF must come long before (the parent alone takes ~0.1 s).
    expect(out.eofMs).toBeLessThan(2000);
    expect(existsSync(marker)).toBe(false);

    expect(await waitFor(marker, 15000)).toBe(true);
    const seen = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
    expect(seen.worker).toBe(true);
    expect(seen.envMarker).toBeNull(); // removed so the worker's own children are not "workers"
    expect(seen.stdin).toBe('/dev/null');
    expect(seen.stdout).toBe(path.join(logdir, 'swamperrors.log'));
    expect(seen.stderr).toBe(path.join(logdir, 'swamperrors.log'));
    expect(seen.sid).toBe(seen.pid); // session leader: setsid()
    expect(seen.sid).not.toBe(sessionOf('self'));
    expect(seen.cwd).toBe(dir);
    expect(readFileSync(path.join(logdir, 'swamperrors.log'), 'utf8')).toContain(`worker ${String(seen.pid)} started`);
  }, 30000);

  test('--nodetached runs in the foreground: EOF only when the work is done', async () => {
    const marker = path.join(dir, 'marker-2.json');
    const out = await runLikeSysEval(['--marker', marker, '--logdir', dir, '--sleep_ms', '500', '--nodetached'], dir);
    expect(out.stdout).toBe('SUCCESS\n');
    expect(out.markerAtEof).toBe(true);
    expect(out.exitCode).toBe(0);
    const seen = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
    expect(seen.worker).toBe(false);
  }, 30000);

  test('an unwritable log dir does not stop the worker (output discarded)', async () => {
    const marker = path.join(dir, 'marker-3.json');
    const out = await runLikeSysEval(['--marker', marker, '--logdir', path.join(dir, 'no', 'such', 'dir'), '--sleep_ms', '200'], dir);
    expect(out.stdout).toBe('SUCCESS\n');
    expect(out.exitCode).toBe(0);
    expect(await waitFor(marker, 15000)).toBe(true);
    const seen = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
    expect(seen.stdout).toBe('/dev/null');
  }, 30000);

  test('usage errors exit 2 with nothing on stdout', async () => {
    const out = await runLikeSysEval(['--marker', path.join(dir, 'm4'), '--bogus'], dir);
    expect(out.stdout).toBe('');
    expect(out.exitCode).toBe(2);
  }, 30000);

  test('selfCommand under plain node re-runs the same script with the same node flags', () => {
    const c = selfCommand(['--a', 'b']);
    expect(c.command).toBe(process.execPath);
    expect(c.args).toEqual([...process.execArgv, process.argv[1], '--a', 'b']);
    expect(c.argv0).toBeUndefined();
    expect(DETACHED_WORKER_ENV).toBe('SWAMP_DETACHED_WORKER');
  });
});
