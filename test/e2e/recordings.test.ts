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
import { recordingFromSnapshot, serializeRecording } from '../../src/core/recording/write';
import { SERIES_COLUMNS, SeriesColumn } from '../../src/shared/series';
import { closeUiSession, openUiSession, packageExtension, screenshotIfFailed, UiSession } from './session';
import { FrameLocator } from 'playwright-core';
import { insideBox, until, Workbench } from './workbench';

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', 'high-contrast': 'Default High Contrast' } as const;

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  assert.deepStrictEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const MiB = 1024 * 1024;

/**
 * A 12 s run of a service ("burst-svc") written by the extension's own writer: 49 samples 250 ms
 * apart, RSS from 40 MiB up to 75 MiB and back, and one burst the samples missed — the kernel's
 * high-water mark (VmHWM) rose to 140.5 MiB between two of them (a `missedPeak`). What a person
 * gets when a burst is shorter than the sampling interval; written, not recorded, so the peak is
 * always there.
 */
function writeBurstRecording(file: string): { samples: number; durationMs: number } {
  const start = Date.parse('2026-12-01T10:00:00Z');
  const time: number[] = [];
  const columns = Object.fromEntries(SERIES_COLUMNS.map((c) => [c, [] as number[]])) as Record<SeriesColumn, number[]>;
  for (let i = 0; i < 49; i++) {
    time.push(start + i * 250);
    const rss = i < 12 ? 40 : i < 32 ? 75 : 45;
    for (const c of SERIES_COLUMNS) columns[c].push(NaN);
    columns.rss[i] = rss * MiB + i * 4096;
    columns.vsz[i] = 1200 * MiB;
    if (i === 20) columns.missedPeak[i] = 140.5 * MiB;
  }
  const recording = recordingFromSnapshot(
    { time, columns, events: [{ id: 1, time: start, kind: 'attach', label: 'attached', detail: 'Attached to burst-svc (PID 4242)' }] },
    { process: { name: 'burst-svc', pid: 4242, go: 'go1.26.8' }, settings: { sampleIntervalMs: 250, windowMs: 300_000 }, toolVersion: '0.0.0-test', createdAt: new Date(start + 13_000) },
  );
  fs.writeFileSync(file, serializeRecording(recording));
  return { samples: time.length, durationMs: time[time.length - 1] - time[0] };
}

/**
 * Why some cell of the comparison table cannot be read where it is shown, in the webview's
 * document: the table reaching past the window (below it only where the page scrolls), a cell outside its section with no scrolling
 * there for a person to use (a `hidden` overflow scrolls only for scripts), or a cell's text cut.
 */
async function unreadableCells(frame: FrameLocator): Promise<string[]> {
  return frame.locator('#comparison').evaluate((section) => {
    const problems: string[] = [];
    const win = { width: window.innerWidth, height: window.innerHeight };
    const box = section.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return ['the comparison is not shown'];
    if (box.left < -1 || box.right > win.width + 1) problems.push(`the section spans ${Math.round(box.left)}–${Math.round(box.right)} px of a ${win.width} px window`);
    // Below the window is fine when the page scrolls there (a person scrolls it with the wheel).
    const page = document.scrollingElement ?? document.documentElement;
    const pageScrolls = /auto|scroll/.test(getComputedStyle(document.body).overflowY) && page.scrollHeight > page.clientHeight;
    if (box.bottom > win.height + 1 && !pageScrolls) problems.push(`the section ends at ${Math.round(box.bottom)} px, below the ${win.height} px window, which does not scroll`);
    const style = getComputedStyle(section);
    const scrolls = { x: /auto|scroll/.test(style.overflowX), y: /auto|scroll/.test(style.overflowY) };
    for (const cell of Array.from(section.querySelectorAll<HTMLElement>('header, th, td, .value, .note'))) {
      const r = cell.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // Not laid out (a header row the narrow layout leaves out).
      const text = (cell.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      if ((r.left < box.left - 1 || r.right > box.right + 1) && !scrolls.x) problems.push(`"${text}" at ${Math.round(r.left)}–${Math.round(r.right)} px, outside the section's ${Math.round(box.left)}–${Math.round(box.right)} px`);
      if ((r.top < box.top - 1 || r.bottom > box.bottom + 1) && !scrolls.y) problems.push(`"${text}" at ${Math.round(r.top)}–${Math.round(r.bottom)} px, below the section's end at ${Math.round(box.bottom)} px`);
      if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`"${text}" cut: ${cell.scrollWidth} px of text in ${cell.clientWidth} px`);
    }
    return problems;
  });
}

/** "… 49 samples over 12 s (time axis 12 s) …" in the canvas's accessible name: what the axis spans against what the data spans. */
function axisAndData(label: string): { data: string; axis: string } | undefined {
  const m = /samples over ([^(]+?) \(time axis ([^)]+)\)/.exec(label);
  return m ? { data: m[1], axis: m[2] } : undefined;
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
      let burstWritten: { samples: number; durationMs: number };

      before(async () => {
        ws = path.join(work, `ws-${theme}`);
        // Written before the workspace opens, so Go to File lists it (a file written later may not be indexed in time).
        fs.mkdirSync(ws, { recursive: true });
        burstWritten = writeBurstRecording(path.join(ws, 'burst.memwatch.json'));
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
        // Zoomed, the points reach the plot's right edge: hovered there, the box goes left of the
        // point (tooltipPlacement's flip), inside the graph. The point is the sample nearest the
        // pointer (4 Hz, some tens of pixels apart here): the box ends 12 px left of it.
        const pointerX = box.x + box.width * 0.9;
        await wb.page.mouse.move(pointerX, box.y + box.height * 0.4);
        const hoverBox = recording.locator('#tooltip');
        const flipped = await until(
          () => hoverBox.boundingBox(),
          (b) => insideBox(b, box) && b.width > 0 && b.x + b.width <= pointerX + 30,
          `the hover box left of the pointer, within the graph ${JSON.stringify(box)}`,
          5000,
        );
        assert.ok(flipped!.x + flipped!.width > box.x + box.width * 0.5, 'beside the point, not across the graph');
        await wb.screenshot('zoomed-hover-right-edge');
        await recording.locator('#chart').dblclick();
        await until(() => recording.locator('#zoom-hint').innerText(), (t) => t === 'drag to zoom', 'back to everything');

        // Export CSV: samples, and markers beside them.
        const csv = path.join(ws, 'before.csv');
        await recording.locator('#export-csv').click();
        await wb.answerFileDialog(csv);
        // Said once both files are written (one that exists may still be empty: it is created, then written).
        await wb.notification(/exported before\.csv and before-markers\.csv/).waitFor({ timeout: 20_000 });
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

      /** The recording editor in front (the last webview of ours that is not the live graph's). */
      const recordingFrame = () => wb.page.frameLocator(`iframe.webview.ready[src*="extensionId=memorywatch.memory-watch"]`).last().frameLocator('#active-frame');

      async function openFile(name: string): Promise<FrameLocator> {
        await wb.runCommand('Go to File');
        await wb.quickInput.fill(name);
        await wb.quickPickRow(name).waitFor();
        // Clicked, not Enter: right after typing, the first row can still be the recently opened file.
        await wb.quickPickRow(name).click();
        // The tab shows the name and the extension in parts of their own.
        await until(() => wb.page.locator('.tab.active').innerText(), (t) => t.replace(/\s+/g, '').includes(name), `${name} in front`);
        const frame = recordingFrame();
        await until(() => frame.locator('#compact-name').textContent(), (t) => t !== null && t.includes(name.includes('burst') ? 'burst-svc' : 'sources-agent'), `${name}'s graph`);
        return frame;
      }

      /** Compare With… from the palette: its question names A; B is a recording file from the workspace, lined up at the start. */
      async function compareFromPalette(a: RegExp, file: string): Promise<void> {
        await wb.runCommand('Memory Watch: Compare With…');
        const title = await until(() => wb.page.locator('.quick-input-widget .quick-input-title').innerText(), (t) => /^Compare /.test(t), 'the question what to compare with');
        assert.match(title, a, 'Compare With… asks about the run in front');
        await wb.quickPickRow('Open a recording…').click();
        // Typed, not clicked: the dialog's list moves while it fills in (a click once landed on "..").
        await wb.answerFileDialog(path.join(ws, file));
        await wb.quickPickRow('At their start').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('At their start').click();
      }

      it('Compare With… from the palette with no graph open opens the graph and shows the comparison', async () => {
        await wb.runCommand('View: Close All Editors');
        await until(async () => wb.page.locator('.tab').count(), (n) => n === 0, 'no editor open');
        // The watches of the two runs are still listed (ended): the current one is A.
        await compareFromPalette(/^Compare sources-agent \(PID \d+\) with…/, 'before.memwatch.json');
        await until(() => wb.graph.locator('#comparison-title').innerText(), (t) => /sources-agent \(PID \d+\) compared with sources-agent \(before\.memwatch\.json\)/.test(t), 'the graph opened with the comparison', 20_000);
        await until(() => wb.graph.locator('#comparison').innerText(), (t) => /Peak RSS[\s\S]*\d+\.\d MiB[\s\S]*\d+\.\d MiB/.test(t), 'the table of what changed');
        await wb.screenshot('palette-compare-opened-graph');
      });

      it('a reopened recording\'s time axis fits its data', async () => {
        assert.strictEqual(burstWritten.durationMs, 12_000);
        await wb.runCommand('View: Close All Editors');
        const frame = await openFile('burst.memwatch.json');
        // The axis spans the run (12 s), not the live graph's 30 s minimum.
        const label = await until(() => frame.locator('#chart').getAttribute('aria-label'), (t) => axisAndData(t ?? '') !== undefined, 'the graph\'s accessible name with its time axis');
        const spans = axisAndData(label!)!;
        assert.strictEqual(spans.data, '12 s', label!);
        assert.strictEqual(spans.axis, spans.data, `the time axis fits the data: ${label}`);
        assert.match(label!, /highest peak between samples 140\.5 MiB/);
        await wb.screenshot('recording-fits-its-data');
      });

      it('Export as CSV… from the palette exports the recording in front', async () => {
        await openFile('burst.memwatch.json');
        const csv = path.join(ws, 'burst.csv');
        await wb.runCommand('Memory Watch: Export as CSV…');
        await wb.answerFileDialog(csv);
        await wb.notification(/exported burst\.csv and burst-markers\.csv/).waitFor({ timeout: 20_000 });
        assert.strictEqual(fs.readFileSync(csv, 'utf8').trim().split('\n').length - 1, burstWritten.samples, 'one row per sample of the recording in front, not the live watch\'s');
        await wb.dismissNotifications();
      });

      it('Compare With… from the palette compares the recording in front; the kernel\'s peaks are drawn and named', async () => {
        // before.memwatch.json in front: it is A; burst is B.
        const before = await openFile('before.memwatch.json');
        await compareFromPalette(/^Compare sources-agent \(before\.memwatch\.json\) with…/, 'burst.memwatch.json');
        await until(() => before.locator('#comparison-title').innerText(), (t) => /before\.memwatch\.json.*compared with.*burst\.memwatch\.json/.test(t), 'the comparison in the recording\'s editor', 20_000);
        // The table says whose peak is a sample and whose is the kernel's high-water mark.
        const peakRow = await before.locator('#comparison-rows tr', { hasText: 'Peak RSS' }).innerText();
        assert.match(peakRow, /140\.5 MiB[\s\S]*kernel/, `B's peak named as the kernel's: ${peakRow}`);
        assert.match(peakRow, /sampled|kernel[\s\S]*kernel/, `A's peak named too: ${peakRow}`);
        // B's peak between samples is drawn (and named in the graph's accessible name).
        const compared = await until(() => before.locator('#chart').getAttribute('aria-label'), (t) => /compared run's highest peak between samples/.test(t ?? ''), 'B\'s peak in the graph');
        assert.match(compared!, /compared run's highest peak between samples 140\.5 MiB/);
        await wb.screenshot('comparison-kernel-peak');
      });

      it('the comparison reads in a narrow editor group, at 320 px and maximized', async () => {
        // Two groups side by side, as when the graph opens beside the editor: burst on the left, before (with its comparison) on the right.
        await openFile('burst.memwatch.json');
        await openFile('before.memwatch.json');
        await wb.runCommand('View: Move Editor into Right Group');
        const frame = recordingFrame();
        const check = async (what: string, width: (w: number) => boolean) => {
          // Moved or resized, the editor shows its comparison again.
          await until(() => frame.locator('#comparison-title').innerText(), (t) => /compared with.*burst\.memwatch\.json/.test(t), `the comparison, ${what}`, 20_000);
          const iframe = wb.page.locator('iframe.webview.ready[src*="extensionId=memorywatch.memory-watch"]').last();
          const shown = await until(async () => (await iframe.boundingBox())?.width ?? 0, width, `the editor's width, ${what}`);
          await new Promise((r) => setTimeout(r, 500));
          await wb.screenshot(`comparison-${what}-${Math.round(shown)}px`);
          const problems = await unreadableCells(frame);
          assert.deepStrictEqual(problems, [], `${what} (${Math.round(shown)} px wide): every cell readable`);
          // Scrolled with the wheel, as a person reads the rest of the table.
          await frame.locator('#comparison-title').hover();
          await wb.page.mouse.wheel(0, 3000);
          await new Promise((r) => setTimeout(r, 500));
          await wb.screenshot(`comparison-${what}-scrolled`);
        };
        await check('narrow-group', (w) => w > 400 && w < 640);
        // The whole window narrower: the group is ≈ 320 px wide.
        await wb.page.setViewportSize({ width: 1000, height: 900 });
        await check('320', (w) => w >= 320 && w < 400);
        await wb.page.setViewportSize({ width: 1400, height: 900 });
        await wb.runCommand('View: Toggle Maximize Editor Group');
        await check('maximized', (w) => w > 900);
        await wb.runCommand('View: Toggle Maximize Editor Group');
      });
    });
  }
});
