/**
 * What the live graph costs the browser, against uPlot, in one headless Chromium: two pages side
 * by side — our real graph webview (src/webview/main.ts, fed the host's real messages) and a
 * typical live uPlot chart — each fed a sample every 100 ms and every 1 s over a 5-minute window.
 * The CPU time of every process of that Chromium (browser, GPU, renderers, utilities) is read from
 * /proc over equal windows; cases are interleaved in rounds with an idle case, which is subtracted.
 *
 *   node out/bench/cost/liveChart.bench.js                         (the full run, ≈ 7 min)
 *   node out/bench/cost/liveChart.bench.js --window 5 --rounds 1   (a quick look)
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { Browser, CDPSession, chromium, Page } from 'playwright-core';
import { parseRecording, toSeriesSnapshot } from '../../src/core/recording';
import { capacityFor, SERIES_COLUMNS, SeriesColumn, SeriesSnapshot, TimeSeries } from '../../src/core/series';
import type { WatchSummary } from '../../src/protocol';
import { saveResult } from '../benchUtil';
import { CHROMIUM_ARGS, chromiumPath } from '../chart.bench';
import type { LiveCounters, LiveData } from '../chart/liveHarness';
import { fmt, med, numericFlags, selfTimes, sleep, spread } from './common';
import { chromiumBinary, cpuDelta, cpuSnapshot, processesOf, processRole } from './procCpu';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RECORDING = path.join(ROOT, 'test', 'unit', 'recorded', 'recordings', 'default-gc.memwatch.json');
const WINDOW_MS = 300_000;
const VIEWPORT = { width: 1300, height: 700 };

export interface LiveChartOptions {
  /** Length of each measured window, seconds. */
  readonly windowSeconds: number;
  /** Feeding before each window starts (the page settles), seconds. */
  readonly warmupSeconds: number;
  readonly rounds: number;
  /** CPU profile of our page at 10 Hz after the rounds (0: none), seconds. */
  readonly profileSeconds: number;
}

export const LIVE_CHART_DEFAULTS: LiveChartOptions = { windowSeconds: 20, warmupSeconds: 2, rounds: 3, profileSeconds: 5 };

type CaseName = 'ours-10' | 'uplot-10' | 'ours-1' | 'uplot-1' | 'idle' | 'ours-10-hidden' | 'ours-10-hidden-frames-held';
const CASES: readonly CaseName[] = ['ours-10', 'uplot-10', 'ours-1', 'uplot-1', 'idle', 'ours-10-hidden', 'ours-10-hidden-frames-held'];

/** The renderer's main-thread times (CDP Performance.getMetrics), seconds, and layout/style counts. */
const PERF_METRICS = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount'] as const;
type PerfMetrics = Record<(typeof PERF_METRICS)[number], number>;

interface CaseResult {
  readonly round: number;
  readonly name: CaseName;
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

/** The host's side of the data: real rows of a recorded Go program, and a full window per rate. */
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
  const snapshots: Record<string, SeriesSnapshot> = {};
  for (const hz of [10, 1]) {
    // The host's own bounded series, filled with a whole window at this rate.
    const interval = 1000 / hz;
    const series = new TimeSeries(WINDOW_MS, capacityFor(WINDOW_MS, interval));
    const count = WINDOW_MS / interval;
    for (let i = 0; i < count; i++) series.push(i * interval, rows[i % rows.length]);
    series.addEvent({ time: 0, kind: 'attach', label: 'attached', detail: 'Attached to costtarget (PID 4242)' });
    if (release) series.addEvent({ time: WINDOW_MS / 2, kind: 'release', label: release.label, detail: release.detail });
    const snapshot = series.snapshot();
    const last = snapshot.time[snapshot.time.length - 1];
    // Relative to the newest point; through JSON, as postMessage carries it (NaN becomes null).
    snapshots[hz] = JSON.parse(JSON.stringify({ ...snapshot, time: snapshot.time.map((t) => t - last), events: snapshot.events.map((e) => ({ ...e, time: e.time - last })) }));
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
  return { snapshots, rows, windowMs: WINDOW_MS, summary };
}

async function bundle(entry: string, minify: boolean, name: string): Promise<string> {
  const result = await esbuild.build({ entryPoints: [path.join(ROOT, 'bench', 'chart', entry)], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', minify });
  return `${result.outputFiles[0].text}\n//# sourceURL=${name}`;
}

async function openOurs(browser: Browser, data: LiveData, script: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const css = fs.readFileSync(path.join(ROOT, 'media', 'graph.css'), 'utf8');
  await page.setContent(`<!DOCTYPE html><html lang="en"><head><style>${css}\n${VSCODE_DARK_VARS}</style></head><body data-layout="full" class="vscode-dark"><main id="app" aria-live="off"></main></body></html>`);
  await page.evaluate((d) => ((window as unknown as { liveData: LiveData }).liveData = d), data);
  await page.addScriptTag({ content: script });
  // The webview said `ready`, got the state and drew it.
  await page.waitForFunction(() => ((window as unknown as { liveBench: { counters(): LiveCounters } }).liveBench.counters().posted.rendered ?? 0) > 0, undefined, { timeout: 20_000 });
  return page;
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
function call<T = void>(page: Page, method: BenchMethod, arg?: number | boolean): Promise<T> {
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

export async function runLiveChartBench(options: Partial<LiveChartOptions> = {}): Promise<string> {
  const o: LiveChartOptions = { ...LIVE_CHART_DEFAULTS, ...options };
  const data = liveData();
  const [oursScript, uplotScript, oursPlain] = await Promise.all([bundle('liveOurs.ts', true, 'live-ours.js'), bundle('liveUplot.ts', true, 'live-uplot.js'), bundle('liveOurs.ts', false, 'live-ours-plain.js')]);
  const launcher = chromiumPath();
  const binary = chromiumBinary(launcher);
  const browser = await chromium.launch({ executablePath: launcher, args: CHROMIUM_ARGS });
  try {
    const ours = await openOurs(browser, data, oursScript);
    const size = await ours.evaluate(() => (window as unknown as { liveBench: { canvasSize(): { width: number; height: number } } }).liveBench.canvasSize());
    const uplot = await openUplot(browser, data, uplotScript, size);
    const sessions = new Map<Page, CDPSession>();
    for (const page of [ours, uplot]) {
      const session = await page.context().newCDPSession(page);
      await session.send('Performance.enable');
      sessions.set(page, session);
    }
    const results: CaseResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
      // Each round starts one case later, so no case always follows the same one.
      const order = CASES.map((_, i) => CASES[(i + round) % CASES.length]);
      for (const name of order) {
        const page = name.startsWith('ours') ? ours : name.startsWith('uplot') ? uplot : undefined;
        const hz = name.includes('-10') ? 10 : 1;
        const hidden = name.includes('hidden');
        if (page && hidden) {
          await call(page, 'setHidden', name.endsWith('frames-held') ? 2 : 1);
          await call(page, 'observeMutations', true);
        }
        if (page) await call(page, 'start', hz);
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

    // Where our page spends its time: a CPU profile of the unminified bundle at 10 Hz.
    let profileRows: string[] = [];
    if (o.profileSeconds > 0) {
      const plain = await openOurs(browser, data, oursPlain);
      const session = await plain.context().newCDPSession(plain);
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: 100 });
      await call(plain, 'start', 10);
      await sleep(1000);
      await session.send('Profiler.start');
      await sleep(o.profileSeconds * 1000);
      const { profile } = (await session.send('Profiler.stop')) as { profile: Parameters<typeof selfTimes>[0] };
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
      for (const [name, page] of [['ours', ours], ['uPlot', uplot]] as const) {
        await call(page, 'start', 10);
        await sleep(1000);
        traces[name] = await traceBreakdown(browser, page, o.profileSeconds);
        await call(page, 'stop');
      }
    }

    return report(o, results, profileRows, traces, (await browser.version()).split(' ')[0], size);
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
  results: CaseResult[],
  profileRows: string[],
  traces: Record<string, { thread: string; name: string; msPerSecond: number }[]>,
  chromiumVersion: string,
  size: { width: number; height: number },
): string {
  // Net cost: each case minus the idle case of the same round.
  const idleOf = (round: number) => results.find((r) => r.round === round && r.name === 'idle')!.cpuPercent;
  const net = (name: CaseName) => results.filter((r) => r.name === name).map((r) => r.cpuPercent - idleOf(r.round));
  const netMedian = Object.fromEntries(CASES.map((c) => [c, med(net(c))])) as Record<CaseName, number>;
  const of = (name: CaseName) => results.filter((r) => r.name === name);
  const roleMedian = (name: CaseName, role: string) => med(of(name).map((r) => (r.byRole[role] ?? 0) - (results.find((x) => x.round === r.round && x.name === 'idle')!.byRole[role] ?? 0)));
  const perfMedian = (name: CaseName, key: keyof PerfMetrics) => med(of(name).map((r) => r.perf?.[key] ?? NaN));
  const ratio10 = netMedian['ours-10'] / netMedian['uplot-10'];
  const ratio1 = netMedian['ours-1'] / netMedian['uplot-1'];
  const hiddenRedraws = of('ours-10-hidden').map((r) => r.counters?.redraws ?? NaN);
  const hiddenMutations = of('ours-10-hidden').map((r) => r.counters?.mutations ?? NaN);
  const uplotVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'uplot', 'package.json'), 'utf8')).version;
  const machine = saveResult('live-chart', { unit: '% of one core, all Chromium processes, minus the idle case of the same round', options: o, chromium: chromiumVersion, uplot: uplotVersion, canvas: size, netMedian, ratio10, ratio1, results });
  const row = (label: string, name: CaseName, extra: string) =>
    `| ${label} | ${fmt(netMedian[name], 2)} | ${spread(net(name), 2)} | ${fmt(roleMedian(name, 'renderer'), 2)} | ${fmt(roleMedian(name, 'gpu-process'), 2)} | ${fmt(roleMedian(name, 'main'), 2)} | ${fmt(perfMedian(name, 'ScriptDuration'), 1)} | ${fmt(perfMedian(name, 'LayoutDuration') + perfMedian(name, 'RecalcStyleDuration'), 1)} | ${extra} |`;
  const redraws = (name: CaseName) => fmt(med(of(name).map((r) => r.redrawsPerSecond ?? NaN)), 1);
  return [
    '## The live graph in the browser: CPU against uPlot (headless Chromium, /proc)',
    '',
    `Machine: ${machine}; Chromium ${chromiumVersion}, uPlot ${uplotVersion}. ${o.rounds} rounds × ${CASES.length} interleaved cases, ${o.windowSeconds} s windows after ${o.warmupSeconds} s of feeding.`,
    `Two pages of ${VIEWPORT.width}×${VIEWPORT.height} px, DPR 1, software canvas, in one browser: our graph webview (src/webview/main.ts bundled and minified, media/graph.css, a stub acquireVsCodeApi) and a live uPlot chart of the same ${size.width}×${size.height} px.`,
    'Ours gets what GraphFeed posts: `state` (a full 5-minute window: 3,000 points at 10 Hz, 300 at 1 Hz), then the samples in batches (a `samples` message at most every SAMPLES_EVERY_MS) and the watch summaries only when they change, as GraphFeed sends them (window.postMessage, structured clone), rows from a real recorded Go program with Go figures (test/unit/recorded/recordings/default-gc.memwatch.json) fed round and round.',
    'uPlot: 5 series (RSS, heap in use, Go total, GC goal; VSZ on a second axis), default legend and cursor; each tick pushes a point, shifts out the old ones and calls setData with the whole window.',
    'CPU: utime+stime of every process of that Chromium (browser, GPU, renderers, utilities) from /proc/PID/stat, minus the idle case (both pages loaded, nothing fed) of the same round; median over rounds (range in brackets).',
    'Script and style+layout: CDP Performance.getMetrics deltas of the fed page (ms per second of window); the canvas\'s rasterisation is not in them (see the trace below).',
    '',
    '| case | % of a core | rounds | renderers | GPU | browser | script ms/s | style+layout ms/s | redraws/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    row('ours, 10 Hz', 'ours-10', redraws('ours-10')),
    row('uPlot, 10 Hz', 'uplot-10', redraws('uplot-10')),
    row('ours, 1 Hz', 'ours-1', redraws('ours-1')),
    row('uPlot, 1 Hz', 'uplot-1', redraws('uplot-1')),
    row('ours, 10 Hz, page hidden (frames run)', 'ours-10-hidden', redraws('ours-10-hidden')),
    row('ours, 10 Hz, page hidden (frames held)', 'ours-10-hidden-frames-held', redraws('ours-10-hidden-frames-held')),
    '',
    `Idle baseline (both pages, nothing fed): ${fmt(med(of('idle').map((r) => r.cpuPercent)), 2)} % of a core. At 10 Hz the 5-minute window holds 3,000 points across a ${size.width} px canvas: each sample moves the line ${fmt(size.width / 3000, 2)} px, and each redraw repaints the whole canvas.`,
    '',
    `**Ours ÷ uPlot: ${fmt(ratio10, 2)} at 10 Hz, ${fmt(ratio1, 2)} at 1 Hz.** Goal ≤ 0.5× at 10 Hz (the issue's case): ${ratio10 <= 0.5 ? 'met' : 'NOT met'}; at 1 Hz ≤ 0.5×: ${ratio1 <= 0.5 ? 'met' : 'NOT met'}.`,
    '',
    'At 10 Hz ours redraws once a second against uPlot\'s ten; at 1 Hz both redraw once per sample, and one redraw of ours draws more (the Go memory as six filled, stacked layers under the lines, markers, two axes) than uPlot\'s five lines: the ratio there is that of one redraw each.',
    '',
    `Hidden: headless Chromium under Playwright keeps every page "visible" (neither a background tab nor a minimised window changes it here), so hidden is emulated with page.evaluate: document.visibilityState and document.hidden overridden to "hidden" and a visibilitychange event dispatched. "Frames run": requestAnimationFrame still fires — what our code does by itself; redraws per ${o.windowSeconds} s window: ${hiddenRedraws.join(', ')} (goal 0: ${hiddenRedraws.every((n) => n === 0) ? 'met' : 'NOT met'}); DOM mutation records: ${hiddenMutations.join(', ')}. "Frames held": animation-frame callbacks are also held until visible, as a browser does for a hidden page — what stays is the message handling; DOM mutation records: ${of('ours-10-hidden-frames-held').map((r) => r.counters?.mutations ?? NaN).join(', ')}.`,
    ...(profileRows.length
      ? [
          '',
          `Where our page's JavaScript spends its time at 10 Hz (CDP CPU profile of the renderer's main thread over ${o.profileSeconds} s, 100 µs sampling, unminified bundle; self time; % of the profile's non-idle time, in which "(program)" is the browser's own work on that thread: painting, rasterising, compositing):`,
          '',
          '| function | source | self ms | % of busy |',
          '|---|---|---:|---:|',
          ...profileRows,
        ]
      : []),
    ...(Object.keys(traces).length
      ? [
          '',
          `Each page's renderer at 10 Hz, by Chromium trace event (${o.profileSeconds} s each, categories toplevel, devtools.timeline, blink, cc, gpu; self time, nested events subtracted; ms per second):`,
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
