/**
 * Which SCARF attributes a tool's nativereport.json shows (legacy AttributeJsonReader semantics).
 * - the `default` array is the dictionary of known names; all start disabled;
 * - a tool named in `Generic-Toollist` gets the `generic` array;
 * - else a key of `ScarfAttributes` that comes before `generic` and equals the tool name exactly
 *   (case-sensitive) gives its array;
 * - else (unknown tool, `generic`, `default`, a case mismatch) the `generic` array.
 * Names in a tool's array that are not in `default` are reported and ignored.
 */
import { SCARF_TOOL_LIST, type ToolListShape } from './scarf-tool-list-data.js';

export interface ResolvedAttributes {
  /** Enabled attribute names (subset of the dictionary). */
  enabled: ReadonlySet<string>;
  /** The dictionary (`default` array), sorted with C strcmp order (for the [INFO] lines). */
  dictionary: readonly string[];
  /** Which ScarfAttributes key was used. */
  key: string;
  /** `[ERROR]: Cannot find <x> in the attribute list` lines. */
  warnings: string[];
}

function strcmpOrder(a: string, b: string): number {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ba, bb);
}

export function resolveToolAttributes(toolName: string, list: ToolListShape = SCARF_TOOL_LIST): ResolvedAttributes {
  const attrs = list.ScarfAttributes;
  const dictionary = [...(attrs['default'] ?? [])].sort(strcmpOrder);
  const known = new Set(dictionary);
  let key = 'generic';
  if (!list['Generic-Toollist'].includes(toolName)) {
    for (const k of Object.keys(attrs)) {
      if (k === 'generic') break;
      if (k === toolName) {
        key = k;
        break;
      }
    }
  }
  const enabled = new Set<string>();
  const warnings: string[] = [];
  for (const name of attrs[key] ?? []) {
    if (known.has(name)) enabled.add(name);
    else warnings.push(`[ERROR]: Cannot find ${name} in the attribute list`);
  }
  return { enabled, dictionary, key, warnings };
}
