/**
 * jobhook (also installed as vmu_perl_launcher): the program HTCondor runs as PreCmd/PostCmd,
 *   jobhook PreAssessment|PostAssessment|PreViewer|PostViewer <execrunuid> <owner> <uiddomain> <clusterid> <procid> <numjobstarts>
 * in the job's scratch directory, as the job owner. Logs to the per-job log `<logDir>/<id>_<clusterid>.log`
 * (mirswamp/services perl/agents/vmu_perl_launcher), runs the hook (lib/hooks) and exits with its code. A failed Pre hook also
 * removes the vm disk files so HTCondor cannot start a half-prepared machine. stdout stays empty.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { checkFamily, isHookName, parseJobArgs, HOOK_NAMES, type HookName } from '../hooks/args.js';
import { runHook } from '../hooks/index.js';
import { realDurableHook } from '../hooks/durable.js';
import { DEFAULT_PATH, jobLogger, realHookContext } from '../hooks/runtime.js';
import { VM_DISKS } from '../submission/sections.js';

async function unlinkDisks(cwd: string): Promise<void> {
  for (const d of VM_DISKS) await rm(join(cwd, d), { force: true }).catch(() => undefined);
}

export async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (name === '--help' || name === '-h') {
    process.stdout.write(
      `usage: jobhook PreAssessment|PostAssessment|PreViewer|PostViewer <execrunuid> <owner> <uiddomain> <clusterid> <procid> <numjobstarts>\n` +
        `HTCondor's PreCmd/PostCmd for SWAMP jobs (docs/hooks.md). Exit 0 success; 1 failure; 2 usage;\n` +
        `PostAssessment exits 5 to ask HTCondor for a retry (within max_retries).\n`,
    );
    return 0;
  }
  const cwd = process.cwd();
  if (!isHookName(name)) {
    process.stderr.write(`jobhook: first argument must be one of ${HOOK_NAMES.join('|')}, got ${JSON.stringify(name ?? '')}\n`);
    return 2;
  }
  const isPre = name.startsWith('Pre');
  if (!process.env.PATH) process.env.PATH = DEFAULT_PATH;
  let rc = 1;
  try {
    const args = parseJobArgs(argv.slice(1));
    checkFamily(name, args);
    const config = loadConfig();
    const log = jobLogger(config, args, name);
    const started = Date.now();
    const header: Record<string, unknown> = { argv: [...argv], pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.(), cwd };
    if (isPre) header.files = await readdir(cwd).catch(() => []);
    log.info(`jobhook ${name} started`, header);
    let ctx = realHookContext(config, args, log, cwd);
    // PostAssessment's results and final status, and PostViewer's saved viewer database, are owed to
    // the DB (and the collector): kept in the outbox until delivered (docs/durability.md)
    const durable =
      name === 'PostAssessment' ? realDurableHook(config, ctx, args.execrunuid, log)
      : name === 'PostViewer' ? realDurableHook(config, ctx, args.execrunuid, log, 'viewer')
      : undefined;
    if (durable !== undefined) ctx = { ...ctx, db: durable.db, publisher: durable.publisher };
    try {
      rc = await runHook(name as HookName, ctx);
    } catch (e) {
      log.error(`${name} failed`, { error: e });
      rc = 1;
    }
    await durable?.settle().catch((e: unknown) => log.error('delivering owed changes failed', { error: e }));
    log.info(`HTCondor jobhook ${name} exit result: ${rc}`, { ms: Date.now() - started });
  } catch (e) {
    // Before the job log exists (bad argv, unreadable swamp.conf): stderr goes to the starter's log.
    process.stderr.write(`jobhook ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    rc = 1;
  }
  if (isPre && rc !== 0) await unlinkDisks(cwd);
  return rc;
}
