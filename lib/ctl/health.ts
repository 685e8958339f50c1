/**
 * `swampctl health`: the checks (I/O, each bounded by its tool/DB timeout) and their rendering.
 * Every check yields one pass/warn/fail line; a check that cannot run is a fail, never a crash.
 */
import { accessSync, constants, readFileSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Colors } from '../cli/output.js';
import { toSwampError } from '../errors/index.js';
import { queryAds, queryQueue } from '../htcondor/index.js';
import { eventScheduler, listEvents, pluginDir, presentProcedures, registeredUdfs, serverTimeMs, withDb } from '../db/index.js';
import { mark, ago, type Level } from './render.js';
import { timerPasses } from './timers.js';
import type { CtlSettings } from './settings.js';

export interface Check {
  name: string;
  level: Level;
  detail: string;
}

export interface HealthDoc {
  version: 1;
  time: string;
  ok: boolean;
  checks: Check[];
  htcondorCalls: number;
}

/** The procedures the backend calls or is called from. */
export const REQUIRED_PROCEDURES = [
  'assessment.execute_execution_record',
  'assessment.launch_viewer',
  'assessment.kill_assessment_run',
  'assessment.update_execution_run_status',
  'assessment.insert_results',
  'assessment.process_execution_records',
  'metric.insert_results',
  'viewer_store.store_viewer',
  'viewer_store.update_viewer_instance',
];

/** The DB's launch events (legacy enable/disable SQL of mirswamp/deployment health_scripts). */
export const LAUNCH_EVENTS = ['assessment.process_execution_records', 'assessment.scheduler', 'metric.initiate_metric_runs'];

/** Pure: levels of a file's ownership and mode for a config holding a DB password. */
export function configFileLevel(st: { uid: number; mode: number }, myUid: number, hasPassword: boolean): Check['level'] {
  if (st.uid !== 0 && st.uid !== myUid) return 'fail';
  if ((st.mode & 0o002) !== 0) return 'fail';
  if ((st.mode & 0o020) !== 0) return 'warn';
  if (hasPassword && (st.mode & 0o004) !== 0) return 'warn';
  return 'pass';
}

/** Pure: free space -> level (fail below 5 %, warn below 15 %). */
export function diskLevel(freeFraction: number): Check['level'] {
  return freeFraction < 0.05 ? 'fail' : freeFraction < 0.15 ? 'warn' : 'pass';
}

/** Pure: the UDF config's mode line (`mode = strict`), 'shell' by default. */
export function udfMode(confText: string | undefined): string {
  if (confText === undefined) return 'shell (no sys_udf.conf)';
  const m = /^\s*mode\s*=\s*(\w+)/m.exec(confText);
  return m ? (m[1] as string) : 'shell';
}

function mode(m: number): string {
  return (m & 0o7777).toString(8).padStart(4, '0');
}

export async function runHealthChecks(s: CtlSettings, o: { swampOn: boolean; hasPassword: boolean }): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, level: Level, detail: string): void => {
    checks.push({ name, level, detail });
  };
  const why = (e: unknown): string => toSwampError(e).message;

  // configuration
  try {
    const st = statSync(s.configPath);
    const lvl = configFileLevel({ uid: st.uid, mode: st.mode }, process.getuid?.() ?? 0, o.hasPassword);
    add('config', lvl, `${s.configPath} readable, owner uid ${st.uid}, mode ${mode(st.mode)}${lvl === 'pass' ? '' : ' (should be owned by root or us, not writable by others, not world-readable with a password)'}`);
  } catch (e) {
    add('config', 'fail', why(e));
  }
  add('swamp', o.swampOn ? 'pass' : 'warn', o.swampOn ? 'SWAMPState is on' : 'SWAMPState is off: launches are queued, not run');

  // database
  await withDb(s.db, async (db) => {
    add('db', 'pass', `connected to ${s.db.socketPath ?? `${s.db.host}:${s.db.port}`} as ${s.db.user}`);
    const t0 = Date.now();
    const server = await serverTimeMs(db);
    const skew = Math.abs(server - (t0 + Date.now()) / 2) / 1000;
    add('clock', skew > 60 ? 'fail' : skew > 2 ? 'warn' : 'pass', `DB server clock ${skew.toFixed(1)} s from ours`);
    try {
      const udfs = await registeredUdfs(db, ['sys_exec', 'sys_eval']);
      const missing = ['sys_exec', 'sys_eval'].filter((n) => !udfs.some((u) => u.name === n));
      let confText: string | undefined;
      const dir = await pluginDir(db).catch(() => undefined);
      if (dir !== undefined) {
        try {
          confText = readFileSync(join(dir, 'sys_udf.conf'), 'utf8');
        } catch {
          /* no config file next to the plugin: default mode */
        }
      }
      const modeText = process.env.SWAMP_UDF_CONF ? 'see $SWAMP_UDF_CONF' : udfMode(confText);
      add('udf', missing.length === 0 ? 'pass' : 'fail', missing.length === 0 ? `sys_exec, sys_eval from ${udfs[0]?.dl ?? '?'}; mode ${modeText}` : `missing: ${missing.join(', ')}`);
    } catch (e) {
      add('udf', 'warn', `cannot read mysql.func with the backend account: ${why(e)}`);
    }
  }).catch((e: unknown) => add('db', 'fail', `${s.db.user}@${s.db.host}:${s.db.port}: ${why(e)}`));
  // procedures and events: only an administrator's account sees them all (the backend's has EXECUTE
  // on the three it calls); without dbAdminUser a missing one may only be invisible, so: warn
  await withDb(s.adminDb, async (db) => {
    const have = await presentProcedures(db, REQUIRED_PROCEDURES);
    const missing = REQUIRED_PROCEDURES.filter((p) => !have.has(p));
    add(
      'procedures',
      missing.length === 0 ? 'pass' : s.adminDbConfigured ? 'fail' : 'warn',
      missing.length === 0 ? `${have.size} procedures present` : `${s.adminDbConfigured ? 'missing' : `not visible to ${s.adminDb.user} (set dbAdminUser to check)`}: ${missing.join(', ')}`,
    );
    const events = await listEvents(db, LAUNCH_EVENTS);
    const sched = await eventScheduler(db);
    const disabled = events.filter((e) => e.status !== 'ENABLED').map((e) => e.name);
    add(
      'events',
      sched === 'ON' && disabled.length === 0 && events.length > 0 ? 'pass' : 'warn',
      `event_scheduler ${sched}; ${events.map((e) => `${e.name} ${e.status.toLowerCase()}`).join(', ') || 'no launch events'}`,
    );
  }).catch((e: unknown) => add('procedures', 'warn', `${s.adminDb.user}: ${why(e)}`));

  // HTCondor: one call each, the cheapest query each daemon answers
  await queryQueue(s.queueCtx, { constraint: 'false', attributes: ['ClusterId'] }).then(
    () => add('schedd', 'pass', `schedd${s.queueCtx.schedd ? ` ${s.queueCtx.schedd}` : ''} answers`),
    (e: unknown) => add('schedd', 'fail', why(e)),
  );
  await queryAds(s.collectorCtx, { constraint: 'false', attributes: ['Name'] }).then(
    () => add('collector', 'pass', `collector${s.collectorCtx.pool ? ` ${s.collectorCtx.pool}` : ''} answers`),
    (e: unknown) => add('collector', 'fail', why(e)),
  );

  // directories and disk space
  const dirs: [string, string, boolean][] = [
    ['run dir', s.runDir, true],
    ['log dir', s.logDir, true],
    ['results dir', s.resultsFolder, false],
  ];
  for (const [name, dir, mustWrite] of dirs) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) {
        add(name, 'fail', `${dir} is not a directory`);
        continue;
      }
      let level: Level = 'pass';
      const notes: string[] = [];
      if (mustWrite) {
        try {
          accessSync(dir, constants.W_OK);
        } catch {
          level = 'fail';
          notes.push('not writable by us');
        }
      }
      if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
        level = 'fail';
        notes.push('world-writable without the sticky bit');
      }
      add(name, level, `${dir} owner uid ${st.uid} mode ${mode(st.mode)}${notes.length ? `: ${notes.join(', ')}` : ''}`);
      const fs = statfsSync(dir);
      const free = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
      add(`disk ${name}`, diskLevel(free), `${(free * 100).toFixed(0)} % free (${((fs.bavail * fs.bsize) / 2 ** 30).toFixed(1)} GiB)`);
    } catch (e) {
      add(name, 'fail', `${dir}: ${(e as NodeJS.ErrnoException).code ?? why(e)}`);
    }
  }

  // timers, from their last log line
  const t = timerPasses(s.logDir);
  add('drain timer', t.drain.ageSeconds !== null && t.drain.ageSeconds <= 600 ? 'pass' : 'warn', `last drain pass ${ago(t.drain.ageSeconds)}`);
  add('cleanup timer', t.cleanup.ageSeconds !== null && t.cleanup.ageSeconds <= 3 * 3600 ? 'pass' : 'warn', `last cleanup pass ${ago(t.cleanup.ageSeconds)}`);
  return checks;
}

export function renderHealth(d: HealthDoc, c: Colors): string {
  const w = Math.max(...d.checks.map((x) => x.name.length));
  const lines = d.checks.map((x) => `${mark(x.level, c)} ${x.name.padEnd(w)}  ${x.level === 'pass' ? x.detail : x.level === 'warn' ? c.yellow(x.detail) : c.red(x.detail)}`);
  const fails = d.checks.filter((x) => x.level === 'fail').length;
  const warns = d.checks.filter((x) => x.level === 'warn').length;
  lines.push('', `${fails === 0 ? c.green('healthy') : c.red('unhealthy')}: ${d.checks.length - fails - warns} pass, ${warns} warn, ${fails} fail  ${c.dim(d.time)}`);
  return `${lines.join('\n')}\n`;
}

export function healthTsv(d: HealthDoc): string {
  return d.checks.map((x) => `${x.level}\t${x.name}\t${x.detail}\n`).join('');
}
