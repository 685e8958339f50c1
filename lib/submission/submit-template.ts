/**
 * The site-editable static part of vm and docker submit files (mirswamp/deployment
 * swamp/config/vmu_swamp_htcondor_submit, vmu_swampinabox_htcondor_submit,
 * docker_swampinabox_htcondor_submit, installed as `/opt/swamp/etc/vmu_htcondor_submit` and
 * `docker_htcondor_submit`; mirswamp/services perl/agents/vmu_csa_agent.pl copies them ahead of each
 * job's dynamic lines). Pure: template text in, checked lines out; template-file.ts reads the files.
 *
 * Checks, so a bad edit is refused with its file and line instead of becoming a broken or unsafe job:
 * - every line is blank, a `#` comment or `name = value` (`+Attr = value` included): no `queue`
 *   (the dynamic section queues the one job), no `include` (it can run commands), no conditionals,
 *   no line continuation;
 * - substitutions: the one placeholder the legacy installer filled in with sed, `SED_BRIDGE_INTERFACE`,
 *   becomes swamp.conf `vm_bridge_interface` (refused when that is unset); any other `SED_*` word is
 *   refused; submit macros are limited to `$(CLUSTERID)`/`$(Cluster)`, `$(PROCID)`/`$(Process)`,
 *   `$(DOLLAR)` and match-time `$$(...)` (no `$ENV()`, `$(FOO)` of the submitter's config, ...);
 * - required lines: vm: `universe = vm`, `vm_type`, `vm_memory`, and `vm_disk` naming the three disks the
 *   hooks fill (delta.qcow2, inputdisk.qcow2, outputdisk.qcow2); docker: `universe = docker`.
 * The job's own lines (executable, transfer_input_files, hooks, SWAMP attributes, queue) come after
 * the template, so they win over any assignment of the same name in it.
 */
import { ConfigError } from '../errors/index.js';

export type TemplateKind = 'vm' | 'docker';

/** File names in `<swampDir>/etc` (the legacy's installed names). */
export const TEMPLATE_FILE: Readonly<Record<TemplateKind, string>> = { vm: 'vmu_htcondor_submit', docker: 'docker_htcondor_submit' };

export const BRIDGE_PLACEHOLDER = 'SED_BRIDGE_INTERFACE';

/** The three disks of a VM job (legacy create_empty_file; the hooks build them). */
const VM_DISK_NAMES = ['delta.qcow2', 'inputdisk.qcow2', 'outputdisk.qcow2'];

/** A Linux interface name (IFNAMSIZ: 15 characters); it is written inside a ClassAd string. */
export const BRIDGE_INTERFACE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/;

export interface SubmitTemplate {
  text: string;
  /** The file it was read from, or `compiled default (<name>)`: for messages. */
  source: string;
}

/**
 * The compiled defaults: the legacy installed files without their comment lines. VM: SWAMP-in-a-Box
 * (`swampinabox` networking) or a facility (`swamp` networking on the bridge the installer set).
 */
export function defaultTemplate(kind: TemplateKind, swampInABox: boolean): SubmitTemplate {
  const source = `compiled default (${TEMPLATE_FILE[kind]}${kind === 'vm' ? (swampInABox ? ', SWAMP-in-a-Box' : ', facility') : ''})`;
  if (kind === 'docker') {
    const text = [
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
    return { text: `${text.join('\n')}\n`, source };
  }
  const text = [
    '# HTCondor submit file for SWAMP VM Universe.',
    '',
    '### General VM Universe Settings',
    'universe = vm',
    'vm_type = kvm',
    'vm_networking = true',
    `vm_networking_type = ${swampInABox ? 'swampinabox' : 'swamp'}`,
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
    ...(swampInABox ? [] : [`+VMPARAM_Bridge_Interface = "${BRIDGE_PLACEHOLDER}"`]),
    '',
    '### Define VM Disk Images',
    `vm_disk = ${VM_DISK_NAMES.map((d, i) => `${d}:vd${'abc'[i]}:w:qcow2`).join(', ')}`,
    '',
    '### Transfer Output Files',
    'transfer_output_files = ""',
  ];
  return { text: `${text.join('\n')}\n`, source };
}

export interface TemplateValues {
  /** swamp.conf `vm_bridge_interface`. */
  bridgeInterface: string | undefined;
}

const ASSIGNMENT = /^[ \t]*(\+?[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=(.*)$/;
const ALLOWED_MACRO = /^\$\((?:CLUSTERID|CLUSTER|PROCID|PROCESS|DOLLAR)\)/i;
const MATCH_TIME_MACRO = /^\$\$\([^()\n]*\)/;
const PLACEHOLDER = /\bSED_[A-Z0-9_]+\b/g;

/** The template's lines, checked and with the bridge substituted; throws ConfigError naming file:line. */
export function renderTemplate(kind: TemplateKind, t: SubmitTemplate, v: TemplateValues): string[] {
  const bad = (line: number | undefined, why: string): ConfigError =>
    new ConfigError(`submit template ${t.source}${line === undefined ? '' : `:${line}`}: ${why}`, { file: t.source, ...(line === undefined ? {} : { line }) });
  if (t.text.includes('\0')) throw bad(undefined, 'contains a NUL byte');
  const lines = t.text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const values = new Map<string, string>();
  const out: string[] = [];
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (/\r/.test(raw)) throw bad(n, 'a carriage return inside a line');
    if (/^[ \t]*(#|$)/.test(raw)) {
      out.push(raw);
      return;
    }
    if (/\\[ \t]*$/.test(raw)) throw bad(n, 'line continuation (a trailing backslash) is not allowed in a template');
    const m = ASSIGNMENT.exec(raw);
    if (!m) {
      throw bad(n, `not a "name = value" line: ${JSON.stringify(raw.trim().slice(0, 80))} (queue, include and conditionals are not allowed: the job's own lines and its queue statement follow the template)`);
    }
    let line = raw;
    for (const p of raw.match(PLACEHOLDER) ?? []) {
      if (p !== BRIDGE_PLACEHOLDER) throw bad(n, `unknown substitution ${p} (only ${BRIDGE_PLACEHOLDER} is filled in, from vm_bridge_interface)`);
      if (v.bridgeInterface === undefined || v.bridgeInterface === '') {
        throw bad(n, `${BRIDGE_PLACEHOLDER} needs vm_bridge_interface in swamp.conf (the bridge a facility's VMs attach to), and it is not set`);
      }
      if (!BRIDGE_INTERFACE_RE.test(v.bridgeInterface)) throw bad(n, `vm_bridge_interface ${JSON.stringify(v.bridgeInterface)} is not an interface name`);
      line = line.split(BRIDGE_PLACEHOLDER).join(v.bridgeInterface);
    }
    for (let at = line.indexOf('$'); at !== -1; at = line.indexOf('$', at + 1)) {
      const rest = line.slice(at);
      const mt = MATCH_TIME_MACRO.exec(rest);
      if (mt) {
        at += mt[0].length - 1;
        continue;
      }
      const ok = ALLOWED_MACRO.exec(rest);
      if (ok) {
        at += ok[0].length - 1;
        continue;
      }
      throw bad(n, `unknown substitution ${JSON.stringify(rest.slice(0, 24))} (allowed: $(CLUSTERID), $(PROCID), $(DOLLAR), match-time $$(...))`);
    }
    values.set((m[1] as string).toLowerCase(), (ASSIGNMENT.exec(line)?.[2] ?? '').trim());
    out.push(line);
  });
  const need = (key: string, what = `a "${key} = ..." line`): string => {
    const val = values.get(key);
    if (val === undefined || val === '') throw bad(undefined, `${what} is required`);
    return val;
  };
  const universe = need('universe').toLowerCase();
  if (universe !== kind) throw bad(undefined, `universe is ${JSON.stringify(universe)}, the ${TEMPLATE_FILE[kind]} template must say "universe = ${kind}"`);
  if (kind === 'vm') {
    need('vm_type');
    need('vm_memory');
    const disks = need('vm_disk');
    const missing = VM_DISK_NAMES.filter((d) => !new RegExp(`(^|[\\s,])${d.replace('.', '\\.')}:`).test(disks));
    if (missing.length > 0) throw bad(undefined, `vm_disk must name ${missing.join(', ')} (the disks the hooks fill)`);
  }
  return out;
}
