import { ValidationError } from '../../../lib/errors/index.js';
import {
  anyAttrIsExactly,
  checkAttrName,
  expr,
  formatAd,
  formatAds,
  formatValue,
  isExactly,
  isExactlyOneOf,
  quoteInExpr,
  quoteLiteral,
  unquoteLiteral,
} from '../../../lib/htcondor/classad.js';

/**
 * Old-syntax lexer rule (HTCondor 23.9 classad/lexer.cpp tokenizeStringOld), reimplemented for the test:
 * read to the next `"`; if the character before it is `\` and more text follows on the line, the quote is
 * literal (the backslash is dropped) and the string goes on.
 */
function lexOldString(line: string, start: number): { value: string; end: number } {
  let buf = '';
  let i = start + 1;
  for (;;) {
    const q = line.indexOf('"', i);
    if (q < 0) throw new Error('unterminated');
    buf += line.slice(i, q);
    if (buf.endsWith('\\') && q + 1 < line.length) {
      buf = `${buf.slice(0, -1)}"`;
      i = q + 1;
      continue;
    }
    return { value: buf, end: q + 1 };
  }
}

const HOSTILE = ['plain', 'he said "hi"', 'back\\slash', 'trailing\\', 'two trailing\\\\', '\\"', '"', '\\', '', 'EOF', 'ünï ✓ 日本', 'tab\there', '$(Cluster) $$(x)'];

describe('quoteLiteral (end-of-line literals: ad files, submit +Attr)', () => {
  test.each(HOSTILE)('round-trips %j through the old-syntax lexer and unquoteLiteral', (v) => {
    const q = quoteLiteral(v);
    expect(lexOldString(q, 0)).toEqual({ value: v, end: q.length });
    expect(unquoteLiteral(q)).toBe(v);
  });

  test.each(['a\nb', 'a\rb', 'a\0b', '\nEOF\n'])('refuses %j (a line break cannot be carried)', (v) => {
    expect(() => quoteLiteral(v)).toThrow(ValidationError);
  });
});

describe('quoteInExpr (operands inside constraints)', () => {
  test.each(HOSTILE.filter((v) => !v.endsWith('\\')))('is a plain literal for %j and lexes back mid-expression', (v) => {
    const e = `${quoteInExpr(v)} && true`;
    expect(lexOldString(e, 0).value).toBe(v);
  });

  test('a trailing backslash becomes substr("...x", 0, -1), so the closing quote is never swallowed', () => {
    expect(quoteInExpr('C:\\dir\\')).toBe('substr("C:\\dir\\x", 0, -1)');
    const e = quoteInExpr('x\\');
    const lit = lexOldString(e, e.indexOf('"'));
    expect(lit.value).toBe('x\\x');
    expect(e.slice(lit.end)).toBe(', 0, -1)');
  });
});

describe('formatting', () => {
  test('values', () => {
    expect(formatValue('a')).toBe('"a"');
    expect(formatValue(7)).toBe('7');
    expect(formatValue(-2.5)).toBe('-2.5');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(expr('TARGET.HasVM =?= true'))).toBe('TARGET.HasVM =?= true');
    expect(() => formatValue(Number.NaN)).toThrow(ValidationError);
    expect(() => formatValue(expr('a\nb'))).toThrow(ValidationError);
  });

  test('ads and -multiple separators', () => {
    expect(formatAd({ MyType: 'Generic', Name: 'n "1"', SWAMP_state: '-6', N: 3 })).toBe(
      'MyType = "Generic"\nName = "n \\"1\\""\nSWAMP_state = "-6"\nN = 3\n',
    );
    expect(formatAds([{ Name: 'a' }, { Name: 'b' }])).toBe('Name = "a"\n\nName = "b"\n');
  });

  test('attribute names cannot inject expressions', () => {
    expect(checkAttrName('SWAMP_vmu_viewer_state')).toBe('SWAMP_vmu_viewer_state');
    for (const bad of ['', '1abc', 'a b', 'a=b', 'A\n', 'x"']) expect(() => checkAttrName(bad)).toThrow(ValidationError);
  });

  test('constraints use exact, case-sensitive equality', () => {
    expect(isExactly('Name', 'vrun_x_CodeDX')).toBe('Name =?= "vrun_x_CodeDX"');
    expect(isExactlyOneOf('Name', ['a', 'b"c', 'd\\'])).toBe('identicalMember(Name, {"a", "b\\"c", substr("d\\x", 0, -1)})');
    expect(isExactlyOneOf('Name', [])).toBe('false');
    expect(() => isExactlyOneOf('Na me', ['a'])).toThrow();
    expect(anyAttrIsExactly(['A', 'B'], 'u"1')).toBe('(A =?= "u\\"1") || (B =?= "u\\"1")');
  });
});
