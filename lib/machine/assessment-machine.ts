/**
 * The local platform's assessment machine: the executable of a vanilla-universe assessment job, run in
 * the job's scratch directory (with in/ and out/, as in a docker job). It plays what a real VM or
 * container does with the framework's run.sh:
 *
 *   RUNSHSTART -> writes out/job_ip_address.txt -> WROTEIPADDR -> BEGINASSESSMENT -> (work) ->
 *   out/ files (status.out, run.out, build/results/parsed_results .conf + .tar.gz, the SCARF file in
 *   parsed_results.tar.gz) -> ENDASSESSMENT -> exit
 *
 * with configurable delays between steps (short in tests), so the monitor, PostAssessment and the
 * Native viewer see the real shapes. It can be told to fail (build, assess, retry, crash), optionally
 * only on the first runs, so tests can check "Finished with Errors" and HTCondor retries.
 *
 * Settings, highest first: argv, `in/machine.conf` (properties), the BOG (`local_machine_<key>`):
 *   outcome      pass|warnings|build|assess|retry|crash      (default pass)
 *   fail_runs    apply a failing outcome only while NumJobStarts < N ($_CONDOR_JOB_AD); default always
 *   delay_ms     pause between steps                         (default 1000)
 *   assess_ms    pause of the assessment step itself         (default delay_ms; a test that must
 *                act while a run is `Performing assessment` makes it long)
 *   exit_code    exit code at the end                        (default 0; crash: 1)
 *   event_mode   append|truncate (`>>` or `>` like docker)   (default append)
 *   scarf_file   SCARF file under in/ to report instead of the embedded gcc result
 *   tool         tool name in the outputs                    (default gcc-warn)
 *
 * The embedded SCARF result (assets/gcc-scarf.ts) keeps the program free of any run-time read of
 * a fixture file; a launcher that wants another result copies it into in/ and sets scarf_file.
 */
import { rm, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GCC_SCARF_GZIP_BASE64 } from './assets/gcc-scarf.js';
import {
  ASSESSMENT_OUTCOMES,
  passes,
  assessmentSummaryXml,
  buildConfText,
  buildStdout,
  countWeaknesses,
  parsedResultsConfText,
  resultsConfText,
  statusOutText,
  type AssessmentOutcome,
} from './assessment-outputs.js';
import {
  EventWriter,
  ensureDirs,
  intOption,
  jobPaths,
  numJobStartsFromJobAd,
  parseProperties,
  readBog,
  readTextIfExists,
  sleep,
  type EventMode,
  defaultMachineIo,
  runMachine,
  type MachineIo,
} from './common.js';
import { writeTarGz } from './tarball.js';
import { UsageError } from '../errors/index.js';

export interface AssessmentMachineSettings {
  jobDir: string;
  outcome: AssessmentOutcome;
  failRuns: number | undefined;
  delayMs: number;
  /** The pause after BEGINASSESSMENT (the run is `Performing assessment`). */
  assessMs?: number;
  exitCode: number | undefined;
  eventMode: EventMode;
  scarfFile: string | undefined;
  tool: string;
  numJobStarts: number;
}

export function embeddedScarf(): string {
  return gunzipSync(Buffer.from(GCC_SCARF_GZIP_BASE64, 'base64')).toString('utf8');
}

/** Resolve the settings from argv, in/machine.conf and the BOG (see the header). */
export async function resolveSettings(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<AssessmentMachineSettings> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'job-dir': { type: 'string' },
      outcome: { type: 'string' },
      'fail-runs': { type: 'string' },
      'delay-ms': { type: 'string' },
      'assess-ms': { type: 'string' },
      'exit-code': { type: 'string' },
      'event-mode': { type: 'string' },
      'scarf-file': { type: 'string' },
      tool: { type: 'string' },
      'num-job-starts': { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  });
  const jobDir = resolve(values['job-dir'] ?? process.cwd());
  const p = jobPaths(jobDir);
  const conf = parseProperties((await readTextIfExists(join(p.inDir, 'machine.conf'))) ?? '');
  const bog = await readBog(p);
  const get = (argKey: keyof typeof values, key: string): string | undefined => {
    const a = values[argKey];
    if (typeof a === 'string') return a;
    return conf.get(key) ?? bog.get(`local_machine_${key}`);
  };
  const outcome = (get('outcome', 'outcome') ?? 'pass') as AssessmentOutcome;
  if (!ASSESSMENT_OUTCOMES.includes(outcome)) throw new UsageError(`unknown outcome '${outcome}' (${ASSESSMENT_OUTCOMES.join('|')})`);
  const eventMode = (get('event-mode', 'event_mode') ?? 'append') as EventMode;
  if (eventMode !== 'append' && eventMode !== 'truncate') throw new UsageError(`unknown event mode '${String(eventMode)}'`);
  const assessMs = intOption('assess-ms', get('assess-ms', 'assess_ms'));
  return {
    jobDir,
    outcome,
    failRuns: intOption('fail-runs', get('fail-runs', 'fail_runs')),
    delayMs: intOption('delay-ms', get('delay-ms', 'delay_ms')) ?? 1000,
    ...(assessMs !== undefined ? { assessMs } : {}),
    exitCode: intOption('exit-code', get('exit-code', 'exit_code')),
    eventMode,
    scarfFile: get('scarf-file', 'scarf_file'),
    tool: get('tool', 'tool') ?? 'gcc-warn',
    numJobStarts: intOption('num-job-starts', values['num-job-starts']) ?? (await numJobStartsFromJobAd(env)),
  };
}

/** The outcome of this run: a failing outcome limited by fail_runs turns into `pass` on later runs. */
export function effectiveOutcome(s: Pick<AssessmentMachineSettings, 'outcome' | 'failRuns' | 'numJobStarts'>): AssessmentOutcome {
  if (s.outcome === 'pass' || s.failRuns === undefined) return s.outcome;
  return s.numJobStarts < s.failRuns ? s.outcome : 'pass';
}

/** Plays one assessment run; resolves to the exit code. `abort` = SIGTERM (condor_rm). */
export async function playAssessment(s: AssessmentMachineSettings, abort?: AbortSignal): Promise<number> {
  const p = jobPaths(s.jobDir);
  await ensureDirs(p);
  const ev = new EventWriter(p, s.eventMode);
  const outcome = effectiveOutcome(s);
  const stopped = (): boolean => abort?.aborted === true;
  const terminated = async (): Promise<number> => {
    await ev.log('caught SIGTERM - machine shutting down');
    return 143;
  };

  await ev.record('RUNSHSTART', `Starting assessment via run.sh (local machine, outcome ${outcome}, run ${s.numJobStarts})`);
  await sleep(s.delayMs, abort);
  if (stopped()) return terminated();
  await writeFile(p.ipFile, '127.0.0.1\n');
  await ev.record('WROTEIPADDR', `Wrote 127.0.0.1 to ${p.ipFile}`);
  await sleep(s.delayMs, abort);
  if (stopped()) return terminated();
  await ev.record('BEGINASSESSMENT', `Beginning ${s.tool} assessment`);
  await sleep(s.assessMs ?? s.delayMs, abort);
  if (stopped()) return terminated();

  if (outcome === 'crash') {
    await ev.log('assessment machine crashed (simulated): no status.out');
    return s.exitCode ?? 1;
  }

  const scarf = s.scarfFile !== undefined ? await readFile(join(p.inDir, s.scarfFile), 'utf8') : embeddedScarf();
  const weaknesses = countWeaknesses(scarf);
  const stage = join(s.jobDir, '.machine-stage');
  await rm(stage, { recursive: true, force: true });
  try {
    await writeFile(join(p.outDir, 'build.conf'), buildConfText());
    await writeTarGz(join(p.outDir, 'build.tar.gz'), stage, 'build', {
      'build_stdout.out': buildStdout(outcome),
      'build_stderr.out': outcome === 'build' ? 'snappy.c:42:1: error: expected declaration specifiers\n' : '',
    });
    await writeFile(join(p.outDir, 'build_assess.out'), `build and assess of snappy-c with ${s.tool}: ${outcome}\n`);
    if (passes(outcome) || outcome === 'assess') {
      await writeFile(join(p.outDir, 'results.conf'), resultsConfText(s.tool));
      await writeTarGz(join(p.outDir, 'results.tar.gz'), stage, 'results', {
        'assessment_summary.xml': assessmentSummaryXml(s.tool, outcome === 'assess'),
        [`${s.tool}_stdout1.out`]: outcome === 'assess' ? '' : 'snappy.c:10:5: warning: unused parameter\n',
        [`${s.tool}_stderr1.out`]: outcome === 'assess' ? `${s.tool}: internal compiler error\n` : '',
      });
    }
    if (passes(outcome)) {
      await writeFile(join(p.outDir, 'parsed_results.conf'), parsedResultsConfText(weaknesses));
      await writeTarGz(join(p.outDir, 'parsed_results.tar.gz'), stage, 'parsed_results', {
        'parsed_results.xml': scarf,
        'weakness_count.out': `${weaknesses}\n`,
        'resultparser.log': `parsed ${weaknesses} weaknesses\n`,
      });
    }
    await writeFile(join(p.outDir, 'status.out'), statusOutText({ outcome, weaknesses, tool: s.tool }));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  await ev.log(`assessment ${passes(outcome) ? 'completed' : 'failed'}: status.out written`);
  if (stopped()) return terminated();
  await ev.record('ENDASSESSMENT', 'Shutting down assessment machine');
  return s.exitCode ?? 0;
}

/** Program entry: `assessment-machine [--job-dir D] [--outcome O] [--delay-ms N] …`; returns the exit code. */
export function main(argv: string[], io: MachineIo = defaultMachineIo): Promise<number> {
  return runMachine('assessment-machine', () => resolveSettings(argv), playAssessment, io);
}
