/**
 * Whether a process exists, by signal 0. EPERM means it exists but belongs to another user (the DB's
 * worker seen by an administrator's drain, a monitor started under another uid): alive.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
