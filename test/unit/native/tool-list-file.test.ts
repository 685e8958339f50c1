/**
 * The installed Scarf_ToolList.json (`<swampDir>/etc`) is what the SCARF transform uses when present
 * (as the legacy C parser read it there); the embedded copy otherwise; a broken installed file is a
 * configuration error, never silently replaced.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SCARF_TOOL_LIST } from '../../../lib/native/scarf-tool-list-data.js';
import { parseToolList, resolveToolAttributes } from '../../../lib/native/tool-list.js';
import { loadToolList } from '../../../lib/native/tool-list-file.js';
import { runNativeViewer } from '../../../lib/native/viewer.js';
import { tempDir } from './helpers.js';

const SCARF =
  '<AnalyzerReport uuid="u" tool_name="gcc" tool_version="v"><BugInstance id="1"><BugCode>c1</BugCode><BugGroup>g1</BugGroup>' +
  '<BugMessage>m1</BugMessage></BugInstance></AnalyzerReport>';

describe('Scarf_ToolList.json', () => {
  test('parseToolList keeps the key order and refuses a wrong shape', () => {
    const l = parseToolList(JSON.stringify(SCARF_TOOL_LIST));
    expect(Object.keys(l.ScarfAttributes)).toEqual(Object.keys(SCARF_TOOL_LIST.ScarfAttributes));
    expect(resolveToolAttributes('gcc', l)).toEqual(resolveToolAttributes('gcc', SCARF_TOOL_LIST));
    expect(() => parseToolList('{')).toThrow(/not JSON/);
    expect(() => parseToolList('[]')).toThrow(/not a JSON object/);
    expect(() => parseToolList('{"ScarfAttributes":{}}')).toThrow(/Generic-Toollist/);
    expect(() => parseToolList('{"Generic-Toollist":[],"ScarfAttributes":{"gcc":"bugCode"}}')).toThrow(/"gcc" must be an array/);
    expect(() => parseToolList('{"Generic-Toollist":[],"ScarfAttributes":{"default":[]}}')).toThrow(/no "generic" list/);
  });

  test('absent: the embedded list; present: the installed one', () => {
    const t = tempDir();
    try {
      const etc = path.join(t.dir, 'etc');
      mkdirSync(etc);
      chmodSync(etc, 0o755);
      expect(loadToolList(etc)).toEqual({ list: SCARF_TOOL_LIST, source: 'embedded' });
      const site = { 'Generic-Toollist': [], ScarfAttributes: { gcc: ['bugCode'], default: ['bugCode', 'bugGroup', 'bugMessage'], generic: ['bugMessage'] } };
      writeFileSync(path.join(etc, 'Scarf_ToolList.json'), JSON.stringify(site), { mode: 0o644 });
      expect(loadToolList(etc)).toEqual({ list: site, source: path.join(etc, 'Scarf_ToolList.json') });
    } finally {
      t.cleanup();
    }
  });

  test('the SCARF transform follows the installed list; a broken one is refused (exit 78, nothing printed)', async () => {
    const t = tempDir();
    try {
      const etc = path.join(t.dir, 'etc');
      mkdirSync(etc);
      chmodSync(etc, 0o755);
      const xml = path.join(t.dir, 'parsed_results.xml');
      writeFileSync(xml, SCARF);
      const run = (outdir: string) => runNativeViewer({ results_type: 'results', tool_name: 'gcc', file_path: xml, outdir: path.join(t.dir, outdir), etcDir: etc });
      const bug = (outdir: string) =>
        (JSON.parse(readFileSync(path.join(t.dir, outdir, 'nativereport.json'), 'utf8')) as { AnalyzerReport: { BugInstances: Record<string, unknown>[] } }).AnalyzerReport.BugInstances[0];

      expect(await run('embedded')).toMatchObject({ ok: true, output: 'nativereport.json\n' });
      expect(bug('embedded')).toMatchObject({ BugCode: 'c1', BugGroup: 'g1', BugMessage: 'm1' });

      // a site list that shows gcc's bug code only
      const site = { 'Generic-Toollist': [], ScarfAttributes: { gcc: ['bugCode'], default: ['bugCode', 'bugGroup', 'bugMessage'], generic: ['bugMessage'] } };
      writeFileSync(path.join(etc, 'Scarf_ToolList.json'), JSON.stringify(site), { mode: 0o644 });
      const r = await run('site');
      expect(r).toMatchObject({ ok: true, output: 'nativereport.json\n' });
      expect(r.messages).toContain(`SCARF tool list: ${path.join(etc, 'Scarf_ToolList.json')}`);
      expect(bug('site')).toMatchObject({ BugCode: 'c1' });
      expect(bug('site')).not.toHaveProperty('BugGroup');
      expect(bug('site')).not.toHaveProperty('BugMessage');

      writeFileSync(path.join(etc, 'Scarf_ToolList.json'), '{"Generic-Toollist": [', { mode: 0o644 });
      const bad = await run('bad');
      expect(bad).toMatchObject({ ok: false, output: null, exitCode: 78 });
      expect(bad.messages.join('\n')).toMatch(/cannot use SCARF tool list .*Scarf_ToolList\.json: not JSON/);
    } finally {
      t.cleanup();
    }
  });
});
