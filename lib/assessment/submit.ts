/**
 * Submit file of an assessment or metric job (legacy vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob,
 * legacy-backend.md §3.6): the static part of the platform (the vm/docker templates the legacy copied
 * from /opt/swamp/etc, or our `local` one) followed by the dynamic section, line for line as the legacy
 * wrote it. Pure: returns text.
 *
 * Escaping: every value that comes from the DB or the config goes through lib/htcondor's quoting
 * (`submitValue` for plain commands, `quoteLiteral` for `+Attr` strings, with `$` as `$(DOLLAR)` so
 * nothing is macro-expanded). The few places where HTCondor macros are wanted (`$(CLUSTERID)`,
 * `$$(UidDomain)`, `$$([NumJobStarts])`) are fixed text around values that were validated against
 * allowlists first (run id, owner, bin dir).
 *
 * Deliberate difference: PreCmd/PostCmd name our hook program by an absolute path
 * (`<binDir>/jobhook`), not the legacy `../../opt/swamp/bin/vmu_perl_launcher`, which only worked when
 * the execute scratch directory was exactly two levels below `/` (§8.4.7).
 */
import { ValidationError } from '../errors/index.js';
import { localPlatformSection } from '../jobs/local-platform.js';
import { checkSubmitValue, DOCKER_IMAGE_RE, OWNER_RE, SUBMIT_PATH_RE } from '../jobs/submit-values.js';
import { describeValue } from '../cli/ids.js';
import { quoteLiteral, submitValue } from '../htcondor/index.js';
import { idAttribute, jobPriority, jobType } from './ids.js';
import type { PlatformType } from './platform.js';

/** HTCondor hold code of a failed post script, and PostAssessment's "please retry" exit code. */
export const HTCONDOR_POSTSCRIPT_FAILED = 44;
export const HTCONDOR_POSTSCRIPT_EXIT = 5;
export const JOB_EVENTS_PATH = 'out/job_events.log';
export const JOB_IP_ADDRESS_PATH = 'out/job_ip_address.txt';
export const HOOK_PROGRAM = 'jobhook';
export const LOCAL_MACHINE_PROGRAM = 'swamp-assessment-machine';

/** Licensed tools and their HTCondor concurrency limit (pool config sets `<NAME>_LIMIT`). */
export const CONCURRENCY_LIMITS: Readonly<Record<string, string>> = {
  'Parasoft C/C++test': 'PARASOFTC',
  'Parasoft Jtest': 'PARASOFTJAVA',
  'GrammaTech CodeSonar': 'GRAMMATECHCS',
  'Red Lizard Goanna': 'REDLIZARDG',
  'Synopsys Static Analysis (Coverity)': 'SYNOPSYSC',
};

/** The concurrency limit of a tool (exact name match, as isParasoftC & co.), or undefined. */
export function concurrencyLimit(toolName: string | undefined): string | undefined {
  return toolName === undefined ? undefined : CONCURRENCY_LIMITS[toolName];
}

export function submitBundleName(execrunid: string): string {
  return `${execrunid}_submitbundle.tar.gz`;
}

export function submitFileName(execrunid: string): string {
  return `${execrunid}.sub`;
}

/** Empty disk placeholders the VM universe transfers (legacy create_empty_file). */
export const VM_DISKS = ['delta.qcow2', 'inputdisk.qcow2', 'outputdisk.qcow2'] as const;

export interface SubmitInput {
  execrunid: string;
  platformType: PlatformType;
  /** docker repository (DC) - ignored for VM/local. */
  platformImage: string;
  userid: string;
  projectid: string;
  toolName: string | undefined;
  /** `<aswamp|mswamp>_<UUID>`. */
  jobDir: string;
  /** Login name of the submitting uid (the `<owner>` hook argument). */
  owner: string;
  /** Absolute directory of our programs (jobhook, swamp-assessment-machine). */
  binDir: string;
  maxRetries: number;
  /** SWAMP-in-a-Box: VM networking type `swampinabox`; else `swamp` with the bridge interface. */
  swampInABox: boolean;
  /** Facility VM template's bridge (`+VMPARAM_Bridge_Interface`), swamp.conf `vm_bridge_interface`. */
  bridgeInterface?: string | undefined;
  /**
   * local platform: the swamp.conf the launcher used, passed to the job (and so to its Pre/Post hooks
   * and the machine) as SWAMP_CONFIG, so a tree installed outside /opt/swamp works end to end.
   */
  configPath?: string | undefined;
}



export function checkBinDir(binDir: string): string {
  checkSubmitValue(SUBMIT_PATH_RE, binDir, 'bin directory');
  if (binDir.split('/').includes('..')) throw new ValidationError(`bin directory may not contain '..': ${describeValue(binDir)}`);
  return binDir.length > 1 ? binDir.replace(/\/+$/, '') : binDir;
}

/** The static part for a platform (the installed templates' lines, §3.6). */
export function staticSection(inp: Pick<SubmitInput, 'platformType' | 'swampInABox' | 'bridgeInterface' | 'binDir' | 'configPath'>): string[] {
  switch (inp.platformType) {
    case 'VM': {
      const lines = [
        '# HTCondor submit file for SWAMP VM Universe.',
        '',
        '### General VM Universe Settings',
        'universe = vm',
        'vm_type = kvm',
        'vm_networking = true',
        `vm_networking_type = ${inp.swampInABox ? 'swampinabox' : 'swamp'}`,
        'RequestMemory = 6144',
        'vm_memory = 6144',
        'RequestCpus = 2',
        'vm_vcpus = 2',
        'RequestDisk = 2',
        'RunAsOwner = True',
        '',
        '+JobVMVNCConsole = true',
        '+JobVMSerialConsole = true',
        '+JobVMEvents = true',
      ];
      if (!inp.swampInABox) {
        lines.push(`+VMPARAM_Bridge_Interface = ${quoteLiteral(inp.bridgeInterface ?? 'SED_BRIDGE_INTERFACE', 'bridge interface').replace(/\$/g, '$(DOLLAR)')}`);
      }
      lines.push(
        '',
        '### Define VM Disk Images',
        'vm_disk = delta.qcow2:vda:w:qcow2, inputdisk.qcow2:vdb:w:qcow2, outputdisk.qcow2:vdc:w:qcow2',
        '',
        '### Transfer Output Files',
        'transfer_output_files = ""',
      );
      return lines;
    }
    case 'DC':
      return [
        '# HTCondor submit file for SWAMP Docker Universe.',
        '',
        '### General Docker Universe Settings',
        'universe = docker',
        'RequestMemory = 6144',
        'RequestCpus = 2',
        'RequestDisk = 2',
        '',
        'transfer_executable = False',
        '',
        '### Transfer Output Files',
        'should_transfer_files = YES',
        'transfer_output_files = in,out',
        'when_to_transfer_output = ON_EXIT_OR_EVICT',
        'output = condor_out',
        'stream_error = True',
        'error = condor_err',
        'log = condor_log',
        'want_graceful_removal = true',
      ];
    case 'local':
      return [
        ...localPlatformSection({
          bin: checkBinDir(inp.binDir),
          program: LOCAL_MACHINE_PROGRAM,
          title: 'the SWAMP local platform',
          plays: 'a VM/container',
          configPath: inp.configPath,
        }),
        'want_graceful_removal = true',
      ];
  }
}

/** The whole submit file (static part + dynamic section), newline-terminated. */
export function assessmentSubmitFile(inp: SubmitInput): string {
  const id = inp.execrunid;
  // The id and owner appear inside macro-bearing text below: allowlisted, never escaped away.
  if (!/^(M-)?[0-9A-Fa-f-]{36}$/.test(id)) throw new ValidationError(`invalid run id for a submit file: ${describeValue(id)}`);
  checkSubmitValue(OWNER_RE, inp.owner, 'job owner');
  const bin = checkBinDir(inp.binDir);
  if (!Number.isInteger(inp.maxRetries) || inp.maxRetries < 0) throw new ValidationError(`invalid max retries ${inp.maxRetries}`);
  const bundle = submitBundleName(id);
  const str = (v: string, what: string): string => quoteLiteral(v, what).replace(/\$/g, '$(DOLLAR)');
  const lines = staticSection(inp);
  lines.push('', '##### Dynamic Submit File Attributes #####', '');
  const limit = concurrencyLimit(inp.toolName);
  if (limit !== undefined) lines.push('### Concurrency Limits', `concurrency_limits = ${limit}`, '');
  lines.push(
    '### Job events and ip address path',
    `+JOB_EVENTS_PATH = "${JOB_EVENTS_PATH}"`,
    `+JOB_IP_ADDRESS_PATH = "${JOB_IP_ADDRESS_PATH}"`,
    '',
  );
  switch (inp.platformType) {
    case 'DC':
      lines.push(
        '### Docker Image',
        `docker_image = ${submitValue(checkSubmitValue(DOCKER_IMAGE_RE, inp.platformImage, 'docker image'), 'docker_image')}`,
        '',
        '### Executable',
        'executable = /bin/bash',
        `arguments = "-c 'ulimit -n 1024 && in/run.sh --type=docker'"`,
        '### Input File Transfer Settings',
        `transfer_input_files = ${bundle}`,
        '',
      );
      break;
    case 'VM':
      lines.push(
        '### Executable',
        `executable = ${jobType(id)}-$(CLUSTERID)-$(PROCID)`,
        '',
        '### Input File Transfer Settings',
        `transfer_input_files = delta.qcow2, inputdisk.qcow2, outputdisk.qcow2, ${bundle}`,
        '',
      );
      break;
    case 'local':
      lines.push('### Input File Transfer Settings', `transfer_input_files = ${bundle}`, '');
      break;
  }
  const hookArgs = (name: string): string => `"${name} ${id} ${inp.owner} $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`;
  lines.push(
    '### Start PRE- and POST- Script Settings',
    `+PreCmd = ${str(`${bin}/${HOOK_PROGRAM}`, 'PreCmd')}`,
    `+PreArguments = ${hookArgs('PreAssessment')}`,
    `+PostCmd = ${str(`${bin}/${HOOK_PROGRAM}`, 'PostCmd')}`,
    `+PostArguments = ${hookArgs('PostAssessment')}`,
    '',
    '### Job Priority',
    '+ViewerJob = false',
    `priority = ${jobPriority(id)}`,
    '',
    '### SWAMP Specific Attributes',
    `+${idAttribute(id)} = ${str(id, 'run id')}`,
    `+SWAMP_userid = ${str(inp.userid, 'userid')}`,
    `+SWAMP_projectid = ${str(inp.projectid, 'projectid')}`,
    `+SWAMP_submit_jobdir = ${str(inp.jobDir, 'job dir')}`,
    '',
    '### Job Priority Scheduling',
    'accounting_group = group_assessment',
    `accounting_group_user = ${submitValue(inp.userid.replace(/@/g, '-at-'), 'accounting_group_user')}`,
    '',
    '### Queue the job',
    '+SuccessPostExitCode = 0',
    `max_retries = ${inp.maxRetries}`,
    `periodic_release = HoldReasonCode == ${HTCONDOR_POSTSCRIPT_FAILED} && ((NumJobStarts <= ${inp.maxRetries}) && (PostExitCode == ${HTCONDOR_POSTSCRIPT_EXIT}))`,
    `periodic_remove = HoldReasonCode =?= ${HTCONDOR_POSTSCRIPT_FAILED} && ((NumJobStarts > ${inp.maxRetries}) || (PostExitCode != ${HTCONDOR_POSTSCRIPT_EXIT}))`,
    'job_max_vacate_time = 60',
    'queue',
  );
  return `${lines.join('\n')}\n`;
}
