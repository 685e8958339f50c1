/** swamp-viewer-machine: the simulated viewer machine (lib/machine) of the local platform and of the test docker viewer image. */
const HELP = `usage: swamp-viewer-machine [--job-dir D] [--host 127.0.0.1|own|container] [--port N] [--delay-ms N] [--idle-timeout-ms N]
                            [--tls-cert F --tls-key F] ...
A SIMULATOR, not a CodeDX viewer: the executable of a vanilla-universe viewer job on the \`local\`
platform, for hosts where vm and docker jobs cannot run (tests, make demo), and the entrypoint of the
simulated docker viewer image (services/docker/viewer, docs/docker.md: --host container serves https on
the container's address, port 8443). --host own (or SWAMP_VIEWER_MACHINE_HOST=own in the environment,
set by the execute host): plain http on the execute host's own address, which a submit side on another
host reaches, as a viewer VM's. It plays a viewer VM/container's event sequence and answers a
small stand-in of the CodeDX API until SIGTERM; its "database" is a JSON dump. Installed only with
make install WITH_SIMULATOR=1. Settings: docs/monitor.md.
`;

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  const machine = await import('../machine/viewer-machine.js');
  return machine.main([...argv]);
}
