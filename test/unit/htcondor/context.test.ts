import { contextFromHtcondorRoot, createCallCounter, poolArgs, scheddArgs, toolPath } from '../../../lib/htcondor/context.js';

test('htcondor_root environment as legacy setHTCondorEnvironment builds it', () => {
  const ctx = contextFromHtcondorRoot('/opt/htc', { pool: 'cm.example.org' }, { PATH: '/usr/bin', PYTHONPATH: '/p' });
  expect(ctx.pool).toBe('cm.example.org');
  expect(ctx.env).toEqual({ PATH: '/opt/htc/bin:/opt/htc/sbin:/usr/bin', CONDOR_CONFIG: '/opt/htc/etc/condor_config', PYTHONPATH: '/opt/htc/lib/python:/p' });
});

test('remote schedd and collector arguments', () => {
  expect(scheddArgs({})).toEqual([]);
  expect(scheddArgs({ schedd: 'submit.example.org', pool: 'cm:9618' })).toEqual(['-name', 'submit.example.org', '-pool', 'cm:9618']);
  expect(poolArgs({ schedd: 's' })).toEqual([]);
  expect(poolArgs({ pool: 'cm' })).toEqual(['-pool', 'cm']);
  expect(toolPath({}, 'condor_q')).toBe('condor_q');
  expect(toolPath({ toolDir: '/opt/swamp-condor/host/bin' }, 'condor_q')).toBe('/opt/swamp-condor/host/bin/condor_q');
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
