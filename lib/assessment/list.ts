/**
 * `--list [n]` output (mirswamp/services perl/agents/vmu_calldorun.pl) [COMPAT]: the DB launch queue
 * (`execution_record.launch_flag = 1`) as
 *   Database Queue has <N> items in it
 *   0) <uuid>
 *   ...
 *   Count: <printed>
 * With n > 0 only the first n entries are printed (Count says how many were). On a DB failure the
 * legacy printed the error text without a newline. Pure.
 */
export function formatLaunchQueue(uuids: readonly string[], limit = 0): string {
  let out = `Database Queue has ${uuids.length} items in it\n`;
  let printed = 0;
  for (const uuid of uuids) {
    if (limit > 0 && printed >= limit) break;
    out += `${printed}) ${uuid}\n`;
    printed++;
  }
  return `${out}Count: ${printed}\n`;
}

export const LIST_DB_ERROR = 'Error - failed to retrieve execution record uuids from Database Queue';
