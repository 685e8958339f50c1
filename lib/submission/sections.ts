/**
 * What every submit file of ours shares, assessment, metric and viewer alike: the names of the files
 * a job carries (submit bundle, submit file, empty VM disks, the event and IP files the machine
 * writes), the hook program, the bin directory check, and the static part of each platform (the
 * vm/docker templates the legacy copied from /opt/swamp/etc, or our `local` one). Pure: returns lines.
 * The dynamic sections are the job kind's own (lib/assessment/submit.ts, lib/viewer/submit.ts).
 */
import { ValidationError } from '../errors/index.js';
import { describeValue } from '../cli/ids.js';
import { localPlatformSection } from './local-platform.js';
import { defaultTemplate, renderTemplate, type SubmitTemplate } from './submit-template.js';
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
  /** swamp.conf `vm_bridge_interface`: fills the VM template's `SED_BRIDGE_INTERFACE` (refused when unset). */
  bridgeInterface?: string | undefined;
  /**
   * vm/docker: the static part, `<swampDir>/etc/vmu_htcondor_submit` or `docker_htcondor_submit` as
   * the launcher read it (template-file.ts); undefined: the compiled default for the platform.
   */
  template?: SubmitTemplate | undefined;
  /** Absolute directory of our programs (jobhook, swamp-assessment-machine). */
  binDir: string;
  /**
   * local and docker platforms: the swamp.conf the launcher used, passed to the job (and so to its
   * Pre/Post hooks, which read it from the job ad, and the machine) as SWAMP_CONFIG, so a tree
   * installed outside /opt/swamp works end to end.
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
    case 'VM':
    case 'DC': {
      // The site's template (or the compiled default), checked and with the bridge filled in.
      const kind = inp.platformType === 'VM' ? 'vm' : 'docker';
      const lines = renderTemplate(kind, inp.template ?? defaultTemplate(kind, inp.swampInABox), { bridgeInterface: inp.bridgeInterface });
      // Not in the legacy template: docker hooks find the launcher's swamp.conf in the job ad (the
      // container gets it too and ignores it), as on the local platform.
      if (kind === 'docker' && inp.configPath !== undefined) {
        lines.push(`environment = "SWAMP_CONFIG=${checkSubmitValue(SUBMIT_PATH_RE, inp.configPath, 'config path')}"`);
      }
      return lines;
    }
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

