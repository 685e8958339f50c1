import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRASH_POINTS, drain, launchRun, type CrashPoint, type DbOps, type LaunchDeps, type ViewRow } from '../../../lib/assessment/index.js';
import { listQueue, readState, tryLock, type CondorOps, type FoundJob, type LaunchSettings } from '../../../lib/submission/index.js';
import type { StatusAd } from '../../../lib/status/index.js';
import { scratchLaunchSettings } from './settings-fixture.js';

const U = '0258026e-6c62-4591-8378-89580a707e83';
const M = `M-${U}`;

class FakeCondor implements CondorOps {
  jobs: Array<{ id: string; cluster: number; status: number; starts: number; inHistory: boolean }> = [];
  ads: StatusAd[] = [];
  calls: string[] = [];
  failLookup = false;
  failSubmit = false;
  next = 100;
  /** The text of every submitted submit file. */
  submitFiles: string[] = [];
  async lookup(id: string): Promise<FoundJob> {
    this.calls.push('lookup');
    if (this.failLookup) throw Object.assign(new Error('Failed to connect to schedd'), {});
    const q = this.jobs.filter((j) => j.id === id && !j.inHistory);
    if (q.length > 0) return { source: 'queue', clusterId: q[0]!.cluster, jobStatus: q[0]!.status, numJobStarts: q[0]!.starts, duplicates: q.length };
    const h = this.jobs.filter((j) => j.id === id && j.inHistory);
    if (h.length > 0) return { source: 'history', clusterId: h[0]!.cluster, jobStatus: 4, numJobStarts: 1 };
    return { source: 'none' };
  }
  async submitFile(dir: string, file: string): Promise<number> {
    this.calls.push('submit');
    if (this.failSubmit) throw new Error('condor_submit failed: ERROR: no schedd');
    const id = file.replace(/\.sub$/, '');
    for (const f of [file, `${id}.bog`, `${id}_submitbundle.tar.gz`]) expect(existsSync(join(dir, f))).toBe(true);
    this.submitFiles.push(readFileSync(join(dir, file), 'utf8'));
    const cluster = this.next++;
    this.jobs.push({ id, cluster, status: 1, starts: 0, inHistory: false });
    return cluster;
  }
  async advertise(ad: StatusAd): Promise<void> {
    this.calls.push('advertise');
    this.ads.push(ad);
  }
  preempted: Array<{ id: string; userid: string; projectid: string }> = [];
  async finishedJobDirs(dirs: readonly string[]): Promise<Set<string>> {
    this.calls.push('history-dirs');
    return new Set(dirs.filter((d) => this.finishedDirs.has(d)));
  }
  finishedDirs = new Set<string>();
  async preemptedJobs(): Promise<Array<{ id: string; userid: string; projectid: string }>> {
    this.calls.push('preempted');
    return this.preempted;
  }
  count(id: string): number {
    return this.jobs.filter((j) => j.id === id).length;
  }
}

class FakeDb implements DbOps {
  rows = new Map<string, ViewRow>();
  flags = new Map<string, Record<string, boolean>>();
  statuses: Array<{ id: string; status: string; final: boolean }> = [];
  down = false;
  async getExecRun(id: string): Promise<ViewRow | undefined> {
    if (this.down) throw new Error('ECONNREFUSED');
    return this.rows.get(id);
  }
  async setFlag(id: string, flag: string, value: boolean): Promise<void> {
    if (this.down) throw new Error('ECONNREFUSED');
    this.flags.set(id, { ...(this.flags.get(id) ?? { launch_flag: true }), [flag]: value });
  }
  async setStatus(id: string, status: string, final: boolean): Promise<void> {
    if (this.down) throw new Error('ECONNREFUSED');
    this.statuses.push({ id, status, final });
  }
  fields: Array<{ id: string; field: string; value: string }> = [];
  async setField(id: string, field: string, value: string): Promise<void> {
    this.fields.push({ id, field, value });
  }
  async close(): Promise<void> {}
}

function viewRow(id: string): ViewRow {
  return {
    execution_record_uuid: id,
    launch_counter: 1,
    project_uuid: id.startsWith('M-') ? 'METRIC' : 'P',
    user_uuid: id.startsWith('M-') ? 'METRIC' : 'USER',
    tool_name: 'cppcheck',
    tool_path: '/t',
    version_string: '1',
    package_name: 'zlib',
    platform_identifier: 'debian-12.0-64',
    notify_when_complete_flag: 0,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'la-unit-'));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'results'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function settings(over: Partial<LaunchSettings> = {}): LaunchSettings {
  return scratchLaunchSettings(dir, over);
}

class Crash extends Error {}

function deps(condor: FakeCondor, db: FakeDb, crashAt?: CrashPoint, over: Partial<LaunchSettings> = {}): LaunchDeps {
  return {
    settings: settings(over),
    condor,
    db,
    checkpoint: (p) => {
      if (p === crashAt) throw new Crash(p);
    },
  };
}

function queueFiles(): string[] {
  return readdirSync(join(dir, 'run')).filter((n) => /\.(bog|launch|lock)$/.test(n));
}

describe('launch state machine', () => {
  test('fresh launch: BOG, lookup, submit, DB and collector as the catalogue', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    const r = await launchRun(U, deps(c, db), 'launch');
    expect(r.outcome).toBe('submitted');
    expect(c.count(U)).toBe(1);
    expect(c.calls).toEqual(['lookup', 'advertise', 'submit', 'advertise']);
    expect(c.ads.map((a) => a.SWAMP_vmu_assessment_status)).toEqual(['Creating HTCondor job', 'Waiting in HTCondor Queue']);
    expect(c.ads[1]).toMatchObject({ Name: U, SWAMP_vmu_assessment_vmhostname: 'aswamp', SWAMP_vmu_assessment_user_uuid: 'USER', SWAMP_vmu_assessment_projectid: 'P' });
    expect(db.flags.get(U)).toEqual({ launch_flag: false, submitted_to_condor_flag: true });
    expect(db.statuses).toEqual([{ id: U, status: 'Waiting in HTCondor Queue', final: false }]);
    expect(queueFiles()).toEqual([]);
    const jobDirs = readdirSync(join(dir, 'run'));
    expect(jobDirs).toHaveLength(1);
    expect(jobDirs[0]).toMatch(/^aswamp_[0-9A-F-]{36}$/);
    expect(readdirSync(join(dir, 'run', jobDirs[0]!)).sort()).toEqual([`${U}.bog`, `${U}.sub`, `${U}_submitbundle.tar.gz`, `ClusterId_100`].sort());
  });

  test('metric run: mswamp job dir', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(M, viewRow(M));
    expect((await launchRun(M, deps(c, db))).outcome).toBe('submitted');
    expect(readdirSync(join(dir, 'run'))[0]).toMatch(/^mswamp_/);
    expect(c.ads[0]?.SWAMP_vmu_assessment_vmhostname).toBe('mswamp');
  });

  test('relaunch while the job is queued: adopted, nothing submitted', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    await launchRun(U, deps(c, db));
    db.statuses = [];
    const r = await launchRun(U, deps(c, db));
    expect(r.outcome).toBe('adopted');
    expect(c.count(U)).toBe(1);
    expect(db.statuses).toEqual([{ id: U, status: 'Waiting in HTCondor Queue', final: false }]);
    // once the job has started, an adopting relaunch leaves the hooks' statuses alone
    c.jobs[0]!.status = 2;
    c.jobs[0]!.starts = 1;
    db.statuses = [];
    expect((await launchRun(U, deps(c, db))).outcome).toBe('adopted');
    expect(db.statuses).toEqual([]);
    c.jobs[0]!.inHistory = true;
    expect((await launchRun(U, deps(c, db))).outcome).toBe('adopted');
    expect(c.count(U)).toBe(1);
  });

  describe.each(CRASH_POINTS)('crash after %s', (point) => {
    test.each(['relaunch', 'drain'] as const)('then %s: exactly one job, run recorded, queue empty', async (how) => {
      const c = new FakeCondor();
      const db = new FakeDb();
      db.rows.set(U, viewRow(U));
      const first = await launchRun(U, deps(c, db, point));
      expect(first.outcome).toBe('aborted');
      const expectJob = ['submitted', 'state-submitted', 'db-updated'].includes(point);
      expect(c.count(U)).toBe(expectJob ? 1 : 0);
      expect(listQueue(join(dir, 'run')).map((e) => e.id)).toEqual([U]);
      if (how === 'relaunch') expect((await launchRun(U, deps(c, db))).outcome).toMatch(/submitted|adopted/);
      else expect((await drain(deps(c, db))).results.map((r) => r.outcome)).toEqual([expect.stringMatching(/submitted|adopted/)]);
      expect(c.count(U)).toBe(1);
      expect(db.flags.get(U)).toEqual({ launch_flag: false, submitted_to_condor_flag: true });
      expect(queueFiles()).toEqual([]);
      // and once more, for good measure
      await launchRun(U, deps(c, db));
      await drain(deps(c, db));
      expect(c.count(U)).toBe(1);
    });
  });

  test('schedd unreachable: nothing submitted, BOG kept, drain succeeds later', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    c.failLookup = true;
    const r = await launchRun(U, deps(c, db));
    expect(r.outcome).toBe('aborted');
    expect(c.ads.map((a) => a.SWAMP_vmu_assessment_status)).toEqual(['HTCondor Submit Aborted - UUID Queued']);
    expect(db.statuses).toEqual([]);
    expect(existsSync(join(dir, 'run', `${U}.bog`))).toBe(true);
    c.failLookup = false;
    expect((await drain(deps(c, db))).results[0]?.outcome).toBe('submitted');
    expect(c.count(U)).toBe(1);
  });

  test('submit failure: "Failed to submit to HTCondor" (not final), BOG kept', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    c.failSubmit = true;
    expect((await launchRun(U, deps(c, db))).outcome).toBe('submit-failed');
    expect(db.statuses).toEqual([{ id: U, status: 'Failed to submit to HTCondor', final: false }]);
    expect(c.ads.map((a) => a.SWAMP_vmu_assessment_status)).toEqual(['Creating HTCondor job', 'Failed to submit to HTCondor']);
    expect(existsSync(join(dir, 'run', `${U}.bog`))).toBe(true);
    c.failSubmit = false;
    expect((await drain(deps(c, db))).results[0]?.outcome).toBe('submitted');
    expect(c.count(U)).toBe(1);
  });

  describe('vm/docker submit templates from <etc> (site-editable, as the legacy /opt/swamp/etc files)', () => {
    const vmImage = (): void => {
      mkdirSync(join(dir, 'images'), { recursive: true });
      writeFileSync(join(dir, 'images', 'condor-debian-12.0-64-master-2020010101.qcow2'), '');
    };

    test('an edited template (RequestMemory, RequestCpus) is what the job is submitted with', async () => {
      vmImage();
      mkdirSync(join(dir, 'etc'));
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'etc'), 0o755);
      const site = [
        'universe = vm', 'vm_type = kvm', 'vm_networking = true', 'vm_networking_type = swamp',
        'RequestMemory = 12288', 'vm_memory = 12288', 'RequestCpus = 6', 'vm_vcpus = 6',
        '+VMPARAM_Bridge_Interface = "SED_BRIDGE_INTERFACE"',
        'vm_disk = delta.qcow2:vda:w:qcow2, inputdisk.qcow2:vdb:w:qcow2, outputdisk.qcow2:vdc:w:qcow2', '',
      ].join('\n');
      writeFileSync(join(dir, 'etc', 'vmu_htcondor_submit'), site, { mode: 0o644 });
      const c = new FakeCondor();
      const db = new FakeDb();
      db.rows.set(U, viewRow(U));
      expect((await launchRun(U, deps(c, db, undefined, { preferredType: 'VM', swampInABox: false, bridgeInterface: 'br7' }))).outcome).toBe('submitted');
      const sub = c.submitFiles[0] ?? '';
      expect(sub).toContain('RequestMemory = 12288\n');
      expect(sub).toContain('RequestCpus = 6\n');
      expect(sub).toContain('+VMPARAM_Bridge_Interface = "br7"\n');
      expect(sub).not.toContain('6144');
      expect(sub.trimEnd().endsWith('queue')).toBe(true);
    });

    test('vm_bridge_interface unset on a facility: refused clearly, nothing submitted, never the literal placeholder', async () => {
      vmImage();
      const c = new FakeCondor();
      const db = new FakeDb();
      db.rows.set(U, viewRow(U));
      const r = await launchRun(U, deps(c, db, undefined, { preferredType: 'VM', swampInABox: false }));
      expect(r.outcome).toBe('submit-failed');
      expect(r.error?.kind).toBe('config');
      expect(r.error?.message).toMatch(/SED_BRIDGE_INTERFACE needs vm_bridge_interface in swamp\.conf/);
      expect(c.calls).not.toContain('submit');
      expect(db.statuses).toEqual([{ id: U, status: 'Failed to submit to HTCondor', final: false }]);
      expect(existsSync(join(dir, 'run', `${U}.bog`))).toBe(true);
    });

    test('a template with a queue statement is refused with its file and line', async () => {
      vmImage();
      mkdirSync(join(dir, 'etc'));
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'etc'), 0o755);
      writeFileSync(join(dir, 'etc', 'vmu_htcondor_submit'), 'universe = vm\nqueue 10\n', { mode: 0o644 });
      const c = new FakeCondor();
      const db = new FakeDb();
      db.rows.set(U, viewRow(U));
      const r = await launchRun(U, deps(c, db, undefined, { preferredType: 'VM' }));
      expect(r.outcome).toBe('submit-failed');
      expect(r.error?.message).toContain(`submit template ${join(dir, 'etc', 'vmu_htcondor_submit')}:2: not a "name = value" line`);
      expect(c.calls).not.toContain('submit');
    });
  });

  test('DB down after submit: pending, finished by drain without a second job', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    const d = deps(c, db);
    d.checkpoint = (p) => {
      if (p === 'state-submitted') db.down = true;
    };
    expect((await launchRun(U, d)).outcome).toBe('pending');
    expect(readState(join(dir, 'run'), U)?.step).toBe('submitted');
    db.down = false;
    expect((await drain(deps(c, db))).results[0]?.outcome).toBe('submitted');
    expect(c.count(U)).toBe(1);
    expect(db.flags.get(U)).toEqual({ launch_flag: false, submitted_to_condor_flag: true });
  });

  test('unknown run: aborted, nothing queued', async () => {
    const c = new FakeCondor();
    const r = await launchRun(U, deps(c, new FakeDb()));
    expect(r.outcome).toBe('aborted');
    // HTCondor is asked first (a run that already has a job is adopted, never aborted)
    expect(c.calls).toEqual(['lookup', 'advertise']);
    expect(queueFiles()).toEqual([]);
  });

  test.each(['bog-written', 'job-created'] as const)('drain discards a queued run the DB gave up on (crash after %s)', async (point) => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    await launchRun(U, deps(c, db, point));
    db.rows.delete(U); // complete_flag = 1 now ("Failed to launch")
    expect((await drain(deps(c, db))).results[0]?.outcome).toBe('obsolete');
    expect(c.count(U)).toBe(0);
    expect(queueFiles()).toEqual([]);
    expect(readdirSync(join(dir, 'run'))).toEqual([]);
  });

  test('SWAMP off: final "SWAMP off - Queued", nothing submitted; metric runs stay queued for drain', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    db.rows.set(M, viewRow(M));
    for (const state of ['off', 'none', 'JSON', undefined]) {
      expect((await launchRun(U, deps(c, db, undefined, { swampState: state }))).outcome).toBe('swamp-off');
    }
    expect(db.statuses[0]).toEqual({ id: U, status: 'SWAMP off - Queued', final: true });
    expect(c.ads[0]).toMatchObject({ Name: U, SWAMP_vmu_assessment_status: 'SWAMP off - Queued', SWAMP_vmu_assessment_vmhostname: '' });
    expect(c.count(U)).toBe(0);
    expect(existsSync(join(dir, 'run', `${U}.bog`))).toBe(false);
    await launchRun(M, deps(c, db, undefined, { swampState: 'off' }));
    expect(existsSync(join(dir, 'run', `${M}.bog`))).toBe(true);
    expect((await drain(deps(c, db, undefined, { swampState: 'off' }))).results).toEqual([]);
    expect((await drain(deps(c, db))).results.map((r) => [r.id, r.outcome])).toEqual([[M, 'submitted']]);
  });

  test('a live lock holder keeps others out', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    const lock = tryLock(join(dir, 'run'), U);
    expect(lock).toBeDefined();
    expect((await launchRun(U, deps(c, db))).outcome).toBe('busy');
    expect(c.calls).toEqual([]);
    lock?.release();
    expect((await launchRun(U, deps(c, db))).outcome).toBe('submitted');
  });
});

describe('drain housekeeping (legacy csa agent idle loop)', () => {
  test('job dirs of finished jobs are removed; dirs of launches in progress are kept', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    db.rows.set(U, viewRow(U));
    db.rows.set(M, viewRow(M));
    await launchRun(U, deps(c, db));
    await launchRun(M, deps(c, db, 'job-created')); // in progress: state names its dir
    const dirs = readdirSync(join(dir, 'run')).filter((n) => /^[am]swamp_/.test(n));
    expect(dirs).toHaveLength(2);
    for (const d of dirs) c.finishedDirs.add(d);
    db.rows.delete(M); // keep the M- run from being relaunched by this drain
    c.failLookup = true;
    await drain(deps(c, db));
    const left = readdirSync(join(dir, 'run')).filter((n) => /^[am]swamp_/.test(n));
    expect(left).toEqual([readState(join(dir, 'run'), M)?.jobDir]);
  });

  test('preempted jobs: Preempted status ad and vm_password cleared', async () => {
    const c = new FakeCondor();
    const db = new FakeDb();
    c.preempted = [{ id: U, userid: 'USER', projectid: 'P' }];
    await drain(deps(c, db));
    expect(c.ads).toEqual([
      { MyType: 'Generic', Name: U, SWAMP_vmu_assessment_vmhostname: 'aswamp', SWAMP_vmu_assessment_status: 'Preempted - Waiting in HTCondor Queue', SWAMP_vmu_assessment_user_uuid: 'USER', SWAMP_vmu_assessment_projectid: 'P' },
    ]);
    expect(db.fields).toEqual([{ id: U, field: 'vm_password', value: '' }]);
  });
});

describe('run lock', () => {
  test('stale locks (dead pid, too old) are broken; live ones are not', () => {
    const run = join(dir, 'run');
    const p = join(run, `${U}.lock`);
    writeFileSync(p, `999999999 ${hostname()} ${Date.now()}\n`);
    const l1 = tryLock(run, U);
    expect(l1).toBeDefined();
    expect(tryLock(run, U)).toBeUndefined();
    l1?.release();
    writeFileSync(p, `1 some-other-host ${Date.now() - 20 * 60_000}\n`);
    const l2 = tryLock(run, U);
    expect(l2).toBeDefined();
    l2?.release();
    writeFileSync(p, `1 some-other-host ${Date.now()}\n`);
    expect(tryLock(run, U)).toBeUndefined();
    // garbage written by a creator that died at once
    writeFileSync(p, '');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(p, old, old);
    expect(tryLock(run, U)).toBeDefined();
  });
});
