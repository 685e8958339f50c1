/** Leaked docker-universe containers (lib/ctl/containers.ts): parsing `docker ps --format '{{json .}}'` and the verdicts. */
import { judgeContainers, parseContainerList, parseCreatedAt } from '../../../lib/ctl/containers.js';

const NOW = Date.parse('2026-12-06T12:30:00Z') / 1000;
const line = (name: string, state: string, created = '2026-12-06 12:04:30 +0000 UTC', labels = 'org.htcondorproject=True,org.swamp.recipe=45709a73'): string =>
  JSON.stringify({ Command: '"true"', CreatedAt: created, ID: `id-${name}`, Image: 'localhost/swamp/condor-debian-12.0-64-master-2026120601:latest', Labels: labels, Names: name, State: state, Status: state });

test('CreatedAt as docker prints it', () => {
  expect(parseCreatedAt('2026-12-06 12:04:30 +0000 UTC')).toBe(Date.parse('2026-12-06T12:04:30Z') / 1000);
  expect(parseCreatedAt('2026-12-06 14:04:30.123 +0200 CEST')).toBe(Date.parse('2026-12-06T12:04:30Z') / 1000);
  expect(parseCreatedAt('yesterday')).toBeUndefined();
});

test('a list with noise: only objects with an id', () => {
  const list = parseContainerList(`${line('HTCJob7_0_slot1_1_PID4242', 'created')}\nnot json\n{}\n\n`);
  expect(list).toEqual([
    {
      id: 'id-HTCJob7_0_slot1_1_PID4242',
      name: 'HTCJob7_0_slot1_1_PID4242',
      state: 'created',
      image: 'localhost/swamp/condor-debian-12.0-64-master-2026120601:latest',
      created: Date.parse('2026-12-06T12:04:30Z') / 1000,
      labels: { 'org.htcondorproject': 'True', 'org.swamp.recipe': '45709a73' },
    },
  ]);
});

test('leaked: created, HTCondor-labelled, starter gone, old enough; everything else kept with its reason', () => {
  const text = [
    line('HTCJob7_0_slot1_1_PID4242', 'created'),
    line('HTCJob8_0_slot1_2_PID5000', 'created'),
    line('HTCJob9_0_slot1_1_PID4243', 'running'),
    line('HTCJob10_3_slot2_PID4244', 'created', '2026-12-06 12:29:00 +0000 UTC'),
    line('someones-container', 'created'),
    line('HTCJob11_0_slot1_PID4245', 'created', '2026-12-06 12:04:30 +0000 UTC', 'app=web'),
  ].join('\n');
  const v = judgeContainers(parseContainerList(text), { now: NOW, minAgeSeconds: 600, alive: (pid) => pid === 5000 });
  expect(v.map((x) => [x.name, x.leaked, x.reason])).toEqual([
    ['HTCJob7_0_slot1_1_PID4242', true, 'never started, starter 4242 gone, 26 min old'],
    ['HTCJob8_0_slot1_2_PID5000', false, 'starter 5000 is alive'],
    ['HTCJob9_0_slot1_1_PID4243', false, 'state running: the starter manages it'],
    ['HTCJob10_3_slot2_PID4244', false, 'younger than 10 min'],
    ['someones-container', false, 'not named by a starter'],
  ]);
  expect(v[0]).toMatchObject({ cluster: '7.0', starterPid: 4242 });
});
