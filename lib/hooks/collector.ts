/**
 * Publishing status ads to the SWAMP collector (legacy `condor_advertise [pool] UPDATE_AD_GENERIC -`,
 * mirswamp/services perl/agents/lib/SWAMP/vmu_AssessmentSupport.pm, vmu_ViewerSupport.pm) for the hooks and monitorjob, through lib/htcondor's advertise (ad text built
 * and escaped there, a timeout on every call, `-pool` outside SWAMP-in-a-Box, the htcondor_root
 * environment).
 *
 * Failures are reported to the caller (the monitor logs and counts them): a status ad is soft state and
 * the next update or re-advertise replaces it, so nothing retries here.
 */
import type { SwampConfig } from '../config/index.js';
import type { HTCondorContext } from '../htcondor/context.js';
import type { StatusPublisher } from '../monitor/types.js';

/** condor_advertise normally answers in a few ms; 30 s covers a collector under load. */
export const ADVERTISE_TIMEOUT_MS = 30_000;

/** Where ads go: the SWAMP collector of the config (pure; tests check it). */
export function collectorContext(config: SwampConfig, timeoutMs = ADVERTISE_TIMEOUT_MS): HTCondorContext {
  const ctx: HTCondorContext = { env: config.htcondorEnv(), toolDir: config.htcondorToolDir, timeoutMs };
  const pool = config.htcondorPool?.collectorHost;
  if (pool !== undefined) ctx.pool = pool;
  return ctx;
}

/** A publisher that sends each ad with one condor_advertise call. lib/htcondor is loaded on first use. */
export function condorAdvertisePublisher(config: SwampConfig, opts: { timeoutMs?: number } = {}): StatusPublisher {
  const ctx = collectorContext(config, opts.timeoutMs);
  return {
    async publish(ad): Promise<void> {
      const { advertise } = await import('../htcondor/collector.js');
      await advertise(ctx, [ad]);
    },
  };
}

/** Records every ad in memory (tests; a dry run). */
export class MemoryPublisher implements StatusPublisher {
  readonly ads: Record<string, string | number | boolean>[] = [];
  async publish(ad: Readonly<Record<string, string | number | boolean>>): Promise<void> {
    this.ads.push({ ...ad });
  }
  /** The status texts, in publish order (assessment or viewer ads). */
  statuses(): string[] {
    return this.ads.map((a) => String(a.SWAMP_vmu_assessment_status ?? a.SWAMP_vmu_viewer_status ?? ''));
  }
}
