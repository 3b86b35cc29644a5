/**
 * Debugging a Go program in VS Code with Memory Watch installed, by keyboard: set a breakpoint
 * (F9), start debugging (F5) — the memory shows up by itself in the status bar and in the Memory
 * view of the Run and Debug sidebar; the stop is a shaded "breakpoint" band on the graph; Free OS
 * Memory goes through Delve; stopping ends the watch. Screenshots in test-output/e2e/debug/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';
import { CodeServer, installVsix, startCodeServer } from '../../scripts/harness/codeServer';
import { CHROMIUM_ARGS, missingVsCodeTools, REPO_ROOT, tools } from '../../scripts/harness/tools';
import { DelveServer, startDelve } from '../support/dapClient';
import { installTestDelveAdapter } from '../support/delveAdapter';
import { stopAll } from '../support/goFixtures';
import { parseSize, until, Workbench } from './workbench';
import { packageVsix } from '../../scripts/harness/package';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

describe('debugging a Go program, in the UI', function () {
  this.timeout(240_000);
  let work: string;
  let server: CodeServer;
  let browser: Browser;
  let dlv: DelveServer;
  let wb: Workbench;

  before(async function () {
    const missing = missingVsCodeTools();
    if (missing) throw new Error(missing);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-debug-'));
    // A workspace with the program to debug and a launch configuration for a real Delve.
    const workspace = path.join(work, 'workspace');
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'go.mod'), path.join(workspace, 'go.mod'));
    fs.cpSync(path.join(FIXTURES, 'debugtarget'), path.join(workspace, 'debugtarget'), { recursive: true });
    dlv = await startDelve(tools().dlv, workspace);
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'launch.json'),
      JSON.stringify({
        version: '0.2.0',
        configurations: [{ type: 'memorywatch-test-dlv', request: 'launch', name: 'Debug the server', mode: 'debug', program: '${workspaceFolder}/debugtarget', output: path.join(work, '__debug_bin_server'), dlvPort: dlv.port }],
      }),
    );
    const stateDir = path.join(work, 'state');
    const vsix = path.join(work, 'memory-watch.vsix');
    packageVsix(vsix);
    await installVsix(stateDir, vsix);
    // The test-only debug type (its adapter connects to the dlv started above).
    await installTestDelveAdapter(stateDir, work);
    server = await startCodeServer({ stateDir, userSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'memoryWatch.sampleInterval': 500 } });
    browser = await chromium.launch({ executablePath: tools().chromium, args: CHROMIUM_ARGS });
    wb = new Workbench(await browser.newPage({ viewport: { width: 1400, height: 860 } }), path.join(REPO_ROOT, 'test-output', 'e2e', 'debug'));
    fs.rmSync(path.join(REPO_ROOT, 'test-output', 'e2e', 'debug'), { recursive: true, force: true });
    await wb.open(server.urlFor(workspace));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await dlv?.stop();
    await stopAll();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
  });

  it('F9, F5: the memory shows by itself; the breakpoint is a band; Free OS Memory goes through Delve', async () => {
    const page = wb.page;
    const line = fs.readFileSync(path.join(FIXTURES, 'debugtarget', 'main.go'), 'utf8').split('\n').findIndex((l) => l.includes('// BREAKPOINT')) + 1;
    // Open main.go, go to the line, toggle a breakpoint.
    await page.keyboard.press('Control+P');
    await wb.quickInput.fill('debugtarget/main.go');
    await wb.quickPickRow('main.go').waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines').first().waitFor();
    await page.keyboard.press('Control+G');
    await wb.quickInput.fill(`:${line}`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await until(() => page.locator('.statusbar-item', { hasText: `Ln ${line},` }).count(), (n) => n > 0, `the cursor on line ${line}`);
    await page.keyboard.press('F9');
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
    await wb.screenshot('breakpoint');

    // F5: no Memory Watch command at all.
    await page.keyboard.press('F5');
    const text = await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'the debuggee in the status bar', 180_000);
    assert.ok(parseSize(text) > 0);
    // Stopped at the breakpoint: the Memory view in Run and Debug shows it, paused. (A crowded
    // sidebar may start it collapsed: open it as a person would, by its header.)
    const header = page.locator('.pane-header', { hasText: /^Memory$/ }).first();
    await header.waitFor({ timeout: 60_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const view = wb.debugView;
    await until(() => view.locator('#watch-state').innerText(), (t) => t === 'paused', 'the Memory view to say paused', 60_000);
    await until(() => view.locator('#rss-now').innerText(), (t) => /MiB/.test(t), 'RSS in the Memory view');
    await wb.screenshot('debug-view-paused');

    // Free OS Memory from the view's button: through Delve, while stopped.
    await view.locator('#free-compact').click();
    const toast = wb.notification(/Released \d+\.\d MiB: RSS/);
    await toast.waitFor({ timeout: 30_000 });
    await wb.screenshot('released-through-delve');
    await wb.dismissNotifications();

    // The full graph shows the pause band and the release.
    await view.locator('#open-graph').click();
    await until(() => wb.graph.locator('#events').innerText(), (t) => /breakpoint/.test(t) && /−\d+\.\d MiB/.test(t), 'the band and the marker in the graph');
    await wb.screenshot('graph-with-pause-band');

    // Stop debugging: the watch ends, the graph keeps its data.
    await page.keyboard.press('Shift+F5');
    // Delve ends the program as the session ends: whichever Memory Watch sees first names the end.
    await until(() => wb.statusItem.innerText(), (t) => /session ended|exited/.test(t), 'the status bar to say the session or the program ended', 30_000);
    await until(() => wb.graph.locator('#events').innerText(), (t) => /session ended/.test(t), 'the "session ended" marker');
    await wb.screenshot('session-ended');
  });
});
