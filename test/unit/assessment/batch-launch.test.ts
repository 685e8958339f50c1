import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRASH_POINTS, drain, launchBatch, runSubmitter, type CrashPoint, type DbOps, type LaunchDeps, type ViewRow } from '../../../lib/assessment/index.js';
import { listQueue, listRequests, writeRequest, type CondorOps, type FoundJob, type LaunchSettings } from '../../../lib/submission/index.js';
import type { StatusAd } from '../../../lib/status/index.js';
import { SwampError } from '../../../lib/errors/index.js';
import { scratchLaunchSettings } from './settings-fixture.js';

const ids = (n: number, prefix = ''): string[] => Array.from({ length: n }, (_, i) => `${prefix}0258026e-6c62-4591-8378-${String(i + 1).padStart(12, '0')}`);

/** A schedd that only knows batch calls: submitBatch reads the `queue ... from` rows of the description. */
class BatchCondor implements CondorOps {
  jobs: Array<{ id: string; cluster: number; proc: number; status: number; starts: number }> = [];
  calls: string[] = [];
  ads: StatusAd[] = [];
  next = 500;
  async lookup(): Promise<FoundJob> {
    throw new Error('the batch path must not look up one run at a time');
  }
  async lookupMany(list: readonly string[]): Promise<Map<string, FoundJob>> {
    this.calls.push('lookupMany');
    const m = new Map<string, FoundJob>();
    for (const id of list) {
      const q = this.jobs.filter((j) => j.id === id);
      m.set(id, q.length === 0 ? { source: 'none' } : { source: 'queue', clusterId: q[0]!.cluster, procId: q[0]!.proc, jobStatus: q[0]!.status, numJobStarts: q[0]!.starts, duplicates: q.length });
    }
    return m;
  }
  async submitFile(): Promise<number> {
    throw new Error('the batch path must submit batches');
  }
  async submitBatch(cwd: string, file: string, count: number): Promise<Array<{ cluster: number; proc: number }>> {
    this.calls.push('submitBatch');
    const text = readFileSync(file, 'utf8');
    const m = /^queue (\S+) from \(\n([\s\S]*?)\n\)$/m.exec(text);
    const runIds = m
      ? (m[2] as string).split('\n').map((row) => row.split(',')[(m[1] as string).split(',').indexOf('SwampB_RunId')] as string)
      : [/\+SWAMP_[am]run_execrunuid = "([^"]+)"/.exec(text)?.[1] as string];
    expect(runIds).toHaveLength(count);
    expect(text).toMatch(new RegExp(`initialdir = ${cwd}/`));
    const cluster = this.next++;
    return runIds.map((id, proc) => {
      this.jobs.push({ id, cluster, proc, status: 1, starts: 0 });
      return { cluster, proc };
    });
  }
  async advertise(): Promise<void> {
    throw new Error('the batch path must advertise in batches');
  }
  async advertiseMany(ads: readonly StatusAd[]): Promise<void> {
    this.calls.push('advertiseMany');
    this.ads.push(...ads);
  }
  async finishedJobDirs(): Promise<Set<string>> {
    return new Set();
  }
  async preemptedJobs(): Promise<Array<{ id: string; userid: string; projectid: string }>> {
    return [];
  }
  count(id: string): number {
    return this.jobs.filter((j) => j.id === id).length;
  }
}

class FakeDb implements DbOps {
  rows = new Map<string, ViewRow>();
  flags = new Map<string, Record<string, boolean>>();
  statuses: Array<{ id: string; status: string }> = [];
  async getExecRun(id: string): Promise<ViewRow | undefined> {
    return this.rows.get(id);
  }
  async setFlag(id: string, flag: string, value: boolean): Promise<void> {
    this.flags.set(id, { ...(this.flags.get(id) ?? {}), [flag]: value });
  }
  async setStatus(id: string, status: string): Promise<void> {
    this.statuses.push({ id, status });
  }
  async setField(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The real DbOps' shape: the batch reads its rows in one call (and counts them). */
class BatchDb extends FakeDb {
  rowReads: string[] = [];
  down = false;
  override async getExecRun(id: string): Promise<ViewRow | undefined> {
    this.rowReads.push('one');
    if (this.down) throw new SwampError('busy', 'DB down');
    return super.getExecRun(id);
  }
  async getExecRuns(ids: readonly string[]): Promise<Map<string, ViewRow>> {
    this.rowReads.push('many');
    if (this.down) throw new SwampError('busy', 'DB down');
    return new Map(ids.flatMap((id) => (this.rows.has(id) ? [[id, this.rows.get(id) as ViewRow] as const] : [])));
  }
}

function viewRow(id: string, tool = 'cppcheck'): ViewRow {
  return {
    execution_record_uuid: id,
    launch_counter: 1,
    project_uuid: id.startsWith('M-') ? 'METRIC' : 'project-0001',
    user_uuid: id.startsWith('M-') ? 'METRIC' : 'user-0001',
    tool_name: tool,
    tool_path: '/t',
    version_string: '1',
    package_name: 'zlib',
    platform_identifier: 'debian-12.0-64',
    notify_when_complete_flag: 0,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'la-batch-'));
  mkdirSync(join(dir, 'run'));
  mkdirSync(join(dir, 'results'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function deps(condor: BatchCondor, db: FakeDb, crashAt?: CrashPoint): LaunchDeps {
  const settings = scratchLaunchSettings(dir);
  return {
    settings,
    condor,
    db,
    checkpoint: (p) => {
      if (p === crashAt) throw new Error(`crash ${p}`);
    },
  };
}

const queueFiles = (): string[] => readdirSync(join(dir, 'run')).filter((n) => /\.(bog|launch|lock|request)$/.test(n));

describe('batch launch', () => {
  test('five runs: one lookup, one condor_submit (one cluster, procs 0-4), two ads calls, all recorded', async () => {
    const c = new BatchCondor();
    const db = new FakeDb();
    const list = ids(5);
    for (const id of list) db.rows.set(id, viewRow(id));
    const r = await launchBatch(list, deps(c, db));
    expect(r.map((x) => x.outcome)).toEqual(Array(5).fill('submitted'));
    expect(c.calls).toEqual(['lookupMany', 'advertiseMany', 'submitBatch', 'advertiseMany']);
    expect(c.jobs.map((j) => [j.id, j.cluster, j.proc])).toEqual(list.map((id, i) => [id, 500, i]));
    expect(c.ads.map((a) => a.SWAMP_vmu_assessment_status)).toEqual([...Array(5).fill('Creating HTCondor job'), ...Array(5).fill('Waiting in HTCondor Queue')]);
    for (const id of list) expect(db.flags.get(id)).toEqual({ launch_flag: false, submitted_to_condor_flag: true });
    expect(queueFiles()).toEqual([]);
    // each job dir names its own proc
    const markers = readdirSync(join(dir, 'run')).flatMap((d) => readdirSync(join(dir, 'run', d)).filter((f) => f.startsWith('ClusterId_')));
    expect(markers.sort()).toEqual(['ClusterId_500', 'ClusterId_500.1', 'ClusterId_500.2', 'ClusterId_500.3', 'ClusterId_500.4']);
    expect(readdirSync(join(dir, 'run')).filter((n) => n.startsWith('.batch-'))).toEqual([]);
  });

  test('a queued run is adopted, a licensed tool and a metric run get their own clusters', async () => {
    const c = new BatchCondor();
    const db = new FakeDb();
    const [a, b, lic] = ids(3);
    const m = ids(1, 'M-')[0] as string;
    for (const id of [a, b, m] as string[]) db.rows.set(id, viewRow(id));
    db.rows.set(lic as string, viewRow(lic as string, 'Parasoft C/C++test'));
    c.jobs.push({ id: a as string, cluster: 7, proc: 3, status: 1, starts: 0 });
    const r = await launchBatch([a, b, lic, m] as string[], deps(c, db));
    expect(r.map((x) => [x.id, x.outcome, x.clusterId])).toEqual([
      [a, 'adopted', 7],
      [b, 'submitted', 500],
      [lic, 'submitted', 501],
      [m, 'submitted', 502],
    ]);
    expect(c.calls.filter((x) => x === 'submitBatch')).toHaveLength(3);
    for (const id of [a, b, lic, m] as string[]) expect(c.count(id)).toBe(1);
  });

  describe.each(CRASH_POINTS)('crash after %s in a batch of three', (point) => {
    test('then a drain: exactly one job each, all recorded, queue empty', async () => {
      const c = new BatchCondor();
      const db = new FakeDb();
      const list = ids(3);
      for (const id of list) db.rows.set(id, viewRow(id));
      const first = await launchBatch(list, deps(c, db, point));
      expect(first.map((x) => x.outcome)).toEqual(Array(3).fill('aborted'));
      const expectJob = ['submitted', 'state-submitted', 'db-updated'].includes(point);
      for (const id of list) expect(c.count(id)).toBe(expectJob ? 1 : 0);
      expect(listQueue(join(dir, 'run')).map((e) => e.id).sort()).toEqual([...list].sort());
      expect((await drain(deps(c, db))).results.map((x) => x.outcome)).toEqual(Array(3).fill(expectJob ? (point === 'submitted' ? 'adopted' : 'submitted') : 'submitted'));
      for (const id of list) {
        expect(c.count(id)).toBe(1);
        expect(db.flags.get(id)).toEqual({ launch_flag: false, submitted_to_condor_flag: true });
      }
      expect(queueFiles()).toEqual([]);
      await drain(deps(c, db));
      for (const id of list) expect(c.count(id)).toBe(1);
    });
  });
});

describe('batch submitter', () => {
  test('launches every request (oldest first) in one batch and removes the requests', async () => {
    const c = new BatchCondor();
    const db = new FakeDb();
    const list = ids(4);
    for (const id of list) {
      db.rows.set(id, viewRow(id));
      writeRequest(join(dir, 'run'), id);
    }
    const seen: string[] = [];
    const rep = await runSubmitter(deps(c, db), (r) => seen.push(`${r.id} ${r.outcome}`));
    expect(rep).toEqual({ ran: true, runs: 4 });
    expect(seen.sort()).toEqual(list.map((id) => `${id} submitted`).sort());
    expect(c.calls.filter((x) => x === 'submitBatch')).toHaveLength(1);
    expect(listRequests(join(dir, 'run'))).toEqual([]);
    expect(queueFiles()).toEqual([]);
  });

  test.each([
    ['over: the lock is given back and taken again between two batches', 0, 2],
    ['not over: both batches under one lock', 60_000, 1],
  ])('a long backlog, the lock term %s (its 15-minute staleness never comes)', async (_what, lockTermMs, locks) => {
    const c = new BatchCondor();
    const db = new FakeDb();
    const [first, second] = ids(2) as [string, string];
    for (const id of [first, second]) db.rows.set(id, viewRow(id));
    writeRequest(join(dir, 'run'), first);
    const lockPath = join(dir, 'run', '.submitter.lock');
    const holders = new Set<string>();
    const rep = await runSubmitter(
      deps(c, db),
      (r) => {
        holders.add(readFileSync(lockPath, 'utf8'));
        if (r.id !== first) return;
        // a request that arrives during the first batch; the next lock's time stamp must differ
        writeRequest(join(dir, 'run'), second);
        for (const t = Date.now(); Date.now() < t + 3; );
      },
      { intervalMs: 0, lockTermMs },
    );
    expect(rep).toEqual({ ran: true, runs: 2 });
    expect(c.calls.filter((x) => x === 'submitBatch')).toHaveLength(2);
    expect(holders.size).toBe(locks);
    expect(existsSync(lockPath)).toBe(false);
  });

  test('the rows of a batch come in one DB round trip (launch and drain); an unknown run is not launched', async () => {
    const c = new BatchCondor();
    const db = new BatchDb();
    const list = ids(3);
    for (const id of list.slice(0, 2)) db.rows.set(id, viewRow(id));
    const res = await launchBatch(list, deps(c, db), 'launch');
    expect(db.rowReads.filter((x) => x === 'many')).toHaveLength(1);
    // the unknown one is looked up once more by itself (its BOG error names it), never submitted
    expect(db.rowReads.filter((x) => x === 'one')).toHaveLength(1);
    expect(res.map((r) => r.outcome).sort()).toEqual(['aborted', 'submitted', 'submitted']);
    expect(c.count(list[2] as string)).toBe(0);
  });

  test('a drain with the DB down leaves every queued run for the next drain', async () => {
    const c = new BatchCondor();
    const db = new BatchDb();
    const list = ids(2);
    for (const id of list) db.rows.set(id, viewRow(id));
    // a launch that died after queueing the BOGs: nothing submitted, the BOGs wait in the run dir
    await launchBatch(list, deps(c, db, 'bog-written'));
    db.down = true;
    db.rowReads = [];
    const res = await launchBatch(list, deps(c, db), 'drain');
    expect(res.map((r) => r.outcome)).toEqual(['aborted', 'aborted']);
    expect(db.rowReads).toEqual(['many']);
    expect(c.jobs).toEqual([]);
    expect(listQueue(join(dir, 'run')).map((e) => e.id).sort()).toEqual([...list].sort());
  });

  test('a request that is not a run id is removed, never submitted', async () => {
    const c = new BatchCondor();
    writeRequest(join(dir, 'run'), 'not-a-run');
    expect((await runSubmitter(deps(c, new FakeDb()), () => undefined)).runs).toBe(0);
    expect(listRequests(join(dir, 'run'))).toEqual([]);
    expect(c.jobs).toEqual([]);
  });
});
