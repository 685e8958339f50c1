/**
 * Helpers of the hook integration tests: our programs as `make install` laid them out (.local/inst,
 * scripts/services.sh), the collector, a scratch dir.
 */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { formatBog } from '../../../lib/bog/index.js';
import { isExactly, queryAds, type HTCondorContext } from '../../../lib/htcondor/index.js';
import { run, type RunResult } from '../../../lib/proc/run.js';
import type { Db } from '../../../lib/db/index.js';
import { seedAssessmentRun } from '../helpers/db-seed.js';

export const ROOT = process.cwd();
/** The installed layout (make install DESTDIR=.local/inst PREFIX=/opt/swamp). */
export const INST = process.env.SWAMP_INST ?? join(ROOT, '.local', 'inst');
export const PREFIX = process.env.SWAMP_PREFIX ?? join(INST, 'opt', 'swamp');
export const BIN = join(PREFIX, 'bin');
export const CONFIG = process.env.SWAMP_CONFIG ?? join(PREFIX, 'etc', 'swamp.conf');
/** The installed swamp.conf's logDir, resultsFolder and projectsFolder (scripts/local-config.sh). */
export const LOG_DIR = join(PREFIX, 'log');
export const RESULTS_DIR = join(INST, 'swamp', 'results');
export const PROJECTS_DIR = join(INST, 'swamp', 'projects');
/** The local setup's swampDir: simulated frameworks, platform images, the docker image list. */
export const SW = join(ROOT, '.local', 'swamp');

/** Environment for our programs: the config, and PATH with the pool's tool shims first. */
export function programEnv(condor: HTCondorContext): Record<string, string> {
  return { SWAMP_CONFIG: CONFIG, PATH: condor.env?.PATH ?? process.env.PATH ?? '', CONDOR_CONFIG: condor.env?.CONDOR_CONFIG ?? '' };
}

export async function runProgram(name: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs = 120_000): Promise<RunResult> {
  return run(join(BIN, name), args, { cwd, env, timeoutMs, okExitCodes: [0, 1, 2, 5, 70] });
}

/** A scratch dir like HTCondor's (under /tmp, which the pool's chroot shares). */
export async function scratchDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  await chmod(d, 0o777);
  return d;
}

/**
 * Seeds a run of the local tool `gcc-warn` on a `snappy-c` package whose tool in-files carry the
 * simulated machine's settings (`machineConf`, lib/machine/assessment-machine.ts); the package and
 * tool store goes into a scratch dir pushed to `dirs`.
 */
export async function seedMachineRun(db: Db, machineConf: string, dirs: string[], prefix = 'swamp-run-store-'): Promise<{ id: string; project: string }> {
  const base = await scratchDir(prefix);
  dirs.push(base);
  const pkg = join(base, 'snappy-c-1.0.tar.gz');
  await writeFile(pkg, 'package archive\n');
  const inFiles = join(base, 'gcc-warn-0.9', 'noarch', 'in-files');
  await mkdir(inFiles, { recursive: true });
  await writeFile(join(inFiles, 'machine.conf'), machineConf);
  await chmod(pkg, 0o644);
  const r = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c', launchFlag: 1, launchCounter: 1 });
  await db.execute('UPDATE package_store.package_version SET package_path = ? WHERE package_version_uuid = ?', [pkg, r.packageVersionUuid]);
  await db.execute('UPDATE tool_shed.tool_version SET tool_path = ? WHERE tool_version_uuid = ?', [join(base, 'gcc-warn-0.9.tar.gz'), r.toolVersionUuid]);
  return { id: r.executionRecordUuid, project: r.projectUuid };
}

export async function writeBundle(scratch: string, id: string, bog: Record<string, string>): Promise<void> {
  const stage = join(scratch, '.stage');
  await mkdir(stage, { recursive: true });
  await writeFile(join(stage, `${id}.bog`), formatBog(bog, 'BOG'));
  await writeFile(join(stage, `${id}.sub`), 'universe = vanilla\nqueue\n');
  await tar.c({ gzip: true, file: join(scratch, `${id}_submitbundle.tar.gz`), cwd: stage, portable: true }, [`${id}.bog`, `${id}.sub`]);
}

/** The collector's ad of a run (by exact Name), or undefined. */
export async function adOf(condor: HTCondorContext, name: string): Promise<Record<string, unknown> | undefined> {
  const ads = await queryAds(condor, { constraint: isExactly('Name', name), myType: 'Generic' });
  return ads[0] as Record<string, unknown> | undefined;
}

/** Polls the collector in the background; records each distinct status text in the order seen. */
export class CollectorWatch {
  readonly seen: string[] = [];
  readonly firstSeenAt = new Map<string, number>();
  private running = true;
  private done: Promise<void>;

  constructor(
    private readonly condor: HTCondorContext,
    private readonly name: string,
    private readonly attr: string,
    periodMs = 25,
  ) {
    this.done = (async () => {
      while (this.running) {
        await this.poll();
        await new Promise((r) => setTimeout(r, periodMs));
      }
    })();
  }

  private async poll(): Promise<void> {
    try {
      const ad = await adOf(this.condor, this.name);
      const s = ad?.[this.attr];
      if (typeof s === 'string' && this.seen[this.seen.length - 1] !== s) {
        this.seen.push(s);
        if (!this.firstSeenAt.has(s)) this.firstSeenAt.set(s, Date.now());
      }
    } catch {
      // a failed poll is retried
    }
  }

  /** Stops polling after one last look (a poll in flight may have started before the last update). */
  async stop(): Promise<string[]> {
    this.running = false;
    await this.done;
    await this.poll();
    return this.seen;
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, periodMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, periodMs));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** VmRSS of a process in KiB (from /proc), or undefined when it is gone. */
export async function rssKiB(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One local-platform assessment run played by the real programs, as HTCondor would start them in the
 * job's scratch dir: jobhook PreAssessment, swamp-assessment-machine with `outcome`, jobhook
 * PostAssessment. The result folder, the project store and the assessment_result row are what the
 * hooks made. Directories to remove afterwards are pushed onto `cleanup`.
 */
export async function assessThroughHooks(
  db: import('../../../lib/db/index.js').Db,
  condor: HTCondorContext,
  outcome: 'pass' | 'warnings' | 'build' | 'assess',
  cleanup: string[],
): Promise<{ run: import('../helpers/db-seed.js').SeededRun; resultUuid: string; filePath: string; finalStatus: unknown; cluster: string }> {
  const { seedAssessmentRun } = await import('../helpers/db-seed.js');
  const { readFile } = await import('node:fs/promises');
  const run = await seedAssessmentRun(db, { toolName: 'gcc-warn', packageName: 'snappy-c' });
  const id = run.executionRecordUuid;
  const scratch = await scratchDir('swamp-hook-it-');
  const pkgDir = await scratchDir('swamp-hook-pkg-');
  cleanup.push(scratch, pkgDir, join(RESULTS_DIR, id), join(PROJECTS_DIR, run.projectUuid));
  const packagepath = join(pkgDir, 'snappy-c-1.0.tar.gz');
  await writeFile(packagepath, 'not really a tarball\n');
  await writeBundle(scratch, id, {
    execrunid: id,
    projectid: run.projectUuid,
    userid: run.userUuid,
    resultsfolder: join(RESULTS_DIR) + '/',
    platform_identifier: 'debian-12.0-64',
    platform_type: 'local',
    platform_image: 'swamp-assessment-machine',
    toolname: 'gcc-warn',
    toolpath: '/swamp/store/SCATools/gcc/gcc-warn-0.9.tar.gz',
    packagename: 'snappy-c',
    packageversion: '1.0',
    packagetype: 'C/C++',
    packagepath,
    packagesourcepath: 'snappy-c-1.0',
    notify_when_complete_flag: '0',
    version: '2',
  });
  const env = programEnv(condor);
  const cluster = String(900_000 + Math.floor(Math.random() * 99_999));
  const args = [id, 'swamp', 'swamp-pool', cluster, '0', '0'];
  const pre = await runProgram('jobhook', ['PreAssessment', ...args], scratch, env);
  if (pre.exitCode !== 0) throw new Error(`PreAssessment exited ${pre.exitCode}: ${pre.stderr}`);
  const machine = await runProgram('swamp-assessment-machine', ['--delay-ms', '50', '--outcome', outcome], scratch, env);
  if (machine.exitCode !== 0) throw new Error(`the machine exited ${machine.exitCode}: ${machine.stderr}`);
  const pid = Number((await readFile(join(scratch, `monitorjob_${cluster}.pid`), 'utf8')).trim());
  await waitFor('monitorjob to exit', async () => (alive(pid) ? undefined : true), 20_000);
  const post = await runProgram('jobhook', ['PostAssessment', ...args], scratch, env);
  if (post.exitCode !== 0) throw new Error(`PostAssessment exited ${post.exitCode}: ${post.stderr}`);
  cleanup.push(join(LOG_DIR, `${id}_${cluster}.log`));
  const rows = await db.select<{ assessment_result_uuid: string; file_path: string }>(
    'SELECT assessment_result_uuid, file_path FROM assessment.assessment_result WHERE execution_record_uuid = ?',
    [id],
  );
  if (rows.length !== 1) throw new Error(`expected one assessment_result row of ${id}, found ${rows.length}`);
  const row = rows[0] as { assessment_result_uuid: string; file_path: string };
  return { run, resultUuid: row.assessment_result_uuid, filePath: row.file_path, finalStatus: (await adOf(condor, id))?.SWAMP_vmu_assessment_status, cluster };
}
