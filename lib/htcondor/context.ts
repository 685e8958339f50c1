/**
 * Where and how the HTCondor tools are called. Pure data plus small helpers; no I/O.
 */
import { join } from 'node:path';

export interface ToolCall {
  tool: string;
  args: readonly string[];
  durationMs: number;
  /** 'ok' or the failure kind the call ended in. */
  outcome: string;
}

export interface HTCondorContext {
  /** Remote schedd (`-name`) for queue operations; also qualifies submitted job ids. */
  schedd?: string;
  /** Central manager (`-pool host[:port]`) for queries, submits to a named schedd and advertising. */
  pool?: string;
  /** Extra environment for every tool (CONDOR_CONFIG, PATH, _CONDOR_* overrides). */
  env?: Record<string, string>;
  /** Per-call timeout (default 30 s). */
  timeoutMs?: number;
  /** Directory holding the condor_* programs; unset = looked up on PATH (env.PATH if given). */
  toolDir?: string;
  /** Called after every tool call (counting HTCondor calls per operation, logging). */
  onCall?: (call: ToolCall) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The environment legacy `setHTCondorEnvironment` builds from swamp.conf's `htcondor_root` (mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm setHTCondorEnvironment):
 * `<root>/bin:<root>/sbin` before PATH, `CONDOR_CONFIG=<root>/etc/condor_config`, PYTHONPATH. Our local
 * pool's host directory (/opt/swamp-condor/host) has that layout, so it works as an htcondor_root too.
 */
export function contextFromHtcondorRoot(root: string, base: HTCondorContext = {}, inherited: NodeJS.ProcessEnv = process.env): HTCondorContext {
  const path = [join(root, 'bin'), join(root, 'sbin'), inherited.PATH ?? '/usr/bin:/bin'].join(':');
  const py = join(root, 'lib', 'python');
  return {
    ...base,
    env: {
      ...base.env,
      PATH: path,
      CONDOR_CONFIG: join(root, 'etc', 'condor_config'),
      PYTHONPATH: inherited.PYTHONPATH ? `${py}:${inherited.PYTHONPATH}` : py,
    },
  };
}

/** The program to start for a tool. */
export function toolPath(ctx: HTCondorContext, tool: string): string {
  return ctx.toolDir === undefined ? tool : join(ctx.toolDir, tool);
}

/** `-name <schedd> [-pool <cm>]` for schedd-facing tools (condor_q, condor_rm, condor_submit, ...). */
export function scheddArgs(ctx: HTCondorContext): string[] {
  const a: string[] = [];
  if (ctx.schedd !== undefined) a.push('-name', ctx.schedd);
  if (ctx.pool !== undefined) a.push('-pool', ctx.pool);
  return a;
}

/** `-pool <cm>` for collector-facing tools (condor_status, condor_advertise). */
export function poolArgs(ctx: HTCondorContext): string[] {
  return ctx.pool === undefined ? [] : ['-pool', ctx.pool];
}

/** A counter to hang on `onCall`: how many HTCondor calls an operation cost, per tool. */
export interface CallCounter {
  readonly onCall: (call: ToolCall) => void;
  total(): number;
  byTool(): Record<string, number>;
  calls(): readonly ToolCall[];
  reset(): void;
}

export function createCallCounter(): CallCounter {
  let list: ToolCall[] = [];
  return {
    onCall: (call) => {
      list.push(call);
    },
    total: () => list.length,
    byTool: () => {
      const out: Record<string, number> = {};
      for (const c of list) out[c.tool] = (out[c.tool] ?? 0) + 1;
      return out;
    },
    calls: () => list,
    reset: () => {
      list = [];
    },
  };
}
