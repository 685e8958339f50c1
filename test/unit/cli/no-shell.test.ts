/**
 * Policy test (docs/architecture.md): nothing under lib/ or bin/ may run a program through a
 * shell. Checked on the TypeScript syntax tree, not with a grep, so comments and strings that merely
 * mention "exec" or "shell" do not trip it, while aliased or dynamic imports do:
 *
 * 1. child_process (static import, import(), require) only in lib/cli/detach.ts, and only `spawn`;
 *    every spawn() there passes an options object with `detached: true` and no truthy `shell`.
 * 2. execa only in lib/proc/run.ts, and only its `execa` function (no execaCommand, $, execaSync,
 *    execaNode); no other process-spawning modules (node:cluster fork, shelljs, zx, cross-spawn...).
 * 3. No object property `shell` whose value is anything but the literal `false`, anywhere.
 * 4. No string literal that is a shell invocation (`/bin/sh -c`, `bash -c`, `sh -c`).
 * 5. The first argument of execa()/spawn() is not a string literal containing whitespace
 *    (a command line instead of a program), and no call's first argument is a shell program
 *    (`/bin/sh`, `bash`, ...), which catches run('/bin/sh', ['-c', ...]).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();
const DETACH = 'lib/cli/detach.ts';
const RUN = 'lib/proc/run.ts';
const CP = new Set(['child_process', 'node:child_process']);
const FORBIDDEN_MODULES = new Set(['shelljs', 'zx', 'cross-spawn', 'node:cluster', 'cluster', 'execa-command']);
const SHELL_RE = /(^|[\s/])(ba|z|k|da)?sh\s+-[a-z]*c\b/;
const SHELL_PROGRAM_RE = /^(\/(usr\/)?bin\/)?(ba|z|k|da)?sh$/;

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = path.join(dir, e);
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(e) && !e.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function moduleOfCall(node: ts.CallExpression): string | undefined {
  const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
  const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
  const arg = node.arguments[0];
  if ((isRequire || isImport) && arg && ts.isStringLiteralLike(arg)) return arg.text;
  return undefined;
}

export function violations(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const found: string[] = [];
  const where = (n: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const spawnNames = new Set<string>();
  const execaNames = new Set<string>();

  const checkModule = (mod: string, node: ts.Node, names: readonly string[] | 'namespace'): void => {
    if (CP.has(mod)) {
      if (file !== DETACH) found.push(`${where(node)}: imports ${mod} (only ${DETACH} may, and only spawn)`);
      else if (names === 'namespace' || names.some((n) => n !== 'spawn')) found.push(`${where(node)}: ${mod} import other than { spawn }`);
    }
    if (mod === 'execa') {
      if (file !== RUN) found.push(`${where(node)}: imports execa (only ${RUN} may)`);
      else if (names === 'namespace' || names.some((n) => n !== 'execa')) found.push(`${where(node)}: execa import other than { execa }`);
    }
    if (FORBIDDEN_MODULES.has(mod)) found.push(`${where(node)}: imports ${mod}`);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const mod = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (clause && !clause.isTypeOnly) {
        const b = clause.namedBindings;
        if (clause.name || (b && ts.isNamespaceImport(b))) checkModule(mod, node, 'namespace');
        else if (b && ts.isNamedImports(b)) {
          const names = b.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text);
          checkModule(mod, node, names);
          for (const e of b.elements) {
            const orig = (e.propertyName ?? e.name).text;
            if (CP.has(mod) && orig === 'spawn') spawnNames.add(e.name.text);
            if (mod === 'execa' && orig === 'execa') execaNames.add(e.name.text);
          }
        }
      } else if (!clause) {
        checkModule(mod, node, 'namespace');
      }
    }
    if (ts.isCallExpression(node)) {
      const mod = moduleOfCall(node);
      if (mod !== undefined) {
        // Dynamic import / require: see which names are destructured from it.
        let names: string[] | 'namespace' = 'namespace';
        let p: ts.Node = node.parent;
        if (ts.isAwaitExpression(p)) p = p.parent;
        if (ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name)) {
          names = p.name.elements.map((el) => (el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : '?'));
          for (const el of p.name.elements) {
            const orig = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : '';
            if (mod === 'execa' && orig === 'execa' && ts.isIdentifier(el.name)) execaNames.add(el.name.text);
            if (CP.has(mod) && orig === 'spawn' && ts.isIdentifier(el.name)) spawnNames.add(el.name.text);
          }
        }
        checkModule(mod, node, names);
      }
      const callee = node.expression;
      const calleeName = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      const first = node.arguments[0];
      if ((spawnNames.has(calleeName) || execaNames.has(calleeName)) && first && ts.isStringLiteralLike(first) && /\s/.test(first.text)) {
        found.push(`${where(node)}: ${calleeName}() with a command line ${JSON.stringify(first.text)}`);
      }
      if (spawnNames.has(calleeName)) {
        const opts = node.arguments[2];
        const detached =
          opts !== undefined &&
          ts.isObjectLiteralExpression(opts) &&
          opts.properties.some((pr) => ts.isPropertyAssignment(pr) && pr.name.getText(sf) === 'detached' && pr.initializer.kind === ts.SyntaxKind.TrueKeyword);
        if (!detached) found.push(`${where(node)}: spawn() without an options literal containing detached: true`);
      }
      if (['exec', 'execSync', 'execFile', 'execFileSync', 'spawnSync', 'fork', 'execaCommand', 'execaCommandSync', 'execaSync'].includes(calleeName) && ts.isPropertyAccessExpression(callee)) {
        const obj = callee.expression.getText(sf);
        if (/child_process|cp|childProcess|execa/i.test(obj)) found.push(`${where(node)}: ${obj}.${calleeName}()`);
      }
    }
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && node.name.text === 'shell') {
      if (node.initializer.kind !== ts.SyntaxKind.FalseKeyword) found.push(`${where(node)}: shell: ${node.initializer.getText(sf)}`);
    }
    if (ts.isShorthandPropertyAssignment(node) && node.name.text === 'shell') found.push(`${where(node)}: shorthand shell property`);
    if (ts.isCallExpression(node)) {
      const first = node.arguments[0];
      if (first && ts.isStringLiteralLike(first) && SHELL_PROGRAM_RE.test(first.text)) {
        found.push(`${where(node)}: runs a shell program ${JSON.stringify(first.text)}`);
      }
    }
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && SHELL_RE.test(node.text)) {
      if (!ts.isImportDeclaration(node.parent)) found.push(`${where(node)}: shell invocation string ${JSON.stringify(node.text.slice(0, 60))}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('no shell anywhere in lib/ and bin/', () => {
  const files = [...sourceFiles('lib'), ...sourceFiles('bin')];

  test('there are sources to check, including the two allowed places', () => {
    expect(files).toContain(DETACH);
    expect(files).toContain(RUN);
  });

  test('no violations', () => {
    const all = files.flatMap((f) => violations(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(all).toEqual([]);
  });

  // The checker itself must catch what it claims to catch.
  test.each([
    [`import { exec } from 'node:child_process'; exec('ls -l');`, 'imports node:child_process'],
    [`import * as cp from 'child_process';`, 'imports child_process'],
    [`const { execSync } = require('child_process');`, 'imports child_process'],
    [`const cp = await import('node:child_process');`, 'imports node:child_process'],
    [`import { execaCommand } from 'execa';`, 'imports execa'],
    [`import shell from 'shelljs';`, 'imports shelljs'],
    [`run('x', [], { shell: true, timeoutMs: 1 });`, 'shell: true'],
    [`const o = { shell: '/bin/bash' };`, 'shell: '],
    [`const shell = true; f({ shell });`, 'shorthand shell'],
    [`run('/bin/sh', ['-c', 'x']); const s = '/bin/sh -c ls';`, 'shell invocation'],
    [`const s = "bash -c 'rm -rf /'";`, 'shell invocation'],
    [`await run('/bin/bash', ['-c', cmd], { timeoutMs: 1 });`, 'runs a shell program'],
  ])('detects: %s', (src, what) => {
    expect(violations('lib/x/bad.ts', src).join('\n')).toContain(what);
  });

  test.each([
    [DETACH, `import { exec } from 'node:child_process';`, 'other than { spawn }'],
    [DETACH, `import { spawn } from 'node:child_process'; spawn('node', []);`, 'without an options literal'],
    [DETACH, `import { spawn } from 'node:child_process'; spawn('node x', [], { detached: true });`, 'command line'],
    [RUN, `import { execa, $ } from 'execa';`, 'other than { execa }'],
    [RUN, `const { execaCommand } = await import('execa');`, 'other than { execa }'],
    [RUN, `import { execa } from 'execa'; execa('condor_q -af Owner', []);`, 'command line'],
  ])('detects in %s: %s', (file, src, what) => {
    expect(violations(file, src).join('\n')).toContain(what);
  });

  test('allows the sanctioned forms', () => {
    expect(violations(DETACH, `import { spawn } from 'node:child_process'; spawn(cmd, args, { detached: true, shell: false });`)).toEqual([]);
    expect(violations(RUN, `const { execa } = await import('execa'); await execa(command, [...args], { shell: false });`)).toEqual([]);
    expect(violations('lib/x/ok.ts', `// we never exec through a shell: child_process.exec is banned\nconst note = 'no shell here';`)).toEqual([]);
  });
});
