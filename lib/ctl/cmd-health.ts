/** `swampctl health [--watch [s]]`: exit 1 when any check fails (the last round, with --watch). */
import { colorsFor, formatJson, isHumanOutput, writeOut } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { healthTsv, renderHealth, runHealthChecks, type HealthDoc } from './health.js';
import type { CtlEnv } from './env.js';

export async function healthCommand(env: CtlEnv, o: { watch?: number; count?: number }): Promise<number> {
  const tty = isHumanOutput(env.out);
  const colors = await colorsFor(env.out);
  const swampOn = ['1', 'yes', 'true', 'on', 'y'].includes((env.settings.swampState ?? '').trim().toLowerCase());
  const hasPassword = (env.config.get('dbPerlPass') ?? '') !== '' || /:[^@/]*@/.test(env.config.get('dbPerlDsn') ?? '');
  let code = 0;
  for (let round = 1; ; round++) {
    env.calls.reset();
    const checks = await runHealthChecks(env.settings, { swampOn, hasPassword });
    const doc: HealthDoc = { version: 1, time: new Date().toISOString(), ok: !checks.some((c) => c.level === 'fail'), checks, htcondorCalls: env.calls.total() };
    code = doc.ok ? 0 : EXIT_CODES.external;
    // --watch --json: one document per line and round (JSON lines)
    if (env.json) await writeOut(formatJson(doc, tty && o.watch === undefined), env.out);
    else if (tty) await writeOut(`${o.watch !== undefined ? '\x1b[2J\x1b[H' : ''}${renderHealth(doc, colors)}`, env.out);
    else await writeOut(`${healthTsv(doc)}${o.watch !== undefined ? '\n' : ''}`, env.out);
    if (round === 1 || !doc.ok) env.log.info('health', { ok: doc.ok, fail: checks.filter((c) => c.level === 'fail').map((c) => c.name) });
    if (o.watch === undefined || (o.count !== undefined && round >= o.count)) return code;
    await new Promise((r) => setTimeout(r, (o.watch as number) * 1000));
  }
}
