/**
 * Launch benchmark (issue 21, docs/launchassessment.md "Cost model"): one `CALL
 * assessment.process_execution_records()` pass over N seeded runs, the per-run worker path
 * (`launchMode = per-run`: one detached worker per run, as before the batch submitter) side by side
 * with the batch path (requests + one batch submitter), entered through the Node program and through
 * the native entry (entry/, docs/launchassessment.md "Native entry"), on the same DB and pool, in one run.
 *
 * Per pass: time until the procedure returns, time until every run is in the queue (its DB row says
 * submitted_to_condor_flag = 1, which our launcher sets right after condor_submit answered; checked
 * afterwards against the queue: exactly one job per run, SWAMP id stamped), the HTCondor tool calls of
 * our programs (counted by a wrapper htcondor_root whose tools append a line to a file and exec the
 * real tool), and the peak RSS of our processes (every process of the installed executable, sampled from /proc
 * every 100 ms: the sum, the largest one, how many at once). Then the single-launch latency: `CALL
 * execute_execution_record` of one run until its job is in the queue, for both paths.
 *
 * The runs are VM runs of SWAMP-in-a-Box (the production submit file); the pool has no VM support, so
 * the jobs stay idle and cost nothing. Everything is removed afterwards (condor_rm, collector ads, DB
 * rows, the trees).
 *
 * Env: BENCH_LAUNCH_SIZES (new path, default 100,1000,5000), BENCH_LAUNCH_OLD_SIZES (per-run path,
 * default 100,1000; 5000 per-run runs take half an hour), BENCH_LAUNCH_NODE_SIZES (batch submitter
 * through the Node entry, default 100,1000), BENCH_LAUNCH_SINGLE (default 5 single launches per path). Run: make bench-launch (needs make services).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type Db } from '../../lib/db/index.js';
import { anyOf, invalidate, queryQueue, remove, swampIdConstraint, swampIdsConstraint, type HTCondorContext } from '../../lib/htcondor/index.js';
import { dbOptions } from '../../test/integration/helpers/db-env.js';
import { seedAssessmentRun } from '../../test/integration/helpers/db-seed.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../../test/integration/helpers/udf-conf.js';
import { binary, installedPrefix, makeTree, type Tree } from '../../test/integration/assessment/helpers.js';

const ROOT = resolve(process.env.SWAMP_ROOT ?? process.cwd());
const OUT = join(ROOT, 'bench', 'out', 'launch');
const HOST = process.env.SWAMP_CONDOR_HOST ?? '/opt/swamp-condor/host';
const CTX: HTCondorContext = { timeoutMs: 120_000, toolDir: join(HOST, 'bin') };
const sizes = (v: string | undefined, d: string): number[] => (v ?? d).split(',').filter((x) => x.trim() !== '').map(Number);
const NEW_SIZES = sizes(process.env.BENCH_LAUNCH_SIZES, '100,1000,5000');
const OLD_SIZES = sizes(process.env.BENCH_LAUNCH_OLD_SIZES, '100,1000');
const NODE_SIZES = sizes(process.env.BENCH_LAUNCH_NODE_SIZES, '100,1000');
const SINGLES = Number(process.env.BENCH_LAUNCH_SINGLE ?? 5);

/**
 * per-run: one detached worker per run (before issue 21); batch-node: the batch submitter entered
 * through the Node program (execute_execution_record -> swamp, as before the native entry); batch:
 * the native entry (entry/) and the batch submitter, as installed now.
 */
type Mode = 'per-run' | 'batch-node' | 'batch';
const MODES: readonly Mode[] = ['per-run', 'batch-node', 'batch'];

interface Bench {
  mode: Mode;
  tree: Tree;
  countFile: string;
}

interface PassResult {
  mode: Mode;
  runs: number;
  returnedS: number;
  queuedS: number;
  calls: Record<string, number>;
  callsTotal: number;
  peakRssSumMb: number;
  peakRssOneMb: number;
  peakProcs: number;
  jobsOk: boolean;
}

/**
 * An htcondor_root whose tools count themselves (one line per call) and exec the installed
 * htcondor_root's tool (make services installs it: its client config reads the service account's
 * token, without which mysqld's user may not submit).
 */
function countingRoot(tree: Tree): { root: string; countFile: string } {
  const real = join(installedPrefix(), 'htcondor');
  const root = join(tree.root, 'counting-condor');
  const countFile = join(tree.root, 'htcondor-calls.txt');
  writeFileSync(countFile, '');
  chmodSync(countFile, 0o666);
  mkdirSync(join(root, 'bin'), { recursive: true });
  for (const n of readdirSync(join(real, 'bin'))) {
    if (!n.startsWith('condor_')) continue;
    writeFileSync(join(root, 'bin', n), `#!/bin/sh\necho ${n} >> ${countFile}\nexec ${join(real, 'bin', n)} "$@"\n`);
    chmodSync(join(root, 'bin', n), 0o755);
  }
  for (const d of ['etc', 'libexec', 'lib', 'sbin']) if (existsSync(join(real, d))) symlinkSync(join(real, d), join(root, d));
  return { root, countFile };
}

function makeBench(mode: Mode): Bench {
  const images = `/tmp/swamp-bench-images-${process.pid}`;
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, 'condor-debian-12.0-64-master-1.qcow2'), '');
  const tree = makeTree({ preferred_platform_type: 'VM', platformImagesDir: images, 'SWAMP-in-a-Box': 'yes', launchMode: mode === 'per-run' ? 'per-run' : 'batch' });
  if (mode !== 'batch') {
    // the name the DB calls straight to the Node program, as installed before the native entry
    rmSync(join(tree.bin, 'execute_execution_record'));
    symlinkSync(binary(), join(tree.bin, 'execute_execution_record'));
  }
  const { root, countFile } = countingRoot(tree);
  const text = readFileSync(tree.config, 'utf8').replace(/^htcondor_root = .*$/m, `htcondor_root = ${root}`);
  writeFileSync(tree.config, text);
  return { mode, tree, countFile };
}

function callsOf(b: Bench): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of readFileSync(b.countFile, 'utf8').split('\n')) if (l !== '') out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** Peak RSS of every process running our executable, sampled every 100 ms until stopped. */
function rssSampler(): { stop(): { sumMb: number; oneMb: number; procs: number } } {
  const exe = realpathSync(binary());
  let sum = 0;
  let one = 0;
  let procs = 0;
  const tick = (): void => {
    let s = 0;
    let n = 0;
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        if (readlinkSync(`/proc/${p}/exe`) !== exe) continue;
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        if (!m) continue;
        const kb = Number(m[1]);
        s += kb;
        n++;
        one = Math.max(one, kb);
      } catch {
        /* gone */
      }
    }
    sum = Math.max(sum, s);
    procs = Math.max(procs, n);
  };
  const t = setInterval(tick, 100);
  t.unref(); // never keeps the bench alive after a failure
  return {
    stop() {
      clearInterval(t);
      tick();
      return { sumMb: sum / 1024, oneMb: one / 1024, procs };
    },
  };
}

async function seedRuns(db: Db, n: number): Promise<string[]> {
  // one complete fixture, then n execution records sharing its user, project, package, tool, platform
  const base = await seedAssessmentRun(db, { launchFlag: 0 });
  await db.execute('DELETE FROM assessment.execution_record WHERE execution_record_uuid = ?', [base.executionRecordUuid]);
  const ids: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const chunk = Array.from({ length: Math.min(500, n - i) }, () => crypto.randomUUID());
    ids.push(...chunk);
    await db.execute(
      `INSERT INTO assessment.execution_record (execution_record_uuid, user_uuid, project_uuid, platform_version_uuid, tool_version_uuid,
         package_version_uuid, launch_flag, launch_counter, launch_countdown, complete_flag) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, 1, 0, 0, 0)').join(', ')}`,
      chunk.flatMap((id) => [id, base.userUuid, base.projectUuid, base.platformVersionUuid, base.toolVersionUuid, base.packageVersionUuid]),
    );
  }
  return ids;
}

async function submittedCount(db: Db, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (const c of chunks(ids, 5000)) {
    const rows = await db.select<{ n: number }>(`SELECT COUNT(*) AS n FROM assessment.execution_record WHERE submitted_to_condor_flag = 1 AND execution_record_uuid IN (${c.map(() => '?').join(',')})`, c);
    n += Number(rows[0]?.n ?? 0);
  }
  return n;
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Exactly one queued job per id (200 ids per condor_q). */
async function oneJobEach(ids: readonly string[]): Promise<boolean> {
  const per = new Map<string, number>();
  for (const c of chunks(ids, 200)) {
    // spelled out per id, independent of the launcher's own swampIdsConstraint
    const ads = await queryQueue(CTX, { constraint: anyOf(...c.map((id) => `(${swampIdConstraint(id)})`)), attributes: ['SWAMP_arun_execrunuid'] });
    for (const ad of ads) per.set(String(ad.SWAMP_arun_execrunuid), (per.get(String(ad.SWAMP_arun_execrunuid)) ?? 0) + 1);
  }
  return ids.every((id) => per.get(id) === 1);
}

async function cleanup(db: Db, ids: readonly string[]): Promise<void> {
  for (const c of chunks(ids, 200)) {
    await remove(CTX, { constraint: swampIdsConstraint(c) }, { reason: 'launch benchmark' }).catch(() => undefined);
    await invalidate(CTX, { names: c }).catch(() => undefined);
    await db.execute(`DELETE FROM assessment.execution_record WHERE execution_record_uuid IN (${c.map(() => '?').join(',')})`, c);
  }
}

async function idle(b: Bench, ms = 60_000): Promise<void> {
  // the launchers of the last pass have exited (no process of ours left)
  const exe = realpathSync(binary());
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const busy = readdirSync('/proc').some((p) => {
      try {
        return /^\d+$/.test(p) && readlinkSync(`/proc/${p}/exe`) === exe;
      } catch {
        return false;
      }
    });
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  process.stderr.write(`${b.mode}: programs still running after ${ms} ms\n`);
}

async function pass(db: Db, b: Bench, n: number): Promise<PassResult> {
  const ids = await seedRuns(db, n);
  try {
    return await measure(db, b, ids);
  } catch (e) {
    // nothing left behind: the pass's jobs, ads and rows go whatever happened
    await cleanup(db, ids).catch(() => undefined);
    throw e;
  }
}

async function measure(db: Db, b: Bench, ids: readonly string[]): Promise<PassResult> {
  const n = ids.length;
  writeFileSync(b.countFile, '');
  await db.execute('SET @swamp_bin_dir = ?', [b.tree.bin]);
  await db.execute('SET @swamp_process_only = ?', [ids.join(',')]);
  const rss = rssSampler();
  const t0 = performance.now();
  await db.execute('CALL assessment.process_execution_records()');
  const returnedS = (performance.now() - t0) / 1000;
  await db.execute('SET @swamp_process_only = NULL');
  let queuedS = Number.NaN;
  const limit = Date.now() + Math.max(300_000, n * 1000);
  while (Date.now() < limit) {
    if ((await submittedCount(db, ids)) >= n) {
      queuedS = (performance.now() - t0) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await idle(b);
  const peak = rss.stop();
  const calls = callsOf(b);
  const jobsOk = await oneJobEach(ids);
  await cleanup(db, ids);
  const r: PassResult = {
    mode: b.mode,
    runs: n,
    returnedS,
    queuedS,
    calls,
    callsTotal: Object.values(calls).reduce((a, x) => a + x, 0),
    peakRssSumMb: peak.sumMb,
    peakRssOneMb: peak.oneMb,
    peakProcs: peak.procs,
    jobsOk,
  };
  process.stderr.write(`${JSON.stringify(r)}\n`);
  return r;
}

/** CALL execute_execution_record of one run until its job is in the queue (its DB flag, polled every 5 ms). */
async function single(db: Db, b: Bench): Promise<number> {
  const id = (await seedRuns(db, 1))[0] as string;
  await db.execute('SET @swamp_bin_dir = ?', [b.tree.bin]);
  const t0 = performance.now();
  await db.execute('CALL assessment.execute_execution_record(?, @rc)', [id]);
  let ms = Number.NaN;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if ((await submittedCount(db, [id])) === 1) {
      ms = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await idle(b);
  await cleanup(db, [id]);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, c) => a - c);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  // a per-run pass over 1,000 runs keeps the CALL busy for minutes
  const db = await connect(await dbOptions({ queryTimeoutMs: 3_600_000 }));
  const benches = { 'per-run': makeBench('per-run'), 'batch-node': makeBench('batch-node'), batch: makeBench('batch') } as const;
  const restore = await extendSharedUdfConf(MODES.flatMap((m) => allowEntryPrograms(benches[m].tree.bin)));
  const passes: PassResult[] = [];
  const singles: Record<Mode, number[]> = { 'per-run': [], 'batch-node': [], batch: [] };
  const sizesOf: Record<Mode, number[]> = { 'per-run': OLD_SIZES, 'batch-node': NODE_SIZES, batch: NEW_SIZES };
  try {
    // single launches first, alternating, on a quiet machine
    for (let i = 0; i < SINGLES; i++) for (const m of MODES) singles[m].push(await single(db, benches[m]));
    const all = [...new Set(MODES.flatMap((m) => sizesOf[m]))].sort((a, c) => a - c);
    for (const n of all) for (const m of MODES) if (sizesOf[m].includes(n)) passes.push(await pass(db, benches[m], n));
  } finally {
    restore();
    await db.close();
    for (const b of Object.values(benches)) b.tree.remove();
  }

  const label = (m: Mode): string => ({ 'per-run': 'per-run workers (before)', 'batch-node': 'batch submitter, Node entry', batch: 'batch submitter, native entry (now)' })[m];
  const rows = [
    '| path | runs | procedure returned (s) | all in the queue (s) | runs/s | HTCondor calls (total) | calls per run | calls by tool | peak RSS of our processes: sum / largest (MB) | our processes at once (peak) | one job per run |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|',
  ];
  for (const p of passes) {
    const byTool = Object.entries(p.calls)
      .sort()
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    rows.push(
      `| ${label(p.mode)} | ${p.runs} | ${p.returnedS.toFixed(1)} | ${p.queuedS.toFixed(1)} | ${(p.runs / p.queuedS).toFixed(1)} | ${p.callsTotal} | ${(p.callsTotal / p.runs).toFixed(2)} | ${byTool} | ${p.peakRssSumMb.toFixed(0)} / ${p.peakRssOneMb.toFixed(0)} | ${p.peakProcs} | ${p.jobsOk ? 'yes' : 'NO'} |`,
    );
  }
  const singleRows = ['| path | CALL execute_execution_record -> job in the queue, median (ms) | all (ms) |', '|---|---:|---|'];
  for (const m of MODES) singleRows.push(`| ${label(m)} | ${median(singles[m]).toFixed(0)} | ${singles[m].map((x) => x.toFixed(0)).join(', ')} |`);
  const last = passes.filter((p) => p.mode === 'batch' && p.runs === 1000).pop() ?? passes.filter((p) => p.mode === 'batch').pop();
  const lastLine = last === undefined ? 'launch pass: no batch pass run' : `launch pass ${last.runs} runs: ${last.queuedS.toFixed(1)} s, ${(last.runs / last.queuedS).toFixed(1)} runs/s, ${last.callsTotal} HTCondor calls`;
  const report = [
    `# launch benchmark (${new Date().toISOString()})`,
    '',
    'One `CALL assessment.process_execution_records()` over N seeded VM runs (SWAMP-in-a-Box submit file; the jobs stay idle): per-run workers, the batch submitter entered through the Node program, the batch submitter entered through the native entry; same DB and pool. "all in the queue": every run\'s DB row has submitted_to_condor_flag = 1 (set right after condor_submit); "one job per run" checked in the queue afterwards. HTCondor calls: every tool call of our programs (counting wrapper). RSS: all processes of the installed executable, sampled every 100 ms (the native entry, ~1 MB for ~1 ms per call, is not among them).',
    '',
    ...rows,
    '',
    '## single launch',
    '',
    ...singleRows,
    '',
    lastLine,
    '',
  ].join('\n');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.md'), report);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ passes, singles }, null, 1));
  process.stdout.write(report);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    // exit now: a failed pass must not keep the test lock (open handles of a half-done pass)
    process.exit(1);
  },
);
