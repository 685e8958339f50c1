/**
 * `condor_q -better-analyze <job>`: why an idle job does not run. The wrapper is one tool call; the
 * parser (pure) keeps the condition table ("Slots Matched / Condition") and the last match failure.
 */
import { scheddArgs, type HTCondorContext } from './context.js';
import { formatJobId, type JobId } from './parse.js';
import { runTool } from './tool.js';

export interface Analysis {
  /** Requirement clauses with the number of slots each one matches (0 = the blocker). */
  conditions: { step: number; matched: number; condition: string }[];
  /** "Reason for last match failure: …" or "No successful match recorded." */
  reason?: string;
}

export function parseBetterAnalyze(text: string): Analysis {
  const conditions: Analysis['conditions'] = [];
  let reason: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*\[(\d+)\]\s+(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) conditions.push({ step: Number(m[1]), matched: Number(m[2]), condition: m[3] as string });
    const r = /^Reason for last match failure:\s*(.*?)(\s+WARNING:.*)?$/.exec(line);
    if (r) reason = (r[1] as string).trim();
    else if (reason === undefined && /^No successful match recorded\./.test(line)) reason = 'no successful match recorded';
  }
  return reason === undefined ? { conditions } : { conditions, reason };
}

export async function betterAnalyze(ctx: HTCondorContext, job: JobId): Promise<Analysis> {
  const r = await runTool(ctx, 'condor_q', [...scheddArgs(ctx), '-better-analyze', formatJobId(job)]);
  return parseBetterAnalyze(r.stdout);
}
