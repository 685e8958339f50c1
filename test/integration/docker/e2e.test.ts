/**
 * End to end on the docker platform (issue 22): CALL assessment.execute_execution_record -> sys_exec ->
 * our launcher picks the docker image from the images file (preferred_platform_type = DC) -> HTCondor's
 * docker universe runs the job in a container of the locally built platform image through podman
 * (services/docker/engine.sh) -> PreAssessment (outside the container) fills in/ with the tool's files
 * and the SIMULATED framework (services/docker/framework: run.sh + our assessment machine on the image's
 * Node, standing in for SWAMP's c-assess), file transfer into and out of the container, the framework's
 * event file written with `>`, monitorjob, PostAssessment -> the DB ends at Finished with results.
 * A run whose framework asks for a retry walks the retry statuses; a running one is removed by
 * CALL kill_assessment_run.
 *
 * Needs the engine (`make services` provides it). On a host without one, SWAMP_DOCKER=0 skips this file
 * (and makes services leave the docker universe off); otherwise a pool without HasDocker fails loudly.
 */
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, queryHistory, queryQueue, remove, swampIdConstraint, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { runTool } from '../../../lib/htcondor/tool.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { binary, makeTree, type Tree, installedPrefix } from '../assessment/helpers.js';
import { countingRoot, tally } from './helpers.js';
import { CollectorWatch, PROJECTS_DIR, SW, adOf, seedMachineRun, waitFor } from '../hooks/helpers.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';

let restoreUdf: (() => void) | undefined;

jest.setTimeout(420_000);

const off = process.env.SWAMP_DOCKER === '0';
const suite = off ? describe.skip : describe;

let condor: HTCondorContext;
let db: Db;
let counting: ReturnType<typeof countingRoot>;
/** The same, on the local platform: the comparison run of the MEASURE lines. */
let localTree: Tree;
/** launchassessment's private installed tree, its swamp.conf preferring the docker platform. */
let tree: Tree;
const ids: string[] = [];
const dirs: string[] = [];

suite('docker platform', () => {
  beforeAll(async () => {
    condor = await condorContext();
    const has = await runTool(condor, 'condor_status', ['-af', 'HasDocker']);
    if (!has.stdout.split('\n').includes('true')) {
      throw new Error('the pool advertises no HasDocker: `make services` sets up the docker platform (services/docker/engine.sh status); SWAMP_DOCKER=0 skips these tests');
    }
    db = await connect(await dbOptions());
    // around the installed htcondor_root (the service account's token: mysqld's user submits as it)
    counting = countingRoot(join(installedPrefix(), 'htcondor'));
    dirs.push(counting.root);
    tree = makeTree({ preferred_platform_type: 'DC', dockerImagesFile: join(SW, 'etc', 'swamp_docker_images.txt'), htcondor_root: counting.root });
    symlinkSync(binary(), join(tree.bin, 'kill_run'));
    localTree = makeTree({ preferred_platform_type: 'local', htcondor_root: counting.root });
    await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
    // strict UDF: both trees' programs on the allowlist for this file's duration
    restoreUdf = await extendSharedUdfConf([...allowEntryPrograms(tree.bin), ...allowEntryPrograms(localTree.bin)]);
  });

  afterAll(async () => {
    restoreUdf?.();
    for (const id of ids) await remove(condor, { constraint: swampIdConstraint(id) }).catch(() => undefined);
    if (ids.length > 0) await invalidate(condor, { names: ids }).catch(() => undefined);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await db?.close();
    tree?.remove();
    localTree?.remove();
  });

  /** Seeds a run whose tool tells the simulated framework `machineConf`; returns its id. */
  async function seedRun(machineConf: string): Promise<{ id: string; project: string }> {
    const r = await seedMachineRun(db, machineConf, dirs, 'swamp-docker-store-');
    ids.push(r.id);
    dirs.push(join(PROJECTS_DIR, r.project));
    return r;
  }

  async function launch(id: string): Promise<number> {
    await db.select('CALL assessment.execute_execution_record(?, @rc)', [id]);
    const rows = await db.select<{ rc: number }>('SELECT @rc AS rc');
    return Number(rows[0]?.rc);
  }

  async function runRow(id: string): Promise<{ status: string; complete_flag: number } | undefined> {
    return (await db.select<{ status: string; complete_flag: number }>('SELECT status, complete_flag FROM assessment.execution_record WHERE execution_record_uuid = ?', [id]))[0];
  }

  const HISTORY_ATTRS = ['JobStatus', 'NumJobStarts', 'ExitCode', 'PostExitCode', 'JobUniverse', 'WantDocker', 'DockerImage', 'Iwd'];

  async function waitForEnd(id: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return waitFor(
      `run ${id} to end`,
      async () => {
        const q = await queryQueue(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus'] });
        if (q.length > 0) return undefined;
        const h = await queryHistory(condor, { constraint: swampIdConstraint(id), attributes: HISTORY_ATTRS, limit: 1 });
        const row = await runRow(id);
        return h[0] !== undefined && row?.complete_flag === 1 ? (h[0] as Record<string, unknown>) : undefined;
      },
      timeoutMs,
      1000,
    );
  }

  function killLog(): Array<Record<string, unknown>> {
    const f = join(tree.logDir, 'killjob.log');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  test('a passing run in a container: statuses in order, DB Finished with results, the event file written with >', async () => {
    const { id, project } = await seedRun('outcome=pass\ndelay_ms=400\n');
    const before = counting.calls().length;
    const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_assessment_status', 50);
    const t0 = Date.now();
    expect(await launch(id)).toBe(0);
    const hist = await waitForEnd(id, 240_000);
    const seen = await watch.stop();
    const calls = counting.calls().slice(before);
    process.stderr.write(`MEASURE docker e2e passing run: ${Date.now() - t0} ms, HTCondor calls ${calls.length} ${JSON.stringify(tally(calls))}, collector statuses: ${JSON.stringify(seen)}\n`);
    // the hooks and the monitor found the launcher's swamp.conf (its counting htcondor_root) in the job
    // ad: their status ads are counted, not only the launcher's two
    expect(tally(calls).condor_advertise ?? 0).toBeGreaterThan(2);
    // a docker-universe job (JobUniverse 5 = vanilla + WantDocker), of the image the images file lists
    expect(hist).toMatchObject({ JobStatus: 4, NumJobStarts: 1, ExitCode: 0, JobUniverse: 5, WantDocker: true });
    expect(String(hist.DockerImage)).toMatch(/swamp\/condor-debian-12\.0-64-master-\d+$/);
    const order = [
      'Waiting in HTCondor Queue',
      'Starting docker container',
      'Starting assessment run script',
      'Performing assessment',
      'Shutting down the assessment machine',
      'Extracting assessment results',
      'Post-Processing',
      'Saving Results',
      'Finished',
    ];
    const known = seen.filter((s) => order.includes(s));
    expect(known.map((s) => order.indexOf(s))).toEqual([...known.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(seen).toEqual(expect.arrayContaining(['Starting docker container', 'Performing assessment', 'Finished']));
    expect(seen[seen.length - 1]).toBe('Finished');
    expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
    const res = await db.select<{ file_path: string }>('SELECT file_path FROM assessment.assessment_result WHERE execution_record_uuid = ?', [id]);
    expect(res).toHaveLength(1);
    expect(res[0]?.file_path.startsWith(join(PROJECTS_DIR, project, 'A-Results'))).toBe(true);
    expect(await readFile(res[0]?.file_path as string, 'utf8')).toContain('<AnalyzerReport');
    // The job dir holds what came back out of the container: the docker submit file we wrote, and
    // out/job_events.log as the framework left it: rewritten with `>` at each step, so one word.
    const iwd = String(hist.Iwd);
    const sub = await readFile(join(iwd, `${id}.sub`), 'utf8');
    expect(sub).toContain('universe = docker');
    expect(sub).toContain("arguments = \"-c 'ulimit -n 1024 && in/run.sh --type=docker'\"");
    expect(sub).toContain(`environment = "SWAMP_CONFIG=${tree.config}"`);
    const events = (await readFile(join(iwd, 'out', 'job_events.log'), 'utf8')).trim().split('\n');
    expect(events).toEqual(['ENDASSESSMENT']);
  });

  test('for comparison: the same passing run on the local platform (vanilla universe)', async () => {
    const { id } = await seedRun('outcome=pass\ndelay_ms=400\n');
    const before = counting.calls().length;
    const t0 = Date.now();
    await db.execute('SET @swamp_bin_dir = ?', [localTree.bin]);
    try {
      expect(await launch(id)).toBe(0);
    } finally {
      await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
    }
    const hist = await waitForEnd(id, 240_000);
    const calls = counting.calls().slice(before);
    process.stderr.write(`MEASURE local e2e passing run: ${Date.now() - t0} ms, HTCondor calls ${calls.length} ${JSON.stringify(tally(calls))}\n`);
    expect(hist).toMatchObject({ JobStatus: 4, NumJobStarts: 1, JobUniverse: 5 });
    expect(hist.WantDocker).toBeUndefined();
    expect(await runRow(id)).toMatchObject({ status: 'Finished', complete_flag: 1 });
  });

  test('a run whose framework asks for a retry: the retry statuses, then Finished with Errors', async () => {
    // swamp.conf of the local setup: htcondor_assessment_max_retries = 2
    const { id } = await seedRun('outcome=retry\ndelay_ms=100\n');
    const before = counting.calls().length;
    const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_assessment_status', 100);
    expect(await launch(id)).toBe(0);
    const hist = await waitForEnd(id, 400_000);
    const seen = await watch.stop();
    const calls = counting.calls().slice(before);
    process.stderr.write(`MEASURE docker e2e retry run: HTCondor calls ${calls.length} ${JSON.stringify(tally(calls))}, history ${JSON.stringify(hist)}, finals seen: ${JSON.stringify(seen.filter((s) => s.startsWith('Finished')))}\n`);
    expect(seen).toEqual(expect.arrayContaining(['Finished with Errors - Will retry 2 times', 'Finished with Errors retry(1/2) - Will retry 1 time']));
    expect(seen[seen.length - 1]).toBe('Finished with Errors');
    expect(hist).toMatchObject({ NumJobStarts: 3, JobStatus: 4, WantDocker: true });
    expect(await runRow(id)).toMatchObject({ status: 'Finished with Errors', complete_flag: 1 });
  });

  test('a running container killed with CALL kill_assessment_run ends Terminated', async () => {
    const { id } = await seedRun('outcome=pass\ndelay_ms=3000\n');
    expect(await launch(id)).toBe(0);
    await waitFor('Performing assessment', async () => ((await adOf(condor, id))?.SWAMP_vmu_assessment_status === 'Performing assessment' ? true : undefined), 180_000, 200);
    const t0 = Date.now();
    await db.execute('CALL assessment.kill_assessment_run(?, ?, @rs)', [id, '1']);
    expect((await db.select<{ rs: string }>('SELECT @rs AS rs'))[0]?.rs).toBe('SUCCESS');
    const done = await waitFor('kill worker', async () => killLog().find((l) => l.msg === 'kill finished' && l.runid === id), 200_000, 250);
    process.stderr.write(`MEASURE kill of a running docker assessment: ${Date.now() - t0} ms, ${JSON.stringify(done)}\n`);
    expect(done.outcome).toBe('terminated');
    const hist = await queryHistory(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus', 'WantDocker'], limit: 1 });
    expect(hist[0]).toMatchObject({ JobStatus: 3, WantDocker: true });
    expect(await runRow(id)).toMatchObject({ status: 'Terminated', complete_flag: 1 });
    // no container of the job is left behind
    const q = await queryQueue(condor, { constraint: swampIdConstraint(id), attributes: ['JobStatus'] });
    expect(q).toHaveLength(0);
  });
});
