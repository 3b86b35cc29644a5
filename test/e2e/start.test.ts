/**
 * `npm start`, as a new user runs it: one command, then the printed URL shows VS Code with the
 * demo's memory in the status bar and, one click later, the graph; Free OS Memory works from the
 * graph's button; Ctrl+C stops everything it started.
 */
import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';
import { freePort } from '../../scripts/harness/codeServer';
import { CHROMIUM_ARGS, missingVsCodeTools, REPO_ROOT, tools } from '../../scripts/harness/tools';
import { psRss } from '../support/goFixtures';
import { isAlive, waitFor } from '../support/wait';
import { parseSize, until, Workbench } from './workbench';

describe('npm start', function () {
  this.timeout(300_000);
  let start: ChildProcess;
  let output = '';
  let browser: Browser;
  let state: string;

  before(() => {
    const missing = missingVsCodeTools();
    if (missing) throw new Error(missing);
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-start-'));
  });

  after(async () => {
    await browser?.close();
    // The group may be gone already (npm start ended on Ctrl+C, by a signal: exitCode stays null).
    if (start && start.exitCode === null && start.signalCode === null) {
      try {
        process.kill(-start.pid!, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('prints a URL that shows the demo in VS Code, and Ctrl+C stops it all', async () => {
    const port = await freePort();
    // Its own process group, like a terminal's foreground job: Ctrl+C goes to the whole group.
    // `npm start` exactly as the README says: through npm, whose own variables reach the scripts it runs.
    start = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEMORY_WATCH_PORT: String(port), MEMORY_WATCH_DEMO_STATE: state },
    });
    start.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    start.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    // Until the URL, or npm start ending without one (it exits 1 and says why).
    const printed = () => /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m.exec(output)?.[1] ?? (start!.exitCode !== null ? `exited ${start!.exitCode}` : undefined);
    const url = (await waitFor(printed, 'npm start to print the URL', 240_000).catch((err: Error) => {
      throw new Error(`${err.message}; it printed:\n${output.slice(-4000)}`);
    })) as string;
    assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), `${url}; it printed:\n${output.slice(-4000)}`);
    const demoPid = Number(/demo program: PID (\d+)/.exec(output)![1]);

    browser = await chromium.launch({ executablePath: tools().chromium, args: CHROMIUM_ARGS });
    const wb = new Workbench(await browser.newPage({ viewport: { width: 1400, height: 860 } }), path.join(REPO_ROOT, 'test-output', 'e2e', 'npm-start'));
    await wb.open(url);
    await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'the demo in the status bar', 60_000);
    // The demo's memory moves (load bursts), and the status bar shows the last sample (≤ 0.5 s
    // old): compare it with ps read just before and just after, until they agree.
    await until(
      async () => {
        const before = await psRss(demoPid);
        const shown = parseSize(await wb.statusItem.innerText());
        const after = await psRss(demoPid);
        return Math.min(Math.abs(shown / before - 1), Math.abs(shown / after - 1));
      },
      (error) => error <= 0.1,
      'the status bar within 10 % of ps',
      30_000,
    );
    await wb.statusItem.click();
    await until(() => wb.graph.locator('#rss-now').innerText(), (t) => /MiB/.test(t), 'the graph');
    assert.match(await wb.graph.locator('#watch-select').innerText(), new RegExp(`memory-watch-demo \\(PID ${demoPid}\\)`));
    await wb.screenshot('graph');
    await wb.graph.locator('#free').click();
    await wb.notification(/Released \d+\.\d MiB|No measurable release/).waitFor({ timeout: 20_000 });
    await wb.screenshot('free-os-memory');
    await browser.close();

    process.kill(-start.pid!, 'SIGINT');
    await waitFor(() => start.exitCode !== null || start.signalCode !== null, 'npm start to exit', 30_000);
    await waitFor(() => !isAlive(demoPid), 'the demo to stop', 10_000);
    await waitFor(async () => !(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false)), 'code-server to stop', 10_000);
  });
});
