/**
 * Reads a site's submit template from `<swampDir>/etc` (vmu_htcondor_submit, docker_htcondor_submit)
 * through lib/config's bounded, owner/mode-checked reader; the compiled default when the file is not
 * installed. What the template may contain is checked by submit-template.ts when it is rendered.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfiguredFile } from '../config/index.js';
import type { PlatformType } from './platform.js';
import { defaultTemplate, TEMPLATE_FILE, type SubmitTemplate, type TemplateKind } from './submit-template.js';

/** A submit template is a few hundred bytes; 64 KiB refuses anything that is not one. */
export const MAX_TEMPLATE_BYTES = 64 * 1024;

export function loadSubmitTemplate(kind: TemplateKind, etcDir: string, swampInABox: boolean): SubmitTemplate {
  const path = join(etcDir, TEMPLATE_FILE[kind]);
  if (!existsSync(path)) return defaultTemplate(kind, swampInABox);
  return { text: readConfiguredFile(path, { trusted: true, maxBytes: MAX_TEMPLATE_BYTES, what: 'submit template' }), source: path };
}

/** The template of a platform's static part: vm/docker read (or defaulted) here; none for `local`. */
export function platformTemplate(platformType: PlatformType, etcDir: string, swampInABox: boolean): SubmitTemplate | undefined {
  if (platformType === 'local') return undefined;
  return loadSubmitTemplate(platformType === 'VM' ? 'vm' : 'docker', etcDir, swampInABox);
}
