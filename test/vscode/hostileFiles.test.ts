/**
 * The hostile corpus (test/support/hostileFiles.ts) through the real VS Code paths, measured inside
 * the extension host itself: each recording opened in the custom editor as a click in the Explorer
 * does, each heap profile fetched by the heap view from a real hostile server. The extension host
 * must live (a file of nested brackets once aborted it, and with it every extension), the next
 * command must work, the event loop must never be blocked for 50 ms — VS Code's own postMessage
 * included — and the user must see one clear line.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import { HOSTILE_PROFILES, HOSTILE_RECORDINGS, writeHostileRecordings } from '../support/hostileFiles';
import { startProgram, stopAll } from '../support/goFixtures';
import { longestBlock, waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

const MAX_BLOCK_MS = 50;
const HOSTILE_TARGET = path.join(__dirname, '..', 'support', 'hostileTarget.js');

function assertOneClearLine(text: string | undefined): void {
  assert.ok(text && text.length > 10 && text.length <= 400 && !/[\r\n]/.test(text), `not one clear line: ${JSON.stringify(text?.slice(0, 500))}`);
}

/** The next command works: the extension host is alive and ours still answers. */
async function assertStillServing(api: MemoryWatchApi): Promise<void> {
  await vscode.commands.executeCommand('memoryWatch.showGraph');
  await waitFor(() => api.graph().open, 'the graph to open after the hostile input');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('hostile files and profiles in VS Code', function () {
  this.timeout(180_000);
  let dir: string;
  let files: Map<string, string>;

  before(() => {
    // In the workspace, where a click in the Explorer would open them.
    dir = fs.mkdtempSync(path.join(process.env.MEMORY_WATCH_WORKSPACE ?? os.tmpdir(), 'hostile-'));
    files = writeHostileRecordings(dir);
  });

  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await setSetting('metricsUrl', undefined);
    await detachAll(await getApi());
    await stopAll();
  });

  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  for (const recording of HOSTILE_RECORDINGS) {
    it(`opens a recording of ${recording.what} in the custom editor: ${recording.opens ? 'drawn' : 'one line in the editor'}, never a block`, async () => {
      const api = await getApi();
      const uri = vscode.Uri.file(files.get(recording.name)!);
      const { result: editor, blockedMs, delayMs } = await longestBlock(async () => {
        await vscode.commands.executeCommand('vscode.openWith', uri, 'memoryWatch.recording');
        return waitFor(() => api.recordings!().find((r) => r.uri === uri.toString() && (r.refused || (r.rendered?.points ?? 0) >= (recording.points ?? 1))), `the editor of ${recording.name} to show it`, 60_000);
      });
      assert.ok(blockedMs < MAX_BLOCK_MS, `the extension host was blocked ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
      if (recording.opens) assert.ok(editor.rendered && !editor.refused, `drawn: ${editor.refused}`);
      else assertOneClearLine(editor.refused);
      console.log(`        ${recording.name}: ${editor.refused ?? `${editor.rendered!.points} points drawn`}; longest block ${blockedMs.toFixed(1)} ms`);
      // Hidden and shown again, the editor's webview asks for its state once more: posted again, still cheap.
      if (recording.opens) {
        const again = await longestBlock(async () => {
          await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
          await vscode.commands.executeCommand('vscode.openWith', uri, 'memoryWatch.recording');
          await new Promise((r) => setTimeout(r, 2000));
        });
        assert.ok(again.blockedMs < MAX_BLOCK_MS, `shown again: blocked ${again.blockedMs.toFixed(1)} ms`);
      }
      await assertStillServing(api);
    });
  }

  for (const profile of HOSTILE_PROFILES) {
    it(`the heap view reads a profile of ${profile.what} from a real server: ${profile.reads ? 'shown, bounded' : 'one line in the view'}, never a block`, async () => {
      const api = await getApi();
      const target = await startProgram(process.execPath, [HOSTILE_TARGET, 'profile', profile.name], /listening on 127\.0\.0\.1:(\d+)/);
      await setSetting('metricsUrl', `http://127.0.0.1:${target.match![1]}/`);
      const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: target.pid });
      const { result: view, blockedMs, delayMs } = await longestBlock(async () => {
        await vscode.commands.executeCommand('memoryWatch.showHeapProfile', { watchId: info.id });
        return waitFor(() => {
          const v = api.heapView!();
          return v.state && !v.state.fetching && (v.state.problem || v.state.profile) ? v : undefined;
        }, 'the heap view to read the profile', 90_000);
      });
      assert.ok(blockedMs < MAX_BLOCK_MS, `the extension host was blocked ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
      if (profile.reads) {
        assert.strictEqual(view.state!.problem, undefined, view.state!.problem?.message);
        await waitFor(() => api.heapView!().rendered, 'the heap view to draw it', 30_000);
        for (const row of view.state!.sites) assert.ok(row.functionName.length <= 1024, `a name of ${row.functionName.length} characters kept`);
      } else {
        assertOneClearLine(view.state!.problem?.message);
      }
      console.log(`        ${profile.name}: ${view.state!.problem?.message ?? `${view.state!.sites.length} rows`}; longest block ${blockedMs.toFixed(1)} ms`);
      await vscode.commands.executeCommand('memoryWatch.detach', { watchId: info.id });
      await assertStillServing(api);
    });
  }
});
