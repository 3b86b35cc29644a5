/**
 * The Go heap in VS Code: Go figures are found with no configuration, the API and the status bar
 * show the source and the diagnosis, and "Add FreeOSMemory Hook to This Program" writes nothing
 * outside the workspace, whatever its argument says.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { WatchInfo } from '../../src/extension';
import { buildFixture, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

describe('the Go heap', function () {
  this.timeout(120_000);

  before(async () => {
    await setSetting('sampleInterval', 250);
  });

  after(async () => {
    await setSetting('sampleInterval', undefined);
  });

  afterEach(async () => {
    await detachAll(await getApi());
    await stopAll();
  });

  it('finds expvar by itself; the status bar and API name the source and the diagnosis', async () => {
    const api = await getApi();
    const bin = await buildFixture('sources/expvar');
    // GOGC=off with a memory limit: the runtime holds the freed spike (see test/integration/diagnosis.test.ts).
    const program = await startProgram(bin, ['-spike', '200'], /listening on/, { GOGC: 'off', GOMEMLIMIT: '1GiB' });
    await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
    const watch = await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.goFigures.state === 'found'), 'Go figures', 20_000);
    assert.match(watch.goFigures.text, /^Go figures: expvar at 127\.0\.0\.1:\d+\/debug\/vars$/);
    const diagnosed = await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.diagnosis?.kind === 'free-held'), 'the diagnosis', 20_000);
    assert.match(diagnosed.diagnosis!.message, /is free heap the Go runtime still holds/);
    // The status bar is brought up to date once a second: the tooltip follows within one.
    const tooltip = await waitFor(() => {
      const text = api.statusBar().tooltip;
      return /is free heap the Go runtime still holds/.test(text) ? text : undefined;
    }, 'the diagnosis in the tooltip', 3000).catch(() => api.statusBar().tooltip); // (the assertion below shows what it says)
    assert.match(tooltip, /is free heap the Go runtime still holds/);
    assert.match(tooltip, /Go: heap in use \d+\.\d (KiB|MiB) · free held \d+\.\d MiB · released/);
    assert.ok(api.series(diagnosed.id)!.columns.heapFree.some((v) => v > 100 * 2 ** 20), 'the series carries the Go classes');
  });

  it('Add FreeOSMemory Hook refuses a folder outside the workspace, whatever the argument says', async () => {
    // (Writing, after the question, is walked through in the UI suite; the files' protocol is
    // tested by building them into programs in test/integration/hook.test.ts.)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-addhook-'));
    try {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module addhook\n\ngo 1.22\n');
      fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'seedserver', 'main.go'), path.join(dir, 'main.go'));
      const written = await vscode.commands.executeCommand<string | undefined>('memoryWatch.addFreeOSMemoryHook', { folder: dir, confirmed: true });
      assert.strictEqual(written, undefined);
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['go.mod', 'main.go'], 'nothing was written');
      assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.addFreeOSMemoryHook', { folder: 42 }), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('an open graph at 10 Hz, its Go figures changing, gets one message a second and changes what it shows in one frame a second', async function () {
    this.timeout(90_000);
    const api = await getApi();
    await setSetting('sampleInterval', 100);
    try {
      const bin = await buildFixture('sources/expvar');
      // A steady leak: the diagnosis's figures (in the watch's summary) change every second.
      const program = await startProgram(bin, ['-leak', '256'], /listening on/);
      const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
      await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.goFigures.state === 'found' && w.diagnosis), 'Go figures and a diagnosis', 20_000);
      await vscode.commands.executeCommand('memoryWatch.showGraph');
      const drawn = await waitFor(() => {
        const r = api.graph().rendered;
        return r && r.watchId === info.id && r.points >= 20 ? r : undefined;
      }, 'the graph to draw', 20_000);
      // Opening draws more than once (the state, the first resize); then a redraw for another reason
      // (here a setting; a resize or the pointer alike) half a second after a batch of samples: the
      // batches that follow must still change the text and the graph in one frame, not the text in
      // the batch's frame and the graph in a frame of its own a little later.
      const settled = await waitFor(() => {
        const r = api.graph().rendered!;
        return r.lastTime >= drawn.lastTime + 2500 ? r : undefined;
      }, 'the graph to go on drawing', 10_000);
      // Batches go out with a sample, about a second apart: the newest sample drawn says their beat.
      const sinceBatch = (Date.now() - settled.lastTime) % 1000;
      await new Promise((resolve) => setTimeout(resolve, (1450 - sinceBatch) % 1000));
      await setSetting('window', 301);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // The webview reports what it drew at most every few seconds while only samples arrive: measured
      // between two reports at least 7 s apart.
      const before = api.graph().rendered!;
      const first = await waitFor(() => (api.graph().rendered!.lastTime > before.lastTime ? api.graph().rendered : undefined), 'a report of what was drawn', 10_000);
      const diagnoses = new Set<string>();
      const until = Date.now() + 20_000;
      while (Date.now() < until && api.graph().rendered!.lastTime < first.lastTime + 7000) {
        diagnoses.add(api.watches().find((w) => w.id === info.id)?.diagnosis?.message ?? '');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const last = api.graph().rendered!;
      const seconds = (last.lastTime - first.lastTime) / 1000;
      assert.ok(diagnoses.size >= 4, `the summaries changed while measured (diagnoses seen: ${[...diagnoses].join(' | ')})`);
      assert.ok(seconds >= 6, `${seconds} s of samples drawn`);
      // Each message crosses the workbench and two iframes, and each frame that changes what is shown
      // costs the browser a layout, paint and commit of the whole workbench (code-server): the samples
      // and the summaries that changed travel together, and what they change is shown in one frame.
      const messages = last.messages - first.messages;
      const draws = last.draws - first.draws;
      const frames = last.frames - first.frames;
      assert.ok(messages <= seconds + 1, `${messages} messages in ${seconds} s`);
      assert.ok(draws <= seconds + 1, `${draws} redraws in ${seconds} s`);
      assert.ok(frames <= seconds + 1, `${frames} frames that changed what is shown in ${seconds} s (${draws} redraws)`);
    } finally {
      await setSetting('sampleInterval', 250);
      await setSetting('window', undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
