// Makes a fresh clone runnable: npm packages (npm ci) and the real tools the suites and the demo
// use (scripts/install-tools.sh: Chromium, Node 24 + code-server, Delve). Each step runs only
// when something is missing, so it costs nothing on a machine that has everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(argv, what) {
  console.log(`[bootstrap] ${what}`);
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`[bootstrap] ${what} failed (exit ${r.status}).`);
    process.exit(r.status ?? 1);
  }
}

/** npm ci when node_modules is missing. */
export function ensureNodeModules() {
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run(['npm', 'ci', '--no-audit', '--no-fund'], 'installing npm packages (npm ci)');
}

/**
 * scripts/install-tools.sh when a tool is missing (it checks each itself and installs only what
 * lacks). When it installed every tool (a fresh machine, or an empty MEMORY_WATCH_CACHE as in
 * CI), says so in MEMORY_WATCH_FRESH_INSTALL for the suites this process starts: the install
 * test then checks that install, made through npm exactly as a new user's, instead of making a
 * second one.
 */
export function ensureTools() {
  const printed = spawnSync(join(root, 'scripts', 'install-tools.sh'), ['--print-env'], { encoding: 'utf8' }).stdout ?? '';
  const paths = Object.fromEntries([...printed.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const missing = Object.entries(paths).filter(([, p]) => !existsSync(p)).map(([name]) => name);
  if (Object.keys(paths).length > 0 && missing.length === 0) return;
  const started = Date.now();
  run([join(root, 'scripts', 'install-tools.sh')], 'installing test tools (scripts/install-tools.sh)');
  const cached = ['MEMORY_WATCH_NODE24', 'MEMORY_WATCH_CODE_SERVER', 'MEMORY_WATCH_DLV'];
  if (cached.every((name) => missing.includes(name))) {
    process.env.MEMORY_WATCH_FRESH_INSTALL = JSON.stringify({ throughNpm: Boolean(process.env.npm_lifecycle_event), seconds: Math.round((Date.now() - started) / 1000), paths });
  }
}
