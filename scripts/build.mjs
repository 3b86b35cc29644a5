#!/usr/bin/env node
// Builds the extension (Node, CommonJS, `vscode` external) and the graph webview (browser bundle
// into media/dist). `--production` minifies; `--watch` rebuilds on change; `--tests` also
// transpiles src/, test/, scripts/ and bench/ file by file into out/ for mocha and the harness
// (no bundling: tests import modules); `--clean` empties out/ first.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

/** A bundle for the extension host or a worker thread (Node, CommonJS); `vscode` stays external where the host provides it. */
function nodeBundle(entry, outfile, external = []) {
  return { entryPoints: [join(root, entry)], outfile: join(root, outfile), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external, sourcemap: !production, minify: production };
}

/** A webview's script (browser, one file). */
function webviewBundle(entry, outfile) {
  return { entryPoints: [join(root, entry)], outfile: join(root, outfile), bundle: true, platform: 'browser', format: 'iife', target: 'es2020', sourcemap: !production, minify: production };
}

/** @type {esbuild.BuildOptions[]} */
const bundles = [
  // What VS Code loads: it loads dist/extension.js with a V8 code cache (src/main.ts).
  nodeBundle('src/main.ts', 'dist/main.js', ['vscode']),
  nodeBundle('src/extension.ts', 'dist/extension.js', ['vscode']),
  // Tasks in child processes of their own (decoding heap profiles, reading recordings, fetching a
  // Prometheus history): each its own file, found next to extension.js (src/core/util/workerScript.ts)
  // and started by util/isolatedTask.ts. Each must be in the .vsix too (.vscodeignore; a test checks).
  nodeBundle('src/core/heap/task.ts', 'dist/heapTask.js'),
  nodeBundle('src/core/recording/task.ts', 'dist/recordingTask.js'),
  nodeBundle('src/core/history/task.ts', 'dist/historyTask.js'),
  // The webviews: the graph, and the heap view (loaded by src/vscode/heapPanel.ts).
  webviewBundle('src/webview/main.ts', 'media/dist/graph.js'),
  webviewBundle('src/webview/heap/main.ts', 'media/dist/heap.js'),
];

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'fixtures') out.push(...tsFiles(path));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

if (args.has('--tests')) {
  // --clean drops files of deleted sources; not the default, since `npm start` builds while a
  // test run may be using out/.
  if (args.has('--clean')) rmSync(join(root, 'out'), { recursive: true, force: true });
  bundles.push({
    entryPoints: [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'test')), ...tsFiles(join(root, 'scripts')), ...tsFiles(join(root, 'bench')).filter((f) => !f.includes('/bench/chart/'))],
    outdir: join(root, 'out'),
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
  });
}

/**
 * The sampler helper (sampler/, memwatch-sampler) for Linux on x64 and arm64: Go cross-compiles
 * without a C toolchain, and the .vsix carries both. Without Go the extension builds without it
 * (Memory Watch then samples in the extension host, as on other systems).
 */
function buildSamplerHelper() {
  for (const [goArch, nodeArch] of [['amd64', 'x64'], ['arm64', 'arm64']]) {
    const out = join(root, 'dist', 'bin', `memwatch-sampler-linux-${nodeArch}`);
    const result = spawnSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', out, '.'], {
      cwd: join(root, 'sampler'),
      env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: goArch },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.error?.code === 'ENOENT') {
      console.warn('build: no Go toolchain: the sampler helper is not built (samples are taken in the extension host)');
      return;
    }
    if (result.status !== 0) process.exit(1);
  }
}

buildSamplerHelper();

if (args.has('--watch')) {
  const contexts = await Promise.all(bundles.map((b) => esbuild.context({ ...b, logLevel: 'info' })));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(bundles.map((b) => esbuild.build({ ...b, logLevel: 'warning' })));
}
