/**
 * Edge cases where the legacy C parser (libxml2 xmlTextReader, inner XML) was checked byte for byte
 * with bench/native/compare-legacy.ts (cases cdataCr, namespaces, dtdEntity: "same" for GCC,
 * Findbugs and Dawn). The expected values below are the C program's output for these documents.
 */
import { createScarfConverter } from '../../../lib/native/scarf-convert.js';

async function bug0(xml: string): Promise<{ bug: Record<string, unknown>; keys: string[] }> {
  let out = '';
  const c = await createScarfConverter({ toolName: 'GCC', metadata: null, emit: (s) => (out += s) });
  c.write(xml);
  c.close();
  const r = (JSON.parse(out) as { AnalyzerReport: { BugInstances: Record<string, unknown>[]; BugSummaries: Record<string, unknown> } }).AnalyzerReport;
  return { bug: r.BugInstances[0] ?? {}, keys: Object.keys(r.BugSummaries) };
}

const H = '<?xml version="1.0" encoding="UTF-8"?>\n<AnalyzerReport tool_name="t">';

test('CR and CR LF inside CDATA are kept as they are; outside CDATA (text, comments, PIs, attributes) they are normalised; empty CDATA leaves nothing', async () => {
  const { bug, keys } = await bug0(
    `${H}<BugInstance id="1"><BugCode>c\r\nd<![CDATA[\r]]></BugCode><BugMessage>a<![CDATA[x\r\ny\rz\n]]>b\r\nc<!-- x\r\ny\rz -->b<?pi d\r\ne\rf?><q a="1\r\n2\r3"/><![CDATA[\r\n]]><![CDATA[]]></BugMessage></BugInstance></AnalyzerReport>`,
  );
  expect(bug.BugCode).toBe('c\nd<![CDATA[\r]]>');
  expect(bug.BugMessage).toBe('a<![CDATA[x\r\ny\rz\n]]>b\nc<!-- x\ny\nz -->b<?pi d\ne\nf?><q a="1 2 3"/><![CDATA[\r\n]]>');
  expect(keys).toEqual(['c\nd<![CDATA[\r]]>']);
});

test('namespaces declared outside the copied element are declared again on it, after its own, before its attributes', async () => {
  const { bug } = await bug0(
    '<?xml version="1.0"?>\n<AnalyzerReport xmlns="urn:d" xmlns:p="urn:p" xmlns:a="urn:a" tool_name="t"><BugInstance id="1"><BugCode>c</BugCode><BugMessage>m <p:b q="1">t</p:b> <i xmlns:z="urn:z"><z:k/></i><x><p:y a:k="1" p:j="2"><p:z/></p:y></x><p:w xmlns:p="urn:other"/><x xmlns:p="urn:p"><p:y/></x><xml:t xml:lang="en"/><r k="1" xmlns:n="urn:n"><n:s/></r><u xmlns=""><v/></u></BugMessage></BugInstance></AnalyzerReport>',
  );
  expect(bug.BugMessage).toBe(
    'm <p:b xmlns:p="urn:p" q="1">t</p:b> <i xmlns:z="urn:z" xmlns="urn:d"><z:k/></i><x xmlns="urn:d" xmlns:p="urn:p" xmlns:a="urn:a"><p:y a:k="1" p:j="2"><p:z/></p:y></x><p:w xmlns:p="urn:other"/><x xmlns:p="urn:p" xmlns="urn:d"><p:y/></x><xml:t xml:lang="en"/><r xmlns:n="urn:n" xmlns="urn:d" k="1"><n:s/></r><u xmlns=""><v/></u>',
  );
});

test('an internal DTD entity is kept as a reference (libxml2 without NOENT), in text and in attributes', async () => {
  const { bug, keys } = await bug0(
    '<?xml version="1.0"?>\n<!DOCTYPE AnalyzerReport [\n<!ENTITY co "Co">\n<!-- <!ENTITY no SYSTEM "x"> -->\n<!ENTITY nest "x&co;y">\n]>\n<AnalyzerReport tool_name="t"><BugInstance id="1"><BugCode>&co;</BugCode><BugGroup>g&amp;&co;</BugGroup><BugMessage a="&co;">&nest; &#65;&lt;<b k="&co;&amp;">&co;</b></BugMessage></BugInstance></AnalyzerReport>',
  );
  expect(bug.BugCode).toBe('&co;');
  expect(bug.BugGroup).toBe('g&amp;&co;');
  expect(bug.BugMessage).toBe('&nest; A&lt;<b k="&co;&amp;">&co;</b>');
  expect(keys).toEqual(['&co;']);
});

test.each([
  ['an external entity (SYSTEM)', '<!ENTITY xx SYSTEM "file:///etc/hostname">', /external entity xx declared/],
  ['an external entity (PUBLIC)', '<!ENTITY xx PUBLIC "-//x" "http://example.org/x">', /external entity xx declared/],
  ['a parameter entity', '<!ENTITY % pe "x">', /parameter entity/],
])('%s is refused: nothing is fetched, no output', async (_l, decl, why) => {
  let out = '';
  const c = await createScarfConverter({ toolName: 'GCC', metadata: null, emit: (s) => (out += s) });
  expect(() => {
    c.write(`<?xml version="1.0"?>\n<!DOCTYPE AnalyzerReport [ ${decl} ]>\n<AnalyzerReport tool_name="t"><BugInstance id="1"><BugCode>&xx;</BugCode></BugInstance></AnalyzerReport>`);
    c.close();
  }).toThrow(why);
  expect(out).toBe('');
});

test('an undeclared entity is still an error', async () => {
  const c = await createScarfConverter({ toolName: 'GCC', metadata: null, emit: () => undefined });
  expect(() => {
    c.write(`${H}<BugInstance id="1"><BugCode>&nope;</BugCode></BugInstance></AnalyzerReport>`);
    c.close();
  }).toThrow(/undefined entity/);
});

describe('a single huge element is bounded', () => {
  test('a BugMessage past maxElementBytes fails cleanly (no unbounded arena)', async () => {
    const c = await createScarfConverter({ toolName: 'GCC', metadata: null, emit: () => undefined, maxElementBytes: 1024 * 1024 });
    c.write(`${H}<BugInstance id="1"><BugMessage>`);
    const chunk = 'x'.repeat(64 * 1024);
    expect(() => {
      for (let i = 0; i < 40; i++) c.write(chunk);
    }).toThrow(/BugInstance 1 larger than 1048576 bytes/);
  });
  test('one markup token (a comment, a start tag) past the bound fails instead of buffering', async () => {
    const c = await createScarfConverter({ toolName: 'GCC', metadata: null, emit: () => undefined, maxElementBytes: 1024 * 1024 });
    c.write(`${H}<!-- `);
    const chunk = 'y'.repeat(64 * 1024);
    expect(() => {
      for (let i = 0; i < 40; i++) c.write(chunk);
    }).toThrow(/markup token larger than 1048576 bytes/);
  });
  test('the defaults leave real documents alone (the 0.18 MB fixture is covered by the golden test)', async () => {
    const { bug } = await bug0(`${H}<BugInstance id="1"><BugMessage>${'z'.repeat(3 * 1024 * 1024)}</BugMessage></BugInstance></AnalyzerReport>`);
    expect(String(bug.BugMessage).length).toBe(3 * 1024 * 1024);
  });
});
