/**
 * Runs one HTCondor tool through lib/proc/run.ts (argument array, timeout) and turns a failure into an
 * ExternalCommandError whose kind comes from classifyFailure. Every call is reported to ctx.onCall.
 */
import { ExternalCommandError, isSwampError } from '../errors/index.js';
import { run, type RunResult } from '../proc/run.js';
import { DEFAULT_TIMEOUT_MS, toolPath, type HTCondorContext } from './context.js';
import { classifyFailure } from './parse.js';

export interface ToolOptions {
  input?: string;
  cwd?: string;
  /** Exit codes that are not failures for this call (the caller interprets the output). */
  okExitCodes?: readonly number[];
  timeoutMs?: number;
}

export async function runTool(ctx: HTCondorContext, tool: string, args: readonly string[], opts: ToolOptions = {}): Promise<RunResult> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await run(toolPath(ctx, tool), args, {
      timeoutMs: opts.timeoutMs ?? ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      input: opts.input,
      cwd: opts.cwd,
      env: ctx.env,
      okExitCodes: opts.okExitCodes,
      classify: (r) => classifyFailure(r.stderr, r.stdout),
    });
  } catch (e) {
    outcome = isSwampError(e) ? e.kind : 'internal';
    throw e;
  } finally {
    ctx.onCall?.({ tool, args, durationMs: performance.now() - started, outcome });
  }
}

/** A failure built from a result the caller decided is one (after okExitCodes let it through). */
export function toolFailure(r: RunResult, message?: string): ExternalCommandError {
  const first = r.stderr.split('\n').find((l) => l.trim() !== '') ?? r.stdout.split('\n').find((l) => l.trim() !== '') ?? `exit code ${r.exitCode}`;
  return new ExternalCommandError(classifyFailure(r.stderr, r.stdout), message ?? `${r.command} failed: ${first.trim()}`, {
    command: [r.command, ...r.args].join(' '),
    exitCode: r.exitCode,
    stderr: r.stderr,
  });
}
