/**
 * Restricted Mode (the workspace is not trusted): Memory Watch still shows memory, but the
 * workspace's hook URL, signal, method, metrics URL and PID files are ignored — an untrusted folder
 * cannot make it send a request or a signal, or watch a process it names. And no argument lets a
 * command write files without asking.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ReleaseReport } from '../../src/core/release/measure';
import type { WatchInfo } from '../../src/extension';
import { startSeedServer, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { getApi } from './util';

describe('Restricted Mode', () => {
  after(() => stopAll());

  it('runs in an untrusted workspace', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  it('still shows memory, but ignores the workspace hook URL, signal and method', async () => {
    const api = await getApi();
    // A canary: counts requests to the URL an untrusted workspace tries to set.
    let requests = 0;
    const canary = http.createServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/debug/freeosmemory`;
      const workspace = process.env.MEMORY_WATCH_WORKSPACE!;
      fs.writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({
          'memoryWatch.freeOSMemory.url': url,
          'memoryWatch.freeOSMemory.signal': 'SIGUSR2',
          'memoryWatch.freeOSMemory.method': 'signal',
          'memoryWatch.metricsUrl': url,
          // Not restricted: shows when VS Code has read the file.
          'memoryWatch.rssWarningThreshold': 7,
        }),
      );
      const config = () => vscode.workspace.getConfiguration('memoryWatch');
      await waitFor(() => config().get('rssWarningThreshold') === 7, 'VS Code to read the workspace settings');
      assert.strictEqual(config().get('freeOSMemory.url'), '', 'the workspace URL is ignored');
      assert.strictEqual(config().get('freeOSMemory.signal'), 'SIGUSR1', 'the workspace signal is ignored');
      assert.strictEqual(config().get('freeOSMemory.method'), 'auto', 'the workspace method is ignored');
      assert.strictEqual(config().get('metricsUrl'), '', 'the workspace metrics URL is ignored');

      const server = await startSeedServer(['-signal']);
      const info = await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: server.pid });
      assert.ok(info, 'memory is still shown');
      await waitFor(() => api.statusBar().visible && /RSS \d/.test(api.statusBar().text), 'the status bar');
      const report = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
      assert.strictEqual(report.triggered, false);
      assert.match(report.message, /No way to call FreeOSMemory in this program yet/);
      assert.strictEqual(requests, 0, 'nothing was sent to the workspace URL');
    } finally {
      canary.close();
    }
  });

  it('ignores PID files the workspace names', async () => {
    const api = await getApi();
    const workspace = process.env.MEMORY_WATCH_WORKSPACE!;
    const server = await startSeedServer([]);
    fs.writeFileSync(path.join(workspace, 'app.pid'), `${server.pid}\n`);
    const settingsFile = path.join(workspace, '.vscode', 'settings.json');
    const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, 'memoryWatch.pidFiles': ['app.pid', path.join(workspace, 'app.pid')], 'memoryWatch.rssWarningThreshold': 8 }));
    const config = () => vscode.workspace.getConfiguration('memoryWatch');
    await waitFor(() => config().get('rssWarningThreshold') === 8, 'VS Code to read the workspace settings');
    assert.deepStrictEqual(config().get('pidFiles'), [], 'the workspace PID files are ignored');
    // Settings changes refresh the PID files: give it the time a trusted workspace needs (well under a second).
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(!api.watches().some((w) => w.pid === server.pid), 'a process named by the workspace was watched');
  });

  // Last in this suite: it leaves the question open (a modal nobody answers here).
  it('Add FreeOSMemory Hook with { folder, confirmed: true } still shows the files and asks', async () => {
    const workspace = process.env.MEMORY_WATCH_WORKSPACE!;
    const folder = path.join(workspace, 'prog');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'main.go'), 'package main\n\nfunc main() {}\n');
    let settled = false;
    void vscode.commands.executeCommand('memoryWatch.addFreeOSMemoryHook', { folder, confirmed: true }).then(() => (settled = true));
    // The previews open before the question: the user is being asked.
    await waitFor(() => vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'memorywatch-preview'), 'the files shown before the question');
    await new Promise((r) => setTimeout(r, 1500));
    assert.strictEqual(settled, false, 'the command finished without an answer');
    assert.ok(!fs.existsSync(path.join(folder, 'memorywatch_hook.go')), 'the hook was written without asking');
  });
});
