/** swamp-assessment-machine: the local platform's simulated assessment machine (lib/machine). */
const HELP = `usage: swamp-assessment-machine [--job-dir D] [--outcome pass|build|assess|retry|crash] [--delay-ms N] ...
A SIMULATOR, not an assessment: the executable of a vanilla-universe job on the \`local\` platform,
for hosts where vm and docker jobs cannot run (tests, make demo). It plays a VM/container's event
sequence and writes the out/ files of a framework run with a canned SCARF result (a real gcc
assessment); no package is built or analysed. Installed only with make install WITH_SIMULATOR=1.
Settings: docs/monitor.md.
`;

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  const machine = await import('../machine/assessment-machine.js');
  return machine.main([...argv]);
}
