/**
 * The assessment/metric BOG computed from one `assessment.exec_run_view` row (legacy _computeBOG,
 * mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties). Pure: the row, the results-folder check and the platform choice come in as
 * values; no DB, no file system.
 *
 * Rules reproduced from the legacy:
 * - translated columns (table below): SQL NULL -> the literal string `null`; `android_redo_build` and
 *   `use_gradle_wrapper` 0/1 -> `false`/`true` (other values pass through);
 * - untranslated keys (`projectid`, `userid`, `user_cnf`, `notify_when_complete_flag`,
 *   `packagedependencylist`) are copied as they are; a NULL there is left out of the BOG (the legacy
 *   saveProperties skipped undef values);
 * - `version` = 2, `resultsfolder` = swamp.conf resultsFolder, which must be an existing directory;
 * - `platform_identifier` must be non-empty; the platform choice rewrites it and adds `platform_type`,
 *   `use_docker_universe` (`1` for DC, else empty) and `platform_image`.
 */
import { SwampError, type FailureKind } from '../errors/index.js';
import type { PlatformChoice } from '../submission/platform.js';

/** The legacy LaunchPad result codes; the worker maps them to statuses as calldorun did. */
export const LaunchCode = {
  SUCCESS: 0,
  BOG_ERROR: 1,
  FILESYSTEM_ERROR: 2,
  CHECKSUM_ERROR: 3,
  FORK_ERROR: 4,
  FATAL_ERROR: 5,
} as const;
export type LaunchCodeValue = (typeof LaunchCode)[keyof typeof LaunchCode];

/** A BOG that cannot be built; `code` is the legacy LAUNCHPAD_* value. */
export class BogError extends SwampError {
  readonly code: LaunchCodeValue;
  constructor(code: LaunchCodeValue, message: string, details: Record<string, unknown> = {}, kind: FailureKind = 'external') {
    super(kind, message, { ...details, launchCode: code });
    this.code = code;
  }
}

/** Column -> BOG key, for the columns whose NULL becomes `null` (legacy $bogtranslator). */
export const BOG_TRANSLATION: Readonly<Record<string, string>> = {
  platform_identifier: 'platform_identifier',
  tool_name: 'toolname',
  tool_path: 'toolpath',
  version_string: 'tool-version',
  package_name: 'packagename',
  package_version: 'packageversion',
  package_build_settings: 'packagebuild_settings',
  build_target: 'packagebuild_target',
  build_system: 'packagebuild_system',
  build_dir: 'packagebuild_dir',
  build_opt: 'packagebuild_opt',
  build_cmd: 'packagebuild_cmd',
  config_opt: 'packageconfig_opt',
  config_dir: 'packageconfig_dir',
  config_cmd: 'packageconfig_cmd',
  package_path: 'packagepath',
  source_path: 'packagesourcepath',
  build_file: 'packagebuild_file',
  package_type: 'packagetype',
  bytecode_class_path: 'packageclasspath',
  bytecode_aux_class_path: 'packageauxclasspath',
  bytecode_source_path: 'packagebytecodesourcepath',
  android_sdk_target: 'android_sdk_target',
  android_redo_build: 'android_redo_build',
  use_gradle_wrapper: 'use_gradle_wrapper',
  android_lint_target: 'android_lint_target',
  language_version: 'language_version',
  maven_version: 'maven_version',
  android_maven_plugin: 'android_maven_plugin',
  package_language: 'package_language',
  exclude_paths: 'exclude_paths',
};

const BOOLEAN_COLUMNS = new Set(['android_redo_build', 'use_gradle_wrapper']);

/** A DB value as the Perl DBI handed it over: text, or undefined for NULL. */
export function dbText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export type ViewRow = Readonly<Record<string, unknown>>;

/** The translated part of the BOG (pure; exported for tests). */
export function translateRow(row: ViewRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [column, key] of Object.entries(BOG_TRANSLATION)) {
    // Only columns the view has: the Perl iterated over the row's keys.
    if (!Object.prototype.hasOwnProperty.call(row, column)) continue;
    let value = dbText(row[column]);
    if (value === undefined) {
      out[key] = 'null';
      continue;
    }
    if (BOOLEAN_COLUMNS.has(column)) {
      if (value === '0') value = 'false';
      else if (value === '1') value = 'true';
    }
    out[key] = value;
  }
  return out;
}

export interface BogInputs {
  execrunid: string;
  row: ViewRow;
  resultsFolder: string | undefined;
  /** Whether resultsFolder is an existing directory (checked by the caller). */
  resultsFolderIsDir: boolean;
  /** Platform choice for the row's identifier; undefined = no image. */
  choosePlatform: (identifier: string) => PlatformChoice | undefined;
}

export type AssessmentBog = Record<string, string>;

/** Builds the BOG or throws BogError(BOG_ERROR) as _computeBOG returned $LAUNCHPAD_BOG_ERROR. */
export function computeBog(inp: BogInputs): AssessmentBog {
  const { row } = inp;
  const bog: AssessmentBog = {};
  const put = (key: string, v: unknown): void => {
    const t = dbText(v);
    if (t !== undefined) bog[key] = t;
  };
  put('notify_when_complete_flag', row.notify_when_complete_flag);
  put('packagedependencylist', row.dependency_list);
  bog.execrunid = inp.execrunid;
  put('launch_counter', row.launch_counter);
  put('projectid', row.project_uuid);
  put('userid', row.user_uuid);
  put('user_cnf', row.user_cnf);
  bog.version = '2';
  if (inp.resultsFolder === undefined || !inp.resultsFolderIsDir) {
    throw new BogError(LaunchCode.BOG_ERROR, `results folder ${inp.resultsFolder ?? '(not defined)'} is not a directory`, { resultsFolder: inp.resultsFolder }, 'config');
  }
  bog.resultsfolder = inp.resultsFolder;
  Object.assign(bog, translateRow(row));
  const identifier = bog.platform_identifier;
  if (identifier === undefined || identifier === '') {
    throw new BogError(LaunchCode.BOG_ERROR, 'no platform identifier in the database record');
  }
  const choice = inp.choosePlatform(identifier);
  if (choice === undefined) {
    throw new BogError(LaunchCode.BOG_ERROR, `no platform image for ${identifier}`, { platformIdentifier: identifier }, 'not-found');
  }
  bog.platform_type = choice.type;
  bog.use_docker_universe = choice.type === 'DC' ? '1' : '';
  bog.platform_image = choice.image;
  bog.platform_identifier = choice.identifier;
  return bog;
}
