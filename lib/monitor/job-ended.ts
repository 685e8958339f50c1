/**
 * Ready-made job-ended predicates for runMonitor. The legacy monitor only noticed the end of a job
 * when HTCondor removed the scratch directory (50/5 failed opens of the event file); a predicate lets
 * the program entry end the monitor as soon as the machine process or its marker is gone.
 */
import { access } from 'node:fs/promises';

/** True once process `pid` no longer exists (signal 0 probes without sending anything). */
export function processGone(pid: number): () => boolean {
  return () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      // EPERM: it exists but belongs to someone else (the machine may run as another user).
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  };
}

/** True once `path` does not exist (e.g. the scratch dir, or a pid/lock file the starter removes). */
export function fileGone(path: string): () => Promise<boolean> {
  return async () => {
    try {
      await access(path);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT';
    }
  };
}
