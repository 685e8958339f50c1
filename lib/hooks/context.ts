/**
 * What every hook step gets: the parsed arguments, settings, the scratch directory, the job log and the
 * outside world (collector, DB, external tools, the monitor launcher) behind small interfaces, so each
 * step runs against temp dirs and in-memory fakes in unit tests and against the real services in
 * integration tests, with the same code.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import type { StatusPublisher } from '../monitor/types.js';
import type { JobArgs } from './args.js';
import type { HookDb } from './db.js';
import type { HookSettings } from './settings.js';
import type { ToolCommand } from './vm.js';

export interface ScratchPaths {
  scratch: string;
  inDir: string;
  outDir: string;
  eventFile: string;
  ipFile: string;
}

export function scratchPaths(scratch: string): ScratchPaths {
  return {
    scratch,
    inDir: join(scratch, 'in'),
    outDir: join(scratch, 'out'),
    eventFile: join(scratch, 'out', 'job_events.log'),
    ipFile: join(scratch, 'out', 'job_ip_address.txt'),
  };
}

/** Starts monitorjob detached for this job; resolves to its pid. */
/**
 * in/ and out/ of the scratch dir, group-writable (0775, whatever the starter's umask): HTCondor
 * transfers them back into the job dir on the submit side keeping these modes, and there the submit
 * group (mysqld's user) must be able to remove what the job wrote (the run dir's default ACL makes
 * the group's rights follow the mode; docs/deployment.md).
 */
export async function makeJobIoDirs(paths: Pick<ScratchPaths, 'inDir' | 'outDir'>): Promise<void> {
  for (const d of [paths.inDir, paths.outDir]) {
    await mkdir(d, { recursive: true });
    await chmod(d, 0o775);
  }
}

export type MonitorLauncher = (name: 'MonitorAssessment' | 'MonitorViewer', args: JobArgs) => Promise<number | undefined>;

export interface HookContext {
  args: JobArgs;
  settings: HookSettings;
  paths: ScratchPaths;
  log: Logger;
  publisher: StatusPublisher;
  db: HookDb;
  /** Runs an external tool (vm platform); throws on failure. */
  runTool: (cmd: ToolCommand, cwd: string) => Promise<void>;
  /** Checks the vm tools are installed; throws a clear error naming the missing ones. */
  checkTools: (tools: readonly string[]) => Promise<void>;
  startMonitor: MonitorLauncher;
  /** Stops this job's monitor (Post hooks) so it cannot publish after the final status. */
  stopMonitor: () => Promise<void>;
  /** Coverity: lines of code of the package archive (cloc), -1 when unknown. */
  linesOfCode: (archive: string) => Promise<number>;
  hostname: string;
  uid: number;
  gid: number;
  now: () => Date;
}

/** SHA-512 hex of a file, streamed (the launcher's, which checks BOG checksums the same way). */
export { sha512File } from '../assessment/checksum.js';

/** `du --summarize --block-size=1 .` in bytes of allocated blocks, without running du. */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = await lstat(p);
        total += st.blocks * 512;
        if (st.isDirectory()) await walk(p);
      } catch {
        // vanished while walking
      }
    }
  };
  try {
    total += (await lstat(dir)).blocks * 512;
  } catch {
    return 0;
  }
  await walk(dir);
  return total;
}
