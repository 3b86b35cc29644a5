/// <reference lib="dom" />
/**
 * A person's path through Memory Watch in real VS Code (code-server + Chromium), by keyboard and
 * mouse, in dark, light and high-contrast themes: attach from the picker and by PID, RSS in the status bar
 * matches ps, the graph draws and rises under load, Free OS Memory reports the release and the
 * graph marks it, a bad PID gets a clear message. Screenshots of every step go to
 * test-output/e2e/<theme>/ — look at them.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';
import { CodeServer, installVsix, startCodeServer } from '../../scripts/harness/codeServer';
import { postHook } from '../../src/core/release/httpHook';
import { CHROMIUM_ARGS, missingVsCodeTools, REPO_ROOT, tools } from '../../scripts/harness/tools';
import { loadSeedServer, psRss, SeedServer, startSeedServer, stopAll } from '../support/goFixtures';
import { insideBox, parseSize, until, Workbench } from './workbench';
import { packageVsix } from '../../scripts/harness/package';

const MiB = 1024 * 1024;
const OUTPUT = path.join(REPO_ROOT, 'test-output', 'e2e');
const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', 'high-contrast': 'Default High Contrast' } as const;
const OUTPUT_UI = Object.keys(THEMES).map((theme) => path.join(OUTPUT, theme));

describe('the UI', () => {
  let vsix: string;

  before(function () {
    this.timeout(180_000);
    const missing = missingVsCodeTools();
    if (missing) throw new Error(missing);
    for (const dir of OUTPUT_UI) fs.rmSync(dir, { recursive: true, force: true });
    // The .vsix a user would install, built the way `npm run package` builds it.
    vsix = path.join(os.tmpdir(), `memory-watch-e2e-${process.pid}.vsix`);
    packageVsix(vsix);
  });

  after(() => fs.rmSync(vsix, { force: true }));

  for (const [theme, themeName] of Object.entries(THEMES)) {
    describe(`${theme} theme`, function () {
      this.timeout(120_000);
      let work: string;
      let server: CodeServer;
      let browser: Browser;
      let wb: Workbench;
      let target: SeedServer;

      before(async function () {
        this.timeout(180_000);
        work = fs.mkdtempSync(path.join(os.tmpdir(), `mw-e2e-${theme}-`));
        const workspace = path.join(work, 'workspace');
        fs.mkdirSync(workspace);
        fs.writeFileSync(path.join(workspace, 'main.go'), 'package main\n\nfunc main() {}\n');
        target = await startSeedServer();
        const stateDir = path.join(work, 'state');
        await installVsix(stateDir, vsix);
        server = await startCodeServer({
          stateDir,
          userSettings: {
            'workbench.colorTheme': themeName,
            'memoryWatch.sampleInterval': 500,
            'memoryWatch.freeOSMemory.url': `${target.baseUrl}/debug/freeosmemory`,
          },
        });
        browser = await chromium.launch({ executablePath: tools().chromium, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
        wb = new Workbench(page, path.join(OUTPUT, theme));
        await wb.open(server.urlFor(workspace));
      });

      afterEach(async function () {
        // What the screen looked like when a step failed.
        if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      });

      after(async () => {
        await browser?.close();
        await server?.stop();
        await stopAll();
        if (work) fs.rmSync(work, { recursive: true, force: true });
      });

      it('attaches from the picker; the status bar shows RSS within 10 % of ps', async () => {
        await wb.screenshot('workbench');
        await wb.runCommand('Memory Watch: Attach Memory Watch');
        await wb.waitForQuickPick('Attach Memory Watch');
        await wb.quickPickRow(`PID ${target.pid}`).waitFor({ timeout: 20_000 });
        await wb.screenshot('picker');
        await wb.quickInput.fill('seedserver');
        const row = wb.quickPickRow(`PID ${target.pid}`);
        await row.waitFor();
        assert.match(await row.innerText(), /seedserver[\s\S]*Go \d+\.\d+/);
        await wb.screenshot('picker-filtered');
        await wb.page.keyboard.press('Enter');
        const text = await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');
        const ours = parseSize(text);
        const ps = await psRss(target.pid);
        assert.ok(Math.abs(ours / ps - 1) <= 0.1, `status bar ${text} vs ps ${ps / MiB} MiB`);
        await wb.statusItem.hover();
        await wb.page.locator('.monaco-hover', { hasText: `PID ${target.pid}` }).first().waitFor({ timeout: 10_000 });
        await wb.screenshot('status-bar-tooltip');
        await wb.page.mouse.move(700, 400);
      });

      it('shows the graph, which rises under load', async () => {
        await wb.runCommand('Memory Watch: Show Memory Graph');
        const now = wb.graph.locator('#rss-now');
        const before = parseSize(await until(() => now.innerText(), (t) => /MiB/.test(t), 'the graph readout'));
        // The canvas really has a picture on it (not just a background).
        const painted = await until(
          () =>
            wb.graph.locator('#chart').evaluate((canvas: HTMLCanvasElement) => {
              const ctx = canvas.getContext('2d')!;
              const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
              const colours = new Set<number>();
              for (let i = 0; i < data.length; i += 4 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
              return colours.size;
            }),
          (n) => n > 5,
          'the chart to be drawn',
        );
        assert.ok(painted > 5);
        await wb.screenshot('graph');
        // Load until a sample catches it: one burst is over in a fraction of a second (Go returns
        // most of it soon after), so a single burst can fall between two samples.
        const loading = { stopped: false };
        const load = (async () => {
          while (!loading.stopped) await loadSeedServer(target.port);
        })();
        try {
          const after = await until(async () => parseSize(await now.innerText()), (v) => v - before > 50 * MiB, 'RSS to rise in the graph', 30_000);
          assert.ok(after > before);
        } finally {
          loading.stopped = true;
          await load;
        }
        assert.match(await wb.graph.locator('#rss-max').innerText(), /MiB/);
        // Hover in the middle of the chart: time and values.
        // Bounding boxes of elements in frames are in page coordinates already.
        const canvasBox = (await wb.graph.locator('#chart').boundingBox())!;
        await wb.page.mouse.move(canvasBox.x + canvasBox.width * 0.8, canvasBox.y + canvasBox.height / 2);
        const tooltip = wb.graph.locator('#tooltip');
        await until(() => tooltip.innerText(), (t) => /\d\d:\d\d:\d\d[\s\S]*RSS \d/.test(t), 'the hover tooltip');
        await wb.screenshot('graph-loaded-hover');
        // Near either edge, the box stays within the graph (tooltipPlacement, unit-tested, says where).
        const placed = async (pointerX: number) => {
          await wb.page.mouse.move(pointerX, canvasBox.y + canvasBox.height / 2);
          await until(() => tooltip.boundingBox(), (b) => insideBox(b, canvasBox), `the hover box within the graph ${JSON.stringify(canvasBox)}`, 5000);
        };
        await placed(canvasBox.x + canvasBox.width * 0.9);
        await placed(canvasBox.x + canvasBox.width * 0.12);
        await wb.screenshot('graph-loaded-hover-left');
        await wb.page.mouse.move(canvasBox.x - 40, canvasBox.y - 40);
      });

      it('frees OS memory: a notification reports the release and the graph marks it', async () => {
        await wb.runCommand('Memory Watch: Free OS Memory');
        const toast = wb.notification(/Released \d+\.\d MiB: RSS/);
        await toast.waitFor({ timeout: 20_000 });
        const message = await toast.innerText();
        const m = /Released \d+\.\d MiB: RSS (\d+\.\d) → (\d+\.\d) MiB in (\d+ ms|\d+\.\d s)/.exec(message);
        assert.ok(m, message);
        assert.ok(Number(m[2]) <= Number(m[1]) / 2, `FreeOSMemory should at least halve the loaded RSS: ${message}`);
        const events = await until(() => wb.graph.locator('#events').innerText(), (t) => /−\d+\.\d MiB/.test(t), 'the release marker');
        assert.match(events, /attached/);
        await wb.screenshot('released');
        await wb.dismissNotifications();
      });

      it('marks a burst that came and went between two samples', async () => {
        // A burst above the process's highest RSS so far, returned at once: no sample sees its
        // top, the OS high-water mark does. Each try goes higher (only a new high shows), in case
        // a sample happened to land on the top.
        // The canvas's accessible name carries the highest one (the picture itself is pixels).
        const highest = async () => parseSize(/highest peak between samples ([\d.]+ \w+)/.exec((await wb.graph.locator('#chart').getAttribute('aria-label')) ?? '')?.[1] ?? '');
        let shown = false;
        for (let mib = 320; !shown && mib <= 640; mib += 160) {
          const answer = await postHook(new URL(`${target.baseUrl}/fixture/burst?mib=${mib}`), [], 10_000);
          assert.strictEqual(answer.status, 200, answer.body);
          shown = await until(highest, (v) => v >= mib * MiB, `a peak of ${mib} MiB between samples`, 3000).then(
            () => true,
            () => false,
          );
        }
        assert.ok(shown, 'a burst between samples is drawn');
        assert.ok(await wb.graph.locator('#missed-peak-key').isVisible(), 'and named in the legend');
        // The Peak RSS readout is the same high-water mark: it says so too (it kept an older peak).
        const drawn = await highest();
        await until(async () => parseSize(await wb.graph.locator('#peak').innerText()), (v) => v >= drawn, `the Peak RSS readout at ${drawn} bytes`, 5000);
        await wb.screenshot('peak-between-samples');
      });

      it('attaches by typing a PID, and explains a PID that does not exist', async () => {
        await wb.runCommand('Memory Watch: Detach Memory Watch');
        await until(() => wb.statusItem.isVisible(), (visible) => !visible, 'the status bar item to hide after detach');
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(target.pid));
        await wb.quickPickRow(`Attach to PID ${target.pid}`).waitFor();
        await wb.screenshot('attach-by-pid');
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');

        const dead = 4_194_000 + (process.pid % 300);
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(dead));
        await wb.quickPickRow(`Attach to PID ${dead}`).waitFor();
        await wb.page.keyboard.press('Enter');
        await wb.notification(new RegExp(`No process with PID ${dead}`)).waitFor({ timeout: 10_000 });
        await wb.screenshot('bad-pid');
      });
    });
  }
});
