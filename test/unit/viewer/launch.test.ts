import { DEFAULT_ARCHIVE_BUDGET } from '../../../lib/files/budget.js';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwampError } from '../../../lib/errors/index.js';
import type { StatusAd } from '../../../lib/status/index.js';
import { parseBog } from '../../../lib/bog/index.js';
import type { ViewerOps } from '../../../lib/viewer/condor.js';
import type { QueuedJob } from '../../../lib/viewer/decide.js';
import { handleViewerRequest, type ViewerDeps } from '../../../lib/viewer/launch.js';
import { viewerRequest } from '../../../lib/viewer/options.js';
import type { ViewerSettings } from '../../../lib/viewer/settings.js';
import type { LaunchSettings } from '../../../lib/submission/settings.js';

const P = '0258026e-6c62-4591-8378-89580a707e83';
const ID = `vrun_${P}_CodeDX`;

/** An in-memory collector + schedd: submit queues an idle job; the fake "job" is never started. */
class FakeCondor implements ViewerOps {
  ads: StatusAd[] = [];
  jobs: QueuedJob[] = [];
  submits = 0;
  failSubmit = false;
  current(): StatusAd | undefined {
    return this.ads[this.ads.length - 1];
  }
  async readAd(): Promise<Record<string, unknown> | undefined> {
    await new Promise((r) => setTimeout(r, 1));
    return this.current();
  }
  async queuedJobs(): Promise<QueuedJob[]> {
    await new Promise((r) => setTimeout(r, 1));
    return [...this.jobs];
  }
  async advertise(ad: StatusAd): Promise<void> {
    this.ads.push(ad);
  }
  async platform() {
    return { type: 'local' as const, identifier: 'codedx-3.5.5-viewer', image: 'swamp-viewer-machine' };
  }
  async submit(): Promise<number> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failSubmit) throw new SwampError('usage', 'condor_submit rejected the description');
    this.submits++;
    this.jobs.push({ cluster: 100 + this.submits, proc: 0, jobStatus: 1 });
    return 100 + this.submits;
  }
}

let runDir: string;
beforeEach(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'swamp-viewer-unit-'));
});
afterEach(async () => {
  await rm(runDir, { recursive: true, force: true });
});

function deps(condor: FakeCondor, over: Partial<ViewerDeps> = {}): ViewerDeps {
  const base = { runDir, binDir: '/opt/swamp/bin', resultsFolder: '/r/', owner: 'swamp', swampInABox: true, bridgeInterface: undefined, configPath: '/opt/swamp/etc/swamp.conf' } as unknown as LaunchSettings;
  const settings: ViewerSettings = { base, masterViewer: 'codedx-3.5.5-viewer', viewerType: 'local', lockWaitMs: 30_000, stoppingWaitMs: 50, uploadPollMs: 1, uploadTimeoutMs: 200, archiveBudget: DEFAULT_ARCHIVE_BUDGET };
  return { settings, ops: condor, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))), ...over };
}

const req = (o: Record<string, unknown> = {}) => viewerRequest({ viewer_uuid: 'v-uuid', user_uuid: 'u-uuid', ...o }, P, 'CodeDX');

test('a fresh launch: statuses in order, first ad identifies the viewer, BOG and submit file in the job dir', async () => {
  const c = new FakeCondor();
  const r = await handleViewerRequest(req(), deps(c));
  expect(r).toMatchObject({ launch: 'launched', clusterId: 101, upload: 'none' });
  expect(c.ads.map((a) => [a.SWAMP_vmu_viewer_state, a.SWAMP_vmu_viewer_status])).toEqual([
    ['1', 'Launching Viewer VM'],
    ['1', 'Launching viewer'],
    ['1', 'Creating HTCondor job'],
    ['1', 'Waiting in HTCondor Queue'],
  ]);
  expect(c.ads[0]).toMatchObject({ SWAMP_vmu_viewer_projectid: P, SWAMP_vmu_viewer_name: 'CodeDX', SWAMP_vmu_viewer_instance_uuid: 'v-uuid', SWAMP_vmu_viewer_user_uuid: 'u-uuid' });
  const dirs = (await readdir(runDir)).filter((d) => d.startsWith('vswamp_'));
  expect(dirs).toEqual([r.jobDir]);
  const files = await readdir(join(runDir, dirs[0] as string));
  expect(files.sort()).toEqual(['ClusterId_101', `${ID}.bog`, `${ID}.sub`, `${ID}_submitbundle.tar.gz`].sort());
  const bog = parseBog(await readFile(join(runDir, dirs[0] as string, `${ID}.bog`), 'utf8'));
  expect(bog).toMatchObject({ execrunid: ID, platform_type: 'local', vmhostname: 'vswamp', use_baked_viewer: '1' });
  expect(c.ads[1]).toMatchObject({ SWAMP_vmu_viewer_apikey: bog.apikey, SWAMP_vmu_viewer_url_uuid: bog.urluuid });
  expect(await readdir(runDir)).not.toContain(`${ID}.lock`);
});

test('20 concurrent requests for one project and viewer: exactly one job', async () => {
  const c = new FakeCondor();
  const d = deps(c);
  const results = await Promise.all(Array.from({ length: 20 }, () => handleViewerRequest(req(), d)));
  expect(c.submits).toBe(1);
  expect(results.filter((r) => r.launch === 'launched')).toHaveLength(1);
  expect(results.filter((r) => r.launch === 'running')).toHaveLength(19);
});

test('a TERMINATE_FAILED viewer still in the queue gets no twin', async () => {
  const c = new FakeCondor();
  c.jobs.push({ cluster: 5, proc: 0, jobStatus: 2 });
  c.ads.push({ MyType: 'Generic', Name: ID, SWAMP_vmu_viewer_state: '-8', SWAMP_vmu_viewer_status: 'Terminate Failed' } as StatusAd);
  const r = await handleViewerRequest(req(), deps(c));
  expect(r.launch).toBe('running');
  expect(c.submits).toBe(0);
  expect(c.ads).toHaveLength(1);
});

test('a failed submit ends at ERROR -5 `Launch viewer error`, no LAUNCHING ad left, no job dir left', async () => {
  const c = new FakeCondor();
  c.failSubmit = true;
  const r = await handleViewerRequest(req({ package_name: 'zlib', file_path: ['/x'] }), deps(c));
  expect(r).toMatchObject({ launch: 'failed', upload: 'skipped' });
  expect(c.current()).toMatchObject({ SWAMP_vmu_viewer_state: '-5', SWAMP_vmu_viewer_status: 'Launch viewer error', SWAMP_vmu_viewer_projectid: P });
  expect((await readdir(runDir)).filter((d) => d.startsWith('vswamp_'))).toEqual([]);
});

test('a failed lookup launches nothing and advertises nothing', async () => {
  const c = new FakeCondor();
  c.readAd = async () => {
    throw new SwampError('busy', 'collector down');
  };
  const r = await handleViewerRequest(req(), deps(c));
  expect(r.launch).toBe('lookup-failed');
  expect(c.ads).toEqual([]);
});

test('upload: waits for READY `Viewer is up`, then sends results + the package archive', async () => {
  const c = new FakeCondor();
  let polls = 0;
  const sent: { url: string; pkg: string; files: readonly string[] }[] = [];
  const orig = c.readAd.bind(c);
  c.readAd = async () => {
    const ad = await orig();
    if (c.submits > 0 && ++polls > 3) {
      return { ...ad, SWAMP_vmu_viewer_state: '2', SWAMP_vmu_viewer_status: 'Viewer is up', SWAMP_vmu_viewer_vmip: '127.0.0.1:4555' };
    }
    return ad;
  };
  const file = join(runDir, 'parsed_results.xml');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, '<AnalyzerReport/>');
  const archive = join(runDir, 'pkg.zip');
  await writeFile(archive, 'PK');
  const r = await handleViewerRequest(req({ package_name: 'zlib', package_type: '1', source_archive_path: archive, file_path: [file, '/nonexistent'] }), deps(c, {
    upload: async (ep, url, pkg, files) => {
      sent.push({ url, pkg, files });
      expect(ep.apikey).toMatch(/^[0-9A-F-]{36}$/);
      return {};
    },
  }));
  expect(r).toMatchObject({ launch: 'launched', upload: 'uploaded' });
  expect(sent).toHaveLength(1);
  expect(sent[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:4555\/proxy-[0-9A-F-]{36}\/api$/);
  expect(sent[0]?.files).toEqual([file, archive]);
});

test('upload: a viewer that stops or never comes up gets no upload', async () => {
  const c = new FakeCondor();
  const r = await handleViewerRequest(req({ package_name: 'zlib', file_path: ['/x'] }), deps(c));
  expect(r.upload).toBe('timeout');
  const c2 = new FakeCondor();
  c2.ads.push({ MyType: 'Generic', Name: ID, SWAMP_vmu_viewer_state: '-1', SWAMP_vmu_viewer_status: 'Viewer is starting shutdown' } as StatusAd);
  c2.jobs.push({ cluster: 9, proc: 0, jobStatus: 2 });
  expect((await handleViewerRequest(req({ package_name: 'zlib', file_path: ['/x'] }), deps(c2))).upload).toBe('not-up');
});

test('a viewer job leaving the queue is waited for, then a new one is launched; the old job dir is removed', async () => {
  const c = new FakeCondor();
  const first = await handleViewerRequest(req(), deps(c));
  expect(first.launch).toBe('launched');
  // the first job was removed: still in the queue as JobStatus 3 for a few polls, then gone
  (c.jobs[0] as QueuedJob).jobStatus = 3;
  let polls = 0;
  const orig = c.queuedJobs.bind(c);
  c.queuedJobs = async () => {
    if (++polls === 3) c.jobs = [];
    return orig();
  };
  const d = deps(c);
  d.settings.stoppingWaitMs = 10_000;
  const second = await handleViewerRequest(req(), d);
  expect(second).toMatchObject({ launch: 'launched', clusterId: 102 });
  expect((await readdir(runDir)).filter((n) => n.startsWith('vswamp_'))).toEqual([second.jobDir]);
});
