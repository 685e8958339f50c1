/**
 * Submit file of a viewer job (legacy vmu_csa_agent.pl run-now mode, mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob, mirswamp/deployment swamp/config/vmu_swamp_htcondor_submit "Dynamic
 * section, viewer job"): the platform's static part, then items 2-4 of the assessment section with
 * PreViewer/PostViewer, `+ViewerJob = true`, `priority = 10`, the SWAMP attributes (with
 * `+SWAMP_viewerinstanceid`), `accounting_group = group_viewer`, no concurrency limits, no retry
 * expressions, `job_max_vacate_time = 1200` (a removed viewer gets 20 minutes to dump its database).
 * Pure: returns text.
 *
 * Differences from the legacy, on purpose:
 *   - PreCmd/PostCmd are `<binDir>/jobhook` by absolute path (legacy `../../opt/swamp/bin/vmu_perl_launcher`,
 *     which needed the scratch dir exactly two levels below `/`, mirswamp/services perl/agents/vmu_csa_agent.pl);
 *   - `+PreEnvironment`/`+PostEnvironment` carry SWAMP_PROGRAM=jobhook (HTCondor starts the hooks as
 *     `condor_Prescript`/`condor_Postscript` without the job environment, docs/hooks.md) and SWAMP_CONFIG;
 *   - `want_graceful_removal = true` on every platform (the VM template lacked it), so condor_rm sends
 *     the machine SIGTERM / an ACPI shutdown and waits up to job_max_vacate_time;
 *   - the `local` platform: vanilla universe running `<binDir>/swamp-viewer-machine`.
 * Every value from the DB or the config goes through lib/htcondor's quoting; the run id, owner and bin
 * dir are allowlisted because they sit inside macro-bearing text.
 */
import { ValidationError } from '../errors/index.js';
import { localPlatformSection } from '../submission/local-platform.js';
import { checkSubmitValue, DOCKER_IMAGE_RE, OWNER_RE, SUBMIT_PATH_RE } from '../submission/submit-values.js';
import { describeValue, parseViewerRunId } from '../cli/ids.js';
import { quoteLiteral, submitValue } from '../htcondor/index.js';
import { checkBinDir, HOOK_PROGRAM, JOB_EVENTS_PATH, JOB_IP_ADDRESS_PATH, staticSection, submitBundleName, VM_DISKS } from '../submission/sections.js';
import type { SubmitTemplate } from '../submission/submit-template.js';
import { LOCAL_VIEWER_PROGRAM, type ViewerPlatformType } from './bog.js';

export const VIEWER_PRIORITY = 10;
export const VIEWER_VACATE_SECONDS = 1200;

export interface ViewerSubmitInput {
  execrunid: string;
  platformType: ViewerPlatformType;
  /** docker repository (DC); ignored otherwise. */
  platformImage: string;
  userid: string | undefined;
  projectid: string;
  viewerUuid: string | undefined;
  /** `vswamp_<UUID>`. */
  jobDir: string;
  owner: string;
  binDir: string;
  swampInABox: boolean;
  bridgeInterface?: string | undefined;
  /** vm/docker: the site's submit template as read by the launcher; undefined: the compiled default. */
  template?: SubmitTemplate | undefined;
  /** The launcher's swamp.conf, handed to the hooks and the local machine as SWAMP_CONFIG. */
  configPath?: string | undefined;
}



/** `vswamp_<UUID>` (uppercase, as Data::UUID made it). */
export function viewerJobDirName(uuid: string): string {
  return `vswamp_${uuid.toUpperCase()}`;
}

export function isViewerJobDirName(name: string): boolean {
  return /^vswamp_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(name);
}


/** The whole submit file, newline-terminated. */
export function viewerSubmitFile(inp: ViewerSubmitInput): string {
  const id = parseViewerRunId(inp.execrunid).id;
  checkSubmitValue(OWNER_RE, inp.owner, 'job owner');
  const bin = checkBinDir(inp.binDir);
  if (!isViewerJobDirName(inp.jobDir)) throw new ValidationError(`invalid viewer job dir name: ${describeValue(inp.jobDir)}`);
  const conf = inp.configPath === undefined ? undefined : checkSubmitValue(SUBMIT_PATH_RE, inp.configPath, 'config path');
  const str = (v: string, what: string): string => quoteLiteral(v, what).replace(/\$/g, '$(DOLLAR)');
  const bundle = submitBundleName(id);
  const lines =
    inp.platformType === 'local'
      ? localPlatformSection({ bin, program: LOCAL_VIEWER_PROGRAM, title: 'a SWAMP viewer on the local platform', plays: 'a viewer VM/container', configPath: conf })
      : staticSection({ platformType: inp.platformType, swampInABox: inp.swampInABox, bridgeInterface: inp.bridgeInterface, template: inp.template, binDir: bin, configPath: conf });
  lines.push(
    '',
    '##### Dynamic Submit File Attributes #####',
    '',
    '### Job events and ip address path',
    `+JOB_EVENTS_PATH = "${JOB_EVENTS_PATH}"`,
    `+JOB_IP_ADDRESS_PATH = "${JOB_IP_ADDRESS_PATH}"`,
    '',
  );
  switch (inp.platformType) {
    case 'DC':
      // Docker viewers get no executable: the image's entrypoint runs (legacy).
      lines.push(
        '### Docker Image',
        `docker_image = ${submitValue(checkSubmitValue(DOCKER_IMAGE_RE, inp.platformImage, 'docker image'), 'docker_image')}`,
        '',
        '### Input File Transfer Settings',
        `transfer_input_files = ${bundle}`,
        '',
      );
      break;
    case 'VM':
      lines.push(
        '### Executable',
        'executable = vswamp-$(CLUSTERID)-$(PROCID)',
        '',
        '### Input File Transfer Settings',
        `transfer_input_files = ${VM_DISKS.join(', ')}, ${bundle}`,
        '',
      );
      break;
    case 'local':
      lines.push('### Input File Transfer Settings', `transfer_input_files = ${bundle}`, '');
      break;
  }
  const hookArgs = (name: string): string => `"${name} ${id} ${inp.owner} $$(UidDomain) $(CLUSTERID) $(PROCID) $$([NumJobStarts])"`;
  const hookEnv = [`SWAMP_PROGRAM=${HOOK_PROGRAM}`, ...(conf !== undefined ? [`SWAMP_CONFIG=${conf}`] : [])].join(' ');
  lines.push(
    '### Start PRE- and POST- Script Settings',
    `+PreCmd = ${str(`${bin}/${HOOK_PROGRAM}`, 'PreCmd')}`,
    `+PreArguments = ${hookArgs('PreViewer')}`,
    `+PreEnvironment = ${str(hookEnv, 'PreEnvironment')}`,
    `+PostCmd = ${str(`${bin}/${HOOK_PROGRAM}`, 'PostCmd')}`,
    `+PostArguments = ${hookArgs('PostViewer')}`,
    `+PostEnvironment = ${str(hookEnv, 'PostEnvironment')}`,
    '',
    '### Job Priority',
    '+ViewerJob = true',
    `priority = ${VIEWER_PRIORITY}`,
    '',
    '### SWAMP Specific Attributes',
    `+SWAMP_vrun_execrunuid = ${str(id, 'run id')}`,
    `+SWAMP_userid = ${str(inp.userid ?? 'null', 'userid')}`,
    `+SWAMP_projectid = ${str(inp.projectid, 'projectid')}`,
    `+SWAMP_submit_jobdir = ${str(inp.jobDir, 'job dir')}`,
    `+SWAMP_viewerinstanceid = ${str(inp.viewerUuid ?? 'null', 'viewer instance uuid')}`,
    '',
    '### Job Priority Scheduling',
    'accounting_group = group_viewer',
  );
  if (inp.userid !== undefined) lines.push(`accounting_group_user = ${submitValue(inp.userid.replace(/@/g, '-at-'), 'accounting_group_user')}`);
  lines.push('', '### Graceful removal: the viewer dumps its database on SIGTERM / shutdown');
  // Written unless the static part already says so (the docker template does; a site's may not).
  if (!lines.some((l) => /^[ \t]*want_graceful_removal[ \t]*=[ \t]*true[ \t]*$/i.test(l))) lines.push('want_graceful_removal = true');
  lines.push(
    `job_max_vacate_time = ${VIEWER_VACATE_SECONDS}`,
    '',
    '### Queue the job',
    'queue',
  );
  return `${lines.join('\n')}\n`;
}
