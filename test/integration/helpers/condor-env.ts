/**
 * The HTCondor context for integration tests: the local pool's shims (services/condor). Uses the
 * variables `pool.sh env` prints when they are already in the environment (make services / .local/env),
 * otherwise runs `pool.sh env` itself. Fails loudly when the pool is not answering: never skips.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../lib/proc/run.js';
import { runTool } from '../../../lib/htcondor/tool.js';
import type { HTCondorContext } from '../../../lib/htcondor/context.js';

const POOL_SH = join(process.cwd(), 'services', 'condor', 'pool.sh');

/** Parses `export K='v'` / `export PATH="dir:$PATH"` lines of `pool.sh env`. */
export function parsePoolEnv(text: string, basePath = process.env.PATH ?? ''): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']*)'|"([^"]*)")$/.exec(line.trim());
    if (!m) continue;
    const value = m[2] ?? (m[3] as string).replace('$PATH', basePath);
    env[m[1] as string] = value;
  }
  return env;
}

let cached: Promise<HTCondorContext> | undefined;

export function condorContext(): Promise<HTCondorContext> {
  cached ??= (async () => {
    let env: Record<string, string>;
    if (process.env.SWAMP_CONDOR_HOST && process.env.CONDOR_CONFIG) {
      env = { SWAMP_CONDOR_HOST: process.env.SWAMP_CONDOR_HOST, CONDOR_CONFIG: process.env.CONDOR_CONFIG, PATH: process.env.PATH ?? '' };
    } else {
      const r = await run(POOL_SH, ['env'], { timeoutMs: 10_000 });
      env = parsePoolEnv(r.stdout);
    }
    const host = env.SWAMP_CONDOR_HOST;
    if (!host || !existsSync(join(host, 'bin', 'condor_q'))) {
      throw new Error(`HTCondor shims not found (SWAMP_CONDOR_HOST=${host ?? 'unset'}): run services/condor/setup.sh as root`);
    }
    const ctx: HTCondorContext = {
      toolDir: join(host, 'bin'),
      env: { CONDOR_CONFIG: env.CONDOR_CONFIG ?? join(host, 'etc', 'condor_config'), PATH: env.PATH ?? process.env.PATH ?? '' },
      timeoutMs: 20_000,
    };
    try {
      const r = await runTool(ctx, 'condor_status', ['-af', 'Name'], { timeoutMs: 10_000 });
      if (!/^slot/m.test(r.stdout)) throw new Error('no execute slot in the collector');
    } catch (e) {
      throw new Error(`HTCondor pool is not up (${(e as Error).message}): run "services/condor/pool.sh start" as root (make services)`);
    }
    return ctx;
  })();
  return cached;
}
