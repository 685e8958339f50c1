/**
 * Which program names the database calls. Under these names argv is data built from table values
 * (docs/security.md): only the legacy options, each at most once, values checked, no --help/--config,
 * configuration only from the installed place. Every other name is an administrator's (a shell).
 */
import type { ArgvTrust } from './args.js';

export const DATABASE_NAMES: ReadonlySet<string> = new Set(['execute_execution_record', 'launch_viewer', 'kill_run']);

export function argvTrust(calledAs: string | undefined): ArgvTrust {
  return calledAs !== undefined && DATABASE_NAMES.has(calledAs) ? 'database' : 'admin';
}
