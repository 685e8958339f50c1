/**
 * The native entry's swamp.conf parser (entry/swamp_conf.c) against lib/config/parse.ts, the reader
 * every other program uses: on every text the two must agree (same value, absent, or syntax error),
 * or the C side must say it is unsure (the entry then hands the call to the Node program). Hand-made
 * cases for each rule, then a few thousand random texts over the bytes the rules look at.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSyntaxError, parseConfigText } from '../../../lib/config/parse.js';
import { compileC, ENTRY_DIR } from './build-entry.js';

/** Reads cases `<key>\n<length>\n<bytes>` from stdin; prints one line each: FOUND <hex> | ABSENT | SYNTAX | UNSURE. */
const PROBE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "swamp_conf.h"
int main(void) {
  char key[256];
  size_t len;
  while (scanf("%255s %zu", key, &len) == 2) {
    getchar();
    char *text = malloc(len + 1), *work = malloc(2 * len + 1);
    if (fread(text, 1, len, stdin) != len) return 2;
    const char *v; size_t vl;
    int r = swamp_conf_lookup(text, len, key, work, &v, &vl);
    if (r == CONF_FOUND) { printf("FOUND "); for (size_t i = 0; i < vl; i++) printf("%02x", (unsigned char)v[i]); printf("\n"); }
    else printf("%s\n", r == CONF_ABSENT ? "ABSENT" : r == CONF_SYNTAX ? "SYNTAX" : "UNSURE");
    free(text); free(work);
  }
  return 0;
}
`;

let dir = '';
let probe = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swamp-conf-probe-'));
  probe = compileC(dir, 'conf_probe', PROBE, [join(ENTRY_DIR, 'swamp_conf.c')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  key: string;
  text: Buffer;
}

function cProbe(cases: readonly Case[]): string[] {
  const input = Buffer.concat(cases.flatMap((c) => [Buffer.from(`${c.key} ${c.text.length}\n`), c.text]));
  return execFileSync(probe, [], { input, maxBuffer: 64 * 1024 * 1024 }).toString('utf8').split('\n').slice(0, cases.length);
}

/** What lib/config/parse.ts makes of the same bytes, in the probe's words. */
function tsProbe(c: Case): string {
  let entries: Map<string, { value: string }>;
  try {
    entries = parseConfigText(c.text.toString('utf8'));
  } catch (e) {
    if (e instanceof ConfigSyntaxError) return 'SYNTAX';
    throw e;
  }
  const v = entries.get(c.key);
  return v === undefined ? 'ABSENT' : `FOUND ${Buffer.from(v.value, 'utf8').toString('hex')}`;
}

/** C's answer decoded as the TS side decodes the file (invalid UTF-8 -> U+FFFD), for comparison. */
function normalised(answer: string): string {
  if (!answer.startsWith('FOUND ')) return answer;
  const bytes = Buffer.from(answer.slice(6), 'hex');
  return `FOUND ${Buffer.from(bytes.toString('utf8'), 'utf8').toString('hex')}`;
}

function agree(cases: readonly Case[]): { unsure: number } {
  const answers = cProbe(cases);
  let unsure = 0;
  cases.forEach((c, i) => {
    const got = answers[i] ?? '<no answer>';
    if (got === 'UNSURE') {
      unsure++;
      return;
    }
    const want = tsProbe(c);
    if (normalised(got) !== want) throw new Error(`disagree on ${JSON.stringify(c.text.toString('latin1'))} key ${c.key}: C ${got}, TS ${want}`);
  });
  return { unsure };
}

const t = (key: string, s: string): Case => ({ key, text: Buffer.from(s, 'latin1') });

describe('entry/swamp_conf.c agrees with lib/config/parse.ts', () => {
  test('each rule of the legacy reader', () => {
    const cases = [
      t('runDir', 'runDir = /opt/swamp/run\n'),
      t('runDir', 'runDir=/a\nrunDir = /b\n'), // last wins
      t('runDir', '  runDir\t=\t/a  \r\n'),
      t('runDir', 'runDir /a b c\n'), // no '=': the rest is the value
      t('runDir', 'runDir\n'),
      t('runDir', 'runDir =\n'),
      t('runDir', 'runDir = = /a\n'),
      t('runDir', "runDir = '/a b'\n"),
      t('runDir', 'runDir = "/a"   \n'),
      t('runDir', "runDir = '/a\"\n"), // quotes that do not match stay
      t('runDir', 'runDir = "\n'),
      t('runDir', 'runDir = ""\n'),
      t('runDir', "runDir = 'a' 'b'\n"),
      t('runDir', '# runDir = /x\nrunDir = /y\n'),
      t('runDir', '   # comment\n\n\t\nrunDir = /y'), // no final newline
      t('runDir', 'runDir = /a\\\n/b\n'), // continuation
      t('runDir', 'runDir = /a\\   \n   /b\n'),
      t('runDir', '# comment \\\nrunDir = /swallowed\nrunDir2 = x\n'), // a comment swallows the next line
      t('runDir', 'runDir = /a\\\n'), // continuation at the end of the text
      t('runDir', 'runDir = /a\\\\\n/b\n'),
      t('runDir', 'runDir = /a\\ \\\n/b\\\n/c\n'),
      t('runDir', '= /a\nrunDir = /b\n'), // syntax error anywhere
      t('runDir', 'runDir = /b\n  =x\n'),
      t('runDir', '\xEF\xBB\xBFrunDir = /bom\n'),
      t('runDir', 'rundir = /case\n'),
      t('runDir', 'runDir.x = /a\nrunDir = /b\n'),
      t('runDir', "'runDir' = /q\n"),
      t('runDir', 'runDir = /caf\xC3\xA9\n'), // UTF-8 value
      t('runDir', 'runDir = /bad\xFF\xFE\n'), // invalid UTF-8
      t('runDir', 'k\xFF = 1\nrunDir = /after\n'),
      t('runDir', 'runDir = /a\v\f\n'),
      t('launchMode', 'launchMode = per-run\n'),
      t('launchMode', 'launchMode BATCH\n'),
      t('runDir', ''),
      t('runDir', '\n\n'),
      t('runDir', '\\'),
      t('runDir', '\\\n\\\n'),
      t('runDir', 'runDir = /a\r'),
    ];
    expect(agree(cases).unsure).toBe(0);
  });

  test('a NUL byte makes the C side unsure, never wrong', () => {
    const answers = cProbe([t('runDir', 'runDir = /a\0b\n')]);
    expect(answers).toEqual(['UNSURE']);
  });

  test('4,000 random texts over the bytes the rules look at', () => {
    // xorshift: the same texts on every run, so a failure can be reproduced
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pieces = [' ', ' ', '\t', '\r', '\v', '\f', '\n', '\n', '\n', '\\', '\\', '=', '=', '#', "'", '"', 'runDir', 'runDir', 'k', 'x', '/a', '\xC3\xA9', '\xFF', '\xEF\xBB\xBF'];
    const cases: Case[] = [];
    for (let i = 0; i < 4000; i++) {
      let s = '';
      const n = 1 + rnd(30);
      for (let j = 0; j < n; j++) s += pieces[rnd(pieces.length)];
      cases.push(t(rnd(4) === 0 ? 'k' : 'runDir', s));
    }
    expect(agree(cases).unsure).toBe(0);
  });
});
