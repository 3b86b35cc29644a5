/**
 * VS Code routes an extension's http.request through its proxy support (`http.proxy`,
 * `http.proxySupport`): a request to a loopback address it does not know as local (127.0.0.2, any
 * of 127/8 but 127.0.0.1) would go to the proxy — another host, one the user never allowed for
 * Memory Watch, and one that would see what the target answered. Our requests connect where our
 * checks said, and nowhere else.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MemoryWatchApi } from '../../src/extension';
import { startSleep, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, REPO_ROOT, setSetting } from './util';

const EXPVAR = fs.readFileSync(path.join(REPO_ROOT, 'test', 'unit', 'recorded', 'expvar-debug-vars.json'));

async function listen(server: http.Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

describe('requests to a target never go through VS Code\'s proxy', function () {
  let api: MemoryWatchApi;
  const http_ = () => vscode.workspace.getConfiguration('http');

  before(async () => {
    api = await getApi();
  });

  afterEach(async () => {
    await detachAll(api);
    await stopAll();
    await setSetting('metricsUrl', undefined);
    await http_().update('proxy', undefined, vscode.ConfigurationTarget.Global);
    await http_().update('proxySupport', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Go figures from 127.0.0.2 with http.proxy set: read directly, the proxy is never asked', async () => {
    const proxied: string[] = [];
    const proxy = http.createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      res.statusCode = 502;
      res.end();
    });
    proxy.on('connect', (req, socket) => {
      proxied.push(`CONNECT ${req.url}`);
      socket.destroy();
    });
    let reads = 0;
    const metrics = http.createServer((_req, res) => {
      reads++;
      res.setHeader('content-type', 'application/json');
      res.end(EXPVAR);
    });
    try {
      const proxyPort = await listen(proxy, '127.0.0.1');
      const metricsPort = await listen(metrics, '127.0.0.2');
      await http_().update('proxy', `http://127.0.0.1:${proxyPort}`, vscode.ConfigurationTarget.Global);
      await http_().update('proxySupport', 'override', vscode.ConfigurationTarget.Global);
      await setSetting('metricsUrl', `http://127.0.0.2:${metricsPort}/debug/vars`);
      const program = await startSleep();
      await vscode.commands.executeCommand('memoryWatch.attach', { pid: program.pid });
      await waitFor(() => reads >= 2 || proxied.length > 0, 'a read of the Go figures', 15_000).catch(() => undefined);
      assert.deepStrictEqual(proxied, [], 'requests went to the proxy');
      assert.ok(reads >= 2, `reads at 127.0.0.2: ${reads}`);
    } finally {
      proxy.close();
      metrics.close();
    }
  });
});
