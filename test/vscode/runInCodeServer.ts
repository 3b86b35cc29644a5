/**
 * Runs the extension-host suite inside real VS Code: code-server with the smoke-test driver, a
 * headless Chromium opening the workbench with a `payload` that names our extension and tests.
 * Pass/fail comes from `codeAutomationExit` and is cross-checked with the suite's result file.
 *   node out/test/vscode/runInCodeServer.js [trusted|restricted]…
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { format } from 'util';
import { startCodeServer } from '../../scripts/harness/codeServer';
import { CHROMIUM_ARGS, missingVsCodeTools, REPO_ROOT, tools } from '../../scripts/harness/tools';
import { SUITE_END, SUITE_START } from './index';
import { buildFixture } from '../support/goFixtures';
import { installTestDelveAdapter } from '../support/delveAdapter';
import { execFileSync } from 'child_process';

const OUTPUT = path.join(REPO_ROOT, 'test-output', 'vscode');

/** Which files of the suite run: the trusted workspace's, the restricted one's, or a benchmark's in the extension host (bench.*). */
export type SuiteName = 'trusted' | 'restricted' | 'bench';

/** Runs one suite in a fresh code-server; `env` reaches the extension host (a benchmark's server and output file). */
export async function runSuite(suite: SuiteName, env: Record<string, string> = {}): Promise<boolean> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `mw-vscode-${suite}-`));
  const workspace = path.join(work, 'workspace');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'README.md'), `# Memory Watch ${suite} test workspace\n`);
  const resultFile = path.join(work, 'result.json');
  // A test-only debug type whose adapter is a real `dlv dap` server: installed as an extension
  // (the payload takes one extensionDevelopmentPath).
  const stateDir = path.join(work, 'state');
  await installTestDelveAdapter(stateDir, work);
  const server = await startCodeServer({
    stateDir,
    smokeTestDriver: true,
    workspaceTrust: suite === 'restricted',
    env: { MEMORY_WATCH_SUITE: suite, MEMORY_WATCH_RESULT_FILE: resultFile, MEMORY_WATCH_WORKSPACE: workspace, MEMORY_WATCH_GREP: process.env.MEMORY_WATCH_GREP ?? '', ...goEnvironment(), ...env },
  });
  const browser = await chromium.launch({ executablePath: tools().chromium, args: CHROMIUM_ARGS });
  const started = Date.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    const browserLog: string[] = [];
    let inSuite = false;
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...(args as [unknown, ...unknown[]]));
      if (browserLog.length < 20_000) browserLog.push(line);
      // Print the suite's own output (between its markers); the workbench's chatter goes to the log file.
      if (line.includes(SUITE_START)) inSuite = true;
      else if (line.includes(SUITE_END)) inSuite = false;
      else if (inSuite && !/workbench\.js|^\s+at /.test(line)) process.stdout.write(`  ${line}\n`);
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    await page.goto(
      server.urlFor(workspace, [
        ['extensionDevelopmentPath', remote(REPO_ROOT)],
        ['extensionTestsPath', remote(path.join(REPO_ROOT, 'out', 'test', 'vscode', 'index.js'))],
        ['skipWelcome', 'true'],
      ]),
    );
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10 * 60_000).unref());
    const code = await Promise.race([exit, timeout]);
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, `${suite}-end.png`) }).catch(() => undefined);
    const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (code === -1) console.error(`${suite}: the suite did not finish within 10 minutes`);
    if (!result) console.error(`${suite}: no result file — the suite did not run (exit code ${code})`);
    const ok = code === 0 && !!result && result.failures.length === 0 && result.passed > 0;
    fs.writeFileSync(path.join(OUTPUT, `${suite}-browser.log`), browserLog.join('\n'));
    if (!ok) {
      fs.writeFileSync(path.join(OUTPUT, `${suite}-code-server.log`), server.log());
      if (result?.failures.length) console.error(result.failures.join('\n'));
    }
    console.log(`${suite}: ${ok ? 'passed' : 'FAILED'} (${result?.passed ?? 0} passed, ${result?.failures.length ?? '?'} failed, exit code ${code}) in ${seconds} s`);
    return ok;
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * code-server gives its extension host its own HOME (and a login shell's PATH): tell the suite
 * where Go and its caches are, so fixtures build as fast as here.
 */
function goEnvironment(): Record<string, string> {
  const go = execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim();
  const [cache, gopath, modcache] = execFileSync(go, ['env', 'GOCACHE', 'GOPATH', 'GOMODCACHE'], { encoding: 'utf8' }).trim().split('\n');
  return { MEMORY_WATCH_GO: go, MEMORY_WATCH_GOCACHE: cache, MEMORY_WATCH_GOPATH: gopath, MEMORY_WATCH_GOMODCACHE: modcache, MEMORY_WATCH_DLV: tools().dlv };
}

async function main(): Promise<void> {
  const missing = missingVsCodeTools();
  if (missing) {
    console.error(`Cannot run the extension-host suite: ${missing}`);
    process.exit(1);
  }
  const suites = (process.argv.slice(2).length ? process.argv.slice(2) : ['trusted', 'restricted']) as SuiteName[];
  // Build the Go fixtures once, here, before any VS Code starts.
  await buildFixture('seedserver');
  let ok = true;
  for (const suite of suites) ok = (await runSuite(suite)) && ok;
  process.exit(ok ? 0 : 1);
}

if (require.main === module) void main();
