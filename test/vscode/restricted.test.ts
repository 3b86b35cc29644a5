/**
 * Restricted Mode (the workspace is not trusted): Memory Watch still shows memory, but the
 * workspace's hook URL, signal and method are ignored — an untrusted folder cannot make it send
 * a request or a signal.
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
});
