/**
 * lib/htcondor against the real local pool (services/condor; `make services` or pool.sh start first).
 * Jobs are short `sleep`/`echo` jobs or held jobs that are removed, so the file stays well under 2 minutes.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ExternalCommandError, ValidationError } from '../../../lib/errors/index.js';
import { run } from '../../../lib/proc/run.js';
import {
  advertise,
  createCallCounter,
  dryRun,
  expr,
  invalidate,
  isExactly,
  lookupSwampId,
  queryAds,
  queryHistory,
  queryQueue,
  remove,
  submit,
  swampIdConstraint,
  waitForJobExit,
  type HTCondorContext,
} from '../../../lib/htcondor/index.js';
import { finishedJobDirs, lookupMany } from '../../../lib/submission/condor.js';
import { condorContext } from '../helpers/condor-env.js';
import { jest } from '@jest/globals';

jest.setTimeout(60_000);

let ctx: HTCondorContext;
let dir: string;

beforeAll(async () => {
  ctx = await condorContext();
  // jobs and the shadow run as the pool's job owner (swamp), so the job directory must be writable by it
  dir = await mkdtemp(join(tmpdir(), 'swamp-htcondor-it-'));
  await chmod(dir, 0o777);
});

afterAll(async () => {
  // remove whatever a failed test left behind, by our unique directory
  if (ctx !== undefined && dir !== undefined) {
    await remove(ctx, { constraint: isExactly('Iwd', dir) }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

const HOSTILE = [
  'he said "hi"',
  'back\\slash',
  'trailing backslash\\',
  'backslash-quote \\" mix \\\\" end',
  'EOF',
  'ünïcødé ✓ 日本',
  'dollar $(Cluster) $$(Memory) $',
  "single 'quotes' and\ttab",
];

function uid(tag: string): string {
  return `${tag}-${randomUUID()}`;
}

test('a vanilla job runs, its arguments survive, and it is found in condor_history', async () => {
  const id = uid('it-run');
  const counter = createCallCounter();
  const c = { ...ctx, onCall: counter.onCall };
  const args = ['plain', 'two words', 'quote"d', "it's", '$(Cluster)', ''];
  const res = await submit(c, {
    executable: '/bin/echo',
    arguments: args,
    initialdir: dir,
    output: 'run.out',
    log: 'run.log',
    attributes: { SWAMP_arun_execrunuid: id },
  });
  expect(res.jobs).toHaveLength(1);
  expect(res.schedd).not.toBe('');
  const w = await waitForJobExit(c, { log: join(dir, 'run.log'), job: res.jobs[0], timeoutMs: 45_000 });
  expect(w.exited).toBe(true);
  expect(await readFile(join(dir, 'run.out'), 'utf8')).toBe(`${args.join(' ')}\n`);
  const hist = await queryHistory(c, { constraint: swampIdConstraint(id), attributes: ['JobStatus', 'ExitCode', 'SWAMP_arun_execrunuid'], limit: 1 });
  expect(hist).toEqual([{ JobStatus: 4, ExitCode: 0, SWAMP_arun_execrunuid: id }]);
  // submit (+ one schedd-name lookup at most) + condor_wait + condor_history
  expect(counter.byTool().condor_submit).toBe(1);
  expect(counter.byTool().condor_wait).toBe(1);
});

test('lookup by exact SWAMP id, idempotent removal, history fallback', async () => {
  const id = uid('it-lookup');
  const sibling = `${id}-2`; // shares the prefix: must never match a lookup of id
  const log = join(dir, 'lookup.log');
  const held = { executable: '/bin/sleep', arguments: ['300'], initialdir: dir, log, hold: true };
  const a = await submit(ctx, { ...held, attributes: { SWAMP_vrun_execrunuid: id } });
  const b = await submit(ctx, { ...held, attributes: { SWAMP_vrun_execrunuid: sibling } });

  const found = await lookupSwampId(ctx, id);
  expect(found.source).toBe('queue');
  expect(found.ads).toHaveLength(1);
  expect(found.ads[0]?.SWAMP_vrun_execrunuid).toBe(id);
  expect(found.job).toEqual(a.jobs[0]);
  expect(found.ads[0]?.UserLog).toBe(log);
  expect((await lookupSwampId(ctx, id.slice(0, -4))).source).toBe('none');

  const job = a.jobs[0]!;
  expect((await remove(ctx, job, { reason: 'integration test "quoted" reason' })).outcome).toBe('removed');
  const again = await remove(ctx, job);
  expect(['already-gone', 'already-marked']).toContain(again.outcome);

  // held jobs leave the queue right after removal; the abort event is in the log
  expect((await waitForJobExit(ctx, { log, job, timeoutMs: 20_000 })).exited).toBe(true);
  let later = await lookupSwampId(ctx, id);
  for (let i = 0; i < 20 && later.source === 'queue'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    later = await lookupSwampId(ctx, id);
  }
  expect(later.source).toBe('history');
  expect(later.ads[0]?.JobStatus).toBe(3);
  expect(later.ads[0]?.RemoveReason).toContain('integration test "quoted" reason');
  expect(later.job?.cluster).toBe(job.cluster);
  expect((await remove(ctx, job)).outcome).toBe('already-gone');

  // the sibling is untouched; remove it by constraint, twice
  expect((await lookupSwampId(ctx, sibling)).source).toBe('queue');
  expect((await remove(ctx, { constraint: swampIdConstraint(sibling) })).outcome).toBe('removed');
  expect(['already-gone', 'already-marked']).toContain((await remove(ctx, { constraint: swampIdConstraint(sibling) })).outcome);
  void b;
});

test('many ids at once (identicalMember constraints): queue, history and none, each attribute, no prefix match', async () => {
  const a = uid('it-many-a');
  const m = `M-${randomUUID()}`;
  const v = uid('it-many-v');
  const log = join(dir, 'many.log');
  const held = { executable: '/bin/sleep', arguments: ['300'], initialdir: dir, log, hold: true };
  const ja = await submit(ctx, { ...held, attributes: { SWAMP_arun_execrunuid: a, SWAMP_submit_jobdir: `${a}-dir` } });
  await submit(ctx, { ...held, attributes: { SWAMP_mrun_execrunuid: m } });
  await submit(ctx, { ...held, attributes: { SWAMP_vrun_execrunuid: v } });
  // ids that are absent, a prefix of a present one, and enough of them to need two argv chunks
  const absent = Array.from({ length: 1200 }, () => randomUUID());
  const found = await lookupMany(ctx, [a, m, v, a.slice(0, -1), ...absent]);
  expect(found.get(a)).toMatchObject({ source: 'queue', clusterId: ja.jobs[0]?.cluster, duplicates: 1 });
  expect(found.get(m)?.source).toBe('queue');
  expect(found.get(v)?.source).toBe('queue');
  expect(found.get(a.slice(0, -1))?.source).toBe('none');
  expect(absent.every((id) => found.get(id)?.source === 'none')).toBe(true);

  await remove(ctx, { constraint: swampIdConstraint(a) });
  expect((await waitForJobExit(ctx, { log, job: ja.jobs[0]!, timeoutMs: 20_000 })).exited).toBe(true);
  let after = await lookupMany(ctx, [a, m]);
  for (let i = 0; i < 20 && after.get(a)?.source === 'queue'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    after = await lookupMany(ctx, [a, m]);
  }
  expect(after.get(a)).toMatchObject({ source: 'history', clusterId: ja.jobs[0]?.cluster });
  expect(after.get(m)?.source).toBe('queue');
  expect(await finishedJobDirs(ctx, [`${a}-dir`, `${a}-di`, 'not-a-dir'])).toEqual(new Set([`${a}-dir`]));
  for (const id of [m, v]) await remove(ctx, { constraint: swampIdConstraint(id) });
});

test('hostile +Attr values round-trip through a submit and condor_q -json', async () => {
  const id = uid('it-attrs');
  const attributes: Record<string, string> = { SWAMP_mrun_execrunuid: id };
  HOSTILE.forEach((v, i) => {
    attributes[`SWAMP_test_${i}`] = v;
  });
  const res = await submit(ctx, { executable: '/bin/true', initialdir: dir, hold: true, attributes }, { file: join(dir, 'attrs.sub') });
  const ads = await queryQueue(ctx, { jobs: res.jobs, attributes: Object.keys(attributes) });
  expect(ads).toEqual([attributes]);
  // every hostile value also works as an exact-match constraint operand
  for (const [k, v] of Object.entries(attributes)) {
    expect(await queryQueue(ctx, { constraint: isExactly(k, v), attributes: ['ClusterId'] })).toEqual([{ ClusterId: res.cluster }]);
  }
  expect((await remove(ctx, res.jobs[0]!)).outcome).toBe('removed');
});

test('generic ads with hostile values: advertise, query, invalidate', async () => {
  const base = uid('it-ad');
  const ads = HOSTILE.map((v, i) => ({ Name: `${base}-${i} ${v}`, SWAMP_vmu_assessment_status: v, SWAMP_n: i, SWAMP_flag: true }));
  const counter = createCallCounter();
  const c = { ...ctx, onCall: counter.onCall };
  expect(await advertise(c, ads)).toEqual({ sent: ads.length, total: ads.length });
  expect(counter.total()).toBe(1); // several ads, one call

  const got = await queryAds(ctx, {
    myType: 'Generic',
    constraint: `regexp(${JSON.stringify(`^${base}-`)}, Name)`,
    attributes: ['Name', 'SWAMP_vmu_assessment_status', 'SWAMP_n', 'SWAMP_flag'],
  });
  const byName = (x: { Name?: unknown }, y: { Name?: unknown }): number => String(x.Name).localeCompare(String(y.Name));
  expect([...got].sort(byName)).toEqual([...ads].sort(byName));
  for (const ad of ads) {
    expect(await queryAds(ctx, { constraint: isExactly('Name', ad.Name), attributes: ['SWAMP_vmu_assessment_status'] })).toEqual([
      { SWAMP_vmu_assessment_status: ad.SWAMP_vmu_assessment_status },
    ]);
  }
  // re-advertising the same Name replaces the ad
  await advertise(ctx, [{ ...ads[0]!, SWAMP_vmu_assessment_status: 'replaced' }]);
  expect(await queryAds(ctx, { constraint: isExactly('Name', ads[0]!.Name), attributes: ['SWAMP_vmu_assessment_status'] })).toEqual([
    { SWAMP_vmu_assessment_status: 'replaced' },
  ]);

  await invalidate(ctx, { names: ads.map((a) => a.Name) });
  expect(await queryAds(ctx, { myType: 'Generic', constraint: `regexp(${JSON.stringify(`^${base}-`)}, Name)` })).toEqual([]);
});

test('values HTCondor cannot carry (line breaks) are refused before any call', async () => {
  const counter = createCallCounter();
  const c = { ...ctx, onCall: counter.onCall };
  await expect(advertise(c, [{ Name: 'x', S: 'line1\nEOF\nline3' }])).rejects.toThrow(ValidationError);
  await expect(submit(c, { executable: '/bin/true', attributes: { S: 'a\r\nb' } })).rejects.toThrow(ValidationError);
  await expect(queryQueue(c, { constraint: 'true\n' })).rejects.toThrow(ValidationError);
  expect(counter.total()).toBe(0);
});

test('dry-run validates vm and docker descriptions without submitting', async () => {
  const id = uid('it-dry');
  const vm = await dryRun(ctx, {
    universe: 'vm',
    executable: `swamp-vm-${id}`,
    log: join(dir, 'vm.log'),
    commands: { vm_type: 'kvm', vm_memory: 2048, vm_networking: true, vm_no_output_vm: true, vm_disk: 'disk.qcow2:vda:w:qcow2' },
    attributes: { SWAMP_arun_execrunuid: id, SWAMP_test: HOSTILE[3]! },
  });
  expect(vm).toMatchObject({ valid: true, errors: [] });
  expect(vm.ad.raw.JobUniverse).toBe('13');
  expect(vm.ad.strings.JobVMType).toBe('kvm');
  expect(vm.ad.strings.SWAMP_test).toBe(HOSTILE[3]);

  const docker = await dryRun(ctx, {
    universe: 'docker',
    executable: '/bin/echo',
    arguments: ['hello world'],
    commands: { docker_image: 'debian:trixie-slim' },
    attributes: { SWAMP_arun_execrunuid: id },
  });
  expect(docker).toMatchObject({ valid: true, errors: [] });
  expect(docker.ad.raw.WantDocker).toBe('true');
  expect(docker.ad.strings.DockerImage).toBe('debian:trixie-slim');

  const badVm = await dryRun(ctx, { universe: 'vm', executable: 'x', commands: { vm_type: 'kvm' } });
  expect(badVm.valid).toBe(false);
  expect(badVm.errors.join(' ')).toMatch(/vm_memory/);
  const badDocker = await dryRun(ctx, { universe: 'docker', executable: '/bin/echo' });
  expect(badDocker).toMatchObject({ valid: false, errors: ['docker jobs require a docker_image'] });
  // nothing was queued
  expect(await queryQueue(ctx, { constraint: swampIdConstraint(id) })).toEqual([]);
});

test('failures are classified', async () => {
  await expect(queryQueue(ctx, { constraint: 'bad syntax ((' })).rejects.toMatchObject({ kind: 'external' });
  // a schedd the collector does not know (down or never there) and an unreachable pool: retry later
  await expect(queryQueue({ ...ctx, schedd: 'nosuch@localhost' })).rejects.toMatchObject({ kind: 'busy' });
  await expect(queryAds({ ...ctx, pool: '127.0.0.1:9' })).rejects.toMatchObject({ kind: 'busy' });
  // a name that is not even a host: a configuration error, never "not found" (a caller would take the job as gone)
  await expect(queryQueue({ ...ctx, schedd: 'no-such-schedd' })).rejects.toMatchObject({ kind: 'external' });
  const missing: HTCondorContext = { ...ctx, toolDir: join(dir, 'no-such-dir') };
  await expect(queryQueue(missing)).rejects.toMatchObject({ kind: 'not-found' });
  const rejected = submit(ctx, { executable: join(dir, 'does-not-exist'), initialdir: dir });
  await expect(rejected).rejects.toBeInstanceOf(ExternalCommandError);
  // condor_submit refusing the description is the caller's input error, not an outage
  await expect(rejected).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('does-not-exist') });
  // a held job with an expression attribute: requirements = False-like raw expressions are passed through
  const res = await submit(ctx, { executable: '/bin/true', initialdir: dir, hold: true, attributes: { SWAMP_expr: expr('1 + 2') } });
  expect(await queryQueue(ctx, { jobs: res.jobs, attributes: ['SWAMP_expr'] })).toEqual([{ SWAMP_expr: { expr: '1 + 2' } }]);
  await remove(ctx, res.jobs[0]!);
});

test("mysqld's user (non-root) submits natively with the service account's token, never as itself", async () => {
  if (process.getuid?.() !== 0) return; // already running as a non-root user: every other test covers it
  const dbUser = process.env.SWAMP_DB_OS_USER ?? 'mysql';
  const id = uid('it-native');
  const input = `executable = /bin/true\nhold = true\n+SWAMP_arun_execrunuid = "${id}"\nqueue\n`;
  // the installed htcondor_root (scripts/services.sh): the pool's tools, a client config that reads
  // tokens.d/<user>/ of the installed tree (make install SWAMP_TOKEN=...)
  const root = join(process.env.SWAMP_PREFIX ?? join(process.cwd(), '.local', 'inst', 'opt', 'swamp'), 'htcondor');
  const r = await run('/usr/sbin/runuser', ['-u', dbUser, '--', join(root, 'bin', 'condor_submit'), '-terse', '-'], {
    timeoutMs: 20_000,
    cwd: dir,
    env: { CONDOR_CONFIG: join(root, 'etc', 'condor_config'), PATH: process.env.PATH ?? '' },
    input,
  });
  expect(r.stdout).toMatch(/^\d+\.0 - \d+\.0$/m);
  const found = await lookupSwampId(ctx, id);
  expect(found.source).toBe('queue');
  expect(found.ads[0]?.Owner).toBe(process.env.SWAMP_SERVICE_USER ?? 'swa-daemon');
  expect((await remove(ctx, found.job!)).outcome).toBe('removed');
  // without the token (the pool's plain client config: its own uid, FS) the schedd refuses it
  const own = await run('/usr/sbin/runuser', ['-u', dbUser, '--', join(ctx.toolDir!, 'condor_submit'), '-terse', '-'], {
    timeoutMs: 20_000,
    cwd: dir,
    env: ctx.env,
    input,
    okExitCodes: [0, 1],
  });
  expect(own.exitCode).toBe(1);
  expect((await lookupSwampId(ctx, id)).source).not.toBe('queue');
});
