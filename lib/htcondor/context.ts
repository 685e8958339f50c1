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
  /**
   * Submit with `-spool` (a remote schedd that cannot read the submitting host's files): condor_submit
   * sends the input files to the schedd, which keeps the job's sandbox. A spooled job would stay in the
   * queue after completion until someone fetched its output (condor_transfer_data); our hooks save the
   * results on the execute host, so it leaves the queue at once (`leave_in_queue = False`).
   */
  spool?: boolean;
  /** Extra environment for every tool (CONDOR_CONFIG, PATH, _CONDOR_* overrides). */
  env?: Record<string, string>;
  /** Per-call timeout (default 30 s). */
  timeoutMs?: number;
  /** Directory holding the condor_* programs; unset = DEFAULT_TOOL_DIR. Never a PATH search. */
  toolDir?: string;
  /** Called after every tool call (counting HTCondor calls per operation, logging). */
  onCall?: (call: ToolCall) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The context for an HTCondor installation under `root` (the layout of swamp.conf's `htcondor_root`):
 * tools started as `<root>/bin/<tool>`, `CONDOR_CONFIG=<root>/etc/condor_config`. Nothing is put on
 * PATH (the legacy setHTCondorEnvironment of mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm prepended `<root>/bin:<root>/sbin`): docs/security.md.
 */
export function contextFromHtcondorRoot(root: string, base: HTCondorContext = {}): HTCondorContext {
  return { ...base, toolDir: join(root, 'bin'), env: { ...base.env, CONDOR_CONFIG: join(root, 'etc', 'condor_config') } };
}

/** Where the tools are when nothing says otherwise (Debian and RHEL HTCondor packages). */
export const DEFAULT_TOOL_DIR = '/usr/bin';

/** The program to start for a tool. */
export function toolPath(ctx: HTCondorContext, tool: string): string {
  if (!/^condor_[a-z_]+$/.test(tool)) throw new TypeError(`not an HTCondor tool name: ${JSON.stringify(tool)}`);
  return join(ctx.toolDir ?? DEFAULT_TOOL_DIR, tool);
}

/** `-name <schedd> [-pool <cm>]` for schedd-facing tools (condor_q, condor_rm, condor_submit, ...). */
export function scheddArgs(ctx: HTCondorContext): string[] {
  const a: string[] = [];
  if (ctx.schedd !== undefined) a.push('-name', ctx.schedd);
  if (ctx.pool !== undefined) a.push('-pool', ctx.pool);
  return a;
}

/** condor_submit's options: scheddArgs plus, when spooling, `-spool` and `leave_in_queue = False`. */
export function submitArgs(ctx: HTCondorContext): string[] {
  const a = scheddArgs(ctx);
  if (ctx.spool === true) a.push('-spool', '-append', 'leave_in_queue = False');
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
