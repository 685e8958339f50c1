#!/usr/bin/env node
// Fails (exit 1) when the modules of lib/ and bin/ import each other in a circle. Imports must point
// down a layer (docs/architecture.md); a circle means two modules each need the other, so neither
// can be read, tested or moved alone. Reads every relative `import`/`export ... from` and dynamic
// `import()` of the TypeScript sources, type-only imports included (a type circle is still a
// circle of knowledge), resolves `./x.js` to `./x.ts` or `./x/index.ts`, and prints each circle
// found as a path of files.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['lib', 'bin'];

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveSpec(from, spec) {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(c)) return c;
  return undefined;
}

// `import x from '...'`, `import type {...} from '...'`, `export * from '...'`, `import '...'`,
// `import('...')`: every module specifier that starts with a dot.
const SPEC_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

const files = dirs.flatMap((d) => tsFiles(resolve(root, d)));
const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  const deps = new Set();
  for (const m of text.matchAll(SPEC_RE)) {
    const to = resolveSpec(f, m[1]);
    if (to !== undefined) deps.add(to);
  }
  graph.set(f, [...deps]);
}

// Tarjan's strongly connected components: every component of more than one file (or a file that
// imports itself) holds at least one circle.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], comps = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++;
  stack.push(v); onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) comps.push(comp);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

// For each component, one shortest circle through its first file (breadth-first), to show.
function circleThrough(comp) {
  const inComp = new Set(comp);
  const start = comp.sort()[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (inComp.has(w) && !prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return comp;
}

const rel = (f) => relative(root, f);
if (comps.length === 0) {
  console.log(`check-cycles: ${files.length} modules in ${dirs.join(', ')}, no import circle`);
  process.exit(0);
}
for (const comp of comps) {
  console.error(`import circle among ${comp.length} modules: ${comp.map(rel).sort().join(', ')}`);
  console.error(`  e.g. ${circleThrough(comp).map(rel).join(' -> ')}`);
}
process.exit(1);
