import {
  validateAssessmentRunId,
  validateMetricRunId,
  validateProjectId,
  validateViewerName,
  parseViewerRunId,
  parseRunId,
  viewerRunId,
  isUuid,
  MAX_ID_LENGTH,
} from '../../../lib/cli/ids.js';
import { ValidationError } from '../../../lib/errors/index.js';

const LOWER = '0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b';
const UPPER = '8F9213EF-5D04-11E3-9FA4-001A4A81450B';

const HOSTILE = [
  '',
  ' ',
  `${LOWER} `,
  ` ${LOWER}`,
  `${LOWER}\n`,
  `${LOWER}'; DROP TABLE x; --`,
  `${LOWER}' || true || '`,
  `$(reboot)`,
  '`id`',
  `${LOWER};id`,
  `${LOWER}|id`,
  `${LOWER}&`,
  '"quoted"',
  `'${LOWER}'`,
  '.*',
  `${LOWER.slice(0, 8)}.*`,
  '0b6f9d3c',
  '^0b6f',
  `${LOWER}$`,
  '(a|b)',
  '[0-9a-f]+',
  `${LOWER}\\`,
  `${LOWER}\0`,
  '0B6F9D3C-1d2e-11e9-8b6c-001a4a81450b', // mixed case is neither DB form
  '0b6f9d3c1d2e11e98b6c001a4a81450b',
  '0b6f9d3c-1d2e-11e9-8b6c-001a4a81450', // short
  '0b6f9d3c-1d2e-11e9-8b6c-001a4a81450bb', // long
  'g'.repeat(8) + '-1d2e-11e9-8b6c-001a4a81450b',
  'x'.repeat(MAX_ID_LENGTH + 1),
  'x'.repeat(100000),
  '０b6f9d3c-1d2e-11e9-8b6c-001a4a81450b', // fullwidth digit
  '../../etc/passwd',
];

describe('id validation', () => {
  test('uuids in both DB forms', () => {
    expect(validateAssessmentRunId(LOWER)).toBe(LOWER);
    expect(validateAssessmentRunId(UPPER)).toBe(UPPER);
    expect(validateProjectId(LOWER)).toBe(LOWER);
    expect(isUuid(UPPER)).toBe(true);
  });

  test.each(HOSTILE.map((h) => [JSON.stringify(h).slice(0, 60), h]))('refuses %s', (_label, h) => {
    expect(() => validateAssessmentRunId(h)).toThrow(ValidationError);
    expect(() => validateProjectId(h)).toThrow(ValidationError);
    expect(() => validateMetricRunId(`M-${h}`)).toThrow(ValidationError);
    expect(() => parseRunId(h)).toThrow(ValidationError);
    expect(() => parseViewerRunId(`vrun_${h}_CodeDX`)).toThrow(ValidationError);
  });

  test.each(HOSTILE.filter((h) => !/^[a-z]+(-[0-9a-z]+)*$/i.test(h)).map((h) => [JSON.stringify(h).slice(0, 60), h]))('viewer name refuses %s', (_l, h) => {
    expect(() => validateViewerName(h)).toThrow(ValidationError);
    expect(() => parseViewerRunId(`vrun_${LOWER}_${h}`)).toThrow(ValidationError);
  });

  test('non-strings are refused', () => {
    for (const v of [undefined, null, 42, {}, [LOWER]]) expect(() => validateAssessmentRunId(v)).toThrow(ValidationError);
  });

  test('error messages quote and truncate the input, kind usage', () => {
    try {
      validateAssessmentRunId(`x'\n${'y'.repeat(500)}`);
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).kind).toBe('usage');
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).message.length).toBeLessThan(120);
    }
  });

  test('metric runs', () => {
    expect(validateMetricRunId(`M-${LOWER}`)).toBe(`M-${LOWER}`);
    expect(() => validateMetricRunId(`m-${LOWER}`)).toThrow(ValidationError);
    expect(() => validateMetricRunId(LOWER)).toThrow(ValidationError);
  });

  test('viewer names', () => {
    for (const ok of ['CodeDX', 'ThreadFix', 'Native', 'code-dx2']) expect(validateViewerName(ok)).toBe(ok);
    for (const bad of ['Code_DX', 'Code DX', '1CodeDX', 'CodeDX.*', 'x'.repeat(65), 'CodeDX;', "CodeDX'"]) {
      expect(() => validateViewerName(bad)).toThrow(ValidationError);
    }
  });

  test('viewer run ids', () => {
    expect(parseViewerRunId(`vrun_${LOWER}_CodeDX`)).toEqual({ id: `vrun_${LOWER}_CodeDX`, project: LOWER, viewer: 'CodeDX' });
    expect(viewerRunId(LOWER, 'CodeDX')).toBe(`vrun_${LOWER}_CodeDX`);
    expect(() => viewerRunId(LOWER, 'Code_DX')).toThrow(ValidationError);
    expect(() => parseViewerRunId(`vrun_${LOWER}_CodeDX_extra`)).toThrow(ValidationError);
    expect(() => parseViewerRunId(`VRUN_${LOWER}_CodeDX`)).toThrow(ValidationError);
  });

  test('parseRunId classifies', () => {
    expect(parseRunId(LOWER)).toEqual({ type: 'arun-or-project', id: LOWER });
    expect(parseRunId(`M-${LOWER}`)).toEqual({ type: 'mrun', id: `M-${LOWER}` });
    expect(parseRunId(`vrun_${UPPER}_ThreadFix`)).toEqual({ type: 'vrun', id: `vrun_${UPPER}_ThreadFix`, project: UPPER, viewer: 'ThreadFix' });
  });
});
