/**
 * PreAssessment (legacy mirswamp/services perl/agents/vmu_PreAssessment.pl): runs in the job's scratch dir
 * before the machine starts. Extracts the submit bundle, copies BOG and submit file to out/, fills in/,
 * prepares the platform (vm: disks and init patch; docker/local: nothing more), advertises the start,
 * records the run's machine facts in the DB, starts monitorjob detached, and exits 0 (or 1 with
 * `Unable to Start ` + suffix, after which HTCondor does not start the machine).
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBogFile } from '../bog/index.js';
import { assessmentStatusAd } from '../status/ads.js';
import { AssessmentStatus, withRetry } from '../status/catalogue.js';
import { extractSubmitBundle } from './archive.js';
import { dbTimestampUtc } from '../db/backend.js';
import { directorySize, makeJobIoDirs, type HookContext } from './context.js';
import { BUILDER_USER, builderPassword } from './inputs.js';
import { populateAssessmentInputs } from './populate.js';
import { platformOf, type PlatformKind } from './settings.js';
import { VM_TOOLS, imageYear, initScript, makeInputDisk, makeOutputDisk, osFamily, patchDelta, qemuImgDelta } from './vm.js';

export async function preAssessment(ctx: HookContext): Promise<number> {
  const { args, log, paths } = ctx;
  const sfx = (t: string): string => withRetry(t, args.numJobStarts, ctx.settings.maxRetries);
  let userUuid = 'null';
  let projectId = 'null';
  const publish = (status: string): Promise<void> =>
    ctx.publisher
      .publish(assessmentStatusAd({ execrunuid: args.execrunuid, vmhostname: args.vmhostname, status, userUuid, projectId }))
      .catch((e: unknown) => log.error('advertise failed', { status, error: e }));

  let bog: Record<string, string>;
  let platform: PlatformKind;
  const password = builderPassword();
  try {
    await makeJobIoDirs(paths);
    const bundle = join(paths.scratch, `${args.execrunuid}_submitbundle.tar.gz`);
    const members = await extractSubmitBundle(bundle, paths.scratch);
    log.info('submit bundle extracted', { members });
    const bogFile = join(paths.scratch, `${args.execrunuid}.bog`);
    bog = readBogFile(bogFile);
    if (bog.execrunid !== undefined && bog.execrunid !== args.execrunuid) {
      throw new Error(`BOG is for ${bog.execrunid}, not ${args.execrunuid}`);
    }
    userUuid = bog.userid || 'null';
    projectId = bog.projectid || 'null';
    await copyFile(bogFile, join(paths.outDir, `${args.execrunuid}.bog`));
    const subFile = join(paths.scratch, `${args.execrunuid}.sub`);
    await copyFile(subFile, join(paths.outDir, `${args.execrunuid}.sub`)).catch(() => log.warn('no submit file in the bundle'));
    platform = platformOf(bog);
    log.info('assessment', { platform, tool: bog.toolname, package: bog.packagename, platformIdentifier: bog.platform_identifier });
    await populateAssessmentInputs({ bog, inDir: paths.inDir, platform, settings: ctx.settings, password, uid: ctx.uid, gid: ctx.gid, log });
    if (platform === 'vm') await prepareVm(ctx, bog);
  } catch (e) {
    log.error('PreAssessment failed', { error: e });
    await publish(sfx(AssessmentStatus.UnableToStart));
    return 1;
  }

  // The machine writes here; empty files first so the monitor and the machine agree from the start.
  await writeFile(paths.eventFile, '', { flag: 'a' });
  await writeFile(paths.ipFile, '', { flag: 'a' });
  const status = sfx(platform === 'vm' ? AssessmentStatus.StartingVm : AssessmentStatus.StartingDocker);
  await publish(status);
  try {
    await ctx.db.updateRun(args.execrunuid, {
      status,
      execute_node_architecture_id: ctx.hostname,
      vm_hostname: args.vmhostname,
      vm_username: BUILDER_USER,
      vm_password: password,
      vm_image: bog.platform_image ?? '',
      tool_filename: bog.toolpath ?? '',
      // UTC, as the legacy's gmtime
      run_date: dbTimestampUtc(ctx.now()),
    });
  } catch (e) {
    // The run can go on: the collector carries the status; the DB fields are informative.
    log.error('recording the run start in the DB failed', { error: e });
  }

  try {
    const pid = await ctx.startMonitor('MonitorAssessment', args);
    log.info('monitorjob started', { pid });
  } catch (e) {
    // No monitor means no progress statuses, but the run and PostAssessment still work.
    log.error('starting monitorjob failed', { error: e });
  }

  try {
    await ctx.db.updateRun(args.execrunuid, { slot_size_start: String(await directorySize(paths.scratch)) });
  } catch (e) {
    log.warn('recording slot_size_start failed', { error: e });
  }
  return 0;
}

/** vm platform: delta image over the master image, input and output disks, init patch (mirswamp/services perl/agents/vmu_PreAssessment.pl). */
async function prepareVm(ctx: HookContext, bog: Readonly<Record<string, string>>): Promise<void> {
  await ctx.checkTools(VM_TOOLS);
  const image = bog.platform_image ?? '';
  if (image === '') throw new Error('BOG has no platform_image');
  const family = osFamily(bog.platform_identifier ?? '');
  if (family === undefined) throw new Error(`unsupported VM platform ${bog.platform_identifier ?? ''}`);
  const cwd = ctx.paths.scratch;
  await ctx.runTool(qemuImgDelta(image), cwd);
  await ctx.runTool(makeInputDisk(), cwd);
  await ctx.runTool(makeOutputDisk(), cwd);
  await chmod(join(cwd, 'outputdisk.qcow2'), 0o644);
  await writeFile(join(cwd, 'init.gf'), initScript({ vmhostname: ctx.args.vmhostname, family, fstab: (imageYear(image) ?? 0) >= 2019 }));
  await ctx.runTool(patchDelta('init.gf'), cwd);
}
