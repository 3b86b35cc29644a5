/**
 * FreeOSMemory against real Go programs: over HTTP and by signal, RSS must fall by at least half
 * of what the load added; refusals (no handler, wrong host, a process that would die) leave the
 * target untouched.
 */
import * as assert from 'assert';
import * as http from 'http';
import { AddressInfo } from 'net';
import { MiB } from '../../src/shared/format';
import { freeOSMemory, ReleaseSettings } from '../../src/core/release/freeOSMemory';
import { postHook } from '../../src/core/release/httpHook';
import { sendSignal } from '../../src/core/release/signal';
import { SampleError } from '../../src/core/sampling/types';
import { Watch } from '../../src/core/watch';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { listListeners } from '../../src/core/goruntime/listeners';
import { loadSeedServer, startProgram, startSeedServer, startSleep, stopAll } from '../support/goFixtures';
import { isAlive } from '../support/wait';

const noConfirm = { confirm: async () => assert.fail('Linux never needs to ask: it reads SigCgt') };

describe('FreeOSMemory on a real Go program', function () {
  let registry: WatchRegistry;

  beforeEach(() => {
    registry = new WatchRegistry({ intervalMs: 250, windowMs: 60_000 });
  });

  afterEach(async () => {
    registry.dispose();
    await stopAll();
  });

  /** Loads the server and returns RSS before the load (idle) and right after it. */
  async function loadAndMeasure(watch: Watch, port: number) {
    const idle = (await watch.nextSample()).rss;
    await loadSeedServer(port);
    const loaded = (await watch.nextSample()).rss;
    assert.ok(loaded - idle > 50 * MiB, `load should add RSS: ${idle / MiB} → ${loaded / MiB} MiB`);
    return { idle, loaded };
  }

  function settings(overrides: Partial<ReleaseSettings>): ReleaseSettings {
    return { method: 'http', url: '', signal: 'SIGUSR1', allowedHosts: [], ...overrides };
  }

  it('over HTTP: releases at least half of what the load added, and says how much', async () => {
    const server = await startSeedServer();
    const { watch } = await registry.attach(server.pid);
    const { idle, loaded } = await loadAndMeasure(watch, server.port);
    const report = await freeOSMemory(watch, settings({ url: `${server.baseUrl}/debug/freeosmemory` }), noConfirm);
    assert.ok(report.triggered, report.message);
    assert.ok(report.released! >= (loaded - idle) / 2, `released ${report.released! / MiB} MiB of ${(loaded - idle) / MiB} MiB added`);
    assert.match(report.message, /^Released \d+\.\d MiB: RSS \d+\.\d → \d+\.\d MiB in (\d+ ms|\d+\.\d s)$/);
    assert.match(report.detail!, /^HTTP 200: \{"heapReleasedBefore"/);
    const marker = watch.series.allEvents().find((e) => e.kind === 'release');
    assert.ok(marker, 'the graph marks the release');
    assert.match(marker.label, /^−\d+\.\d MiB$/);
    // The burst samples are in the series: the drop is drawn, not just reported.
    assert.ok(watch.series.length >= 20, `${watch.series.length} points`);
  });

  it('by signal: releases at least half of what the load added', async () => {
    const server = await startSeedServer(['-signal']);
    const { watch } = await registry.attach(server.pid);
    const { idle, loaded } = await loadAndMeasure(watch, server.port);
    const report = await freeOSMemory(watch, settings({ method: 'signal' }), noConfirm);
    assert.ok(report.triggered, report.message);
    assert.ok(report.released! >= (loaded - idle) / 2, `released ${report.released! / MiB} MiB of ${(loaded - idle) / MiB} MiB added`);
    assert.ok(isAlive(server.pid));
  });

  it('by signal to a Go program without a handler: nothing happens and the report says so', async () => {
    // Go catches SIGUSR1 and ignores it when the program did not ask for it: safe, but no release.
    const server = await startSeedServer(['-hook=false']);
    const { watch } = await registry.attach(server.pid);
    const report = await freeOSMemory(watch, settings({ method: 'signal' }), noConfirm);
    assert.ok(report.triggered);
    assert.match(report.message, /^No measurable release: .* Does the program call debug\.FreeOSMemory\(\) when it gets SIGUSR1\?$/);
    assert.ok(isAlive(server.pid));
  });

  it('refuses to signal a process that does not catch SIGUSR1, which stays alive', async () => {
    const sleeper = await startSleep();
    const { watch } = await registry.attach(sleeper.pid);
    const report = await freeOSMemory(watch, settings({ method: 'signal' }), noConfirm);
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /^Not sending SIGUSR1: sleep \(PID \d+\) does not catch it, so it would be terminated\./);
    assert.ok(isAlive(sleeper.pid), 'sleep is still running');
    assert.strictEqual(watch.state, 'running');
  });

  it('does not signal a program that is not Go without asking — Node.js would open its inspector on SIGUSR1', async () => {
    // Node catches SIGUSR1 (SigCgt says so), and its handler opens a debugger anyone local can use.
    const node = await startProgram(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], /ready/);
    const { watch } = await registry.attach(node.pid);
    assert.strictEqual(watch.info.go, undefined, 'node is not a Go binary');
    let asked = '';
    const report = await freeOSMemory(watch, settings({ method: 'signal' }), {
      confirm: async (message) => {
        asked = message;
        return false;
      },
    });
    assert.strictEqual(report.triggered, false, report.message);
    assert.match(asked, /is not a Go program/);
    assert.match(asked, /Node\.js/);
    // Give a delivered signal time to act, then check no inspector port was opened.
    await new Promise((r) => setTimeout(r, 500));
    const listening = await listListeners(node.pid);
    assert.ok(listening.ok && listening.listeners.length === 0, `node now listens on ${JSON.stringify(listening)}`);
    assert.ok(isAlive(node.pid));
  });

  it('shows a non-2xx answer with its status and the start of its body', async () => {
    const server = await startSeedServer(['-hook=false']);
    const { watch } = await registry.attach(server.pid);
    const report = await freeOSMemory(watch, settings({ url: `${server.baseUrl}/debug/freeosmemory` }), noConfirm);
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /^The FreeOSMemory hook answered HTTP 404: 404 page not found$/);
    assert.ok(watch.series.allEvents().some((e) => e.kind === 'release-failed'));
  });

  it('refuses a hook URL on another host before sending anything', async () => {
    const server = await startSeedServer();
    const { watch } = await registry.attach(server.pid);
    const report = await freeOSMemory(watch, settings({ url: 'http://192.0.2.1:6060/debug/freeosmemory' }), noConfirm);
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /only loopback hosts are allowed/);
  });

  it('explains a hook URL nobody listens on', async () => {
    const server = await startSeedServer();
    const { watch } = await registry.attach(server.pid);
    const unused = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const report = await freeOSMemory(watch, settings({ url: `http://127.0.0.1:${unused}/debug/freeosmemory` }), noConfirm);
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /Nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)/);
  });
});

describe('the HTTP hook client', () => {
  let server: http.Server;
  let port: number;
  let requests: { method?: string; url?: string }[];

  before(async () => {
    requests = [];
    server = http.createServer((req, res) => {
      requests.push({ method: req.method, url: req.url });
      if (req.url === '/slow') return; // never answers
      if (req.url === '/endless') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x78);
        const pump = () => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        pump();
        return;
      }
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('boom: ' + 'x'.repeat(1000));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends a POST and returns any answer', async () => {
    const answer = await postHook(new URL(`http://127.0.0.1:${port}/x`), []);
    assert.strictEqual(answer.status, 500);
    assert.ok(answer.body.startsWith('boom: '));
    assert.strictEqual(requests.at(-1)!.method, 'POST');
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    await assert.rejects(postHook(new URL(`http://127.0.0.1:${port}/slow`), [], 300), /did not answer within 0\.3 s/);
    assert.ok(Date.now() - started < 1500);
  });

  it('reads at most 64 KiB of a body that never ends', async () => {
    const answer = await postHook(new URL(`http://localhost:${port}/endless`), []);
    assert.strictEqual(answer.status, 200);
    assert.ok(answer.body.length <= 64 * 1024);
  });

  it('resolves "localhost" only to loopback', async () => {
    const answer = await postHook(new URL(`http://localhost:${port}/x`), []);
    assert.strictEqual(answer.status, 500);
  });
});

describe('signals and permissions', () => {
  afterEach(() => stopAll());

  it('does not signal a PID whose process changed since it was checked', async () => {
    const sleeper = await startSleep();
    assert.throws(
      () => sendSignal({ pid: sleeper.pid, startToken: '1' }, 'SIGUSR1'),
      (err: SampleError) => err.reason === 'reused',
    );
    assert.ok(isAlive(sleeper.pid));
  });
});
