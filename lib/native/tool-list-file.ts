/**
 * The installed Scarf_ToolList.json (`<swampDir>/etc/Scarf_ToolList.json`, where the legacy C parser
 * read it): used when present, so a site's attribute lists apply; the embedded copy otherwise. Read
 * through lib/config's bounded, owner/mode-checked reader; a file that is there but unreadable or
 * malformed is refused (ConfigError, exit 78), never silently replaced by the embedded list.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfiguredFile } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { SCARF_TOOL_LIST, type ToolListShape } from './scarf-tool-list-data.js';
import { parseToolList, TOOL_LIST_FILE } from './tool-list.js';

/** The tool list of a Native SCARF request, and where it came from (for the log). */
export function loadToolList(etcDir: string): { list: ToolListShape; source: string } {
  const path = join(etcDir, TOOL_LIST_FILE);
  if (!existsSync(path)) return { list: SCARF_TOOL_LIST, source: 'embedded' };
  const text = readConfiguredFile(path, { trusted: true, maxBytes: 1024 * 1024, what: 'SCARF tool list' });
  try {
    return { list: parseToolList(text), source: path };
  } catch (e) {
    throw new ConfigError(`cannot use SCARF tool list ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}
