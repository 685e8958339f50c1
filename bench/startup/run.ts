/**
 * Start-up benchmark (issue 9): exec-to-exit time of each DB entry program as sys_exec / sys_eval see
 * it, ours vs a legacy-style Perl script (bench/startup/legacy-style.pl), side by side in one run,
 * round-robin so machine noise hits both alike.
 *
 *   A. direct: the program started with a clean environment (like mariadbd's children), timed from
 *      spawn to exit (what sys_exec waits for) and to stdout EOF (what sys_eval waits for);
 *   B. through the real UDF: `SELECT sys_exec(?)` / `SELECT sys_eval(?)` on the private MariaDB (as
 *      mysqld's user, strict mode: the bench tree's programs are added to the allowlist), timed by the
 *      SQL client.
 *
 * Everything runs from a bench tree in the installed layout (test/integration/assessment/helpers.ts
 * makeTree: <T>/bin with the installed programs, <T>/etc/swamp.conf found from argv[0], as the DB's
 * calls find theirs; no --config, which the database-called names refuse). Its config names an
 * HTCondor root that does not exist and a DB port nothing listens on, so the detached workers end
 * quickly and never touch the pool; only the part the database waits for is measured.
 * `execute_execution_record` is measured twice: the native entry's own path (a submitter holds the
 * lock: request written, submitter told) and its hand-over to the Node program (no submitter: the
 * Node program writes the request and starts one). The Perl stand-ins are copies of
 * legacy-style.pl named by program in <T>/legacy-bin (they read <T>/etc/swamp.conf).
 * Run: make bench (or: set -a; . .local/env; set +a; node --import tsx bench/startup/run.ts)
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { linkProgram, makeTree, type Tree } from '../../test/integration/assessment/helpers.js';
import { extendSharedUdfConf } from '../../test/integration/helpers/udf-conf.js';

const ROOT = resolve(process.env.SWAMP_ROOT ?? process.cwd());
const OUT = join(ROOT, 'bench', 'out', 'startup');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const WARMUP = 3;
const PERL_SCRIPT = join(ROOT, 'bench', 'startup', 'legacy-style.pl');
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' };
const PROGRAMS = ['execute_execution_record', 'kill_run', 'launch_viewer'] as const;

interface Case {
  name: (typeof PROGRAMS)[number];
  udf: 'sys_exec' | 'sys_eval';
  args: string[];
}

interface Variant {
  label: string;
  cmd: string;
  args: string[];
  /** Sets the scene before each measurement (the submitter lock). */
  before?: () => Promise<void>;
}

/** The bench tree: the installed programs under their DB names, the Perl stand-ins beside them. */
function benchTree(): { tree: Tree; legacyBin: string } {
  const tree = makeTree({
    SWAMPState: 'ON',
    'SWAMP-in-a-Box': 'yes',
    htcondor_root: '/nonexistent/htcondor',
    dbPerlDsnHost: '127.0.0.1',
    dbPerlDsnPort: '1',
    dbPerlUser: 'bench',
    dbPerlPass: 'bench',
  });
  for (const n of ['kill_run', 'launch_viewer']) linkProgram(tree, n);
  const legacyBin = join(tree.root, 'legacy-bin');
  mkdirSync(legacyBin, { mode: 0o755 });
  for (const n of PROGRAMS) {
    copyFileSync(PERL_SCRIPT, join(legacyBin, n));
    chmodSync(join(legacyBin, n), 0o755);
  }
  return { tree, legacyBin };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (at most 10 s) until no submitter holds the tree's lock: one started by a hand-over has ended. */
async function noSubmitter(runDir: string): Promise<void> {
  const lock = join(runDir, '.submitter.lock');
  for (const end = Date.now() + 10_000; existsSync(lock) && Date.now() < end; ) await sleep(20);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)]!;
}

/** Spawn, time to exit and to stdout EOF. */
function timeOnce(cmd: string, args: string[], env: Record<string, string>): Promise<{ exitMs: number; eofMs: number; stdout: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    let exitMs = -1;
    let eofMs = -1;
    let out = '';
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = () => {
      if (exitMs >= 0 && eofMs >= 0) res({ exitMs, eofMs, stdout: out });
    };
    child.stdout.on('end', () => {
      eofMs = performance.now() - t0;
      done();
    });
    child.on('exit', () => {
      exitMs = performance.now() - t0;
      done();
    });
    child.on('error', rej);
  });
}

function shq(s: string): string {
  return `'${s}'`;
}

async function main(): Promise<void> {
  const { tree, legacyBin } = benchTree();
  const lock = join(tree.runDir, '.submitter.lock');
  const uuid = '5a5e7c1c-0d8b-11e7-a0a5-001a4a81450b';
  const project = '9b0d1a44-1111-4b3e-9a40-8a8f1e2d3c4b';
  const cases: Case[] = [
    { name: 'execute_execution_record', udf: 'sys_exec', args: [uuid] },
    { name: 'kill_run', udf: 'sys_exec', args: ['--execution_record_uuid', uuid, '--hard', '1'] },
    { name: 'launch_viewer', udf: 'sys_eval', args: ['--viewer_name', 'CodeDX', '--project', project, '--viewer_uuid', uuid, '--user_uuid', uuid] },
  ];
  const perl = (c: Case): Variant => ({ label: 'legacy-style Perl', cmd: join(legacyBin, c.name), args: c.name === 'execute_execution_record' ? ['--runid', ...c.args] : c.args });
  const variants = (c: Case): Variant[] => {
    const cmd = join(tree.bin, c.name);
    if (c.name !== 'execute_execution_record') return [{ label: 'ours (SEA binary)', cmd, args: c.args }, perl(c)];
    return [
      {
        label: 'ours, native entry (a submitter runs)',
        cmd,
        args: c.args,
        before: async () => {
          await noSubmitter(tree.runDir);
          // a live holder (this process) stands in for the running submitter
          writeFileSync(lock, `${process.pid} ${hostname()} ${Date.now()}\n`, { mode: 0o644 });
        },
      },
      {
        label: 'ours, native entry -> Node program (no submitter)',
        cmd,
        args: c.args,
        before: async () => {
          rmSync(lock, { force: true });
          await noSubmitter(tree.runDir);
        },
      },
      perl(c),
    ];
  };
  const restore = await extendSharedUdfConf(PROGRAMS.flatMap((n) => [`allow = ${join(tree.bin, n)}`, `allow = ${join(legacyBin, n)}`]));

  const rows: string[] = [];
  const results: Record<string, Record<string, { exit: number[]; eof: number[]; udf: number[] }>> = {};
  // A. direct
  for (const c of cases) {
    results[c.name] = {};
    for (const v of variants(c)) results[c.name]![v.label] = { exit: [], eof: [], udf: [] };
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const v of variants(c)) {
        await v.before?.();
        const r = await timeOnce(v.cmd, v.args, CLEAN_ENV);
        if (i >= WARMUP) {
          results[c.name]![v.label]!.exit.push(r.exitMs);
          results[c.name]![v.label]!.eof.push(r.eofMs);
        }
      }
    }
  }
  // B. through the UDF
  const mysql = await import('mysql2/promise');
  const db = await mysql.createConnection({
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3407),
    user: process.env.MYSQL_USER ?? 'swamp',
    password: process.env.MYSQL_PWD ?? '',
  });
  try {
    for (const c of cases) {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const v of variants(c)) {
          await v.before?.();
          // the command string as a stored procedure builds it: values in single quotes
          const cmdline = `${v.cmd} ${v.args.map(shq).join(' ')}`;
          const t0 = performance.now();
          await db.query(`SELECT ${c.udf}(?) AS r`, [cmdline]);
          const ms = performance.now() - t0;
          if (i >= WARMUP) results[c.name]![v.label]!.udf.push(ms);
        }
      }
    }
  } finally {
    await db.end();
    restore();
    rmSync(lock, { force: true });
    await noSubmitter(tree.runDir);
    tree.remove();
  }

  rows.push('| program | variant | direct: exit median / p90 ms | direct: stdout EOF median ms | through the UDF median / p90 ms |');
  rows.push('|---|---|---:|---:|---:|');
  const ratios: string[] = [];
  for (const c of cases) {
    const r = results[c.name]!;
    for (const [label, s] of Object.entries(r)) {
      rows.push(`| ${c.name} (${c.udf}) | ${label} | ${median(s.exit).toFixed(0)} / ${p90(s.exit).toFixed(0)} | ${median(s.eof).toFixed(0)} | ${median(s.udf).toFixed(0)} / ${p90(s.udf).toFixed(0)} |`);
    }
    const legacy = r['legacy-style Perl']!;
    for (const [label, ours] of Object.entries(r)) {
      if (label === 'legacy-style Perl') continue;
      ratios.push(`${c.name}, ${label}: ours/perl = ${(median(ours.udf) / median(legacy.udf)).toFixed(3)} through the UDF, ${(median(ours.eof) / median(legacy.eof)).toFixed(3)} direct`);
    }
  }
  const report = `# start-up benchmark (${new Date().toISOString()}, ${RUNS} runs each after ${WARMUP} warm-ups, round-robin)\n\n${rows.join('\n')}\n\n${ratios.join('\n')}\n`;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.md'), report);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 1));
  process.stdout.write(report);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
