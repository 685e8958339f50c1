/**
 * What every submit file of ours shares, assessment, metric and viewer alike: the names of the files
 * a job carries (submit bundle, submit file, empty VM disks, the event and IP files the machine
 * writes), the hook program, the bin directory check, and the static part of each platform (the
 * vm/docker templates the legacy copied from /opt/swamp/etc, or our `local` one). Pure: returns lines.
 * The dynamic sections are the job kind's own (lib/assessment/submit.ts, lib/viewer/submit.ts).
 */
import { ValidationError } from '../errors/index.js';
import { describeValue } from '../cli/ids.js';
import { quoteLiteral } from '../htcondor/index.js';
import { localPlatformSection } from './local-platform.js';
import { checkSubmitValue, DOCKER_IMAGE_RE, SUBMIT_PATH_RE } from './submit-values.js';
import type { PlatformType } from './platform.js';

export const JOB_EVENTS_PATH = 'out/job_events.log';
export const JOB_IP_ADDRESS_PATH = 'out/job_ip_address.txt';
export const HOOK_PROGRAM = 'jobhook';
/** The executable of a local-platform assessment job (lib/machine/assessment-machine.ts), in binDir. */
export const LOCAL_MACHINE_PROGRAM = 'swamp-assessment-machine';

export function submitBundleName(execrunid: string): string {
  return `${execrunid}_submitbundle.tar.gz`;
}

export function submitFileName(execrunid: string): string {
  return `${execrunid}.sub`;
}

/** Empty disk placeholders the VM universe transfers (legacy create_empty_file). */
export const VM_DISKS = ['delta.qcow2', 'inputdisk.qcow2', 'outputdisk.qcow2'] as const;

export interface StaticSectionInput {
  platformType: PlatformType;
  /** SWAMP-in-a-Box: VM networking type `swampinabox`; else `swamp` with the bridge interface. */
  swampInABox: boolean;
  /** Facility VM template's bridge (`+VMPARAM_Bridge_Interface`), swamp.conf `vm_bridge_interface`. */
  bridgeInterface?: string | undefined;
  /** Absolute directory of our programs (jobhook, swamp-assessment-machine). */
  binDir: string;
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

/** The static part for a platform (the installed templates' lines, mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob, mirswamp/deployment swamp/config/vmu_swamp_htcondor_submit). */
export function staticSection(inp: StaticSectionInput): string[] {
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

