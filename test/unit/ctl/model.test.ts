import { reconcile, staleAds, stateOfJob, dbTime, type DbRun, type JobView, type AdView, type Snapshot } from '../../../lib/ctl/model.js';
import { filterRuns } from '../../../lib/ctl/cmd-status.js';

const NOW = 1_800_000_000;
const U = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function db(id: string, o: Partial<DbRun> = {}): DbRun {
  return { id, kind: 'assessment', status: 'Waiting in HTCondor Queue', launchFlag: false, submitted: true, complete: false, user: 'u1', project: 'p1', runDate: null, completionDate: null, updated: '2027-01-15 08:00:00', ...o };
}
function job(id: string, jobStatus: number, cluster: number, o: Partial<JobView> = {}): JobView {
  return { id, kind: id.startsWith('vrun_') ? 'viewer' : 'assessment', cluster, proc: 0, jobStatus, source: 'queue', enteredCurrentStatus: NOW - 60, ...o };
}
function ad(name: string, status: string, o: Partial<AdView> = {}): AdView {
  return { name, kind: name.startsWith('vrun_') ? 'viewer' : 'assessment', status, lastHeard: NOW - 30, ...o };
}
function snap(o: Partial<Snapshot>): Snapshot {
  return { now: NOW, runDirQueue: [], errors: [], dbRuns: [], queue: [], ads: [], history: [], historyIds: [], dbOthers: new Map(), ...o };
}

test('job states', () => {
  expect([1, 2, 3, 4, 5, 6, 7].map(stateOfJob)).toEqual(['queued', 'running', 'finishing', 'finishing', 'held', 'running', 'held']);
  expect(dbTime('2027-01-15 08:00:00')).toBe(Date.UTC(2027, 0, 15, 8) / 1000);
  expect(dbTime(null)).toBeUndefined();
});

test('joins DB, queue and collector: every state and every inconsistency', () => {
  const vrun = `vrun_${U(9)}_CodeDX`;
  const s = snap({
    dbRuns: [
      db(U(1), { launchFlag: true, submitted: false, status: 'WAITING TO START' }), // waiting (DB queue)
      db(U(2)), // queued
      db(U(3)), // running
      db(U(4)), // held
      db(U(5)), // orphan, in history
      db(U(6)), // orphan, nowhere
      db(U(7), { submitted: false }), // stuck
      db(U(8), { submitted: false }), // waiting in the run dir
      db(U(13)), // duplicate jobs
    ],
    runDirQueue: [U(8)],
    queue: [
      job(U(2), 1, 102),
      job(U(3), 2, 103),
      job(U(4), 5, 104, { holdReason: 'Error from slot' }),
      job(U(10), 2, 110), // no DB row
      job(U(11), 2, 111), // DB says complete
      job(vrun, 2, 109, { project: U(9) }),
      job(U(13), 1, 113),
      job(U(13), 1, 114),
    ],
    history: [job(U(5), 4, 105, { source: 'history' })],
    historyIds: [U(5), U(6)],
    dbOthers: new Map([
      [U(10), 'absent'],
      [U(11), 'complete'],
    ]),
    ads: [
      ad(U(3), 'Performing assessment'),
      ad(U(12), 'Performing assessment'), // ad with no job
      ad(U(14), 'Finished'), // final: fine
      ad(vrun, 'Viewer is up', { viewerState: 2, viewerName: 'CodeDX', project: U(9) }),
    ],
  });
  const p = reconcile(s);
  const state = (id: string): string | undefined => p.runs.find((r) => r.id === id)?.state;
  expect([U(1), U(2), U(3), U(4), U(5), U(6), U(7), U(8)].map(state)).toEqual(['waiting', 'queued', 'running', 'held', 'orphan', 'orphan', 'stuck', 'waiting']);
  expect(p.runs.find((r) => r.id === U(4))?.holdReason).toBe('Error from slot');
  expect(p.runs.find((r) => r.id === U(3))?.adStatus).toBe('Performing assessment');
  expect(p.counts).toEqual({ waiting: 2, queued: 2, running: 4, held: 1, finishing: 0, orphan: 2, stuck: 1 });
  expect(p.inconsistencies.map((i) => `${i.kind} ${i.id}`)).toEqual([
    `ad-no-job ${U(12)}`,
    `db-active-job-ended ${U(5)}`,
    `db-active-no-job ${U(6)}`,
    `db-launched-no-job ${U(7)}`,
    `duplicate-jobs ${U(13)}`,
    `job-db-complete ${U(11)}`,
    `job-no-db-row ${U(10)}`,
  ]);
  expect(p.viewersUp).toEqual([{ project: U(9), viewers: ['CodeDX'] }]);
});

test('without the queue nothing is called inconsistent; history not searched is not "no job"', () => {
  const p = reconcile(snap({ dbRuns: [db(U(1))], queue: undefined, ads: [ad(U(2), 'Performing assessment')] }));
  expect(p.inconsistencies).toEqual([]);
  const q = reconcile(snap({ dbRuns: [db(U(1))], historyIds: [] }));
  expect(q.runs[0]?.state).toBe('orphan');
  expect(q.inconsistencies).toEqual([]);
});

test('stale ads: no job, final, not heard of for the given hours', () => {
  const s = snap({
    queue: [job(U(1), 2, 1)],
    ads: [
      ad(U(1), 'Finished', { lastHeard: NOW - 90_000 }), // job still there
      ad(U(2), 'Finished', { lastHeard: NOW - 90_000 }), // stale
      ad(U(3), 'Finished', { lastHeard: NOW - 60 }), // recent
      ad(U(4), 'Performing assessment', { lastHeard: NOW - 90_000 }), // not final
      ad(`vrun_${U(5)}_CodeDX`, 'Viewer shutdown', { viewerState: -3, lastHeard: NOW - 90_000 }), // stale viewer
      ad(`vrun_${U(6)}_CodeDX`, 'Viewer is up', { viewerState: 2, lastHeard: NOW - 90_000 }), // live state
    ],
  });
  expect(staleAds(s, 24).map((a) => a.name)).toEqual([U(2), `vrun_${U(5)}_CodeDX`]);
  expect(staleAds({ ...s, queue: undefined }, 24)).toEqual([]);
});

test('runs filter', () => {
  const runs = reconcile(snap({ dbRuns: [db(U(1)), db(U(2), { user: 'u2' })], queue: [job(U(1), 2, 1), job(U(2), 5, 2)] })).runs;
  expect(filterRuns(runs, { state: ['held,running'] }).map((r) => r.id)).toEqual([U(1), U(2)]);
  expect(filterRuns(runs, { state: ['held'] }).map((r) => r.id)).toEqual([U(2)]);
  expect(filterRuns(runs, { user: 'u2' }).map((r) => r.id)).toEqual([U(2)]);
  expect(filterRuns(runs, { project: 'nope' })).toEqual([]);
  expect(() => filterRuns(runs, { state: ['sleeping'] })).toThrow(/unknown state/);
  expect(() => filterRuns(runs, { kind: 'x' })).toThrow(/unknown kind/);
});
