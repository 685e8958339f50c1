/** swamp-viewer-machine: the local platform's viewer machine (lib/machine). */
export async function main(argv: readonly string[]): Promise<number> {
  const machine = await import('../machine/viewer-machine.js');
  return machine.main([...argv]);
}
