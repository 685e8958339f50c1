import { ValidationError } from '../../../lib/errors/index.js';
import { expr } from '../../../lib/htcondor/classad.js';
import { escapeDollar, formatArguments, formatEnvironment, formatSubmitDescription, raw, type SubmitDescription } from '../../../lib/htcondor/submit-description.js';

describe('formatSubmitDescription', () => {
  test('typed fields, custom attributes and queue', () => {
    const text = formatSubmitDescription({
      universe: 'vanilla',
      executable: '/work/main/dist/bin/swamp',
      arguments: ['--run', 'a b'],
      initialdir: '/tmp/run 1',
      output: 'out.txt',
      log: raw('job.$(Cluster).log'),
      requestMemoryMb: 512,
      shouldTransferFiles: 'NO',
      transferInputFiles: ['a.bog', 'b.sh'],
      hold: true,
      commands: { periodic_remove: raw('JobStatus == 5') },
      attributes: { SWAMP_arun_execrunuid: 'uuid-1', PreCmd: '/abs/pre', SWAMP_priority: 7, SWAMP_flag: false, SWAMP_e: expr('MY.JobStatus') },
      queue: 3,
    });
    expect(text).toBe(
      [
        'universe = vanilla',
        'executable = /work/main/dist/bin/swamp',
        `arguments = "--run 'a b'"`,
        'initialdir = /tmp/run 1',
        'output = out.txt',
        'log = job.$(Cluster).log',
        'request_memory = 512',
        'should_transfer_files = NO',
        'transfer_input_files = a.bog,b.sh',
        'hold = true',
        'periodic_remove = JobStatus == 5',
        '+SWAMP_arun_execrunuid = "uuid-1"',
        '+PreCmd = "/abs/pre"',
        '+SWAMP_priority = 7',
        '+SWAMP_flag = false',
        '+SWAMP_e = MY.JobStatus',
        'queue 3',
        '',
      ].join('\n'),
    );
  });

  test('custom string attributes are quoted and kept literal ($ included)', () => {
    const text = formatSubmitDescription({ executable: '/bin/true', attributes: { S: 'say "$(x)" \\' } });
    expect(text).toContain('+S = "say \\"$(DOLLAR)(x)\\" \\"\n');
  });

  test('refuses what it cannot write safely', () => {
    const bad: SubmitDescription[] = [
      { executable: '/bin/true\nqueue' },
      { executable: '/bin/true', output: 'x\\' },
      { executable: ' /bin/true' },
      { executable: '/bin/true', attributes: { 'A=1\n+B': 'x' } },
      { executable: '/bin/true', attributes: { A: 'line\nEOF' } },
      { executable: '/bin/true', commands: { queue: 'x' } },
      { executable: '/bin/true', queue: 0 },
      { executable: '/bin/true', transferInputFiles: ['a,b'] },
      { executable: '/bin/true', arguments: ['a\nb'] },
    ];
    for (const d of bad) expect(() => formatSubmitDescription(d)).toThrow(ValidationError);
  });
});

describe('arguments and environment (new quoted syntax)', () => {
  test('quotes spaces, single and double quotes, empty arguments', () => {
    expect(formatArguments(['plain', 'two words', 'quote"d', "it's", ''])).toBe(`"plain 'two words' quote""d 'it''s' ''"`);
    expect(formatArguments([])).toBe('""');
  });

  test('environment', () => {
    expect(formatEnvironment({ A: '1', B: "x 'y'" })).toBe(`"A=1 'B=x ''y'''"`);
    expect(() => formatEnvironment({ 'A B': '1' })).toThrow(ValidationError);
  });
});

describe('escapeDollar (condor_submit macro expansion, measured on 23.9)', () => {
  test.each([
    ['no dollars', 'no dollars'],
    ['$(Cluster)', '$(DOLLAR)(Cluster)'],
    ['$$(Memory)', '$$(Memory)'],
    ['$$$(x)', '$$$(DOLLAR)(x)'],
    ['$ENV(HOME)', '$(DOLLAR)ENV(HOME)'],
    ['$$ENV(HOME)', '$$ENV(HOME)'],
    ['cost $5, 100$', 'cost $5, 100$'],
  ])('%j -> %j', (input, out) => {
    expect(escapeDollar(input)).toBe(out);
  });
});
