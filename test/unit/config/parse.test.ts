import { parseConfigText, ConfigSyntaxError } from '../../../lib/config/parse.js';

function kv(text: string): Record<string, string> {
  return Object.fromEntries([...parseConfigText(text)].map(([k, e]) => [k, e.value]));
}

describe('swamp.conf parser (ConfigReader::Simple rules)', () => {
  test('key = value, key value, key=value', () => {
    expect(kv('a = 1\nb 2\nc=3\nd= 4\ne =5\n')).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5' });
  });

  test('value keeps inner whitespace, loses trailing whitespace, keeps CR-free tail', () => {
    expect(kv('llama   Live from Peru   \n')).toEqual({ llama: 'Live from Peru' });
    expect(kv('crlf = value\r\n')).toEqual({ crlf: 'value' });
  });

  test('one pair of matching surrounding quotes is stripped', () => {
    expect(kv(`a = 'no'\nb = "yes"\nc = "x" "y"\nd = 'unbalanced"\ne = ""\nf = "'q'"\n`)).toEqual({
      a: 'no',
      b: 'yes',
      c: 'x" "y',
      d: `'unbalanced"`,
      e: '',
      f: "'q'",
    });
  });

  test('a quote followed by more text is not stripped (email.from case)', () => {
    expect(kv('email.from ="Software Assurance Marketplace: Do Not Reply"<do-not-reply@mir-swamp.org>\n')).toEqual({
      'email.from': '"Software Assurance Marketplace: Do Not Reply"<do-not-reply@mir-swamp.org>',
    });
  });

  test('keys are anything up to whitespace or "=" (dots, dashes, colons)', () => {
    expect(kv('SWAMP-in-a-Box = yes\nmaster.viewer.type = DC\nkey:=x\n')).toEqual({
      'SWAMP-in-a-Box': 'yes',
      'master.viewer.type': 'DC',
      'key:': 'x',
    });
  });

  test('only the first "=" separates; the value may contain "=" and "#"', () => {
    expect(kv('a = b = c\nb==x\nc = x # not a comment\n')).toEqual({ a: 'b = c', b: '=x', c: 'x # not a comment' });
  });

  test('key alone and key with empty value give the empty string', () => {
    expect(kv('ldap.uri=\nflag\nempty =   \n')).toEqual({ 'ldap.uri': '', flag: '', empty: '' });
  });

  test('blank lines and comments are skipped (leading blanks allowed)', () => {
    expect(kv('\n   \n# c\n   # indented comment\n\t\na=1\n')).toEqual({ a: '1' });
  });

  test('last duplicate wins, line number of the last one is kept', () => {
    const m = parseConfigText('a=1\nb=2\na=3\n');
    expect(m.get('a')).toEqual({ value: '3', line: 3 });
  });

  test('continuation lines: trailing backslash (plus blanks) joins the next line', () => {
    expect(kv('llama Live from \\\nPeru\n')).toEqual({ llama: 'Live from Peru' });
    expect(kv('llama Live \\\nfrom \\   \nPeru\nnext = 1\n')).toEqual({ llama: 'Live from Peru', next: '1' });
  });

  test('a comment ending in a backslash swallows the next line (join happens before the comment test)', () => {
    expect(kv('# comment \\\nhidden = 1\nshown = 2\n')).toEqual({ shown: '2' });
  });

  test('continuation at end of file: backslash removed, no further join', () => {
    expect(kv('a = x \\')).toEqual({ a: 'x' });
    // At eof the Perl loop does not re-test the joined line, so a second backslash stays.
    expect(kv('a = x \\\ny \\\n')).toEqual({ a: 'x y \\' });
  });

  test('a backslash not at the end is data', () => {
    expect(kv('path = C:\\dir\\file\n')).toEqual({ path: 'C:\\dir\\file' });
  });

  test('no final newline, unicode values, BOM', () => {
    expect(kv('\ufeffname = Ünïcødé ✓')).toEqual({ name: 'Ünïcødé ✓' });
  });

  test('Perl \\s is ASCII: a non-breaking space is part of the value/key', () => {
    expect(kv('a = x\u00a0\n')).toEqual({ a: 'x\u00a0' });
  });

  test('a line starting with "=" cannot be parsed: error names the line', () => {
    expect(() => parseConfigText('a=1\n\n  = oops\n')).toThrow(ConfigSyntaxError);
    try {
      parseConfigText('a=1\n\n  = oops\n');
    } catch (e) {
      expect((e as ConfigSyntaxError).line).toBe(3);
      expect((e as Error).message).toContain('line 3');
    }
  });

  test('reported line of a continued logical line is its first physical line', () => {
    try {
      parseConfigText('a=1\n= x \\\ny\n');
      throw new Error('no throw');
    } catch (e) {
      expect((e as ConfigSyntaxError).line).toBe(2);
    }
  });
});
