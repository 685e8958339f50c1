import { contextFromHtcondorRoot, createCallCounter, poolArgs, scheddArgs, submitArgs, toolPath } from '../../../lib/htcondor/context.js';

test('htcondor_root: tools by absolute path and CONDOR_CONFIG, nothing on PATH', () => {
  const ctx = contextFromHtcondorRoot('/opt/htc', { pool: 'cm.example.org' });
  expect(ctx.pool).toBe('cm.example.org');
  expect(ctx.toolDir).toBe('/opt/htc/bin');
  expect(ctx.env).toEqual({ CONDOR_CONFIG: '/opt/htc/etc/condor_config' });
});

test('remote schedd and collector arguments', () => {
  expect(scheddArgs({})).toEqual([]);
  expect(scheddArgs({ schedd: 'submit.example.org', pool: 'cm:9618' })).toEqual(['-name', 'submit.example.org', '-pool', 'cm:9618']);
  expect(poolArgs({ schedd: 's' })).toEqual([]);
  expect(poolArgs({ pool: 'cm' })).toEqual(['-pool', 'cm']);
  expect(toolPath({}, 'condor_q')).toBe('/usr/bin/condor_q');
  expect(() => toolPath({}, '../x')).toThrow(TypeError);
  expect(toolPath({ toolDir: '/opt/swamp-condor/host/bin' }, 'condor_q')).toBe('/opt/swamp-condor/host/bin/condor_q');
});

test('submit to a remote schedd with spooling: input sent along, the job leaves the queue when done', () => {
  expect(submitArgs({ schedd: 's', pool: 'cm' })).toEqual(['-name', 's', '-pool', 'cm']);
  expect(submitArgs({ schedd: 's', pool: 'cm', spool: true })).toEqual(['-name', 's', '-pool', 'cm', '-spool', '-append', 'leave_in_queue = False']);
});

test('call counter', () => {
  const c = createCallCounter();
  c.onCall({ tool: 'condor_q', args: [], durationMs: 1, outcome: 'ok' });
  c.onCall({ tool: 'condor_q', args: [], durationMs: 1, outcome: 'busy' });
  c.onCall({ tool: 'condor_rm', args: [], durationMs: 1, outcome: 'ok' });
  expect(c.total()).toBe(3);
  expect(c.byTool()).toEqual({ condor_q: 2, condor_rm: 1 });
  c.reset();
  expect(c.total()).toBe(0);
});
