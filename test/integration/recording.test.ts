/**
 * Recordings of real runs: a Go program (the agent fixture, so the Go figures are there) is
 * watched through a load and a Free OS Memory, saved to a .memwatch.json file, reopened — same
 * series, same markers —, and two runs are compared: one whose runtime holds memory (GOGC=off
 * with GOMEMLIMIT, a common production setting) and one with the default GC. The comparison's
 * numbers are checked against the raw series and against what the live release measurement said.
 *
 * The files are kept in test-output/recordings/; test/unit/recorded/recordings/ holds copies for
 * the unit tests.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeWatch } from '../../src/core/describeWatch';
import { MiB } from '../../src/shared/format';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import {
  compareRuns,
  MAX_RECORDING_BYTES,
  metaFromWatchSummary,
  parseRecording,
  Recording,
  recordingFromSnapshot,
  serializeRecording,
  summarizeRun,
  toSeriesSnapshot,
} from '../../src/core/recording';
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { ReleaseReport } from '../../src/core/release/measure';
import { SERIES_COLUMNS, SeriesSnapshot } from '../../src/shared/series';
import { Watch } from '../../src/core/watch';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, loadSeedServer, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const OUTPUT = path.join(REPO_ROOT, 'test-output', 'recordings');
const WINDOW_MS = 120_000;
const TOOL_VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
/** The runtime holds freed heap until the limit nears (see test/integration/diagnosis.test.ts). */
const HOLDING = { GOGC: 'off', GOMEMLIMIT: '1GiB' };

/** Resolves after `ms` of sampling (the watch keeps its own loop; this only waits for samples). */
async function samplesFor(watch: Watch, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) await watch.nextSample();
}

/** The highest value of the rss and missedPeak columns, straight from the live series. */
function rawPeak(s: SeriesSnapshot): number {
  return Math.max(...s.columns.rss.filter(Number.isFinite), ...s.columns.missedPeak.filter(Number.isFinite));
}

describe('recordings of real Go programs', function () {
  this.timeout(180_000);
  let registry: WatchRegistry;
  let agentDir: string;
  let tmp: string;

  beforeEach(() => {
    agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-recordings-'));
    registry = new WatchRegistry({ intervalMs: 250, windowMs: WINDOW_MS }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), () => undefined));
  });

  afterEach(async () => {
    registry.dispose();
    await stopAll();
    fs.rmSync(agentDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  interface Run {
    readonly live: SeriesSnapshot;
    readonly recording: Recording;
    readonly release: ReleaseReport;
    /** Epoch ms of the "load" marker. */
    readonly loadTime: number;
  }

  /**
   * Watches the agent fixture: 3 s idle, the seed's load (a "load" marker), 6 s idle, Free OS
   * Memory through the agent, 3 s idle; then ends the watch, saves, reopens and checks the file.
   */
  async function recordRun(name: string, env: Record<string, string>): Promise<Run> {
    const bin = await buildFixture('sources/agent');
    const program = await startProgram(bin, [], /listening on 127\.0\.0\.1:(\d+)/, { MEMORYWATCH_AGENT_DIR: agentDir, ...env });
    const { watch } = await registry.attach(program.pid);
    await waitFor(async () => (await watch.nextSample()).go, 'Go figures', 20_000);
    await samplesFor(watch, 3000);
    const loadTime = watch.addEvent({ time: Date.now(), kind: 'note', label: 'load', detail: '48 POSTs of 8 MiB, 16 at a time' }).time;
    await loadSeedServer(Number(program.match![1]));
    await samplesFor(watch, 6000);
    const release = await freeOSMemory(watch, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => false, agentUrl: watch.goRuntime!.agentFreeOSMemoryUrl });
    assert.ok(release.triggered, release.message);
    await samplesFor(watch, 3000);
    const summary = describeWatch(watch);
    registry.end(watch.id, 'Recording done.', 'recorded');
    const live = watch.series.snapshot();

    // Save as the UI will: serialize, write, check the size with fstat before reading, parse.
    const recording = recordingFromSnapshot(live, metaFromWatchSummary(summary, WINDOW_MS, TOOL_VERSION));
    const file = path.join(tmp, `${name}.memwatch.json`);
    fs.writeFileSync(file, serializeRecording(recording));
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.copyFileSync(file, path.join(OUTPUT, `${name}.memwatch.json`));
    const fd = fs.openSync(file, 'r');
    let text: string;
    try {
      assert.ok(fs.fstatSync(fd).size <= MAX_RECORDING_BYTES);
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    const reopened = parseRecording(text);
    assert.ok(reopened.ok, reopened.ok ? '' : reopened.message);

    // Same series and markers as the live graph had.
    const back = toSeriesSnapshot(reopened.recording);
    assert.deepStrictEqual(back.time, live.time);
    for (const column of SERIES_COLUMNS) assert.deepStrictEqual(back.columns[column], live.columns[column], column);
    assert.deepStrictEqual(
      back.events.map(({ id: _id, ...e }) => e),
      live.events.map(({ id: _id, ...e }) => e),
    );
    assert.deepStrictEqual(
      reopened.recording.events.map((e) => e.kind),
      ['attach', 'note', 'release', 'session'],
    );
    assert.strictEqual(reopened.recording.process.pid, program.pid);
    assert.match(reopened.recording.process.go ?? '', /^go1\.\d+/);
    assert.match(reopened.recording.goFigures ?? '', /^Go figures: /);
    assert.deepStrictEqual(reopened.recording.diagnosis, summary.diagnosis);
    assert.ok(!text.includes(bin), 'the command line (the binary path) is not in the file');
    return { live, recording: reopened.recording, release, loadTime };
  }

  it('saves a watched run, reopens it unchanged, and compares a run that holds memory with one that does not', async () => {
    const holding = await recordRun('gogc-off-memlimit', HOLDING);
    const normal = await recordRun('default-gc', {});

    // What the file says the release freed is what the live measurement reported.
    for (const run of [holding, normal]) {
      const marker = run.recording.events.find((e) => e.kind === 'release')!;
      assert.ok(Math.abs(marker.bytes! - run.release.released!) <= MiB, `marker ${marker.bytes} vs measured ${run.release.released}`);
    }

    const result = compareRuns(holding.recording, normal.recording, { markerLabel: 'load' });
    assert.ok(result.ok, result.ok ? '' : result.message);
    const { a, b, rows, offsetMs } = result.comparison;
    const rowOf = (key: string) => rows.find((r) => r.key === key)!;

    // The table against the raw series.
    assert.strictEqual(a.peakRss, rawPeak(holding.live));
    assert.strictEqual(b.peakRss, rawPeak(normal.live));
    assert.strictEqual(rowOf('peakRss').difference, rawPeak(normal.live) - rawPeak(holding.live));
    assert.strictEqual(offsetMs, holding.loadTime - normal.loadTime);
    const endOf = (s: SeriesSnapshot) => s.columns.rss[s.columns.rss.length - 1];
    assert.ok(Math.abs(a.endRss! - endOf(holding.live)) < 8 * MiB, `end ${a.endRss} vs last ${endOf(holding.live)}`);
    assert.ok(Math.abs(b.endRss! - endOf(normal.live)) < 8 * MiB, `end ${b.endRss} vs last ${endOf(normal.live)}`);
    assert.strictEqual(a.releasedBytes, holding.recording.events.find((e) => e.kind === 'release')!.bytes);

    // What the two runtimes did: GOGC=off keeps the load's garbage until Free OS Memory.
    assert.ok(a.peakRss! > b.peakRss!, `peaks: holding ${a.peakRss! / MiB} MiB, default ${b.peakRss! / MiB} MiB`);
    assert.ok(a.releasedBytes > 100 * MiB && a.releasedBytes > b.releasedBytes, `freed: holding ${a.releasedBytes / MiB} MiB, default ${b.releasedBytes / MiB} MiB`);
    assert.match(rowOf('peakRss').differenceText, /^−\d+\.\d MiB$/);
    assert.match(rowOf('released').differenceText, /^−\d+\.\d MiB$/);
    const releaseAt = holding.recording.events.find((e) => e.kind === 'release')!.time + holding.recording.startTime;
    const backAt = holding.recording.startTime + holding.recording.time[0] + a.peakTimeMs! + a.recoveryMs!;
    assert.ok(a.recoveryMs !== undefined && backAt >= releaseAt, 'held memory came back only with Free OS Memory');
    assert.ok(a.heapInUseAtPeak! > 100 * MiB, `heap in use at the peak ${a.heapInUseAtPeak! / MiB} MiB`);
    assert.ok(a.heapInUseAtPeak! <= a.peakRss!);
    console.log(`      holding: ${JSON.stringify(summarizeRun(holding.recording))}\n      default: ${JSON.stringify(summarizeRun(normal.recording))}`);
    console.log(rows.map((r) => `      ${r.title}: ${r.aText} | ${r.bText} | ${r.differenceText} | ${r.ratioText}`).join('\n'));
  });
});
