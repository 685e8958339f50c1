/**
 * `swampctl containers`: HTCondor's leaked docker-universe containers (created, never started, starter
 * gone) found and removed on the real engine (services/docker/engine.sh: podman's Docker API, the
 * docker CLI HTCondor's starter uses). The containers are made here as the starter names and labels
 * them; one whose "starter" is alive (this test's own pid) and one that is not HTCondor's stay.
 * SWAMP_DOCKER=0 skips this file (a host without an engine).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunResult } from '../../../lib/proc/run.js';
import { projectDir } from '../helpers/db-env.js';

const off = process.env.SWAMP_DOCKER === '0';
const suite = off ? describe.skip : describe;
const ROOT = process.env.SWAMP_CONDOR_CHROOT ?? '/opt/swamp-condor/root';
const DOCKER = join(ROOT, 'usr/local/libexec/swamp-docker/docker.real');
const DOCKER_ENV = { DOCKER_HOST: `unix://${join(ROOT, 'run/swamp-podman/podman.sock')}` };
// the installed program (make install DESTDIR=.local/inst, scripts/services.sh)
const BIN = join(process.env.SWAMP_PREFIX ?? join(projectDir(), '.local', 'inst', 'opt', 'swamp'), 'bin', 'swampctl');

let tmp: string;
let conf: string;
let image: string;
const made: string[] = [];

function docker(args: string[]): Promise<RunResult> {
  return run(DOCKER, args, { timeoutMs: 60_000, env: DOCKER_ENV });
}
async function swampctl(args: string[]): Promise<{ code: number; doc: { containers: { name: string; action: string; reason: string }[] } }> {
  const r = await run(BIN, [...args, '--json'], { timeoutMs: 60_000, okExitCodes: [0, 1, 2, 66, 70, 75, 77, 78], env: { SWAMP_CONFIG: conf, ...DOCKER_ENV } });
  return { code: r.exitCode, doc: JSON.parse(r.stdout) as { containers: { name: string; action: string; reason: string }[] } };
}
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid as number;
}

suite('swampctl containers', () => {
  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} missing: make build`);
    image = (await run(join(projectDir(), 'services', 'docker', 'engine.sh'), ['image'], { timeoutMs: 30_000 })).stdout.trim();
    tmp = mkdtempSync('/tmp/swampctl-containers-');
    mkdirSync(join(tmp, 'log'), { mode: 0o700 });
    const base = readFileSync(process.env.SWAMP_CONFIG ?? join(projectDir(), '.local', 'swamp', 'etc', 'swamp.conf'), 'utf8');
    conf = join(tmp, 'swamp.conf');
    writeFileSync(conf, `${base}\nlogDir = ${tmp}/log\ndockerCommand = ${DOCKER}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o700);
  });
  afterAll(async () => {
    for (const n of made) await docker(['rm', '-f', n]).catch(() => undefined);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a created container whose starter is gone is leaked and removed; the others stay', async () => {
    const n = Math.floor(Math.random() * 1e6);
    const leaked = `HTCJob${n}_0_slot1_1_PID${deadPid()}`;
    const live = `HTCJob${n + 1}_0_slot1_2_PID${process.pid}`;
    const foreign = `swamp-it-foreign-${n}`;
    for (const [name, labels] of [[leaked, ['--label', 'org.htcondorproject=True']], [live, ['--label', 'org.htcondorproject=True']], [foreign, []]] as const) {
      made.push(name);
      expect((await docker(['create', ...labels, '--name', name, image, 'true'])).exitCode).toBe(0);
    }
    const listed = await swampctl(['containers', '--min-age', '0']);
    expect(listed.code).toBe(0);
    const by = (doc: typeof listed.doc, name: string) => doc.containers.find((c) => c.name === name);
    expect(by(listed.doc, leaked)).toMatchObject({ action: 'leaked' });
    expect(by(listed.doc, live)).toMatchObject({ action: 'kept', reason: `starter ${process.pid} is alive` });
    expect(by(listed.doc, foreign)).toBeUndefined();
    // the default grace period keeps a just-created container
    expect(by((await swampctl(['containers', '--remove-leaked'])).doc, leaked)).toMatchObject({ action: 'kept', reason: 'younger than 10 min' });

    const removed = await swampctl(['containers', '--remove-leaked', '--min-age', '0']);
    expect(removed.code).toBe(0);
    expect(by(removed.doc, leaked)).toMatchObject({ action: 'removed' });
    const names = (await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n');
    expect(names).not.toContain(leaked);
    expect(names).toEqual(expect.arrayContaining([live, foreign]));
    expect(readFileSync(join(tmp, 'log', 'swampctl.log'), 'utf8')).toContain('leaked container removed');
    // a second pass finds nothing left to do
    expect(by((await swampctl(['containers', '--remove-leaked', '--min-age', '0'])).doc, leaked)).toBeUndefined();
  });
});
