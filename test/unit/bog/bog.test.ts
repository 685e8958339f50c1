import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatBog, formatBogLine, parseBog, BogFormatError, readBogFile, writeBogFile, writeFileAtomicSync, bogFileName } from '../../../lib/bog/index.js';
import { SwampError } from '../../../lib/errors/index.js';
import { giveToSwamp, isRoot, runAsSwamp } from '../../fixtures/unprivileged/as-swamp.js';

describe('BOG writer: legacy saveProperties byte for byte', () => {
  test('comment line, sorted keys, the three line forms', () => {
    const text = formatBog(
      {
        toolname: 'cppcheck',
        execrunid: '0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b',
        'tool-version': '1.86',
        launch_counter: 1,
        packagebuild_opt: ' -j 4',
        packagebuild_cmd: 'make\nmake install',
        android_redo_build: false,
        empty: '',
        gone: undefined,
        nothing: null,
      },
      'vmu_LaunchPad.pl',
    );
    expect(text).toBe(
      [
        '# vmu_LaunchPad.pl',
        'android_redo_build=false',
        'empty=',
        'execrunid=0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b',
        'launch_counter=1',
        'packagebuild_cmd:2L=make',
        'make install',
        'packagebuild_opt:= -j 4',
        'tool-version=1.86',
        'toolname=cppcheck',
        '',
      ].join('\n'),
    );
  });

  test('sort order is byte order (uppercase before lowercase, "-" before "_")', () => {
    expect(formatBog({ b: '1', B: '2', 'a-b': '3', a_b: '4' })).toBe('B=2\na-b=3\na_b=4\nb=1\n');
  });

  test('no comment line without a comment', () => {
    expect(formatBog({ a: 'x' })).toBe('a=x\n');
  });

  test('line forms', () => {
    expect(formatBogLine('k', 'v')).toBe('k=v');
    expect(formatBogLine('k', 'trailing ')).toBe('k:=trailing ');
    expect(formatBogLine('k', '\tlead')).toBe('k:=\tlead');
    expect(formatBogLine('k', 'a\nb\nc')).toBe('k:3L=a\nb\nc');
    expect(formatBogLine('k', '\n')).toBe('k:2L=\n');
    expect(formatBogLine('k', '"quoted"')).toBe('k="quoted"');
  });

  test('invalid keys and comments are refused', () => {
    for (const k of ['', 'a b', 'a=b', 'a:b', '#a', 'a\nb']) expect(() => formatBogLine(k, 'v')).toThrow(BogFormatError);
    expect(() => formatBog({ a: '1' }, 'two\nlines')).toThrow(BogFormatError);
    expect(() => formatBog({ a: Number.NaN })).toThrow(BogFormatError);
  });
});

describe('BOG reader', () => {
  test('reads what the legacy wrote, including the forms its own reader mangled', () => {
    const text = '# comment\nA=1\nkey:= spaced \nmulti:3L=one\n# not a comment inside\n\nquoted="kept"\nurl=http://x/?a=b\n';
    expect(parseBog(text)).toEqual({ A: '1', key: ' spaced ', multi: 'one\n# not a comment inside\n', quoted: '"kept"', url: 'http://x/?a=b' });
  });

  test('tolerates CRLF on plain lines, blank lines and a missing final newline', () => {
    expect(parseBog('a=1\r\n\r\nb=2')).toEqual({ a: '1', b: '2' });
  });

  test('malformed input names the line', () => {
    expect(() => parseBog('a=1\nnoequals\n')).toThrow('line 2');
    expect(() => parseBog('a:5L=x\ny\n')).toThrow(/announces 5 lines/);
    expect(() => parseBog('a:xL=1\n')).toThrow(/unknown value form/);
    expect(() => parseBog('a b=1\n')).toThrow(/invalid key/);
    expect(() => parseBog('a:0L=1\n')).toThrow(BogFormatError);
  });

  test('__proto__ is an ordinary key', () => {
    const bog = parseBog('__proto__=x\n');
    expect(Object.keys(bog)).toEqual(['__proto__']);
    expect(bog.__proto__).toBe('x');
  });
});

// Deterministic PRNG (mulberry32) so a failure is reproducible from the printed seed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = ['\n', '\r', '\r\n', '=', ':', ':=', ':2L=', '#', ' ', '\t', '"', "'", '\\', '\\\n', '$(x)', '`', ';', '|', '&', '\0', 'é', '✓', '😀', '\u2028', '\ufeff', 'a', 'Z', '0', '-', 'key=value', '# c', 'x:3L=y'];

function hostileValue(r: () => number): string {
  const n = Math.floor(r() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += ATOMS[Math.floor(r() * ATOMS.length)];
  return s;
}

function hostileKey(r: () => number, i: number): string {
  const chars = 'abcXYZ_-.0123456789é/@+';
  let s = 'k';
  const n = Math.floor(r() * 8);
  for (let j = 0; j < n; j++) s += chars[Math.floor(r() * chars.length)];
  return `${s}${i}`;
}

describe('round trip with hostile values (property test)', () => {
  test('parseBog(formatBog(x)) === x for 500 random BOGs', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const r = rng(seed);
      const bog: Record<string, string> = {};
      const n = 1 + Math.floor(r() * 10);
      for (let i = 0; i < n; i++) bog[hostileKey(r, i)] = hostileValue(r);
      const text = formatBog(bog, `seed ${seed}`);
      let back: Record<string, string>;
      try {
        back = parseBog(text);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).message}\n${JSON.stringify(text)}`);
      }
      if (JSON.stringify(Object.entries(back).sort()) !== JSON.stringify(Object.entries(bog).sort())) {
        throw new Error(`seed ${seed} did not round-trip:\n${JSON.stringify(bog)}\n${JSON.stringify(back)}`);
      }
    }
  });

  test('edge values round-trip', () => {
    const values = ['', ' ', '\n', '\n\n', 'a\n', '\na', ' a ', '"a"', "'a'", 'a\\', '\\', '=', ':', '#x', 'x\r', '\r\n', 'é\u2028ü', '😀'];
    const bog = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
    expect(parseBog(formatBog(bog))).toEqual(bog);
  });
});

describe('BOG files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'swamp-bog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('write then read; no temp files left; file replaced atomically', () => {
    const file = path.join(dir, bogFileName('0b6f9d3c-1d2e-11e9-8b6c-001a4a81450b'));
    writeBogFile(file, { execrunid: 'x', multi: 'a\nb' }, { comment: 'test' });
    expect(readBogFile(file)).toEqual({ execrunid: 'x', multi: 'a\nb' });
    writeBogFile(file, { execrunid: 'y' });
    expect(readBogFile(file)).toEqual({ execrunid: 'y' });
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
    expect(readFileSync(file, 'utf8')).toBe('execrunid=y\n');
  });

  test('mode of the new file', () => {
    const file = path.join(dir, 'm.bog');
    const old = process.umask(0);
    try {
      writeBogFile(file, { a: '1' }, { mode: 0o640 });
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  test('failure to write leaves the old file and no temp file', () => {
    const sub = path.join(dir, 'ro');
    mkdirSync(sub);
    const file = path.join(sub, 'a.bog');
    writeFileSync(file, 'a=old\n');
    chmodSync(sub, 0o500);
    try {
      if (!isRoot()) {
        expect(() => writeBogFile(file, { a: 'new' })).toThrow(SwampError);
        try {
          writeBogFile(file, { a: 'new' });
        } catch (e) {
          expect((e as SwampError).kind).toBe('denied');
        }
      } else {
        // root ignores directory permissions: the write is tried by the unprivileged swamp user, who
        // owns the read-only directory and its file
        chmodSync(dir, 0o755);
        giveToSwamp(sub);
        const r = runAsSwamp(dir, (lib) => `
          import { writeBogFile } from '${lib}/bog/index.js';
          import { SwampError } from '${lib}/errors/index.js';
          try { writeBogFile(${JSON.stringify(file)}, { a: 'new' }); console.log('written'); }
          catch (e) { console.log(e instanceof SwampError ? 'SwampError ' + e.kind : 'other ' + String(e)); }
        `);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('SwampError denied');
      }
      expect(readFileSync(file, 'utf8')).toBe('a=old\n');
      expect(readdirSync(sub)).toEqual(['a.bog']);
    } finally {
      chmodSync(sub, 0o700);
    }
  });

  test('missing directory -> not-found; missing file -> not-found; malformed -> external with line', () => {
    expect(() => writeBogFile(path.join(dir, 'nodir', 'a.bog'), { a: '1' })).toThrow(expect.objectContaining({ kind: 'not-found' }));
    expect(() => readBogFile(path.join(dir, 'absent.bog'))).toThrow(expect.objectContaining({ kind: 'not-found' }));
    const bad = path.join(dir, 'bad.bog');
    writeFileSync(bad, 'a=1\nbroken\n');
    expect(() => readBogFile(bad)).toThrow(expect.objectContaining({ kind: 'external', details: { file: bad, line: 2 } }));
  });

  test('writeFileAtomicSync with binary data', () => {
    const file = path.join(dir, 'bin');
    writeFileAtomicSync(file, new Uint8Array([0, 1, 2, 255]));
    expect([...readFileSync(file)]).toEqual([0, 1, 2, 255]);
  });
});
