/**
 * A directory of tiny recording programs standing in for the backend's entry programs
 * (execute_execution_record, launch_viewer, kill_run). Each appends its name and argv to calls.log,
 * prints <name>.stdout if present, exits with <name>.exit if present. The directory is world-writable
 * because the programs run as mariadbd's user (swamp), not as the test's user.
 */
import { mkdtempSync, writeFileSync, readFileSync, existsSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RECORDER = `#!/bin/sh
d=$(dirname "$0")
n=$(basename "$0")
{ printf 'CALL %s\\n' "$n"; for a in "$@"; do printf 'ARG %s\\n' "$a"; done; } >>"$d/calls.log"
[ -f "$d/$n.stdout" ] && cat "$d/$n.stdout"
[ -f "$d/$n.exit" ] && exit "$(cat "$d/$n.exit")"
exit 0
`;

export const PROGRAMS = ['execute_execution_record', 'launch_viewer', 'kill_run'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

export interface RecordedCall {
  program: string;
  args: string[];
}

export class RecordingBin {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'swamp-recbin-'));
    chmodSync(this.dir, 0o777);
    for (const p of PROGRAMS) {
      writeFileSync(path.join(this.dir, p), RECORDER, { mode: 0o755 });
      chmodSync(path.join(this.dir, p), 0o755);
    }
  }

  setStdout(p: ProgramName, text: string | null): void {
    const f = path.join(this.dir, `${p}.stdout`);
    if (text === null) rmSync(f, { force: true });
    else writeFileSync(f, text, { mode: 0o644 });
  }

  setExit(p: ProgramName, code: number | null): void {
    const f = path.join(this.dir, `${p}.exit`);
    if (code === null) rmSync(f, { force: true });
    else writeFileSync(f, String(code), { mode: 0o644 });
  }

  calls(): RecordedCall[] {
    const f = path.join(this.dir, 'calls.log');
    if (!existsSync(f)) return [];
    const out: RecordedCall[] = [];
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.startsWith('CALL ')) out.push({ program: line.slice(5), args: [] });
      else if (line.startsWith('ARG ')) out[out.length - 1]?.args.push(line.slice(4));
    }
    return out;
  }

  clear(): void {
    rmSync(path.join(this.dir, 'calls.log'), { force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
