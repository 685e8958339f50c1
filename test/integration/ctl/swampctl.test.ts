/**
 * swampctl against the real MariaDB and HTCondor pool, through the compiled binary (dist/bin/swampctl).
 * A seeded state: runs waiting (DB), queued, running, held (jobs), finished (in history, DB still
 * active), an orphan (DB only), a job with no DB row, a viewer that is up, a stale ad and an ad in
 * progress with no job; run/results/log dirs of the test's own. Running jobs use the local universe
 * (the pool has one slot, and these jobs need none).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, getExecutionRecord, type Db } from '../../../lib/db/index.js';
import { advertise, invalidate, isExactly, queryAds, queryHistory, remove, submit, waitForJobExit, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { assessmentStatusAd, viewerStatusAd } from '../../../lib/status/index.js';
import { run, type RunResult } from '../../../lib/proc/run.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions, projectDir } from '../helpers/db-env.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';

// the installed program (make install DESTDIR=.local/inst, scripts/services.sh)
const BIN = join(process.env.SWAMP_PREFIX ?? join(projectDir(), '.local', 'inst', 'opt', 'swamp'), 'bin', 'swampctl');
const ALL_CODES = [0, 1, 2, 66, 70, 75, 77, 78];
let ctx: HTCondorContext;
let db: Db;
let tmp: string;
let conf: string;
type Ids = Record<
  | 'waiting' | 'orphan' | 'queued' | 'running' | 'runningCluster' | 'held' | 'noRow' | 'finished' | 'finishedDir' | 'viewer' | 'viewerDir'
  | 'staleAd' | 'lostAd' | 'oldNoJobDir' | 'newNoJobDir' | 'resOld' | 'resPassed' | 'resFailed' | 'resNew',
  string
>;
const ids = {} as Ids;
const projects = {} as Record<'running' | 'viewer', string>;
const adsToDrop: string[] = [];

function swampctl(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run(BIN, args, { timeoutMs: 60_000, okExitCodes: ALL_CODES, env: { SWAMP_CONFIG: conf, NO_COLOR: '', ...env } });
}
async function json<T = Record<string, unknown>>(args: string[]): Promise<{ doc: T; code: number | undefined; stderr: string }> {
  const r = await swampctl([...args, '--json']);
  return { doc: JSON.parse(r.stdout) as T, code: r.exitCode, stderr: r.stderr };
}
/** Runs under a pseudo-terminal (script(1)); the command line is built from fixed words and our paths. */
function onTty(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  return run('script', ['-qec', [BIN, ...args].map(q).join(' '), '/dev/null'], {
    timeoutMs: 60_000,
    okExitCodes: ALL_CODES,
    env: { SWAMP_CONFIG: conf, TERM: 'xterm-256color', NO_COLOR: '', FORCE_COLOR: '', ...env },
  });
}

const upper = (u: string): string => u.toUpperCase();
const daysAgo = (p: string, d: number): void => {
  const t = Date.now() / 1000 - d * 86400;
  utimesSync(p, t, t);
};

async function seedRun(o: { launchFlag?: 0 | 1; submitted?: boolean; complete?: boolean; status?: string } = {}): Promise<{ id: string; user: string; project: string }> {
  const r = await seedAssessmentRun(db, { launchFlag: o.launchFlag ?? 0 });
  await db.execute('UPDATE assessment.execution_record SET submitted_to_condor_flag = ?, complete_flag = ?, status = ? WHERE execution_record_uuid = ?', [
    o.submitted === false ? 0 : 1,
    o.complete ? 1 : 0,
    o.status ?? 'Waiting in HTCondor Queue',
    r.executionRecordUuid,
  ]);
  return { id: r.executionRecordUuid, user: r.userUuid, project: r.projectUuid };
}

async function job(attrs: Record<string, string>, o: { universe?: 'local' | 'vanilla'; hold?: boolean; never?: boolean; exe?: string; args?: string[]; log: string }): Promise<number> {
  const res = await submit(ctx, {
    universe: o.universe ?? 'vanilla',
    executable: o.exe ?? '/bin/sleep',
    arguments: o.args ?? ['900'],
    initialdir: tmp,
    log: o.log,
    ...(o.never ? { requirements: 'False' } : {}),
    ...(o.hold ? { hold: true } : {}),
    attributes: attrs,
  });
  return res.cluster;
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} missing: make build`);
  ctx = await condorContext();
  db = await connect(await dbOptions());
  tmp = mkdtempSync('/tmp/swampctl-it-');
  chmodSync(tmp, 0o1777); // sticky: a config in a world-writable dir is refused otherwise (lib/config)
  for (const d of ['run', 'results', 'log']) mkdirSync(join(tmp, d), { mode: 0o777 });
  chmodSync(join(tmp, 'log'), 0o1777);
  const base = readFileSync(process.env.SWAMP_CONFIG ?? join(projectDir(), '.local', 'swamp', 'etc', 'swamp.conf'), 'utf8');
  conf = join(tmp, 'swamp.conf');
  writeFileSync(
    conf,
    `${base}\n# swampctl test overrides\nrunDir = ${tmp}/run\nresultsFolder = ${tmp}/results/\nlogDir = ${tmp}/log\ndockerImagesFile = ${tmp}/docker.txt\ncleanupStaleAdHours = 0\ncleanupOrphanMinutes = 0\n`,
    { mode: 0o600 },
  );

  // DB-only states
  ids.waiting = (await seedRun({ launchFlag: 1, submitted: false, status: 'WAITING TO START' })).id;
  ids.orphan = (await seedRun()).id;
  // jobs
  const q = await seedRun();
  ids.queued = q.id;
  await job({ SWAMP_arun_execrunuid: q.id, SWAMP_userid: q.user, SWAMP_projectid: q.project }, { never: true, log: join(tmp, 'q.log') });
  const r = await seedRun({ status: 'Performing assessment' });
  ids.running = r.id;
  projects.running = r.project;
  ids.runningCluster = String(await job({ SWAMP_arun_execrunuid: r.id, SWAMP_userid: r.user, SWAMP_projectid: r.project }, { universe: 'local', log: join(tmp, 'r.log') }));
  await advertise(ctx, [assessmentStatusAd({ execrunuid: r.id, vmhostname: `aswamp-${ids.runningCluster}-0`, status: 'Performing assessment', userUuid: r.user, projectId: r.project })]);
  adsToDrop.push(r.id);
  const h = await seedRun();
  ids.held = h.id;
  await job({ SWAMP_arun_execrunuid: h.id }, { hold: true, log: join(tmp, 'h.log') });
  ids.noRow = randomUUID();
  await job({ SWAMP_arun_execrunuid: ids.noRow }, { never: true, log: join(tmp, 'n.log') });
  // finished: the job ran (local universe /bin/true), the DB was never told; its job dir is left
  const f = await seedRun({ status: 'Performing assessment' });
  ids.finished = f.id;
  ids.finishedDir = `aswamp_${upper(randomUUID())}`;
  mkdirSync(join(tmp, 'run', ids.finishedDir));
  writeFileSync(join(tmp, 'run', ids.finishedDir, `${f.id}.bog`), 'x=1\n');
  await job({ SWAMP_arun_execrunuid: f.id, SWAMP_submit_jobdir: ids.finishedDir }, { universe: 'local', exe: '/bin/true', args: [], log: join(tmp, 'f.log') });
  await advertise(ctx, [assessmentStatusAd({ execrunuid: f.id, vmhostname: 'aswamp', status: 'Finished', userUuid: f.user, projectId: f.project })]);
  adsToDrop.push(f.id);
  await waitForJobExit(ctx, { log: join(tmp, 'f.log'), timeoutMs: 60_000 });
  await waitFor('the finished job in history', async () => (await queryHistory(ctx, { constraint: isExactly('SWAMP_arun_execrunuid', f.id), attributes: ['ClusterId'], limit: 1 })).length > 0);
  // a viewer that is up, with its job dir
  projects.viewer = randomUUID();
  ids.viewer = `vrun_${projects.viewer}_CodeDX`;
  ids.viewerDir = `vswamp_${upper(randomUUID())}`;
  mkdirSync(join(tmp, 'run', ids.viewerDir));
  await job({ SWAMP_vrun_execrunuid: ids.viewer, SWAMP_projectid: projects.viewer, SWAMP_submit_jobdir: ids.viewerDir }, { universe: 'local', log: join(tmp, 'v.log') });
  await advertise(ctx, [viewerStatusAd(ids.viewer, 2, 'Viewer is up', { viewer: 'CodeDX', projectid: projects.viewer, vmhostname: 'vswamp-1-0' })]);
  adsToDrop.push(ids.viewer);
  // ads: a stale final one, one in progress with no job
  ids.staleAd = randomUUID();
  ids.lostAd = randomUUID();
  await advertise(ctx, [
    assessmentStatusAd({ execrunuid: ids.staleAd, vmhostname: 'aswamp', status: 'Finished', userUuid: '', projectId: '' }),
    assessmentStatusAd({ execrunuid: ids.lostAd, vmhostname: 'aswamp', status: 'Performing assessment', userUuid: '', projectId: '' }),
  ]);
  adsToDrop.push(ids.staleAd, ids.lostAd);
  await waitFor('the jobs running', async () => {
    const s = await json<{ runs: { id: string; state: string }[] }>(['runs']);
    const st = (id: string): string | undefined => s.doc.runs.find((x) => x.id === id)?.state;
    return st(ids.running) === 'running' && st(ids.viewer) === 'running' && st(ids.held) === 'held';
  });

  // files for cleanup
  ids.oldNoJobDir = `aswamp_${upper(randomUUID())}`;
  ids.newNoJobDir = `mswamp_${upper(randomUUID())}`;
  mkdirSync(join(tmp, 'run', ids.oldNoJobDir));
  daysAgo(join(tmp, 'run', ids.oldNoJobDir), 10);
  mkdirSync(join(tmp, 'run', ids.newNoJobDir));
  const res = (n: string, days: number, statusOut?: string): void => {
    mkdirSync(join(tmp, 'results', n));
    if (statusOut !== undefined) writeFileSync(join(tmp, 'results', n, 'status.out'), statusOut);
    daysAgo(join(tmp, 'results', n), days);
  };
  ids.resOld = randomUUID();
  ids.resPassed = randomUUID();
  ids.resFailed = randomUUID();
  ids.resNew = randomUUID();
  res(ids.resOld, 30);
  res(ids.resPassed, 8, 'PASS: all\n');
  res(ids.resFailed, 8, 'FAIL: build\n');
  res(ids.resNew, 1, 'PASS: all\n');
  res(ids.running, 30); // a run in progress keeps its dir whatever its age
  for (const [n, d] of [['launchassessment.log.1', 90], ['launchassessment.log.2.gz', 10], ['launchassessment.log', 90]] as const) {
    writeFileSync(join(tmp, 'log', n), `${JSON.stringify({ time: new Date().toISOString(), level: 'info', program: 'launchassessment', pid: 1, runid: ids.running, msg: 'launch finished', clusterId: Number(ids.runningCluster) })}\n`);
    daysAgo(join(tmp, 'log', n), d);
  }
}, 180_000);

afterAll(async () => {
  for (const id of Object.values(ids)) await remove(ctx, { constraint: `SWAMP_arun_execrunuid =?= "${id}" || SWAMP_vrun_execrunuid =?= "${id}"` }).catch(() => undefined);
  await invalidate(ctx, { names: adsToDrop }).catch(() => undefined);
  await db?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface StatusDoc {
  counts: Record<string, number>;
  inconsistencies: { kind: string; id: string }[];
  viewersUp: { project: string; viewers: string[] }[];
  htcondorCalls: number;
  sources: Record<string, string>;
}

test('status --json: every state counted, every inconsistency named, O(1) HTCondor calls', async () => {
  const { doc, code } = await json<StatusDoc>(['status']);
  expect(code).toBe(0);
  expect(doc.sources).toEqual({ db: 'ok', schedd: 'ok', collector: 'ok', history: 'ok' });
  expect(doc.counts.waiting).toBeGreaterThanOrEqual(1);
  expect(doc.counts.queued).toBeGreaterThanOrEqual(2);
  expect(doc.counts.running).toBeGreaterThanOrEqual(2);
  expect(doc.counts.held).toBeGreaterThanOrEqual(1);
  expect(doc.counts.orphan).toBeGreaterThanOrEqual(2);
  const has = (kind: string, id: string): boolean => doc.inconsistencies.some((i) => i.kind === kind && i.id === id);
  expect(has('db-active-no-job', ids.orphan)).toBe(true);
  expect(has('db-active-job-ended', ids.finished)).toBe(true);
  expect(has('job-no-db-row', ids.noRow)).toBe(true);
  expect(has('ad-no-job', ids.lostAd)).toBe(true);
  expect(doc.inconsistencies.some((i) => [ids.running, ids.queued, ids.held, ids.waiting, ids.staleAd, ids.viewer].includes(i.id))).toBe(false);
  expect(doc.viewersUp).toContainEqual({ project: projects.viewer, viewers: ['CodeDX'] });
  // condor_q + condor_status + one condor_history, whatever the number of jobs
  expect(doc.htcondorCalls).toBeLessThanOrEqual(3);
}, 60_000);

test('runs --json: states and filters', async () => {
  const all = await json<{ runs: { id: string; state: string; cluster?: number; kind: string }[] }>(['runs']);
  const st = (id: string): string | undefined => all.doc.runs.find((r) => r.id === id)?.state;
  expect([ids.waiting, ids.queued, ids.running, ids.held, ids.finished, ids.orphan, ids.viewer].map(st)).toEqual(['waiting', 'queued', 'running', 'held', 'orphan', 'orphan', 'running']);
  expect(all.doc.runs.find((r) => r.id === ids.running)?.cluster).toBe(Number(ids.runningCluster));
  const held = await json<{ runs: { id: string }[] }>(['runs', '--state', 'held']);
  expect(held.doc.runs.map((r) => r.id)).toContain(ids.held);
  expect(held.doc.runs.map((r) => r.id)).not.toContain(ids.running);
  const viewers = await json<{ runs: { id: string }[] }>(['runs', '--kind', 'viewer', '--project', projects.viewer]);
  expect(viewers.doc.runs.map((r) => r.id)).toEqual([ids.viewer]);
  const piped = await swampctl(['runs', '--state', 'held']);
  expect(piped.stdout.split('\n').find((l) => l.startsWith(ids.held))?.split('\t').slice(0, 3)).toEqual([ids.held, 'assessment', 'held']);
  expect((await swampctl(['runs', '--state', 'nap'])).exitCode).toBe(2);
}, 60_000);

test("run <id> --json: the run's whole story", async () => {
  const { doc, code } = await json<{
    db: { row: Record<string, unknown> };
    jobs: { cluster: number; source: string }[];
    events: { code: number; cluster: number }[];
    ads: { status: string }[];
    logLines: { program: string; msg: string }[];
    results: { dir: string; exists: boolean };
    htcondorCalls: number;
  }>(['run', ids.running]);
  expect(code).toBe(0);
  expect(doc.db.row.status).toBe('Performing assessment');
  expect(doc.db.row.vm_password ?? null).toBeNull();
  expect(doc.jobs[0]).toMatchObject({ cluster: Number(ids.runningCluster), source: 'queue' });
  expect(doc.events.map((e) => e.code)).toEqual(expect.arrayContaining([0, 1]));
  expect(doc.ads.map((a) => a.status)).toEqual(['Performing assessment']);
  expect(doc.logLines).toContainEqual(expect.objectContaining({ program: 'launchassessment', msg: 'launch finished' }));
  expect(doc.results).toMatchObject({ dir: join(tmp, 'results', ids.running), exists: true });
  expect(doc.htcondorCalls).toBe(3);
  const v = await json<{ kind: string; jobs: unknown[]; ads: { status: string }[] }>(['run', ids.viewer]);
  expect(v.doc).toMatchObject({ kind: 'viewer', ads: [{ status: 'Viewer is up' }] });
  // an idle job: why it does not run (its requirements are False)
  const q = await json<{ whyIdle?: { job: string; conditions: { matched: number }[]; reason?: string }; htcondorCalls: number }>(['run', ids.queued]);
  expect(q.doc.whyIdle?.job).toMatch(/^\d+\.0$/);
  expect(q.doc.htcondorCalls).toBe(4);
  expect((await onTty(['run', ids.queued], { NO_COLOR: '1' })).stdout).toMatch(/Why job \d+\.0 is not running/);
  expect((await swampctl(['run', randomUUID()])).exitCode).toBe(66);
  expect((await swampctl(['run', "x'; rm -rf /"])).exitCode).toBe(2);
}, 60_000);

test('ads --json: SWAMP ads with their job and staleness; --invalidate removes one by exact name', async () => {
  const { doc } = await json<{ ads: { name: string; job: string; stale: boolean }[] }>(['ads']);
  const a = (n: string): { job: string; stale: boolean } | undefined => doc.ads.find((x) => x.name === n);
  expect(a(ids.staleAd)).toMatchObject({ job: 'none', stale: true });
  expect(a(ids.lostAd)).toMatchObject({ job: 'none', stale: false });
  expect(a(ids.running)?.stale).toBe(false);
  expect(a(ids.running)?.job).toBe(`${ids.runningCluster}.0`);
  const inv = await json<{ invalidated: string[] }>(['ads', '--invalidate', ids.lostAd]);
  expect(inv.doc.invalidated).toEqual([ids.lostAd]);
  expect(await queryAds(ctx, { constraint: isExactly('Name', ids.lostAd) })).toEqual([]);
  expect((await swampctl(['ads', '--invalidate', ids.lostAd])).stdout).toMatch(/no status ad/);
}, 60_000);

test('cleanup --dry-run changes nothing; cleanup removes exactly what it should, once', async () => {
  const exists = (...p: string[]): boolean => existsSync(join(tmp, ...p));
  const snapshot = (): boolean[] => [
    exists('run', ids.finishedDir),
    exists('run', ids.oldNoJobDir),
    exists('results', ids.resOld),
    exists('results', ids.resPassed),
    exists('log', 'launchassessment.log.1'),
  ];
  type Doc = { dryRun: boolean; categories: { category: string; items: { name: string; status?: string }[]; done: number; failed: number }[]; htcondorCalls: number };
  const names = (d: Doc, c: string): string[] => d.categories.find((x) => x.category === c)?.items.map((i) => i.name) ?? [];

  const dry = await json<Doc>(['cleanup', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(names(dry.doc, 'job-dirs').sort()).toEqual([ids.finishedDir, ids.oldNoJobDir].sort());
  expect(names(dry.doc, 'results').sort()).toEqual([ids.resOld, ids.resPassed].sort());
  expect(names(dry.doc, 'logs')).toEqual(['launchassessment.log.1']);
  expect(names(dry.doc, 'stale-ads')).toContain(ids.staleAd);
  expect(names(dry.doc, 'stale-ads')).not.toContain(ids.running);
  expect(names(dry.doc, 'orphans')).toEqual(expect.arrayContaining([ids.orphan, ids.finished]));
  expect(dry.doc.categories.every((c) => c.done === 0)).toBe(true);
  expect(snapshot()).toEqual([true, true, true, true, true]);
  expect((await getExecutionRecord(db, ids.orphan))?.complete_flag).toBe(0);
  expect(await queryAds(ctx, { constraint: isExactly('Name', ids.staleAd) })).toHaveLength(1);

  const real = await json<Doc>(['cleanup']);
  expect(real.code).toBe(0);
  expect(snapshot()).toEqual([false, false, false, false, false]);
  // kept: the viewer's dir (job in the queue), a young dir without job, young/failed results, a run's results, current and young logs
  for (const p of [['run', ids.viewerDir], ['run', ids.newNoJobDir], ['results', ids.resFailed], ['results', ids.resNew], ['results', ids.running], ['log', 'launchassessment.log'], ['log', 'launchassessment.log.2.gz']]) {
    expect([p.join('/'), exists(...p)]).toEqual([p.join('/'), true]);
  }
  const orphan = await getExecutionRecord(db, ids.orphan);
  expect([orphan?.status, orphan?.complete_flag]).toEqual(['Finished with Errors', 1]);
  expect(orphan?.completion_date).not.toBeNull();
  const finished = await getExecutionRecord(db, ids.finished);
  expect([finished?.status, finished?.complete_flag]).toEqual(['Finished', 1]);
  expect(real.doc.categories.find((c) => c.category === 'orphans')?.items.find((i) => i.name === ids.finished)?.status).toBe('Finished');
  const orphanAd = await queryAds(ctx, { constraint: isExactly('Name', ids.orphan) });
  expect(orphanAd[0]?.SWAMP_vmu_assessment_status).toBe('Finished with Errors');
  adsToDrop.push(ids.orphan);
  expect(await queryAds(ctx, { constraint: isExactly('Name', ids.staleAd) })).toEqual([]);
  expect(real.doc.htcondorCalls).toBeLessThanOrEqual(6);
  for (const id of [ids.running, ids.queued, ids.held, ids.waiting]) expect((await getExecutionRecord(db, id))?.complete_flag).toBe(0);

  // idempotent: the orphans were recorded once; the only thing of ours a second pass touches is the
  // final ad the first pass published for the orphan (stale at once with cleanupStaleAdHours = 0)
  const mine = new Set([ids.finishedDir, ids.oldNoJobDir, ids.resOld, ids.resPassed, 'launchassessment.log.1', ids.orphan, ids.finished, ids.staleAd]);
  const ours = (d: Doc): string[] => d.categories.flatMap((c) => c.items.filter((i) => mine.has(i.name)).map((i) => `${c.category} ${i.name}`));
  expect(ours((await json<Doc>(['cleanup'])).doc)).toEqual([`stale-ads ${ids.orphan}`]);
  expect(ours((await json<Doc>(['cleanup'])).doc)).toEqual([]);
  // the pass is what the status screen shows as the cleanup timer's last pass
  const st = await json<{ timers: { cleanup: { ageSeconds: number | null } } }>(['status']);
  expect(st.doc.timers.cleanup.ageSeconds).not.toBeNull();
}, 120_000);

test('human output: a coloured screen on a terminal, NO_COLOR honoured, tab-separated text in a pipe', async () => {
  const tty = await onTty(['status']);
  expect(tty.stdout).toContain('\x1b[');
  expect(tty.stdout).toMatch(/SWAMP on/);
  expect(tty.stdout).toMatch(/Runs.*running \d+/);
  const plain = await onTty(['status'], { NO_COLOR: '1' });
  expect(plain.stdout).not.toContain('\x1b[');
  expect(plain.stdout).toMatch(/● SWAMP on/);
  expect(plain.stdout).toMatch(/Viewers +\d+ up in \d+ project/);
  const table = await onTty(['runs', '--state', 'held'], { NO_COLOR: '1' });
  expect(table.stdout).toMatch(/^ID +KIND +STATE +JOB/m);
  expect(table.stdout).toContain(ids.held);
  const story = await onTty(['run', ids.running], { NO_COLOR: '1' });
  for (const section of ['Database', 'HTCondor jobs', 'Event log', 'Status ads', 'Log lines', 'Results']) expect(story.stdout).toContain(section);
  const pipe = await swampctl(['status']);
  expect(pipe.stdout).not.toContain('\x1b[');
  expect(pipe.stdout).toMatch(/^runs\.running\t\d+$/m);
  // --watch: one JSON line per round, three HTCondor calls each
  const rounds = (await swampctl(['status', '--watch', '1', '--count', '2', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as StatusDoc);
  expect(rounds.map((r) => r.htcondorCalls <= 3)).toEqual([true, true]);
  const help = await swampctl(['cleanup', '--help']);
  expect([help.exitCode, /--dry-run/.test(help.stdout), /Examples:/.test(help.stdout)]).toEqual([0, true, true]);
}, 120_000);

test('config get/set/check: validated, atomic, the rest of the file kept', async () => {
  const before = readFileSync(conf, 'utf8');
  expect((await swampctl(['config', 'get', 'cleanupOrphanMinutes'])).stdout).toBe('0\n');
  const listing = await json<{ entries: { key: string; value: string }[] }>(['config', 'get']);
  expect(listing.doc.entries.find((e) => e.key === 'dbPerlPass')?.value).toMatch(/^(\(set\)|)$/);
  const set = await swampctl(['config', 'set', 'cleanupJobDirDays', '14']);
  expect(set.exitCode).toBe(0);
  const after = readFileSync(conf, 'utf8');
  expect(after).toBe(`${before}cleanupJobDirDays = 14\n`);
  const bad = await swampctl(['config', 'set', 'cleanupJobDirDays', 'soon']);
  expect(bad.exitCode).toBe(78);
  expect(readFileSync(conf, 'utf8')).toBe(after);
  expect((await swampctl(['config', 'check'])).exitCode).toBe(0);
  const broken = join(tmp, 'broken.conf');
  writeFileSync(broken, 'htcondor_assessment_max_retries = lots\n');
  const chk = await swampctl(['config', 'check', '--config', broken, '--json']);
  expect(chk.exitCode).toBe(78);
  expect(JSON.parse(chk.stdout)).toMatchObject({ ok: false, problems: [{ what: 'htcondor' }] });
}, 60_000);

test('disable/enable: SWAMPState in swamp.conf and the DB launch event', async () => {
  const off = await json<{ swampOn: boolean; events: { name: string; status: string }[] }>(['disable']);
  expect(off.code).toBe(0);
  expect(off.doc.events).toContainEqual({ name: 'assessment.process_execution_records', status: 'DISABLED' });
  expect((await swampctl(['config', 'get', 'SWAMPState'])).stdout).toBe('OFF\n');
  expect((await json<{ swampOn: boolean }>(['status'])).doc.swampOn).toBe(false);
  const on = await json<{ events: { name: string; status: string }[] }>(['enable']);
  expect(on.doc.events).toContainEqual({ name: 'assessment.process_execution_records', status: 'ENABLED' });
  expect((await swampctl(['config', 'get', 'SWAMPState'])).stdout).toBe('ON\n');
}, 60_000);

test('docker-images: from a list; a clear failure without docker', async () => {
  const list = join(tmp, 'images.txt');
  writeFileSync(list, 'REPOSITORY                 TAG   IMAGE ID\nswamp/condor-debian-12.0-64-master   latest  abc\n\n');
  const r = await json<{ lines: number; swampImages: number; file: string }>(['docker-images', '--from', list]);
  expect(r.doc).toMatchObject({ lines: 2, swampImages: 1, file: join(tmp, 'docker.txt') });
  expect(readFileSync(join(tmp, 'docker.txt'), 'utf8')).toBe('REPOSITORY                 TAG   IMAGE ID\nswamp/condor-debian-12.0-64-master   latest  abc\n');
  const none = await run(BIN, ['docker-images'], { timeoutMs: 30_000, okExitCodes: ALL_CODES, env: { SWAMP_CONFIG: conf, PATH: '/nonexistent' } });
  expect(none.exitCode).toBe(66);
  expect(none.stderr).toMatch(/docker is not installed here/);
}, 60_000);

test('health: passes with the services up, fails (exit 1) while the schedd is stopped', async () => {
  const ok = await json<{ ok: boolean; checks: { name: string; level: string }[] }>(['health']);
  expect(ok.doc.checks.filter((c) => c.level === 'fail')).toEqual([]);
  expect(ok.code).toBe(0);
  expect(ok.doc.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['db', 'udf', 'procedures', 'schedd', 'collector', 'config', 'clock', 'run dir', 'drain timer']));
  // only the schedd, and back before the test ends (the pool is shared; tests hold the global lock)
  const chroot = process.env.SWAMP_CONDOR_CHROOT ?? '/opt/swamp-condor/root';
  await run('chroot', [chroot, 'condor_off', '-daemon', 'schedd'], { timeoutMs: 30_000 });
  try {
    await waitFor('the schedd to stop', async () => (await run('chroot', [chroot, 'condor_q', '-totals'], { timeoutMs: 20_000, okExitCodes: [0, 1] })).exitCode !== 0);
    const bad = await json<{ ok: boolean; checks: { name: string; level: string }[] }>(['health']);
    expect(bad.code).toBe(1);
    expect(bad.doc.ok).toBe(false);
    expect(bad.doc.checks.find((c) => c.name === 'schedd')?.level).toBe('fail');
    expect(bad.doc.checks.find((c) => c.name === 'collector')?.level).toBe('pass');
    const st = await swampctl(['status', '--json']);
    expect(st.exitCode).toBe(75);
    expect(JSON.parse(st.stdout).sources.schedd).not.toBe('ok');
  } finally {
    await run('chroot', [chroot, 'condor_on', '-daemon', 'schedd'], { timeoutMs: 30_000 });
    await waitFor('the schedd to answer again', async () => (await run('chroot', [chroot, 'condor_q', '-totals'], { timeoutMs: 20_000, okExitCodes: [0, 1] })).exitCode === 0, 90_000);
  }
  const watch = await swampctl(['health', '--watch', '1', '--count', '2']);
  expect(watch.stdout.split('\n').filter((l) => l.startsWith('pass\tdb\t'))).toHaveLength(2);
}, 180_000);
