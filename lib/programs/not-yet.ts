import type { ProgramMain } from './registry.js';

/** Placeholder for a program whose issue has not landed yet: says so and fails. */
export function notYet(name: string): ProgramMain {
  return async () => {
    process.stderr.write(`${name}: not implemented yet\n`);
    return 70;
  };
}
