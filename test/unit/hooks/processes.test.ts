/** monitorjob start/stop by the hooks, and the completion notification, with real processes/sockets. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorPidFile, startMonitorProcess, stopMonitorProcess } from '../../../lib/hooks/monitor-process.js';
import { notifyCompletion, notifyUrl } from '../../../lib/hooks/notify.js';
import { nullLogger } from '../../../lib/log/index.js';
import { RUN, fixture, jobArgs, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the Pre hook starts <binDir>/monitorjob detached with the job arguments; the Post hook stops it', async () => {
  // a stand-in monitorjob that records its argv and environment, then waits to be stopped
  const bin = join(f.root, 'bin');
  await (await import('node:fs/promises')).mkdir(bin);
  await writeFile(join(bin, 'monitorjob'), `#!/bin/sh\necho "$@ $SWAMP_PROGRAM" > argv.txt\nwhile :; do sleep 0.05; done\n`);
  await chmod(join(bin, 'monitorjob'), 0o755);
  const args = jobArgs(RUN, 1);
  const logFile = join(f.swampDir, 'log', 'job.log');
  const pid = await startMonitorProcess('MonitorAssessment', args, { binDir: bin, scratch: f.scratch, logFile, env: { PATH: '/usr/bin:/bin', SWAMP_PROGRAM: 'swamp-assessment-machine' } });
  expect(pid).toBeGreaterThan(1);
  expect((await readFile(monitorPidFile(f.scratch, '42'), 'utf8')).trim()).toBe(String(pid));
  for (let i = 0; i < 100 && !(await stat(join(f.scratch, 'argv.txt')).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await readFile(join(f.scratch, 'argv.txt'), 'utf8')).toBe(`MonitorAssessment ${RUN} swamp swamp-pool 42 0 1 monitorjob\n`);

  await stopMonitorProcess(f.scratch, args, nullLogger, 5000);
  expect(alive(pid as number)).toBe(false);
  await expect(stat(monitorPidFile(f.scratch, '42'))).rejects.toThrow();
  // nothing to stop: no error
  await stopMonitorProcess(f.scratch, args, nullLogger);
});

test('a pid file naming a process that is not this run\'s monitor is never signalled', async () => {
  await writeFile(monitorPidFile(f.scratch, '42'), `${process.pid}\n`);
  await stopMonitorProcess(f.scratch, jobArgs(RUN), nullLogger, 100);
  expect(alive(process.pid)).toBe(true);
});

test('completion notification: POST <api>/execution_records/<id>/notify, empty answer = success', async () => {
  const seen: { method?: string; url?: string; accept?: string }[] = [];
  let answer = '';
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, accept: req.headers.accept });
    res.end(answer);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  try {
    expect(notifyUrl(base, RUN)).toBe(`${base.slice(0, -1)}/execution_records/${RUN}/notify`);
    expect(await notifyCompletion(base, RUN, nullLogger)).toBe(true);
    expect(seen[0]).toEqual({ method: 'POST', url: `/api/execution_records/${RUN}/notify`, accept: 'application/json' });
    answer = 'error page';
    expect(await notifyCompletion(base, RUN, nullLogger)).toBe(false);
  } finally {
    server.close();
  }
  expect(await notifyCompletion('http://127.0.0.1:1', RUN, nullLogger)).toBe(false);
});
