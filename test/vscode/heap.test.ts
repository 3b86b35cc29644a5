/**
 * Who holds the heap, inside VS Code: "Show Heap Profile" on the leaker opens the heap view, whose
 * webview draws the leaking line first; a click on the row (the view's own message, through the
 * API) opens store.go at that line; the inline hint sits at its end, shows the growth after a
 * baseline, goes with the setting and with the view. A standard library row opens read-only.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import * as vscode from 'vscode';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import { buildFixture, httpText, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

const execFileAsync = promisify(execFile);
const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const STORE_GO = path.join(REPO_ROOT, 'test', 'fixtures', 'leaker', 'store', 'store.go');

/** Go's caches as the test runner has them (the extension host runs with another HOME). */
function goCaches(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['GOCACHE', 'GOPATH', 'GOMODCACHE'] as const) if (process.env[`MEMORY_WATCH_${key}`]) env[key] = process.env[`MEMORY_WATCH_${key}`]!;
  return env;
}

function heapView(api: MemoryWatchApi) {
  assert.ok(api.heapView, 'the API has heapView()');
  return api.heapView();
}

describe('the heap view', function () {
  this.timeout(120_000);

  before(async () => {
    await setSetting('sampleInterval', 250);
  });

  after(async () => {
    await setSetting('sampleInterval', undefined);
    await setSetting('heapProfile.inlineHints', undefined);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await detachAll(await getApi());
    await stopAll();
  });

  it('opens on the leaker; a click on the leaking row opens store.go at that line, with its inline hint', async () => {
    const api = await getApi();
    const program = await startProgram(await buildFixture('leaker'), [], /leaker listening on 127\.0\.0\.1:(\d+)/);
    const base = `http://127.0.0.1:${program.match![1]}`;
    await httpText(`${base}/leak?n=2000`);
    const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
    await waitFor(() => api.watches().find((w) => w.id === info.id && w.goFigures.state === 'found'), 'the leaker’s net/http/pprof', 20_000);

    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.showHeapProfile', { watchId: info.id }), true);
    // The webview itself reports what it drew: the leaking line first.
    const rendered = await waitFor(() => {
      const r = heapView(api).rendered;
      return r && r.rows.length && r.rows[0].functionName === STORE_ADD ? r : undefined;
    }, 'the view to draw the leak first', 30_000);
    assert.deepStrictEqual([rendered.sample, rendered.grouping, rendered.order], ['inuse', 'site', 'size']);
    const leak = rendered.rows[0];
    assert.deepStrictEqual([leak.location, leak.line, leak.source.found], ['store.go:22', 22, true]);
    assert.strictEqual(Math.floor(leak.flat.inuseBytes / 4096), 2000);
    const view = heapView(api);
    assert.strictEqual(view.watchId, info.id);
    assert.match(view.state!.source!, /^net\/http\/pprof at 127\.0\.0\.1:\d+$/);

    // The row's click, as the webview posts it.
    await view.receive({ type: 'open', list: 'sites', key: leak.key });
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath === STORE_GO ? vscode.window.activeTextEditor : undefined), 'store.go in the editor');
    assert.strictEqual(editor.selection.active.line, 21, 'the cursor on line 22');
    assert.match(editor.document.lineAt(21).text, /record := make\(\[\]byte, RecordSize\)/);
    assert.strictEqual(editor.document.uri.scheme, 'file', 'a workspace-or-local file opens as itself (editable)');
    const hint = await waitFor(() => heapView(api).hints.find((h) => h.file === STORE_GO), 'the inline hint');
    assert.strictEqual(hint.line, 22);
    assert.match(hint.text, /^▲ 7\.8 MiB in use$/);

    // A baseline, more leak, Refresh: the hint says the growth, with its sign.
    await heapView(api).receive({ type: 'setBaseline' });
    await httpText(`${base}/leak?n=1000`);
    await heapView(api).receive({ type: 'refresh' });
    const grown = await waitFor(() => heapView(api).hints.find((h) => h.file === STORE_GO && h.text.includes(',')), 'the hint with the growth');
    assert.match(grown.text, /^▲ 11\.7 MiB in use, \+3\.9 MiB$/);
    // The growth is that of every site that grew: the leak's 3.9 MiB, and what the program's own
    // requests left in use meanwhile (some KiB: it read "+4.0 MiB" twice in CI).
    assert.match(heapView(api).state!.comparison!.topGrower!, /^(9\d|100) % of the growth \(\+(3\.9|4\.0) MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)$/);

    // Past 16 MiB the live heap is the diagnosis, and the diagnosis names the code the profile found
    // (in the graph, with a link to this view, and in the status bar's tooltip).
    await httpText(`${base}/leak?n=2000`);
    await heapView(api).receive({ type: 'refresh' });
    const diagnosed = await waitFor(() => {
      const d = api.watches().find((w) => w.id === info.id)?.diagnosis;
      return d && /of the growth/.test(d.message) ? d : undefined;
    }, 'the diagnosis naming the leaking line', 30_000);
    assert.strictEqual(diagnosed.kind, 'live-heap');
    assert.strictEqual(diagnosed.heapProfile, true, 'the graph offers the heap view');
    assert.match(diagnosed.message, /^Live heap is \d+\.\d MiB of \d+\.\d MiB RSS — memory the program is using now\. \d+ % of the growth \(\+11\.\d MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)\.$/);
    // The tooltip is Markdown: the name arrives escaped.
    await waitFor(() => /of the growth .* at store\.\(\*Store\)\.Add \(store\.go:22\)/.test(api.statusBar().tooltip.replace(/\\/g, '')), 'the finding in the tooltip');

    // The setting turns the hints off (and on again); closing the view clears them.
    await setSetting('heapProfile.inlineHints', false);
    await waitFor(() => heapView(api).hints.length === 0, 'no hints with the setting off');
    await setSetting('heapProfile.inlineHints', undefined);
    await waitFor(() => heapView(api).hints.length > 0, 'the hints back');
    await vscode.commands.executeCommand('memoryWatch.showHeapProfile', { watchId: info.id });
    await waitFor(() => heapView(api).visible, 'the view in front');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor(() => !heapView(api).open, 'the view closed');
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === STORE_GO), 'store.go is still visible');
    assert.deepStrictEqual(heapView(api).hints, [], 'no hints without the view');
  });

  it('a standard library row opens read-only; a row with no source opens nothing and says why; hostile messages are ignored', async () => {
    const api = await getApi();
    // The leaker built from a copy that is then deleted: its own files exist nowhere here.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-gone-'));
    const binary = path.join(os.tmpdir(), `mw-leaker-gone-${process.pid}`);
    try {
      fs.cpSync(path.join(REPO_ROOT, 'test', 'fixtures', 'leaker'), path.join(dir, 'leaker'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module memorywatch.test/fixtures\n\ngo 1.22\n');
      await execFileAsync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-o', binary, './leaker'], { cwd: dir, env: { ...process.env, ...goCaches(), GOWORK: 'off', GOFLAGS: '' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const program = await startProgram(binary, [], /leaker listening on 127\.0\.0\.1:(\d+)/);
    await httpText(`http://127.0.0.1:${program.match![1]}/leak?n=100`);
    const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
    await waitFor(() => api.watches().find((w) => w.id === info.id && w.goFigures.state === 'found'), 'the leaker’s net/http/pprof', 20_000);
    await vscode.commands.executeCommand('memoryWatch.showHeapProfile', { watchId: info.id });
    const state = await waitFor(() => heapView(api).state?.profile && heapView(api).state, 'a profile', 30_000);
    fs.rmSync(binary, { force: true });

    const std = state.functions.find((f) => f.source.found && f.source.where === 'goroot' && f.line > 0);
    assert.ok(std, 'a function of the Go installation is listed and mapped');
    await heapView(api).receive({ type: 'open', list: 'functions', key: std.key });
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.scheme === 'memorywatch-source' ? vscode.window.activeTextEditor : undefined), 'the read-only editor');
    assert.strictEqual(editor.document.uri.path.endsWith(`/${path.basename(std.file)}`), true);
    assert.strictEqual(editor.selection.active.line, std.line - 1);
    // A content provider's document: the editor is read-only (the UI suite types into it), its text the file's.
    assert.strictEqual(editor.document.getText(), fs.readFileSync(editor.document.uri.fsPath, 'utf8'));
    await waitFor(() => /read-only \(the Go installation\)/.test(heapView(api).state?.notice ?? ''), 'the view says read-only');

    // Nothing maps: nothing opens, the view says why.
    const before = vscode.window.activeTextEditor?.document.uri.toString();
    const leak = state.sites.find((s) => s.functionName === STORE_ADD && s.line === 22)!;
    assert.deepStrictEqual(leak.source, { found: false, reason: 'no file in the workspace ends with store.go' });
    await heapView(api).receive({ type: 'open', list: 'sites', key: leak.key });
    await waitFor(() => heapView(api).state?.notice === 'No local source for store.(*Store).Add (store.go:22): no file in the workspace ends with store.go.', 'the reason in the view');
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), before);
    // A key the host did not send, malformed messages: nothing opens.
    for (const bad of [{ type: 'open', list: 'sites', key: `${STORE_ADD}\n/etc/passwd\n1` }, { type: 'open', list: 'sites' }, { type: 'open', key: 1 }, 'open', null]) await heapView(api).receive(bad);
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), before);
  });
});
