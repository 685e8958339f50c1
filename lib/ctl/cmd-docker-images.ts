/**
 * `swampctl docker-images [--from file|-]`: writes swamp.conf `dockerImagesFile`, the admin's copy of
 * `docker images` the platform choice reads (the launcher runs as the DB's user, who may not talk to
 * docker; legacy load_docker_images.pl). From the docker daemon, or from a list; atomic write.
 */
import { readFileSync } from 'node:fs';
import { formatJson, isHumanOutput, writeOut } from '../cli/output.js';
import { SwampError, toSwampError } from '../errors/index.js';
import { writeFileAtomicSync } from '../bog/atomic.js';
import { run } from '../proc/run.js';
import type { CtlEnv } from './env.js';

/** Lines worth keeping (pure): non-empty, trimmed on the right. */
export function imageLines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
}

async function fromDocker(): Promise<string> {
  try {
    return (await run('docker', ['images'], { timeoutMs: 30_000 })).stdout;
  } catch (e) {
    const err = toSwampError(e);
    if (/ENOENT|not found/i.test(err.message)) throw new SwampError('not-found', 'docker is not installed here: run this where the docker daemon is, or give --from <file>', {});
    throw new SwampError(err.kind === 'internal' ? 'external' : err.kind, `docker images failed: ${err.message}`, {});
  }
}

export async function dockerImagesCommand(env: CtlEnv, from: string | undefined): Promise<number> {
  let text: string;
  if (from === undefined) text = await fromDocker();
  else {
    try {
      text = readFileSync(from === '-' ? 0 : from, 'utf8');
    } catch (e) {
      throw new SwampError('not-found', `cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {});
    }
  }
  const lines = imageLines(text);
  const swamp = lines.filter((l) => l.includes('swamp/')).length;
  const file = env.settings.dockerImagesFile;
  try {
    writeFileAtomicSync(file, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SwampError(code === 'EACCES' || code === 'EPERM' ? 'denied' : 'external', `cannot write ${file}: ${code ?? String(e)}`, { file });
  }
  env.log.info('docker images file written', { file, lines: lines.length, swampImages: swamp });
  const doc = { version: 1, file, lines: lines.length, swampImages: swamp, source: from ?? 'docker' };
  await writeOut(env.json ? formatJson(doc, isHumanOutput(env.out)) : `${file}: ${lines.length} lines, ${swamp} swamp/ images\n`, env.out);
  return 0;
}
