/**
 * Contents of the out/ files a SWAMP assessment framework (c-assess here, tool gcc-warn) leaves behind,
 * as pure text builders. Formats follow what PostAssessment and the Native viewer parse
 * (mirswamp/services perl/agents/vmu_PostAssessment.pl, docs/native-viewer.md): status.out task lines
 * `PASS|FAIL|SKIP|NOTE: <task> [(<short>)] [<duration>s]`, long messages between dashed lines,
 * `NOTE: retry` asking for a retry, and the build/results/parsed_results .conf files that name the
 * archives.
 */

/** How the run ends. */
export type AssessmentOutcome =
  | 'pass' // every step passes: "Finished"
  | 'warnings' // a no-build run passes with fewer compilable than source files: "Finished with Warnings"
  | 'build' // FAIL: build (first failure build, error files in build.tar.gz): "Finished with Errors"
  | 'assess' // FAIL: assess (assessment_summary.xml marks the run failed)
  | 'retry' // FAIL: install-os-dependencies + NOTE: retry: PostAssessment exits 5, HTCondor retries
  | 'crash'; // the machine dies after BEGINASSESSMENT: no status.out, no ENDASSESSMENT

export const ASSESSMENT_OUTCOMES: readonly AssessmentOutcome[] = ['pass', 'warnings', 'build', 'assess', 'retry', 'crash'];

/** Outcomes whose run passes and leaves parsed results. */
export function passes(outcome: AssessmentOutcome): boolean {
  return outcome === 'pass' || outcome === 'warnings';
}

export interface StatusOutInput {
  outcome: Exclude<AssessmentOutcome, 'crash'>;
  weaknesses: number;
  tool: string;
}

function line(status: 'PASS' | 'FAIL' | 'SKIP' | 'NOTE', task: string, short: string | undefined, seconds: number): string {
  const head = `${status}: ${task}`;
  const withShort = short === undefined ? head : `${head.padEnd(32)} (${short})`;
  return `${withShort.padEnd(64)} ${seconds.toFixed(6)}s`;
}

const DASHES = '  ----------';

/** status.out of a finished run. */
export function statusOutText(i: StatusOutInput): string {
  const l: string[] = [];
  if (i.outcome === 'retry') {
    l.push(line('FAIL', 'install-os-dependencies', undefined, 31.402113));
    l.push(DASHES, '  yum install failed: Cannot retrieve repository metadata (repomd.xml)', '  exit code 1', DASHES);
    l.push(line('NOTE', 'retry', 'network failure installing dependencies', 0));
    l.push(line('FAIL', 'all', undefined, 31.6));
    return l.join('\n') + '\n';
  }
  l.push(line('PASS', 'install-os-dependencies', undefined, 0.014251));
  if (i.outcome === 'warnings') l.push(line('PASS', 'no-build-setup', 'source-files: 12, compilable: 9', 0.201337));
  l.push(line('PASS', 'setup', undefined, 0.109932));
  l.push(line('PASS', 'configure', undefined, 0.512045));
  if (i.outcome === 'build') {
    l.push(line('FAIL', 'build', undefined, 2.310777));
    l.push(DASHES, '  exit code 2', '  make: *** [all] Error 2', DASHES);
    l.push(line('FAIL', 'all', undefined, 3.2));
    return l.join('\n') + '\n';
  }
  l.push(line('PASS', 'build', undefined, 7.230114));
  if (i.outcome === 'assess') {
    l.push(line('FAIL', 'assess', 'pass: 0, fail: 1, error: 0, skip: 0', 4.004512));
    l.push(DASHES, `  ${i.tool} exited with code 1`, DASHES);
    l.push(line('FAIL', 'all', undefined, 12.1));
    return l.join('\n') + '\n';
  }
  l.push(line('PASS', 'assess', 'pass: 1, fail: 0, error: 0, skip: 0', 10.312345));
  l.push(line('PASS', 'parse-results', `weaknesses: ${i.weaknesses}`, 1.402311));
  l.push(line('PASS', 'all', undefined, 19.581));
  return l.join('\n') + '\n';
}

export function buildConfText(): string {
  return [
    'build-archive=build.tar.gz',
    'build-dir=build',
    'build-root-dir=/home/builder/build',
    'build-stdout-file=build_stdout.out',
    'build-stderr-file=build_stderr.out',
    'build-sys=make',
    '',
  ].join('\n');
}

export function buildStdout(outcome: AssessmentOutcome): string {
  return outcome === 'build'
    ? 'gcc -c -O2 snappy.c -o snappy.o\nsnappy.c:42:1: error: expected declaration specifiers\nmake: *** [all] Error 2\n'
    : 'gcc -c -O2 snappy.c -o snappy.o\ngcc -shared -o libsnappyc.so snappy.o\n';
}

export function resultsConfText(tool: string): string {
  return [
    'results-archive=results.tar.gz',
    'results-dir=results',
    'assessment-summary-file=assessment_summary.xml',
    `tool-name=${tool}`,
    '',
  ].join('\n');
}

/** assessment_summary.xml: the Native viewer reads stdout/stderr of a failed <assessment> from it. */
export function assessmentSummaryXml(tool: string, failed: boolean): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<assessment-summary>',
    `  <tool-type>${tool}</tool-type>`,
    '  <assessment-artifacts>',
    '    <assessment>',
    `      <report>${tool}_1.out</report>`,
    `      <stdout>${tool}_stdout1.out</stdout>`,
    `      <stderr>${tool}_stderr1.out</stderr>`,
    `      <exit-code>${failed ? 1 : 0}</exit-code>`,
    `      <execution-successful>${failed ? 'false' : 'true'}</execution-successful>`,
    '    </assessment>',
    '  </assessment-artifacts>',
    '</assessment-summary>',
    '',
  ].join('\n');
}

export function parsedResultsConfText(weaknesses: number): string {
  return [
    'parsed-results-archive=parsed_results.tar.gz',
    'parsed-results-dir=parsed_results',
    'parsed-results-file=parsed_results.xml',
    'resultparser-stdout-file=resultparser.log',
    'resultparser-stderr-file=resultparser.err',
    `weakness-count=${weaknesses}`,
    '',
  ].join('\n');
}

/** Number of `<BugInstance ` elements of a SCARF document (the `weaknesses: N` of parse-results). */
export function countWeaknesses(scarf: string): number {
  let n = 0;
  for (let i = scarf.indexOf('<BugInstance '); i !== -1; i = scarf.indexOf('<BugInstance ', i + 1)) n++;
  return n;
}
