import { assessmentSubmitFile, type SubmitInput } from '../../../lib/assessment/index.js';
import { batchDescription, chunkByLength, expandItemVars, groupBatch, parseBatchSubmit, templatize, withoutQueue, type BatchRun } from '../../../lib/submission/index.js';

function uuid(n: number): string {
  return `0258026e-6c62-4591-8378-${String(n).padStart(12, '0')}`;
}

function input(n: number, over: Partial<SubmitInput> = {}): SubmitInput {
  return {
    execrunid: uuid(n),
    platformType: 'local',
    platformImage: '',
    userid: `user-${String(n).padStart(4, '0')}@example.org`,
    projectid: `project-${String(n).padStart(4, '0')}`,
    toolName: 'cppcheck',
    jobDir: `aswamp_ABCDEF01-2345-6789-ABCD-${String(n).padStart(12, '0')}`,
    owner: 'swa-daemon',
    binDir: '/opt/swamp/bin',
    maxRetries: 3,
    swampInABox: true,
    configPath: '/opt/swamp/etc/swamp.conf',
    ...over,
  };
}

function run(n: number, over: Partial<SubmitInput> = {}): BatchRun {
  const i = input(n, over);
  const text = `${withoutQueue(assessmentSubmitFile(i))}initialdir = /opt/swamp/run/${i.jobDir}\nqueue\n`;
  return { key: i.execrunid, text, values: { RunId: i.execrunid, JobDir: i.jobDir, UserId: i.userid, ProjectId: i.projectid, AcctUser: i.userid.replace(/@/g, '-at-'), Image: i.platformImage } };
}

/** What HTCondor makes of one item: the template with the item's values (our macros only). */
function itemText(desc: string, row: number): string {
  const m = /^queue (\S+) from \(\n([\s\S]*?)\n\)\n$/m.exec(desc);
  if (!m) throw new Error('no queue from');
  const vars = (m[1] as string).split(',');
  const values = ((m[2] as string).split('\n')[row] as string).split(',');
  return `${expandItemVars(desc.slice(0, m.index), vars, values)}queue\n`;
}

describe('batch submit descriptions (queue ... from)', () => {
  test('alike runs form one group; each item expands back to its own submit file exactly', () => {
    const runs = [run(1), run(2), run(3)];
    const groups = groupBatch(runs);
    expect(groups).toHaveLength(1);
    const g = groups[0]!;
    expect(g.items.map((i) => i.key)).toEqual(runs.map((r) => r.key));
    expect(g.vars).toEqual(['SwampB_AcctUser', 'SwampB_JobDir', 'SwampB_ProjectId', 'SwampB_RunId', 'SwampB_UserId']);
    const desc = batchDescription(g);
    // one queue statement, at the end; none of the runs' own values left in the template
    expect(desc.match(/^queue\b/gm)).toHaveLength(1);
    expect(desc).toMatch(/\nqueue SwampB_AcctUser,SwampB_JobDir,SwampB_ProjectId,SwampB_RunId,SwampB_UserId from \(\n/);
    for (const r of runs) expect(desc.split('queue SwampB')[0]).not.toContain(r.key);
    runs.forEach((r, i) => expect(itemText(desc, i)).toBe(r.text));
    // HTCondor's own macros stay as they were
    expect(desc).toContain('$(CLUSTERID) $(PROCID) $$([NumJobStarts])');
    expect(desc).toContain('+SWAMP_arun_execrunuid = "$(SwampB_RunId)"');
    expect(desc).toContain('initialdir = /opt/swamp/run/$(SwampB_JobDir)');
  });

  test('different shapes (licensed tool, metric run, docker) form their own groups, in first-seen order', () => {
    const runs = [
      run(1),
      run(2, { toolName: 'Parasoft C/C++test' }),
      run(3),
      run(4, { execrunid: `M-${uuid(4)}`, jobDir: 'mswamp_ABCDEF01-2345-6789-ABCD-000000000004' }),
      run(5, { platformType: 'DC', platformImage: 'swamp/condor-ubuntu-16.04-64-master-1' }),
      run(6, { platformType: 'DC', platformImage: 'swamp/condor-debian-12.0-64-master-2' }),
    ];
    const groups = groupBatch(runs);
    expect(groups.map((g) => g.items.map((i) => i.key))).toEqual([[uuid(1), uuid(3)], [uuid(2)], [`M-${uuid(4)}`], [uuid(5), uuid(6)]]);
    expect(batchDescription(groups[1]!)).toContain('concurrency_limits = PARASOFTC');
    expect(batchDescription(groups[2]!)).toContain('priority = -10');
    const dc = batchDescription(groups[3]!);
    expect(dc).toContain('docker_image = $(SwampB_Image)');
    expect(itemText(dc, 1)).toBe(runs[5]!.text);
  });

  test('values that are not item-safe stay literal: that run is alone in its group, as a plain queue', () => {
    const odd = run(7, { userid: 'a b', projectid: 'x,y' });
    const groups = groupBatch([run(1), odd]);
    expect(groups).toHaveLength(2);
    const t = templatize(odd);
    expect(t.template).toContain('+SWAMP_userid = "a b"');
    expect(t.vars).not.toContain('SwampB_UserId');
    // alone: the plain description still works (its values are columns only if they are item-safe)
    expect(batchDescription(groups[1]!)).toMatch(/queue SwampB_JobDir,SwampB_RunId from \(\n[^\n]+\n\)\n$/);
  });

  test('a text with more than one queue statement, or none, is refused', () => {
    expect(() => withoutQueue('a = 1\n')).toThrow(/queue/);
    expect(() => withoutQueue('queue\na = 1\nqueue\n')).toThrow(/exactly one/);
  });
});

describe('batch condor_submit output', () => {
  test('one cluster, one proc per item, in order', () => {
    expect(parseBatchSubmit('840.0 - 840.2\n', 3)).toEqual([
      { cluster: 840, proc: 0 },
      { cluster: 840, proc: 1 },
      { cluster: 840, proc: 2 },
    ]);
  });
  test('several clusters (another schedd version) are concatenated in order', () => {
    expect(parseBatchSubmit('Warning: something\n12.0 - 12.0\n13.0 - 13.1\n', 3)).toEqual([
      { cluster: 12, proc: 0 },
      { cluster: 13, proc: 0 },
      { cluster: 13, proc: 1 },
    ]);
  });
  test('a count that does not match is an error (the runs are then found by lookup, never guessed)', () => {
    expect(() => parseBatchSubmit('840.0 - 840.1\n', 3)).toThrow(/2 job\(s\) for 3 run/);
    expect(() => parseBatchSubmit('', 1)).toThrow();
  });
});

describe('constraint chunks', () => {
  test('chunks stay under the limit and keep the order', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `id${i}`);
    const chunks = chunkByLength(ids, () => 20, 100);
    expect(chunks.flat()).toEqual(ids);
    expect(chunks.every((c) => c.length * 24 <= 100)).toBe(true);
    expect(chunkByLength([], () => 1, 10)).toEqual([]);
    expect(chunkByLength(['huge'], () => 1000, 10)).toEqual([['huge']]);
  });
});
