/**
 * The local platform's viewer machine: the executable of a vanilla-universe viewer job. It plays a
 * Code Dx viewer VM/container (deployment:SecureDecisions/docker_vrun.sh, codedx_viewerdb.sh,
 * Common/docker-viewer-management-service):
 *
 * start-up: RUNSHSTART, serve the viewer API on 127.0.0.1 (port given, or chosen by the OS), write
 *   `127.0.0.1:<port>` to out/job_ip_address.txt (a real machine writes its bare IP and serves on
 *   8443; the port is the local platform's addition), WROTEIPADDR, MYSQLSTART, MYSQLRUN,
 *   [MYSQLDROP, USERDB when in/codedx.sql was restored], CREATEPROXY, [CONFIG when
 *   in/codedx_config.tar was restored], PROPERTIES, TOMCATSTART, TOMCATRUN, TIMERSTART, VIEWERUP;
 * up: answers the Code Dx API subset of viewer-api.ts until SIGTERM (HTCondor's graceful removal);
 * optional idle timeout (checktimeout): CONNECTEDUSERS, TIMERSHUTDOWN, then the shutdown below;
 * shutdown: VRUNSERVICESTOP, VIEWERDBBACKUP, dump the database to out/codedx.sql ->
 *   VIEWERDBDUMPSUCCESS, tar the config dir to out/codedx_config.tar -> VIEWERDBCONFIGSUCCESS, bundle both
 *   into out/codedx_viewerdb.tar.gz -> VIEWERDBBUNDLESUCCESS, VIEWERDOWN, exit 0.
 *
 * PostViewer stores out/codedx_viewerdb.tar.gz; the next launch extracts it into in/ (db_path), so
 * the uploaded projects survive a stop/start exactly like a real viewer's. Our "codedx.sql" is a JSON
 * dump (there is no MySQL here); only this machine reads it.
 *
 * On an execute host of a facility (`--host own`, or SWAMP_VIEWER_MACHINE_HOST=own in the job's
 * environment, which the execute host sets with HTCondor's STARTER_JOB_ENVIRONMENT) it serves plain
 * http on the host's own address (its first non-loopback IPv4), as a viewer VM has its own address, so
 * the submit side's results upload reaches it from another host; the IP file holds `<ip>:<port>`.
 *
 * In a container (`--host container`, the docker platform's simulated viewer image built by
 * services/docker/engine.sh) it serves like a real docker viewer: https with the image's self-signed
 * certificate on the container's own address (its bridge interface, not published on the host), port
 * 8443, and writes the bare IP to the IP file as docker_vrun.sh does (the monitor adds `:8443`).
 *
 * Settings: argv, then run-params.sh (scratch dir or in/: PROJECT, APIKEY, VIEWER), then the BOG
 * (`urluuid`, `apikey`, `viewer`, `local_machine_<key>`):
 *   --job-dir D  --host 127.0.0.1|own|container  --port N (0 = any; container: 8443)  --delay-ms N (default 200)
 *   --event-mode append|truncate  --idle-timeout-ms N  --project <urluuid>  --apikey <key>
 *   --tls-cert F --tls-key F (PEM; required with --host container, https)
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { access, appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors/index.js';
import {
  EventWriter,
  ensureDirs,
  intOption,
  jobPaths,
  parseRunParams,
  readBog,
  readTextIfExists,
  sleep,
  type EventMode,
  defaultMachineIo,
  runMachine,
  type MachineIo,
  type JobPaths,
} from './common.js';
import { tarGzPaths } from './tarball.js';
import { createViewerApi, emptyDb, parseDb, type ViewerDb } from './viewer-api.js';

/** The execute host's choice of listening address (`own`: its own address), set in the job's environment. */
export const VIEWER_HOST_ENV = 'SWAMP_VIEWER_MACHINE_HOST';

/** The port a real viewer (and this machine in a container) serves https on. */
export const CONTAINER_VIEWER_PORT = 8443;

export interface ViewerMachineSettings {
  jobDir: string;
  host: string;
  port: number;
  /** PEM files: serve https (the container mode); absent: plain http on loopback. */
  tls?: { cert: string; key: string } | undefined;
  delayMs: number;
  eventMode: EventMode;
  idleTimeoutMs: number | undefined;
  project: string | undefined;
  apikey: string | undefined;
  viewer: string;
}

/** `probeContainer`: whether this process runs in a container (tests replace it). */
export async function resolveViewerSettings(
  argv: readonly string[],
  probeContainer: () => Promise<boolean> = inContainer,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ViewerMachineSettings> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'job-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'delay-ms': { type: 'string' },
      'event-mode': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      project: { type: 'string' },
      apikey: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  });
  const jobDir = resolve(values['job-dir'] ?? process.cwd());
  const p = jobPaths(jobDir);
  // Docker viewers get ./run-params.sh in the scratch dir, VM viewers in/run-params.sh (PreViewer).
  const params = parseRunParams(
    ((await readTextIfExists(join(jobDir, 'run-params.sh'))) ?? '') + '\n' + ((await readTextIfExists(join(p.inDir, 'run-params.sh'))) ?? ''),
  );
  const bog = await readBog(p);
  const pick = (...vals: (string | undefined)[]): string | undefined => vals.find((v) => v !== undefined && v !== '' && v !== 'null');
  const fromHost = values.host ?? env[VIEWER_HOST_ENV];
  const host = fromHost ?? bog.get('local_machine_host') ?? '127.0.0.1';
  let listenHost = '127.0.0.1';
  let tls: { cert: string; key: string } | undefined;
  if (host === 'own' && fromHost !== undefined) {
    // The execute host's own address, as a viewer VM has its own on the facility's network: the
    // submit side (launch_viewer's results upload) reaches it from another host. Only the execute
    // host decides this (argv, or its environment: HTCondor's STARTER_JOB_ENVIRONMENT), never the BOG.
    listenHost = containerAddress() ?? '';
    if (listenHost === '') throw new UsageError('--host own: no IPv4 address on a non-loopback interface');
  } else if (host === 'container') {
    // Only inside a container: its address is then the container's own bridge interface, which only
    // the host reaches (nothing is published), like a real docker viewer's.
    if (!(await probeContainer())) throw new UsageError('--host container: not running in a container (no /run/.containerenv or /.dockerenv)');
    listenHost = containerAddress() ?? '';
    if (listenHost === '') throw new UsageError('--host container: no IPv4 address on a non-loopback interface');
    const cert = values['tls-cert'];
    const key = values['tls-key'];
    if (cert === undefined || key === undefined) throw new UsageError('--host container needs --tls-cert and --tls-key (a viewer serves https)');
    tls = { cert, key };
  } else if (host !== '127.0.0.1' && host !== 'localhost') {
    // Outside a container the machine has no authentication beyond the API key: unless the execute
    // host says `own`, it never listens beyond loopback (and the IP channel carries an IPv4 dotted quad).
    throw new UsageError(`--host must be 127.0.0.1, own or container, got '${host}'`);
  }
  const eventMode = (values['event-mode'] ?? bog.get('local_machine_event_mode') ?? 'append') as EventMode;
  if (eventMode !== 'append' && eventMode !== 'truncate') throw new UsageError(`unknown event mode '${String(eventMode)}'`);
  const port = intOption('port', values.port ?? bog.get('local_machine_port')) ?? (tls !== undefined ? CONTAINER_VIEWER_PORT : 0);
  if (port > 65535) throw new UsageError(`--port out of range: ${port}`);
  return {
    jobDir,
    host: listenHost,
    port,
    tls,
    delayMs: intOption('delay-ms', values['delay-ms'] ?? bog.get('local_machine_delay_ms')) ?? 200,
    eventMode,
    idleTimeoutMs: intOption('idle-timeout-ms', values['idle-timeout-ms'] ?? bog.get('local_machine_idle_timeout_ms')),
    project: pick(values.project, params.get('PROJECT'), bog.get('urluuid')),
    apikey: pick(values.apikey, params.get('APIKEY'), bog.get('apikey')),
    viewer: pick(params.get('VIEWER'), bog.get('viewer')) ?? 'CodeDX',
  };
}

async function inContainer(): Promise<boolean> {
  return (await exists('/run/.containerenv')) || (await exists('/.dockerenv'));
}

/** The first IPv4 address of a non-loopback interface (a container's or an execute host's eth0). */
export function containerAddress(ifaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string | undefined {
  for (const name of Object.keys(ifaces).sort()) {
    for (const a of ifaces[name] ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** What the machine writes to the IP file: the bare IP on the real viewer port (docker_vrun.sh), else ip:port. */
export function ipFileText(host: string, port: number): string {
  return port === CONTAINER_VIEWER_PORT ? `${host}\n` : `${host}:${port}\n`;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

/** Where the machine keeps its state: /var/lib/codedx/<PROJECT> of a real viewer. */
export function stateDir(p: JobPaths, project: string | undefined): string {
  return join(p.jobDir, 'viewer-state', project ?? 'PROJECT');
}

export interface ViewerRun {
  /** Resolves with the port once the API listens (before VIEWERUP). */
  port: Promise<number>;
  /** Resolves with the exit code after the shutdown sequence. */
  done: Promise<number>;
}

/**
 * Plays the viewer until `stop` aborts (SIGTERM) or the idle timeout; see the header for the sequence.
 */
export function playViewer(s: ViewerMachineSettings, stop: AbortSignal): ViewerRun {
  let portResolve!: (n: number) => void;
  let portReject!: (e: unknown) => void;
  const port = new Promise<number>((res, rej) => {
    portResolve = res;
    portReject = rej;
  });
  const done = run().catch((e: unknown) => {
    portReject(e);
    throw e;
  });
  // A caller that only awaits `done` must not see an unhandled rejection of `port`.
  port.catch(() => undefined);
  return { port, done };

  async function run(): Promise<number> {
    const p = jobPaths(s.jobDir);
    await ensureDirs(p);
    const ev = new EventWriter(p, s.eventMode);
    const state = stateDir(p, s.project);
    const configDir = join(state, 'config');
    let ready = false;
    let db: ViewerDb = emptyDb();
    let lastActivity = Date.now();

    const startup = async (): Promise<void> => {
      const steps: (() => Promise<void>)[] = [
        () => sleep(s.delayMs, stop),
        async () => {
          const text = ipFileText(s.host, actualPort);
          await writeFile(p.ipFile, text);
          await ev.record('WROTEIPADDR', `Wrote ${text.trim()} to ${p.ipFile}`);
        },
        () => ev.record('MYSQLSTART', 'checking mysql service status'),
        () => sleep(s.delayMs, stop),
        () => ev.record('MYSQLRUN', 'Service mysql running'),
        async () => {
          const dump = await readTextIfExists(join(p.inDir, 'codedx.sql'));
          if (dump === undefined) return;
          await ev.record('MYSQLDROP', `Dropping and creating ${s.viewer} database`);
          db = parseDb(dump);
          await ev.record('USERDB', `Restoring ${s.viewer} user database from codedx.sql`);
        },
        async () => {
          await rm(state, { recursive: true, force: true });
          await mkdir(configDir, { recursive: true });
          await ev.record('CREATEPROXY', `Extracting ${state}/config`);
        },
        async () => {
          const configTar = join(p.inDir, 'codedx_config.tar');
          if (!(await exists(configTar))) return;
          await ev.record('CONFIG', `Restoring ${s.viewer} config from codedx_config.tar`);
          const tar = await import('tar');
          // node-tar refuses absolute paths and `..` entries by default: nothing lands outside `state`.
          await tar.extract({ file: configTar, cwd: state });
        },
        async () => {
          await ev.record('PROPERTIES', 'Setting system-key in codedx.props');
          await appendFile(join(configDir, 'codedx.props'), `swa.admin.system-key=${s.apikey ?? ''}\n`);
        },
        () => ev.record('TOMCATSTART', 'Starting tomcat service'),
        () => sleep(s.delayMs, stop),
        async () => {
          ready = true;
          await ev.record('TOMCATRUN', 'Service tomcat running');
        },
        () => ev.record('TIMERSTART', 'Starting checktimeout'),
        () => sleep(s.delayMs, stop),
        () => ev.record('VIEWERUP', `${s.viewer} viewer is UP`),
      ];
      for (const st of steps) {
        if (stop.aborted) return;
        await st();
      }
    };

    await ev.record('RUNSHSTART', `Starting ${s.viewer} viewer via run.sh (local machine)`);
    await writeFile(join(p.outDir, 'run.epoch'), `${Math.floor(Date.now() / 1000)}\n`);
    const api = createViewerApi({
      project: s.project,
      apikey: s.apikey,
      configDir,
      get db() {
        return db;
      },
      isReady: () => ready,
      onActivity: () => {
        lastActivity = Date.now();
      },
    });
    const server = s.tls === undefined ? createServer(api) : createHttpsServer({ cert: await readFile(s.tls.cert), key: await readFile(s.tls.key) }, api);
    const actualPort = await listen(server, s.host, s.port);
    portResolve(actualPort);
    try {
      // SIGTERM during start-up skips the rest of it and goes straight to the shutdown sequence,
      // as the trap in docker-viewer-management-service does.
      await startup();
      const reason = await waitForStop(stop, s.idleTimeoutMs, () => lastActivity);
      if (reason === 'idle') {
        await ev.record('CONNECTEDUSERS', 'checking for connected users');
        await ev.record('TIMERSHUTDOWN', `Shutting down ${s.viewer} viewer after timeout`);
      }
      await shutdown(p, ev, state, db);
      return 0;
    } finally {
      ready = false;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function waitForStop(stop: AbortSignal, idleMs: number | undefined, lastActivity: () => number): Promise<'signal' | 'idle'> {
  while (!stop.aborted) {
    if (idleMs !== undefined && Date.now() - lastActivity() >= idleMs) return 'idle';
    await sleep(idleMs === undefined ? 3_600_000 : Math.min(1000, idleMs), stop);
  }
  return 'signal';
}

/** docker-viewer-management-service call_shutdown + codedx_viewerdb.sh. */
async function shutdown(p: JobPaths, ev: EventWriter, state: string, db: ViewerDb): Promise<void> {
  await ev.record('VRUNSERVICESTOP', 'Stopping with dump of viewer persistent data');
  await ev.record('VIEWERDBBACKUP', `dump to ${join(p.outDir, 'codedx.sql')}`);
  let dumped = false;
  try {
    await writeFile(join(p.outDir, 'codedx.sql'), JSON.stringify(db, null, 1) + '\n');
    dumped = true;
    await ev.record('VIEWERDBDUMPSUCCESS', 'dump completed');
  } catch (e) {
    await ev.record('VIEWERDBDUMPFAIL', `dump failed: ${String(e)}`);
  }
  let configTarred = false;
  try {
    await tarGzPaths(join(p.outDir, 'codedx_config.tar'), state, ['config'], false);
    configTarred = true;
    await ev.record('VIEWERDBCONFIGSUCCESS', 'tar of config completed');
  } catch (e) {
    await ev.record('VIEWERDBCONFIGFAIL', `tar of config failed: ${String(e)}`);
  }
  const members = [...(dumped ? ['codedx.sql'] : []), ...(configTarred ? ['codedx_config.tar'] : [])];
  if (members.length === 0) {
    await ev.record('VIEWERDBNOBUNDLE', 'no results to bundle');
  } else {
    try {
      await tarGzPaths(join(p.outDir, 'codedx_viewerdb.tar.gz'), p.outDir, members);
      await ev.record('VIEWERDBBUNDLESUCCESS', `bundled ${members.join(' ')} into codedx_viewerdb.tar.gz`);
    } catch (e) {
      await ev.record('VIEWERDBBUNDLEFAIL', `bundling failed: ${String(e)}`);
    }
  }
  await ev.record('VIEWERDOWN', 'Shutting down viewer machine');
}

/** Program entry: runs until SIGTERM/SIGINT; returns the exit code. Reports the port on stderr. */
export function main(argv: string[], io: MachineIo = defaultMachineIo): Promise<number> {
  return runMachine(
    'viewer-machine',
    () => resolveViewerSettings(argv),
    (settings, signal) => {
      const r = playViewer(settings, signal);
      r.port.then(
        (port) => io.stderr(`viewer-machine: listening on ${settings.host}:${port}\n`),
        () => undefined,
      );
      return r.done;
    },
    io,
  );
}
