/**
 * The SWAMPState launch gate (mirswamp/services perl/agents/vmu_calldorun.pl).
 *
 * The legacy tested `SWAMPState =~ /ON/i`, so `none`, `JSON`, `Monday` or `ON_HOLD` all opened the gate
 * [BUG]. Here the gate is open only when the value, trimmed, is the word `on` in any letter case
 * (`ON`, `on`, `On`); an absent key, an empty value or anything else means off. Deliberately stricter
 * than lib/config's `swampOn` (which also accepts yes/true/1): the shipped files and every admin guide
 * write `SWAMPState = ON`, and "off" must never be mistaken for "on" by a permissive word list. Pure.
 */
export function isSwampOn(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'on';
}
