/**
 * Differential check against the legacy C parser (bench/out/legacy-c/vmu_Scarf_CParsing, see
 * build-legacy-c.sh): converts a set of edge-case SCARF documents with both and compares the
 * output bytes.  npx tsx bench/native/compare-legacy.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { execa } from 'execa';
import { parseScarfMetadata } from '../../lib/native/metadata.js';
import { convertScarfFile } from '../../lib/native/scarf-file.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'bench/out/compare');
const FIX = process.env.SWAMP_SCARF_FIXTURES ?? path.resolve(ROOT, 'test/fixtures/scarf');
const LEGACY = path.join(ROOT, 'bench/out/legacy-c/vmu_Scarf_CParsing');
const META = path.join(FIX, 'gcc_SCARFmetaData');

const H = '<?xml version="1.0" encoding="UTF-8"?>\n<AnalyzerReport uuid="u&amp;&#10;x" tool_name="t\tq" tool_version="&quot;v&quot;" package_version="">';
const loc = '<BugLocations><Location id="1" primary="true"><SourceFile> a/b.c </SourceFile><StartLine>12</StartLine><EndLine>0</EndLine><StartColumn>-4</StartColumn><EndColumn>4294967295</EndColumn><Explanation>ex &lt;1&gt;</Explanation></Location><Location id="2" primary="TRUE"><StartLine> 7x</StartLine></Location></BugLocations>';
const cases: Record<string, string> = {
  markup: `${H}<BugInstance id="1"><BugCode>c</BugCode><BugGroup>g</BugGroup><BugMessage>\n a &amp; b &lt;c&gt; d > e &quot;q&quot; &apos;s&apos; &#13; &#x41; &#x2028; <![CDATA[x <y> & z]]><!-- c --><b k="1&quot;&#10;&#9;&lt;">t</b><e></e><f/><?pi data?> \t\n</BugMessage>${loc}<InstanceLocation><Xpath> /x </Xpath><LineNum><Start>3</Start><End>4</End></LineNum></InstanceLocation></BugInstance></AnalyzerReport>`,
  nested: `${H}<BugInstance id="1"><BugMessage>m <Start>9</Start> <BugCode> inner </BugCode></BugMessage>${loc}</BugInstance><BugInstance id="2"><BugCode></BugCode><BugSeverity/></BugInstance></AnalyzerReport>`,
  controls: `${H}<BugInstance id="1"><BugCode>&#9;x&#10;y&#13;\\/&#127;é\u{1F600}</BugCode><BugGroup>undefined</BugGroup>${loc}</BugInstance><BugInstance id="2"><BugGroup>undefined</BugGroup></BugInstance></AnalyzerReport>`,
  crlf: `${H}\r\n<BugInstance id="1">\r\n<BugMessage>l1\r\nl2\rl3</BugMessage>${loc}</BugInstance></AnalyzerReport>`,
  empty: '<AnalyzerReport></AnalyzerReport>',
  summaryIgnored: `${H}<BugSummary><BugCategory group="g" code="c" count="1" bytes="2"/></BugSummary></AnalyzerReport>`,
  // An absent BugCode/BugGroup and the literal text "undefined" share one BugSummaries key.
  undefinedKey: `${H}<BugInstance id="1"><BugGroup>g</BugGroup></BugInstance><BugInstance id="2"><BugCode>undefined</BugCode><BugGroup>g</BugGroup></BugInstance><BugInstance id="3"><BugCode>undefined</BugCode><BugGroup>undefined</BugGroup></BugInstance><BugInstance id="4"><BugCode> undefined </BugCode></BugInstance></AnalyzerReport>`,
  bom: `\uFEFF${H}<BugInstance id="1"><BugCode>c</BugCode><!-- x --><?p?></BugInstance>\n</AnalyzerReport>\n<!-- after -->\n`,
  // CR and CR LF inside CDATA are kept (outside they become LF); an empty CDATA section leaves nothing.
  cdataCr: `${H}<BugInstance id="1"><BugCode>c\r\nd<![CDATA[\r]]></BugCode><BugMessage>a<![CDATA[x\r\ny\rz\n]]>b\r\nc<!-- x\r\ny\rz -->b<?pi d\r\ne\rf?><q a="1\r\n2\r3"/><![CDATA[\r\n]]><![CDATA[]]></BugMessage>${loc}</BugInstance></AnalyzerReport>`,
  // Namespaces in scope but declared outside the copied element are declared again on it (after its own).
  namespaces: `<?xml version="1.0"?>\n<AnalyzerReport xmlns="urn:d" xmlns:p="urn:p" xmlns:a="urn:a" tool_name="t"><BugInstance id="1"><BugCode>c</BugCode><BugMessage>m <p:b q="1">t</p:b> <i xmlns:z="urn:z"><z:k/></i><x><p:y a:k="1" p:j="2"><p:z/></p:y></x><p:w xmlns:p="urn:other"/><x xmlns:p="urn:p"><p:y/></x><xml:t xml:lang="en"/><r k="1" xmlns:n="urn:n"><n:s/></r><u xmlns=""><v/></u></BugMessage><ClassName><p:c>C</p:c></ClassName></BugInstance></AnalyzerReport>`,
  // Internal entities are kept as references (libxml2 without XML_PARSE_NOENT), character references resolved.
  dtdEntity: `<?xml version="1.0"?>\n<!DOCTYPE AnalyzerReport [\n<!ENTITY co "Co">\n<!-- <!ENTITY no SYSTEM "x"> -->\n<!ENTITY nest "x&co;y">\n]>\n<AnalyzerReport tool_name="t"><BugInstance id="1"><BugCode>&co;</BugCode><BugGroup>g&amp;&co;</BugGroup><BugMessage a="&co;">&nest; &#65;&lt;<b k="&co;&amp;">&co;</b></BugMessage>${loc}</BugInstance></AnalyzerReport>`,
};

async function main(): Promise<void> {
  if (!existsSync(LEGACY)) throw new Error('build the legacy parser first: bench/native/build-legacy-c.sh');
  mkdirSync(OUT, { recursive: true });
  const { metadata } = parseScarfMetadata(readFileSync(META, 'utf8'));
  let bad = 0;
  for (const tool of ['GCC', 'Findbugs', 'Dawn']) {
    for (const [name, xml] of Object.entries(cases)) {
      const input = path.join(OUT, `${name}.xml`);
      writeFileSync(input, xml);
      const ours = path.join(OUT, `${name}.${tool}.ours.json`);
      const theirs = path.join(OUT, `${name}.${tool}.legacy.json`);
      await convertScarfFile({ inputPath: input, outputPath: ours, toolName: tool, metadata });
      await execa(LEGACY, ['-input_file', input, '-output_file', theirs, '-tool_name', tool, '-tool_list', path.join(FIX, 'Scarf_ToolList.json'), '-metadata_path', META], { reject: false });
      const same = readFileSync(ours).equals(readFileSync(theirs));
      if (!same) bad++;
      process.stdout.write(`${same ? 'same     ' : 'DIFFERENT'} ${name} ${tool}\n`);
    }
  }
  process.stdout.write(`${bad} different\n`);
  if (bad > 0) process.exitCode = 1;
}

await main();
