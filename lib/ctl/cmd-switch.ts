/**
 * `swampctl enable|disable`: the SWAMP on/off switch. swamp.conf `SWAMPState` (what our launchers
 * honour: off = runs are queued, not launched) and the DB's launch events, as the legacy
 * enable/disable SQL did (mirswamp/deployment swampinabox/singleserver/health_scripts
 * *_scheduled_runs.sql, *_metric_runs.sql). An event the backend account may not alter is reported
 * (exit 77) after the config change, which alone already stops launches.
 */
import { formatJson, isHumanOutput, writeOut } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { toSwampError } from '../errors/index.js';
import { listEvents, setEventEnabled, withDb } from '../db/index.js';
import { configCommand } from './cmd-config.js';
import { LAUNCH_EVENTS } from './health.js';
import type { CtlEnv } from './env.js';

export async function switchCommand(env: CtlEnv, on: boolean): Promise<number> {
  const sink = { text: '', write(s: string, cb?: (e?: Error | null) => void): boolean { this.text += s; cb?.(null); return true; } };
  await configCommand({ config: env.settings.configPath, json: true }, 'set', 'SWAMPState', on ? 'ON' : 'OFF', sink);
  const cfg = JSON.parse(sink.text) as { changed: boolean };
  const events: { name: string; status: string; error?: string }[] = [];
  let dbError: string | undefined;
  await withDb(env.settings.adminDb, async (db) => {
    for (const e of await listEvents(db, LAUNCH_EVENTS)) {
      const want = on ? 'ENABLED' : 'DISABLED';
      if (e.status === want) {
        events.push({ name: e.name, status: want });
        continue;
      }
      try {
        await setEventEnabled(db, e.name, on);
        events.push({ name: e.name, status: want });
      } catch (err) {
        events.push({ name: e.name, status: e.status, error: toSwampError(err).message });
      }
    }
  }).catch((e: unknown) => {
    dbError = toSwampError(e).message;
  });
  env.log.info(on ? 'SWAMP enabled' : 'SWAMP disabled', { configChanged: cfg.changed, events, dbError });
  const doc = { version: 1, swampOn: on, config: { file: env.settings.configPath, changed: cfg.changed }, events, ...(dbError !== undefined ? { dbError } : {}) };
  if (env.json) await writeOut(formatJson(doc, isHumanOutput(env.out)), env.out);
  else {
    const lines = [`SWAMPState = ${on ? 'ON' : 'OFF'} in ${env.settings.configPath}${cfg.changed ? '' : ' (already)'}`];
    for (const e of events) lines.push(`event ${e.name}: ${e.status.toLowerCase()}${e.error ? ` (not changed: ${e.error})` : ''}`);
    if (dbError !== undefined) lines.push(`DB events not changed: ${dbError}`);
    await writeOut(`${lines.join('\n')}\n`, env.out);
  }
  if (dbError !== undefined) return EXIT_CODES.busy;
  return events.some((e) => e.error !== undefined) ? EXIT_CODES.denied : 0;
}
