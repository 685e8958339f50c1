/**
 * A CodeDX viewer on the docker platform end to end (issue 22), from `CALL assessment.launch_viewer(...)`:
 * the launcher (swamp.conf master.viewer.type = DC) picks the viewer image from the images file
 * (localhost/swamp/condor-codedx-3.5.5-viewer-master-<n>, built by services/docker/engine.sh) and
 * submits the docker viewer submit file (no executable: the image's entrypoint runs) -> PreViewer
 * (outside the container: run-params.sh in the scratch dir, monitorjob) -> the container runs the
 * SIMULATED viewer (lib/machine/viewer-machine.ts --host container, not CodeDX): events, its bare IP,
 * https on the container's address, port 8443 -> the monitor publishes `Viewer is up` with
 * vmip <container ip>:8443 -> the launcher uploads the results to it over podman's bridge. A second
 * launch finds it (no second job); CALL kill_assessment_run (the web's stop, graceful) stops the
 * container with SIGTERM, the viewer dumps its database and PostViewer saves it; the next launch
 * restores it. The same launch on the local platform is timed for comparison (MEASURE lines).
 *
 * Needs the engine (`make services`); SWAMP_DOCKER=0 skips this file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import * as tar from 'tar';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, isExactly, queryQueue, remove, runTool, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { GCC_SCARF_GZIP_BASE64 } from '../../../lib/machine/assets/gcc-scarf.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentResult, seedAssessmentRun, type SeededRun } from '../helpers/db-seed.js';
import { binary, makeTree, type Tree, installedPrefix } from '../assessment/helpers.js';
import { CollectorWatch, SW, waitFor } from '../hooks/helpers.js';
import { countingRoot, tally } from './helpers.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';

jest.setTimeout(300_000);

const off = process.env.SWAMP_DOCKER === '0';
const suite = off ? describe.skip : describe;

const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';
const PODMAN = ['--cgroup-manager=cgroupfs', '--runtime=runc'];

let restoreUdf: (() => void) | undefined;
let condor: HTCondorContext;
let db: Db;
let counting: ReturnType<typeof countingRoot>;
let tree: Tree;
let localTree: Tree;
let store: string;
const vruns: string[] = [];

type CallResult = {
  rs: string | null;
  vi: string | null;
};

async function callLaunchViewer(resultUuid: string | null, run: SeededRun, binDir: string): Promise<CallResult> {
  await db.execute('SET @swamp_bin_dir = ?', [binDir]);
  await db.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @lv_path, @lv_rs, @lv_vi)', [resultUuid, run.userUuid, CODEDX, run.projectUuid, `${store}/`, null]);
  return (await db.select<CallResult>('SELECT @lv_rs AS rs, @lv_vi AS vi'))[0] as CallResult;
}

/** The web's reading (mirswamp/swamp-web-server app/Services/HTCondorCollector.php): split on ", ". */
async function webViewerState(instance: string): Promise<{ state: number; status: string; proxy: string } | undefined> {
  const r = await runTool(condor, 'condor_status', [
    '-any', '-af:V,', 'SWAMP_vmu_viewer_state', 'SWAMP_vmu_viewer_status', 'SWAMP_vmu_viewer_url_uuid',
    '-constraint', `SWAMP_vmu_viewer_instance_uuid=="${instance}"`,
  ]);
  const line = r.stdout.split('\n')[0] ?? '';
  if (line.trim() === '') return undefined;
  const [state, status, proxy] = line.split(', ').map((f) => f.replace(/"/g, ''));
  return { state: Number.parseInt(state ?? '', 10), status: status ?? '', proxy: proxy ?? '' };
}

async function waitUp(instance: string, timeoutMs = 120_000): Promise<{ state: number; status: string; proxy: string }> {
  return waitFor('the web to read "Viewer is up"', async () => {
    const s = await webViewerState(instance);
    return s?.state === 2 ? s : undefined;
  }, timeoutMs, 100);
}

function launcherLog(t: Tree): Array<Record<string, unknown>> {
  const f = join(t.logDir, 'launchviewer.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const finished = (t: Tree, id: string): Array<Record<string, unknown>> => launcherLog(t).filter((l) => l.msg === 'viewer request finished' && l.execrunid === id);

/** GET over https without verifying the viewer's self-signed certificate (the launcher's curl -k). */
function getJson(url: string, apikey: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `System-Key ${apikey}` }, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function viewerAd(id: string): Promise<{ vmip: string; apikey: string }> {
  const ad = (await runTool(condor, 'condor_status', ['-any', '-af', 'SWAMP_vmu_viewer_vmip', 'SWAMP_vmu_viewer_apikey', '-constraint', `Name=="${id}"`])).stdout.trim().split(/\s+/);
  return { vmip: ad[0] ?? '', apikey: ad[1] ?? '' };
}

/** Names of the engine's containers (all states). */
function containers(): string[] {
  return execFileSync('podman', [...PODMAN, 'ps', '-a', '--format', '{{.Names}}'], { encoding: 'utf8', timeout: 30_000 }).split('\n').filter((l) => l !== '');
}

/** A run with one SCARF result and a tar.gz package archive (re-zipped by the launcher). */
async function seedResult(): Promise<{ run: SeededRun; result: string }> {
  const run = await seedAssessmentRun(db, { packageName: 'zlib' });
  const src = await mkdtemp(join(store, 'src-'));
  await mkdir(join(src, 'zlib-1.2.13'));
  await writeFile(join(src, 'zlib-1.2.13', 'zlib.h'), '#define ZLIB_VERSION "1.2.13"\n');
  const archive = join(src, 'zlib-1.2.13.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: src, portable: true }, ['zlib-1.2.13']);
  await chmod(archive, 0o644);
  await chmod(src, 0o755);
  const uuid = await seedAssessmentResult(db, run);
  const dir = join(store, uuid);
  await mkdir(dir);
  await chmod(dir, 0o755);
  const file = join(dir, 'parsed_results.xml');
  await writeFile(file, gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64')), { mode: 0o644 });
  await db.execute('UPDATE assessment.assessment_result SET file_path = ?, source_archive_path = ?, tool_name = ? WHERE assessment_result_uuid = ?', [file, archive, 'GCC', uuid]);
  return { run, result: uuid };
}

async function stopAndWait(id: string): Promise<void> {
  await remove(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id) }).catch(() => undefined);
  await waitFor(`${id} to leave the queue`, async () => ((await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] })).length === 0 ? true : undefined), 60_000, 250);
}

suite('CodeDX viewer on the docker platform', () => {
  beforeAll(async () => {
    condor = await condorContext();
    const has = await runTool(condor, 'condor_status', ['-af', 'HasDocker']);
    if (!has.stdout.split('\n').includes('true')) {
      throw new Error('the pool advertises no HasDocker: `make services` sets up the docker platform (services/docker/engine.sh status); SWAMP_DOCKER=0 skips these tests');
    }
    db = await connect(await dbOptions());
    // around the installed htcondor_root (the service account's token: mysqld's user submits as it)
    counting = countingRoot(join(installedPrefix(), 'htcondor'));
    tree = makeTree({ 'master.viewer.type': 'DC', dockerImagesFile: join(SW, 'etc', 'swamp_docker_images.txt'), htcondor_root: counting.root });
    localTree = makeTree({ 'master.viewer.type': 'local', htcondor_root: counting.root });
    for (const t of [tree, localTree]) for (const n of ['launch_viewer', 'kill_run']) symlinkSync(binary(), join(t.bin, n));
    store = await mkdtemp('/tmp/swamp-dv-');
    await chmod(store, 0o1777);
    // strict UDF: our entry programs of these trees on the allowlist; launch_viewer reads result
    // files only below the data roots (docs/security.md)
    restoreUdf = await extendSharedUdfConf([...allowEntryPrograms(tree.bin), ...allowEntryPrograms(localTree.bin)]);
    for (const t of [tree, localTree]) await appendFile(t.config, `trustedDataDirs = ${store}/\n`);
  });

  afterAll(async () => {
    restoreUdf?.();
    for (const id of vruns) await remove(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id) }).catch(() => undefined);
    const until = Date.now() + 30_000;
    while (vruns.length > 0 && Date.now() < until) {
      const left = await Promise.all(vruns.map((id) => queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] }).catch(() => [])));
      if (left.every((l) => l.length === 0)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (vruns.length > 0) await invalidate(condor, { names: vruns }).catch(() => undefined);
    await db?.close();
    tree?.remove();
    localTree?.remove();
    if (counting !== undefined) await rm(counting.root, { recursive: true, force: true });
    if (store !== undefined) await rm(store, { recursive: true, force: true });
  });

  test('up in a container, found again, results uploaded over the bridge, stopped gracefully with its database saved and restored', async () => {
    const { run, result } = await seedResult();
    const id = `vrun_${run.projectUuid}_CodeDX`;
    vruns.push(id);
    const before = counting.calls().length;
    const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_viewer_status', 50);
    const t0 = Date.now();
    const out = await callLaunchViewer(result, run, tree.bin);
    expect(out.rs).toBe('SUCCESS');
    const instance = out.vi as string;
    const up = await waitUp(instance);
    const upMs = Date.now() - t0;
    const seen = await watch.stop();
    const done = await waitFor('the upload', async () => finished(tree, id)[0], 120_000, 200);
    const calls = counting.calls().slice(before);
    process.stderr.write(`MEASURE docker viewer: CALL -> Viewer is up ${upMs} ms; HTCondor calls to up+upload ${calls.length} ${JSON.stringify(tally(calls))}; statuses ${JSON.stringify(seen)}\n`);
    expect(done).toMatchObject({ launch: 'launched', upload: 'uploaded' });
    expect(up.status).toBe('Viewer is up');
    expect(seen).toEqual(expect.arrayContaining(['Starting DC', 'Viewer is up']));
    expect(seen[seen.length - 1]).toBe('Viewer is up');

    // a docker-universe job of the viewer image; the viewer serves on the container's own address
    const jobs = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId', 'JobUniverse', 'WantDocker', 'DockerImage', 'Cmd', 'SWAMP_viewerinstanceid'] });
    expect(jobs).toHaveLength(1);
    const job = jobs[0] as Record<string, unknown>;
    expect(job).toMatchObject({ JobUniverse: 5, WantDocker: true, SWAMP_viewerinstanceid: instance });
    expect(String(job.DockerImage)).toMatch(/swamp\/condor-codedx-3\.5\.5-viewer-master-\d+$/);
    const cluster = Number(job.ClusterId);
    expect(containers().some((n) => n.startsWith(`HTCJob${cluster}_`))).toBe(true);
    const ad = await viewerAd(id);
    expect(ad.vmip).toMatch(/^(?:\d{1,3}\.){3}\d{1,3}:8443$/);
    expect(ad.vmip.startsWith('127.')).toBe(false);

    // the upload reached the viewer in the container (read back over https, as the launcher wrote it)
    const base = `https://${ad.vmip}/${up.proxy}/api`;
    const projects = (await getJson(`${base}/projects`, ad.apikey)) as { projects: { id: number; name: string }[] };
    const project = projects.projects.find((p) => p.name === 'zlib');
    expect(project).toBeDefined();
    const analyses = (await getJson(`${base}/projects/${project?.id}/analyses`, ad.apikey)) as { analyses: { files: { name: string }[] }[] };
    expect(analyses.analyses[0]?.files.map((f) => f.name)).toEqual(['parsed_results.xml', 'zlib-1.2.13.zip']);

    // the next launch for the project finds it: no second job
    expect((await callLaunchViewer(null, run, tree.bin)).rs).toBe('SUCCESS');
    expect(await waitFor('the second request', async () => finished(tree, id)[1], 60_000, 200)).toMatchObject({ launch: 'running' });
    expect(await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] })).toHaveLength(1);

    // the web's stop: graceful; docker stop (SIGTERM) -> the viewer dumps its database -> PostViewer saves it
    const k0 = Date.now();
    const beforeKill = counting.calls().length;
    await db.execute('CALL assessment.kill_assessment_run(?, ?, @kr)', [run.projectUuid, '0']);
    expect((await db.select<{ kr: string }>('SELECT @kr AS kr'))[0]?.kr).toBe('SUCCESS');
    await waitFor('the viewer to shut down', async () => {
      const q = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] });
      const s = await webViewerState(instance);
      return q.length === 0 && s?.state === -3 ? s : undefined;
    }, 90_000, 200);
    const killMs = Date.now() - k0;
    // kill_run's worker may still be finishing (its last look-ups) when the job is gone
    await waitFor('kill_run to finish', async () => (existsSync(join(tree.logDir, 'killjob.log')) && readFileSync(join(tree.logDir, 'killjob.log'), 'utf8').includes('"kill finished"') ? true : undefined), 30_000, 200);
    const killCalls = counting.calls().slice(beforeKill);
    process.stderr.write(`MEASURE docker viewer: CALL kill_assessment_run -> shut down (state -3, job gone) ${killMs} ms; HTCondor calls (kill_run, PostViewer, monitor) ${killCalls.length} ${JSON.stringify(tally(killCalls))}\n`);
    expect(containers().some((n) => n.startsWith(`HTCJob${cluster}_`))).toBe(false);
    const saved = (await db.select<{ p: string | null }>('SELECT viewer_db_path AS p FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [instance]))[0]?.p;
    expect(saved).toMatch(/codedx_viewerdb_\d{14}\.tar\.gz$/);
    const x = await mkdtemp(join(store, 'db-'));
    await tar.x({ file: saved as string, cwd: x });
    expect(readdirSync(x).sort()).toEqual(['codedx.sql', 'codedx_config.tar']);
    expect(await readFile(join(x, 'codedx.sql'), 'utf8')).toContain('zlib');

    // relaunch: a new container, the saved database restored into it
    expect((await callLaunchViewer(null, run, tree.bin)).rs).toBe('SUCCESS');
    const up2 = await waitUp(instance);
    const ad2 = await viewerAd(id);
    expect(ad2.vmip).toMatch(/:8443$/);
    const again = (await getJson(`https://${ad2.vmip}/${up2.proxy}/api/projects`, ad2.apikey)) as { projects: { name: string }[] };
    expect(again.projects.map((p) => p.name)).toContain('zlib');
    await stopAndWait(id);
  });

  test('for comparison: the same launch on the local platform (vanilla universe)', async () => {
    const { run, result } = await seedResult();
    const id = `vrun_${run.projectUuid}_CodeDX`;
    vruns.push(id);
    const before = counting.calls().length;
    const t0 = Date.now();
    const out = await callLaunchViewer(result, run, localTree.bin);
    expect(out.rs).toBe('SUCCESS');
    await waitUp(out.vi as string);
    const upMs = Date.now() - t0;
    expect(await waitFor('the upload', async () => finished(localTree, id)[0], 120_000, 200)).toMatchObject({ launch: 'launched', upload: 'uploaded' });
    const calls = counting.calls().slice(before);
    process.stderr.write(`MEASURE local viewer: CALL -> Viewer is up ${upMs} ms; HTCondor calls to up+upload ${calls.length} ${JSON.stringify(tally(calls))}\n`);
    const jobs = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['WantDocker'] });
    expect(jobs[0]?.WantDocker).toBeUndefined();
    await stopAndWait(id);
  });
});
