/**
 * Contents of the assessment input folder in/ (mirswamp/services perl/agents/vmu_PreAssessment.pl), as pure text builders:
 * run-params.conf, run.conf, package.conf, the os-dependencies merge, user-os-dependencies.conf and
 * sonatype-data.conf, plus the framework choice by package type. The I/O that copies tool, package,
 * framework and result parser files is in populate.ts.
 */
import { randomInt } from 'node:crypto';
import type { PlatformKind } from './settings.js';

export type Bog = Readonly<Record<string, string>>;

/** A BOG value the framework should see: absent, blank and the translated SQL NULL (`null`) are left out. */
export function bogValue(bog: Bog, key: string): string | undefined {
  const v = bog[key];
  if (v === undefined || v.trim() === '' || v === 'null') return undefined;
  return v;
}

/**
 * Random `[a-zA-Z0-9!_]{8}` as builderPassword(), from the CSPRNG (crypto.randomInt: uniform, no
 * modulo bias; Math.random's state can be recovered from a few outputs); `random` is injectable for tests.
 */
export function builderPassword(random: (n: number) => number = (n) => randomInt(n)): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!_';
  let out = '';
  for (let i = 0; i < 8; i++) out += alphabet[random(alphabet.length)];
  return out;
}

export const BUILDER_USER = 'builder';

export interface RunParamsInput {
  platform: PlatformKind;
  password: string;
  /** docker/local: the job owner's uid/gid (the VM has its own builder account 9999). */
  uid: number;
  gid: number;
}

/** run-params.conf: `KEY=value` lines the framework's run.sh sources. */
export function runParamsConf(i: RunParamsInput): string {
  const vm = i.platform === 'vm';
  const lines = [
    `SWAMP_USERNAME=${BUILDER_USER}`,
    `SWAMP_USERID=${vm ? 9999 : i.uid}`,
    `SWAMP_GROUPNAME=${BUILDER_USER}`,
    `SWAMP_GROUPID=${vm ? 9999 : i.gid}`,
    `SWAMP_PASSWORD=${i.password}`,
    'DELAY_SHUTDOWN_UNTIL=1',
    "CAPTURE_FILES='/var/log/messages /var/log/boot.log'",
    'CAPTURE_ARCHIVE=joboslog.tar.gz',
    `SWAMP_EVENT_FILE=${vm ? '/dev/ttyS1' : 'job_events.log'}`,
    `IP_ADDR_FILE=${vm ? '/dev/ttyS2' : 'job_ip_address.txt'}`,
  ];
  return lines.join('\n') + '\n';
}

/** run.conf: what the framework is asked to do. */
export function runConf(internetInaccessible: string): string {
  return `goal=build+assess+parse\ninternet-inaccessible=${internetInaccessible}\n`;
}

export type Framework = 'java-assess' | 'ruby-assess' | 'c-assess' | 'script-assess';

/** The framework for a package type (PackageTypes.pm names); undefined = unsupported type. */
export function frameworkFor(packageType: string | undefined): Framework | undefined {
  const t = packageType ?? '';
  if (/^(Java|Android)/i.test(t)) return 'java-assess';
  if (/^Ruby/i.test(t)) return 'ruby-assess';
  if (/^C\/C\+\+/i.test(t)) return 'c-assess';
  if (/^(Web Scripting|Python|\.NET)/i.test(t)) return 'script-assess';
  return undefined;
}

function isBytecode(packageType: string | undefined): boolean {
  return /bytecode/i.test(packageType ?? '') || /\.apk/i.test(packageType ?? '');
}

/** `package-language-version`: java-7 / java-8 for Java package types, ruby-<version> for Ruby ones. */
export function languageVersion(bog: Bog): string | undefined {
  const t = bog.packagetype ?? '';
  const v = bogValue(bog, 'language_version');
  if (/Java 7/i.test(t)) return 'java-7';
  if (/Java 8/i.test(t)) return 'java-8';
  if (/^Ruby/i.test(t)) return v === undefined ? undefined : v.startsWith('ruby-') ? v : `ruby-${v}`;
  return v;
}

/** package.conf in the framework's key names; BOG values `null`/blank are omitted. */
export function packageConf(bog: Bog): string {
  const pairs: [string, string | undefined][] = [
    ['build-sys', bogValue(bog, 'packagebuild_system') ?? (isBytecode(bog.packagetype) ? 'java-bytecode' : undefined)],
    ['build-file', bogValue(bog, 'packagebuild_file')],
    ['build-target', bogValue(bog, 'packagebuild_target')],
    ['build-opt', bogValue(bog, 'packagebuild_opt')],
    ['build-dir', bogValue(bog, 'packagebuild_dir')],
    ['build-cmd', bogValue(bog, 'packagebuild_cmd')],
    ['config-opt', bogValue(bog, 'packageconfig_opt')],
    ['config-dir', bogValue(bog, 'packageconfig_dir')],
    ['config-cmd', bogValue(bog, 'packageconfig_cmd')],
    ['android-sdk-target', bogValue(bog, 'android_sdk_target')],
    ['android-lint-target', bogValue(bog, 'android_lint_target')],
    ['android-redo-build', bogValue(bog, 'android_redo_build')],
    ['android-maven-plugin', bogValue(bog, 'android_maven_plugin')],
    ['gradle-wrapper', bogValue(bog, 'use_gradle_wrapper')],
    ['maven-version', bogValue(bog, 'maven_version')],
    ['package-language', bogValue(bog, 'package_language')],
    ['package-language-version', languageVersion(bog)],
    ['package-classpath', bogValue(bog, 'packageclasspath')],
    ['package-srcdir', bogValue(bog, 'packagebytecodesourcepath')],
    ['package-auxclasspath', bogValue(bog, 'packageauxclasspath')],
    ['package-exclude-paths', bogValue(bog, 'exclude_paths')],
    ['package-build-settings', bogValue(bog, 'packagebuild_settings')],
    ['package-archive', archiveName(bog.packagepath)],
    ['package-dir', bogValue(bog, 'packagesourcepath') ?? ''],
    ['package-short-name', bogValue(bog, 'packagename') ?? ''],
    ['package-version', bogValue(bog, 'packageversion') ?? 'unknown'],
  ];
  return (
    pairs
      .filter((p): p is [string, string] => p[1] !== undefined)
      // A value with a newline would become a second (bogus) key for the framework's reader.
      .map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}`)
      .join('\n') + '\n'
  );
}

export function archiveName(path: string | undefined): string {
  return (path ?? '').split('/').pop() ?? '';
}

/** `dependencies-<platform minus leading android->=<list>`, or undefined when the BOG has no list. */
export function userOsDependencies(bog: Bog): string | undefined {
  const list = bogValue(bog, 'packagedependencylist');
  if (list === undefined) return undefined;
  const plat = (bog.platform_identifier ?? '').replace(/^android-/, '');
  return `dependencies-${plat}=${list.replace(/[\r\n]+/g, ' ')}\n`;
}

/**
 * Merges os-dependencies lines: per key the values are concatenated with spaces (in input order), keys
 * sorted; undefined when nothing remains (the legacy deletes an empty os-dependencies.conf).
 */
export function mergeOsDependencies(text: string): string | undefined {
  const merged = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const list = merged.get(key) ?? [];
    if (value !== '') list.push(value);
    merged.set(key, list);
  }
  if (merged.size === 0) return undefined;
  return [...merged.keys()].sort().map((k) => `${k}=${(merged.get(k) ?? []).join(' ')}`).join('\n') + '\n';
}

export function isSonatypeTool(bog: Bog): boolean {
  return /sonatype/i.test(bog.toolname ?? '');
}

/** sonatype-data.conf from the user's Sonatype account JSON (user_cnf); undefined when data is missing. */
export function sonatypeDataConf(bog: Bog, integrator: string): string | undefined {
  const raw = bogValue(bog, 'user_cnf');
  if (raw === undefined) return undefined;
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    data = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = data[k];
      if (typeof v === 'string' && v.trim() !== '') return v.replace(/[\r\n]+/g, ' ');
    }
    return undefined;
  };
  const name = pick('full-name', 'full_name', 'name');
  const email = pick('email-id', 'email');
  const company = pick('company-name', 'company_name', 'company', 'organization');
  if (name === undefined || email === undefined || company === undefined) return undefined;
  return `full-name=${name}\nemail-id=${email}\ncompany-name=${company}\nintegrator-name=${integrator}\n`;
}

/** `<toolpath without .tar.gz/.tgz/.tar/.gz>`: the unpacked tool directory beside the archive. */
export function toolDirectory(toolpath: string): string {
  return toolpath.replace(/(\.tar\.gz|\.tgz|\.tar|\.gz)$/, '');
}
