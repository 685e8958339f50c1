/**
 * launch_viewer end to end (issue 7), from `CALL assessment.launch_viewer(...)` in the private MariaDB
 * (sys_eval runs our binary as mysqld's user, with its bare environment) through HTCondor on the local
 * platform (PreViewer, swamp-viewer-machine, monitorjob, PostViewer inside the pool's chroot):
 *   - CodeDX: return_string SUCCESS; the launcher's statuses, then the hooks' and the monitor's, up to
 *     state 2 `Viewer is up`, read with condor_status exactly as the web reads them (mirswamp/swamp-web-server app/Services/HTCondorCollector.php, split on ", ");
 *     the results and the re-zipped package archive arrive at the viewer's API (read back);
 *   - 20 concurrent CALLs for one project give one viewer job;
 *   - Native through the same procedure: SCARF -> nativereport.json, a failed run -> failedreport.json,
 *     a zip -> index.html; ThreadFix -> 'Error Launching Viewer'.
 * Every job is removed at the end (condor_rm by exact SWAMP_vrun_execrunuid), ads invalidated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, isExactly, queryQueue, remove, runTool, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { GCC_SCARF_GZIP_BASE64 } from '../../../lib/machine/assets/gcc-scarf.js';
import { ZipWriter } from '../../../lib/viewer/zip.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { seedAssessmentResult, seedAssessmentRun, type SeededRun } from '../helpers/db-seed.js';
import { installedTree, linkProgram, runProgram, type Tree } from '../assessment/helpers.js';
import { CollectorWatch, assessThroughHooks, waitFor } from '../hooks/helpers.js';
import { allowEntryPrograms, extendSharedUdfConf } from '../helpers/udf-conf.js';

jest.setTimeout(240_000);

const CODEDX = '5d0fb63c-865a-11e3-88bb-001a4a81450b';
const NATIVE = '8f9213ef-5d04-11e3-9fa4-001a4a81450b';
const THREADFIX = 'b0e931d7-bfb2-11e5-bf72-001a4a814413';

let condor: HTCondorContext;
let db: Db;
let tree: Tree;
let store: string;
const vruns: string[] = [];
/** Scratch, result and project dirs of runs played by the real hooks, and their ads. */
const hookDirs: string[] = [];
const hookAds: string[] = [];
const extraDbs: Db[] = [];
/** The first test's viewer, for the relaunch test. */
let firstViewer: { run: SeededRun; id: string; instance: string; jobDir: string } | undefined;

let restoreUdf: (() => void) | undefined;

beforeAll(async () => {
  condor = await condorContext();
  db = await connect(await dbOptions());
  // the installed tree and its swamp.conf (swapped for this file, restored after): what the DB runs
  tree = installedTree();
  linkProgram(tree, 'launch_viewer');
  linkProgram(tree, 'kill_run');
  linkProgram(tree, 'launchviewer');
  await db.execute('SET @swamp_bin_dir = ?', [tree.bin]);
  restoreUdf = await extendSharedUdfConf(allowEntryPrograms(tree.bin));
  // results, archives and the Native outdirs: readable/writable by mysqld's user (the worker's uid)
  store = await mkdtemp('/tmp/swamp-lv-');
  await chmod(store, 0o1777);
  // launch_viewer reads result files only below the data roots and writes Native reports only
  // below outgoingFolder (docs/security.md)
  await appendFile(tree.config, `trustedDataDirs = ${store}/\noutgoingFolder = ${store}/out/\n`);
});

afterAll(async () => {
  restoreUdf?.();
  for (const id of vruns) await remove(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id) }).catch(() => undefined);
  // graceful removal: the machine dumps its database and PostViewer runs; wait (bounded) for the jobs to leave
  const until = Date.now() + 30_000;
  while (vruns.length > 0 && Date.now() < until) {
    const left = await Promise.all(vruns.map((id) => queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] }).catch(() => [])));
    if (left.every((l) => l.length === 0)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (vruns.length > 0) await invalidate(condor, { names: vruns }).catch(() => undefined);
  if (hookAds.length > 0) await invalidate(condor, { names: hookAds }).catch(() => undefined);
  for (const d of hookDirs) await rm(d, { recursive: true, force: true });
  for (const d of extraDbs) await d.close().catch(() => undefined);
  await db?.close();
  tree?.remove();
  if (store !== undefined) await rm(store, { recursive: true, force: true });
});

interface CallResult {
  path: string | null;
  rs: string | null;
  vi: string | null;
}

async function callLaunchViewer(conn: Db, resultUuids: string | null, user: string, version: string, project: string, dest: string, type: string | null): Promise<CallResult> {
  await conn.execute('CALL assessment.launch_viewer(?, ?, ?, ?, ?, ?, @lv_path, @lv_rs, @lv_vi)', [resultUuids, user, version, project, dest, type]);
  const rows = await conn.select<{ path: string | null; rs: string | null; vi: string | null }>('SELECT @lv_path AS path, @lv_rs AS rs, @lv_vi AS vi', []);
  return rows[0] as CallResult;
}

/** The web's reading (web:app/Services/HTCondorCollector.php): first line split on ", ", quotes removed. */
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

interface LogLine {
  msg: string;
  execrunid?: string;
  launch?: string;
  upload?: string;
  [k: string]: unknown;
}

function launcherLog(): LogLine[] {
  const f = join(tree.logDir, 'launchviewer.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogLine);
}

function finished(id: string): LogLine[] {
  return launcherLog().filter((l) => l.msg === 'viewer request finished' && l.execrunid === id);
}

async function get(url: string, apikey: string): Promise<Response> {
  return fetch(url, { headers: { Authorization: `System-Key ${apikey}` }, signal: AbortSignal.timeout(10_000) });
}

async function zipNames(buf: Buffer): Promise<string[]> {
  const zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true });
  const names: string[] = [];
  for await (const e of zip.eachEntry()) names.push(e.fileName);
  zip.close();
  return names.sort();
}

/** A result row whose file lives in <store>/<result uuid>/ (as production's A-Results layout). */
async function result(run: SeededRun, fileName: string, content: Buffer | string, archive?: string): Promise<{ uuid: string; file: string }> {
  const uuid = await seedAssessmentResult(db, run);
  const dir = join(store, uuid);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const file = join(dir, fileName);
  await writeFile(file, content, { mode: 0o644 });
  await db.execute('UPDATE assessment.assessment_result SET file_path = ?, source_archive_path = ?, tool_name = ? WHERE assessment_result_uuid = ?', [
    file, archive ?? null, 'GCC', uuid,
  ]);
  return { uuid, file };
}

test('CodeDX: SUCCESS, viewer up (state 2, read as the web reads it), results and re-zipped archive uploaded', async () => {
  const run = await seedAssessmentRun(db, { packageName: 'zlib' });
  const id = `vrun_${run.projectUuid}_CodeDX`;
  vruns.push(id);
  // the package archive: a tar.gz the launcher re-zips
  const src = join(store, `src-${run.projectUuid}`);
  await mkdir(join(src, 'zlib-1.2.13'), { recursive: true });
  await writeFile(join(src, 'zlib-1.2.13', 'zlib.h'), '#define ZLIB_VERSION "1.2.13"\n');
  await writeFile(join(src, 'zlib-1.2.13', 'adler32.c'), 'int adler32(void) { return 1; }\n');
  const archive = join(store, 'zlib-1.2.13.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: src, portable: true }, ['zlib-1.2.13']);
  await chmod(archive, 0o644);
  const scarf = gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64'));
  const r1 = await result(run, 'parsed_results.xml', scarf, archive);

  const watch = new CollectorWatch(condor, id, 'SWAMP_vmu_viewer_status', 25);
  const t0 = Date.now();
  const out = await callLaunchViewer(db, r1.uuid, run.userUuid, CODEDX, run.projectUuid, `${store}/`, null);
  const callMs = Date.now() - t0;
  expect(out.rs).toBe('SUCCESS');
  expect(out.vi).toMatch(/^[0-9a-f-]{36}$/);
  expect(callMs).toBeLessThan(10_000);
  const instance = out.vi as string;

  const up = await waitFor('the web to read "Viewer is up"', async () => {
    const s = await webViewerState(instance);
    return s?.state === 2 ? s : undefined;
  }, 90_000, 200);
  expect(up.status).toBe('Viewer is up');
  expect(up.proxy).toMatch(/^proxy-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);

  const done = await waitFor('the upload', async () => finished(id)[0], 60_000, 200);
  const seen = await watch.stop();
  expect(done).toMatchObject({ launch: 'launched', upload: 'uploaded' });
  // the launcher's statuses, in order (its log: the collector keeps only the latest ad) ...
  const launcherStatuses = ['Launching Viewer VM', 'Launching viewer', 'Creating HTCondor job', 'Waiting in HTCondor Queue'];
  expect(launcherLog().filter((l) => l.msg === 'advertised' && l.execrunid === id).map((l) => l.status)).toEqual(launcherStatuses);
  // ... and what a 25 ms collector poll saw: a subsequence of launcher, hook and monitor statuses, in order
  const order = [...launcherStatuses, 'Starting DC', 'Starting viewer run script', 'Obtaining Viewer Machine IP Address', 'Wrote viewer ip address', 'Starting mysql service',
    'Service mysql running', 'Creating proxy directory', 'Copying viewer properties', 'Starting tomcat service', 'Service tomcat running', 'Starting viewer checktimeout', 'Viewer is up'];
  const idx = seen.map((s) => order.indexOf(s));
  expect(idx).not.toContain(-1);
  expect([...idx].sort((a, b) => a - b)).toEqual(idx);
  expect(seen[seen.length - 1]).toBe('Viewer is up');

  // exactly one job, with the viewer attributes
  const jobs = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id) });
  expect(jobs).toHaveLength(1);
  expect(jobs[0]).toMatchObject({ SWAMP_viewerinstanceid: instance, SWAMP_projectid: run.projectUuid, SWAMP_userid: run.userUuid, ViewerJob: true, JobPrio: 10, AcctGroup: 'group_viewer' });

  // read the upload back through the viewer machine's API
  const ad = (await runTool(condor, 'condor_status', ['-any', '-af', 'SWAMP_vmu_viewer_vmip', 'SWAMP_vmu_viewer_apikey', '-constraint', `Name=="${id}"`])).stdout.trim().split(/\s+/);
  const [vmip, apikey] = ad as [string, string];
  const base = `http://${vmip}/${up.proxy}/api`;
  const projects = (await (await get(`${base}/projects`, apikey)).json()) as { projects: { id: number; name: string }[] };
  const project = projects.projects.find((p) => p.name === 'zlib');
  expect(project).toBeDefined();
  const analyses = (await (await get(`${base}/projects/${project?.id}/analyses`, apikey)).json()) as {
    analyses: { id: number; files: { field: string; name: string; size: number; sha256: string }[] }[];
  };
  expect(analyses.analyses).toHaveLength(1);
  const files = analyses.analyses[0]?.files ?? [];
  expect(files.map((f) => [f.field, f.name])).toEqual([['file1', 'parsed_results.xml'], ['file2', 'zlib-1.2.13.zip']]);
  expect(files[0]?.sha256).toBe(createHash('sha256').update(scarf).digest('hex'));
  const zip = Buffer.from(await (await get(`${base}/projects/${project?.id}/analyses/${analyses.analyses[0]?.id}/files/zlib-1.2.13.zip`, apikey)).arrayBuffer());
  expect(await zipNames(zip)).toEqual(['zlib-1.2.13/', 'zlib-1.2.13/adler32.c', 'zlib-1.2.13/zlib.h']);
  // the temp dir of the re-zip is gone
  expect((await import('node:fs')).readdirSync(tree.runDir).filter((n) => n.startsWith('.viewer-upload-'))).toEqual([]);

  firstViewer = { run, id, instance, jobDir: String(launcherLog().find((l) => l.msg === 'viewer job submitted' && l.execrunid === id)?.jobDir) };

  // a second launch request while it is up: no second job, the new results are uploaded too
  const r2 = await result(run, 'parsed_results.xml', scarf, archive);
  expect((await callLaunchViewer(db, r2.uuid, run.userUuid, CODEDX, run.projectUuid, `${store}/`, null)).rs).toBe('SUCCESS');
  const second = await waitFor('the second request', async () => finished(id)[1], 60_000, 200);
  expect(second).toMatchObject({ launch: 'running', upload: 'uploaded' });
  expect(await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] })).toHaveLength(1);
});

test('kill_run (graceful) and relaunch: PostViewer saved the viewer database, the next launch restores it; a TERMINATE_FAILED viewer still queued gets no twin', async () => {
  const v = firstViewer;
  if (v === undefined) throw new Error('needs the first test');
  // the web stops a viewer with the project uuid; graceful ('0'): the viewer saves its database
  await db.execute('CALL assessment.kill_assessment_run(?, ?, @kr)', [v.run.projectUuid, '0']);
  expect((await db.select<{ kr: string }>('SELECT @kr AS kr'))[0]?.kr).toBe('SUCCESS');
  await waitFor('the viewer to shut down', async () => {
    const q = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', v.id), attributes: ['ClusterId'] });
    const s = await webViewerState(v.instance);
    return q.length === 0 && s !== undefined && s.state === -3 ? s : undefined;
  }, 60_000, 250);
  const saved = await db.select<{ p: string | null }>('SELECT viewer_db_path AS p FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [v.instance]);
  expect(saved[0]?.p).toMatch(/codedx_viewerdb_\d{14}\.tar\.gz$/);

  expect((await callLaunchViewer(db, null, v.run.userUuid, CODEDX, v.run.projectUuid, `${store}/`, null)).rs).toBe('SUCCESS');
  const up = await waitFor('the relaunched viewer', async () => {
    const s = await webViewerState(v.instance);
    return s?.state === 2 ? s : undefined;
  }, 90_000, 200);
  const third = await waitFor('the relaunch request', async () => finished(v.id)[2], 30_000, 200);
  expect(third.launch).toBe('launched');
  // the earlier job dir went with the relaunch (its job had left the queue)
  expect(existsSync(join(tree.runDir, v.jobDir))).toBe(false);
  // the project uploaded to the first viewer is back (restored from --viewer_db_path)
  const ad = (await runTool(condor, 'condor_status', ['-any', '-af', 'SWAMP_vmu_viewer_vmip', 'SWAMP_vmu_viewer_apikey', '-constraint', `Name=="${v.id}"`])).stdout.trim().split(/\s+/);
  const projects = (await (await get(`http://${ad[0]}/${up.proxy}/api/projects`, ad[1] as string)).json()) as { projects: { name: string }[] };
  expect(projects.projects.map((p) => p.name)).toContain('zlib');

  // a kill that failed: the ad says TERMINATE_FAILED but the job still runs -> no twin
  const { advertise } = await import('../../../lib/htcondor/index.js');
  const { viewerStatusAd } = await import('../../../lib/status/index.js');
  await advertise(condor, [viewerStatusAd(v.id, -8, 'Terminate Failed', { projectid: v.run.projectUuid, viewer: 'CodeDX', viewer_uuid: v.instance, urluuid: up.proxy })]);
  expect((await callLaunchViewer(db, null, v.run.userUuid, CODEDX, v.run.projectUuid, `${store}/`, null)).rs).toBe('SUCCESS');
  const fourth = await waitFor('the request next to a TERMINATE_FAILED viewer', async () => finished(v.id)[3], 30_000, 200);
  expect(fourth.launch).toBe('running');
  expect(await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', v.id), attributes: ['ClusterId'] })).toHaveLength(1);
  // one viewer at a time on the small test pool
  await remove(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', v.id) });
});

test('20 concurrent CALLs for one project give one viewer job; the web finds it by instance uuid at once', async () => {
  const run = await seedAssessmentRun(db);
  const id = `vrun_${run.projectUuid}_CodeDX`;
  vruns.push(id);
  // a project that never had a viewer: the procedure creates the instance row, under its named lock
  const conns = await Promise.all(Array.from({ length: 20 }, async () => {
    const c = await connect(await dbOptions());
    extraDbs.push(c);
    await c.execute('SET @swamp_bin_dir = ?', [tree.bin]);
    return c;
  }));
  const outs = await Promise.all(conns.map((c) => callLaunchViewer(c, null, run.userUuid, CODEDX, run.projectUuid, `${store}/`, null)));
  expect(outs.map((o) => o.rs)).toEqual(Array(20).fill('SUCCESS'));
  const instances = new Set(outs.map((o) => o.vi));
  expect(instances.size).toBe(1);
  const instance = [...instances][0] as string;
  const rows = await db.select<{ n: number }>('SELECT COUNT(*) AS n FROM viewer_store.viewer_instance WHERE project_uuid = ? AND viewer_version_uuid = ?', [run.projectUuid, CODEDX]);
  expect(Number(rows[0]?.n)).toBe(1);
  const first = await waitFor('an ad the web can find by instance uuid', () => webViewerState(instance), 30_000, 50);
  expect([1, 2]).toContain(first.state);

  const all = await waitFor('20 finished workers', async () => {
    const f = finished(id);
    return f.length >= 20 ? f : undefined;
  }, 120_000, 250);
  expect(all.filter((l) => l.launch === 'launched')).toHaveLength(1);
  expect(all.filter((l) => l.launch === 'running')).toHaveLength(19);
  const jobs = await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId', 'SWAMP_viewerinstanceid'] });
  expect(jobs).toHaveLength(1);
  expect(jobs[0]?.SWAMP_viewerinstanceid).toBe(instance);
  const up = await waitFor('viewer up', async () => {
    const s = await webViewerState(instance);
    return s?.state === 2 ? s : undefined;
  }, 90_000, 250);
  expect(up.status).toBe('Viewer is up');
});

test('a launch that cannot submit (no VM or docker viewer image) ends at ERROR -5 `Launch viewer error`, no job', async () => {
  const project = randomUUID();
  const instance = randomUUID();
  const id = `vrun_${project}_CodeDX`;
  vruns.push(id);
  // neither a VM image nor a docker image: a VM preference falls back to docker images (legacy
  // order), and the harness's docker images file lists the locally built platform and viewer images
  const noDockerImages = join(store, 'no-docker-images.txt');
  await writeFile(noDockerImages, '');
  const conf = tree.variant('vm-viewer', ['master.viewer.type = VM', `platformImagesDir = ${store}/no-images`, `dockerImagesFile = ${noDockerImages}`]);
  const r = runProgram(tree, 'launchviewer', ['--viewer_name', 'CodeDX', '--project', project, '--viewer_uuid', instance, '--config', conf, '--nodetached']);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(66);
  // no BOG was made (no image), so the ad has the identifying fields only: no proxy url yet
  expect(await webViewerState(instance)).toEqual({ state: -5, status: 'Launch viewer error', proxy: 'null' });
  expect(await queryQueue(condor, { constraint: isExactly('SWAMP_vrun_execrunuid', id), attributes: ['ClusterId'] })).toHaveLength(0);
  // no job dir of this viewer left behind (the other tests' job dirs are theirs)
  const fs = await import('node:fs');
  expect(fs.readdirSync(tree.runDir).filter((n) => n.startsWith('vswamp_') && fs.existsSync(join(tree.runDir, n, `${id}.sub`)))).toEqual([]);
});

describe('Native through CALL assessment.launch_viewer (sys_eval, synchronous)', () => {
  let run: SeededRun;
  let dest: string;
  beforeAll(async () => {
    run = await seedAssessmentRun(db);
    dest = join(store, 'out') + '/';
    await mkdir(dest);
    await chmod(dest, 0o1777);
    expect(dest.length).toBeLessThanOrEqual(45); // destination_base_path_in VARCHAR(45)
  });

  test('SCARF -> nativereport.json', async () => {
    const scarf = gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64'));
    const r = await result(run, 'parsed_results.xml', scarf);
    const out = await callLaunchViewer(db, r.uuid, run.userUuid, NATIVE, run.projectUuid, dest, 'results');
    expect(out.rs).toBe('SUCCESS');
    expect(out.path).toBe(`${dest}${r.uuid}/nativereport.json`);
    const report = JSON.parse(await readFile(out.path as string, 'utf8')) as { AnalyzerReport: { BugInstances: unknown[]; package_name: string } };
    expect(report.AnalyzerReport.BugInstances).toHaveLength(201);
    expect(report.AnalyzerReport.package_name).toBe('snappy-c'); // from the SCARF file itself
  });

  test('failed run -> failedreport.json, on the output archive the real PostAssessment stored as the result', async () => {
    // a build failure played by the real hooks: the result file is A-Results/<uuid>/outputdisk.tar.gz
    const h = await assessThroughHooks(db, condor, 'build', hookDirs);
    hookAds.push(h.run.executionRecordUuid);
    expect(h.finalStatus).toBe('Finished with Errors');
    expect(h.filePath).toMatch(/\/A-Results\/[0-9a-f-]{36}\/outputdisk\.tar\.gz$/);
    const out = await callLaunchViewer(db, h.resultUuid, h.run.userUuid, NATIVE, h.run.projectUuid, dest, 'errors');
    expect(out.rs).toBe('SUCCESS');
    expect(out.path).toBe(`${dest}${h.resultUuid}/failedreport.json`);
    const report = JSON.parse(await readFile(out.path as string, 'utf8')) as { status: { name: string }[] };
    expect(report.status.map((s) => s.name)).toContain('status.out');
  });

  test('zip -> index.html', async () => {
    const stage = await mkdtemp(join(store, 'zip-'));
    const z = new ZipWriter(join(stage, 'report.zip'));
    z.addFile('index.html', Buffer.from('<html>report</html>'));
    z.finish();
    const r = await result(run, 'report.zip', await readFile(join(stage, 'report.zip')));
    const out = await callLaunchViewer(db, r.uuid, run.userUuid, NATIVE, run.projectUuid, dest, 'results');
    expect(out.rs).toBe('SUCCESS');
    expect(out.path).toBe(`${dest}${r.uuid}/index.html`);
    expect(await readFile(out.path as string, 'utf8')).toBe('<html>report</html>');
  });

  test('ThreadFix -> Error Launching Viewer (nothing printed, as the legacy)', async () => {
    const out = await callLaunchViewer(db, null, run.userUuid, THREADFIX, run.projectUuid, dest, null);
    expect(out.rs).toBe('Error Launching Viewer');
  });
});
