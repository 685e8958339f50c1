/**
 * The static submit section of the `local` platform, shared by assessment and viewer jobs: the
 * vanilla universe running one of our "machine" programs, which plays the VM/container in the
 * job's scratch dir (in/ and out/) on hosts where vm and docker jobs cannot run. Pure: returns lines.
 */
import { checkSubmitValue, SUBMIT_PATH_RE } from './submit-values.js';

export interface LocalSectionInput {
  /** Allowlisted bin dir (checked by the caller). */
  bin: string;
  /** The multi-call binary's program name, e.g. swamp-assessment-machine. */
  program: string;
  /** What the machine plays, for the header comment ("a VM/container", "a viewer VM/container"). */
  plays: string;
  title: string;
  configPath?: string | undefined;
}

export function localPlatformSection(inp: LocalSectionInput): string[] {
  const env = [`SWAMP_PROGRAM=${inp.program}`];
  if (inp.configPath !== undefined) env.push(`SWAMP_CONFIG=${checkSubmitValue(SUBMIT_PATH_RE, inp.configPath, 'config path')}`);
  return [
    `# HTCondor submit file for ${inp.title} (vanilla universe).`,
    `# The "machine" is our program; it plays ${inp.plays} in the scratch dir (in/ and out/).`,
    '',
    '### General Vanilla Universe Settings',
    'universe = vanilla',
    `executable = ${inp.bin}/${inp.program}`,
    'transfer_executable = False',
    // The multi-call binary dispatches on its name; HTCondor may start it under another argv[0].
    `environment = "${env.join(' ')}"`,
    '',
    '### Transfer Output Files',
    'should_transfer_files = YES',
    'transfer_output_files = in,out',
    'when_to_transfer_output = ON_EXIT_OR_EVICT',
    'output = condor_out',
    'error = condor_err',
    'log = condor_log',
  ];
}
