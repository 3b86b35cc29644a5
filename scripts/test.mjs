#!/usr/bin/env node
// Runs every test suite, in order: static checks, unit, integration (real Go programs), the
// extension-host suite inside real VS Code (code-server), and the UI suite (Playwright driving
// Chromium against code-server). On a fresh clone it first installs what is missing (npm ci,
// scripts/install-tools.sh). `node scripts/test.mjs unit integration` runs just those.
// Exit code: non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, ensureTools, root } from './bootstrap.mjs';

const all = ['static', 'unit', 'agent', 'integration', 'vscode', 'e2e'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : all;
const unknown = wanted.filter((s) => !all.includes(s));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const mocha = (pattern, timeout) => [bin('mocha'), '--timeout', String(timeout), '--reporter', 'spec', '--exit', pattern];
const suites = {
  static: [
    [bin('tsc'), '-p', '.', '--noEmit'],
    [bin('tsc'), '-p', 'src/webview', '--noEmit'],
    [bin('eslint'), 'src', 'test', 'scripts', 'bench'],
    ['go', 'vet', './...', { cwd: join(root, 'test/fixtures') }],
    ['go', 'vet', './...', { cwd: join(root, 'demo') }],
    ['go', 'vet', './...', { cwd: join(root, 'agent') }],
    ['go', 'vet', './...', { cwd: join(root, 'sampler') }],
  ],
  unit: [mocha('out/test/unit/**/*.test.js', 5_000)],
  // The Go we ship, under the race detector: the companion agent (real HTTP and signals) and the
  // sampler helper (real processes to sample).
  agent: [
    ['go', 'test', '-race', '-count=1', './...', { cwd: join(root, 'agent') }],
    ['go', 'test', '-race', '-count=1', './...', { cwd: join(root, 'sampler') }],
  ],
  integration: [mocha('out/test/integration/**/*.test.js', 180_000)],
  vscode: [[process.execPath, 'out/test/vscode/runInCodeServer.js']],
  e2e: [mocha('out/test/e2e/**/*.test.js', 120_000)],
};

function run(argv) {
  const options = typeof argv[argv.length - 1] === 'object' ? argv.pop() : {};
  const started = Date.now();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', cwd: options.cwd ?? root });
  return { ok: result.status === 0, seconds: (Date.now() - started) / 1000 };
}

ensureNodeModules();
if (wanted.some((s) => ['integration', 'vscode', 'e2e'].includes(s))) ensureTools();
const build = run([process.execPath, join(root, 'scripts/build.mjs'), '--tests', '--clean']);
if (!build.ok) process.exit(1);

const summary = [];
for (const name of wanted) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const ok = suites[name].every((cmd) => run([...cmd]).ok);
  summary.push({ name, ok, seconds: (Date.now() - started) / 1000 });
}
console.log('\n=== summary ===');
for (const s of summary) console.log(`${s.ok ? 'pass' : 'FAIL'}  ${s.name.padEnd(12)} ${s.seconds.toFixed(1)} s`);
process.exit(summary.every((s) => s.ok) ? 0 : 1);
