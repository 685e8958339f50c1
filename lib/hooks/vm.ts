/**
 * The vm-universe-only steps of the hooks (mirswamp/services perl/agents/vmu_PreAssessment.pl, mirswamp/services perl/agents/vmu_PostAssessment.pl, mirswamp/services perl/agents/vmu_PreViewer.pl, vmu_MonitorViewer.pl, vmu_PostViewer.pl), as data:
 * every command is an argument array plus the environment it needs, built by pure functions, so
 * tests check the exact command lines and the platform code just runs them. The tools (qemu-img,
 * virt-make-fs, guestfish) are looked up on PATH first, with a clear error naming the missing ones.
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { SwampError } from '../errors/index.js';

export interface ToolCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Generous: virt-make-fs of a 1 GB input disk takes tens of seconds on a loaded node. */
  timeoutMs: number;
}

/** libguestfs must not go through libvirt on an execute node (no session daemon for the job owner). */
const GUESTFS_ENV = { LIBGUESTFS_BACKEND: 'direct' };

export const VM_TOOLS = ['qemu-img', 'virt-make-fs', 'guestfish'] as const;
export type VmTool = (typeof VM_TOOLS)[number];

/** `qemu-img create -b <image> -f qcow2 delta.qcow2` (the backing format is given: newer qemu-img refuses to guess it). */
export function qemuImgDelta(image: string): ToolCommand {
  return { command: 'qemu-img', args: ['create', '-b', image, '-F', 'qcow2', '-f', 'qcow2', 'delta.qcow2'], env: {}, timeoutMs: 120_000 };
}

/** `virt-make-fs --type=ext3 --format=qcow2 in inputdisk.qcow2 --size=+1G`. */
export function makeInputDisk(): ToolCommand {
  return { command: 'virt-make-fs', args: ['--type=ext3', '--format=qcow2', 'in', 'inputdisk.qcow2', '--size=+1G'], env: GUESTFS_ENV, timeoutMs: 600_000 };
}

/** `virt-make-fs --type=ext3 --format=qcow2 out outputdisk.qcow2 --size=3G`. */
export function makeOutputDisk(): ToolCommand {
  return { command: 'virt-make-fs', args: ['--type=ext3', '--format=qcow2', 'out', 'outputdisk.qcow2', '--size=3G'], env: GUESTFS_ENV, timeoutMs: 600_000 };
}

/** `guestfish --ro -a outputdisk.qcow2 run : mount /dev/sda / : glob copy-out '/*' out` (PostAssessment/PostViewer). */
export function extractOutputDisk(outDir = 'out'): ToolCommand {
  return {
    command: 'guestfish',
    args: ['--ro', '-a', 'outputdisk.qcow2', 'run', ':', 'mount', '/dev/sda', '/', ':', 'glob', 'copy-out', '/*', outDir],
    env: GUESTFS_ENV,
    timeoutMs: 600_000,
  };
}

/** `guestfish -a delta.qcow2 -i -f init.gf`: applies the init script to the delta image. */
export function patchDelta(scriptFile = 'init.gf'): ToolCommand {
  return { command: 'guestfish', args: ['-a', 'delta.qcow2', '-i', '-f', scriptFile], env: GUESTFS_ENV, timeoutMs: 600_000 };
}

export type OsFamily = 'rhel' | 'debian';

/** OS family of a platform identifier (`centos-7.7-64`, `ubuntu-16.04-64`, ...); undefined = unsupported. */
export function osFamily(platformIdentifier: string): OsFamily | undefined {
  const p = platformIdentifier.toLowerCase();
  if (/^(rhel|centos|scientific|fedora)/.test(p)) return 'rhel';
  if (/^(ubuntu|debian)/.test(p)) return 'debian';
  return undefined;
}

/** Image date from `condor-<id>-master-<YYYYMMDDnn>.qcow2`; images from 2019 on mount in/ and out/ by fstab. */
export function imageYear(imagePath: string): number | undefined {
  const m = /-master-(\d{4})\d*/.exec(imagePath);
  return m && m[1] !== undefined ? Number(m[1]) : undefined;
}

/**
 * The guestfish script (init.gf) that makes the VM start the framework: host name, a boot hook that runs
 * /mnt/in/run.sh in the background with output to /mnt/out/runsh.out, and for 2019+ images the fstab
 * lines for the input and output disks. Pure text; the host name is validated by the caller.
 */
export function initScript(o: { vmhostname: string; family: OsFamily; fstab: boolean }): string {
  const runsh = '#!/bin/bash\n/mnt/in/run.sh > /mnt/out/runsh.out 2>&1 &\n';
  const lines: string[] = [];
  if (o.family === 'rhel') {
    lines.push(`write /etc/hostname "${o.vmhostname}\\n"`);
    lines.push(`write-append /etc/sysconfig/network "HOSTNAME=${o.vmhostname}\\n"`);
    lines.push(`write-append /etc/rc.d/rc.local "${runsh.replace(/\n/g, '\\n')}"`);
    lines.push('chmod 0755 /etc/rc.d/rc.local');
  } else {
    lines.push(`write /etc/hostname "${o.vmhostname}\\n"`);
    lines.push(`write /etc/init.d/S99runsh "${runsh.replace(/\n/g, '\\n')}"`);
    lines.push('chmod 0755 /etc/init.d/S99runsh');
    lines.push('ln-sf /etc/init.d/S99runsh /etc/rc2.d/S99runsh');
  }
  if (o.fstab) {
    lines.push('mkdir-p /mnt/in');
    lines.push('mkdir-p /mnt/out');
    lines.push('write-append /etc/fstab "/dev/vdb /mnt/in ext3 defaults 0 0\\n/dev/vdc /mnt/out ext3 defaults 0 0\\n"');
  }
  return lines.join('\n') + '\n';
}

/** True when `name` is an executable file in one of the PATH directories (no shell, no `which`). */
export async function findOnPath(name: string, path: string | undefined = process.env.PATH): Promise<string | undefined> {
  for (const dir of (path ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails with one clear message listing every missing tool (instead of an ENOENT at the first call). */
export async function requireTools(tools: readonly string[], path: string | undefined = process.env.PATH): Promise<void> {
  const missing: string[] = [];
  for (const t of tools) if ((await findOnPath(t, path)) === undefined) missing.push(t);
  if (missing.length > 0) {
    throw new SwampError('not-found', `vm platform tools not found on PATH: ${missing.join(', ')} (install qemu-utils and libguestfs-tools on the execute node)`, {
      missing,
      path,
    });
  }
}
