/**
 * The whole path inside real VS Code, against real Go programs: attach by command, samples that
 * match ps, the status bar, the graph webview (it reports what it drew), FreeOSMemory over HTTP,
 * detach and exit. Bad input gets no watch.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import type { ReleaseReport } from '../../src/core/release/measure';
import { loadSeedServer, psRss, startSeedServer, startSleep, stopAll } from '../support/goFixtures';
import { isAlive, waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

const MiB = 1024 * 1024;

/** The sampler helpers (memwatch-sampler) sampling `pid`, from their command lines. */
function samplerHelpersOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      if (/memwatch-sampler-linux-/.test(args[0]) && args[1] === String(pid)) found.push(Number(name));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

describe('watching a Go program in VS Code', function () {
  let api: MemoryWatchApi;

  before(async () => {
    api = await getApi();
    await setSetting('sampleInterval', 200);
  });

  afterEach(async () => {
    await detachAll(api);
    await stopAll();
    await setSetting('freeOSMemory.url', undefined);
    await setSetting('freeOSMemory.method', undefined);
    await setSetting('rssWarningThreshold', undefined);
  });

  after(() => setSetting('sampleInterval', undefined));

  async function attach(pid: number): Promise<WatchInfo> {
    const info = await vscode.commands.executeCommand<WatchInfo | undefined>('memoryWatch.attach', { pid });
    assert.ok(info, `attach to ${pid} returned nothing`);
    return info;
  }

  it('attaches by PID; its samples match ps within 5 %', async () => {
    const server = await startSeedServer();
    const info = await attach(server.pid);
    assert.strictEqual(info.pid, server.pid);
    assert.strictEqual(info.name, 'seedserver');
    assert.match(info.go ?? '', /^go1\./);
    const sample = await new Promise<{ rss: number }>((resolve) => {
      const sub = api.onDidSample((e) => {
        if (e.pid === server.pid) {
          sub.dispose();
          resolve(e.sample);
        }
      });
    });
    const ps = await psRss(server.pid);
    assert.ok(Math.abs(sample.rss / ps - 1) <= 0.05, `ours ${sample.rss} vs ps ${ps}`);
  });

  it('shows RSS in the status bar, with process, VSZ, peak and the interval in the tooltip', async () => {
    const server = await startSeedServer();
    await attach(server.pid);
    const bar = await waitFor(() => (api.statusBar().visible && /RSS \d/.test(api.statusBar().text) ? api.statusBar() : undefined), 'the status bar');
    assert.match(bar.text, /^\$\(pulse\) RSS \d+\.\d MiB$/);
    assert.match(bar.tooltip, new RegExp(`seedserver.*PID ${server.pid}`));
    assert.match(bar.tooltip, /RSS \*\*\d+\.\d MiB\*\* · peak \d+\.\d MiB/);
    assert.match(bar.tooltip, /VSZ \d+\.\d (MiB|GiB)/);
    // Fresh samples: the interval, not an age that would change the tooltip at every render.
    assert.match(bar.tooltip, /sampled every \d/);
  });

  it('follows the process last attached; warns above the threshold', async () => {
    const a = await startSeedServer();
    const b = await startSeedServer();
    await attach(a.pid);
    await attach(b.pid);
    assert.strictEqual(api.watches().find((w) => w.current)?.pid, b.pid);
    assert.match(api.statusBar().tooltip, new RegExp(`PID ${b.pid}`));
    await setSetting('rssWarningThreshold', 1);
    await waitFor(() => /Above the warning threshold of 1\.0 MiB/.test(api.statusBar().tooltip), 'the warning');
    // The warning shows as an icon too (high-contrast themes give the warning background no colour).
    assert.match(api.statusBar().text, /^\$\(warning\) RSS \d+\.\d MiB$/);
    await setSetting('rssWarningThreshold', undefined);
  });

  it('opens the graph, which draws the data and survives hide and show', async () => {
    const server = await startSeedServer();
    const info = await attach(server.pid);
    await vscode.commands.executeCommand('memoryWatch.showGraph');
    const first = await waitFor(() => {
      const r = api.graph().rendered;
      return r && r.watchId === info.id && r.points >= 2 ? r : undefined;
    }, 'the webview to draw samples', 20_000);
    // Hide it: open another editor in its group; the webview is destroyed while hidden.
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await waitFor(() => !api.graph().visible, 'the graph to be hidden');
    const hiddenAt = Date.now();
    await waitFor(() => (api.series(info.id)?.time.at(-1) ?? 0) > hiddenAt, 'a sample while hidden');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.commands.executeCommand('memoryWatch.showGraph');
    const again = await waitFor(() => {
      const r = api.graph().rendered;
      return r && api.graph().visible && r.lastTime > hiddenAt ? r : undefined;
    }, 'the graph to draw again', 20_000);
    assert.ok(again.points > first.points, `nothing lost: ${first.points} → ${again.points} points`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('frees OS memory over HTTP and reports the measured drop', async function () {
    this.timeout(90_000);
    const server = await startSeedServer();
    await setSetting('freeOSMemory.url', `${server.baseUrl}/debug/freeosmemory`);
    const info = await attach(server.pid);
    const idle = (await psRss(server.pid));
    await loadSeedServer(server.port);
    const loaded = await psRss(server.pid);
    assert.ok(loaded - idle > 50 * MiB, `load added ${(loaded - idle) / MiB} MiB`);
    const report = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
    assert.ok(report?.triggered, report?.message);
    assert.ok(report.released! >= (loaded - idle) / 2, report.message);
    assert.match(report.message, /^Released \d+\.\d MiB: RSS \d+\.\d → \d+\.\d MiB in (\d+ ms|\d+\.\d s)$/);
    assert.deepStrictEqual(api.lastRelease(), report);
    assert.ok(api.series(info.id)!.events.some((e) => e.kind === 'release'), 'marked on the graph');
  });

  it('detaching hides the status bar and stops sampling', async () => {
    const server = await startSeedServer();
    const info = await attach(server.pid);
    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.detach', { pid: server.pid }), true);
    assert.deepStrictEqual(api.watches(), []);
    assert.strictEqual(api.statusBar().visible, false);
    let samples = 0;
    const sub = api.onDidSample((e) => e.watchId === info.id && samples++);
    await new Promise((r) => setTimeout(r, 600)); // three intervals: a sample would have come
    sub.dispose();
    assert.strictEqual(samples, 0);
  });

  it('at 200 ms the sampler helper takes the samples, in batches, and ends with the watch; turned off, the extension host samples', async () => {
    const server = await startSeedServer();
    const info = await attach(server.pid);
    const helpers = () => samplerHelpersOf(server.pid);
    await waitFor(() => helpers().length === 1, 'a sampler helper for the watch');
    const arrivals: number[] = [];
    const sub = api.onDidSample((e) => e.watchId === info.id && arrivals.push(Date.now() - e.sample.time));
    await waitFor(() => arrivals.length >= 10, 'ten samples', 5000);
    sub.dispose();
    assert.ok(arrivals.some((lag) => lag > 400), `batched: some samples reach the extension later than 400 ms (${arrivals.join(', ')} ms)`);
    await setSetting('samplingHelper', false);
    await waitFor(() => helpers().length === 0, 'the helper to stop when turned off');
    const before = api.series(info.id)!.time.length;
    await waitFor(() => api.series(info.id)!.time.length >= before + 3, 'the extension host to go on sampling');
    await setSetting('samplingHelper', undefined);
    await waitFor(() => helpers().length === 1, 'the helper back');
    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.detach', { pid: server.pid }), true);
    await waitFor(() => helpers().length === 0, 'no helper left after detaching');
  });

  it('when the process exits, the status bar says so and the graph keeps the data', async () => {
    const server = await startSeedServer();
    const info = await attach(server.pid);
    await waitFor(() => (api.series(info.id)?.time.length ?? 0) >= 3, 'a few samples');
    await server.stop();
    await waitFor(() => api.watches().find((w) => w.id === info.id)?.state === 'exited', 'the watch to end');
    assert.strictEqual(api.statusBar().text, '$(pulse) seedserver exited');
    assert.match(api.statusBar().tooltip, /has exited/);
    assert.ok(api.series(info.id)!.time.length >= 3);
  });

  it('bad input gets no watch: a dead PID, a non-number, a non-loopback URL, a signal that would kill', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.attach', { pid: 2 ** 22 + 11 }), undefined);
    assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.attach', { pid: 'twelve' }), undefined);
    assert.deepStrictEqual(api.watches(), []);

    const server = await startSeedServer();
    await attach(server.pid);
    await setSetting('freeOSMemory.url', 'http://192.0.2.7:8010/debug/freeosmemory');
    const refused = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
    assert.strictEqual(refused.triggered, false);
    assert.match(refused.message, /only loopback hosts are allowed/);

    const sleeper = await startSleep();
    await attach(sleeper.pid);
    await setSetting('freeOSMemory.method', 'signal');
    const notSent = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory', { pid: sleeper.pid });
    assert.strictEqual(notSent.triggered, false);
    assert.match(notSent.message, /does not catch it, so it would be terminated/);
    assert.ok(isAlive(sleeper.pid));
  });
});
