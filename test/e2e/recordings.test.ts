/**
 * Keep, share and compare what you saw, as a person does it: watch a service, save the run, run
 * it again, open the first recording (the read-only graph), compare it with the second (both on
 * one time axis, the table of what changed), zoom in and back, export CSV and a PNG. In dark,
 * light and high-contrast themes; screenshots in test-output/e2e/recordings-<theme>/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildFixture, loadSeedServer, startProgram, stopAll } from '../support/goFixtures';
import { closeUiSession, openUiSession, packageExtension, screenshotIfFailed, UiSession } from './session';
import { until, Workbench } from './workbench';

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', 'high-contrast': 'Default High Contrast' } as const;

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  assert.deepStrictEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('recordings, in the UI', () => {
  let vsix: string;
  let work: string;

  before(function () {
    this.timeout(180_000);
    ({ work, vsix } = packageExtension('rec'));
  });

  after(() => work && fs.rmSync(work, { recursive: true, force: true }));

  for (const [theme, themeName] of Object.entries(THEMES)) {
    describe(`${theme} theme`, function () {
      this.timeout(240_000);
      let session: UiSession | undefined;
      let wb: Workbench;
      let ws: string;

      before(async () => {
        ws = path.join(work, `ws-${theme}`);
        session = await openUiSession({ vsix, stateDir: path.join(work, `state-${theme}`), userSettings: { 'workbench.colorTheme': themeName, 'memoryWatch.sampleInterval': 250, 'files.simpleDialog.enable': true }, output: `recordings-${theme}`, folder: ws });
        wb = session.wb;
      });

      after(async () => {
        await closeUiSession(session);
        await stopAll();
      });

      afterEach(async function () {
        await screenshotIfFailed(this.currentTest, wb);
      });

      /** One run of the service: attach, load, and Free OS Memory; then save it from the graph. */
      async function recordRun(file: string, requests: number): Promise<void> {
        // A service with the agent: Free OS Memory goes through it (no hook URL to set).
        const target = await startProgram(await buildFixture('sources/agent'), [], /listening on 127\.0\.0\.1:(\d+)/, { MEMORYWATCH_AGENT_DIR: path.join(work, 'agents') });
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(target.pid));
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');
        await wb.runCommand('Memory Watch: Show Memory Graph');
        await until(() => wb.graph.locator('#watch-select').innerText(), (t) => t.includes(`PID ${target.pid}`), 'the graph of this run');
        await until(() => wb.graph.locator('#go-source').innerText(), (t) => /Memory Watch agent/.test(t), 'the agent found');
        await loadSeedServer(Number(target.match![1]), { requests, concurrency: 8 });
        await new Promise((r) => setTimeout(r, 1500));
        await wb.graph.locator('#free').click();
        await wb.notification(/Released \d+\.\d MiB|No measurable release/).waitFor({ timeout: 20_000 });
        await new Promise((r) => setTimeout(r, 1500));
        await wb.dismissNotifications();
        await wb.graph.locator('#save').click();
        await wb.answerFileDialog(file);
        await until(async () => fs.existsSync(file), (v) => v, `${file} on disk`);
        await wb.dismissNotifications();
        await target.stop();
      }

      it('saves two runs, opens the first read-only, compares them, zooms, exports CSV and PNG', async () => {
        const first = path.join(ws, 'before.memwatch.json');
        const second = path.join(ws, 'after.memwatch.json');
        await recordRun(first, 48);
        await recordRun(second, 12);
        const saved = JSON.parse(fs.readFileSync(first, 'utf8')) as { format: string; columns: { rss: { values: unknown[] } }; events: { kind: string; bytes?: number }[] };
        assert.strictEqual(saved.format, 'memwatch-recording');
        assert.ok(saved.events.some((e) => e.kind === 'release' && typeof e.bytes === 'number'), 'the release marker with its bytes');

        // Open the first: the same graph, read-only.
        await wb.runCommand('Go to File');
        await wb.quickInput.fill('before.memwatch.json');
        await wb.quickPickRow('before.memwatch.json').waitFor();
        await wb.page.keyboard.press('Enter');
        const recording = wb.page.frameLocator(`iframe.webview.ready[src*="extensionId=memorywatch.memory-watch"]`).last().frameLocator('#active-frame');
        await until(() => recording.locator('#watch-state').innerText(), (t) => t === 'recording', 'the recording badge');
        assert.strictEqual(await recording.locator('#free').isVisible(), false, 'no Free OS Memory in a recording');
        assert.strictEqual(await recording.locator('#attach').isVisible(), false, 'no Attach in a recording');
        await until(() => recording.locator('#events').innerText(), (t) => /−\d+\.\d MiB|no change/.test(t), 'the release marker');
        await wb.screenshot('recording');

        // Compare with the second run, from its file.
        await recording.locator('#compare').click();
        await wb.quickPickRow('Open a recording…').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('Open a recording…').click();
        // The open dialog lists the workspace folder: pick the file from the list, as a person would.
        await wb.quickPickRow('after.memwatch.json').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('after.memwatch.json').click();
        // Both runs have an "attached" marker: the alignment question comes.
        await wb.quickPickRow('At their start').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('At their start').click();
        await until(() => recording.locator('#comparison').innerText(), (t) => /Peak RSS[\s\S]*[+−]\d+\.\d MiB/.test(t), 'the table of what changed', 20_000);
        assert.match(await recording.locator('#comparison-title').innerText(), /before\.memwatch\.json.*compared with.*after\.memwatch\.json/);
        await wb.screenshot('comparison');

        // Zoom: drag across the middle, then double-click back.
        const box = (await recording.locator('#chart').boundingBox())!;
        await wb.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
        await wb.page.mouse.down();
        await wb.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
        await wb.page.mouse.up();
        await until(() => recording.locator('#zoom-hint').innerText(), (t) => /^zoomed/.test(t), 'zoomed');
        await wb.screenshot('zoomed');
        await recording.locator('#chart').dblclick();
        await until(() => recording.locator('#zoom-hint').innerText(), (t) => t === 'drag to zoom', 'back to everything');

        // Export CSV: samples, and markers beside them.
        const csv = path.join(ws, 'before.csv');
        await recording.locator('#export-csv').click();
        await wb.answerFileDialog(csv);
        await until(async () => fs.existsSync(path.join(ws, 'before-markers.csv')), (v) => v, 'both CSV files');
        const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
        assert.match(rows[0], /^time_ms,time_iso,rss_bytes,vsz_bytes/);
        assert.strictEqual(rows.length - 1, saved.columns.rss.values.length, 'one row per sample');

        // Export PNG: the graph as shown, at the canvas's size (plus its title line).
        const png = path.join(ws, 'before.png');
        await recording.locator('#export-png').click();
        await wb.answerFileDialog(png);
        await until(async () => fs.existsSync(png) && fs.statSync(png).size > 1000, (v) => v, 'the PNG');
        const size = pngSize(png);
        const canvas = (await recording.locator('#chart').boundingBox())!;
        assert.ok(Math.abs(size.width - canvas.width) <= 2 && size.height > canvas.height, `PNG ${size.width}×${size.height}, canvas ${canvas.width}×${canvas.height}`);
        await wb.dismissNotifications();
      });
    });
  }
});
