import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { YajlGen, yajlEscape } from '../../../lib/native/json-gen.js';
import { createScarfConverter, strtolInt, trimC } from '../../../lib/native/scarf-convert.js';
import { convertScarfFile } from '../../../lib/native/scarf-file.js';
import type { ScarfMetadata } from '../../../lib/native/metadata.js';
import { ctime, parseScarfMetadata } from '../../../lib/native/metadata.js';
import { resolveToolAttributes } from '../../../lib/native/tool-list.js';
import type { ToolListShape } from '../../../lib/native/scarf-tool-list-data.js';
import { tempDir } from './helpers.js';

async function convert(xml: string, toolName = 'gcc', metadata: ScarfMetadata | null = null, toolList?: ToolListShape) {
  let out = '';
  const c = await createScarfConverter({ toolName, metadata, emit: (s) => (out += s), ...(toolList ? { toolList } : {}) });
  c.write(xml);
  const stats = c.close();
  return { out, json: JSON.parse(out) as { AnalyzerReport: Record<string, unknown> }, stats };
}

const HEAD = '<AnalyzerReport uuid="u" tool_name="t" tool_version="v">';
const bug = (inner: string): string => `<BugInstance id="0">${inner}</BugInstance>`;
const doc = (...bugs: string[]): string => `<?xml version="1.0"?>\n${HEAD}${bugs.join('')}</AnalyzerReport>`;

describe('yajl-compatible JSON generator', () => {
  test('escaping: short escapes, uppercase \\u00XX, raw / DEL and non-ASCII', () => {
    expect(yajlEscape('a"b\\c\n\r\t\b\f\u0001\u001f/\u007f\u2028é')).toBe('a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001F/\u007f\u2028é');
  });
  test('layout: 4-space indent, ": ", empty object with a blank line, final newline', () => {
    const g = new YajlGen();
    g.mapOpen();
    g.string('a');
    g.mapOpen();
    g.mapClose();
    g.string('b');
    g.arrayOpen();
    g.integer(1);
    g.bool(true);
    g.arrayClose();
    g.mapClose();
    expect(g.take()).toBe('{\n    "a": {\n\n    },\n    "b": [\n        1,\n        true\n    ]\n}\n');
    expect(g.complete).toBe(true);
  });
});

describe('C helpers', () => {
  test('strtol into a 32-bit int', () => {
    expect(strtolInt(' 42abc')).toBe(42);
    expect(strtolInt('-3')).toBe(-3);
    expect(strtolInt('+7')).toBe(7);
    expect(strtolInt('x1')).toBe(0);
    expect(strtolInt('')).toBe(0);
    expect(strtolInt('4294967295')).toBe(-1);
    expect(strtolInt('2147483648')).toBe(-2147483648);
    expect(strtolInt('99999999999999999999999')).toBe(-1);
  });
  test('trim uses C isspace (includes \\v and \\f, not NBSP)', () => {
    expect(trimC('\v\f \t\n x \r\n')).toBe('x');
    expect(trimC('\u00a0x')).toBe('\u00a0x');
  });
  test('metadata file: values one a line, short files give "" with warnings', () => {
    const m: ScarfMetadata = {
      packageName: 'p', toolName: 't', platformName: 'pl', startDate: 's', packageVersion: 'pv', toolVersion: 'tv',
      platformVersion: 'plv', endDate: 'e', reportTime: 'r',
    };
    const text = [...Object.values(m), 'package_uid', 'package_vesion_uid', 'tool_uid', 'tool_version_uid', 'platform_uid', 'platform_version_uid'].join('\n');
    expect(parseScarfMetadata(text)).toEqual({ metadata: m, warnings: [] });
    const short = parseScarfMetadata('a\r\nb\n');
    expect(short.metadata.packageName).toBe('a\r');
    expect(short.metadata.toolName).toBe('b');
    expect(short.metadata.reportTime).toBe('');
    expect(short.warnings).toHaveLength(7);
  });
  test('ctime format', () => {
    expect(ctime(new Date(2017, 11, 7, 16, 55, 33))).toBe('Thu Dec  7 16:55:33 2017');
    expect(ctime(new Date(2026, 10, 28, 9, 5, 1))).toBe('Sat Nov 28 09:05:01 2026');
  });

});

describe('tool attribute lists', () => {
  test.each([
    ['Findbugs', 'Findbugs', true],
    ['SpotBugs', 'SpotBugs', true],
    ['findbugs', 'generic', false],
    ['GCC', 'generic', false],
    ['Pylint', 'generic', false],
    ['default', 'generic', false],
    ['generic', 'generic', false],
    ['Dawn', 'Dawn', true],
  ])('%s -> %s', (tool, key, severity) => {
    const r = resolveToolAttributes(tool);
    expect(r.key).toBe(key);
    expect(r.enabled.has('bugSeverity')).toBe(severity);
  });
  test('a name missing from default is reported and ignored', () => {
    const r = resolveToolAttributes('X', { 'Generic-Toollist': [], ScarfAttributes: { X: ['bugCode', 'nope'], generic: [], default: ['bugCode'] } });
    expect([...r.enabled]).toEqual(['bugCode']);
    expect(r.warnings).toEqual(['[ERROR]: Cannot find nope in the attribute list']);
  });
});

describe('SCARF conversion rules', () => {
  test('header: XML wins when present (even empty), metadata fills in, platform_name and timestamps always from metadata', async () => {
    const meta: ScarfMetadata = {
      packageName: 'mp', toolName: 'mt', platformName: 'mplat', startDate: 'S', packageVersion: 'mpv', toolVersion: 'mtv',
      platformVersion: 'mplv', endDate: 'E', reportTime: 'R',
    };
    const { json } = await convert(
      '<AnalyzerReport package_name="" platform_name="xml-plat" assessment_start_ts="1" tool_name="a&amp;b" build_root_dir="/b" foo="x"></AnalyzerReport>',
      'gcc',
      meta,
    );
    expect(Object.entries(json.AnalyzerReport)).toEqual([
      ['tool_name', 'a&b'], ['tool_version', 'mtv'], ['assessment_start_ts', 'S'], ['assessment_end_ts', 'E'],
      ['report_generation_ts', 'R'], ['build_root_dir', '/b'], ['package_name', ''], ['package_version', 'mpv'],
      ['platform_name', 'mplat'], ['platform_version', 'mplv'],
    ]);
  });

  test('no metadata: platform_name and timestamps omitted; Checkstart message', async () => {
    const { json, stats } = await convert('<AnalyzerReport tool_name="t"/>');
    expect(json.AnalyzerReport).toEqual({ tool_name: 't' });
    expect(stats.messages[0]).toBe('Required Attribute: tool_version not found in InitialRequired Attribute: uuid not found in Initial');
  });

  test('an AnalyzerReport without attributes or metadata gives the yajl empty-object layout', async () => {
    const { out } = await convert('<AnalyzerReport></AnalyzerReport>');
    expect(out).toBe('{\n    "AnalyzerReport": {\n\n    }\n}\n');
  });

  test('element text is libxml2 inner XML, trimmed', async () => {
    const { json } = await convert(
      doc(
        bug(
          '<BugMessage>\n  a &amp; b &lt;c&gt; d > e &quot;q&quot; &#13; &#x41; <![CDATA[x <y> & z]]><!-- c --><b k="1&quot;&#10;">t</b><e></e><f/><?pi data?>  \n</BugMessage>',
        ),
      ),
    );
    const b = (json.AnalyzerReport['BugInstances'] as Record<string, unknown>[])[0];
    expect(b?.['BugMessage']).toBe(
      'a &amp; b &lt;c&gt; d &gt; e "q" &#13; A <![CDATA[x <y> & z]]><!-- c --><b k="1&quot;&#10;">t</b><e/><f/><?pi data?>',
    );
  });

  test('literal CR is normalized to LF before serialization', async () => {
    const { json } = await convert(doc(bug('<BugMessage>a\r\nb\rc</BugMessage>')));
    expect((json.AnalyzerReport['BugInstances'] as Record<string, unknown>[])[0]?.['BugMessage']).toBe('a\nb\nc');
  });

  test('locations, instance location, zero coordinates omitted, primary only for "true", last value wins', async () => {
    const { json } = await convert(
      doc(
        bug(
          '<BugCode>x</BugCode><BugCode> y </BugCode><BugLocations>' +
            '<Location id="9" primary="TRUE"><SourceFile>f</SourceFile><StartLine>0</StartLine><EndLine>x</EndLine><StartColumn>-2</StartColumn><EndColumn>5</EndColumn><Explanation> e </Explanation></Location>' +
            '<Location id="3" primary="true"><StartLine>4294967295</StartLine></Location></BugLocations>' +
            '<BugMessage>m <Start>5</Start></BugMessage><InstanceLocation><Xpath> /a </Xpath><LineNum><End>0</End></LineNum></InstanceLocation>',
        ),
      ),
    );
    const b = (json.AnalyzerReport['BugInstances'] as Record<string, unknown>[])[0];
    expect(b).toEqual({
      BugId: 1,
      BugCode: 'y',
      BugMessage: 'm <Start>5</Start>',
      BugLocations: [
        { StartColumn: -2, EndColumn: 5, SourceFile: 'f', Explanation: 'e', primary: false, LocationId: 1 },
        { StartLine: -1, primary: true, LocationId: 2 },
      ],
      InstanceLocation: { Xpath: '/a', LineNum: { Start: 5 } },
    });
  });

  test('per-tool attributes: Dawn has no BugGroup/locations but severity; a custom list shows CweIds and Methods', async () => {
    const xml = doc(
      bug(
        '<BugGroup>g</BugGroup><BugSeverity>high</BugSeverity><CweId>79</CweId><CweId>x</CweId><Methods><Method id="7" primary="true"> m1 </Method><Method id="8" primary="false">m2</Method></Methods>' +
          '<BugLocations><Location id="1" primary="true"><StartLine>3</StartLine></Location></BugLocations><BugRank>1</BugRank><ClassName>C</ClassName><BuildId>9</BuildId><ResolutionSuggestion>fix</ResolutionSuggestion>',
      ),
    );
    const dawn = await convert(xml, 'Dawn');
    expect(Object.keys((dawn.json.AnalyzerReport['BugInstances'] as object[])[0] as object)).toEqual([
      'BugId', 'BugSeverity', 'ResolutionSuggestion',
    ]);
    const all = await convert(xml, 'all', null, {
      'Generic-Toollist': [],
      ScarfAttributes: {
        all: ['buildId', 'bugRank', 'className', 'cweIds', 'methods', 'locations', 'bugGroup'],
        generic: [],
        default: ['buildId', 'bugRank', 'className', 'cweIds', 'methods', 'locations', 'bugGroup'],
      },
    });
    expect((all.json.AnalyzerReport['BugInstances'] as object[])[0]).toEqual({
      BugId: 1,
      BuildId: '9',
      BugRank: '1',
      ClassName: 'C',
      BugGroup: 'g',
      CweIds: [79, 0],
      Methods: [
        { name: 'm1', primary: true, MethodId: 1 },
        { name: 'm2', primary: false, MethodId: 2 },
      ],
      BugLocations: [{ StartLine: 3, primary: true, LocationId: 1 }],
    });
  });

  test('BugSummaries: keyed by code then group, "undefined" when absent, bytes = written fragment sizes', async () => {
    const { out, json } = await convert(
      doc(bug('<BugCode>A</BugCode><BugGroup>g</BugGroup>'), bug('<BugGroup>g</BugGroup>'), bug('<BugCode>A</BugCode>'), bug('<BugCode></BugCode><BugGroup>g</BugGroup>'), bug('<BugCode>A</BugCode><BugGroup>g</BugGroup>')),
      'gcc',
    );
    const sums = json.AnalyzerReport['BugSummaries'] as Record<string, Record<string, { count: number; bytes: number }>>;
    expect(Object.keys(sums)).toEqual(['A', 'undefined', '']);
    expect(Object.keys(sums['A'] ?? {})).toEqual(['g', 'undefined']);
    expect(sums['A']?.['g']?.count).toBe(2);
    // The byte total equals the span from the end of the header to the last bug's closing brace.
    const total = Object.values(sums).flatMap((g) => Object.values(g)).reduce((a, s) => a + s.bytes, 0);
    const start = out.indexOf(',\n        "BugInstances"');
    const end = out.indexOf('\n        ],\n        "BugSummaries"');
    expect(total).toBe(Buffer.byteLength(out.slice(start, end)));
  });

  test('BugSummaries: an absent element and the literal text "undefined" share a key (legacy C, checked with compare-legacy)', async () => {
    const { json } = await convert(
      doc(bug('<BugGroup>g</BugGroup>'), bug('<BugCode>undefined</BugCode><BugGroup>g</BugGroup>'), bug('<BugCode> undefined </BugCode>')),
    );
    const sums = json.AnalyzerReport['BugSummaries'] as Record<string, Record<string, { count: number }>>;
    expect(Object.keys(sums)).toEqual(['undefined']);
    expect(Object.entries(sums['undefined'] ?? {}).map(([k, v]) => [k, v.count])).toEqual([['g', 2], ['undefined', 1]]);
  });

  test('Metric, BugSummary and MetricSummaries input elements are ignored', async () => {
    const { json } = await convert(
      `${HEAD}<Metric id="1"><Value>3</Value><BugCode>no</BugCode></Metric>${bug('<BugCode>c</BugCode>')}<BugSummary><BugCategory group="g" code="c" count="9" bytes="1"/></BugSummary><MetricSummaries/></AnalyzerReport>`,
    );
    expect(Object.keys(json.AnalyzerReport)).toEqual(['uuid', 'tool_name', 'tool_version', 'BugInstances', 'BugSummaries']);
    expect(json.AnalyzerReport['BugSummaries']).toEqual({ c: { undefined: { count: 1, bytes: expect.any(Number) } } });
  });

  test('a declared ISO-8859-1 encoding is honoured and the output is UTF-8', async () => {
    const t = tempDir();
    try {
      const xml = Buffer.concat([
        Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<AnalyzerReport uuid="u"><BugInstance id="1"><BugMessage>caf'),
        Buffer.from([0xe9]),
        Buffer.from('</BugMessage></BugInstance></AnalyzerReport>'),
      ]);
      writeFileSync(path.join(t.dir, 'in.xml'), xml);
      await convertScarfFile({ inputPath: path.join(t.dir, 'in.xml'), outputPath: path.join(t.dir, 'o.json'), toolName: 'gcc', metadata: null });
      expect(readFileSync(path.join(t.dir, 'o.json'), 'utf8')).toContain('"BugMessage": "café"');
    } finally {
      t.cleanup();
    }
  });

  test.each([
    ['empty file', ''],
    ['not XML', 'hello'],
    ['truncated', doc(bug('<BugCode>x</BugCode>')).slice(0, -5)],
    ['no AnalyzerReport', '<Other/>'],
    ['two AnalyzerReport start tags', '<r><AnalyzerReport/><AnalyzerReport/></r>'],
    ['invalid UTF-8', Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e])],
  ])('%s: fails and leaves no output file', async (_l, content) => {
    const t = tempDir();
    try {
      writeFileSync(path.join(t.dir, 'in.xml'), content);
      await expect(
        convertScarfFile({ inputPath: path.join(t.dir, 'in.xml'), outputPath: path.join(t.dir, 'o.json'), toolName: 'gcc', metadata: null }),
      ).rejects.toThrow();
      expect(readdirSync(t.dir)).toEqual(['in.xml']);
    } finally {
      t.cleanup();
    }
  });
});
