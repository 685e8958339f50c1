/**
 * What every swampctl subcommand starts from: swamp.conf, the settings, a logger (swampctl.log) and a
 * counter on every HTCondor call (the `htcondorCalls` of the JSON documents).
 */
import { loadConfig, resolveConfigPath, type SwampConfig } from '../config/index.js';
import { createCallCounter, type CallCounter } from '../htcondor/index.js';
import { createLogger, type Logger } from '../log/index.js';
import type { OutStream } from '../cli/output.js';
import { ctlSettings, type CtlSettings } from './settings.js';

export interface CommonOptions {
  json?: boolean;
  config?: string;
  debug?: boolean;
}

export interface CtlEnv {
  config: SwampConfig;
  settings: CtlSettings;
  log: Logger;
  calls: CallCounter;
  out: OutStream;
  json: boolean;
}

export function loadEnv(o: CommonOptions, out: OutStream = process.stdout): CtlEnv {
  const config = loadConfig({ path: resolveConfigPath({ path: o.config }).path });
  const calls = createCallCounter();
  const settings = ctlSettings(config, calls.onCall);
  const log = createLogger({ program: 'swampctl', logDir: settings.logDir, ...(o.debug ? { level: 'trace' as const } : {}) });
  return { config, settings, log, calls, out, json: o.json === true };
}
