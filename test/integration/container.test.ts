/**
 * Where services really run, on the real kernel and real Go programs:
 *   - a watch of a process in a memory-limited cgroup (made for the test, cgroup v1 as on this
 *     machine) carries the cgroup's limit, usage and working set; when the kernel's OOM killer
 *     ends the process, the watch says so — with the limit and the cgroup's real peak — and a kill
 *     of another process in the same cgroup is a marker on a watch that goes on;
 *   - a restarted process is followed in the same series, with a "restarted" marker;
 *   - a process reached only by URL, through a TCP forwarder of the test (like kubectl
 *     port-forward: the port belongs to the forwarder), is watched with its own RSS, Go figures and
 *     a working Free OS Memory, and survives the forwarder dying and coming back.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { adviseContainer, DEFAULT_DIAGNOSIS, diagnoseContainer } from '../../src/core/diagnosis';
import { MiB } from '../../src/shared/format';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { readProcStatus } from '../../src/core/sampling/procfs';
import { samplerHelperPath, SamplerHelperConfig } from '../../src/core/sources/samplerHelper';
import { CGROUP_MIN_INTERVAL_MS } from '../../src/core/cgroup/tracker';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { createTestCgroup, removeAllTestCgroups, v1MemoryCgroupUnavailable } from '../support/cgroupV1';
import { buildFixture, loadSeedServer, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { forwarder } from '../support/forwarder';

const READY = /grower listening on 127\.0\.0\.1:(\d+) pid (\d+)/;
const RECORDED = path.join(REPO_ROOT, 'test-output', 'recorded');
const noConfirm = { confirm: async () => assert.fail('nothing to confirm here') };

/** Asks the grower to allocate and touch `mib` more MiB (it may be killed while it does). */
function grow(port: number, mib: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/grow?mib=${mib}`, method: 'POST', timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    // Killed mid-request: the connection resets. That is the point.
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function registry(intervalMs = 200, samplerHelper?: SamplerHelperConfig): WatchRegistry {
  return new WatchRegistry({ intervalMs, windowMs: 300_000, samplerHelper }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), () => undefined));
}

/** The sampler helper built by scripts/build.mjs (a watch under 1 s lets it take the samples). */
const HELPER_PATH = samplerHelperPath(REPO_ROOT);

describe('containers: a memory-limited cgroup, the OOM killer, restarts', function () {
  this.timeout(60_000);
  let reg: WatchRegistry;
  before(function () {
    const unavailable = v1MemoryCgroupUnavailable();
    if (unavailable) this.skip(); // e.g. not root: creating a memory cgroup needs it (the reason is printed by the cgroup suite)
  });
  beforeEach(() => (reg = registry()));
  afterEach(async () => {
    reg.dispose();
    await stopAll();
    await removeAllTestCgroups();
  });

  it('shows the limit and working set, then says the OOM killer ended the process, with the limit and the real peak', async () => {
    const cgroup = createTestCgroup(64 * MiB);
    const grower = await cgroup.start(await buildFixture('grower'), [], READY);
    const port = Number(grower.match![1]);
    const { watch } = await reg.attach(grower.pid);
    assert.strictEqual(watch.cgroup?.limit, 64 * MiB);
    assert.strictEqual(watch.cgroup?.limitPath, cgroup.path);
    await grow(port, 24);
    // The cgroup is read at most once a second (CGROUP_MIN_INTERVAL_MS): the growth shows within one.
    const sample = await waitFor(async () => {
      const next = await watch.nextSample();
      return next.cgroup && next.cgroup.workingSet > 20 * MiB ? next : undefined;
    }, 'the growth in the working set', 2 * CGROUP_MIN_INTERVAL_MS + 500);
    assert.ok(sample.cgroup && sample.cgroup.workingSet <= sample.cgroup.usage, JSON.stringify(sample.cgroup));
    const snapshot = watch.series.snapshot();
    assert.strictEqual(snapshot.columns.cgroupLimit.at(-1), 64 * MiB, 'the series carries the limit');
    assert.ok(snapshot.columns.cgroupWorkingSet.at(-1)! > 20 * MiB);
    // Grow past the limit: the kernel kills it.
    for (let i = 0; i < 8 && watch.state === 'running'; i++) await grow(port, 16);
    await waitFor(() => watch.state === 'exited', 'the watch to end', 10_000);
    assert.match(watch.endLabel ?? '', /^killed by the OOM killer \(limit 64\.0 MiB\)$/);
    assert.match(watch.endReason ?? '', /was killed by the OOM killer: its memory cgroup reached its limit of 64\.0 MiB; the cgroup peaked at/);
    const oom = watch.series.allEvents().find((e) => e.kind === 'oom');
    assert.ok(oom, 'an OOM marker');
    // The cgroup's own high-water mark: the kill happens at the limit, whatever the last sample saw
    // (often well below it: a sample is not taken at the moment of the kill). The kernel may charge
    // a page or a charge batch past the limit before it reclaims or kills (seen: limit + 4 KiB).
    assert.ok(oom.bytes !== undefined && oom.bytes >= 0.9 * 64 * MiB && oom.bytes <= 65 * MiB, `peak ${oom.bytes}`);
  });

  it('with the sampler helper taking the samples (10 Hz), an OOM kill is still said as such, not as another process\'s', async () => {
    // A helper's batch is taken in up to a second after its samples, and the cgroup is read then:
    // after the kill, its risen OOM count must not be put down to another process while ours
    // seems to live (it was, and the watch then ended as merely "exited").
    assert.ok(HELPER_PATH, 'the sampler helper is built (scripts/build.mjs)');
    const logged: string[] = [];
    // Batches of 5 s: the one the kill cuts short holds more than a second of samples, so the cgroup is read while it is taken in.
    const helped = registry(100, { path: () => HELPER_PATH, log: (m) => logged.push(m), batchMs: 5000 });
    try {
      const cgroup = createTestCgroup(64 * MiB);
      const grower = await cgroup.start(await buildFixture('grower'), [], READY);
      const port = Number(grower.match![1]);
      const { watch } = await helped.attach(grower.pid);
      await grow(port, 24);
      await new Promise((r) => setTimeout(r, 2500));
      for (let i = 0; i < 8 && watch.state === 'running'; i++) await grow(port, 16);
      await waitFor(() => watch.state === 'exited', 'the watch to end', 10_000);
      assert.match(watch.endLabel ?? '', /^killed by the OOM killer \(limit 64\.0 MiB\)$/, watch.endReason);
      // The samples the helper held when the process died are in the series (they were dropped: the
      // first one read CPU time from the dead process's stat and ended the watch).
      assert.ok(watch.series.length >= 20, `${watch.series.length} samples: the helper's last batch is in`);
      const ooms = watch.series.allEvents().filter((e) => e.kind === 'oom');
      assert.strictEqual(ooms.length, 1, ooms.map((e) => e.detail).join('; '));
      assert.deepStrictEqual(logged, []);
    } finally {
      helped.dispose();
    }
  });

  it('diagnoses a service growing toward its limit: the trend, then "near the limit", and GOMEMLIMIT advice (recorded for the unit tests)', async () => {
    const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'));
    try {
      const cgroup = createTestCgroup(128 * MiB);
      // The agent (a flag of the grower) says GOMEMLIMIT is not set; its port file is found by PID.
      process.env.MEMORYWATCH_AGENT_DIR = agentDir;
      const grower = await cgroup.start(await buildFixture('grower'), ['-agent'], READY);
      delete process.env.MEMORYWATCH_AGENT_DIR;
      const { watch } = await reg.attach(grower.pid);
      await waitFor(() => watch.latest?.go, 'Go figures from the agent', 10_000);
      const fast = { ...DEFAULT_DIAGNOSIS, trendMinSpanMs: 3000, trendWindowMs: 10_000 };
      let trend: string | undefined;
      // One 8 MiB block (the grower's unit) every half second: 128 MiB in about 8 s.
      for (let i = 0; i < 60 && watch.state === 'running'; i++) {
        await grow(Number(grower.match![1]), 4);
        await new Promise((r) => setTimeout(r, 500));
        const d = diagnoseContainer(watch.series, fast);
        if (d?.kind === 'limit-trend') trend ??= d.message;
        if (d?.kind === 'near-limit') break;
      }
      assert.match(trend ?? '', /^Working set \d+\.\d MiB of a 128\.0 MiB container limit, growing\. At the rate of the last \d+(\.\d)? s \(\+\d+\.\d MiB\/min\) the limit is reached in ~1 min\.$/);
      assert.strictEqual(diagnoseContainer(watch.series, fast)?.kind, 'near-limit');
      assert.deepStrictEqual(adviseContainer(watch.series).map((a) => a.kind), ['gomemlimit-unset']);
      fs.mkdirSync(RECORDED, { recursive: true });
      fs.writeFileSync(path.join(RECORDED, 'series-container-growth.json'), JSON.stringify(watch.series.snapshot()));
    } finally {
      fs.rmSync(agentDir, { recursive: true, force: true });
    }
  });

  it('marks an OOM kill of another process in the same cgroup; the watched one goes on', async () => {
    const cgroup = createTestCgroup(64 * MiB);
    const bin = await buildFixture('grower');
    const quiet = await cgroup.start(bin, [], READY);
    const greedy = await cgroup.start(bin, [], READY);
    const { watch } = await reg.attach(quiet.pid);
    await watch.nextSample();
    for (let i = 0; i < 10; i++) await grow(Number(greedy.match![1]), 16);
    await waitFor(() => watch.series.allEvents().some((e) => e.kind === 'oom'), 'the OOM marker', 10_000);
    assert.strictEqual(watch.state, 'running');
    const oom = watch.series.allEvents().find((e) => e.kind === 'oom')!;
    assert.match(oom.detail ?? '', /killed a process in this cgroup \(limit 64\.0 MiB\) — not grower, which is still running/);
  });

  it('a restarted process goes on in the same series, with a "restarted" marker', async () => {
    const bin = await buildFixture('grower');
    const first = await startProgram(bin, [], READY);
    const { watch } = await reg.attach(first.pid);
    await first.stop();
    await waitFor(() => watch.state === 'exited', 'the first run to end', 5000);
    const second = await startProgram(bin, [], READY);
    await watch.resume(second.pid, { label: 'restarted', detail: 'A new grower' });
    assert.strictEqual(watch.state, 'running');
    assert.strictEqual(watch.pid, second.pid);
    await watch.nextSample();
    const kinds = watch.series.allEvents().map((e) => e.kind);
    assert.deepStrictEqual(kinds, ['attach', 'exit', 'restart']);
    assert.match(watch.series.allEvents()[2].detail ?? '', new RegExp(`PID ${first.pid} → ${second.pid}`));
    assert.strictEqual(reg.list().length, 1, 'one watch, one graph');
  });
});

describe('a process reached only by URL (through a forwarder)', function () {
  this.timeout(60_000);
  let reg: WatchRegistry;
  let agentDir: string;
  before(() => (agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'))));
  after(() => fs.rmSync(agentDir, { recursive: true, force: true }));
  beforeEach(() => (reg = registry(250)));
  afterEach(async () => {
    reg.dispose();
    await stopAll();
  });

  it('watches RSS (the process its own reading), Go figures and Free OS Memory through the agent; a dead forwarder is a state, not an error', async () => {
    const target = await startProgram(await buildFixture('sources/agent'), [], /listening on 127\.0\.0\.1:(\d+)/, { MEMORYWATCH_AGENT_DIR: agentDir });
    const portFile = path.join(agentDir, `${target.pid}.json`);
    await waitFor(() => fs.existsSync(portFile), 'the port file');
    const agentPort = Number(/:(\d+)$/.exec((JSON.parse(fs.readFileSync(portFile, 'utf8')) as { addr: string }).addr)![1]);
    let fwd = await forwarder(agentPort);
    const url = `http://127.0.0.1:${fwd.port}/`;
    const { watch } = await reg.attachUrl(url, []);
    assert.strictEqual(watch.isLocal, false);
    assert.strictEqual(watch.pid, target.pid, 'the PID the agent reports');
    assert.strictEqual(watch.info.name, 'sources-agent');
    assert.ok(watch.remoteSource?.freeOSMemoryUrl, 'Free OS Memory goes through the agent');
    assert.ok(!reg.findRunning(fwd.port) && !reg.findRunning(target.pid), 'a URL target is never a local process');
    // RSS as the target itself reads it, against the OS's own figure.
    const sample = await watch.nextSample();
    const own = readProcStatus(target.pid).vmRss!;
    assert.ok(Math.abs(sample.rss - own) / own < 0.05, `RSS ${sample.rss} vs /proc ${own}`);
    assert.ok(sample.go && sample.go.total > 0 && sample.go.goroutines! > 0, JSON.stringify(sample.go));
    // Load, then Free OS Memory through the agent behind the forwarder.
    await loadSeedServer(Number(target.match![1]));
    const report = await freeOSMemory(watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { ...noConfirm, agentUrl: watch.remoteSource!.freeOSMemoryUrl });
    assert.strictEqual(report.method, 'agent', report.message);
    assert.ok(report.triggered, report.message);
    // The signal method cannot reach a process through a URL: refused, nothing sent.
    const signal = await freeOSMemory(watch, { method: 'signal', url: '', signal: 'SIGUSR1', allowedHosts: [] }, noConfirm);
    assert.match(signal.message, /no signal can reach it/);
    // The forwarder dies: a visible failure, the watch goes on, the graph keeps its data.
    const before = watch.series.length;
    const port = fwd.port;
    await fwd.close();
    await waitFor(() => watch.lastFailure, 'the failure to show', 10_000);
    assert.match(watch.lastFailure!.message, /Lost the connection to 127\.0\.0\.1:\d+/);
    assert.strictEqual(watch.state, 'running');
    assert.ok(watch.series.length >= before);
    // It comes back on the same port: reading resumes by itself.
    fwd = await forwarder(agentPort, port);
    await waitFor(() => !watch.lastFailure, 'reading again', 20_000);
    assert.deepStrictEqual(
      watch.series.allEvents().map((e) => e.label).filter((l) => /connection|reconnected/.test(l)),
      ['connection lost', 'reconnected'],
    );
    await fwd.close();
  });

  it('a URL with nothing behind it, or on a host not allowed, is refused with a clear message', async () => {
    const unused = await forwarder(1);
    const port = unused.port;
    await unused.close();
    await assert.rejects(reg.attachUrl(`http://127.0.0.1:${port}/`, []), /Nothing at http:\/\/127\.0\.0\.1:\d+ speaks for a Go program/);
    await assert.rejects(reg.attachUrl('http://192.0.2.10:6060/', []), /only loopback hosts are allowed/);
    assert.strictEqual(reg.list().length, 0);
  });
});

