/**
 * Open from Prometheus in a real VS Code, against a real Prometheus scraping real Go programs every
 * second (behind a proxy that wants a token, as a team's server does): the command opens the fleet
 * in the graph webview, which draws it; picking another replica reads and draws its Go figures;
 * Save… writes the replica as a recording that says where it came from — never the token, which
 * lives in secret storage; a server named only in workspace settings is never asked. The extension
 * host is measured throughout: no block past 50 ms, VS Code's own postMessage included.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { HistoryViewInfo, MemoryWatchApi } from '../../src/extension';
import { missingPrometheus } from '../../scripts/harness/tools';
import { Fleet, startFleet, stopAllFleets } from '../support/fleet';
import { stopAllGroups } from '../support/processGroup';
import { PrometheusServer, startPrometheus, stopAllPrometheus, waitForQuery } from '../support/prometheusServer';
import { closeAllProxies, PromProxy, startPromProxy } from '../support/promProxy';
import { longestBlock, waitFor } from '../support/wait';
import { getApi, setSetting } from './util';

const MAX_BLOCK_MS = 50;
const TOKEN = 'vs-tok-7c1e';

describe('Open from Prometheus in VS Code', function () {
  this.timeout(180_000);
  let api: MemoryWatchApi;
  let fleet: Fleet;
  let server: PrometheusServer;
  let proxy: PromProxy;
  let from: number;
  let view: HistoryViewInfo;
  const made: string[] = [];

  before(async function () {
    const missing = missingPrometheus();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    api = await getApi();
    fleet = await startFleet({
      replicas: [
        { pod: 'api-leak', behaviour: 'leaking', flags: ['-registry', 'custom'] },
        { pod: 'api-steady', behaviour: 'steady' },
        { pod: 'api-free', behaviour: 'free-heap' },
      ],
    });
    server = await startPrometheus({ jobs: fleet.jobs() });
    proxy = await startPromProxy({ upstream: server.url, prefix: '/prometheus', tenant: null, bearer: TOKEN });
    from = Math.floor(Date.now() / 1000);
    await waitForQuery(server, 'up{job="api"} == 1', (r) => r.length === 3, 30_000);
    // Some history to read.
    await new Promise((r) => setTimeout(r, 12_000));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('prometheus.url', undefined);
    await vscode.commands.executeCommand('memoryWatch.setPrometheusCredentials', { url: proxy?.url, kind: 'none' });
    for (const file of made) fs.rmSync(file, { force: true });
    await closeAllProxies();
    await stopAllPrometheus();
    await stopAllFleets();
    await stopAllGroups();
  });

  it('keeps the token in secret storage, and opens the fleet behind it in a graph that draws it — never blocking the extension host', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.setPrometheusCredentials', { url: proxy.url, kind: 'bearer', token: TOKEN }), true);
    const now = Math.floor(Date.now() / 1000);
    const { result, blockedMs, delayMs } = await longestBlock(async () => {
      const opened = await vscode.commands.executeCommand<HistoryViewInfo | undefined>('memoryWatch.openFromPrometheus', { url: proxy.url, selector: '{job="api"}', start: from, end: now });
      assert.ok(opened, 'the command opened a history');
      return waitFor(() => api.histories!().find((h) => h.id === opened.id && (h.rendered?.points ?? 0) >= 5), 'the history drawn', 30_000);
    });
    view = result;
    console.log(`        (${view.replicas.length} replicas; ${view.headline}; longest block ${blockedMs.toFixed(1)} ms, raw ${delayMs.toFixed(1)} ms)`);
    assert.ok(blockedMs <= MAX_BLOCK_MS, `the extension host was blocked ${blockedMs.toFixed(0)} ms`);
    assert.deepStrictEqual(view.replicas.map((r) => r.labels.pod).sort(), ['api-free', 'api-leak', 'api-steady']);
    assert.strictEqual(view.rendered?.watchId, view.replicas[0].id);
    assert.ok(view.replicas[0].detailed);
    assert.strictEqual(view.server, proxy.url);
    // Every request carried the token in its header, none in its URL.
    assert.ok(proxy.requests.length > 0 && proxy.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && r.status === 200), JSON.stringify(proxy.requests.map((r) => r.status)));
    assert.deepStrictEqual(proxy.urlsContaining([TOKEN]), []);
  });

  it('picks another replica: its Go figures are read, then drawn', async () => {
    const other = view.replicas.find((r) => !r.detailed)!;
    assert.ok(other, 'a replica not read in full yet');
    const { result: shown, blockedMs } = await longestBlock(() => view.select(other.id));
    assert.strictEqual(shown, true);
    assert.ok(blockedMs <= MAX_BLOCK_MS, `blocked ${blockedMs.toFixed(0)} ms`);
    const after = await waitFor(() => api.histories!().find((h) => h.id === view.id && h.rendered?.watchId === other.id && h.selectedId === other.id), 'the other replica drawn', 20_000);
    const replica = after.replicas.find((r) => r.id === other.id)!;
    assert.ok(replica.detailed && replica.columns.includes('heapObjects'), JSON.stringify(replica.columns));
    assert.strictEqual(after.status, undefined);
  });

  it('saves the replica shown as a recording that says where it came from, without the token', async () => {
    const running = vscode.commands.executeCommand<string | undefined>('memoryWatch.saveRecording', { history: view.id });
    // The save dialog fills in the suggested name a moment after it opens: accept until it has closed.
    let file: string | undefined;
    for (let i = 0; i < 40 && file === undefined; i++) {
      const done = await Promise.race([running.then((f) => ({ f })), new Promise<undefined>((r) => setTimeout(() => r(undefined), 250))]);
      if (done) {
        file = done.f ?? '';
        break;
      }
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    assert.ok(file, 'a file was written');
    made.push(file);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(TOKEN));
    const recording = JSON.parse(text) as { version: string; source: Record<string, unknown>; process: { name: string }; columns: Record<string, unknown> };
    assert.strictEqual(recording.version, '1.1');
    const shown = api.histories!().find((h) => h.id === view.id)!;
    const replica = shown.replicas.find((r) => r.id === shown.selectedId)!;
    assert.deepStrictEqual({ ...recording.source, start: undefined, end: undefined }, {
      kind: 'prometheus',
      server: proxy.url,
      selector: '{job="api"}',
      replica: `{${Object.entries(replica.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`,
      stepSeconds: shown.stepMs / 1000,
      start: undefined,
      end: undefined,
    });
    assert.strictEqual(recording.process.name, replica.name);
    assert.ok(recording.columns.heapObjects && recording.columns.rss);
    // Opened again, it is a recording like any other.
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'memoryWatch.recording');
    await waitFor(() => api.recordings!().find((r) => r.uri === vscode.Uri.file(file!).toString() && (r.rendered?.points ?? 0) >= 5), 'the saved recording drawn', 20_000);
  });

  it('never asks a server that only the workspace names (a repository cannot choose where requests go)', async () => {
    // As a cloned repository would ship it: VS Code will not even write this setting there.
    const settingsFile = path.join(process.env.MEMORY_WATCH_WORKSPACE!, '.vscode', 'settings.json');
    const had = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    // memoryWatch.window beside it, as a sign that VS Code has read the file (it ignores the other there).
    fs.writeFileSync(settingsFile, JSON.stringify({ ...(had ? (JSON.parse(had) as object) : {}), 'memoryWatch.prometheus.url': proxy.url, 'memoryWatch.window': 301 }));
    try {
      await waitFor(() => vscode.workspace.getConfiguration('memoryWatch').inspect('window')?.workspaceValue === 301, 'VS Code to read the workspace settings');
      const before = proxy.requests.length;
      const asked = await vscode.commands.executeCommand('memoryWatch.openFromPrometheus', { selector: '{job="api"}' });
      assert.strictEqual(asked, undefined);
      assert.strictEqual(proxy.requests.length, before);
    } finally {
      if (had === undefined) fs.rmSync(settingsFile, { force: true });
      else fs.writeFileSync(settingsFile, had);
    }
  });
});
