/**
 * Go figures from real programs, one per source: discovery finds exactly the right source, its
 * figures agree with the program's own view, and nothing is contacted but the target's own
 * loopback listeners (a canary server of another process counts requests to prove it).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/core/goruntime/discovery';
import { GoFigures } from '../../src/core/goruntime/figures';
import { GO_FIGURES_MIN_INTERVAL_MS } from '../../src/core/goruntime/sources';
import { BACKGROUND_GO_FIGURES_INTERVAL_MS, GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { listListeners } from '../../src/core/goruntime/listeners';
import { MiB } from '../../src/shared/format';
import { MemorySample } from '../../src/core/sampling/types';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, httpText, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const NO_OVERRIDE = { overrideUrl: '', allowedHosts: [] };

async function startSource(kind: 'agent' | 'prometheus' | 'expvar' | 'pprof' | 'gops' | 'none', args: string[] = [], env: Record<string, string> = {}) {
  const bin = await buildFixture(`sources/${kind}`);
  const program = await startProgram(bin, ['-spike', '64', ...args], /listening on 127\.0\.0\.1:(\d+)/, env);
  return Object.assign(program, { port: Number(program.match![1]) });
}

/** A server of this (test) process on loopback, with expvar-looking answers: it must never be asked. */
async function canary(): Promise<{ port: number; requests: () => number; close: () => void }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.end('{"memstats":{}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, requests: () => requests, close: () => server.close() };
}

describe('Go figures from real programs', function () {
  this.timeout(120_000);
  let agentDir: string;

  before(() => {
    // The agent writes its port file here (and the extension reads it from the target's environment).
    agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'));
  });
  after(() => fs.rmSync(agentDir, { recursive: true, force: true }));
  afterEach(() => stopAll());

  const cases: { kind: 'agent' | 'prometheus' | 'expvar' | 'pprof' | 'gops'; env?: () => Record<string, string> }[] = [
    { kind: 'agent', env: () => ({ MEMORYWATCH_AGENT_DIR: agentDir }) },
    { kind: 'prometheus' },
    { kind: 'expvar' },
    { kind: 'pprof' },
    { kind: 'gops' },
  ];
  for (const c of cases) {
    it(`${c.kind}: found, agreeing with the program's own figures, and no one else asked`, async () => {
      const other = await canary();
      try {
        const target = await startSource(c.kind, [], c.env?.() ?? {});
        const result = await discover(target.pid, NO_OVERRIDE);
        assert.strictEqual(result.source?.kind, c.kind, `found ${result.source?.kind ?? result.reason}`);
        // Only the target's own ports were contacted.
        const listening = await listListeners(target.pid);
        assert.ok(listening.ok);
        const ports = new Set(listening.listeners.map((l) => String(l.port)));
        for (const contact of result.contacted) {
          const port = /:(\d+)/.exec(contact)![1];
          assert.ok(ports.has(port), `${contact} is not a port of PID ${target.pid}`);
        }
        assert.strictEqual(other.requests(), 0, 'the other server was never asked');
        // The 64 MiB spike is free heap the runtime holds (or released already, if the scavenger ran).
        const f = result.figures!;
        assert.ok(f.heapFree + f.heapReleased > 60 * MiB, `free ${f.heapFree}, released ${f.heapReleased}`);
        assert.ok(f.total >= f.heapObjects + f.heapFree + f.heapReleased, 'the classes fit in the total');
        // The program's own runtime.ReadMemStats, asked right after a read through the source (idle).
        const viaSource = (await result.source!.read()).figures;
        // The goroutine count: the agent's runtime/metrics, pprof's goroutine profile header, /metrics' go_goroutines.
        if (c.kind === 'agent' || c.kind === 'pprof' || c.kind === 'prometheus') assert.ok(viaSource.goroutines !== undefined && viaSource.goroutines > 1, `goroutines ${viaSource.goroutines}`);
        const own = JSON.parse(await httpText(`http://127.0.0.1:${target.port}/fixture/memstats`)) as Record<string, number>;
        assertClose(viaSource.total, own.Sys, 0.05, 'total vs Sys');
        assertClose(viaSource.heapFree + viaSource.heapReleased, own.HeapIdle, 0.05, 'idle heap vs HeapIdle');
        assertClose(viaSource.heapReleased, own.HeapReleased, 0.1, 'released vs HeapReleased');
        assertClose(viaSource.stacks, own.StackSys, 0.25, 'stacks vs StackSys');
        assert.ok(Math.abs(viaSource.gcCycles - own.NumGC) <= 1, `GC cycles ${viaSource.gcCycles} vs ${own.NumGC}`);
      } finally {
        other.close();
      }
    });
  }

  it('a program that exposes nothing: no source, with a reason, and only its own port asked', async () => {
    const target = await startSource('none');
    const result = await discover(target.pid, NO_OVERRIDE);
    assert.strictEqual(result.source, undefined);
    assert.match(result.reason!, /exposes no Go memory figures/);
    assert.ok(result.contacted.every((c) => c.includes(`:${target.port}/`)), result.contacted.join(', '));
    assert.ok(result.contacted.length <= 4, 'one GET per kind (agent, /metrics, expvar, pprof), no more');
  });

  it('memoryWatch.metricsUrl overrides discovery, and non-loopback URLs are refused', async () => {
    const target = await startSource('expvar');
    const result = await discover(target.pid, { overrideUrl: `http://127.0.0.1:${target.port}/debug/vars`, allowedHosts: [] });
    assert.strictEqual(result.source?.kind, 'expvar');
    assert.deepStrictEqual(result.contacted, [`http://127.0.0.1:${target.port}/debug/vars`]);
    const refused = await discover(target.pid, { overrideUrl: 'http://192.0.2.9:6060/debug/vars', allowedHosts: [] });
    assert.strictEqual(refused.source, undefined);
    assert.match(refused.reason!, /only loopback hosts are allowed/);
    assert.deepStrictEqual(refused.contacted, []);
  });

  it('a watch reads the figures with its samples, and not while paused', async () => {
    const target = await startSource('expvar');
    const registry = new WatchRegistry({ intervalMs: 200, windowMs: 60_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, ...NO_OVERRIDE }), () => undefined));
    try {
      const { watch } = await registry.attach(target.pid);
      const sample = await waitFor(async () => {
        const s = await watch.nextSample();
        return s.go ? s : undefined;
      }, 'a sample with Go figures');
      const go = sample.go as GoFigures;
      assert.ok(go.total > 60 * MiB);
      assert.strictEqual(watch.goRuntime!.status.state, 'found');
      watch.setPaused(true);
      await watch.nextSample(); // a read may have been under way
      for (let i = 0; i < 3; i++) assert.strictEqual((await watch.nextSample()).go, undefined, 'no HTTP to a stopped program');
      watch.setPaused(false);
      await waitFor(async () => (await watch.nextSample()).go, 'figures again after continue');
    } finally {
      registry.dispose();
    }
  });

  it('samples between two reads of the Go figures carry the last ones (the tooltip and API keep them), while the series holds each read once', async () => {
    const target = await startSource('expvar');
    const registry = new WatchRegistry({ intervalMs: 100, windowMs: 60_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, ...NO_OVERRIDE }), () => undefined));
    try {
      const { watch } = await registry.attach(target.pid);
      await waitFor(async () => (await watch.nextSample()).go, 'a sample with Go figures');
      const samples: MemorySample[] = [];
      const sub = watch.onDidSample((s) => samples.push(s));
      await new Promise((r) => setTimeout(r, 2500));
      sub.dispose();
      assert.ok(samples.length >= 15, `${samples.length} samples`);
      // Every sample has the figures (expvar is read at most once a second: the rest carry them) …
      for (const s of samples) assert.ok(s.go, `sample at ${s.time} without Go figures`);
      const reads = samples.filter((s) => s.goReadAt === s.time);
      assert.ok(reads.length >= 2 && reads.length <= 4, `${reads.length} reads in 2.5 s`);
      for (const s of samples) assert.ok(s.goReadAt !== undefined && s.time - s.goReadAt < 2 * GO_FIGURES_MIN_INTERVAL_MS, 'carried figures are recent');
      // … but the graph's series gets each read once, at the time it was read.
      const snapshot = watch.series.snapshot();
      const withGo = snapshot.time.filter((t, i) => t >= samples[0].time && !Number.isNaN(snapshot.columns.goTotal[i]));
      assert.deepStrictEqual(withGo, reads.map((s) => s.time));
      // Stopped in the debugger: no request, and nothing carried over either.
      watch.setPaused(true);
      await watch.nextSample();
      assert.strictEqual((await watch.nextSample()).go, undefined);
    } finally {
      registry.dispose();
    }
  });

  it('a watch not shown (not the current one) reads its Go figures every few seconds, and at once when shown again', async () => {
    const [shown, background] = await Promise.all([startSource('expvar'), startSource('expvar')]);
    const registry = new WatchRegistry({ intervalMs: 100, windowMs: 60_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, ...NO_OVERRIDE }), () => undefined));
    try {
      const { watch: hidden } = await registry.attach(background.pid);
      const { watch: current } = await registry.attach(shown.pid);
      assert.strictEqual(registry.current, current);
      await Promise.all([hidden, current].map((w) => waitFor(async () => (await w.nextSample()).go, 'a sample with Go figures')));
      const reads = new Map([hidden, current].map((w) => [w, [] as MemorySample[]]));
      const carried: MemorySample[] = [];
      const subs = [hidden, current].map((w) =>
        w.onDidSample((s) => {
          if (s.goReadAt === s.time) reads.get(w)!.push(s);
          else if (w === hidden) carried.push(s);
        }),
      );
      const window = BACKGROUND_GO_FIGURES_INTERVAL_MS + 1500;
      await new Promise((r) => setTimeout(r, window));
      const readsShown = reads.get(current)!.length;
      const readsHidden = reads.get(hidden)!.length;
      assert.ok(readsShown >= window / GO_FIGURES_MIN_INTERVAL_MS - 2, `the current watch read ${readsShown} times in ${window} ms`);
      assert.ok(readsHidden >= 1 && readsHidden <= 2, `the watch not shown read ${readsHidden} times in ${window} ms`);
      // Its samples still carry the last figures in between (the watch list and the API show them).
      assert.ok(carried.length > 20 && carried.every((s) => s.go && s.time - s.goReadAt! <= BACKGROUND_GO_FIGURES_INTERVAL_MS + 300), 'carried figures');
      // Shown again: fresh figures at its next sample, then at the usual rate.
      reads.get(hidden)!.length = 0;
      const selectedAt = Date.now();
      registry.select(hidden.id);
      await waitFor(async () => reads.get(hidden)!.length >= 2 || undefined, 'two reads after it was shown', 5000);
      const [first, second] = reads.get(hidden)!;
      assert.ok(first.time - selectedAt < 400, `first read ${first.time - selectedAt} ms after it was shown`);
      assert.ok(second.time - first.time < GO_FIGURES_MIN_INTERVAL_MS + 300, `then ${second.time - first.time} ms later`);
      for (const sub of subs) sub.dispose();
    } finally {
      registry.dispose();
    }
  });
});

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(expected, 1), `${what}: ${actual} vs ${expected}`);
}
