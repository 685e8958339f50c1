import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseScarfMetadata } from '../../../lib/native/metadata.js';
import { createScarfConverter } from '../../../lib/native/scarf-convert.js';
import { XmlSyntaxError, XmlTokenizer, type XmlHandler } from '../../../lib/native/xml-tokenizer.js';
import { FIXTURES } from './helpers.js';
import { ourEvents, saxesEvents } from './xml-diff.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

const RICH =
  '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n' +
  '<!DOCTYPE r SYSTEM "x>y" [<!ENTITY e "v>"> <!-- ]> --> <?p ]>?>]>\n' +
  '<!-- before -->\n' +
  '<r a="1" b=\'2&amp;&#10;\t\r\nx\' c="&quot;&apos;&lt;&gt;>\'" >\n' +
  '<!-- com - ment\r\n -->t &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x10FFFF;é\u{1F600}<![CDATA[ <x> & ]] ]]>' +
  '<?pi  body ? x\r\n?><?q?><e/><f k="v"></f >a]b]]c\r\nd\re' +
  '<n:s.-1\u00b7\u0300 x:y="z"/></r>\n<!-- after --><?after?>\n';

describe('XmlTokenizer events', () => {
  test('entities, attributes, line ends, CDATA, comments, PIs, DOCTYPE, BOM', () => {
    const ev = ourEvents(bytes(RICH));
    expect(ev).toEqual([
      'comment " before "',
      'open r [a="1" b="2&\\n  x" c="\\"\'<>>\'"]',
      'text "\\n"',
      'comment " com - ment\\n "',
      'text "t <>&\\"\' AB\u{10FFFF}é\u{1F600}"',
      'cdata " <x> & ]] "',
      'pi pi "body ? x\\n"',
      'pi q ""',
      'open e [] /',
      'close e',
      'open f [k="v"]',
      'close f',
      'text "a]b]]c\\nd\\ne"',
      'open n:s.-1\u00b7\u0300 [x:y="z"] /',
      'close n:s.-1\u00b7\u0300',
      'close r',
      'comment " after "',
      'pi after ""',
    ]);
    // saxes (the parser this replaces) sees the same document the same way.
    expect(saxesEvents(RICH)).toEqual(ev);
  });

  test('every chunk size and every split point give the same events', () => {
    const doc = bytes(RICH);
    const whole = ourEvents(doc);
    for (let n = 1; n <= 40; n++) expect(ourEvents(doc, [n])).toEqual(whole);
    for (let k = 1; k < doc.length; k++) expect(ourEvents(doc, [k, doc.length])).toEqual(whole);
  });

  test('text is not reported while wantText is false, but it is still checked', () => {
    const calls: string[] = [];
    const h: XmlHandler = {
      startTag: (n) => calls.push(n.str),
      endTag: () => undefined,
      text: () => calls.push('text'),
      cdata: () => calls.push('cdata'),
      entityRef: () => calls.push('entityRef'),
      comment: () => calls.push('comment'),
      pi: () => calls.push('pi'),
    };
    const t = new XmlTokenizer(h);
    t.write(bytes('<a>x &amp; <![CDATA[c]]><!--c--><?p?><b/></a>'));
    t.end();
    expect(calls).toEqual(['a', 'b']);
    const t2 = new XmlTokenizer(h);
    expect(() => {
      t2.write(bytes('<a>x &nope; </a>'));
      t2.end();
    }).toThrow(XmlSyntaxError);
  });

  test('element names: known ids, more distinct names than the intern table holds', () => {
    const seen: [string, number][] = [];
    const h: XmlHandler = {
      startTag: (n) => seen.push([n.str, n.id]),
      endTag: () => undefined,
      text: () => undefined,
      cdata: () => undefined,
      entityRef: () => undefined,
      comment: () => undefined,
      pi: () => undefined,
    };
    const t = new XmlTokenizer(h, [['BugCode', 7]]);
    let doc = '<r><BugCode/><BugCodeX/>';
    for (let k = 0; k < 5000; k++) doc += `<e${k}><e${k}></e${k}></e${k}>`;
    t.write(bytes(doc + '<BugCode></BugCode></r>'));
    t.end();
    expect(seen.slice(0, 3)).toEqual([['r', -1], ['BugCode', 7], ['BugCodeX', -1]]);
    expect(seen[seen.length - 1]).toEqual(['BugCode', 7]);
    expect(seen).toHaveLength(3 + 10000 + 1);
  });

  const MALFORMED: [string, string][] = [
    ['empty document', ''],
    ['only white space', ' \n'],
    ['text only', 'hello'],
    ['mismatched end tag', '<a><b></a></b>'],
    ['end tag that only starts like the open one', '<ab></a>'],
    ['end tag longer than the open one', '<a></ab>'],
    ['unclosed element at EOF', '<a><b></b>'],
    ['truncated start tag', '<a><b x="1"'],
    ['junk after root', '<a/>x'],
    ['second root', '<a/><b/>'],
    ['text before root', 'x<a/>'],
    ['entity outside root', '&amp;<a/>'],
    ['CDATA outside root', '<a/><![CDATA[x]]>'],
    ['undefined entity', '<a>&nbsp;</a>'],
    ['undefined entity in attribute', '<a x="&foo;"/>'],
    ['unterminated entity', '<a>&amp</a>'],
    ['bare ampersand', '<a>a & b</a>'],
    ['empty entity', '<a>&;</a>'],
    ['uppercase X in a hex reference', '<a>&#X41;</a>'],
    ['reference to a non-character', '<a>&#0;</a>'],
    ['reference to a surrogate', '<a>&#xD800;</a>'],
    ['reference beyond Unicode', '<a>&#x110000;</a>'],
    ["'<' in attribute value", '<a x="<"/>'],
    ['unquoted attribute value', '<a x=1/>'],
    ['attribute without value', '<a x/>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['no white space between attributes', '<a x="1"y="2"/>'],
    ['"]]>" in text', '<a>]]></a>'],
    ['"--" inside a comment', '<a><!-- a -- b --></a>'],
    ['comment ending in "--->"', '<a><!-- a ---></a>'],
    ['control character in text', '<a>\u0001</a>'],
    ['control character in attribute', '<a x="\u0008"/>'],
    ['U+FFFE in text', '<a>\uFFFE</a>'],
    ['U+FFFF in a comment', '<a><!--\uFFFF--></a>'],
    ['bad tag name', '<1a/>'],
    ['space after <', '< a/>'],
    ['empty end tag', '<a></></a>'],
    ['slash not followed by >', '<a/ >'],
    ['XML declaration not at the start', ' <?xml version="1.0"?><a/>'],
    ['XML declaration after a comment', '<!--c--><?xml version="1.0"?><a/>'],
    ['XML declaration without version', '<?xml encoding="UTF-8"?><a/>'],
    ['bad XML version', '<?xml version="2.0"?><a/>'],
    ['PI target XML in another case', '<a><?XML x?></a>'],
    ['PI without target', '<a><? x?></a>'],
    ['unterminated comment', '<a><!-- x'],
    ['unterminated CDATA', '<a><![CDATA[x'],
    ['unknown <! construct', '<a><!ELEMENT x></a>'],
    ['DOCTYPE after root', '<a/><!DOCTYPE a>'],
    ['two DOCTYPEs', '<!DOCTYPE a><!DOCTYPE a><a/>'],
  ];

  test.each(MALFORMED)('rejects: %s', (_label, doc) => {
    expect(ourEvents(bytes(doc))).toBeNull();
    expect(ourEvents(bytes(doc), [1])).toBeNull();
    // The expectation is the parser's this replaces.
    expect(saxesEvents(doc)).toBeNull();
  });

  test.each([
    ['invalid UTF-8 byte', Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])],
    ['truncated UTF-8 sequence at EOF', Buffer.from([0x3c, 0x61, 0x2f, 0x3e, 0xc3])],
    ['overlong encoding', Buffer.from([0x3c, 0x61, 0x3e, 0xc0, 0xbc, 0x3c, 0x2f, 0x61, 0x3e])],
    ['encoded surrogate', Buffer.from([0x3c, 0x61, 0x3e, 0xed, 0xa0, 0x80, 0x3c, 0x2f, 0x61, 0x3e])],
  ])('rejects: %s', (_label, doc) => {
    expect(ourEvents(doc)).toBeNull();
    expect(ourEvents(doc, [1])).toBeNull();
  });

  test('UTF-8 sequences split across writes are fine', () => {
    const doc = bytes('<a x="é\u{1F600}">é\u{1F600}€</a>');
    const whole = ourEvents(doc);
    expect(whole).toEqual(['open a [x="é\u{1F600}"]', 'text "é\u{1F600}€"', 'close a']);
    for (let n = 1; n <= 5; n++) expect(ourEvents(doc, [n])).toEqual(whole);
  });

  test('a large attribute, comment, CDATA section and PI arriving in many small writes are scanned once', () => {
    const big = 'x-]?'.repeat(1 << 20); // 4 MiB
    const doc = bytes(`<a x="${big}"><!--${big}--><![CDATA[${big}]]><?p ${big}?></a>`);
    const t0 = Date.now();
    const ev = ourEvents(doc, [4096]);
    expect(Date.now() - t0).toBeLessThan(5000); // quadratic rescanning would take minutes
    expect(ev?.map((e) => e.length)).toEqual([13 + big.length, 10 + big.length, 8 + big.length, 7 + big.length, 7]);
  });

  test('differential: 4000 seeded mutations, accepted/rejected and events like saxes, one-shot and chunked', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = [
      // saxes ends a PI inside the DOCTYPE's internal subset at the first '>' after any '?': not emulated.
      RICH.replace(' <?p ]>?>', ''),
      '<a><b c="&lt;&#x3c;&#60;&gt;"/>  <b>&amp;amp;</b>\r\n</a>  <!--x-->  ',
      '<?xml version=\'1.0\' standalone="yes"?>\n<AnalyzerReport uuid="u"><BugInstance id="0"><BugMessage>a &amp; b]]&gt;<![CDATA[]]]]><![CDATA[>]]></BugMessage></BugInstance></AnalyzerReport>',
    ];
    const atoms = ['<', '>', '&', ';', '"', "'", ']]>', '--', '\r', '\n', '\t', ' ', '/', '=', '?', '!', '[', ']', '&#', '&#x', 'x', '1',
      'é', '\u0001', '\uFFFE', '<a>', '</a>', '<!--', '-->', '<![CDATA[', '<?', '?>', 'xml', 'DOCTYPE', '&lt;', '&#0;', '&#x10FFFF;'];
    let rejected = 0;
    for (let it = 0; it < 4000; it++) {
      let d = bases[rnd(bases.length)] as string;
      const m = 1 + rnd(3);
      for (let k = 0; k < m; k++) {
        const pos = rnd(d.length + 1);
        const op = rnd(3);
        if (op === 0) d = d.slice(0, pos) + atoms[rnd(atoms.length)] + d.slice(pos);
        else if (op === 1) d = d.slice(0, pos) + d.slice(pos + 1 + rnd(4));
        else d = d.slice(0, pos) + d.slice(rnd(d.length), rnd(d.length)) + d.slice(pos);
      }
      if (/[\ud800-\udfff]/.test(d.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) continue; // not encodable
      const ours = ourEvents(bytes(d));
      if (ours === null) rejected++;
      expect({ d, ev: ours }).toEqual({ d, ev: saxesEvents(d) });
      expect({ d, ev: ourEvents(bytes(d), [1 + rnd(7)]) }).toEqual({ d, ev: ours });
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

describe('ScarfConverter over chunk boundaries', () => {
  async function convertChunks(doc: Uint8Array, sizes: number[]): Promise<string> {
    const parts: Buffer[] = [];
    const meta = parseScarfMetadata(readFileSync(path.join(FIXTURES, 'gcc_SCARFmetaData'), 'utf8')).metadata;
    const c = await createScarfConverter({ toolName: 'all', metadata: meta, emitBytes: (b) => parts.push(Buffer.from(b)), toolList: ALL });
    let off = 0;
    let k = 0;
    while (off < doc.length) {
      const n = sizes[k++ % sizes.length] ?? doc.length;
      c.writeBytes(doc.subarray(off, off + n));
      off += n;
    }
    c.close();
    return Buffer.concat(parts).toString('utf8');
  }
  const EVERY = ['buildId', 'bugCode', 'bugRank', 'className', 'bugSeverity', 'bugGroup', 'bugMessage', 'resolutionSuggestion', 'cweIds', 'methods', 'locations'];
  const ALL = { 'Generic-Toollist': [], ScarfAttributes: { all: EVERY, generic: [], default: EVERY } };
  const DOC = bytes(
    '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<AnalyzerReport uuid="u&amp;&#10;x" tool_name="t\tq" tool_version="&quot;v&quot;">\r\n' +
      '<BugInstance id="1"><BugCode> c\u00e9 </BugCode><BugGroup>g</BugGroup><CweId>79</CweId>' +
      '<Methods><Method id="1" primary="true"> m&lt;1&gt; </Method></Methods>' +
      '<BugMessage>\r\n a &amp; b &lt;c&gt; d > e &quot;q&quot; &#13; &#x41; \u{1F600} <![CDATA[x <y> & z]]><!-- c\r\n --><b k="1&quot;&#10;&#9;&lt;\t\r\n\'">t</b><e></e><f/><?pi data?> \t\r\n</BugMessage>' +
      '<BugLocations><Location id="1" primary="true"><SourceFile> a/b.c </SourceFile><StartLine>12</StartLine><EndColumn>4294967295</EndColumn><Explanation>ex</Explanation></Location></BugLocations>' +
      '<InstanceLocation><Xpath> /x </Xpath><LineNum><Start>3</Start><End>4</End></LineNum></InstanceLocation></BugInstance>\r\n' +
      '<Metric id="1"><Value>3</Value></Metric><BugInstance id="2"><BugCode>c\u00e9</BugCode></BugInstance>' +
      '<BugSummary><BugCategory group="g" code="c" count="1" bytes="2"/></BugSummary></AnalyzerReport>\r\n',
  );

  test('split at every offset and fed in every chunk size up to 64: output identical to one write', async () => {
    const whole = await convertChunks(DOC, [DOC.length]);
    expect(whole).toContain('"BugMessage": "a &amp; b &lt;c&gt; d &gt; e \\"q\\" &#13; A \u{1F600} <![CDATA[x <y> & z]]><!-- c\\n --><b k=\\"1&quot;&#10;&#9;&lt;  \'\\">t</b><e/><f/><?pi data?>"');
    for (let k = 1; k < DOC.length; k++) expect(await convertChunks(DOC, [k, DOC.length])).toBe(whole);
    for (let n = 1; n <= 64; n++) expect(await convertChunks(DOC, [n])).toBe(whole);
  });

  test('the gcc fixture in odd chunk sizes equals the golden file', async () => {
    const xml = readFileSync(path.join(FIXTURES, 'gcc_parsed_results.xml'));
    const golden = readFileSync(path.join(FIXTURES, 'gcc_nativereport.json.good'), 'utf8');
    const meta = parseScarfMetadata(readFileSync(path.join(FIXTURES, 'gcc_SCARFmetaData'), 'utf8')).metadata;
    for (const sizes of [[1], [2], [3], [7, 1, 13], [4093], [65536]]) {
      const parts: Buffer[] = [];
      const c = await createScarfConverter({ toolName: 'GCC', metadata: meta, emitBytes: (b) => parts.push(Buffer.from(b)) });
      let off = 0;
      let k = 0;
      while (off < xml.length) {
        const n = sizes[k++ % sizes.length] as number;
        c.writeBytes(xml.subarray(off, off + n));
        off += n;
      }
      c.close();
      expect(Buffer.concat(parts).toString('utf8') === golden).toBe(true);
    }
  });
});
