/**
 * The heap profile service against real programs, found the way the extension finds them: a real
 * WatchRegistry whose watches get a GoRuntimeTracker (as src/extension.ts wires it). The leaker
 * (net/http/pprof, a real leak) is profiled, its saved profile held against `go tool pprof`; a
 * baseline, more leak, and the growth is named with its sign. The agent's own endpoint; programs
 * with no profile to give (none, expvar only); a paused program gets no request, and neither does
 * a hidden view (a forwarding canary counts them); hostile answers become one clear line each.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { MiB } from '../../src/shared/format';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { HeapAutoRefresh } from '../../src/core/heap/autoRefresh';
import { topFunctions, topSites } from '../../src/shared/heap/present';
import { ADD_SOURCE_HINT, HeapProfileService, HeapWatchProfiles } from '../../src/core/heap/profileService';
import { buildHeapViewState } from '../../src/core/heap/viewModel';
import { Watch } from '../../src/core/watch';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, httpText, startProgram, stopAll } from '../support/goFixtures';
import { closeToPprof, goToolPprofTop } from '../support/pprofTop';
import { waitFor } from '../support/wait';
import { buildTable } from '../../src/webview/heap/model';

const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const RECORD_SIZE = 4096;
const NO_SETTINGS = { metricsUrl: '', allowedHosts: [] as string[] };

/** A registry as src/extension.ts builds it: each local watch gets a tracker of its Go figures. */
function realRegistry(): WatchRegistry {
  return new WatchRegistry({ intervalMs: 200, windowMs: 60_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), () => undefined));
}

async function startLeaker(): Promise<{ pid: number; base: string }> {
  const program = await startProgram(await buildFixture('leaker'), [], /leaker listening on 127\.0\.0\.1:(\d+)/);
  return { pid: program.pid, base: `http://127.0.0.1:${program.match![1]}` };
}

/** Attaches and waits until discovery found the program's source (or decided there is none). */
async function attachAndDiscover(registry: WatchRegistry, pid: number, until: 'found' | 'none' = 'found'): Promise<Watch> {
  const { watch } = await registry.attach(pid);
  await waitFor(() => watch.goRuntime?.status.state === until, `Go source discovery to end in "${until}" (now ${watch.goRuntime?.status.state})`, 20_000);
  return watch;
}

/** A loopback server of this test that forwards to `target` and counts heap profile requests (not ?debug=1). */
async function countingProxy(target: string): Promise<{ url: string; profiles: () => number; close: () => Promise<void> }> {
  let profiles = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/debug/pprof/heap' && !url.searchParams.has('debug')) profiles++;
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    profiles: () => profiles,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback server of this test answering /debug/pprof/heap with `answer` (and counting the asks). */
async function answeringServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; asked: () => number; close: () => Promise<void> }> {
  let asked = 0;
  const server = http.createServer((req, res) => {
    asked++;
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/pprof/heap`,
    asked: () => asked,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Gzip of `bytes` zeros, compressed chunk by chunk (a bomb of a few hundred KiB). */
async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const gzip = zlib.createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const chunk = Buffer.alloc(MiB);
  for (let written = 0; written < bytes; written += chunk.length) if (!gzip.write(chunk)) await new Promise((r) => gzip.once('drain', r));
  gzip.end();
  await done;
  return Buffer.concat(out);
}

describe('heap profile service, real programs', function () {
  this.timeout(180_000);
  let tmp: string;
  let registry: WatchRegistry;
  let service: HeapProfileService;
  let agentDir: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heapsvc-'));
    agentDir = path.join(tmp, 'agents');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  beforeEach(() => {
    registry = realRegistry();
    service = new HeapProfileService({ settings: () => NO_SETTINGS });
  });
  afterEach(async () => {
    service.dispose();
    registry.dispose();
    await stopAll();
  });

  it('the leaker: its net/http/pprof found, the leak on top with the size go tool pprof gives for the same bytes', async () => {
    const leaker = await startLeaker();
    await httpText(`${leaker.base}/leak?n=2000`);
    await httpText(`${leaker.base}/churn?n=300&size=262144`);
    const watch = await attachAndDiscover(registry, leaker.pid);
    assert.strictEqual(watch.goRuntime?.currentSource?.kind, 'pprof');

    const result = await service.refresh(watch);
    assert.strictEqual(result.error, undefined, result.error?.message);
    assert.match(result.source!, /^net\/http\/pprof at 127\.0\.0\.1:\d+$/);
    const current = result.current!;
    assert.strictEqual(result.baseline?.seq, current.seq, 'the first profile is the baseline');
    assert.strictEqual(result.diff, undefined);

    // The bytes kept for Save are the profile as sent: go tool pprof reads them.
    const file = path.join(tmp, 'leaker.pb.gz');
    fs.writeFileSync(file, Buffer.concat(current.bytes.pieces));
    const top = await goToolPprofTop(file);
    const ours = topFunctions(current.summary.functions)[0];
    assert.deepStrictEqual([top.rows[0].functionName, ours.functionName], [STORE_ADD, STORE_ADD]);
    assert.ok(closeToPprof(ours.flat.inuseBytes, top.rows[0].flat, top.rows[0].rounding), `flat in use ${ours.flat.inuseBytes} vs pprof ${top.rows[0].flat}`);
    assert.ok(closeToPprof(current.summary.totals.inuseBytes, top.total, top.rows[0].rounding), `total ${current.summary.totals.inuseBytes} vs pprof ${top.total}`);
    const site = topSites(current.summary.sites)[0];
    assert.deepStrictEqual([site.functionName, site.line], [STORE_ADD, 22]);
    assert.strictEqual(Math.floor(site.inuseBytes / RECORD_SIZE), 2000, 'MemProfileRate=1: exactly the 2000 records');
    const alloc = await goToolPprofTop(file, ['-sample_index=alloc_space']);
    assert.ok(closeToPprof(current.summary.totals.allocBytes, alloc.total, alloc.rows[0].rounding), `allocated ${current.summary.totals.allocBytes} vs pprof ${alloc.total}`);
  });

  it('a baseline, more leak, then growth: the leaking line on top with its sign, as pprof -diff_base says', async () => {
    const leaker = await startLeaker();
    await httpText(`${leaker.base}/leak?n=1000`);
    const watch = await attachAndDiscover(registry, leaker.pid);
    const first = await service.refresh(watch);
    const baseFile = path.join(tmp, 'base.pb.gz');
    fs.writeFileSync(baseFile, Buffer.concat(first.current!.bytes.pieces));

    await httpText(`${leaker.base}/leak?n=3000`);
    await httpText(`${leaker.base}/churn?n=200&size=65536`);
    const second = await service.refresh(watch);
    assert.ok(second.diff, 'a comparison with the baseline');
    const grower = service.topGrower(watch.id)!;
    assert.strictEqual(grower.site.functionName, STORE_ADD);
    assert.strictEqual(grower.site.line, 22);
    assert.ok(grower.share > 0.95, `share ${grower.share}`);
    assert.match(grower.text, /^(9\d|100) % of the growth \(\+1\d\.\d MiB in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)$/);

    const currentFile = path.join(tmp, 'current.pb.gz');
    fs.writeFileSync(currentFile, Buffer.concat(second.current!.bytes.pieces));
    const diff = await goToolPprofTop(currentFile, ['-lines', `-diff_base=${baseFile}`]);
    assert.deepStrictEqual([diff.rows[0].functionName, diff.rows[0].line], [STORE_ADD, 22]);
    assert.ok(closeToPprof(grower.site.delta.inuseBytes, diff.rows[0].flat, diff.rows[0].rounding), `change ${grower.site.delta.inuseBytes} vs pprof ${diff.rows[0].flat}`);

    // As the view shows it: Growth order, the leaking line first, "+11.7 MiB".
    const state = buildHeapViewState({ version: 1, profiles: second, refreshSeconds: 10, locate: () => ({ found: false, reason: 'not looked for' }) });
    const table = buildTable(state, { sample: 'inuse', grouping: 'site', order: 'growth' });
    assert.deepStrictEqual([table.rows[0].location, table.rows[0].change], ['store.go:22', '+11.7 MiB']);

    // "Set baseline": the current profile is the new reference; the next one compares with it.
    assert.ok(service.setBaseline(watch.id));
    assert.strictEqual(service.get(watch.id)!.diff, undefined);
    assert.strictEqual(service.topGrower(watch.id), undefined);
    await httpText(`${leaker.base}/leak?n=500`);
    const third = await service.refresh(watch);
    assert.strictEqual(third.baseline!.seq, second.current!.seq);
    const leak = third.diff!.growth.find((d) => d.functionName === STORE_ADD && d.line === 22)!;
    assert.strictEqual(Math.round(leak.delta.inuseBytes / RECORD_SIZE), 500);
  });

  it('the agent: its own heap endpoint, the same figures as go tool pprof', async () => {
    const program = await startProgram(await buildFixture('sources/agent'), ['-hold', '24'], /listening on/, { MEMORYWATCH_AGENT_DIR: agentDir });
    const watch = await attachAndDiscover(registry, program.pid);
    assert.strictEqual(watch.goRuntime?.currentSource?.kind, 'agent');
    const result = await service.refresh(watch);
    assert.strictEqual(result.error, undefined, result.error?.message);
    assert.match(result.source!, /^Memory Watch agent at 127\.0\.0\.1:\d+$/);
    const file = path.join(tmp, 'agent.pb.gz');
    fs.writeFileSync(file, Buffer.concat(result.current!.bytes.pieces));
    const top = await goToolPprofTop(file);
    const ours = topFunctions(result.current!.summary.functions)[0];
    assert.strictEqual(ours.functionName, top.rows[0].functionName);
    assert.ok(closeToPprof(ours.flat.inuseBytes, top.rows[0].flat, top.rows[0].rounding), `${ours.functionName} ${ours.flat.inuseBytes} vs pprof ${top.rows[0].flat}`);
    // -hold 24 keeps 24 MiB live (sampled at Go's default rate: an estimate, as pprof's).
    assert.ok(result.current!.summary.totals.inuseBytes > 16 * MiB, `in use ${result.current!.summary.totals.inuseBytes}`);
  });

  it('a program with no profile to give: the line to add; expvar without pprof: the 404 said as such', async () => {
    const none = await startProgram(await buildFixture('sources/none'), [], /listening on/);
    const bare = await attachAndDiscover(registry, none.pid, 'none');
    const result = await service.refresh(bare);
    assert.strictEqual(result.error?.code, 'no-source');
    assert.match(result.error!.message, /^No heap profile to read: it exposes no Go memory figures .*\. Add `import _ "net\/http\/pprof"`/);
    assert.ok(result.error!.message.endsWith(ADD_SOURCE_HINT));
    assert.strictEqual(result.current, undefined);

    const expvar = await startProgram(await buildFixture('sources/expvar'), [], /listening on 127\.0\.0\.1:(\d+)/);
    const withVars = await attachAndDiscover(registry, expvar.pid);
    const notServed = await service.refresh(withVars);
    assert.strictEqual(notServed.error?.code, 'not-served');
    assert.match(notServed.error!.message, new RegExp(`^The program serves expvar at 127\\.0\\.0\\.1:${expvar.match![1]}, but not net/http/pprof: 127\\.0\\.0\\.1:\\d+/debug/pprof/heap answered 404\\. Add`));
  });

  it('never asks a paused program or for a hidden view; never two profiles at once (a canary counts)', async () => {
    const leaker = await startLeaker();
    const canary = await countingProxy(leaker.base);
    try {
      // Reached through the canary only, as a port-forward would be.
      const { watch } = await registry.attachUrl(canary.url, []);
      assert.strictEqual(watch.remoteSource?.kind, 'pprof');
      const before = canary.profiles();

      watch.setPaused(true);
      const paused = await service.refresh(watch);
      assert.strictEqual(paused.error?.code, 'paused');
      assert.match(paused.error!.message, /stopped in the debugger/);
      let visible = true;
      const auto = new HeapAutoRefresh({ service, watch: () => watch, visible: () => visible, intervalMs: () => 150 });
      try {
        await new Promise((r) => setTimeout(r, 1200));
        assert.strictEqual(canary.profiles(), before, 'no request while paused');

        watch.setPaused(false);
        auto.reschedule();
        await waitFor(() => service.get(watch.id)?.current, 'an automatic refresh once running again', 10_000);
        await waitFor(() => canary.profiles() >= before + 2, 'refreshes to go on', 10_000);

        visible = false;
        auto.reschedule();
        await waitFor(() => !service.isFetching(watch.id), 'the fetch under way to end');
        const hidden = canary.profiles();
        await new Promise((r) => setTimeout(r, 1200));
        assert.strictEqual(canary.profiles(), hidden, 'no request while the view is hidden');
      } finally {
        auto.dispose();
      }

      // Two refreshes at once share one request.
      const n = canary.profiles();
      const [a, b] = await Promise.all([service.refresh(watch), service.refresh(watch)]);
      assert.strictEqual(a, b);
      assert.strictEqual(canary.profiles(), n + 1);
      assert.ok(a.current && a.current.summary.siteCount > 0);
    } finally {
      await canary.close();
    }
  });

  it('a 404 is not asked again every period: automatic refresh waits for Refresh', async () => {
    const expvar = await startProgram(await buildFixture('sources/expvar'), [], /listening on 127\.0\.0\.1:(\d+)/);
    const canary = await countingProxy(`http://127.0.0.1:${expvar.match![1]}`);
    const auto = { dispose: () => undefined } as { dispose(): void };
    try {
      const { watch } = await registry.attachUrl(canary.url, []);
      assert.strictEqual(watch.remoteSource?.kind, 'expvar');
      const first = await service.refresh(watch);
      assert.strictEqual(first.error?.code, 'not-served');
      assert.strictEqual(canary.profiles(), 1);
      const loop = new HeapAutoRefresh({ service, watch: () => watch, visible: () => true, intervalMs: () => 150 });
      auto.dispose = () => loop.dispose();
      await new Promise((r) => setTimeout(r, 1200));
      assert.strictEqual(canary.profiles(), 1, 'not asked again by itself');
      await service.refresh(watch);
      assert.strictEqual(canary.profiles(), 2, 'asked again on Refresh');
    } finally {
      auto.dispose();
      await canary.close();
    }
  });

  describe('hostile or broken answers: one clear line each, never a throw', () => {
    let program: Watch;
    let local: WatchRegistry;

    beforeEach(async () => {
      // A real process with no Go figures tracker: the profile is asked at memoryWatch.metricsUrl.
      local = new WatchRegistry({ intervalMs: 500, windowMs: 60_000 });
      const none = await startProgram(await buildFixture('sources/none'), [], /listening on/);
      program = (await local.attach(none.pid)).watch;
    });
    afterEach(() => local.dispose());

    const cases: { name: string; answer: (req: http.IncomingMessage, res: http.ServerResponse, bomb: Buffer) => void; code: string; message: RegExp; options?: object }[] = [
      { name: 'the text form', answer: (_q, res) => res.end('heap profile: 1: 2 [3: 4] @ heap/1048576\n'), code: 'bad-profile', message: /text form of the heap profile \(\?debug=1\)/ },
      { name: 'an HTML page', answer: (_q, res) => res.end('<html><body>login</body></html>'), code: 'bad-profile', message: /HTML or XML page, not a heap profile/ },
      { name: 'a gzip bomb', answer: (_q, res, bomb) => res.end(bomb), code: 'bad-profile', message: /expands past 256\.0 MiB .*gzip bomb/ },
      { name: 'a body over 64 MiB', answer: (_q, res) => res.end(Buffer.alloc(65 * MiB)), code: 'too-large', message: /answered more than 64\.0 MiB/ },
      { name: 'no answer', answer: () => undefined, code: 'timeout', message: /did not answer within 0\.6 s/, options: { timeoutMs: 600 } },
      { name: 'HTTP 500', answer: (_q, res) => res.writeHead(500).end('boom'), code: 'http-error', message: /answered HTTP 500/ },
      { name: 'HTTP 429 twice', answer: (_q, res) => res.writeHead(429, { 'retry-after': '1' }).end('busy'), code: 'busy', message: /is busy \(HTTP 429/, options: { retryDelayMs: 50 } },
      { name: 'compressed once more', answer: (_q, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync(Buffer.from('x'))), code: 'compressed', message: /Content-Encoding gzip, which Memory Watch does not inflate/ },
    ];
    let bomb: Buffer;
    before(async () => {
      bomb = await gzipOfZeros(300 * MiB);
    });

    for (const c of cases) {
      it(c.name, async () => {
        const server = await answeringServer((req, res) => c.answer(req, res, bomb));
        const hostile = new HeapProfileService({ settings: () => ({ metricsUrl: server.url, allowedHosts: [] }), ...c.options });
        try {
          const result: HeapWatchProfiles = await hostile.refresh(program);
          assert.strictEqual(result.error?.code, c.code, result.error?.message);
          assert.match(result.error!.message, c.message);
          assert.strictEqual(result.current, undefined);
          assert.ok(server.asked() >= 1 && server.asked() <= 2, `asked ${server.asked()} times`);
        } finally {
          hostile.dispose();
          await server.close();
        }
      });
    }

    it('a host the user did not allow: refused, nothing sent', async () => {
      const hostile = new HeapProfileService({ settings: () => ({ metricsUrl: 'http://192.0.2.1:6060/debug/pprof/heap', allowedHosts: [] }) });
      const result = await hostile.refresh(program);
      assert.strictEqual(result.error?.code, 'refused');
      assert.match(result.error!.message, /only loopback hosts are allowed/);
      hostile.dispose();
    });
  });
});
