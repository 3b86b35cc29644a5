/**
 * The diagnosis on real programs in each situation it names: live heap (held on purpose), free
 * heap held after a spike — gone after Free OS Memory through the agent —, a steady leak, pages
 * lazily freed (GODEBUG=madvdontneed=0), and memory outside Go (cgo). Each run's series is saved
 * to test-output/recorded/ (the unit tests keep copies of some, to test the rules on them).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_DIAGNOSIS, diagnose, DiagnosisKind, DiagnosisOptions } from '../../src/core/diagnosis';
import { MiB } from '../../src/shared/format';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { Watch } from '../../src/core/watch';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const RECORDED = path.join(REPO_ROOT, 'test-output', 'recorded');
/** Short windows for the tests: a leak shows in seconds at 10 MiB/s. */
const FAST: DiagnosisOptions = { ...DEFAULT_DIAGNOSIS, leakMinSpanMs: 8000 };
/** A runtime that keeps the free heap (see the spike test). */
const HOLDING = { GOGC: 'off', GOMEMLIMIT: '1GiB' };

describe('diagnosis on real programs', function () {
  this.timeout(120_000);
  let registry: WatchRegistry;
  let agentDir: string;

  beforeEach(() => {
    agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'));
    registry = new WatchRegistry({ intervalMs: 250, windowMs: 120_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), () => undefined));
  });

  afterEach(async function () {
    for (const w of registry.list()) {
      fs.mkdirSync(RECORDED, { recursive: true });
      const name = this.currentTest!.title.replace(/\W+/g, '-').slice(0, 50);
      fs.writeFileSync(path.join(RECORDED, `${name}.json`), JSON.stringify(w.series.snapshot()));
    }
    registry.dispose();
    await stopAll();
    fs.rmSync(agentDir, { recursive: true, force: true });
  });

  async function watchFixture(fixture: string, args: string[], env: Record<string, string> = {}): Promise<Watch> {
    const bin = await buildFixture(fixture);
    const program = await startProgram(bin, args, /listening on/, { MEMORYWATCH_AGENT_DIR: agentDir, ...env });
    const { watch } = await registry.attach(program.pid);
    await waitFor(async () => (await watch.nextSample()).go, 'Go figures', 20_000);
    return watch;
  }

  async function expectDiagnosis(watch: Watch, kind: DiagnosisKind | undefined, options = DEFAULT_DIAGNOSIS) {
    return waitFor(
      async () => {
        await watch.nextSample();
        const d = diagnose(watch.series, options);
        return d?.kind === kind ? d ?? { none: true } : undefined;
      },
      `the diagnosis "${kind ?? 'none'}" (now: ${diagnose(watch.series, options)?.message ?? 'none'})`,
      30_000,
    );
  }

  it('live heap: a program holding 200 MiB', async () => {
    const watch = await watchFixture('sources/agent', ['-hold', '200']);
    const d = await expectDiagnosis(watch, 'live-heap');
    assert.match((d as { message: string }).message, /^Live heap is (19\d|20\d)\.\d MiB of \d+\.\d MiB RSS — memory the program is using now\.$/);
  });

  it('a spike, then idle: free heap held; after Free OS Memory (through the agent) nothing stands out', async () => {
    // With the default GOGC, Go ≥ 1.19 returns free heap above its (small) goal within seconds;
    // GOGC=off with a memory limit — a common production setting — makes the runtime hold it
    // until the limit nears: the situation the seed article describes, and deterministic here.
    const watch = await watchFixture('sources/agent', ['-spike', '200'], HOLDING);
    const d = await expectDiagnosis(watch, 'free-held');
    assert.match((d as { message: string }).message, /^\d+\.\d MiB is free heap the Go runtime still holds — it returns it gradually; Free OS Memory releases it now\.$/);
    const report = await freeOSMemory(watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => false, agentUrl: watch.goRuntime!.agentFreeOSMemoryUrl });
    assert.strictEqual(report.method, 'agent', '"auto" uses the agent first');
    assert.ok(report.triggered && report.released! > 150 * MiB, report.message);
    assert.match(report.detail!, /^agent: runtime released \d+\.\d MiB in /);
    await expectDiagnosis(watch, undefined);
  });

  it('a steady leak: the live heap keeps growing through GC', async () => {
    const watch = await watchFixture('sources/agent', ['-leak', '1024']);
    const d = await expectDiagnosis(watch, 'leak', FAST);
    assert.match((d as { message: string }).message, /^Live heap grew \d+ % in \d+(\.\d)? s and GC does not bring it down — look for a leak \(heap profile\)\.$/);
    assert.strictEqual(diagnose(watch.series, DEFAULT_DIAGNOSIS)?.kind === 'leak', false, 'with the default 3-minute span, seconds of data are not enough');
  });

  it('a goroutine leak: the count keeps rising, drawn and named', async () => {
    const watch = await watchFixture('sources/agent', ['-goroutineleak', '20']);
    const d = await expectDiagnosis(watch, 'goroutine-leak', FAST);
    assert.match((d as { message: string }).message, /^Goroutines grew from \d+ to \d+ in \d+(\.\d)? s and do not come down — a goroutine leak \(stacks hold \d+\.\d (KiB|MiB)\)\.$/);
    assert.ok(watch.series.snapshot().columns.goroutines.some((n) => n > 200), 'the count is in the series');
  });

  it('GODEBUG=madvdontneed=0: released pages stay in RSS as LazyFree', async () => {
    const watch = await watchFixture('sources/agent', ['-spike', '200'], { GODEBUG: 'madvdontneed=0', ...HOLDING });
    const report = await freeOSMemory(watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => false, agentUrl: watch.goRuntime!.agentFreeOSMemoryUrl });
    assert.ok(report.triggered, report.message);
    const d = await expectDiagnosis(watch, 'lazy-free');
    assert.match((d as { message: string }).message, /^\d+\.\d MiB is lazily freed \(MADV_FREE\) — counted in RSS until the kernel needs it\.$/);
    assert.ok(watch.latest!.lazyFree! > 150 * MiB, `LazyFree ${watch.latest!.lazyFree}`);
  });

  it('LazyFree of a watch not shown is read every 30 s, and at once when it is shown again', async () => {
    const watch = await watchFixture('sources/agent', ['-spike', '200'], { GODEBUG: 'madvdontneed=0', ...HOLDING });
    const before = watch.latest!.lazyFree ?? 0;
    assert.ok(before < 50 * MiB, `LazyFree before the release: ${before}`);
    // Another watch becomes the current one: this one's LazyFree was read at most 2 s ago, and is
    // not read again for BACKGROUND_LAZY_FREE_INTERVAL_MS from then.
    await watchFixture('sources/agent', []);
    assert.notStrictEqual(registry.current, watch);
    const report = await freeOSMemory(watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => false, agentUrl: watch.goRuntime!.agentFreeOSMemoryUrl });
    // RSS stays (the pages are only marked free): the release shows as LazyFree, once read.
    assert.ok(report.triggered, report.message);
    await watch.nextSample();
    assert.strictEqual(watch.latest!.lazyFree ?? 0, before, 'not read again while not shown');
    registry.select(watch.id);
    await watch.nextSample();
    assert.ok(watch.latest!.lazyFree! > 150 * MiB, `LazyFree at the first sample once shown: ${watch.latest!.lazyFree}`);
  });

  it('cgo: memory outside the Go runtime', async () => {
    const watch = await watchFixture('scenarios/cgo', ['-cmalloc', '200']);
    const d = await expectDiagnosis(watch, 'outside-go');
    assert.match((d as { message: string }).message, /^RSS exceeds Go's own total by (19\d|20\d)\.\d MiB — memory outside the Go runtime \(cgo\?\)\.$/);
  });
});
