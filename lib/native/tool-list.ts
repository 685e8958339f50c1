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

/** The installed file's name in `<swampDir>/etc` (mirswamp/services perl/agents/vmu_launchviewer.pl doNativeSCARF). */
export const TOOL_LIST_FILE = 'Scarf_ToolList.json';

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Scarf_ToolList.json text -> the shape the resolution needs, or an Error saying what is wrong: a JSON
 * object with `Generic-Toollist` (names) and `ScarfAttributes` (name -> attribute names) holding at
 * least `default` and `generic`. Key order is kept as written (it matters: resolution stops at
 * `generic`); JSON.parse keeps it for every key that is not an array index.
 */
export function parseToolList(text: string): ToolListShape {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const o = v as Record<string, unknown>;
  if (!isStringArray(o['Generic-Toollist'])) throw new Error('"Generic-Toollist" must be an array of tool names');
  const attrs = o.ScarfAttributes;
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new Error('"ScarfAttributes" must be an object');
  for (const [k, list] of Object.entries(attrs)) {
    if (!isStringArray(list)) throw new Error(`"ScarfAttributes"."${k}" must be an array of attribute names`);
  }
  for (const k of ['default', 'generic']) {
    if (!(k in attrs)) throw new Error(`"ScarfAttributes" has no "${k}" list`);
  }
  return { 'Generic-Toollist': o['Generic-Toollist'], ScarfAttributes: attrs as Record<string, string[]> };
}

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
