/**
 * Builds the native entry (entry/) and small C test drivers into a temporary directory with the
 * system's gcc and make (the same tools udf/ needs), so the unit tests never depend on an earlier
 * `make build`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ENTRY_DIR = resolve(process.cwd(), 'entry');

/** `make -C entry OUT=<out>`; returns the path of the built execute_execution_record. */
export function buildEntry(out: string): string {
  execFileSync('make', ['-s', '-C', ENTRY_DIR, `OUT=${out}`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  return join(out, 'execute_execution_record');
}

/** Compiles one C source (text) with the entry's headers on the include path, plus `extra` sources. */
export function compileC(out: string, name: string, source: string, extra: readonly string[] = []): string {
  const src = join(out, `${name}.c`);
  const exe = join(out, name);
  writeFileSync(src, source);
  execFileSync('gcc', ['-O1', '-Wall', '-Werror', '-std=gnu11', `-I${ENTRY_DIR}`, '-o', exe, src, ...extra], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  return exe;
}
