/** PreViewer and PostViewer on temp scratch dirs with an in-memory collector and DB. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { readBogFile } from '../../../lib/bog/index.js';
import type { StoreViewerArgs } from '../../../lib/db/index.js';
import { postViewer } from '../../../lib/hooks/post-viewer.js';
import { preViewer } from '../../../lib/hooks/pre-viewer.js';
import { PROJECT, USER, VIEWER_UUID, VRUN, fixture, jobArgs, testContext, writeSubmitBundle, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

function viewerBog(over: Record<string, string> = {}): Record<string, string> {
  return {
    execrunid: VRUN,
    resultsfolder: `${f.results}/`,
    projectid: PROJECT,
    viewer: 'CodeDX',
    viewer_uuid: VIEWER_UUID,
    userid: USER,
    apikey: 'K3Y',
    urluuid: 'proxy-1234ABCD',
    platform_identifier: 'codedx-3.5.5-viewer',
    platform_type: 'local',
    platform_image: 'swamp-viewer-machine',
    vmhostname: 'vswamp',
    use_docker_universe: '',
    use_baked_viewer: '1',
    ...over,
  };
}

describe('PreViewer', () => {
  test('local platform: run-params.sh by code, BOG re-saved into in/, LAUNCHING Starting DC, monitor', async () => {
    // a saved viewer database from an earlier run (db_path)
    const saved = join(f.root, 'saved');
    await mkdir(saved, { recursive: true });
    await writeFile(join(saved, 'codedx.sql'), '-- dump\n');
    await tar.c({ gzip: true, file: join(f.root, 'db.tar.gz'), cwd: saved }, ['codedx.sql']);
    await writeSubmitBundle(f, VRUN, viewerBog({ db_path: join(f.root, 'db.tar.gz') }));
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await preViewer(ctx)).toBe(0);

    const params = await readFile(join(f.scratch, 'run-params.sh'), 'utf8');
    expect(params).toContain('export PROJECT=proxy-1234ABCD\nexport APIKEY=K3Y\n');
    expect(params).toContain(`export SWAMP_EVENT_FILE=${f.scratch}/out/job_events.log\n`);
    const bog = readBogFile(join(f.scratch, 'in', `${VRUN}.bog`));
    expect(bog).toMatchObject({ vmhostname: 'vswamp-42-0', viewerversion: 'unknown', viewerplatform: 'swamp-viewer-machine' });
    expect((await readdir(join(f.scratch, 'in'))).sort()).toEqual(['codedx.sql', `${VRUN}.bog`]);
    expect(ctx.publisher.ads).toEqual([
      {
        MyType: 'Generic',
        Name: VRUN,
        SWAMP_vmu_viewer_vmhostname: 'vswamp-42-0',
        SWAMP_vmu_viewer_state: '1',
        SWAMP_vmu_viewer_status: 'Starting DC',
        SWAMP_vmu_viewer_name: 'CodeDX',
        SWAMP_vmu_viewer_vmip: 'null',
        SWAMP_vmu_viewer_apikey: 'K3Y',
        SWAMP_vmu_viewer_user_uuid: USER,
        SWAMP_vmu_viewer_projectid: PROJECT,
        SWAMP_vmu_viewer_instance_uuid: VIEWER_UUID,
        SWAMP_vmu_viewer_url_uuid: 'proxy-1234ABCD',
      },
    ]);
    expect(ctx.monitors).toEqual(['MonitorViewer']);
  });

  test('vm platform: run-params.sh in in/, disks without init patch, Starting VM', async () => {
    await writeSubmitBundle(f, VRUN, viewerBog({ platform_type: 'VM', platform_image: '/img/condor-codedx-3.5.5-viewer-master-2020010101.qcow2' }));
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await preViewer(ctx)).toBe(0);
    expect(await readFile(join(f.scratch, 'in', 'run-params.sh'), 'utf8')).toContain("export MACHINE_SHUTDOWN_COMMAND='/sbin/shutdown -h now'\n");
    expect(ctx.tools.map((t) => t.cmd.command)).toEqual(['qemu-img', 'virt-make-fs', 'virt-make-fs']);
    expect(ctx.publisher.statuses()).toEqual(['Starting VM']);
  });

  test('no bundle: ERROR Unable to Start VM (legacy left LAUNCHING), exit 1', async () => {
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await preViewer(ctx)).toBe(1);
    expect(ctx.publisher.ads[0]).toMatchObject({ SWAMP_vmu_viewer_state: '-5', SWAMP_vmu_viewer_status: 'Unable to Start VM' });
  });
});

describe('PreViewer: the saved viewer database has the archive budget', () => {
  test('a restore past archive_max_entries leaves nothing extracted; the viewer still starts (empty database)', async () => {
    const saved = join(f.root, 'saved');
    await mkdir(saved, { recursive: true });
    const names = Array.from({ length: 20 }, (_, i) => `t${i}.sql`);
    for (const n of names) await writeFile(join(saved, n), '-- dump\n');
    await tar.c({ gzip: true, file: join(f.root, 'db.tar.gz'), cwd: saved }, names);
    await writeSubmitBundle(f, VRUN, viewerBog({ db_path: join(f.root, 'db.tar.gz') }));
    const ctx = testContext(f, jobArgs(VRUN), 'archive_max_entries = 10\n');
    expect(await preViewer(ctx)).toBe(0);
    expect((await readdir(join(f.scratch, 'in'))).sort()).toEqual([`${VRUN}.bog`]);
    expect(ctx.publisher.statuses()).toEqual(['Starting DC']);
  });

  test('links in the saved database are not extracted (the legacy tar restored them)', async () => {
    const saved = join(f.root, 'saved');
    await mkdir(saved, { recursive: true });
    await writeFile(join(saved, 'codedx.sql'), '-- dump\n');
    await symlink('/etc/passwd', join(saved, 'passwd'));
    await tar.c({ gzip: true, file: join(f.root, 'db.tar.gz'), cwd: saved }, ['codedx.sql', 'passwd']);
    await writeSubmitBundle(f, VRUN, viewerBog({ db_path: join(f.root, 'db.tar.gz') }));
    expect(await preViewer(testContext(f, jobArgs(VRUN)))).toBe(0);
    expect((await readdir(join(f.scratch, 'in'))).sort()).toEqual(['codedx.sql', `${VRUN}.bog`]);
    // the secrets of the job are the job owner's only
    expect((await stat(join(f.scratch, 'run-params.sh'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(f.scratch, 'in', `${VRUN}.bog`))).mode & 0o777).toBe(0o600);
  });
});

describe('PostViewer', () => {
  async function ranViewer(events: string, bundle = true): Promise<void> {
    await writeSubmitBundle(f, VRUN, viewerBog());
    expect(await preViewer(testContext(f, jobArgs(VRUN)))).toBe(0);
    await writeFile(join(f.scratch, 'out', 'job_events.log'), events);
    if (bundle) await writeFile(join(f.scratch, 'out', 'codedx_viewerdb.tar.gz'), 'bundle bytes');
  }

  test('bundle copied under V-Runs, SHA-512, store_viewer, STOPPING then SHUTDOWN', async () => {
    await ranViewer('RUNSHSTART\nWROTEIPADDR\nVIEWERUP\nVIEWERDBBUNDLESUCCESS\nVIEWERDOWN\n');
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await postViewer(ctx)).toBe(0);
    expect(ctx.stopped).toBe(1);
    const dest = join(f.projects, PROJECT, 'V-Runs', VIEWER_UUID, 'codedx_viewerdb_20261128183005.tar.gz');
    expect(await readFile(dest, 'utf8')).toBe('bundle bytes');
    const call = ctx.db.calls.find((c) => c.op === 'storeViewer')?.args as StoreViewerArgs;
    expect(call).toEqual({
      viewerInstanceUuid: VIEWER_UUID,
      viewerDbPath: dest,
      viewerDbChecksum: createHash('sha512').update('bundle bytes').digest('hex'),
      platformImage: 'swamp-viewer-machine',
      viewerVersion: 'unknown',
    });
    expect(ctx.publisher.ads.map((a) => [a.SWAMP_vmu_viewer_state, a.SWAMP_vmu_viewer_status])).toEqual([
      ['-1', 'Viewer is starting shutdown'],
      ['-3', 'Viewer shutdown completed'],
    ]);
  });

  test('a bundle that is a symlink out of the scratch dir is not copied: exit 1, nothing stored', async () => {
    await ranViewer('VIEWERUP\nVIEWERDOWN\n', false);
    const secret = join(f.root, 'global_priv.MAD');
    await writeFile(secret, 'SECRET');
    await symlink(secret, join(f.scratch, 'out', 'codedx_viewerdb.tar.gz'));
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await postViewer(ctx)).toBe(1);
    expect(ctx.db.ops()).toEqual([]);
    const vruns = join(f.projects, PROJECT, 'V-Runs', VIEWER_UUID);
    expect(await readdir(vruns).catch(() => [])).toEqual([]);
  });

  test('no bundle: still SHUTDOWN, exit 0, nothing stored', async () => {
    await ranViewer('RUNSHSTART\nVIEWERUP\nTIMERSHUTDOWN\n', false);
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await postViewer(ctx)).toBe(0);
    expect(ctx.db.ops()).toEqual([]);
    expect(ctx.publisher.statuses()).toEqual(['Viewer is starting shutdown', 'Viewer shutdown completed']);
  });

  test('store_viewer failure: exit 1', async () => {
    await ranViewer('VIEWERUP\nVIEWERDOWN\n');
    const ctx = testContext(f, jobArgs(VRUN));
    ctx.db.storeResult = 'ERROR: Viewer Instance Not Found';
    expect(await postViewer(ctx)).toBe(1);
    expect(ctx.publisher.statuses().at(-1)).toBe('Viewer shutdown completed');
  });

  test.each([
    ['RUNSHSTART\nMYSQLFAIL\nMYSQLSHUTDOWN\n', 'Viewer did not start - status: MYSQLSHUTDOWN'],
    ['', 'Viewer did not start - status: '],
  ])('did not start (%j): SHUTDOWN with empty options, exit 1', async (events, text) => {
    await ranViewer(events);
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await postViewer(ctx)).toBe(1);
    expect(ctx.publisher.ads).toEqual([expect.objectContaining({ SWAMP_vmu_viewer_state: '-3', SWAMP_vmu_viewer_status: text, SWAMP_vmu_viewer_apikey: 'null' })]);
  });

  test('no event file at all', async () => {
    const ctx = testContext(f, jobArgs(VRUN));
    expect(await postViewer(ctx)).toBe(1);
    expect(ctx.publisher.statuses()).toEqual(['Viewer did not start - status: no out/job_events.log']);
  });
});
