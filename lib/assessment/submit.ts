/**
 * Submit file of an assessment or metric job (legacy vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob,
 * mirswamp/services perl/agents/vmu_csa_agent.pl vmu_CreateHTCondorAssessmentJob, mirswamp/deployment swamp/config/vmu_swamp_htcondor_submit): the static part of the platform (the vm/docker templates the legacy copied
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
 * the execute scratch directory was exactly two levels below `/` (mirswamp/services perl/agents/vmu_csa_agent.pl).
 */
import { ValidationError } from '../errors/index.js';
import { checkSubmitValue, DOCKER_IMAGE_RE, OWNER_RE } from '../submission/submit-values.js';
import {
  checkBinDir,
  HOOK_PROGRAM,
  JOB_EVENTS_PATH,
  JOB_IP_ADDRESS_PATH,
  staticSection,
  submitBundleName,
  type StaticSectionInput,
} from '../submission/sections.js';
import { describeValue } from '../cli/ids.js';
import { quoteLiteral, submitValue } from '../htcondor/index.js';
import { idAttribute, jobPriority, jobType } from './ids.js';

/** HTCondor hold code of a failed post script, and PostAssessment's "please retry" exit code. */
export const HTCONDOR_POSTSCRIPT_FAILED = 44;
export const HTCONDOR_POSTSCRIPT_EXIT = 5;

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

/** The static section's fields (platform, bin dir, networking, config path) and the job's own. */
export interface SubmitInput extends StaticSectionInput {
  execrunid: string;
  /** docker repository (DC) - ignored for VM/local. */
  platformImage: string;
  userid: string;
  projectid: string;
  toolName: string | undefined;
  /** `<aswamp|mswamp>_<UUID>`. */
  jobDir: string;
  /** Login name of the submitting uid (the `<owner>` hook argument). */
  owner: string;
  maxRetries: number;
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
