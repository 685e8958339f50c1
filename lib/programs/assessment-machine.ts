/** swamp-assessment-machine: the local platform's assessment machine (lib/machine). */
export async function main(argv: readonly string[]): Promise<number> {
  const machine = await import('../machine/assessment-machine.js');
  return machine.main([...argv]);
}
