/**
 * Fills the assessment input folder in/ (mirswamp/services perl/agents/vmu_PreAssessment.pl) from the BOG: tool in-files,
 * services.conf, the package archive, os-dependencies, result parser and framework, and the .conf files
 * of inputs.ts. On the vm and docker platforms a missing tool directory, framework or result parser is
 * an error (the machine could not run); on the local platform our machine program plays the framework,
 * so those parts are copied when present and otherwise only logged.
 */
import { appendFile, chmod, copyFile, cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SwampError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import {
  archiveName,
  bogValue,
  frameworkFor,
  isSonatypeTool,
  mergeOsDependencies,
  packageConf,
  runConf,
  runParamsConf,
  sonatypeDataConf,
  toolDirectory,
  userOsDependencies,
  type Bog,
} from './inputs.js';
import type { HookSettings, PlatformKind } from './settings.js';

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** `<base>/<platform>` if it exists, else `<base>/noarch`, else undefined. */
async function platformDir(base: string, platformIdentifier: string): Promise<string | undefined> {
  for (const d of [platformIdentifier, 'noarch']) {
    if (d !== '' && (await isDir(join(base, d)))) return join(base, d);
  }
  return undefined;
}

/** Copies the entries of `src` into `dest` (cp -r src/* dest). */
async function copyContents(src: string, dest: string): Promise<void> {
  for (const n of await readdir(src)) await cp(join(src, n), join(dest, n), { recursive: true, force: true, dereference: true });
}

export interface PopulateInput {
  bog: Bog;
  inDir: string;
  platform: PlatformKind;
  settings: HookSettings;
  password: string;
  uid: number;
  gid: number;
  log: Logger;
}

export async function populateAssessmentInputs(p: PopulateInput): Promise<void> {
  const { bog, inDir, log } = p;
  const strict = p.platform !== 'local';
  const missing = (what: string): void => {
    if (strict) throw new SwampError('not-found', `${what} not found`, { what });
    log.warn(`${what} not found; the local machine does not need it`, { what });
  };
  await mkdir(inDir, { recursive: true });
  const plat = bog.platform_identifier ?? '';
  const osDeps = join(inDir, 'os-dependencies.conf');

  // tool: <toolpath without .tar.gz>/<platform|noarch>/in-files/* and swamp-conf/*
  const toolpath = bogValue(bog, 'toolpath');
  if (toolpath === undefined) throw new SwampError('external', 'BOG is missing toolpath');
  const toolPlat = await platformDir(toolDirectory(toolpath), plat);
  if (toolPlat === undefined) missing(`tool directory ${toolDirectory(toolpath)}/{${plat || '?'},noarch}`);
  else {
    for (const sub of ['in-files', 'swamp-conf']) {
      const d = join(toolPlat, sub);
      if (await isDir(d)) await copyContents(d, inDir);
    }
    const swampConf = join(toolPlat, 'swamp-conf');
    if (await isDir(swampConf)) {
      for (const n of (await readdir(swampConf)).sort()) {
        if (n.includes('os-dependencies') && n.endsWith('.conf')) await appendFile(osDeps, await readFile(join(swampConf, n)));
      }
    }
  }

  const services = join(p.settings.etcDir, 'services.conf');
  try {
    await copyFile(services, join(inDir, 'services.conf'));
  } catch {
    log.info('no services.conf to copy', { file: services });
  }

  // the package archive (always required: the framework and PostAssessment both need it)
  const packagepath = bogValue(bog, 'packagepath');
  if (packagepath === undefined) throw new SwampError('external', 'BOG is missing packagepath');
  try {
    await copyFile(packagepath, join(inDir, archiveName(packagepath)));
  } catch (e) {
    throw new SwampError('not-found', `cannot copy the package archive ${packagepath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { packagepath }, { cause: e });
  }

  const userDeps = userOsDependencies(bog);
  if (userDeps !== undefined) {
    await writeFile(join(inDir, 'user-os-dependencies.conf'), userDeps);
    await appendFile(osDeps, userDeps);
  }

  // result parser and framework by package type
  const framework = frameworkFor(bog.packagetype);
  if (framework === undefined) throw new SwampError('external', `no assessment framework for package type ${JSON.stringify(bog.packagetype ?? '')}`);
  for (const base of [join(p.settings.thirdpartyDir, 'resultparser'), join(p.settings.thirdpartyDir, framework)]) {
    const d = await platformDir(base, plat);
    if (d === undefined) missing(`${basename(base)} for ${plat || 'noarch'}`);
    else await copyContents(d, inDir);
  }

  // os-dependencies.conf: merged per key, or removed when empty
  let depsText = '';
  try {
    depsText = await readFile(osDeps, 'utf8');
  } catch {
    // none collected
  }
  const merged = mergeOsDependencies(depsText);
  if (merged === undefined) await rm(osDeps, { force: true });
  else await writeFile(osDeps, merged);

  // holds the builder password: the job owner's only
  await writeFile(join(inDir, 'run-params.conf'), runParamsConf({ platform: p.platform, password: p.password, uid: p.uid, gid: p.gid }), { mode: 0o600 });
  await writeFile(join(inDir, 'run.conf'), runConf(p.settings.internetInaccessible));
  await writeFile(join(inDir, 'package.conf'), packageConf(bog));
  if (isSonatypeTool(bog)) {
    const conf = sonatypeDataConf(bog, p.settings.sonatypeIntegrator);
    if (conf === undefined) throw new SwampError('external', 'Sonatype tool without the user data sonatype-data.conf needs (user_cnf)');
    await writeFile(join(inDir, 'sonatype-data.conf'), conf);
  }
  try {
    await chmod(join(inDir, 'run.sh'), 0o755);
  } catch {
    if (strict) throw new SwampError('not-found', 'in/run.sh missing after populating in/ (framework incomplete)');
  }
}
