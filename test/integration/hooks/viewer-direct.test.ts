/**
 * Viewer hooks run directly on a scratch dir against the real MariaDB and collector: PreViewer, the
 * local viewer machine (lib/machine) followed by monitorjob up to `Viewer is up`, removal (SIGTERM to the
 * machine, as HTCondor's graceful removal), PostViewer storing the database bundle with store_viewer.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { formatBog } from '../../../lib/bog/index.js';
import { spawnDetached } from '../../../lib/cli/detach.js';
import { connect, type Db } from '../../../lib/db/index.js';
import { invalidate, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { condorContext } from '../helpers/condor-env.js';
import { dbOptions } from '../helpers/db-env.js';
import { BIN, CONFIG, CollectorWatch, LOG_DIR, PROJECTS_DIR, RESULTS_DIR, adOf, alive, programEnv, runProgram, scratchDir, waitFor, writeBundle } from './helpers.js';

jest.setTimeout(120_000);

const CODEDX_VERSION = '5d0fb63c-865a-11e3-88bb-001a4a81450b';
let condor: HTCondorContext;
let db: Db;
const cleanup: string[] = [];
const ads: string[] = [];

beforeAll(async () => {
  condor = await condorContext();
  db = await connect(await dbOptions());
});

afterAll(async () => {
  if (ads.length > 0) await invalidate(condor, { names: ads }).catch(() => undefined);
  for (const d of cleanup) await rm(d, { recursive: true, force: true });
  await db?.close();
});

test('PreViewer -> viewer up -> removal -> PostViewer stores the bundle', async () => {
  const env = programEnv(condor);
  const project = randomUUID();
  const viewerUuid = randomUUID();
  const vrun = `vrun_${project}_CodeDX`;
  ads.push(vrun);
  await db.execute('INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid) VALUES (?, ?, ?)', [viewerUuid, CODEDX_VERSION, project]);
  const scratch = await scratchDir('swamp-vhook-it-');
  cleanup.push(scratch, join(PROJECTS_DIR, project));
  await writeBundle(scratch, vrun, {
    execrunid: vrun,
    resultsfolder: join(RESULTS_DIR) + '/',
    projectid: project,
    viewer: 'CodeDX',
    viewer_uuid: viewerUuid,
    userid: randomUUID(),
    apikey: 'APIKEY123',
    urluuid: `proxy-${randomUUID().toUpperCase()}`,
    platform_identifier: 'codedx-3.5.5-viewer',
    platform_type: 'local',
    platform_image: 'swamp-viewer-machine',
    use_baked_viewer: '1',
  });
  const cluster = String(900_000 + Math.floor(Math.random() * 99_999));
  const args = [vrun, 'swamp', 'swamp-pool', cluster, '0', '0'];
  const logFile = join(LOG_DIR, `${project}_${cluster}.log`);
  cleanup.push(logFile);

  const pre = await runProgram('jobhook', ['PreViewer', ...args], scratch, env);
  expect(pre.exitCode).toBe(0);
  expect(await adOf(condor, vrun)).toMatchObject({ SWAMP_vmu_viewer_state: '1', SWAMP_vmu_viewer_status: 'Starting DC', SWAMP_vmu_viewer_instance_uuid: viewerUuid });
  const monitorPid = Number((await readFile(join(scratch, `monitorjob_${cluster}.pid`), 'utf8')).trim());

  const watch = new CollectorWatch(condor, vrun, 'SWAMP_vmu_viewer_status', 50);
  const machinePid = await spawnDetached(join(BIN, 'swamp-viewer-machine'), ['--delay-ms', '100'], {
    cwd: scratch,
    env: { ...env, SWAMP_PROGRAM: 'swamp-viewer-machine' },
    outputFile: logFile,
  });
  const up = await waitFor('Viewer is up', async () => {
    const ad = await adOf(condor, vrun);
    return ad?.SWAMP_vmu_viewer_status === 'Viewer is up' ? ad : undefined;
  }, 30_000, 50);
  expect(up).toMatchObject({ SWAMP_vmu_viewer_state: '2', SWAMP_vmu_viewer_apikey: 'APIKEY123', SWAMP_vmu_viewer_vmhostname: `vswamp-${cluster}-0` });
  expect(String(up.SWAMP_vmu_viewer_vmip)).toMatch(/^127\.0\.0\.1:\d+$/);
  // The status stays 'Viewer is up' until the removal below; let the watcher's own poll see it
  // first (under load the removal could otherwise replace it between two of its polls).
  await waitFor('the collector watcher to see Viewer is up', async () => (watch.seen.includes('Viewer is up') ? true : undefined), 10_000, 25);

  process.kill(machinePid, 'SIGTERM');
  await waitFor('the viewer machine to shut down', async () => (alive(machinePid) ? undefined : true), 30_000);
  await waitFor('monitorjob to leave after VIEWERDOWN', async () => (alive(monitorPid) ? undefined : true), 15_000);
  const post = await runProgram('jobhook', ['PostViewer', ...args], scratch, env);
  expect(post.exitCode).toBe(0);
  await waitFor('the final viewer ad', async () => ((await adOf(condor, vrun))?.SWAMP_vmu_viewer_status === 'Viewer shutdown completed' ? true : undefined), 10_000, 50);
  const seen = await watch.stop();
  // the monitor's exit ad, then PostViewer's two (a poller may miss a status replaced within ms)
  const tail = ['Viewer shutdown complete', 'Viewer is starting shutdown', 'Viewer shutdown completed'];
  const seenTail = seen.filter((s) => tail.includes(s));
  expect(seenTail.map((s) => tail.indexOf(s))).toEqual([...seenTail.map((s) => tail.indexOf(s))].sort((a, b) => a - b));
  expect(seen[seen.length - 1]).toBe('Viewer shutdown completed');
  // a collector poller can miss a status replaced within milliseconds (the first words come in a burst)
  expect(seen).toEqual(expect.arrayContaining(['Viewer is up']));
  expect(await adOf(condor, vrun)).toMatchObject({ SWAMP_vmu_viewer_state: '-3' });

  const row = (await db.select<{ viewer_db_path: string; viewer_db_checksum: string; platform_image: string; code_dx_version: string }>(
    'SELECT viewer_db_path, viewer_db_checksum, platform_image, code_dx_version FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?',
    [viewerUuid],
  ))[0];
  expect(row?.viewer_db_path).toMatch(new RegExp(`/projects/${project}/V-Runs/${viewerUuid}/codedx_viewerdb_\\d{14}\\.tar\\.gz$`));
  expect(row?.viewer_db_checksum).toBe(createHash('sha512').update(await readFile(row?.viewer_db_path as string)).digest('hex'));
  expect(row).toMatchObject({ platform_image: 'swamp-viewer-machine', code_dx_version: 'unknown' });
  await db.execute('DELETE FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [viewerUuid]);
});

test('PostViewer with the DB unreachable: the viewer database is owed in the outbox, and the next drain pass stores it', async () => {
  const env = programEnv(condor);
  const project = randomUUID();
  const viewerUuid = randomUUID();
  const vrun = `vrun_${project}_CodeDX`;
  ads.push(vrun);
  await db.execute('INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid) VALUES (?, ?, ?)', [viewerUuid, CODEDX_VERSION, project]);
  const scratch = await scratchDir('swamp-vhook-owed-');
  cleanup.push(scratch, join(PROJECTS_DIR, project));
  // what PreViewer leaves in the scratch dir: the BOG (PostViewer reads it there)
  await writeFile(
    join(scratch, `${vrun}.bog`),
    formatBog({ execrunid: vrun, projectid: project, viewer: 'CodeDX', viewer_uuid: viewerUuid, platform_identifier: 'codedx-3.5.5-viewer', platform_type: 'local', platform_image: 'swamp-viewer-machine' }, 'BOG'),
  );
  // what a viewer that ran and stopped leaves: its event log and the database bundle
  await mkdir(join(scratch, 'out'), { recursive: true });
  await writeFile(join(scratch, 'out', 'codedx_viewerdb.tar.gz'), 'viewer database bytes');
  await writeFile(join(scratch, 'out', 'job_events.log'), 'VIEWERUP\nVIEWERDOWN\n');
  // the same swamp.conf, but its DB on a closed port and no retries inside the hook
  const conf = (await readFile(CONFIG, 'utf8')).replace(/^dbPerlDsnPort\s*=.*$/m, 'dbPerlDsnPort = 9').concat('\noutbox_hook_retry_seconds = 0\n');
  // (a config file is only read from a directory nobody else may write)
  const confDir = await mkdtemp(join(tmpdir(), 'swamp-conf-'));
  cleanup.push(confDir);
  const badConf = join(confDir, 'swamp-db-down.conf');
  await writeFile(badConf, conf, { mode: 0o644 });
  const cluster = String(900_000 + Math.floor(Math.random() * 99_999));
  const post = await runProgram('jobhook', ['PostViewer', vrun, 'swamp', 'swamp-pool', cluster, '0', '0'], scratch, { ...env, SWAMP_CONFIG: badConf });
  const hookLog = join(LOG_DIR, `${project}_${cluster}.log`);
  cleanup.push(hookLog);
  if (post.exitCode !== 0) console.log(existsSync(hookLog) ? await readFile(hookLog, 'utf8') : `no log; stderr: ${post.stderr}`);
  expect(post.exitCode).toBe(0);
  const runDir = /^runDir\s*=\s*(.*)$/m.exec(conf)?.[1]?.trim() as string;
  const owed = join(runDir, 'outbox', `${vrun}.10-viewer-db.json`);
  expect(existsSync(owed)).toBe(true);
  const before = await db.select<{ viewer_db_path: string | null }>('SELECT viewer_db_path FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [viewerUuid]);
  expect(before[0]?.viewer_db_path ?? null).toBeNull();

  const drain = await runProgram('launchassessment', ['--drain'], scratch, env);
  expect([0, 75]).toContain(drain.exitCode);
  const row = (await db.select<{ viewer_db_path: string; viewer_db_checksum: string }>('SELECT viewer_db_path, viewer_db_checksum FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [viewerUuid]))[0];
  expect(row?.viewer_db_path).toMatch(new RegExp(`/projects/${project}/V-Runs/${viewerUuid}/codedx_viewerdb_\\d{14}\\.tar\\.gz$`));
  expect(row?.viewer_db_checksum).toBe(createHash('sha512').update(await readFile(row?.viewer_db_path as string)).digest('hex'));
  expect(existsSync(owed)).toBe(false);
  await db.execute('DELETE FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = ?', [viewerUuid]);
});
