import { basename } from 'node:path';
import { exitCodeFor } from '../cli/exit-codes.js';
import { PROGRAM_ENV } from '../cli/program-env.js';
import { findProgram, PROGRAMS } from './registry.js';

function usage(): string {
  const lines = PROGRAMS.map((p) => `  ${p.name.padEnd(26)} ${p.summary}${p.aliases.length ? ` (also: ${p.aliases.join(', ')})` : ''}`);
  return `usage: swamp <program> [options]   or run a program by its installed name\n\nprograms:\n${lines.join('\n')}\n`;
}

/**
 * argv0: the name the process was started as. argv: process.argv; the user arguments start at
 * index 2 both under `node bundle.cjs` and in a single-executable binary.
 */
export function dispatch(argv0: string, argv: readonly string[]): void {
  let name = process.env[PROGRAM_ENV] || basename(argv0);
  let args = argv.slice(2);
  if (!findProgram(name)) {
    // `swamp <program> ...` or `node swamp.cjs <program> ...`
    const first = args[0];
    if (first === undefined || first === '--help' || first === '-h') {
      process.stdout.write(usage());
      process.exitCode = first === undefined ? 2 : 0;
      return;
    }
    name = first;
    args = args.slice(1);
  }
  const program = findProgram(name);
  if (!program) {
    process.stderr.write(`swamp: unknown program '${name}'\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  delete process.env[PROGRAM_ENV];
  program
    .load()
    .then((main) => main(args, name))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        // A program's own errors are mapped inside it (runProgram); this is a bug that escaped it (or a
        // failed load): its stack goes to stderr, the code comes from the one table (internal: 70).
        process.stderr.write(`${program.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = exitCodeFor(err);
      },
    );
}
