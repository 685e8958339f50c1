/**
 * The docker universe's leaked containers, pure. HTCondor's starter creates a container
 * (`docker create`, name `HTCJob<cluster>_<proc>_<slot>_PID<starter pid>`, label
 * `org.htcondorproject=True`), then starts it. A job removed between the two leaves the container in
 * state `created`: the starter's `docker kill` fails on a container that never ran and it does not
 * `docker rm` it, so it holds its image for good (docs/docker.md). Leaked: created (never started),
 * labelled by HTCondor, its starter gone, and older than a grace period (a starter in another PID
 * namespace is never seen alive; the age keeps its container safe while it is being started).
 */

export interface Container {
  id: string;
  name: string;
  state: string;
  image: string;
  /** Epoch seconds, undefined when the engine's text could not be read. */
  created?: number;
  labels: Record<string, string>;
}

export interface ContainerVerdict extends Container {
  cluster?: string;
  starterPid?: number;
  leaked: boolean;
  reason: string;
}

export const HTCONDOR_LABEL = 'org.htcondorproject';
const NAME_RE = /^HTCJob(\d+)_(\d+)_(.+)_PID(\d+)$/;

/** `2026-12-06 12:04:30 +0000 UTC` (docker's CreatedAt) -> epoch seconds. */
export function parseCreatedAt(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? ([+-])(\d\d)(\d\d)/.exec(text.trim());
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** `docker ps -a --format '{{json .}}'`: one object per line; lines that are not one are skipped. */
export function parseContainerList(text: string): Container[] {
  const out: Container[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
    if (str('ID') === '') continue;
    const created = parseCreatedAt(str('CreatedAt'));
    out.push({
      id: str('ID'),
      name: str('Names').split(',')[0] ?? '',
      state: str('State').toLowerCase(),
      image: str('Image'),
      ...(created !== undefined ? { created } : {}),
      labels: parseLabels(str('Labels')),
    });
  }
  return out;
}

/** Which of HTCondor's containers are leaked (see the top of this file). */
export function judgeContainers(list: readonly Container[], o: { now: number; minAgeSeconds: number; alive: (pid: number) => boolean }): ContainerVerdict[] {
  return list
    .filter((c) => c.labels[HTCONDOR_LABEL] !== undefined)
    .map((c): ContainerVerdict => {
      const m = NAME_RE.exec(c.name);
      const base: ContainerVerdict = { ...c, leaked: false, reason: '' };
      if (m) {
        base.cluster = `${m[1]}.${m[2]}`;
        base.starterPid = Number(m[4]);
      }
      if (c.state !== 'created') return { ...base, reason: `state ${c.state || 'unknown'}: the starter manages it` };
      if (base.starterPid === undefined) return { ...base, reason: 'not named by a starter' };
      if (o.alive(base.starterPid)) return { ...base, reason: `starter ${base.starterPid} is alive` };
      const age = c.created === undefined ? undefined : o.now - c.created;
      if (age === undefined || age < o.minAgeSeconds) return { ...base, reason: `younger than ${Math.round(o.minAgeSeconds / 60)} min` };
      return { ...base, leaked: true, reason: `never started, starter ${base.starterPid} gone, ${Math.round(age / 60)} min old` };
    });
}
