/**
 * PreAssessment and PostAssessment on temp scratch dirs, with lib/machine's assessment machine producing
 * the real out/ files in between, an in-memory collector and DB.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listArchive } from '../../../lib/hooks/archive.js';
import { postAssessment } from '../../../lib/hooks/post-assessment.js';
import { preAssessment } from '../../../lib/hooks/pre-assessment.js';
import type { InsertResultsArgs } from '../../../lib/db/index.js';
import { playAssessment, resolveSettings } from '../../../lib/machine/assessment-machine.js';
import type { AssessmentOutcome } from '../../../lib/machine/assessment-outputs.js';
import { METRIC, PROJECT, RUN, USER, assessmentBog, fixture, jobArgs, testContext, writeSubmitBundle, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

async function runMachine(outcome: AssessmentOutcome, numJobStarts = 0): Promise<void> {
  const s = await resolveSettings(['--job-dir', f.scratch, '--outcome', outcome, '--delay-ms', '0', '--num-job-starts', String(numJobStarts)], {});
  await playAssessment(s);
}

describe('PreAssessment', () => {
  test('local platform: bundle extracted, in/ filled, start advertised and recorded, monitor started', async () => {
    const bog = assessmentBog(f, { packagedependencylist: 'libsnappy-dev' });
    await writeSubmitBundle(f, RUN, bog);
    await writeFile(join(f.swampDir, 'etc', 'services.conf'), 'license-server=none\n');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await preAssessment(ctx)).toBe(0);

    expect((await readdir(join(f.scratch, 'out'))).sort()).toEqual([`${RUN}.bog`, `${RUN}.sub`, 'job_events.log', 'job_ip_address.txt']);
    expect((await readdir(join(f.scratch, 'in'))).sort()).toEqual([
      'os-dependencies.conf',
      'package.conf',
      'run-params.conf',
      'run.conf',
      'services.conf',
      'snappy-c-1.0.tar.gz',
      'user-os-dependencies.conf',
    ]);
    expect(await readFile(join(f.scratch, 'in', 'package.conf'), 'utf8')).toContain('package-archive=snappy-c-1.0.tar.gz\n');
    expect(await readFile(join(f.scratch, 'in', 'os-dependencies.conf'), 'utf8')).toBe('dependencies-centos-7.7-64=libsnappy-dev\n');
    expect(ctx.publisher.ads).toEqual([
      {
        MyType: 'Generic',
        Name: RUN,
        SWAMP_vmu_assessment_vmhostname: 'aswamp-42-0',
        SWAMP_vmu_assessment_status: 'Starting docker container',
        SWAMP_vmu_assessment_user_uuid: USER,
        SWAMP_vmu_assessment_projectid: PROJECT,
      },
    ]);
    const start = ctx.db.calls[0];
    expect(start?.op).toBe('updateRun');
    expect(start?.args).toMatchObject({
      status: 'Starting docker container',
      execute_node_architecture_id: 'exec-node-1',
      vm_hostname: 'aswamp-42-0',
      vm_username: 'builder',
      vm_image: 'swamp-assessment-machine',
      run_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    expect((start?.args as Record<string, string>).vm_password).toMatch(/^[a-zA-Z0-9!_]{8}$/);
    expect(ctx.db.calls[1]).toMatchObject({ op: 'updateRun', args: { slot_size_start: expect.stringMatching(/^\d+$/) } });
    expect(ctx.monitors).toEqual(['MonitorAssessment']);
  });

  test('retry start: suffix on the status', async () => {
    await writeSubmitBundle(f, RUN, assessmentBog(f));
    const ctx = testContext(f, jobArgs(RUN, 2));
    expect(await preAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses()).toEqual(['Starting docker container retry(2/3)']);
  });

  test('missing bundle or package: Unable to Start, exit 1, no monitor', async () => {
    const ctx = testContext(f, jobArgs(RUN, 1));
    expect(await preAssessment(ctx)).toBe(1);
    expect(ctx.publisher.statuses()).toEqual(['Unable to Start  retry(1/3)']);
    expect(ctx.monitors).toEqual([]);

    await writeSubmitBundle(f, RUN, assessmentBog(f));
    await rm(assessmentBog(f).packagepath as string);
    const ctx2 = testContext(f, jobArgs(RUN));
    expect(await preAssessment(ctx2)).toBe(1);
    expect(ctx2.publisher.statuses()).toEqual(['Unable to Start ']);
  });

  test('a hostile bundle member is refused', async () => {
    const tar = await import('tar');
    await mkdir(join(f.root, 'evil'), { recursive: true });
    await writeFile(join(f.root, 'evil', 'run.sh'), 'echo owned\n');
    await tar.c({ gzip: true, file: join(f.scratch, `${RUN}_submitbundle.tar.gz`), cwd: join(f.root, 'evil') }, ['run.sh']);
    const ctx = testContext(f, jobArgs(RUN));
    expect(await preAssessment(ctx)).toBe(1);
    await expect(stat(join(f.scratch, 'run.sh'))).rejects.toThrow();
  });

  test('vm platform: tool check, then qemu-img, virt-make-fs x2, guestfish, in that order', async () => {
    await writeSubmitBundle(f, RUN, assessmentBog(f, { platform_type: 'VM', platform_image: '/img/condor-centos-7.7-64-master-2020040602.qcow2' }));
    // the framework parts a VM needs
    const tp = join(f.swampDir, 'thirdparty');
    for (const d of [join(f.root, 'tools', 'gcc-warn-0.9', 'noarch', 'in-files'), join(tp, 'resultparser', 'noarch'), join(tp, 'c-assess', 'noarch')]) await mkdir(d, { recursive: true });
    await writeFile(join(tp, 'c-assess', 'noarch', 'run.sh'), '#!/bin/sh\n');
    await writeFile(join(f.scratch, 'outputdisk.qcow2'), '');
    const ctx = testContext(f, jobArgs(RUN));
    const checked: string[][] = [];
    ctx.checkTools = async (t) => {
      checked.push([...t]);
    };
    expect(await preAssessment(ctx)).toBe(0);
    expect(checked).toEqual([['qemu-img', 'virt-make-fs', 'guestfish']]);
    expect(ctx.tools.map((t) => [t.cmd.command, ...t.cmd.args].join(' '))).toEqual([
      'qemu-img create -b /img/condor-centos-7.7-64-master-2020040602.qcow2 -F qcow2 -f qcow2 delta.qcow2',
      'virt-make-fs --type=ext3 --format=qcow2 in inputdisk.qcow2 --size=+1G',
      'virt-make-fs --type=ext3 --format=qcow2 out outputdisk.qcow2 --size=3G',
      'guestfish -a delta.qcow2 -i -f init.gf',
    ]);
    expect(await readFile(join(f.scratch, 'init.gf'), 'utf8')).toContain('aswamp-42-0');
    expect(await readFile(join(f.scratch, 'in', 'run-params.conf'), 'utf8')).toContain('SWAMP_EVENT_FILE=/dev/ttyS1');
    expect(ctx.publisher.statuses()).toEqual(['Starting virtual machine']);
  });

  test('vm platform without the tools: Unable to Start with the missing tools in the log', async () => {
    await writeSubmitBundle(f, RUN, assessmentBog(f, { platform_type: 'VM', platform_image: '/img/x.qcow2' }));
    const tp = join(f.swampDir, 'thirdparty');
    for (const d of [join(f.root, 'tools', 'gcc-warn-0.9', 'noarch'), join(tp, 'resultparser', 'noarch'), join(tp, 'c-assess', 'noarch')]) await mkdir(d, { recursive: true });
    await writeFile(join(tp, 'c-assess', 'noarch', 'run.sh'), '#!/bin/sh\n');
    const ctx = testContext(f, jobArgs(RUN));
    const { requireTools } = await import('../../../lib/hooks/vm.js');
    ctx.checkTools = (t) => requireTools(t, '/nonexistent');
    expect(await preAssessment(ctx)).toBe(1);
    expect(ctx.tools).toEqual([]);
    expect(ctx.publisher.statuses()).toEqual(['Unable to Start ']);
  });

  test('vm/docker platforms require the framework; local does not', async () => {
    await writeSubmitBundle(f, RUN, assessmentBog(f, { platform_type: 'DC' }));
    expect(await preAssessment(testContext(f, jobArgs(RUN)))).toBe(1);
  });
});

async function prepared(bog = assessmentBog(f), id = RUN, n = 0): Promise<void> {
  await writeSubmitBundle(f, id, bog);
  expect(await preAssessment(testContext(f, jobArgs(id, n)))).toBe(0);
}

function sha512(b: Buffer): string {
  return createHash('sha512').update(b).digest('hex');
}

describe('PostAssessment', () => {
  test('symlinks out of the scratch dir (out/status.out, out/run.out, in/<package>, out/versions.txt) are not followed: nothing of the target stored', async () => {
    await prepared();
    await runMachine('pass');
    const secret = join(f.root, 'global_priv.MAD');
    await writeFile(secret, 'PASS: all\nTOP-SECRET\n');
    for (const rel of ['out/status.out', 'out/run.out', 'in/snappy-c-1.0.tar.gz', 'out/versions.txt']) {
      await rm(join(f.scratch, rel), { force: true });
      await symlink(secret, join(f.scratch, rel));
    }
    await writeFile(join(f.swampDir, 'etc', 'versions.txt'), 'v1\n');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(await readFile(secret, 'utf8')).toBe('PASS: all\nTOP-SECRET\n');
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished with Errors');
    const rdir = join(f.results, RUN);
    const names = await readdir(rdir);
    expect(names).not.toContain('status.out');
    expect(names).not.toContain('run.out');
    expect(names).not.toContain('snappy-c-1.0.tar.gz');
    for (const n of names) if (!n.endsWith('.gz')) expect(await readFile(join(rdir, n), 'latin1')).not.toContain('TOP-SECRET');
    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs | undefined;
    expect(ins?.statusOut ?? '').not.toContain('TOP-SECRET');
    // out/versions.txt was replaced by a file, not written through
    expect((await lstat(join(f.scratch, 'out', 'versions.txt'))).isFile()).toBe(true);
  });

  test('a passing run: results folder, project store, insert_results, Finished, exit 0, complete_flag', async () => {
    await prepared();
    await runMachine('pass');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.stopped).toBe(1);
    expect(ctx.publisher.statuses()).toEqual(['Extracting assessment results', 'Post-Processing', 'Saving Results', 'Finished']);

    const rdir = join(f.results, RUN);
    expect((await readdir(rdir)).sort()).toEqual([
      'assessment-report.json',
      'inputdisk.tar.gz',
      'outputdisk.tar.gz',
      'parsed_results.xml',
      'run.out',
      'snappy-c-1.0.tar.gz',
      'status.out',
      'weakness_count.out',
    ]);
    const inMembers = await listArchive(join(rdir, 'inputdisk.tar.gz'));
    expect(inMembers).toContain('in/package.conf');
    expect(inMembers.every((m) => m.startsWith('in'))).toBe(true);
    const outMembers = await listArchive(join(rdir, 'outputdisk.tar.gz'));
    expect(outMembers).toEqual(expect.arrayContaining(['out/status.out', 'out/parsed_results.tar.gz', `out/${RUN}.bog`, 'out/job_events.log']));
    const report = JSON.parse(await readFile(join(rdir, 'assessment-report.json'), 'utf8')) as { status: { name: string }[] };
    expect(report.status[0]?.name).toBe('Success');

    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs;
    const store = join(f.projects, PROJECT, 'A-Results', ins.assessmentResultUuid);
    expect(ins).toMatchObject({
      executionRecordUuid: RUN,
      resultPath: join(store, 'parsed_results.xml'),
      sourceArchivePath: join(store, 'snappy-c-1.0.tar.gz'),
      logPath: join(f.projects, PROJECT, 'A-Logs', ins.assessmentResultUuid, 'run.out'),
      weaknessCount: 201,
      linesOfCode: -1,
      // the legacy passed undef (no FAIL line): NULL, not ''
      statusOutErrorMsg: null,
    });
    expect(ins.resultChecksum).toBe(sha512(await readFile(join(store, 'parsed_results.xml'))));
    expect(ins.sourceArchiveChecksum).toBe(sha512(await readFile(join(store, 'snappy-c-1.0.tar.gz'))));
    expect(ins.logChecksum).toBe(sha512(await readFile(ins.logPath as string)));
    // status_out as the legacy: the file's text trimmed (parse_statusOutLines)
    expect(ins.statusOut).toBe((await readFile(join(f.scratch, 'out', 'status.out'), 'utf8')).trim());
    // the legacy layout of A-Results/<uuid>/ (saveAssessmentResult): result, output archive, package, report
    expect((await readdir(store)).sort()).toEqual(['assessment-report.json', 'outputdisk.tar.gz', 'parsed_results.xml', 'snappy-c-1.0.tar.gz']);
    expect(await readFile(join(store, 'outputdisk.tar.gz'))).toEqual(await readFile(join(rdir, 'outputdisk.tar.gz')));
    expect(ctx.db.ops()).toEqual(['insertResults', 'updateStatus', 'setCompleteFlag', 'updateRun']);
    expect(ctx.db.calls[1]).toMatchObject({ op: 'updateStatus', args: { status: 'Finished', final: true } });
  });

  test('Finished with Warnings: the output archive sits beside the result, where the Native warnings report reads it', async () => {
    await prepared();
    await runMachine('warnings');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished with Warnings');
    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs;
    const store = dirname(ins.resultPath as string);
    expect((await readdir(store)).sort()).toEqual(['assessment-report.json', 'outputdisk.tar.gz', 'parsed_results.xml', 'snappy-c-1.0.tar.gz']);
    const { runNativeViewer } = await import('../../../lib/native/viewer.js');
    const outdir = join(f.root, 'native-out');
    const r = await runNativeViewer({ results_type: 'warnings', file_path: ins.resultPath as string, outdir });
    expect(r).toMatchObject({ ok: true, output: 'failedreport.json\n' });
    const report = JSON.parse(await readFile(join(outdir, 'failedreport.json'), 'utf8')) as { status: { name: string }[] };
    expect(report.status.length).toBeGreaterThan(0);
  });

  test('a build failure: error results kept, output archive is the result, Finished with Errors, exit 0', async () => {
    await prepared();
    await runMachine('build');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    // the machine leaves no results.tar.gz after a build failure: the legacy status for that
    expect(ctx.publisher.statuses()).toEqual([
      'Extracting assessment results',
      'Post-Processing',
      'Failed to preserve assessment results',
      'Saving Results',
      'Finished with Errors',
    ]);
    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs;
    expect(ins.resultPath).toMatch(/A-Results\/[0-9a-f-]{36}\/outputdisk\.tar\.gz$/);
    expect(ins.statusOutErrorMsg).toBe('build');
    expect(ins.weaknessCount).toBe(-1);
    expect(ctx.db.ops()).toContain('setCompleteFlag');
    // the output archive is the result: stored once
    expect((await readdir(dirname(ins.resultPath as string))).sort()).toEqual(['assessment-report.json', 'outputdisk.tar.gz', 'snappy-c-1.0.tar.gz']);
  });

  test('an assess failure keeps results.tar.gz', async () => {
    await prepared();
    await runMachine('assess');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses()).toEqual(['Extracting assessment results', 'Post-Processing', 'Saving Results', 'Finished with Errors']);
    expect(await readdir(join(f.results, RUN))).toContain('results.tar.gz');
  });

  test('framework asks for a retry: exit 5 while retries remain, then final', async () => {
    await prepared();
    await runMachine('retry');
    const first = testContext(f, jobArgs(RUN, 0));
    expect(await postAssessment(first)).toBe(5);
    expect(first.publisher.statuses().at(-1)).toBe('Finished with Errors - Will retry 3 times');
    expect(first.db.ops()).not.toContain('setCompleteFlag');
    expect(first.db.calls.find((c) => c.op === 'updateStatus')?.args).toEqual({ status: 'Finished with Errors - Will retry 3 times', final: true });

    const second = testContext(f, jobArgs(RUN, 2));
    expect(await postAssessment(second)).toBe(5);
    expect(second.publisher.statuses()).toEqual([
      'Extracting assessment results retry(2/3)',
      'Post-Processing retry(2/3)',
      'Failed to preserve assessment results retry(2/3)',
      'Saving Results retry(2/3)',
      'Finished with Errors retry(2/3) - Will retry 1 time',
    ]);

    const last = testContext(f, jobArgs(RUN, 3));
    expect(await postAssessment(last)).toBe(0);
    expect(last.publisher.statuses().at(-1)).toBe('Finished with Errors');
    expect(last.db.ops()).toContain('setCompleteFlag');
  });

  test('no status.out at all (machine crashed): Finished with Errors', async () => {
    await prepared();
    await runMachine('crash');
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses()).toContain('Failed to preserve assessment data');
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished with Errors');
  });

  test('insert_results not SUCCESS: Failed to save, Finished with Errors', async () => {
    await prepared();
    await runMachine('pass');
    const ctx = testContext(f, jobArgs(RUN));
    ctx.db.insertResult = 'ERROR: Record Not Found';
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses().slice(-2)).toEqual(['Failed to save assessment results in database', 'Finished with Errors']);
  });

  test('metric run: result under the metrics folder, metric_run updated, no insert_results', async () => {
    const bog = assessmentBog(f, { execrunid: METRIC, projectid: 'METRIC', userid: 'METRIC', toolname: 'cloc' });
    await prepared(bog, METRIC);
    await runMachine('pass');
    const ctx = testContext(f, jobArgs(METRIC));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.args.vmhostname).toBe('mswamp-42-0');
    const save = ctx.db.calls.find((c) => c.op === 'saveMetricResult');
    expect(save?.args).toMatchObject({ resultPath: join(f.root, 'metrics', METRIC, 'parsed_results.xml'), statusOutErrorMsg: null });
    // saveMetricResult kept the output archive and the report beside the result
    expect((await readdir(join(f.root, 'metrics', METRIC))).sort()).toEqual(['assessment-report.json', 'outputdisk.tar.gz', 'parsed_results.xml']);
    expect(ctx.db.ops()).not.toContain('insertResults');
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished');
    expect(ctx.publisher.ads.at(-1)?.Name).toBe(METRIC);
  });

  describe('a file the save needs is missing: the save fails (legacy saveAssessmentResult returns 0)', () => {
    const failedSave = async (ctx: ReturnType<typeof testContext>): Promise<void> => {
      expect(await postAssessment(ctx)).toBe(0);
      expect(ctx.publisher.statuses().slice(-2)).toEqual(['Failed to save assessment results in database', 'Finished with Errors']);
      expect(ctx.db.ops()).not.toContain('insertResults');
      expect(ctx.db.calls.find((c) => c.op === 'updateStatus')?.args).toEqual({ status: 'Finished with Errors', final: true });
      expect(ctx.db.ops()).toContain('setCompleteFlag');
    };

    test('the package archive', async () => {
      await prepared();
      await runMachine('pass');
      await rm(join(f.scratch, 'in', 'snappy-c-1.0.tar.gz'));
      const ctx = testContext(f, jobArgs(RUN));
      await failedSave(ctx);
      expect(ctx.publisher.statuses()).toContain('Failed to preserve assessment data');
    });

    test('run.out', async () => {
      await prepared();
      await runMachine('pass');
      await rm(join(f.scratch, 'out', 'run.out'));
      await failedSave(testContext(f, jobArgs(RUN)));
    });

    test('the assessment report', async () => {
      await prepared();
      await runMachine('pass');
      // a directory where the report goes: writing it fails
      await mkdir(join(f.results, RUN, 'assessment-report.json'), { recursive: true });
      await failedSave(testContext(f, jobArgs(RUN)));
    });

    test('metric run without its report', async () => {
      const bog = assessmentBog(f, { execrunid: METRIC, projectid: 'METRIC', userid: 'METRIC', toolname: 'cloc' });
      await prepared(bog, METRIC);
      await runMachine('pass');
      await mkdir(join(f.results, METRIC, 'assessment-report.json'), { recursive: true });
      const ctx = testContext(f, jobArgs(METRIC));
      expect(await postAssessment(ctx)).toBe(0);
      expect(ctx.db.ops()).not.toContain('saveMetricResult');
      expect(ctx.publisher.statuses().slice(-2)).toEqual(['Failed to save assessment results in database', 'Finished with Errors']);
    });
  });

  test('no status.out but everything else: status_out and status_out_error_msg NULL, Finished with Errors', async () => {
    await prepared();
    await runMachine('pass');
    await rm(join(f.scratch, 'out', 'status.out'));
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs;
    expect(ins).toMatchObject({ statusOut: null, statusOutErrorMsg: null });
    expect(ins.resultPath).toMatch(/\/outputdisk\.tar\.gz$/);
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished with Errors');
  });

  test('status.out with PASS: all and a NOTE: retry is a pass (legacy: all_pass alone decides)', async () => {
    await prepared();
    await runMachine('pass');
    const so = join(f.scratch, 'out', 'status.out');
    await writeFile(so, `${await readFile(so, 'utf8')}NOTE: retry (ignored after a pass)\nFAIL: extra-step 0.1s\n`);
    const ctx = testContext(f, jobArgs(RUN));
    expect(await postAssessment(ctx)).toBe(0);
    expect(ctx.publisher.statuses().at(-1)).toBe('Finished');
    const ins = ctx.db.calls.find((c) => c.op === 'insertResults')?.args as InsertResultsArgs;
    expect(ins.statusOutErrorMsg).toBe('extra-step');
    expect(ctx.db.ops()).toContain('setCompleteFlag');
  });
});
