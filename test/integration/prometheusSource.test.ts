/**
 * Prometheus /metrics as a source, against real Go programs serving client_golang's handler and
 * nothing else (test/fixtures/sources/prometheus; scenarios/cgo -serve metrics):
 *   - found by itself among the program's own listeners, its figures those of the program's own
 *     runtime/metrics (the fixture's /truth), the graph's line naming the source;
 *   - the diagnosis on the scenario programs, from /metrics alone: live heap, free heap held, a
 *     leak, a goroutine leak, memory outside Go; Free OS Memory says what to add;
 *   - a URL target through a forwarder (a port-forward): RSS and VSZ from the process collector
 *     (within 5 % of ps), the Go figures, and a restart marker when a new process answers;
 *   - a service with 5 MiB of its own series at 10 Hz: found, read, and the event loop free.
 */
import * as assert from 'assert';
import { DEFAULT_DIAGNOSIS, diagnose, DiagnosisKind, DiagnosisOptions } from '../../src/core/diagnosis';
import { MiB } from '../../src/shared/format';
import { describeGoStatus } from '../../src/core/goruntime/describe';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { Watch } from '../../src/core/watch';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { forwarder } from '../support/forwarder';
import { buildFixture, httpText, psRss, RunningProgram, startProgram, stopAll } from '../support/goFixtures';
import { longestBlock, waitFor } from '../support/wait';

const FAST: DiagnosisOptions = { ...DEFAULT_DIAGNOSIS, leakMinSpanMs: 8000 };
const HOLDING = { GOGC: 'off', GOMEMLIMIT: '1GiB' };

function registry(intervalMs = 250): WatchRegistry {
  return new WatchRegistry({ intervalMs, windowMs: 120_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), () => undefined));
}

interface TruthReading {
  readonly metrics: Record<string, number>;
  readonly numGC: number;
  readonly goroutines: number;
}

describe('Prometheus /metrics as a source', function () {
  this.timeout(120_000);
  let reg: WatchRegistry;
  beforeEach(() => (reg = registry()));
  afterEach(async () => {
    reg.dispose();
    await stopAll();
  });

  async function watchMetrics(fixture: string, args: string[], env: Record<string, string> = {}): Promise<{ watch: Watch; program: RunningProgram & { match?: RegExpMatchArray } }> {
    const program = await startProgram(await buildFixture(fixture), args, /listening on 127\.0\.0\.1:(\d+)/, env);
    const { watch } = await reg.attach(program.pid);
    await waitFor(() => watch.goRuntime?.status.state === 'found' || watch.goRuntime?.status.state === 'none', 'discovery', 20_000);
    assert.strictEqual(watch.goRuntime?.currentSource?.kind, 'prometheus', JSON.stringify(watch.goRuntime?.status));
    await waitFor(async () => (await watch.nextSample()).go, 'Go figures', 20_000);
    return { watch, program };
  }

  async function expectDiagnosis(watch: Watch, kind: DiagnosisKind | undefined, options = DEFAULT_DIAGNOSIS) {
    return waitFor(
      async () => {
        await watch.nextSample();
        const d = diagnose(watch.series, options);
        return d?.kind === kind ? (d ?? { none: true }) : undefined;
      },
      `the diagnosis "${kind ?? 'none'}" (now: ${diagnose(watch.series, options)?.message ?? 'none'})`,
      30_000,
    );
  }

  it('is found by itself on the program’s own port; the figures are the program’s own runtime/metrics', async () => {
    const { watch, program } = await watchMetrics('sources/prometheus', ['-hold', '64']);
    assert.match(describeGoStatus(watch.goRuntime!.status, false).text, /^Go figures: Prometheus metrics at 127\.0\.0\.1:\d+\/metrics$/);
    const base = `http://127.0.0.1:${program.match![1]}`;
    // The figures of the sample read right after a gather, against what the program read around that gather.
    const sample = await waitFor(async () => {
      const s = await watch.nextSample();
      return s.goReadAt === s.time ? s : undefined;
    }, 'a fresh read');
    const truth = JSON.parse(await httpText(`${base}/truth`)) as { before: TruthReading; after: TruthReading };
    const go = sample.go!;
    const between = (what: string, value: number, metric: string, slack = 0) => {
      const a = truth.before.metrics[metric];
      const b = truth.after.metrics[metric];
      assert.ok(value >= Math.min(a, b) - slack && value <= Math.max(a, b) + slack, `${what}: ${value} not within [${a}, ${b}] ± ${slack}`);
    };
    // Heap objects and total: between the two readings, give or take what a gather allocates.
    between('heap objects', go.heapObjects, '/memory/classes/heap/objects:bytes', 2 * MiB);
    between('total', go.total, '/memory/classes/total:bytes', 2 * MiB);
    assert.ok(go.heapObjects >= 64 * MiB, `the held 64 MiB in heap objects: ${go.heapObjects}`);
    assert.strictEqual(go.gogc, 100);
    assert.strictEqual(go.memoryLimit, 0, 'GOMEMLIMIT unset reads as none');
    assert.ok(go.gcGoal > 64 * MiB && go.gcCycles >= 1);
    assert.ok(go.goroutines! >= 2);
    // RSS stays the OS's own for a local process; the page's is beside it.
    assert.ok(Math.abs(sample.rss / (await psRss(program.pid)) - 1) < 0.1);
  });

  it('the diagnosis from /metrics alone: live heap, free heap held, a leak, a goroutine leak, memory outside Go', async () => {
    const live = await watchMetrics('sources/prometheus', ['-hold', '200']);
    assert.match((await expectDiagnosis(live.watch, 'live-heap') as { message: string }).message, /^Live heap is (19\d|2\d\d)\.\d MiB of \d+\.\d MiB RSS/);
    const spike = await watchMetrics('sources/prometheus', ['-spike', '200'], HOLDING);
    assert.match((await expectDiagnosis(spike.watch, 'free-held') as { message: string }).message, /^\d+\.\d MiB is free heap the Go runtime still holds/);
    // Free OS Memory cannot go through /metrics: it says what to add.
    const report = await freeOSMemory(spike.watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => false });
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /figures come from its Prometheus \/metrics, which can read memory but not free it: add the Memory Watch agent .* or a FreeOSMemory hook/);
    const leak = await watchMetrics('sources/prometheus', ['-leak', '1024']);
    await expectDiagnosis(leak.watch, 'leak', FAST);
    const goroutines = await watchMetrics('sources/prometheus', ['-goroutineleak', '20']);
    await expectDiagnosis(goroutines.watch, 'goroutine-leak', FAST);
    const cgo = await watchMetrics('scenarios/cgo', ['-cmalloc', '200', '-serve', 'metrics']);
    assert.match((await expectDiagnosis(cgo.watch, 'outside-go') as { message: string }).message, /^RSS exceeds Go's own total by (19\d|20\d)\.\d MiB — memory outside the Go runtime/);
  });

  it('a URL target through a forwarder: RSS and VSZ from the process collector, the Go figures, a restart marked', async () => {
    const first = await startProgram(await buildFixture('sources/prometheus'), ['-hold', '32'], /listening on 127\.0\.0\.1:(\d+)/);
    let fwd = await forwarder(Number(first.match![1]));
    const { watch } = await reg.attachUrl(`http://127.0.0.1:${fwd.port}/metrics`, []);
    assert.strictEqual(watch.remoteSource?.kind, 'prometheus');
    assert.match(watch.remoteSource!.description, /^Prometheus metrics at 127\.0\.0\.1:\d+\/metrics$/);
    const sample = await watch.nextSample();
    const ps = await psRss(first.pid);
    assert.ok(Math.abs(sample.rss / ps - 1) < 0.05, `RSS ${sample.rss} against ps ${ps}`);
    assert.ok(sample.vsz! > sample.rss);
    assert.ok(sample.go && sample.go.heapObjects >= 32 * MiB);
    // A new process behind the same URL (a new pod): one graph, a restart marker.
    await fwd.close();
    first.proc.kill('SIGKILL');
    const second = await startProgram(await buildFixture('sources/prometheus'), [], /listening on 127\.0\.0\.1:(\d+)/);
    fwd = await forwarder(Number(second.match![1]), fwd.port);
    try {
      await waitFor(() => watch.series.allEvents().some((e) => e.kind === 'restart'), 'the restart marker', 30_000);
      assert.match(watch.series.allEvents().find((e) => e.kind === 'restart')!.detail ?? '', /restarted \(a new start time\)/);
      assert.strictEqual(reg.list().length, 1);
    } finally {
      await fwd.close();
    }
  });

  it('a service with 5 MiB of its own series, at 10 Hz: found and read, and the event loop stays free', async () => {
    reg.dispose();
    reg = registry(100);
    const program = await startProgram(await buildFixture('sources/prometheus'), ['-own', '5'], /listening on 127\.0\.0\.1:(\d+)/);
    const page = await httpText(`http://127.0.0.1:${program.match![1]}/metrics`);
    assert.ok(page.length > 4.5 * MiB, `a page of ${(page.length / MiB).toFixed(1)} MiB`);
    const { result, blockedMs, delayMs } = await longestBlock(async () => {
      const { watch } = await reg.attach(program.pid);
      const reads: number[] = [];
      const until = Date.now() + 8000;
      while (Date.now() < until) {
        const s = await watch.nextSample();
        if (s.go && s.goReadAt === s.time) reads.push(s.time);
      }
      return { watch, reads };
    });
    assert.strictEqual(result.watch.goRuntime?.currentSource?.kind, 'prometheus');
    assert.ok(result.reads.length >= 5, `${result.reads.length} reads of the page in 8 s`);
    // At most once a second (GO_FIGURES_MIN_INTERVAL_MS), though samples come ten times as often.
    for (let i = 1; i < result.reads.length; i++) assert.ok(result.reads[i] - result.reads[i - 1] >= 900, `reads ${result.reads[i] - result.reads[i - 1]} ms apart`);
    assert.ok(blockedMs < 50, `the event loop was blocked ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
  });
});
