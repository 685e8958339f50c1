/**
 * A burst through the real procedures (docs/launchassessment.md "Batch launch"): 200 runs (override
 * with SWAMP_BATCH_TEST_RUNS) seeded with launch_flag = 1, one `CALL process_execution_records()`, the
 * batch submitter launching them: exactly one job per run (by exact SWAMP id, queue and history), every
 * run recorded (launch_flag 0, submitted_to_condor_flag 1) and every run reaching its final status
 * through the real hooks on the local platform. The timing goals live in the benchmark (bench/launch),
 * not here; the test prints what it saw.
 */
import { jest } from '@jest/globals';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { anyOf, invalidate, queryHistory, queryQueue, remove, swampIdConstraint, swampIdsConstraint, SWAMP_ID_ATTRS, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { isTerminalStatus } from '../../../lib/outbox/rules.js';
import { connect } from '../../../lib/db/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';
import { scratchDir } from '../hooks/helpers.js';
import { DbHandle, until } from '../durability/helpers.js';
import { logLines, makeTree, type Tree } from './helpers.js';

const N = Number(process.env.SWAMP_BATCH_TEST_RUNS ?? 200);
jest.setTimeout(900_000);

let condor: HTCondorContext;
let tree: Tree;
let db: DbHandle;
const ids: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  tree = makeTree();
  db = new DbHandle(tree.bin);
});

afterAll(async () => {
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    await remove(condor, { constraint: swampIdsConstraint(chunk) }).catch(() => undefined);
    await invalidate(condor, { names: chunk }).catch(() => undefined);
  }
  await db.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  tree?.remove();
});

/** Every job of these runs, queue and history, per run id (two tool calls per 200 ids). */
async function jobsPerRun(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    // spelled out per id, not the launcher's own swampIdsConstraint: the check stays independent of the code it checks
    const constraint = anyOf(...chunk.map((id) => `(${swampIdConstraint(id)})`));
    const attributes = ['ClusterId', 'ProcId', ...SWAMP_ID_ATTRS];
    const seen = new Set<string>();
    for (const ad of [...(await queryQueue(condor, { constraint, attributes })), ...(await queryHistory(condor, { constraint, attributes, limit: chunk.length * 4 }))]) {
      const job = `${String(ad.ClusterId)}.${String(ad.ProcId)}`;
      const id = String(ad.SWAMP_arun_execrunuid);
      if (seen.has(job)) continue; // left the queue between the two calls
      seen.add(job);
      out.get(id)?.push(job);
    }
  }
  return out;
}

test(`${N} runs launched by one process_execution_records pass: one job each, all recorded, all final`, async () => {
  const d = await db.get();
  // one package and one tool for all runs: the local machine passes after a short delay
  const store = await scratchDir('swamp-batch-store-');
  dirs.push(store);
  const pkg = join(store, 'snappy-c-1.0.tar.gz');
  await writeFile(pkg, 'package archive\n');
  const inFiles = join(store, 'gcc-warn-0.9', 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true });
  await writeFile(join(inFiles, 'machine.conf'), 'outcome=pass\ndelay_ms=50\n');
  await chmod(pkg, 0o644);
  for (let i = 0; i < N; i++) {
    const r = await seedAssessmentRun(d, { toolName: 'gcc-warn', packageName: 'snappy-c', launchFlag: 1, launchCounter: 0 });
    await d.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [pkg, r.packageVersionUuid]);
    await d.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [join(store, 'gcc-warn-0.9.tar.gz'), r.toolVersionUuid]);
    ids.push(r.executionRecordUuid);
  }

  // the pass starts one program per run, one after the other: longer than the default 30 s per statement
  const caller = await connect(await dbOptions({ queryTimeoutMs: 600_000 }));
  let returned: number;
  const t0 = performance.now();
  try {
    await caller.execute('SET @swamp_bin_dir = ?', [tree.bin]);
    await caller.execute('SET @swamp_process_only = ?', [ids.join(',')]);
    await caller.execute('CALL assessment.process_execution_records()');
    returned = performance.now() - t0;
  } finally {
    await caller.close();
  }

  // every run's launch ended 'submitted' (the submitter logs one 'launch finished' per run)
  const want = new Set(ids);
  const outcomes = await until(
    'every launch to finish',
    async () => {
      const fin = logLines(tree).filter((l) => l.msg === 'launch finished' && l.execrunid !== undefined && want.has(l.execrunid));
      return new Set(fin.map((l) => l.execrunid)).size >= N ? fin : undefined;
    },
    300_000,
    250,
  );
  const queued = performance.now() - t0;
  expect(outcomes.filter((l) => l.outcome !== 'submitted')).toEqual([]);
  expect(outcomes).toHaveLength(N); // one launch per run, no relaunch
  const batches = logLines(tree).filter((l) => l.msg === 'batch submitted');
  expect(batches.reduce((n, l) => n + Number(l.runs), 0)).toBe(N);

  // exactly one job per run
  const jobs = await jobsPerRun();
  expect([...jobs].filter(([, j]) => j.length !== 1)).toEqual([]);
  const rows = await d.select<{ execution_record_uuid: string; launch_flag: number; submitted_to_condor_flag: number }>(
    `SELECT execution_record_uuid, launch_flag, submitted_to_condor_flag FROM assessment.execution_record WHERE FIND_IN_SET(execution_record_uuid, ?) > 0`,
    [ids.join(',')],
  );
  expect(rows.filter((r) => r.launch_flag !== 0 || r.submitted_to_condor_flag !== 1)).toEqual([]);
  expect(rows).toHaveLength(N);

  // every run reaches its final status through the hooks
  const finals = await until(
    'every run to reach its final status',
    async () => {
      const st = await d.select<{ status: string; complete_flag: number }>(
        'SELECT status, complete_flag FROM assessment.execution_record WHERE FIND_IN_SET(execution_record_uuid, ?) > 0',
        [ids.join(',')],
      );
      return st.every((r) => r.complete_flag === 1 && isTerminalStatus(r.status)) ? st : undefined;
    },
    600_000,
    2000,
  );
  const final = performance.now() - t0;
  expect(finals).toHaveLength(N);
  expect((await jobsPerRun()).size).toBe(N);
  expect([...(await jobsPerRun())].filter(([, j]) => j.length !== 1)).toEqual([]);
  const clusters = new Set([...jobs.values()].flat().map((j) => j.split('.')[0]));
  process.stdout.write(
    `MEASURE batch pass of ${N} runs: procedure returned in ${(returned / 1000).toFixed(1)} s, all queued after ${(queued / 1000).toFixed(1)} s in ${batches.length} batch(es) / ${clusters.size} cluster(s), all final after ${(final / 1000).toFixed(1)} s; statuses ${JSON.stringify(countBy(finals.map((r) => r.status)))}\n`,
  );
});

function countBy(xs: readonly string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[x] = (o[x] ?? 0) + 1;
  return o;
}
