/**
 * Who holds the heap, inside VS Code: "Show Heap Profile" on the leaker (built from a copy in the
 * workspace) opens the heap view, whose webview draws the leaking line first; a click on the row
 * (the view's own message, through the API) opens store.go at that line; the inline hint sits at
 * its end, shows the growth after a baseline, goes with the setting and with the view. A standard
 * library row opens read-only. A program whose `//line` comments name /etc/passwd, /proc and
 * paths through links and ".." gets read-only editors outside the workspace, nothing from /proc,
 * and hints only in its workspace file.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import * as vscode from 'vscode';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import { httpText, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

const execFileAsync = promisify(execFile);
const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const LEAKER_SOURCE = path.join(REPO_ROOT, 'test', 'fixtures', 'leaker');
const WORKSPACE = process.env.MEMORY_WATCH_WORKSPACE!;

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

/** Builds the Go package `pkg` of the module in `dir` into `binary`. */
async function goBuild(dir: string, pkg: string, binary: string): Promise<void> {
  await execFileAsync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-o', binary, pkg], { cwd: dir, env: { ...process.env, ...goCaches(), GOWORK: 'off', GOFLAGS: '' } });
}

/** Creates files as VS Code does (a WorkspaceEdit), so the heap view hears of them as of any file a person creates. */
async function createWorkspaceFiles(files: Record<string, string>): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  for (const [file, text] of Object.entries(files)) edit.createFile(vscode.Uri.file(file), { overwrite: true, contents: Buffer.from(text) });
  assert.ok(await vscode.workspace.applyEdit(edit), `created ${Object.keys(files).join(', ')}`);
  for (const file of Object.keys(files)) assert.strictEqual(fs.readFileSync(file, 'utf8'), files[file]);
}

/** Deletes a folder as VS Code does, so the heap view hears of it. */
async function deleteFromWorkspace(dir: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.deleteFile(vscode.Uri.file(dir), { recursive: true, ignoreIfNotExists: true });
  await vscode.workspace.applyEdit(edit);
  fs.rmSync(dir, { recursive: true, force: true });
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

  /** Run after each test, last added first (files the test made, in the workspace and out). */
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await detachAll(await getApi());
    await stopAll();
    while (cleanups.length) await cleanups.pop()!();
  });

  it('opens on the leaker; a click on the leaking row opens store.go at that line, with its inline hint', async () => {
    const api = await getApi();
    // Built from a copy in the workspace: its files are the workspace's, editable, with hints.
    const copy = path.join(WORKSPACE, 'leaker-src');
    const STORE_GO = path.join(copy, 'leaker', 'store', 'store.go');
    cleanups.push(() => deleteFromWorkspace(copy));
    await createWorkspaceFiles({
      [path.join(copy, 'go.mod')]: 'module memorywatch.test/fixtures\n\ngo 1.22\n',
      [path.join(copy, 'leaker', 'main.go')]: fs.readFileSync(path.join(LEAKER_SOURCE, 'main.go'), 'utf8'),
      [STORE_GO]: fs.readFileSync(path.join(LEAKER_SOURCE, 'store', 'store.go'), 'utf8'),
    });
    const binary = path.join(os.tmpdir(), `mw-leaker-ws-${process.pid}`);
    cleanups.push(() => fs.rmSync(binary, { force: true }));
    await goBuild(copy, './leaker', binary);
    const program = await startProgram(binary, [], /leaker listening on 127\.0\.0\.1:(\d+)/);
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
    assert.strictEqual(editor.document.uri.scheme, 'file', 'a workspace file opens as itself (editable)');
    await waitFor(() => heapView(api).state?.notice === 'Opened store.go:22.', 'the view says what opened');
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
    // The leak's 11.7 MiB since the baseline and what the program's own requests left in use
    // meanwhile (CI once read "+12.0 MiB", as the step above reads +4.0 for 3.9).
    assert.match(diagnosed.message, /^Live heap is \d+\.\d MiB of \d+\.\d MiB RSS — memory the program is using now\. \d+ % of the growth \(\+(11\.[7-9]|12\.[0-2]) MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)\.$/);
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
      fs.cpSync(LEAKER_SOURCE, path.join(dir, 'leaker'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module memorywatch.test/fixtures\n\ngo 1.22\n');
      await goBuild(dir, './leaker', binary);
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

  it('rows naming files outside the workspace open read-only, /proc never, ".." nowhere; hints only in workspace files', async () => {
    const api = await getApi();
    // Outside the workspace: files a profile can name, by path, link or go.mod replace.
    const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-outside-')));
    cleanups.push(() => fs.rmSync(outside, { recursive: true, force: true }));
    const tenLines = Array.from({ length: 10 }, (_, i) => `// line ${i + 1}`).join('\n') + '\n';
    fs.writeFileSync(path.join(outside, 'secret.go'), tenLines);
    fs.writeFileSync(path.join(outside, 'victim.go'), tenLines);
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');

    // In the workspace: a program whose //line comments place allocations in those files.
    const ws = fs.realpathSync(WORKSPACE);
    const dir = path.join(ws, 'hostile');
    cleanups.push(() => deleteFromWorkspace(dir));
    const lines: Record<string, string> = {
      fromEtcPasswd: '/etc/passwd:1',
      fromUpAndOut: `${dir}/../../../../../../../etc/passwd:2`,
      fromProc: '/proc/self/environ:1',
      fromProcLink: `${dir}/environ:1`,
      fromReplace: 'example.com/evil/passwd:3',
      fromOutside: `${outside}/secret.go:3`,
      fromLinkOut: `${dir}/out-link/secret.go:4`,
      fromSwapped: `${dir}/swap/victim.go:2`,
    };
    const names = Object.keys(lines);
    const main = [
      '// Command hostile allocates at lines its //line comments place in files it does not own.',
      'package main',
      '',
      'import (',
      '\t"fmt"',
      '\t"net"',
      '\t"net/http"',
      '\t_ "net/http/pprof"',
      '\t"runtime"',
      ')',
      '',
      'var kept [][]byte',
      '',
      'func main() {',
      '\truntime.MemProfileRate = 1',
      '\tkept = append(kept, make([]byte, 1<<20)) // its own line: 16',
      '\tallocateElsewhere()',
      '\tln, err := net.Listen("tcp", "127.0.0.1:0")',
      '\tif err != nil {',
      '\t\tpanic(err)',
      '\t}',
      '\tfmt.Printf("hostile listening on %s\\n", ln.Addr())',
      '\tpanic(http.Serve(ln, nil))',
      '}',
      '',
    ].join('\n');
    const elsewhere = [
      'package main',
      '',
      `func allocateElsewhere() {\n${names.map((n) => `\t${n}()`).join('\n')}\n}`,
      ...names.map((n) => `//go:noinline\nfunc ${n}() {\n//line ${lines[n]}\n\tkept = append(kept, make([]byte, 64<<10))\n}`),
      '',
    ].join('\n\n');
    fs.mkdirSync(path.join(dir, 'swap'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'swap', 'victim.go'), tenLines);
    fs.symlinkSync(outside, path.join(dir, 'out-link'));
    fs.symlinkSync('/proc/self/environ', path.join(dir, 'environ'));
    // Created as a person would in VS Code: the view maps paths with this go.mod's replace.
    await createWorkspaceFiles({
      [path.join(dir, 'go.mod')]: 'module example.com/hostile\n\ngo 1.22\n\nreplace example.com/evil => /etc\n',
      [path.join(dir, 'main.go')]: main,
      [path.join(dir, 'elsewhere.go')]: elsewhere,
    });
    const binary = path.join(os.tmpdir(), `mw-hostile-${process.pid}`);
    cleanups.push(() => fs.rmSync(binary, { force: true }));
    await goBuild(dir, '.', binary);
    const program = await startProgram(binary, [], /hostile listening on 127\.0\.0\.1:(\d+)/);
    const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
    await waitFor(() => api.watches().find((w) => w.id === info.id && w.goFigures.state === 'found'), 'the program’s net/http/pprof', 20_000);
    await vscode.commands.executeCommand('memoryWatch.showHeapProfile', { watchId: info.id });
    const state = await waitFor(() => {
      const s = heapView(api).state;
      return s?.profile && names.every((n) => s.sites.some((r) => r.functionName === `main.${n}`)) ? s : undefined;
    }, 'a profile with every site', 30_000);
    const row = (name: string) => state.sites.find((r) => r.functionName === name)!;
    const source = (name: string) => row(`main.${name}`).source;

    // What each row says, before any click.
    const readOnlyAt = (shown: string) => ({ found: true, shown, readOnly: true, where: 'external', note: undefined });
    assert.deepStrictEqual(source('fromEtcPasswd'), readOnlyAt('/etc/passwd'));
    assert.deepStrictEqual(source('fromReplace'), readOnlyAt('/etc/passwd'), 'go.mod: replace example.com/evil => /etc');
    assert.deepStrictEqual(source('fromOutside'), readOnlyAt(path.join(outside, 'secret.go')));
    assert.deepStrictEqual(source('fromLinkOut'), readOnlyAt(path.join(outside, 'secret.go')), 'a link in the workspace leading out');
    assert.deepStrictEqual(source('fromUpAndOut'), { found: false, reason: 'the path has a ".." segment, which is never followed' });
    assert.deepStrictEqual(source('fromProc'), { found: false, reason: '/proc/self/environ is in /proc, which is never opened' });
    const procLink = source('fromProcLink');
    assert.ok(!procLink.found && new RegExp(`^${dir}/environ leads to /proc/\\d+/environ, in /proc, which is never opened$`).test(procLink.reason), JSON.stringify(procLink));
    assert.deepStrictEqual(source('fromSwapped'), { found: true, shown: 'hostile/swap/victim.go', readOnly: false, where: 'workspace', note: undefined });
    const own = state.sites.find((r) => r.functionName === 'main.main' && r.line === 16)!;
    assert.deepStrictEqual(own.source, { found: true, shown: 'hostile/main.go', readOnly: false, where: 'workspace', note: undefined });

    // Clicks: outside files open read-only (a document of our content provider: never saved to disk).
    const open = async (name: string, key = row(name).key) => {
      const before = heapView(api).state?.notice;
      await heapView(api).receive({ type: 'open', list: 'sites', key });
      return waitFor(() => (heapView(api).state?.notice !== before ? heapView(api).state!.notice : undefined), `the notice after opening ${name}`);
    };
    const activeUri = () => vscode.window.activeTextEditor?.document.uri;
    assert.strictEqual(await open('main.fromEtcPasswd'), 'Opened passwd:1, read-only (outside the workspace).');
    assert.deepStrictEqual([activeUri()?.scheme, activeUri()?.fsPath], ['memorywatch-source', '/etc/passwd']);
    assert.strictEqual(vscode.window.activeTextEditor!.document.getText(), passwd);
    // With /etc/passwd in view, a new profile sets the hints again: none there (nor in GOROOT's files).
    const seq = heapView(api).state!.profile!.seq;
    await heapView(api).receive({ type: 'refresh' });
    await waitFor(() => (heapView(api).state?.profile?.seq ?? 0) > seq, 'the next profile');
    assert.deepStrictEqual(heapView(api).hints.filter((h) => !h.file.startsWith(`${ws}${path.sep}`)), [], 'no hint outside the workspace');
    assert.strictEqual(await open('main.fromLinkOut'), 'Opened secret.go:4, read-only (outside the workspace).');
    assert.deepStrictEqual([activeUri()?.scheme, activeUri()?.fsPath], ['memorywatch-source', path.join(outside, 'secret.go')]);

    // /proc and "..": nothing opens, the view says why.
    const shown = activeUri()?.toString();
    assert.strictEqual(await open('main.fromProc'), 'No local source for main.fromProc (environ:1): /proc/self/environ is in /proc, which is never opened.');
    assert.match(await open('main.fromProcLink'), /^No local source for main\.fromProcLink \(environ:1\): .*environ leads to \/proc\/\d+\/environ, in \/proc, which is never opened\.$/);
    assert.strictEqual(await open('main.fromUpAndOut'), 'No local source for main.fromUpAndOut (passwd:2): the path has a ".." segment, which is never followed.');
    assert.strictEqual(activeUri()?.toString(), shown, 'nothing opened');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.path.startsWith('/proc/')), 'no document of /proc');

    // The workspace's own file opens editable, with its hint.
    assert.strictEqual(await open('main.main', own.key), 'Opened main.go:16.');
    assert.deepStrictEqual([activeUri()?.scheme, activeUri()?.fsPath], ['file', path.join(dir, 'main.go')]);
    const hint = await waitFor(() => heapView(api).hints.find((h) => h.file === path.join(dir, 'main.go')), 'the hint in main.go');
    assert.strictEqual(hint.line, 16);

    // A folder that becomes a link out after the mapping: where it leads at the click decides.
    fs.rmSync(path.join(dir, 'swap'), { recursive: true });
    fs.symlinkSync(outside, path.join(dir, 'swap'));
    assert.strictEqual(await open('main.fromSwapped'), 'Opened victim.go:2, read-only (outside the workspace).');
    assert.deepStrictEqual([activeUri()?.scheme, activeUri()?.fsPath], ['memorywatch-source', path.join(outside, 'victim.go')]);
    // The row is mapped again after such a click: it now shows the file outside.
    const sourceNow = () => heapView(api).state?.sites.find((r) => r.functionName === 'main.fromSwapped')?.source;
    await waitFor(() => sourceNow()?.found && (sourceNow() as { where: string }).where === 'external', 'the row mapped again');
    // A file that becomes a link into /proc after the mapping: nothing opens, the row says why.
    fs.rmSync(path.join(outside, 'victim.go'));
    fs.symlinkSync('/proc/self/environ', path.join(outside, 'victim.go'));
    const showing = activeUri()?.toString();
    const reason = await open('main.fromSwapped');
    const intoProc = 'victim\\.go leads to /proc/\\d+/environ, in /proc, which is never opened';
    assert.ok(new RegExp(`^Not opened: ${outside}/${intoProc}\\.$`).test(reason!), reason);
    // The row, mapped again from the profile's path, says why.
    await waitFor(() => sourceNow() && !sourceNow()!.found && new RegExp(`^${dir}/swap/${intoProc}$`).test((sourceNow() as { reason: string }).reason), 'the row saying why');
    assert.strictEqual(activeUri()?.toString(), showing, 'nothing opened');
  });
});
