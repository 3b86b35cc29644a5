#!/usr/bin/env node
// Runs every test suite, in order: static checks, unit, integration (real Go programs), the
// extension-host suite inside real VS Code (code-server), and the UI suite (Playwright driving
// Chromium against code-server). On a fresh clone it first installs what is missing (npm ci,
// scripts/install-tools.sh). `node scripts/test.mjs unit integration` runs just those.
// Exit code: non-zero if any failed.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNodeModules, ensureTools, root } from './bootstrap.mjs';

const all = ['static', 'unit', 'agent', 'install', 'integration', 'vscode', 'e2e'];
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
  // A fresh install of the tools into an empty cache, through npm as `npm test` runs it.
  install: [mocha('out/test/install/**/*.test.js', 900_000)],
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

const MAX_KEPT_LINES = 400;

/**
 * Runs a suite's command with its output passed through as it comes, keeping its last lines, so
 * that the summary at the very end can say which tests failed — CI shows only the tail of a run.
 */
function runKeepingTail(argv) {
  const options = typeof argv[argv.length - 1] === 'object' ? argv.pop() : {};
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['inherit', 'pipe', 'pipe'], cwd: options.cwd ?? root });
    const lines = [];
    let partial = '';
    const keep = (chunk) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop().slice(-4096);
      lines.push(...parts);
      if (lines.length > MAX_KEPT_LINES) lines.splice(0, lines.length - MAX_KEPT_LINES);
    };
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); keep(chunk); });
    child.stderr.on('data', (chunk) => { process.stderr.write(chunk); keep(chunk); });
    child.on('error', (err) => resolve({ ok: false, failures: [`${argv[0]}: ${err.message}`] }));
    child.on('close', (code) => {
      if (partial) lines.push(partial);
      resolve({ ok: code === 0, failures: code === 0 ? [] : failuresIn(lines, argv) });
    });
  });
}

/** The failed tests' names and first error lines from a suite's output (mocha, go test), else its last lines. */
function failuresIn(rawLines, argv) {
  // eslint-disable-next-line no-control-regex
  const lines = rawLines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trimEnd());
  const found = [];
  const mochaStart = lines.findLastIndex((l) => /^\s*\d+ failing$/.test(l));
  if (mochaStart >= 0) {
    for (let i = mochaStart + 1; i < lines.length; i++) {
      if (!/^\s*\d+\) /.test(lines[i])) continue;
      const title = [];
      let j = i;
      for (; j < lines.length && lines[j].trim(); j++) title.push(lines[j].trim());
      while (j < lines.length && !lines[j].trim()) j++;
      found.push(`${title.join(' ')}  ${(lines[j] ?? '').trim()}`);
    }
  }
  for (const l of lines) if (/^\s*--- FAIL: /.test(l) || /^FAIL\s/.test(l)) found.push(l.trim());
  const picked = found.length ? found : [`${argv.map(String).join(' ').slice(-120)}:`, ...lines.filter((l) => l.trim()).slice(-6)];
  return picked.slice(0, 12).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
}

ensureNodeModules();
if (wanted.some((s) => ['install', 'integration', 'vscode', 'e2e'].includes(s))) ensureTools();
const build = run([process.execPath, join(root, 'scripts/build.mjs'), '--tests', '--clean']);
if (!build.ok) process.exit(1);

const summary = [];
for (const name of wanted) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  let failures = [];
  for (const cmd of suites[name]) {
    const outcome = await runKeepingTail([...cmd]);
    if (!outcome.ok) {
      failures = outcome.failures;
      break;
    }
  }
  summary.push({ name, ok: failures.length === 0, failures, seconds: (Date.now() - started) / 1000 });
}
console.log('\n=== summary ===');
for (const s of summary) {
  console.log(`${s.ok ? 'pass' : 'FAIL'}  ${s.name.padEnd(12)} ${s.seconds.toFixed(1)} s`);
  for (const f of s.failures) console.log(`        ${f}`);
}
process.exit(summary.every((s) => s.ok) ? 0 : 1);
