/**
 * One lock per run id in the run directory: `<runDir>/<execrunid>.lock`, created with O_EXCL, holding
 * `<pid> <host> <epoch ms>`. Whoever creates it owns the run until it removes the file; a DB relaunch,
 * a retry or a drain pass that finds it held by a live process leaves the run alone (that process
 * finishes it). Node has no flock(2), so staleness is explicit:
 *
 * - stale = the holder's pid is gone (or a zombie) on this host AND no process is left in the holder's
 *   process group (the detached worker leads its own group; a condor_submit it started stays in it
 *   and may still create a job after the worker died: the lock outlives the worker until that child
 *   is gone, and the next holder's lookup then finds the job), or the lock is older than `maxAgeMs`
 *   (a worker's whole life is bounded by its tool timeouts; default 15 min);
 * - breaking a stale lock: rename it to a private name (only one breaker's rename can succeed), then
 *   compare the renamed file's inode with the one judged stale. Equal: delete it and retry the O_EXCL
 *   create. Different (someone broke and re-took it in between): put it back with link(2), which never
 *   overwrites, and report busy.
 */
import { closeSync, constants, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SwampError } from '../errors/index.js';
import { pidAlive } from '../proc/pid.js';

export const DEFAULT_LOCK_MAX_AGE_MS = 15 * 60_000;

export interface RunLock {
  readonly path: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  since: number;
  /** Process group of the holder (absent in locks written before it was recorded). */
  pgid?: number;
}

function parseHolder(text: string): Holder | undefined {
  const m = /^(\d+) (\S+) (\d+)(?: (\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const h: Holder = { pid: Number(m[1]), host: m[2] as string, since: Number(m[3]) };
  if (m[4] !== undefined) h.pgid = Number(m[4]);
  return h;
}

/** Field 3 (state) and 5 (pgrp) of /proc/<pid>/stat; undefined where there is no /proc. */
function procStat(pid: number | 'self'): { state: string; pgid: number } | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return { state: f[0] ?? '', pgid: Number(f[2]) };
  } catch {
    return undefined;
  }
}

/** The holder lives: exists, and is not a zombie (died, not yet reaped by its parent: holds nothing). */
function holderAlive(pid: number): boolean {
  return pidAlive(pid) && procStat(pid)?.state !== 'Z';
}

/** Some process of the group is still there (the worker's children). Never our own group. */
function groupAlive(pgid: number | undefined): boolean {
  if (pgid === undefined || pgid <= 1 || pgid === procStat('self')?.pgid) return false;
  return pidAlive(-pgid);
}

export function lockPath(runDir: string, execrunid: string): string {
  return join(runDir, `${execrunid}.lock`);
}

function isStale(h: Holder | undefined, mtimeMs: number, now: number, maxAgeMs: number): boolean {
  const since = h?.since ?? mtimeMs;
  if (now - since > maxAgeMs) return true;
  if (h === undefined) return now - mtimeMs > 5_000; // half-written by a creator that died at once
  return h.host === hostname() && h.pid !== process.pid && !holderAlive(h.pid) && !groupAlive(h.pgid);
}

/** Takes the lock or returns undefined when a live holder has it. I/O errors throw SwampError. */
export function tryLock(runDir: string, execrunid: string, opts: { maxAgeMs?: number; now?: () => number } = {}): RunLock | undefined {
  return tryLockFile(lockPath(runDir, execrunid), opts);
}

/** True when a live holder has the lock file (a stale or missing one: false). Never takes it. */
export function lockHeld(path: string, opts: { maxAgeMs?: number; now?: () => number } = {}): boolean {
  try {
    const st = statSync(path);
    return !isStale(parseHolder(readFileSync(path, 'utf8')), st.mtimeMs, (opts.now ?? Date.now)(), opts.maxAgeMs ?? DEFAULT_LOCK_MAX_AGE_MS);
  } catch {
    return false;
  }
}

/** tryLock for any lock file (the batch submitter's singleton lock, lib/assessment/submitter.ts). */
export function tryLockFile(path: string, opts: { maxAgeMs?: number; now?: () => number } = {}): RunLock | undefined {
  const now = opts.now ?? Date.now;
  const maxAge = opts.maxAgeMs ?? DEFAULT_LOCK_MAX_AGE_MS;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try {
        const pgid = procStat('self')?.pgid;
        writeSync(fd, `${process.pid} ${hostname()} ${now()}${pgid !== undefined && pgid > 1 ? ` ${pgid}` : ''}\n`);
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        path,
        release(): void {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            /* already gone (broken as stale by someone else): nothing to release */
          }
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new SwampError(code === 'EACCES' ? 'denied' : 'external', `cannot create lock ${path}: ${code ?? String(e)}`, { path });
    }
    let st;
    let text: string;
    try {
      st = statSync(path);
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // released between our create and our look: try again
    }
    if (!isStale(parseHolder(text), st.mtimeMs, now(), maxAge)) return undefined;
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      continue; // another breaker won the rename
    }
    const moved = statSync(aside);
    if (moved.ino !== st.ino) {
      // Not the file we judged stale: a fresh lock. Put it back unless yet another one appeared.
      try {
        linkSync(aside, path);
      } catch {
        /* a newer lock exists: that holder owns the run */
      }
      unlinkSync(aside);
      return undefined;
    }
    unlinkSync(aside);
  }
  return undefined;
}
