/**
 * Who holds the heap, as a person sees it, in the dark, light and high-contrast themes: attach to
 * the leaker (a real leak in store.go:22), "Show Heap Profile", the leaking line on top with the
 * size `go tool pprof` gives for the profile saved from the view; a baseline, more leak, Refresh:
 * "+11.7 MiB" on that row, first in the Growth order; a click opens store.go at line 22 with the
 * inline hint at its end; the graph's diagnosis names that line and links back to the view. A
 * program with no profile to give says what to add. Screenshots of each step in
 * test-output/e2e/heap-<theme>/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FrameLocator } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/harness/tools';
import { buildFixture, httpText, startProgram, stopAll } from '../support/goFixtures';
import { closeToPprof, goToolPprofTop } from '../support/pprofTop';
import { closeUiSession, openUiSession, packageExtension, screenshotIfFailed, UiSession } from './session';
import { EXTENSION_ID, parseSize, until, Workbench } from './workbench';

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' } as const;
const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** The heap view's document: our webview panel (this suite opens no other). */
function heapFrame(wb: Workbench): FrameLocator {
  return wb.page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]:not([src*="purpose=webviewView"])`).frameLocator('#active-frame');
}

/**
 * The inline hints in the editors: `after` decorations are the CSS content of their spans. Each
 * with whether all of it is on screen (left of the minimap, inside the editor).
 */
async function editorHints(wb: Workbench): Promise<{ text: string; visible: boolean }[]> {
  return wb.page.evaluate(() => {
    const out: { text: string; visible: boolean }[] = [];
    for (const editor of Array.from(document.querySelectorAll('.monaco-editor'))) {
      const guard = editor.querySelector('.overflow-guard')?.getBoundingClientRect();
      const minimap = editor.querySelector('.minimap')?.getBoundingClientRect();
      if (!guard) continue;
      const right = Math.min(guard.right, minimap && minimap.width > 0 ? minimap.left : Infinity);
      for (const span of Array.from(editor.querySelectorAll('.view-lines span'))) {
        const after = getComputedStyle(span, '::after').content;
        if (!after || after === 'none' || after === 'normal' || !/in use/.test(after)) continue;
        const box = span.getBoundingClientRect();
        out.push({ text: after.replace(/^"|"$/g, '').replace(/\u00a0/g, ' '), visible: box.width > 0 && box.left >= guard.left && box.right <= right + 1 });
      }
    }
    return out;
  });
}

describe('who holds the heap, in the UI', () => {
  let vsix: string;
  let work: string;

  before(function () {
    this.timeout(180_000);
    ({ work, vsix } = packageExtension('heap'));
  });

  after(() => work && fs.rmSync(work, { recursive: true, force: true }));

  for (const [theme, themeName] of Object.entries(THEMES)) {
    describe(`${theme} theme`, function () {
      this.timeout(180_000);
      let session: UiSession | undefined;
      let wb: Workbench;

      before(async () => {
        // The fixtures' folder is the workspace: the leaker's files are workspace files.
        session = await openUiSession({ vsix, stateDir: path.join(work, `state-${theme}`), userSettings: { 'workbench.colorTheme': themeName, 'memoryWatch.sampleInterval': 500 }, output: `heap-${theme}`, folder: FIXTURES });
        wb = session.wb;
      });

      after(async () => {
        await closeUiSession(session);
        await stopAll();
      });

      afterEach(async function () {
        await screenshotIfFailed(this.currentTest, wb);
      });

      it('the leak on top, its growth after a baseline, a click to store.go:22 with the inline hint', async () => {
        const target = await startProgram(await buildFixture('leaker'), [], /leaker listening on 127\.0\.0\.1:(\d+)/);
        const base = `http://127.0.0.1:${target.match![1]}`;
        await httpText(`${base}/leak?n=2000`);
        await httpText(`${base}/churn?n=200&size=262144`);
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(target.pid));
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');

        await wb.runCommand('Memory Watch: Show Heap Profile');
        const heap = heapFrame(wb);
        const firstRow = heap.locator('#heap-table tbody tr').first();
        await until(() => firstRow.locator('td.fn .name').innerText(), (t) => t === 'store.(*Store).Add', 'the leaking function on top', 40_000);
        assert.strictEqual(await firstRow.locator('td.fn .name').getAttribute('title'), STORE_ADD, 'the full name on hover');
        assert.strictEqual(await firstRow.locator('td.fn .loc').innerText(), 'store.go:22');
        assert.match((await firstRow.locator('td.fn .loc').getAttribute('title'))!, /^leaker[\\/]store[\\/]store\.go:22$/, 'the workspace file on hover');
        assert.match(await heap.locator('#heap-source').innerText(), /^net\/http\/pprof at 127\.0\.0\.1:\d+ · refreshes every 10 s while shown$/);
        await wb.screenshot('heap-view');

        // Save the profile from the view; go tool pprof reads the very file.
        const saved = path.join(work, `heap-${theme}.pb.gz`);
        await heap.locator('#heap-save').click();
        await until(() => wb.quickInput.isVisible(), (v) => v, 'the save dialog');
        await wb.quickInput.fill(saved);
        await wb.screenshot('save-dialog');
        // The dialog (VS Code's simple file dialog) updates its list as the path is typed: its OK
        // button, once the value is ours, is what a person presses; pressed again if it was too early.
        await until(
          async () => {
            if (await wb.quickInput.isVisible()) {
              if ((await wb.quickInput.inputValue()) !== saved) await wb.quickInput.fill(saved);
              await wb.page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ }).first().click({ timeout: 2000 });
            }
            return fs.existsSync(saved) && fs.statSync(saved).size > 0;
          },
          (v) => v,
          'the saved profile',
          20_000,
          1000,
        );
        await until(() => heap.locator('#heap-notice').innerText(), (t) => t.startsWith(`Saved ${path.basename(saved)}`), 'the view says it saved');
        const pprof = await goToolPprofTop(saved, ['-lines']);
        assert.deepStrictEqual([pprof.rows[0].functionName, pprof.rows[0].line], [STORE_ADD, 22]);
        const shown = parseSize(await firstRow.locator('td.size').innerText());
        // Shown with one decimal: pprof's figure within 5 % (and the display's rounding).
        assert.ok(closeToPprof(shown, pprof.rows[0].flat, 0.05 * 2 ** 20), `shown ${shown} vs pprof ${pprof.rows[0].flat}`);

        // A baseline, more leak, Refresh: the change on that row, with its sign.
        await heap.locator('#heap-set-baseline').click();
        await until(() => heap.locator('#heap-baseline').innerText(), (t) => t.startsWith('This profile is the baseline'), 'the baseline set');
        await httpText(`${base}/leak?n=3000`);
        await heap.locator('#heap-refresh').click();
        await until(() => heap.locator('#heap-baseline').innerText(), (t) => /^Since the baseline of \d\d:\d\d:\d\d: \+1\d\.\d MiB in use/.test(t), 'the change since the baseline', 30_000);
        await until(() => firstRow.locator('td.change').innerText(), (t) => t === '+11.7 MiB', '"+11.7 MiB" on the leaking row');
        assert.match(await heap.locator('#heap-growth').innerText(), /^(9\d|100) % of the growth \(\+1\d\.\d MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)\.$/);
        await wb.screenshot('after-refresh');

        await heap.locator('button[data-order="growth"]').click();
        await until(() => heap.locator('button[data-order="growth"]').getAttribute('aria-pressed'), (v) => v === 'true', 'Growth order');
        assert.match(await firstRow.innerText(), /store\.\(\*Store\)\.Add[\s\S]*store\.go:22[\s\S]*\+11\.7 MiB/);
        await wb.screenshot('growth-order');


        // A click on the row: store.go, the cursor on line 22, the hint at the end of the line (the
        // side bar closed first, as one would, so the line and its hint fit beside the view).
        await wb.runCommand('View: Close Primary Side Bar');
        await firstRow.click();
        await until(() => wb.page.locator('#workbench\\.parts\\.statusbar [id="status.editor.selection"]').innerText(), (t) => /^Ln 22, Col \d+/.test(t), 'the cursor on line 22');
        await until(() => wb.page.locator('.tabs-container .tab.active').allInnerTexts(), (t) => t.some((x) => x.replace(/\s+/g, '') === 'store.go'), 'store.go in an active tab');
        const hint = /^▲ 19\.5 MiB in use, \+11\.7 MiB$/;
        await until(() => editorHints(wb), (h) => h.some((x) => hint.test(x.text)), 'the inline hint on the line');
        // Beside the heap view the line's end may be off screen: the editor group maximized shows it whole.
        await wb.runCommand('View: Toggle Maximize Editor Group');
        await until(() => editorHints(wb), (h) => h.some((x) => hint.test(x.text) && x.visible), 'the whole hint on screen');
        await wb.page.mouse.move(5, 450);
        await wb.screenshot('editor-hint');
        await wb.runCommand('View: Toggle Maximize Editor Group');
        // The graph's diagnosis names the leaking line (19.5 MiB live is past the 16 MiB it needs) and
        // links to the heap view. The heap view closed first: one of our webviews at a time, for the locators.
        await wb.runCommand('View: Close All Editors');
        await wb.runCommand('Memory Watch: Show Memory Graph');
        const diagnosis = await until(() => wb.graph.locator('#diagnosis-text').innerText(), (t) => /of the growth/.test(t), 'the diagnosis naming the leak', 30_000);
        assert.match(diagnosis, /^Live heap is \d+\.\d MiB of \d+\.\d MiB RSS — memory the program is using now\. (9\d|100) % of the growth \(\+1\d\.\d MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)\.$/);
        await wb.screenshot('graph-diagnosis');
        await wb.graph.locator('#diagnosis-heap').click();
        await until(() => wb.page.locator('.tabs-container .tab.active').allInnerTexts(), (t) => t.some((x) => x.startsWith(`Heap: leaker (${target.pid})`)), 'the heap view from the link');
        await wb.screenshot('heap-from-diagnosis');
        await wb.runCommand('View: Close All Editors');
      });

      it('a program with no heap profile: the view says what to add', async () => {
        const target = await startProgram(await buildFixture('sources/none'), [], /listening on/);
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(target.pid));
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'the new watch in the status bar');
        await wb.runCommand('Memory Watch: Show Heap Profile');
        const heap = heapFrame(wb);
        await until(() => heap.locator('#heap-title').innerText(), (t) => t === `Heap of sources-none (PID ${target.pid})`, 'the view on that program');
        // Discovery takes a moment; Refresh asks again.
        const problem = await until(
          async () => {
            const text = await heap.locator('#heap-problem').innerText();
            if (/Looking for/.test(text)) await heap.locator('#heap-refresh').click();
            return text;
          },
          (t) => /^No heap profile to read: .*Add import _ "net\/http\/pprof" to the program/.test(t),
          'the line to add',
          40_000,
          1000,
        );
        assert.match(problem, /import _ "github\.com\/memorywatch\/memory-watch\/agent\/autostart"/);
        assert.strictEqual(await heap.locator('#heap-problem code').first().innerText(), 'import _ "net/http/pprof"');
        await wb.screenshot('no-source');
      });
    });
  }
});
