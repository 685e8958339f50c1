/**
 * Start-up benchmark (issue 9): exec-to-exit time of each DB entry program as sys_exec / sys_eval see
 * it, our compiled binary vs a legacy-style Perl script (bench/startup/legacy-style.pl), side by side
 * in one run, round-robin so machine noise hits both alike.
 *
 *   A. direct: the program started with a clean environment (like mariadbd's children), timed from
 *      spawn to exit (what sys_exec waits for) and to stdout EOF (what sys_eval waits for);
 *   B. through the real UDF: `SELECT sys_exec(?)` / `SELECT sys_eval(?)` on the private MariaDB,
 *      timed by the SQL client.
 *
 * Both variants get a bench config whose HTCondor root does not exist, so the detached workers end
 * quickly and never touch the pool; only the part the database waits for is measured.
 * Run: make bench (or: set -a; . .local/env; set +a; node --import tsx bench/startup/run.ts)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(process.env.SWAMP_ROOT ?? process.cwd());
const BIN = join(ROOT, 'dist', 'bin');
const OUT = join(ROOT, 'bench', 'out', 'startup');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const WARMUP = 3;
const PERL_SCRIPT = join(ROOT, 'bench', 'startup', 'legacy-style.pl');
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8' };

interface Case {
  name: string;
  udf: 'sys_exec' | 'sys_eval';
  args: string[];
}

function benchConfig(): string {
  mkdirSync(join(OUT, 'log'), { recursive: true, mode: 0o1777 });
  const file = join(OUT, 'swamp.conf');
  writeFileSync(
    file,
    [
      'SWAMPState = ON',
      'SWAMP-in-a-Box = yes',
      `logDir = ${join(OUT, 'log')}`,
      `runDir = ${join(OUT, 'run')}`,
      `binDir = ${BIN}`,
      'htcondor_root = /nonexistent/htcondor',
      'dbPerlDsnHost = 127.0.0.1',
      'dbPerlDsnPort = 1',
      'dbPerlUser = bench',
      'dbPerlPass = bench',
      '',
    ].join('\n'),
  );
  return file;
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
  const conf = benchConfig();
  const uuid = '5a5e7c1c-0d8b-11e7-a0a5-001a4a81450b';
  const project = '9b0d1a44-1111-4b3e-9a40-8a8f1e2d3c4b';
  const cases: Case[] = [
    { name: 'execute_execution_record', udf: 'sys_exec', args: [uuid, '--config', conf] },
    { name: 'kill_run', udf: 'sys_exec', args: ['--execution_record_uuid', uuid, '--hard', '1', '--config', conf] },
    {
      name: 'launch_viewer',
      udf: 'sys_eval',
      args: ['--viewer_name', 'CodeDX', '--project', project, '--viewer_uuid', uuid, '--user_uuid', uuid, '--config', conf],
    },
  ];
  const variants = (c: Case) => [
    { label: 'ours (SEA binary)', cmd: join(BIN, c.name), args: c.args, env: CLEAN_ENV },
    { label: 'legacy-style Perl', cmd: '/usr/bin/perl', args: [PERL_SCRIPT, ...(c.name === 'execute_execution_record' ? ['--runid', ...c.args] : c.args)], env: { ...CLEAN_ENV, BENCH_PROGRAM: c.name, BENCH_LOGDIR: join(OUT, 'log'), SWAMP_CONFIG: conf } },
  ];

  const rows: string[] = [];
  const results: Record<string, Record<string, { exit: number[]; eof: number[]; udf: number[] }>> = {};
  // A. direct
  for (const c of cases) {
    results[c.name] = {};
    for (const v of variants(c)) results[c.name]![v.label] = { exit: [], eof: [], udf: [] };
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const v of variants(c)) {
        const r = await timeOnce(v.cmd, v.args, v.env);
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
          // the command string as a stored procedure builds it: values in single quotes
          const envPrefix = v.label.startsWith('legacy') ? `env BENCH_PROGRAM=${c.name} BENCH_LOGDIR=${join(OUT, 'log')} SWAMP_CONFIG=${conf} ` : '';
          const cmdline = `${envPrefix}${v.cmd} ${v.args.map(shq).join(' ')}`;
          const t0 = performance.now();
          await db.query(`SELECT ${c.udf}(?) AS r`, [cmdline]);
          const ms = performance.now() - t0;
          if (i >= WARMUP) results[c.name]![v.label]!.udf.push(ms);
        }
      }
    }
  } finally {
    await db.end();
  }

  rows.push('| program | variant | direct: exit median / p90 ms | direct: stdout EOF median ms | through the UDF median / p90 ms |');
  rows.push('|---|---|---:|---:|---:|');
  const ratios: string[] = [];
  for (const c of cases) {
    const r = results[c.name]!;
    for (const [label, s] of Object.entries(r)) {
      rows.push(`| ${c.name} (${c.udf}) | ${label} | ${median(s.exit).toFixed(0)} / ${p90(s.exit).toFixed(0)} | ${median(s.eof).toFixed(0)} | ${median(s.udf).toFixed(0)} / ${p90(s.udf).toFixed(0)} |`);
    }
    const ours = r['ours (SEA binary)']!;
    const perl = r['legacy-style Perl']!;
    ratios.push(`${c.name}: ours/perl = ${(median(ours.udf) / median(perl.udf)).toFixed(3)} through the UDF, ${(median(ours.eof) / median(perl.eof)).toFixed(3)} direct`);
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
