/**
 * Shared by the docker platform's end-to-end tests (e2e.test.ts, viewer.test.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An htcondor_root whose condor_* append their name to calls.log and exec the pool's shims, so a run's
 * HTCondor calls (launcher, hooks, monitor, kill) can be counted. Under /tmp: the chroot sees it too.
 * `real` is the installed htcondor_root (scripts/services.sh): its etc/condor_config reads the
 * service account's token, and its tools run the pool's own inside the chroot.
 */
const TOOLS = ['condor_submit', 'condor_q', 'condor_rm', 'condor_history', 'condor_status', 'condor_advertise', 'condor_wait', 'condor_qedit', 'condor_release', 'condor_hold'];
export function countingRoot(real: string): { root: string; calls(): string[] } {
  const root = mkdtempSync('/tmp/swamp-htc-count-');
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'etc'));
  symlinkSync(join(real, 'etc', 'condor_config'), join(root, 'etc', 'condor_config'));
  const log = join(root, 'calls.log');
  writeFileSync(log, '');
  chmodSync(log, 0o666);
  for (const t of TOOLS) {
    writeFileSync(join(root, 'bin', t), `#!/bin/sh\necho ${t} >> ${log}\nexec ${real}/bin/${t} "$@"\n`, { mode: 0o755 });
  }
  return { root, calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

/** Tool -> number of calls among `calls` (for the MEASURE lines). */
export function tally(calls: readonly string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const c of calls) t[c] = (t[c] ?? 0) + 1;
  return t;
}

