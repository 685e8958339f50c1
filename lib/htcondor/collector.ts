/**
 * Generic ads in the collector: advertise (UPDATE_AD_GENERIC, several ads per call), invalidate
 * (INVALIDATE_ADS_GENERIC) and query (`condor_status -any -json`). Ads go to condor_advertise on stdin as
 * text built by classad.ts, never through a shell here-document (mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm).
 */
import { ValidationError } from '../errors/index.js';
import { anyOf, checkAttrName, checkOneLine, formatAds, isExactly, type AdRecord, type ClassAdValue } from './classad.js';
import { poolArgs, type HTCondorContext } from './context.js';
import { parseJsonAds, type Ad } from './parse.js';
import { runTool, toolFailure } from './tool.js';

export interface AdvertiseResult {
  sent: number;
  total: number;
}

function parseSent(stdout: string): AdvertiseResult | undefined {
  const m = /Sent (\d+) of (\d+) ads?/.exec(stdout);
  return m ? { sent: Number(m[1]), total: Number(m[2]) } : undefined;
}

async function sendAds(ctx: HTCondorContext, command: string, ads: readonly AdRecord[]): Promise<AdvertiseResult> {
  if (ads.length === 0) return { sent: 0, total: 0 };
  const r = await runTool(ctx, 'condor_advertise', [...poolArgs(ctx), '-multiple', command, '-'], {
    input: formatAds(ads),
    okExitCodes: [0, 1],
  });
  const counts = parseSent(r.stdout);
  if (r.exitCode !== 0 || counts === undefined || counts.sent !== counts.total) throw toolFailure(r);
  return counts;
}

/**
 * Publishes generic ads in one call. Each ad needs a Name (the collector keys generic ads by MyType and
 * Name, so re-advertising replaces); MyType defaults to "Generic". Values are quoted by classad.ts.
 */
export async function advertise(ctx: HTCondorContext, ads: readonly AdRecord[]): Promise<AdvertiseResult> {
  const full = ads.map((ad) => {
    if (typeof ad.Name !== 'string' || ad.Name === '') throw new ValidationError('a generic ad needs a string Name');
    return { MyType: 'Generic', ...ad } as AdRecord;
  });
  return sendAds(ctx, 'UPDATE_AD_GENERIC', full);
}

/** Removes generic ads by exact Name, or by a constraint, in one call. */
export async function invalidate(ctx: HTCondorContext, which: { names: readonly string[] } | { constraint: string }, targetType = 'Generic'): Promise<AdvertiseResult> {
  const requirements = 'names' in which ? anyOf(...which.names.map((n) => isExactly('Name', n))) : checkOneLine(which.constraint, 'constraint');
  if ('names' in which && which.names.length === 0) return { sent: 0, total: 0 };
  const query: Record<string, ClassAdValue> = { MyType: 'Query', TargetType: targetType, Requirements: { expr: requirements } };
  return sendAds(ctx, 'INVALIDATE_ADS_GENERIC', [query]);
}

export interface AdQuery {
  constraint?: string;
  attributes?: readonly string[];
  /** Only ads of this MyType (e.g. "Generic"). */
  myType?: string;
}

/** `condor_status -any -json`: ads of any type in the collector (empty output = none). */
export async function queryAds(ctx: HTCondorContext, q: AdQuery = {}): Promise<Ad[]> {
  const clauses: string[] = [];
  if (q.myType !== undefined) clauses.push(isExactly('MyType', q.myType));
  if (q.constraint !== undefined) clauses.push(checkOneLine(q.constraint, 'constraint'));
  const args = [...poolArgs(ctx), '-any', '-json'];
  if (clauses.length > 0) args.push('-constraint', clauses.length === 1 ? (clauses[0] as string) : clauses.map((c) => `(${c})`).join(' && '));
  if (q.attributes !== undefined && q.attributes.length > 0) args.push('-attributes', q.attributes.map(checkAttrName).join(','));
  const r = await runTool(ctx, 'condor_status', args);
  return parseJsonAds(r.stdout);
}
