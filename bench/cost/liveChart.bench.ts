/**
 * What the live graph costs the browser, against uPlot, in one headless Chromium: two pages side
 * by side — our real graph webview (src/webview/main.ts, fed the host's real messages) and a
 * typical live uPlot chart — each fed a sample every 100 ms and every 1 s over a 5-minute window.
 * The CPU time of every process of that Chromium (browser, GPU, renderers, utilities) is read from
 * /proc over equal windows; cases are interleaved in rounds with an idle case, which is subtracted.
 *
 *   node out/bench/cost/liveChart.bench.js                         (the full run, ≈ 7 min)
 *   node out/bench/cost/liveChart.bench.js --window 5 --rounds 1   (a quick look)
 *
 * MEMORY_WATCH_BENCH_HOVER=1 rests the pointer on our graph (its hover box shown) in each case and
 * in the profile, as the workbench bench does (bench/cost/graphFill.ts); MEMORY_WATCH_PROFILE_FILL
 * picks the profile's fill (20000 by default).
 */
import { execFileSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, CDPSession, chromium, Page } from 'playwright-core';
import { parseRecording, toSeriesSnapshot } from '../../src/core/recording';
import { capacityFor, SERIES_COLUMNS, SeriesColumn, TimeSeries } from '../../src/shared/series';
import type { WatchSummary } from '../../src/shared/protocol';
import { saveResult } from '../benchUtil';
import { CHROMIUM_ARGS, chromiumPath } from '../chart.bench';
import type { LiveCounters, LiveData, LiveFill } from '../chart/liveHarness';
import { fmt, med, numericFlags, selfTimes, sleep, spread } from './common';
import { chromiumBinary, cpuDelta, cpuSnapshot, processesOf, processRole } from './procCpu';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RECORDING = path.join(ROOT, 'test', 'unit', 'recorded', 'recordings', 'default-gc.memwatch.json');
const VIEWPORT = { width: 1300, height: 700 };

/**
 * How full the graph is: a rate and a window setting (memoryWatch.window), the host's series filled
 * with as many samples as that window holds — '300': 30 s at 10 Hz; '3000': the default 5 minutes
 * at 10 Hz; '20000': the window at its maximum (24 h), which at 10 Hz holds the most a series keeps
 * (MAX_CAPACITY); '1hz': 5 minutes at 1 Hz (300 samples).
 */
const FILLS: Record<string, { hz: number; windowMs: number; label: string }> = {
  '300': { hz: 10, windowMs: 30_000, label: '300 samples (a 30 s window)' },
  '3000': { hz: 10, windowMs: 300_000, label: '3,000 samples (the default 5-minute window)' },
  '20000': { hz: 10, windowMs: 86_400_000, label: '20,000 samples (the window at its maximum)' },
  '1hz': { hz: 1, windowMs: 300_000, label: '300 samples (5 minutes at 1 Hz)' },
};
const FULL_FILLS = ['300', '3000', '20000'] as const;

export interface LiveChartOptions {
  /** Length of each measured window, seconds. */
  readonly windowSeconds: number;
  /** Feeding before each window starts (the page settles), seconds. */
  readonly warmupSeconds: number;
  readonly rounds: number;
  /** CPU profile of our page at 10 Hz after the rounds (0: none), seconds. */
  readonly profileSeconds: number;
}

export const LIVE_CHART_DEFAULTS: LiveChartOptions = { windowSeconds: 20, warmupSeconds: 3, rounds: 3, profileSeconds: 5 };

type PageName = 'ours' | 'base' | 'uplot';

/** One measured case: a page fed at a fill's rate (none: the idle case), or hidden. */
interface CaseSpec {
  readonly name: string;
  readonly page?: PageName;
  readonly fill: string;
  /** 1: the document says it is hidden (frames run); 2: frames are also held. */
  readonly hidden?: 1 | 2;
}

function casesFor(withBaseline: boolean): CaseSpec[] {
  const cases: CaseSpec[] = [{ name: 'idle', fill: '3000' }];
  for (const fill of FULL_FILLS) {
    cases.push({ name: `ours-10-${fill}`, page: 'ours', fill });
    if (withBaseline) cases.push({ name: `base-10-${fill}`, page: 'base', fill });
    cases.push({ name: `uplot-10-${fill}`, page: 'uplot', fill });
  }
  cases.push({ name: 'ours-1', page: 'ours', fill: '1hz' }, { name: 'uplot-1', page: 'uplot', fill: '1hz' });
  cases.push({ name: 'ours-10-hidden', page: 'ours', fill: '3000', hidden: 1 }, { name: 'ours-10-hidden-frames-held', page: 'ours', fill: '3000', hidden: 2 });
  // MEMORY_WATCH_BENCH_CASES=ours-10-3000,base-10-3000 runs only those (a look while working; a recorded run has them all).
  const only = process.env.MEMORY_WATCH_BENCH_CASES?.split(',');
  return only ? cases.filter((c) => c.name === 'idle' || only.includes(c.name)) : cases;
}

/** The renderer's main-thread times (CDP Performance.getMetrics), seconds, and layout/style counts. */
const PERF_METRICS = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount'] as const;
type PerfMetrics = Record<(typeof PERF_METRICS)[number], number>;

interface CaseResult {
  readonly round: number;
  readonly name: string;
  readonly seconds: number;
  /** Percent of one core, all Chromium processes. */
  readonly cpuPercent: number;
  /** Percent of one core per process role (renderer, gpu-process, main = the browser process …). */
  readonly byRole: Record<string, number>;
  /** Per second of window: the fed page's main-thread figures (ms/s for durations). */
  readonly perf?: PerfMetrics;
  /** Per second: redraws of the fed page (animation frames that drew). */
  readonly redrawsPerSecond?: number;
  readonly counters?: Partial<LiveCounters>;
}

const VSCODE_DARK_VARS = `body {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-foreground: #cccccc;
  --vscode-editor-background: #1f1f1f; --vscode-descriptionForeground: #9d9d9d; --vscode-charts-lines: rgba(204,204,204,0.5);
  --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185; --vscode-charts-purple: #b180d7;
  --vscode-charts-red: #f14c4c; --vscode-charts-yellow: #cca700; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc;
}`;

/** The host's side of the data: real rows of a recorded Go program, and the history of each fill. */
function liveData(): LiveData {
  const parsed = parseRecording(fs.readFileSync(RECORDING, 'utf8'));
  if (!parsed.ok) throw new Error(`${RECORDING}: ${parsed.message}`);
  const recorded = toSeriesSnapshot(parsed.recording);
  // A row as GraphFeed posts it: JSON drops the missing (undefined) values.
  const rows = recorded.time.map((_, i) => {
    const row: Partial<Record<SeriesColumn, number>> = {};
    for (const c of SERIES_COLUMNS) if (!Number.isNaN(recorded.columns[c][i])) row[c] = recorded.columns[c][i];
    return row;
  });
  const release = recorded.events.find((e) => e.kind === 'release');
  const fills: Record<string, LiveFill> = {};
  for (const [name, fill] of Object.entries(FILLS)) {
    // The host's own bounded series, filled at this rate as a watch attached long enough fills it:
    // a whole window, or as much as its buffer holds (the maximum window at 10 Hz).
    const interval = 1000 / fill.hz;
    const capacity = capacityFor(fill.windowMs, interval);
    const series = new TimeSeries(fill.windowMs, capacity);
    const count = Math.min(capacity, Math.floor(fill.windowMs / interval));
    for (let i = 0; i < count; i++) series.push(i * interval, rows[i % rows.length]);
    const span = (count - 1) * interval;
    series.addEvent({ time: 0, kind: 'attach', label: 'attached', detail: 'Attached to costtarget (PID 4242)' });
    if (release) series.addEvent({ time: span / 2, kind: 'release', label: release.label, detail: release.detail });
    const snapshot = series.snapshot();
    const last = snapshot.time[snapshot.time.length - 1];
    // Relative to the newest point; through JSON, as postMessage carries it (NaN becomes null).
    fills[name] = { hz: fill.hz, windowMs: fill.windowMs, snapshot: JSON.parse(JSON.stringify({ ...snapshot, time: snapshot.time.map((t) => t - last), events: snapshot.events.map((e) => ({ ...e, time: e.time - last })) })) };
  }
  const summary: WatchSummary = {
    id: '4242-1',
    pid: 4242,
    name: 'costtarget',
    commandLine: '/work/out/bench-bin/costtarget -source expvar',
    state: 'running',
    paused: false,
    go: 'go1.26.8',
    intervalMs: 100,
    goFigures: { state: 'found', text: 'Go figures: expvar at 127.0.0.1:40123/debug/vars' },
  };
  return { fills, initialFill: '3000', rows, summary };
}

async function bundle(entry: string, minify: boolean, name: string): Promise<string> {
  const result = await esbuild.build({ entryPoints: [path.join(ROOT, 'bench', 'chart', entry)], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', minify });
  return `${result.outputFiles[0].text}\n//# sourceURL=${name}`;
}

async function openOurs(browser: Browser, data: LiveData, script: string, css = fs.readFileSync(path.join(ROOT, 'media', 'graph.css'), 'utf8')): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  await page.setContent(`<!DOCTYPE html><html lang="en"><head><style>${css}\n${VSCODE_DARK_VARS}</style></head><body data-layout="full" class="vscode-dark"><main id="app" aria-live="off"></main></body></html>`);
  await page.evaluate((d) => ((window as unknown as { liveData: LiveData }).liveData = d), data);
  await page.addScriptTag({ content: script });
  // The webview said `ready`, got the state and drew it.
  await page.waitForFunction(() => ((window as unknown as { liveBench: { counters(): LiveCounters } }).liveBench.counters().posted.rendered ?? 0) > 0, undefined, { timeout: 20_000 });
  return page;
}

/** MEMORY_WATCH_BENCH_HOVER=1: the pointer at rest on our graph's canvas (its hover box shown), as in the workbench bench. */
async function restPointerOnGraph(page: Page): Promise<void> {
  if (process.env.MEMORY_WATCH_BENCH_HOVER !== '1') return;
  const box = await page.locator('#chart').boundingBox();
  if (box) await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
}

async function openUplot(browser: Browser, data: LiveData, script: string, size: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const css = fs.readFileSync(path.join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8');
  await page.setContent(`<!DOCTYPE html><html lang="en"><head><style>${css} body{margin:0;background:#1f1f1f;color:#ccc;font:13px system-ui,sans-serif}</style></head><body><main id="app"></main></body></html>`);
  await page.evaluate((d) => ((window as unknown as { liveData: LiveData }).liveData = d), data);
  await page.addScriptTag({ content: script });
  await page.evaluate(({ width, height }) => (window as unknown as { liveBench: { create(w: number, h: number): void } }).liveBench.create(width, height), size);
  return page;
}

type BenchMethod = 'start' | 'stop' | 'setHidden' | 'observeMutations' | 'counters';

/** Calls a method of the page's `liveBench` (liveHarness.ts or liveUplot.ts) with one argument. */
function call<T = void>(page: Page, method: BenchMethod, arg?: number | boolean | string): Promise<T> {
  return page.evaluate(([m, a]) => (window as unknown as { liveBench: Record<string, (x: unknown) => unknown> }).liveBench[m as string](a), [method, arg] as const) as Promise<T>;
}

async function perfMetrics(session: CDPSession): Promise<PerfMetrics> {
  const { metrics } = (await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const out = {} as PerfMetrics;
  for (const name of PERF_METRICS) out[name] = metrics.find((m) => m.name === name)?.value ?? NaN;
  return out;
}

/** The profile's heaviest functions, each named with the source file the unminified bundle took it from. */
function describeProfile(profile: Parameters<typeof selfTimes>[0], script: string, scriptName: string, totalMs: number): string[] {
  // esbuild marks each module in an unminified bundle with a `// path/to/file.ts` line.
  const lines = script.split('\n');
  const fileAt: string[] = [];
  let file = '?';
  for (const line of lines) {
    const m = /^\s*\/\/ ((?:src|bench|node_modules)\/\S+\.(?:ts|js|mjs))$/.exec(line);
    if (m) file = m[1];
    fileAt.push(file);
  }
  return selfTimes(profile)
    .filter((e) => e.functionName !== '(idle)')
    .slice(0, 14)
    .map((e) => {
      const where = e.url.endsWith(scriptName) ? `${fileAt[e.line] ?? '?'}:${e.line + 1}` : e.url ? path.basename(e.url) : '(native)';
      return `| ${e.functionName} | ${where} | ${fmt(e.selfMs, 0)} | ${fmt((100 * e.selfMs) / totalMs, 1)} |`;
    });
}

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly args?: { name?: string; data?: { message?: string } };
}

/**
 * Where one page's renderer spends its time: a Chromium trace of `seconds` while it is fed at
 * 10 Hz, self time per thread and event name (nested events subtracted), ms per second.
 */
async function traceBreakdown(browser: Browser, page: Page, seconds: number): Promise<{ thread: string; name: string; msPerSecond: number }[]> {
  const categories = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'v8.execute'];
  await browser.startTracing(page, { categories });
  // A mark from the page itself says which process in the trace is its renderer.
  await page.evaluate(() => console.timeStamp('live-bench-traced-page'));
  await sleep(seconds * 1000);
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: TraceEvent[] };
  const events = trace.traceEvents;
  const mark = events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === 'live-bench-traced-page');
  if (!mark) return [];
  const threadNames = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === mark.pid).map((e) => [e.tid, e.args?.name ?? String(e.tid)]));
  const self = new Map<string, number>();
  const byThread = new Map<number, TraceEvent[]>();
  for (const e of events) if (e.pid === mark.pid && e.ph === 'X' && e.dur !== undefined) byThread.set(e.tid, [...(byThread.get(e.tid) ?? []), e]);
  for (const [tid, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    // A stack of open events: each event's time minus its children's is its own.
    const stack: { end: number; key: string; self: number }[] = [];
    const close = (until: number) => {
      while (stack.length && stack[stack.length - 1].end <= until) {
        const done = stack.pop()!;
        self.set(done.key, (self.get(done.key) ?? 0) + done.self);
      }
    };
    for (const e of list) {
      close(e.ts);
      if (stack.length) stack[stack.length - 1].self -= e.dur!;
      stack.push({ end: e.ts + e.dur!, key: `${threadNames.get(tid) ?? tid}\u0000${e.name}`, self: e.dur! });
    }
    close(Infinity);
  }
  return [...self.entries()]
    .map(([key, us]) => ({ thread: key.split('\u0000')[0], name: key.split('\u0000')[1], msPerSecond: us / 1000 / seconds }))
    .sort((a, b) => b.msPerSecond - a.msPerSecond);
}

/**
 * Our page as another commit builds it (MEMORY_WATCH_BASELINE, a git ref): that commit's src/ and
 * media/ (git archive, no worktree), fed by this checkout's harness, bundled like ours.
 */
async function baselineBundle(ref: string, minify: boolean): Promise<{ script: string; css: string; commit: string }> {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-live-base-'));
  try {
    execFileSync('sh', ['-c', `git archive ${JSON.stringify(commit)} src media | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
    fs.mkdirSync(path.join(dir, 'bench', 'chart'), { recursive: true });
    for (const file of ['liveHarness.ts', 'liveOurs.ts']) fs.copyFileSync(path.join(ROOT, 'bench', 'chart', file), path.join(dir, 'bench', 'chart', file));
    const result = await esbuild.build({ entryPoints: [path.join(dir, 'bench', 'chart', 'liveOurs.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', minify, nodePaths: [path.join(ROOT, 'node_modules')] });
    return { script: `${result.outputFiles[0].text}\n//# sourceURL=live-base.js`, css: fs.readFileSync(path.join(dir, 'media', 'graph.css'), 'utf8'), commit };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runLiveChartBench(options: Partial<LiveChartOptions> = {}): Promise<string> {
  const o: LiveChartOptions = { ...LIVE_CHART_DEFAULTS, ...options };
  const data = liveData();
  const baselineRef = process.env.MEMORY_WATCH_BASELINE;
  const cases = casesFor(!!baselineRef);
  const [oursScript, uplotScript, oursPlain, base] = await Promise.all([
    bundle('liveOurs.ts', true, 'live-ours.js'),
    bundle('liveUplot.ts', true, 'live-uplot.js'),
    bundle('liveOurs.ts', false, 'live-ours-plain.js'),
    baselineRef ? baselineBundle(baselineRef, true) : undefined,
  ]);
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const launcher = chromiumPath();
  const binary = chromiumBinary(launcher);
  const browser = await chromium.launch({ executablePath: launcher, args: CHROMIUM_ARGS });
  try {
    const pages: Partial<Record<PageName, Page>> = {};
    pages.ours = await openOurs(browser, data, oursScript);
    if (base) pages.base = await openOurs(browser, data, base.script, base.css);
    const size = await pages.ours.evaluate(() => (window as unknown as { liveBench: { canvasSize(): { width: number; height: number } } }).liveBench.canvasSize());
    pages.uplot = await openUplot(browser, data, uplotScript, size);
    const sessions = new Map<Page, CDPSession>();
    for (const page of Object.values(pages)) {
      const session = await page.context().newCDPSession(page);
      await session.send('Performance.enable');
      sessions.set(page, session);
    }
    const results: CaseResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
      // Each round starts one case later, so no case always follows the same one.
      const order = cases.map((_, i) => cases[(i + round) % cases.length]);
      for (const spec of order) {
        const name = spec.name;
        const page = spec.page ? pages[spec.page] : undefined;
        const hidden = spec.hidden;
        if (page && hidden) {
          await call(page, 'setHidden', hidden);
          await call(page, 'observeMutations', true);
        }
        if (page) await call(page, 'start', spec.fill);
        if (page && spec.page !== 'uplot') await restPointerOnGraph(page);
        await sleep(o.warmupSeconds * 1000);
        const pids = processesOf(process.pid, binary);
        const counters0 = page ? await call<Partial<LiveCounters>>(page, 'counters') : undefined;
        const perf0 = page ? await perfMetrics(sessions.get(page)!) : undefined;
        const cpu0 = cpuSnapshot(pids);
        const t0 = performance.now();
        await sleep(o.windowSeconds * 1000);
        const cpu1 = cpuSnapshot(processesOf(process.pid, binary));
        const seconds = (performance.now() - t0) / 1000;
        const perf1 = page ? await perfMetrics(sessions.get(page)!) : undefined;
        const counters1 = page ? await call<Partial<LiveCounters>>(page, 'counters') : undefined;
        if (page) await call(page, 'stop');
        if (page && hidden) {
          await call(page, 'observeMutations', false);
          await call(page, 'setHidden', 0);
        }
        const delta = cpuDelta(cpu0, cpu1);
        const byRole: Record<string, number> = {};
        let total = 0;
        for (const [pid, cpu] of delta) {
          const role = processRole(pid);
          byRole[role] = (byRole[role] ?? 0) + (100 * cpu) / seconds;
          total += cpu;
        }
        const counters = counters0 && counters1 ? diffCounters(counters0, counters1) : undefined;
        const perf = perf0 && perf1 ? (Object.fromEntries(PERF_METRICS.map((k) => [k, ((perf1[k] - perf0[k]) * (k.endsWith('Count') ? 1 : 1000)) / seconds])) as PerfMetrics) : undefined;
        results.push({ round, name, seconds, cpuPercent: (100 * total) / seconds, byRole, perf, redrawsPerSecond: counters?.redraws !== undefined ? counters.redraws / seconds : undefined, counters });
        console.log(`  live chart round ${round + 1}/${o.rounds} ${name}: ${fmt((100 * total) / seconds)} % of a core`);
        await sleep(500);
      }
    }

    // Where our page spends its time: a CPU profile of the unminified bundle at 10 Hz, the window at its fullest.
    let profileRows: string[] = [];
    const profileFill = process.env.MEMORY_WATCH_PROFILE_FILL ?? '20000';
    if (o.profileSeconds > 0) {
      const plain = await openOurs(browser, data, oursPlain);
      const session = await plain.context().newCDPSession(plain);
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: 100 });
      await call(plain, 'start', profileFill);
      await restPointerOnGraph(plain);
      await sleep(o.warmupSeconds * 1000);
      await session.send('Profiler.start');
      await sleep(o.profileSeconds * 1000);
      const { profile } = (await session.send('Profiler.stop')) as { profile: Parameters<typeof selfTimes>[0] };
      // MEMORY_WATCH_BENCH_HEAP=<file>: a sampled heap profile of the same page over the same span (where it allocates).
      if (process.env.MEMORY_WATCH_BENCH_HEAP) {
        await session.send('HeapProfiler.enable');
        await session.send('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
        await sleep(o.profileSeconds * 1000);
        const heap = (await session.send('HeapProfiler.stopSampling')) as { profile: unknown };
        fs.writeFileSync(process.env.MEMORY_WATCH_BENCH_HEAP, JSON.stringify(heap.profile));
      }
      await call(plain, 'stop');
      const busyMs = selfTimes(profile)
        .filter((e) => e.functionName !== '(idle)')
        .reduce((sum, e) => sum + e.selfMs, 0);
      profileRows = describeProfile(profile, oursPlain, 'live-ours-plain.js', busyMs);
      await plain.close();
    }

    // What the renderer of each page does at 10 Hz, by trace event (not measured in the rounds: tracing costs).
    const traces: Record<string, { thread: string; name: string; msPerSecond: number }[]> = {};
    if (o.profileSeconds > 0) {
      for (const [name, page] of [['ours', pages.ours], ['baseline', pages.base], ['uPlot', pages.uplot]] as const) {
        if (!page) continue;
        await call(page, 'start', profileFill);
        await sleep(o.warmupSeconds * 1000);
        traces[name] = await traceBreakdown(browser, page, o.profileSeconds);
        await call(page, 'stop');
      }
    }

    return report(o, cases, results, profileRows, traces, (await browser.version()).split(' ')[0], size, { head, base: base ? `${baselineRef} (${base.commit})` : undefined }, profileFill);
  } finally {
    await browser.close();
  }
}

function diffCounters(a: Partial<LiveCounters>, b: Partial<LiveCounters>): Partial<LiveCounters> {
  const out: Partial<LiveCounters> = {};
  for (const key of ['redraws', 'drawsOutsideFrame', 'rafCallbacks', 'messagesIn', 'mutations'] as const) if (b[key] !== undefined) out[key] = b[key]! - (a[key] ?? 0);
  return out;
}

function report(
  o: LiveChartOptions,
  cases: readonly CaseSpec[],
  results: CaseResult[],
  profileRows: string[],
  traces: Record<string, { thread: string; name: string; msPerSecond: number }[]>,
  chromiumVersion: string,
  size: { width: number; height: number },
  builds: { head: string; base?: string },
  profileFill: string,
): string {
  const profileFillLabel = FILLS[profileFill]?.label ?? profileFill;
  // Net cost: each case minus the idle case of the same round.
  const idleOf = (round: number) => results.find((r) => r.round === round && r.name === 'idle')!.cpuPercent;
  const net = (name: string) => results.filter((r) => r.name === name).map((r) => r.cpuPercent - idleOf(r.round));
  const has = (name: string) => cases.some((c) => c.name === name);
  const netMedian = Object.fromEntries(cases.map((c) => [c.name, med(net(c.name))])) as Record<string, number>;
  const of = (name: string) => results.filter((r) => r.name === name);
  const roleMedian = (name: string, role: string) => med(of(name).map((r) => (r.byRole[role] ?? 0) - (results.find((x) => x.round === r.round && x.name === 'idle')!.byRole[role] ?? 0)));
  const perfMedian = (name: string, key: keyof PerfMetrics) => med(of(name).map((r) => r.perf?.[key] ?? NaN));
  /** Per round, case a ÷ case b (both net of idle), median. */
  const ratio = (a: string, b: string) => med(net(a).map((x, i) => x / net(b)[i]));
  const hiddenRedraws = of('ours-10-hidden').map((r) => r.counters?.redraws ?? NaN);
  const hiddenMutations = of('ours-10-hidden').map((r) => r.counters?.mutations ?? NaN);
  const uplotVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'uplot', 'package.json'), 'utf8')).version;
  const ratios = Object.fromEntries(FULL_FILLS.map((f) => [f, { uplot: ratio(`ours-10-${f}`, `uplot-10-${f}`), base: builds.base ? ratio(`ours-10-${f}`, `base-10-${f}`) : undefined }]));
  const machine = saveResult('live-chart', { unit: '% of one core, all Chromium processes, minus the idle case of the same round', options: o, chromium: chromiumVersion, uplot: uplotVersion, canvas: size, builds, netMedian, ratios, results });
  const row = (label: string, name: string) =>
    has(name)
      ? [`| ${label} | ${fmt(netMedian[name], 2)} | ${spread(net(name), 2)} | ${fmt(roleMedian(name, 'renderer'), 2)} | ${fmt(roleMedian(name, 'gpu-process'), 2)} | ${fmt(roleMedian(name, 'main'), 2)} | ${fmt(perfMedian(name, 'ScriptDuration'), 1)} | ${fmt(perfMedian(name, 'LayoutDuration') + perfMedian(name, 'RecalcStyleDuration'), 1)} | ${fmt(med(of(name).map((r) => r.redrawsPerSecond ?? NaN)), 1)} |`]
      : [];
  const oursFlat = FULL_FILLS.map((f) => netMedian[`ours-10-${f}`]);
  return [
    '## The live graph in the browser: CPU against the window\'s fill and uPlot (headless Chromium, /proc)',
    '',
    `Machine: ${machine}; Chromium ${chromiumVersion}, uPlot ${uplotVersion}; ours at ${builds.head}${builds.base ? `, the baseline ${builds.base}` : ''}. ${o.rounds} rounds × ${cases.length} interleaved cases (each round starts one case later), ${o.windowSeconds} s windows after ${o.warmupSeconds} s of feeding.`,
    `Pages of ${VIEWPORT.width}×${VIEWPORT.height} px, DPR 1, software canvas, in one browser: our graph webview (src/webview/main.ts bundled and minified, media/graph.css, a stub acquireVsCodeApi)${builds.base ? ', the same page as the baseline commit builds it (its src/ and media/, this harness)' : ''}, and a live uPlot chart of the same ${size.width}×${size.height} px.`,
    'How full the window is: each case starts with the host\'s series as a watch attached long enough leaves it (a TimeSeries of the window\'s capacity, filled at the rate with rows of a real recorded Go program with Go figures, test/unit/recorded/recordings/default-gc.memwatch.json, and two markers) — 300 samples (memoryWatch.window 30 s at 10 Hz), 3,000 (the default 5 minutes at 10 Hz), 20,000 (the window at its maximum, 24 h: at 10 Hz the most a series keeps) — sent as GraphFeed sends it (`state`, a long series in `seriesPart` messages one per turn), then the samples in batches (a `samples` message every SAMPLES_EVERY_MS, window.postMessage, structured clone), the same rows round and round: the window stays full.',
    'uPlot: 5 series (RSS, heap in use, Go total, GC goal; VSZ on a second axis), default legend and cursor, the same history; each tick pushes a point, shifts out the old ones (outside the window or beyond 20,000) and calls setData with the whole window.',
    'CPU: utime+stime of every process of that Chromium (browser, GPU, renderers, utilities) from /proc/PID/stat, minus the idle case (all pages loaded, nothing fed) of the same round; median over rounds (range).',
    'Script and style+layout: CDP Performance.getMetrics deltas of the fed page (ms per second of window); the canvas\'s rasterisation is not in them (see the trace below).',
    '',
    '| case | % of a core | rounds | renderers | GPU | browser | script ms/s | style+layout ms/s | redraws/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...FULL_FILLS.flatMap((f) => [...row(`ours, 10 Hz, ${FILLS[f].label}`, `ours-10-${f}`), ...row(`baseline, 10 Hz, ${FILLS[f].label}`, `base-10-${f}`), ...row(`uPlot, 10 Hz, ${FILLS[f].label}`, `uplot-10-${f}`)]),
    ...row(`ours, 1 Hz, ${FILLS['1hz'].label}`, 'ours-1'),
    ...row(`uPlot, 1 Hz, ${FILLS['1hz'].label}`, 'uplot-1'),
    ...row('ours, 10 Hz, 3,000 samples, page hidden (frames run)', 'ours-10-hidden'),
    ...row('ours, 10 Hz, 3,000 samples, page hidden (frames held)', 'ours-10-hidden-frames-held'),
    '',
    `Idle baseline (all pages, nothing fed): ${fmt(med(of('idle').map((r) => r.cpuPercent)), 2)} % of a core.`,
    '',
    `**Ours at 10 Hz: ${FULL_FILLS.map((f) => `${fmt(netMedian[`ours-10-${f}`], 2)} %`).join(' / ')} of a core with 300 / 3,000 / 20,000 samples in the window** (highest ÷ lowest ${fmt(Math.max(...oursFlat) / Math.min(...oursFlat), 2)}). Ours ÷ uPlot (per round, median): ${FULL_FILLS.map((f) => fmt(ratios[f].uplot, 2)).join(' / ')}${builds.base ? `; ours ÷ the baseline: ${FULL_FILLS.map((f) => fmt(ratios[f].base!, 2)).join(' / ')}` : ''}. Goal ≤ 0.5× uPlot at 10 Hz: ${FULL_FILLS.every((f) => ratios[f].uplot <= 0.5) ? 'met' : 'NOT met'} at every fill.`,
    '',
    'At 10 Hz ours redraws once a second against uPlot\'s ten; at 1 Hz both redraw once per sample.',
    ...(has('ours-10-hidden')
      ? [
          '',
          `Hidden: headless Chromium under Playwright keeps every page "visible" (neither a background tab nor a minimised window changes it here), so hidden is emulated with page.evaluate: document.visibilityState and document.hidden overridden to "hidden" and a visibilitychange event dispatched. "Frames run": requestAnimationFrame still fires — what our code does by itself; redraws per ${o.windowSeconds} s window: ${hiddenRedraws.join(', ')} (goal 0: ${hiddenRedraws.every((n) => n === 0) ? 'met' : 'NOT met'}); DOM mutation records: ${hiddenMutations.join(', ')}. "Frames held": animation-frame callbacks are also held until visible, as a browser does for a hidden page — what stays is the message handling; DOM mutation records: ${of('ours-10-hidden-frames-held').map((r) => r.counters?.mutations ?? NaN).join(', ')}.`,
        ]
      : []),
    ...(profileRows.length
      ? [
          '',
          `Where our page's JavaScript spends its time at 10 Hz with ${profileFillLabel} (CDP CPU profile of the renderer's main thread over ${o.profileSeconds} s, 100 µs sampling, unminified bundle; self time; % of the profile's non-idle time, in which "(program)" is the browser's own work on that thread: painting, rasterising, compositing):`,
          '',
          '| function | source | self ms | % of busy |',
          '|---|---|---:|---:|',
          ...profileRows,
        ]
      : []),
    ...(Object.keys(traces).length
      ? [
          '',
          `Each page's renderer at 10 Hz with ${profileFillLabel}, by Chromium trace event (${o.profileSeconds} s each, categories toplevel, devtools.timeline, blink, cc, gpu; self time, nested events subtracted; ms per second):`,
          '',
          '| page | thread | event | ms/s |',
          '|---|---|---|---:|',
          ...Object.entries(traces).flatMap(([page, rows]) => rows.slice(0, 8).map((r) => `| ${page} | ${r.thread} | ${r.name} | ${fmt(r.msPerSecond, 1)} |`)),
          '',
          ...Object.entries(traces).map(([page, rows]) => `${page}: all traced events on its renderer ${fmt(rows.reduce((sum, r) => sum + r.msPerSecond, 0), 0)} ms/s, main thread ${fmt(rows.filter((r) => r.thread === 'CrRendererMain').reduce((sum, r) => sum + r.msPerSecond, 0), 0)} ms/s.`),
        ]
      : []),
  ].join('\n');
}

if (require.main === module) {
  const flags = numericFlags(process.argv.slice(2), { window: LIVE_CHART_DEFAULTS.windowSeconds, warmup: LIVE_CHART_DEFAULTS.warmupSeconds, rounds: LIVE_CHART_DEFAULTS.rounds, profile: LIVE_CHART_DEFAULTS.profileSeconds });
  runLiveChartBench({ windowSeconds: flags.window, warmupSeconds: flags.warmup, rounds: flags.rounds, profileSeconds: flags.profile })
    .then((text) => console.log(`\n${text}`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
