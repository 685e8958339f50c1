/** LaunchSettings for the launch unit tests: a scratch dir's run and results dirs, local platform, SWAMP on, nothing reachable. */
import { join } from 'node:path';
import type { LaunchSettings } from '../../../lib/submission/index.js';

export function scratchLaunchSettings(dir: string, over: Partial<LaunchSettings> = {}): LaunchSettings {
  return {
    runDir: join(dir, 'run'),
    logDir: dir,
    binDir: '/opt/swamp/bin',
    resultsFolder: join(dir, 'results'),
    imagesDir: join(dir, 'images'),
    dockerImagesFile: join(dir, 'none'),
    preferredType: 'local',
    maxRetries: 3,
    swampInABox: true,
    bridgeInterface: undefined,
    etcDir: join(dir, 'etc'),
    computeChecksums: false,
    swampState: 'ON',
    db: { host: 'x', port: 1, user: 'u', password: '', connectTimeoutMs: 1 },
    queueCtx: {},
    collectorCtx: {},
    owner: 'swamp',
    configPath: undefined,
    ...over,
  };
}
