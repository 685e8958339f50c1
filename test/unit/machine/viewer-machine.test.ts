import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import * as tar from 'tar';
import { containerAddress, ipFileText, main, playViewer, resolveViewerSettings } from '../../../lib/machine/viewer-machine.js';
import { safeFileName } from '../../../lib/machine/viewer-api.js';
import { runMonitor } from '../../../lib/monitor/run.js';
import { defaultMonitorConfig } from '../../../lib/monitor/state.js';
import type { AdValue } from '../../../lib/monitor/types.js';

// fetch() refuses the WHATWG "bad ports" (1719, 2049, 5060, 6000, 6665-6669, 10080, ...), and this
// machine hands out ports from 1024 up: the machine is started on a port fetch will talk to.
const FETCH_BAD_PORTS = new Set([1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);
async function fetchablePort(): Promise<string> {
  for (;;) {
    const srv = createServer();
    const port = await new Promise<number>((res) => srv.listen(0, '127.0.0.1', () => res((srv.address() as { port: number }).port)));
    await new Promise((res) => srv.close(res));
    if (!FETCH_BAD_PORTS.has(port)) return String(port);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmachine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const events = async (d = dir): Promise<string[]> => (await readFile(join(d, 'out', 'job_events.log'), 'utf8')).trim().split('\n');

async function waitForWord(word: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ev = await events().catch(() => [] as string[]);
    if (ev.includes(word)) return;
    if (Date.now() > end) throw new Error(`no ${word}; got ${ev.join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function tarEntries(file: string): Promise<string[]> {
  const names: string[] = [];
  await tar.list({ file, onReadEntry: (e) => names.push(e.path) });
  return names.sort();
}

const APIKEY = 'sekrit-key';
const PROJECT = 'proxy-4F7A';
const auth = { Authorization: `System-Key ${APIKEY}` };

async function setupJobDir(d: string): Promise<void> {
  await mkdir(join(d, 'in'), { recursive: true });
  // Docker viewers get run-params.sh in the scratch dir (PreViewer).
  await writeFile(join(d, 'run-params.sh'), `export PROJECT=${PROJECT}\nexport APIKEY=${APIKEY}\nexport VIEWER=CodeDX\n`);
}

test('serves the Code Dx upload API on 127.0.0.1, shuts down on SIGTERM with a database bundle', async () => {
  await setupJobDir(dir);
  const s = await resolveViewerSettings(['--job-dir', dir, '--delay-ms', '5', '--port', await fetchablePort()]);
  expect([s.project, s.apikey, s.host]).toEqual([PROJECT, APIKEY, '127.0.0.1']);
  const ac = new AbortController();
  const run = playViewer(s, ac.signal);
  const port = await run.port;
  await waitForWord('VIEWERUP');
  expect(await events()).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'MYSQLRUN', 'CREATEPROXY', 'PROPERTIES', 'TOMCATSTART', 'TOMCATRUN', 'TIMERSTART', 'VIEWERUP']);
  expect(await readFile(join(dir, 'out', 'job_ip_address.txt'), 'utf8')).toBe(`127.0.0.1:${port}\n`);

  const base = `http://127.0.0.1:${port}/${PROJECT}/api`;
  // uploadanalysisrun: list, create, re-list, upload
  expect(await (await fetch(`${base}/projects`, { headers: auth })).json()).toEqual({ projects: [] });
  expect((await fetch(`${base}/projects`)).status).toBe(401);
  expect(await (await fetch(`http://127.0.0.1:${port}/other/api/projects`, { headers: auth })).json()).toHaveProperty('error');
  const created = await fetch(`${base}/projects`, { method: 'PUT', headers: { ...auth, 'Content-type': 'application/json' }, body: '{ "name" : "snappy-c" }' });
  expect(await created.json()).toEqual({ id: 1, name: 'snappy-c' });
  const list = (await (await fetch(`${base}/projects`, { headers: auth })).json()) as { projects: { id: number; name: string }[] };
  expect(list.projects).toEqual([{ id: 1, name: 'snappy-c' }]);
  const form = new FormData();
  form.append('file1', new Blob(['<AnalyzerReport/>']), 'parsed_results.xml');
  form.append('file2', new Blob([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff])]), 'snappy-c.zip');
  const up = await fetch(`${base}/projects/1/analysis`, { method: 'POST', headers: auth, body: form });
  expect(up.status).toBe(202);
  const upBody = (await up.json()) as Record<string, unknown>;
  expect(upBody).not.toHaveProperty('error');
  expect(upBody.analysisId).toBe(1);
  // read back what arrived
  const analyses = (await (await fetch(`${base}/projects/1/analyses`, { headers: auth })).json()) as {
    analyses: { id: number; files: { field: string; name: string; size: number }[] }[];
  };
  expect(analyses.analyses[0]!.files.map((f) => [f.field, f.name, f.size])).toEqual([
    ['file1', 'parsed_results.xml', 17],
    ['file2', 'snappy-c.zip', 5],
  ]);
  const back = await fetch(`${base}/projects/1/analyses/1/files/parsed_results.xml`, { headers: auth });
  expect(await back.text()).toBe('<AnalyzerReport/>');
  expect((await fetch(`${base}/projects/9/analysis`, { method: 'POST', headers: auth, body: form })).status).toBe(404);

  ac.abort(); // what SIGTERM does in main()
  expect(await run.done).toBe(0);
  expect((await events()).slice(10)).toEqual([
    'VRUNSERVICESTOP',
    'VIEWERDBBACKUP',
    'VIEWERDBDUMPSUCCESS',
    'VIEWERDBCONFIGSUCCESS',
    'VIEWERDBBUNDLESUCCESS',
    'VIEWERDOWN',
  ]);
  expect(await tarEntries(join(dir, 'out', 'codedx_viewerdb.tar.gz'))).toEqual(['codedx.sql', 'codedx_config.tar']);
  const config = await tarEntries(join(dir, 'out', 'codedx_config.tar'));
  expect(config).toEqual(expect.arrayContaining(['config/codedx.props', 'config/files/1/1/parsed_results.xml', 'config/files/1/1/snappy-c.zip']));
  await expect(fetch(`${base}/projects`, { headers: auth })).rejects.toThrow(); // server closed

  // Next launch: PreViewer extracts the stored bundle into in/: the project is still there.
  const dir2 = join(dir, 'second');
  await setupJobDir(dir2);
  await tar.extract({ file: join(dir, 'out', 'codedx_viewerdb.tar.gz'), cwd: join(dir2, 'in') });
  const ac2 = new AbortController();
  const run2 = playViewer(await resolveViewerSettings(['--job-dir', dir2, '--delay-ms', '0', '--port', await fetchablePort()]), ac2.signal);
  const port2 = await run2.port;
  for (let i = 0; i < 200 && !(await events(dir2).catch((): string[] => [])).includes('VIEWERUP'); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await events(dir2)).toEqual(['RUNSHSTART', 'WROTEIPADDR', 'MYSQLSTART', 'MYSQLRUN', 'MYSQLDROP', 'USERDB', 'CREATEPROXY', 'CONFIG', 'PROPERTIES', 'TOMCATSTART', 'TOMCATRUN', 'TIMERSTART', 'VIEWERUP']);
  const base2 = `http://127.0.0.1:${port2}/${PROJECT}/api`;
  expect(await (await fetch(`${base2}/projects`, { headers: auth })).json()).toEqual({ projects: [{ id: 1, name: 'snappy-c' }] });
  expect(await (await fetch(`${base2}/projects/1/analyses/1/files/snappy-c.zip`, { headers: auth })).arrayBuffer()).toEqual(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff]).buffer);
  ac2.abort();
  expect(await run2.done).toBe(0);
});

test('main(): SIGTERM ends it; the monitor reports the viewer up with its vmip, then shut down', async () => {
  await setupJobDir(dir);
  await mkdir(join(dir, 'out'), { recursive: true });
  const ads: Readonly<Record<string, AdValue>>[] = [];
  const mon = runMonitor({
    config: defaultMonitorConfig({ kind: 'viewer', execrunuid: 'vrun_P_CodeDX', vmhostname: 'vswamp-3-0', viewerOptions: { viewer: 'CodeDX', urluuid: PROJECT, apikey: APIKEY } }),
    eventFile: join(dir, 'out', 'job_events.log'),
    ipFile: join(dir, 'out', 'job_ip_address.txt'),
    publisher: { publish: async (ad) => void ads.push(ad) },
    handleSignals: false,
  });
  const err: string[] = [];
  const exit = main(['--job-dir', dir, '--delay-ms', '20', '--port', await fetchablePort()], { stderr: (t) => void err.push(t) });
  await waitForWord('VIEWERUP');
  for (let i = 0; i < 100 && !ads.some((a) => a.SWAMP_vmu_viewer_status === 'Viewer is up'); i++) await new Promise((r) => setTimeout(r, 20));
  const up = ads.find((a) => a.SWAMP_vmu_viewer_status === 'Viewer is up');
  const ip = (await readFile(join(dir, 'out', 'job_ip_address.txt'), 'utf8')).trim();
  expect(up).toMatchObject({ SWAMP_vmu_viewer_state: '2', SWAMP_vmu_viewer_vmip: ip, SWAMP_vmu_viewer_url_uuid: PROJECT });
  const res = await fetch(`http://${ip}/${PROJECT}/api/projects`, { headers: auth });
  expect(res.status).toBe(200);
  process.emit('SIGTERM');
  expect(await exit).toBe(0);
  expect(err.join('')).toMatch(/^viewer-machine: listening on 127\.0\.0\.1:\d+\n$/);
  const r = await mon;
  expect(r.reason).toBe('VIEWERDOWN');
  expect(ads.map((a) => a.SWAMP_vmu_viewer_status).slice(-6)).toEqual([
    'Viewer is up',
    'Starting viewer database backup',
    'Viewer database dump succeeded',
    'Viewer configuration tar succeeded',
    'Viewer user data bundling succeeded',
    'Viewer shutdown complete',
  ]);
  expect(ads.at(-1)).toMatchObject({ SWAMP_vmu_viewer_state: '-3' });
});

test('idle timeout: CONNECTEDUSERS, TIMERSHUTDOWN, then the normal shutdown', async () => {
  await setupJobDir(dir);
  const run = playViewer(await resolveViewerSettings(['--job-dir', dir, '--delay-ms', '0', '--idle-timeout-ms', '150']), new AbortController().signal);
  expect(await run.done).toBe(0);
  const ev = await events();
  expect(ev.slice(ev.indexOf('VIEWERUP') + 1)).toEqual([
    'CONNECTEDUSERS',
    'TIMERSHUTDOWN',
    'VRUNSERVICESTOP',
    'VIEWERDBBACKUP',
    'VIEWERDBDUMPSUCCESS',
    'VIEWERDBCONFIGSUCCESS',
    'VIEWERDBBUNDLESUCCESS',
    'VIEWERDOWN',
  ]);
});

test('refuses non-loopback hosts; file names are sanitised', async () => {
  await expect(resolveViewerSettings(['--job-dir', dir, '--host', '0.0.0.0'])).rejects.toThrow(/127\.0\.0\.1/);
  expect(safeFileName('../../etc/passwd')).toBe('passwd');
  expect(safeFileName('..')).toBe('upload');
  expect(safeFileName('a b;c.zip')).toBe('a_b_c.zip');
});

test('own mode: the execute host\'s own address when argv or the environment says so, never from the BOG', async () => {
  const own = containerAddress();
  if (own !== undefined) {
    expect((await resolveViewerSettings(['--job-dir', dir, '--host', 'own'])).host).toBe(own);
    const s = await resolveViewerSettings(['--job-dir', dir], async () => false, { SWAMP_VIEWER_MACHINE_HOST: 'own' });
    expect(s).toMatchObject({ host: own, port: 0, tls: undefined });
    expect(ipFileText(s.host, 40123)).toBe(`${own}:40123\n`);
  }
  const withBog = await mkdtemp(join(tmpdir(), 'vmachine-own-'));
  try {
    await writeFile(join(withBog, 'x.bog'), 'local_machine_host=own\n');
    await expect(resolveViewerSettings(['--job-dir', withBog], async () => false, {})).rejects.toThrow(/127\.0\.0\.1, own or container/);
  } finally {
    await rm(withBog, { recursive: true, force: true });
  }
});

test('container mode: only inside a container; the bridge address; the bare IP on 8443 as docker_vrun.sh writes it', async () => {
  const args = ['--job-dir', dir, '--host', 'container'];
  await expect(resolveViewerSettings([...args, '--tls-cert', 'c', '--tls-key', 'k'], async () => false)).rejects.toThrow(/not running in a container/);
  await expect(resolveViewerSettings(args, async () => true)).rejects.toThrow(/--tls-cert/);
  const inside = await resolveViewerSettings([...args, '--tls-cert', 'c', '--tls-key', 'k'], async () => true);
  expect(inside).toMatchObject({ port: 8443, tls: { cert: 'c', key: 'k' } });
  expect(inside.host).not.toBe('127.0.0.1');
  const iface = (address: string, internal: boolean, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
    family === 'IPv4' ? { address, internal, family, netmask: '', mac: '', cidr: null } : { address, internal, family, netmask: '', mac: '', cidr: null, scopeid: 0 };
  expect(containerAddress({ lo: [iface('127.0.0.1', true)], eth0: [iface('fe80::1', false, 'IPv6'), iface('10.88.0.7', false)] })).toBe('10.88.0.7');
  expect(containerAddress({ lo: [iface('127.0.0.1', true)] })).toBeUndefined();
  expect(ipFileText('10.88.0.7', 8443)).toBe('10.88.0.7\n');
  expect(ipFileText('127.0.0.1', 40123)).toBe('127.0.0.1:40123\n');
});
