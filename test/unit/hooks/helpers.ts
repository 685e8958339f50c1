/** Shared fixtures of the hook tests: a temp scratch dir, a settings object and an in-memory context. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { formatBog } from '../../../lib/bog/index.js';
import { configFromText } from '../../../lib/config/index.js';
import { parseJobArgs, type JobArgs } from '../../../lib/hooks/args.js';
import { MemoryPublisher } from '../../../lib/hooks/collector.js';
import { scratchPaths, type HookContext } from '../../../lib/hooks/context.js';
import { MemoryHookDb } from '../../../lib/hooks/db.js';
import { hookSettings } from '../../../lib/hooks/settings.js';
import type { ToolCommand } from '../../../lib/hooks/vm.js';
import { nullLogger } from '../../../lib/log/index.js';

export const RUN = '3f2a4c1e-8d9b-4e2f-a1b3-0c5d6e7f8a9b';
export const METRIC = 'M-9c8b7a6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d';
export const PROJECT = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
export const USER = 'c0ffee00-1111-4222-8333-444455556666';
export const VIEWER_UUID = 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a';
export const VRUN = `vrun_${PROJECT}_CodeDX`;

export interface Fixture {
  root: string;
  scratch: string;
  results: string;
  projects: string;
  swampDir: string;
  cleanup: () => Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'hooks-'));
  const f = {
    root,
    scratch: join(root, 'scratch'),
    results: join(root, 'results'),
    projects: join(root, 'projects'),
    swampDir: join(root, 'swamp'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const d of [f.scratch, f.results, f.projects, join(f.swampDir, 'etc'), join(f.swampDir, 'log')]) await mkdir(d, { recursive: true });
  return f;
}

export function settingsText(f: Fixture, extra = ''): string {
  return [
    `swampDir = ${f.swampDir}`,
    `logDir = ${join(f.swampDir, 'log')}`,
    `binDir = ${join(f.root, 'bin')}`,
    `resultsFolder = ${f.results}/`,
    `projectsFolder = ${f.projects}`,
    `metricsFolder = ${join(f.root, 'metrics')}`,
    'htcondor_assessment_max_retries = 3',
    extra,
  ].join('\n');
}

export function jobArgs(id: string, numJobStarts = 0): JobArgs {
  return parseJobArgs([id, 'swamp', 'swamp-pool', '42', '0', String(numJobStarts)]);
}

export interface TestContext extends HookContext {
  publisher: MemoryPublisher;
  db: MemoryHookDb;
  tools: { cmd: ToolCommand; cwd: string }[];
  monitors: string[];
  stopped: number;
}

export function testContext(f: Fixture, args: JobArgs, extraConfig = ''): TestContext {
  const tools: { cmd: ToolCommand; cwd: string }[] = [];
  const monitors: string[] = [];
  const ctx: TestContext = {
    args,
    settings: hookSettings(configFromText(settingsText(f, extraConfig))),
    paths: scratchPaths(f.scratch),
    log: nullLogger,
    publisher: new MemoryPublisher(),
    db: new MemoryHookDb(),
    runTool: async (cmd, cwd) => {
      tools.push({ cmd, cwd });
    },
    checkTools: async () => undefined,
    startMonitor: async (name) => {
      monitors.push(name);
      return 4242;
    },
    stopMonitor: async () => {
      ctx.stopped++;
    },
    linesOfCode: async () => 1234,
    hostname: 'exec-node-1',
    uid: 1000,
    gid: 1000,
    now: () => new Date(2026, 10, 28, 18, 30, 5),
    tools,
    monitors,
    stopped: 0,
  };
  return ctx;
}

/** The assessment BOG the launcher writes (legacy keys, mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties). */
export function assessmentBog(f: Fixture, over: Record<string, string> = {}): Record<string, string> {
  return {
    execrunid: RUN,
    projectid: PROJECT,
    userid: USER,
    resultsfolder: `${f.results}/`,
    platform_identifier: 'centos-7.7-64',
    platform_type: 'local',
    platform_image: 'swamp-assessment-machine',
    toolname: 'GCC',
    toolpath: join(f.root, 'tools', 'gcc-warn-0.9.tar.gz'),
    'tool-version': '0.9',
    packagename: 'snappy-c',
    packageversion: '1.0',
    packagetype: 'C/C++',
    packagepath: join(f.root, 'packages', 'snappy-c-1.0.tar.gz'),
    packagesourcepath: 'snappy-c-1.0',
    packagebuild_system: 'make',
    packagebuild_target: 'null',
    packagedependencylist: 'null',
    notify_when_complete_flag: '0',
    version: '2',
    ...over,
  };
}

/** Writes the package archive and the submit bundle `<id>_submitbundle.tar.gz` into the scratch dir. */
export async function writeSubmitBundle(f: Fixture, id: string, bog: Record<string, string>): Promise<void> {
  if (bog.packagepath) {
    await mkdir(join(f.root, 'packages'), { recursive: true });
    await writeFile(bog.packagepath, 'package archive bytes\n');
  }
  const stage = join(f.root, 'stage');
  await mkdir(stage, { recursive: true });
  await writeFile(join(stage, `${id}.bog`), formatBog(bog, 'BOG'));
  await writeFile(join(stage, `${id}.sub`), 'universe = vanilla\nqueue\n');
  await tar.c({ gzip: true, file: join(f.scratch, `${id}_submitbundle.tar.gz`), cwd: stage, portable: true }, [`${id}.bog`, `${id}.sub`]);
}
