#!/usr/bin/env node
// Builds the one multi-call executable (Node single-executable application) and its program names:
//   bin/swamp.ts --esbuild--> build/bundle/swamp.cjs --SEA blob + postject--> dist/bin/swamp
//   dist/bin/<name> -> swamp for every program name and legacy alias.
// Settings come from pkg.config.json. Nothing is downloaded: the runtime embedded is the Node that
// runs this script (the project's Node 24), and postject is a devDependency.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cfg = JSON.parse(readFileSync(join(root, 'pkg.config.json'), 'utf8'));
const buildDir = join(root, 'build');
const outDir = join(root, cfg.outputPath ?? 'dist/bin');
const force = process.argv.includes('--force');
const bundleOnly = process.argv.includes('--bundle-only');

function log(msg) {
  process.stderr.write(`build: ${msg}\n`);
}

// mysql2 probes for the optional `cardinal` package at load time; in a SEA that require() prints a
// warning on stderr (which would land in the mariadbd error log on every call). Cut it out.
const noCardinal = {
  name: 'no-cardinal',
  setup(build) {
    build.onLoad({ filter: /mysql2[\\/]lib[\\/]helpers\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const patched = src.replace(/require\(`cardinal\$\{REQUIRE_TERMINATOR\}`\)/g, '(() => { throw new Error("cardinal not bundled"); })()');
      return { contents: patched, loader: 'js' };
    });
  },
};

// Modules only workers and hooks need (never the path sys_exec/sys_eval waits for) live in separate
// bundles shipped as SEA assets and compiled on first use: the main script V8 loads at every start
// shrinks from ~2.5 MB to ~1 MB. Outside a SEA (node build/bundle/swamp.cjs) they are read from disk.
const DEFERRED = { 'mysql2/promise': 'mysql2.cjs', execa: 'execa.cjs' };

const deferred = {
  name: 'deferred-modules',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(DEFERRED).map((k) => k.replace(/[/.]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'deferred' }));
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      loader: 'js',
      contents: `
        const asset = ${JSON.stringify(DEFERRED[args.path])};
        const path = require('node:path');
        let code;
        let filename;
        const sea = require('node:sea');
        if (sea.isSea()) {
          code = sea.getAsset(asset, 'utf8');
          filename = path.join(path.dirname(process.execPath), asset);
        } else {
          filename = path.join(__dirname, asset);
          code = require('node:fs').readFileSync(filename, 'utf8');
        }
        const wrapper = require('node:vm').runInThisContext(
          '(function (exports, require, module, __filename, __dirname) {' + code + '\\n})',
          { filename },
        );
        const m = { exports: {} };
        wrapper(m.exports, require, m, filename, path.dirname(filename));
        module.exports = m.exports;
      `,
    }));
  },
};

async function bundleDeferred(esbuild) {
  for (const [spec, asset] of Object.entries(DEFERRED)) {
    await esbuild.build({
      stdin: { contents: `module.exports = require(${JSON.stringify(spec)});`, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'node',
      target: cfg.target ?? 'node24',
      format: 'cjs',
      outfile: join(buildDir, 'bundle', asset),
      legalComments: 'none',
      logLevel: 'warning',
      plugins: [noCardinal],
    });
  }
}

async function bundle() {
  const esbuild = await import('esbuild');
  mkdirSync(join(buildDir, 'bundle'), { recursive: true });
  const outfile = join(buildDir, 'bundle', 'swamp.cjs');
  await esbuild.build({
    entryPoints: [join(root, cfg.entry ?? 'bin/swamp.ts')],
    bundle: true,
    platform: 'node',
    target: cfg.target ?? 'node24',
    format: 'cjs',
    outfile,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [noCardinal, deferred],
  });
  await bundleDeferred(esbuild);
  return outfile;
}

function sha(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function programNames() {
  // The registry is TypeScript; read names from the bundle-independent JSON list kept in pkg.config.json.
  return cfg.programs;
}

async function sea(bundleFile) {
  const seaDir = join(buildDir, 'sea');
  mkdirSync(seaDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, cfg.binaryName ?? 'swamp');
  const stamp = join(seaDir, 'stamp');
  const assets = Object.fromEntries(Object.values(DEFERRED).map((a) => [a, join(dirname(bundleFile), a)]));
  const want = `${sha(bundleFile)} ${Object.values(assets).map(sha).join(' ')} ${process.execPath} ${process.version} ${JSON.stringify(cfg.seaConfig ?? {})}`;
  if (!force && existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
    log(`${target} is up to date`);
    return target;
  }
  const blob = join(seaDir, 'swamp.blob');
  const seaConfig = { main: bundleFile, output: blob, disableExperimentalSEAWarning: true, assets, ...(cfg.seaConfig ?? {}) };
  writeFileSync(join(seaDir, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));
  execFileSync(process.execPath, ['--experimental-sea-config', join(seaDir, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tmp = `${target}.tmp`;
  copyFileSync(process.execPath, tmp);
  chmodSync(tmp, 0o755);
  if (cfg.strip !== false) {
    try {
      execFileSync('strip', [tmp], { stdio: ['ignore', 'ignore', 'ignore'] });
    } catch {
      log('strip not available; keeping debug info');
    }
  }
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  execFileSync(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  renameSync(tmp, target);
  writeFileSync(stamp, want);
  log(`built ${target}`);
  return target;
}

function links(target) {
  const base = cfg.binaryName ?? 'swamp';
  for (const name of programNames()) {
    const link = join(outDir, name);
    try {
      if (lstatSync(link)) unlinkSync(link);
    } catch {
      /* absent */
    }
    symlinkSync(base, link);
  }
  // drop names that are no longer programs
  for (const f of readdirSync(outDir)) {
    if (f !== base && !programNames().includes(f)) rmSync(join(outDir, f), { force: true });
  }
  log(`${programNames().length} program names in ${outDir}`);
}

// The native entries (pkg.config.json `nativeEntries`, entry/): small C programs that take the
// common case of a name the database calls and hand everything else to the executable above
// (docs/launchassessment.md "Native entry"). Each replaces its program name's link in outDir.
// Without a C compiler the names stay links to the executable (correct, only slower per call).
function nativeEntries() {
  const names = cfg.nativeEntries ?? [];
  if (names.length === 0) return;
  const out = join(buildDir, 'entry');
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    execFileSync('make', ['--version'], { stdio: 'ignore' });
  } catch {
    log(`WARNING: gcc or make missing (Debian: apt-get install gcc make libc6-dev): ${names.join(', ')} stay links to the executable, ~45 ms per call instead of ~2 ms`);
    return;
  }
  execFileSync('make', ['-s', '-C', join(root, 'entry'), `OUT=${out}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const name of names) {
    const dest = join(outDir, name);
    const tmp = `${dest}.tmp`;
    copyFileSync(join(out, name), tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, dest);
  }
  log(`native entries in ${outDir}: ${names.join(', ')}`);
}

const bundleFile = await bundle();
if (!bundleOnly) {
  const target = await sea(bundleFile);
  links(target);
  nativeEntries();
}
