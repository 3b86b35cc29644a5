/**
 * From the alert to the code, as a person does it: a real Prometheus holds a day of a fleet's
 * memory (20 replicas backfilled with promtool: a leak, a restart, an OOM kill, an outage). Open
 * from Prometheus from the palette — the server typed, the service and "all replicas" picked from
 * what the server has, the last 24 hours — shows the fleet with the OOM-killed replica, which
 * peaked highest, in full; the leaking replica is picked from the selector (its Go figures arrive,
 * the leak is named); then it is compared with a local run saved as a recording. In dark, light and high-contrast themes; screenshots in
 * test-output/e2e/history-<theme>/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { missingPrometheus } from '../../scripts/harness/tools';
import { backfillFleet, BackfillResult, DAY_OF_A_FLEET } from '../support/backfill';
import { buildFixture, startProgram, stopAll } from '../support/goFixtures';
import { PrometheusServer, startPrometheus, stopAllPrometheus } from '../support/prometheusServer';
import { closeUiSession, openUiSession, packageExtension, screenshotIfFailed, UiSession } from './session';
import { until, Workbench } from './workbench';

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', 'high-contrast': 'Default High Contrast' } as const;

describe('history from Prometheus, in the UI', () => {
  let vsix: string;
  let work: string;
  let day: BackfillResult;
  let server: PrometheusServer;

  before(async function () {
    this.timeout(240_000);
    const missing = missingPrometheus();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    ({ work, vsix } = packageExtension('history'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-history-'));
    day = await backfillFleet(dataDir, { ...DAY_OF_A_FLEET, replicas: 20 });
    server = await startPrometheus({ dataDir });
  });

  after(async () => {
    await stopAllPrometheus();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const [theme, themeName] of Object.entries(THEMES)) {
    describe(`${theme} theme`, function () {
      this.timeout(240_000);
      let session: UiSession | undefined;
      let wb: Workbench;
      let ws: string;

      before(async () => {
        ws = path.join(work, `ws-${theme}`);
        session = await openUiSession({ vsix, stateDir: path.join(work, `state-${theme}`), userSettings: { 'workbench.colorTheme': themeName, 'memoryWatch.sampleInterval': 250, 'files.simpleDialog.enable': true }, output: `history-${theme}`, folder: ws });
        wb = session.wb;
      });

      after(async () => {
        await closeUiSession(session);
        await stopAll();
      });

      afterEach(async function () {
        await screenshotIfFailed(this.currentTest, wb);
      });

      /** The history view's document: the last of our webviews opened. */
      const history = () => wb.page.frameLocator(`iframe.webview.ready[src*="extensionId=memorywatch.memory-watch"]`).last().frameLocator('#active-frame');

      it('saves a local run; opens the fleet from the palette, names the OOM-killed replica, picks the leaking one, and compares it with the local run', async () => {
        // A local run, saved as a recording, to compare with.
        const local = path.join(ws, 'local.memwatch.json');
        const target = await startProgram(await buildFixture('sources/agent'), [], /listening on 127\.0\.0\.1:(\d+)/, { MEMORYWATCH_AGENT_DIR: path.join(work, `agents-${theme}`) });
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(target.pid));
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');
        await new Promise((r) => setTimeout(r, 3000));
        await wb.runCommand('Memory Watch: Show Memory Graph');
        await until(() => wb.graph.locator('#watch-select').innerText(), (t) => t.includes(`PID ${target.pid}`), 'the graph of the local run');
        await wb.graph.locator('#save').click();
        await wb.answerFileDialog(local);
        await until(async () => fs.existsSync(local), (v) => v, 'the local recording on disk', 20_000);
        await wb.dismissNotifications();
        await target.stop();
        await wb.runCommand('View: Close All Editors');

        // The server, typed; the service and its replicas, as the server has them; the range.
        await wb.runCommand('Memory Watch: Open from Prometheus');
        await wb.waitForQuickPick('the server');
        await wb.quickInput.fill(server.url);
        await wb.page.keyboard.press('Enter');
        await wb.waitForQuickPick('the service');
        await wb.quickPickRow('api').waitFor({ timeout: 15_000 });
        await wb.page.keyboard.press('Enter');
        await wb.waitForQuickPick('the replicas');
        await wb.quickPickRow(/All replicas of api/).waitFor({ timeout: 15_000 });
        await wb.quickPickRow(/All replicas of api/).click();
        await wb.waitForQuickPick('the time range');
        await wb.quickPickRow('Last 24 hours').click();

        const view = history();
        await until(() => view.locator('#fleet-headline').innerText(), (t) => / peaked highest: \d/.test(t), 'the fleet drawn, its top replica named', 60_000);
        await until(() => view.locator('#watch-state').innerText(), (t) => t === 'history', 'the history badge');
        const options = await view.locator('#watch-select option').allInnerTexts();
        assert.strictEqual(options.length, 20, options.join('\n'));
        assert.strictEqual(await view.locator('#free').isVisible(), false, 'no Free OS Memory in a history');
        assert.match(await view.locator('#fleet-source').innerText(), /Prometheus at 127\.0\.0\.1:\d+ · \{job="api"\} · 24 h to .*, a point every 1 min/);
        // The other replicas, faint behind the one shown, named in the legend.
        await until(() => view.locator('#overlay-key').innerText(), (t) => t === '19 other replicas', 'the other replicas drawn behind');
        await wb.page.mouse.move(700, 880);
        await wb.screenshot('fleet');

        // The top replica, OOM-killed, is drawn in full at once; the selector names each one's kills.
        const oomPod = day.replicas[7].pod;
        const oomOption = options.find((o) => o.startsWith(oomPod));
        assert.ok(oomOption && /OOM-killed 1×/.test(oomOption), `the selector names its kill: ${oomOption}`);
        // The leaking replica, picked: its Go figures are read, and the leak is named.
        const leakPod = day.replicas[3].pod;
        const leakOption = options.find((o) => o.startsWith(leakPod))!;
        await view.locator('#watch-select').selectOption({ label: leakOption });
        await until(() => view.locator('#diagnosis-text').innerText(), (t) => /^At its peak \(.*\): Live heap grew \d+ %/.test(t), 'the leak named at its peak', 30_000);
        assert.match(await view.locator('#go-source').innerText(), /Go figures: the MemStats families/);
        await wb.page.mouse.move(700, 880);
        await wb.screenshot('leaking-replica');

        // Compare the replica with the local run.
        await view.locator('#compare').click();
        await wb.quickPickRow('Open a recording…').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('Open a recording…').click();
        await wb.quickPickRow('local.memwatch.json').waitFor({ timeout: 15_000 });
        await wb.quickPickRow('local.memwatch.json').click();
        const aligned = wb.quickPickRow('At their start');
        if (await aligned.isVisible().catch(() => false)) await aligned.click();
        await until(() => view.locator('#comparison').innerText(), (t) => /Peak RSS/.test(t), 'the table of what changed', 30_000);
        assert.match(await view.locator('#comparison-title').innerText(), new RegExp(`${leakPod} \\(Prometheus, 24 h .*compared with .*local\\.memwatch\\.json`));
        await wb.page.mouse.move(700, 880);
        await wb.screenshot('compared');
      });
    });
  }
});
