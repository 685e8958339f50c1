/**
 * Keys looked up by a byte range of a buffer, without decoding it to a string first: the XML
 * tokenizer's interned element names and the SCARF converter's BugSummaries keys. Pure.
 */

/** FNV-1a over b[s, e). */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let k = s; k < e; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h;
}

/** Whether key equals b[s, e). */
export function sameBytes(key: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (key.length !== e - s) return false;
  for (let k = 0; k < key.length; k++) if (key[k] !== b[s + k]) return false;
  return true;
}
