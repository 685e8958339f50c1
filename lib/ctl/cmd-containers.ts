/**
 * `swampctl containers [--remove-leaked] [--min-age <minutes>]`: HTCondor's docker-universe
 * containers on this execute host, and the leaked ones (lib/ctl/containers.ts) removed. Runs where the
 * docker daemon is (an execute host, as root or a member of the docker group: the containers timer of
 * packaging/systemd); the docker CLI is swamp.conf `dockerCommand` (default `docker`, DOCKER_HOST
 * honoured).
 */
import { formatJson, isHumanOutput, printListing, writeOut, type Column } from '../cli/output.js';
import { EXIT_CODES } from '../cli/exit-codes.js';
import { SwampError, toSwampError } from '../errors/index.js';
import { pidAlive } from '../proc/pid.js';
import { run } from '../proc/run.js';
import { HTCONDOR_LABEL, judgeContainers, parseContainerList, type ContainerVerdict } from './containers.js';
import type { CtlEnv } from './env.js';

const DOCKER_TIMEOUT_MS = 60_000;

async function docker(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { timeoutMs: DOCKER_TIMEOUT_MS })).stdout;
  } catch (e) {
    const err = toSwampError(e);
    if (/ENOENT/.test(err.message)) throw new SwampError('not-found', `${cmd} is not installed here: run this on an execute host with the docker engine (swamp.conf dockerCommand)`, {});
    throw new SwampError(err.kind === 'internal' ? 'external' : err.kind, `${cmd} ${args[0] ?? ''} failed: ${err.message}`, {});
  }
}

const COLUMNS: Column[] = [
  { key: 'name', header: 'CONTAINER' },
  { key: 'state', header: 'STATE' },
  { key: 'cluster', header: 'JOB' },
  { key: 'action', header: 'ACTION', color: (v, c) => (v === 'removed' ? c.green : v === 'failed' ? c.red : v === 'leaked' ? c.yellow : c.dim) },
  { key: 'reason', header: 'WHY' },
];

export async function containersCommand(env: CtlEnv, o: { removeLeaked: boolean; minAgeMinutes: number }): Promise<number> {
  const cmd = env.config.string('dockerCommand', 'docker') || 'docker';
  const text = await docker(cmd, ['ps', '-a', '--no-trunc', '--filter', `label=${HTCONDOR_LABEL}`, '--format', '{{json .}}']);
  const verdicts = judgeContainers(parseContainerList(text), { now: Math.floor(Date.now() / 1000), minAgeSeconds: o.minAgeMinutes * 60, alive: pidAlive });
  const rows: (ContainerVerdict & { action: string; error?: string })[] = [];
  let failed = 0;
  for (const v of verdicts) {
    if (!v.leaked) {
      rows.push({ ...v, action: 'kept' });
      continue;
    }
    if (!o.removeLeaked) {
      rows.push({ ...v, action: 'leaked' });
      continue;
    }
    try {
      // by id, and without -f: a container that was started after all is refused, not killed
      await docker(cmd, ['rm', v.id]);
      env.log.info('leaked container removed', { container: v.name, id: v.id, image: v.image, reason: v.reason });
      rows.push({ ...v, action: 'removed' });
    } catch (e) {
      failed++;
      const error = toSwampError(e).message;
      env.log.error('leaked container not removed', { container: v.name, id: v.id, error });
      rows.push({ ...v, action: 'failed', error });
    }
  }
  const leaked = rows.filter((r) => r.action !== 'kept').length;
  if (o.removeLeaked) env.log.info('containers pass done', { seen: rows.length, leaked, removed: rows.filter((r) => r.action === 'removed').length, failed });
  const document = { version: 1, removeLeaked: o.removeLeaked, minAgeMinutes: o.minAgeMinutes, containers: rows };
  if (env.json) await writeOut(formatJson(document, isHumanOutput(env.out)), env.out);
  else await printListing(rows.map((r) => ({ ...r })), { columns: COLUMNS, stream: env.out });
  return failed > 0 ? EXIT_CODES.external : 0;
}
