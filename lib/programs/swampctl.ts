/**
 * swampctl: what an administrator runs from a shell, and the cleanup the timers run (docs/swampctl.md).
 * commander subcommands, each with --help, --json (one JSON document on stdout), --config, --debug.
 * Human output (chalk) only when stdout is a terminal, tab-separated text otherwise; every failure
 * becomes an exit code in lib/cli/exit-codes.ts (runProgram), never here.
 */
import { EXIT_CODES, runProgram } from '../cli/exit-codes.js';
import { writeOut } from '../cli/output.js';
import { UsageError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { CommonOptions, CtlEnv } from '../ctl/env.js';

type Command = import('commander').Command;

const EXAMPLES: Record<string, string> = {
  status: 'swampctl status\nswampctl status --json | jq .counts\nswampctl status --watch 10',
  runs: 'swampctl runs --state held,orphan\nswampctl runs --project <uuid> --json',
  run: 'swampctl run 0f3c...-uuid\nswampctl run vrun_<project>_CodeDX --json',
  health: 'swampctl health\nswampctl health --watch 5',
  cleanup: 'swampctl cleanup --dry-run\nswampctl cleanup --json',
  ads: 'swampctl ads\nswampctl ads --invalidate <run id>\nswampctl ads --all-stale',
  enable: 'swampctl enable',
  disable: 'swampctl disable',
  config: 'swampctl config check\nswampctl config get logDir\nswampctl config set cleanupResultsDays 14',
  'docker-images': 'swampctl docker-images\nswampctl docker-images --from list.txt',
  containers: 'swampctl containers\nswampctl containers --remove-leaked --json',
};

export async function main(argv: readonly string[]): Promise<number> {
  let log: Logger | undefined;
  return runProgram(
    async () => {
      const { Command, CommanderError } = await import('commander');
      let code = 0;
      let text = '';
      const program = new Command('swampctl');
      program
        .description('SWAMP backend administration: status, runs, health, cleanup, ads, on/off switch, config, docker images, containers')
        .exitOverride()
        .configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), outputError: () => undefined })
        .showHelpAfterError(false)
        .addHelpText('after', '\nExit codes: 0 ok, 1 a check or an action failed, 2 usage, 66 not found, 70 internal,\n75 a service unreachable, 77 denied, 78 config. docs/swampctl.md has the JSON documents.');

      const env = async (o: CommonOptions): Promise<CtlEnv> => {
        const { loadEnv } = await import('../ctl/env.js');
        const e = loadEnv(o);
        log = e.log;
        return e;
      };
      const sub = (name: string, description: string): Command => {
        const c = program
          .command(name)
          .description(description)
          .option('--json', 'one JSON document on stdout (docs/swampctl.md)')
          .option('--config <file>', 'swamp.conf to use (default $SWAMP_CONFIG, then /opt/swamp/etc/swamp.conf)')
          .option('--debug', 'log at trace level');
        c.addHelpText('after', `\nExamples:\n${(EXAMPLES[name] ?? '').replace(/^/gm, '  ')}`);
        return c;
      };

      sub('status', 'one screen: runs by state, viewers up, timers, inconsistencies between the DB, the queue and the collector')
        .option('--watch [seconds]', 'redraw every n seconds (default 5) until interrupted')
        .option('--count <n>', 'with --watch: stop after n rounds')
        .action(async (o: CommonOptions & { watch?: string | boolean; count?: string }) => {
          const { statusCommand } = await import('../ctl/cmd-status.js');
          code = await statusCommand(await env(o), watchOptions(o));
        });
      sub('runs', 'list the runs in progress (DB, queue and collector joined)')
        .option('--state <states>', 'only these states (comma-separated): waiting, queued, running, held, finishing, orphan, stuck')
        .option('--user <uuid>', "only this user's runs")
        .option('--project <uuid>', "only this project's runs")
        .option('--kind <kind>', 'assessment, metric or viewer')
        .action(async (o: CommonOptions & { state?: string; user?: string; project?: string; kind?: string }) => {
          const { runsCommand } = await import('../ctl/cmd-status.js');
          code = await runsCommand(await env(o), {
            ...(o.state !== undefined ? { state: [o.state] } : {}),
            ...(o.user !== undefined ? { user: o.user } : {}),
            ...(o.project !== undefined ? { project: o.project } : {}),
            ...(o.kind !== undefined ? { kind: o.kind } : {}),
          });
        });
      sub('run', "one run's whole story: DB row, jobs, event log, status ads, our log lines, result paths")
        .argument('<id>', 'assessment run uuid, M-<uuid> or vrun_<project>_<viewer>')
        .action(async (id: string, o: CommonOptions) => {
          const { runCommand } = await import('../ctl/cmd-run.js');
          code = await runCommand(await env(o), id);
        });
      sub('health', 'pass/warn/fail checks of the DB, UDF, procedures, HTCondor, config, directories, disk, timers, clocks')
        .option('--watch [seconds]', 'repeat every n seconds (default 5) until interrupted')
        .option('--count <n>', 'with --watch: stop after n rounds')
        .action(async (o: CommonOptions & { watch?: string | boolean; count?: string }) => {
          const { healthCommand } = await import('../ctl/cmd-health.js');
          code = await healthCommand(await env(o), watchOptions(o));
        });
      sub('cleanup', 'what the cleanup timer runs: finished job dirs, old results working dirs, stale ads, orphans, old logs')
        .option('--dry-run', 'say what would be done, change nothing')
        .action(async (o: CommonOptions & { dryRun?: boolean }) => {
          const { cleanupCommand } = await import('../ctl/cmd-cleanup.js');
          code = await cleanupCommand(await env(o), { dryRun: o.dryRun === true });
        });
      sub('ads', 'list the SWAMP status ads in the collector, or invalidate them')
        .option('--invalidate <id>', 'remove the status ad of this run id')
        .option('--all-stale', 'remove every stale ad (job gone, final status, older than cleanupStaleAdHours)')
        .action(async (o: CommonOptions & { invalidate?: string; allStale?: boolean }) => {
          if (o.invalidate !== undefined && o.allStale === true) throw new UsageError('give --invalidate or --all-stale, not both');
          const { adsCommand } = await import('../ctl/cmd-ads.js');
          code = await adsCommand(await env(o), { ...(o.invalidate !== undefined ? { invalidate: o.invalidate } : {}), allStale: o.allStale === true });
        });
      for (const on of [true, false]) {
        sub(on ? 'enable' : 'disable', on ? 'turn SWAMP on: SWAMPState = ON and the DB launch events enabled' : 'turn SWAMP off: SWAMPState = OFF and the DB launch events disabled').action(
          async (o: CommonOptions) => {
            const { switchCommand } = await import('../ctl/cmd-switch.js');
            code = await switchCommand(await env(o), on);
          },
        );
      }
      sub('config', 'read, change (validated, atomic) or check swamp.conf')
        .argument('<action>', 'get [key] | set <key> <value> | check')
        .argument('[key]')
        .argument('[value]')
        .action(async (action: string, key: string | undefined, value: string | undefined, o: CommonOptions) => {
          const { configCommand } = await import('../ctl/cmd-config.js');
          code = await configCommand(o, action, key, value);
        });
      sub('docker-images', 'write the docker images file the platform choice reads (dockerImagesFile)')
        .option('--from <file>', "read the list from this file ('-' = stdin) instead of asking the docker daemon")
        .action(async (o: CommonOptions & { from?: string }) => {
          const { dockerImagesCommand } = await import('../ctl/cmd-docker-images.js');
          code = await dockerImagesCommand(await env(o), o.from);
        });
      sub('containers', "HTCondor's docker-universe containers on this execute host; leaked ones (never started, starter gone) removed")
        .option('--remove-leaked', 'remove the leaked containers (what the containers timer runs)')
        .option('--min-age <minutes>', 'a created container younger than this is never leaked', '10')
        .action(async (o: CommonOptions & { removeLeaked?: boolean; minAge: string }) => {
          if (!/^\d{1,5}$/.test(o.minAge)) throw new UsageError(`--min-age takes whole minutes, got ${JSON.stringify(o.minAge)}`);
          const { containersCommand } = await import('../ctl/cmd-containers.js');
          code = await containersCommand(await env(o), { removeLeaked: o.removeLeaked === true, minAgeMinutes: Number(o.minAge) });
        });

      try {
        await program.parseAsync([...argv], { from: 'user' });
      } catch (e) {
        if (e instanceof CommanderError) {
          if (e.code === 'commander.help' && argv.length === 0) {
            // no subcommand: usage on stderr, exit 2 (stdout stays for data)
            process.stderr.write(text);
            return EXIT_CODES.usage;
          }
          if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') {
            await writeOut(text);
            return 0;
          }
          if (e.code === 'commander.executeSubCommandAsync') throw e;
          throw new UsageError(`${e.message.replace(/^error:\s*/, '')}${argv.length === 0 ? '' : ' (swampctl --help)'}`);
        }
        throw e;
      }
      return code;
    },
    { program: 'swampctl', logger: () => log },
  );
}

function positiveInt(v: string, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${what} needs a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function watchOptions(o: { watch?: string | boolean; count?: string }): { watch?: number; count?: number } {
  const watch = o.watch === undefined ? undefined : typeof o.watch === 'string' ? positiveInt(o.watch, '--watch') : 5;
  const count = o.count === undefined ? undefined : positiveInt(o.count, '--count');
  return { ...(watch !== undefined ? { watch } : {}), ...(count !== undefined ? { count } : {}) };
}
