import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfigPath } from '../../../lib/config/index.js';
import { jobModes, listQueue, prepareJobDir, readState, writeQueuedBog, writeState } from '../../../lib/submission/index.js';
import { extractSubmitBundle } from '../../../lib/hooks/archive.js';
import { parseBog } from '../../../lib/bog/index.js';

const U = '0258026e-6c62-4591-8378-89580a707e83';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'la-queue-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('job dir: BOG, submit file, VM disks, and a bundle the job hooks accept', async () => {
  const bog = { execrunid: U, userid: 'u', toolname: 'x y', packagebuild_opt: ' -O2 ' };
  const job = await prepareJobDir(dir, 'aswamp_ABCDEF01-2345-6789-ABCD-EF0123456789', U, bog, 'universe = vm\nqueue\n', true);
  for (const f of ['delta.qcow2', 'inputdisk.qcow2', 'outputdisk.qcow2', `${U}.sub`, `${U}.bog`]) readFileSync(join(job.dir, f));
  const out = join(dir, 'scratch');
  mkdirSync(out);
  expect((await extractSubmitBundle(join(job.dir, job.bundle), out)).sort()).toEqual([`${U}.bog`, `${U}.sub`]);
  expect(parseBog(readFileSync(join(out, `${U}.bog`), 'utf8'))).toEqual(bog);
  expect(readFileSync(join(out, `${U}.bog`), 'utf8').split('\n')[0]).toBe('# Bill Of Goods File: launchassessment');
});

test('a job dir holding an apikey (viewer BOG) is 0700, its BOG, submit file and bundle 0600; others keep 0755/0644', async () => {
  const v = await prepareJobDir(dir, 'vswamp_ABCDEF01-2345-6789-ABCD-EF0123456789', U, { execrunid: U, apikey: 'SECRET-KEY' }, 'queue\n', false);
  expect(statSync(v.dir).mode & 0o777).toBe(0o700);
  for (const f of [`${U}.bog`, `${U}.sub`, v.bundle]) expect(statSync(join(v.dir, f)).mode & 0o777).toBe(0o600);
  const a = await prepareJobDir(dir, 'aswamp_ABCDEF01-2345-6789-ABCD-EF0123456789', U, { execrunid: U }, 'queue\n', false);
  expect(statSync(a.dir).mode & 0o777).toBe(0o755);
  expect(statSync(join(a.dir, `${U}.bog`)).mode & 0o777).toBe(0o644);
});

test('in a setgid run dir (the two-account shape) a secret stays in the group: dir 2770, files 0640; queued BOGs too', async () => {
  chmodSync(dir, 0o2770);
  const v = await prepareJobDir(dir, 'vswamp_ABCDEF01-2345-6789-ABCD-EF0123456789', U, { execrunid: U, apikey: 'SECRET-KEY' }, 'queue\n', false);
  expect(statSync(v.dir).mode & 0o7777).toBe(0o2770);
  for (const f of [`${U}.bog`, `${U}.sub`, v.bundle]) expect(statSync(join(v.dir, f)).mode & 0o777).toBe(0o640);
  writeQueuedBog(dir, `vrun_${U}_CodeDX`, { execrunid: U, apikey: 'SECRET-KEY' });
  expect(statSync(join(dir, `vrun_${U}_CodeDX.bog`)).mode & 0o777).toBe(0o640);
  expect(jobModes({ apikey: '' }, true)).toEqual({ file: 0o644, dir: 0o775 });
  expect(jobModes({ vm_password: 'p' }, false)).toEqual({ file: 0o600, dir: 0o700 });
});

test('queue listing: ids with a BOG or a state, no temp files, no viewer BOGs', () => {
  writeQueuedBog(dir, U, { execrunid: U });
  writeState(dir, { execrunid: `M-${U}`, step: 'submitting', jobDir: 'mswamp_ABCDEF01-2345-6789-ABCD-EF0123456789' });
  writeFileSync(join(dir, `.${U}.bog.123.tmp`), '');
  writeFileSync(join(dir, `vrun_${U}_CodeDX.bog`), '');
  expect(listQueue(dir).map((e) => [e.id, e.hasBog, e.hasState]).sort()).toEqual([
    [U, true, false],
    [`M-${U}`, false, true],
  ].sort());
  expect(readState(dir, `M-${U}`)?.jobDir).toBe('mswamp_ABCDEF01-2345-6789-ABCD-EF0123456789');
  writeFileSync(join(dir, `${U}.launch`), '{"execrunid":"other"}');
  expect(() => readState(dir, U)).toThrow(/malformed launch state/);
});

test('config: option, env, installed default, then <dir of argv0>/../etc/swamp.conf', () => {
  const locateConfig = (path: string | undefined, argv0: string, env: NodeJS.ProcessEnv): string => resolveConfigPath({ path, argv0, env }).path;
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'swamp.conf'), 'SWAMPState = ON\n');
  symlinkSync('/bin/true', join(dir, 'bin', 'execute_execution_record'));
  const argv0 = join(dir, 'bin', 'execute_execution_record');
  expect(locateConfig('/x.conf', argv0, {})).toBe('/x.conf');
  expect(locateConfig(undefined, argv0, { SWAMP_CONFIG: '/y.conf' })).toBe('/y.conf');
  expect(locateConfig(undefined, 'execute_execution_record', {})).toBe('/opt/swamp/etc/swamp.conf');
  // the installed default wins when it exists (a machine with /opt/swamp)
  if (!existsSync('/opt/swamp/etc/swamp.conf')) expect(locateConfig(undefined, argv0, {})).toBe(join(dir, 'bin', '..', 'etc', 'swamp.conf'));
});
