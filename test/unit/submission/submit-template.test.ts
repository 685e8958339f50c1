/**
 * Site submit templates (`<swampDir>/etc/vmu_htcondor_submit`, `docker_htcondor_submit`): read when
 * installed, compiled defaults otherwise; checked line by line; the bridge placeholder filled in from
 * vm_bridge_interface, or refused when that is unset.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lib/errors/index.js';
import { BRIDGE_PLACEHOLDER, defaultTemplate, renderTemplate, type SubmitTemplate } from '../../../lib/submission/submit-template.js';
import { loadSubmitTemplate } from '../../../lib/submission/template-file.js';

const site = (text: string): SubmitTemplate => ({ text, source: '/opt/swamp/etc/vmu_htcondor_submit' });

/** A facility's VM template as the legacy installer left it before its sed (comments included). */
const FACILITY_VM = [
  '# HTCondor submit file for SWAMP VM Universe.',
  '',
  '### General VM Universe Settings',
  'universe = vm',
  'vm_type = kvm',
  'vm_networking = true',
  'vm_networking_type = swamp',
  'RequestMemory = 8192',
  'vm_memory = 8192',
  'RequestCpus = 4',
  'vm_vcpus = 4',
  'RequestDisk = 2',
  'RunAsOwner = True',
  '',
  '## Include this in condor config:',
  '## LIBVIRT_XML_SCRIPT = $(LIBEXEC)/libvirt_swamp_script.awk',
  '+JobVMVNCConsole = true',
  '+JobVMSerialConsole = true',
  '+JobVMEvents = true',
  `+VMPARAM_Bridge_Interface = "${BRIDGE_PLACEHOLDER}"`,
  '',
  'vm_disk = delta.qcow2:vda:w:qcow2, inputdisk.qcow2:vdb:w:qcow2, outputdisk.qcow2:vdc:w:qcow2',
  'transfer_output_files = ""',
  '',
].join('\n');

describe('renderTemplate', () => {
  test('a facility template: comments kept, the bridge filled in, edits (RequestMemory) kept', () => {
    const lines = renderTemplate('vm', site(FACILITY_VM), { bridgeInterface: 'br0' });
    expect(lines).toContain('+VMPARAM_Bridge_Interface = "br0"');
    expect(lines).toContain('RequestMemory = 8192');
    expect(lines).toContain('## LIBVIRT_XML_SCRIPT = $(LIBEXEC)/libvirt_swamp_script.awk');
    expect(lines.join('\n')).not.toContain(BRIDGE_PLACEHOLDER);
  });

  test('vm_bridge_interface unset: refused clearly, never the literal placeholder', () => {
    expect(() => renderTemplate('vm', site(FACILITY_VM), { bridgeInterface: undefined })).toThrow(ConfigError);
    expect(() => renderTemplate('vm', site(FACILITY_VM), { bridgeInterface: undefined })).toThrow(
      /vmu_htcondor_submit:20: SED_BRIDGE_INTERFACE needs vm_bridge_interface in swamp.conf/,
    );
    // the compiled facility default has the placeholder too; SWAMP-in-a-Box's has none
    expect(() => renderTemplate('vm', defaultTemplate('vm', false), { bridgeInterface: undefined })).toThrow(/vm_bridge_interface/);
    expect(renderTemplate('vm', defaultTemplate('vm', true), { bridgeInterface: undefined }).join('\n')).not.toMatch(/Bridge/);
    expect(() => renderTemplate('vm', site(FACILITY_VM), { bridgeInterface: 'br0" && x' })).toThrow(/not an interface name/);
  });

  test.each([
    ['queue', 'queue 5', /:3: not a "name = value" line.*queue/],
    ['include', 'include : /tmp/x.sh |', /:3: not a "name = value" line/],
    ['conditional', 'if defined FOO', /:3: not a "name = value" line/],
    ['unknown placeholder', 'RequestMemory = SED_MEMORY', /:3: unknown substitution SED_MEMORY/],
    ['environment macro', 'RequestMemory = $ENV(MEM)', /:3: unknown substitution "\$ENV\(MEM\)"/],
    ['config macro', 'RequestMemory = $(MEMORY)', /:3: unknown substitution "\$\(MEMORY\)"/],
    ['continuation', 'RequestMemory = 6144 \\', /:3: line continuation/],
  ])('refused: %s', (_what, line, re) => {
    const text = `universe = docker\nRequestCpus = 2\n${line}\nlog = condor_log\n`;
    expect(() => renderTemplate('docker', { text, source: 'docker_htcondor_submit' }, { bridgeInterface: undefined })).toThrow(re);
  });

  test('allowed macros: $(CLUSTERID), $(PROCID), $(DOLLAR), match-time $$(...)', () => {
    const text = 'universe = docker\noutput = out.$(CLUSTERID).$(ProcId)\n+Note = "$(DOLLAR)x $$(UidDomain) $$([NumJobStarts])"\n';
    expect(renderTemplate('docker', { text, source: 'd' }, { bridgeInterface: undefined })).toHaveLength(3);
  });

  test('required lines', () => {
    const r = (kind: 'vm' | 'docker', text: string) => () => renderTemplate(kind, { text, source: 't' }, { bridgeInterface: 'br0' });
    expect(r('docker', 'RequestCpus = 2\n')).toThrow(/a "universe = \.\.\." line is required/);
    expect(r('docker', 'universe = vm\n')).toThrow(/must say "universe = docker"/);
    expect(r('vm', FACILITY_VM.replace(/^vm_memory.*$/m, ''))).toThrow(/"vm_memory = \.\.\." line is required/);
    expect(r('vm', FACILITY_VM.replace('inputdisk.qcow2:vdb:w:qcow2, ', ''))).toThrow(/vm_disk must name inputdisk.qcow2/);
  });

  test('the compiled defaults are the lines written before templates were read (unchanged submit files)', () => {
    expect(renderTemplate('docker', defaultTemplate('docker', true), { bridgeInterface: undefined })[3]).toBe('universe = docker');
    expect(renderTemplate('vm', defaultTemplate('vm', false), { bridgeInterface: 'br0' })).toContain('+VMPARAM_Bridge_Interface = "br0"');
  });
});

describe('loadSubmitTemplate', () => {
  test('the installed file when present, else the compiled default; a file others may write is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tmpl-'));
    try {
      chmodSync(dir, 0o755);
      expect(loadSubmitTemplate('vm', dir, true)).toEqual(defaultTemplate('vm', true));
      writeFileSync(join(dir, 'vmu_htcondor_submit'), FACILITY_VM, { mode: 0o644 });
      expect(loadSubmitTemplate('vm', dir, true)).toEqual({ text: FACILITY_VM, source: join(dir, 'vmu_htcondor_submit') });
      expect(loadSubmitTemplate('docker', dir, true)).toEqual(defaultTemplate('docker', true));
      chmodSync(join(dir, 'vmu_htcondor_submit'), 0o666);
      expect(() => loadSubmitTemplate('vm', dir, true)).toThrow(/cannot use submit template .*writable by others/);
      chmodSync(join(dir, 'vmu_htcondor_submit'), 0o644);
      writeFileSync(join(dir, 'vmu_htcondor_submit'), 'x'.repeat(70_000), { mode: 0o644 });
      expect(() => loadSubmitTemplate('vm', dir, true)).toThrow(/larger than 65536 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
