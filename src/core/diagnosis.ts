/**
 * What the numbers mean: one line naming the dominant reason RSS is high now, and what to do.
 *
 * The candidates, each an amount of bytes (all from the newest samples):
 *   - leak:      the live heap's lows grew ≥ 40 % (and ≥ 16 MiB) across the window, over ≥ 2 GC
 *                cycles — GC does not bring it down. Checked first: it outranks the others.
 *   - live heap: the heap the last GC marked live (agent, Go ≥ 1.21); with a MemStats source,
 *                all allocated objects (HeapAlloc), garbage not yet collected included.
 *   - since GC:  allocated since the last GC and not collected yet (agent): garbage, or new data —
 *                only the next GC can tell; Free OS Memory forces one.
 *   - free held: free heap the runtime still holds (it returns it gradually).
 *   - lazy free: pages released with MADV_FREE that still count in RSS (Linux LazyFree).
 *   - outside Go: resident anonymous memory beyond what the runtime accounts for (cgo, C
 *                libraries, mmap) — RssAnon − (runtime total − released) − LazyFree.
 * The largest candidate of at least 16 MiB and 20 % of RSS is named; none → no diagnosis (nothing
 * stands out). Thresholds are options so the tests can use short windows.
 *
 * In a memory-limited cgroup (a container), what kills the process is the cgroup's working set
 * reaching the limit, and that outranks everything above:
 *   - near limit:  the working set is ≥ 90 % of the limit;
 *   - trend:       at the rate of the last 5 minutes (a least-squares line through the working
 *                  set, over at least 1 minute of data), the limit is reached within 30 minutes.
 * And two pieces of advice (adviseContainer) stand next to whatever the diagnosis says:
 *   - GOMEMLIMIT is not set (the agent says so) though a container limit is: set it to ~90 %;
 *   - GOMEMLIMIT is above the container limit: the kernel kills before the Go GC tries.
 */
import { formatBytes, formatDuration, MiB } from '../shared/format';
import { partition } from '../shared/partition';
import { SeriesColumn, TimeSeries } from '../shared/series';
import { isDue } from './util/throttle';
import { LineFit } from './util/lineFit';
import type { AdviceKind, DiagnosisKind } from '../shared/diagnosisKinds';

// The kinds live beside, as values the webview and the recording reader check against.
export type { AdviceKind, DiagnosisKind } from '../shared/diagnosisKinds';

/** Reasons a heap profile can explain: which code holds the live heap, or what grew. */
export const HEAP_REASONS: ReadonlySet<DiagnosisKind> = new Set<DiagnosisKind>(['leak', 'live-heap']);

/**
 * The diagnosis with what the heap profile found, when it is about the live heap: "Live heap grew
 * 96 MiB in 6 min … 91 % of the growth was allocated at store.(*LRU).Add (store.go:57)."
 */
export function withHeapFinding(diagnosis: Diagnosis, finding: string | undefined): Diagnosis {
  if (!finding || !HEAP_REASONS.has(diagnosis.kind)) return diagnosis;
  return { ...diagnosis, message: `${diagnosis.message} ${finding.charAt(0).toUpperCase()}${finding.slice(1)}.` };
}

export interface Advice {
  readonly kind: AdviceKind;
  readonly message: string;
}

export interface Diagnosis {
  readonly kind: DiagnosisKind;
  /** The bytes it is about. */
  readonly bytes: number;
  /** One line for the tooltip and the top of the graph. */
  readonly message: string;
}

export interface DiagnosisOptions {
  /** A reason must account for at least this many bytes … */
  readonly minBytes: number;
  /** … and this share of RSS. */
  readonly minShare: number;
  /** Leak: growth of the live heap's lows across the window. */
  readonly leakGrowth: number;
  readonly leakMinBytes: number;
  /** Leak: the data must span at least this long, with at least this many GC cycles. */
  readonly leakMinSpanMs: number;
  readonly leakMinGcCycles: number;
  /** Go figures older than this (relative to the newest sample) are too stale to use. */
  readonly maxGoAgeMs: number;
  /** Container: the working set's share of the limit that is "near". */
  readonly nearLimitShare: number;
  /** Container trend: fitted over this window, on at least trendMinSpanMs of data … */
  readonly trendWindowMs: number;
  readonly trendMinSpanMs: number;
  /** … and named when it reaches the limit within this long. */
  readonly trendHorizonMs: number;
}

export const DEFAULT_DIAGNOSIS: DiagnosisOptions = {
  minBytes: 16 * MiB,
  minShare: 0.2,
  leakGrowth: 0.4,
  leakMinBytes: 16 * MiB,
  leakMinSpanMs: 3 * 60_000,
  leakMinGcCycles: 2,
  maxGoAgeMs: 15_000,
  nearLimitShare: 0.9,
  trendWindowMs: 5 * 60_000,
  trendMinSpanMs: 60_000,
  trendHorizonMs: 30 * 60_000,
};

/** The newest value of a column within maxAgeMs of the newest sample, or undefined. */
function newest(s: TimeSeries, column: SeriesColumn, maxAgeMs = Infinity): number | undefined {
  const last = s.length - 1;
  for (let i = last; i >= 0 && s.time(last) - s.time(i) <= maxAgeMs; i--) {
    const v = s.value(column, i);
    if (!Number.isNaN(v)) return v;
  }
  return undefined;
}

/** How fast the working set grows: a least-squares line through the last window (bytes per ms). */
export function workingSetTrend(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): { slope: number; spanMs: number; last: number } | undefined {
  if (s.length === 0) return undefined;
  const end = s.time(s.length - 1);
  const fit = new LineFit();
  let first = NaN;
  let last = NaN;
  for (let i = s.length - 1; i >= 0 && end - s.time(i) <= o.trendWindowMs; i--) {
    const v = s.value('cgroupWorkingSet', i);
    if (Number.isNaN(v)) continue;
    // Times relative to the end keep the sums small (exact in doubles).
    fit.add(s.time(i) - end, v);
    first = s.time(i);
    if (Number.isNaN(last)) last = v;
  }
  const spanMs = end - first;
  if (fit.count < 10 || !(spanMs >= o.trendMinSpanMs)) return undefined;
  const slope = fit.slope();
  return Number.isNaN(slope) ? undefined : { slope, spanMs, last };
}

/**
 * The container's risk, when the process is in a memory-limited cgroup: the working set near the
 * limit, or growing toward it fast enough to reach it soon.
 */
export function diagnoseContainer(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  const limit = newest(s, 'cgroupLimit', o.maxGoAgeMs);
  const workingSet = newest(s, 'cgroupWorkingSet', o.maxGoAgeMs);
  if (limit === undefined || workingSet === undefined || limit <= 0) return undefined;
  const trend = workingSetTrend(s, o);
  let soon = '';
  if (trend && trend.slope > 0) {
    const msToLimit = (limit - trend.last) / trend.slope;
    if (msToLimit > 0 && msToLimit <= o.trendHorizonMs) {
      soon = `At the rate of the last ${formatDuration(Math.min(o.trendWindowMs, trend.spanMs))} (+${formatBytes(trend.slope * 60_000)}/min) the limit is reached in ~${formatDuration(Math.max(60_000, Math.round(msToLimit / 60_000) * 60_000))}.`;
    }
  }
  const share = workingSet / limit;
  if (share >= o.nearLimitShare) {
    return {
      kind: 'near-limit',
      bytes: workingSet,
      message: `Working set is ${Math.round(share * 100)} % of the container limit (${formatBytes(workingSet)} of ${formatBytes(limit)}) — the OOM killer acts at the limit.${soon ? ` ${soon}` : ''}`,
    };
  }
  if (soon) return { kind: 'limit-trend', bytes: workingSet, message: `Working set ${formatBytes(workingSet)} of a ${formatBytes(limit)} container limit, growing. ${soon}` };
  return undefined;
}

/** Advice on GOMEMLIMIT against the container limit (needs the agent: only it says whether GOMEMLIMIT is set). */
export function adviseContainer(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): Advice[] {
  const limit = newest(s, 'cgroupLimit', o.maxGoAgeMs);
  const goLimit = newest(s, 'memoryLimit', o.maxGoAgeMs);
  if (limit === undefined || goLimit === undefined || limit <= 0) return [];
  const suggested = `GOMEMLIMIT=${Math.floor((limit * 0.9) / MiB)}MiB`;
  if (goLimit === 0) {
    return [
      {
        kind: 'gomemlimit-unset',
        message: `GOMEMLIMIT is not set, but the container limit is ${formatBytes(limit)} — set it to about 90 % (${suggested}): the Go GC then works harder before the kill instead of after.`,
      },
    ];
  }
  if (goLimit > limit) {
    return [
      {
        kind: 'gomemlimit-above-limit',
        message: `GOMEMLIMIT (${formatBytes(goLimit)}) is above the container limit (${formatBytes(limit)}): the kernel kills the process before the Go GC tries to stay under it. Set it to about 90 % of the limit (${suggested}).`,
      },
    ];
  }
  return [];
}

/** The newest point with Go figures, within maxGoAgeMs of the newest sample. */
function newestGoIndex(s: TimeSeries, maxAgeMs: number): number | undefined {
  const last = s.length - 1;
  for (let i = last; i >= 0 && s.time(last) - s.time(i) <= maxAgeMs; i--) {
    if (!Number.isNaN(s.value('goTotal', i))) return i;
  }
  return undefined;
}

/** Anonymous resident memory beyond the runtime's own account at point i (shared/partition.ts). */
function outsideAt(s: TimeSeries, i: number): number {
  const column = (c: SeriesColumn) => s.value(c, i);
  return partition({
    rss: column('rss'),
    rssAnon: column('rssAnon'),
    rssFile: column('rssFile'),
    lazyFree: column('lazyFree'),
    goRss: column('goRss'),
    heapObjects: column('heapObjects'),
    heapUnused: column('heapUnused'),
    heapFree: column('heapFree'),
    heapReleased: column('heapReleased'),
    stacks: column('stacks'),
    goTotal: column('goTotal'),
  }).outsideGo;
}

/**
 * Memory outside Go, as the least of the last few samples with Go figures: real cgo memory stays,
 * while a difference from reading RSS and the Go figures a moment apart under churn does not.
 */
function outsideGo(s: TimeSeries, maxAgeMs: number): number {
  const last = s.length - 1;
  let least = Infinity;
  let seen = 0;
  for (let i = last; i >= 0 && seen < 4 && s.time(last) - s.time(i) <= maxAgeMs; i--) {
    if (Number.isNaN(s.value('goTotal', i))) continue;
    least = Math.min(least, outsideAt(s, i));
    seen++;
  }
  return seen ? least : 0;
}

/**
 * Where a column is defined (not NaN) across the window: how many points, the first and the last,
 * and the lows of its first and last fifth of defined points. The leak detectors ask this of the
 * whole window once a second per watch (the status bar, each watch's summary in the graph): one
 * pass over the column's buffer and two short walks, nothing allocated per point — twenty times
 * cheaper than an object per point (bench/RESULTS.md, "The diagnosis" and "Measured once").
 */
interface DefinedSpan {
  readonly count: number;
  readonly first: number;
  readonly last: number;
  readonly firstLow: number;
  readonly lastLow: number;
}

function definedSpan(primary: Float64Array, fallback?: Float64Array): DefinedSpan | undefined {
  let count = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < primary.length; i++) {
    if (Number.isNaN(pick(primary, fallback, i))) continue;
    if (first < 0) first = i;
    last = i;
    count++;
  }
  if (count === 0) return undefined;
  const fifth = Math.max(1, Math.floor(count / 5));
  let firstLow = Infinity;
  for (let i = first, seen = 0; seen < fifth; i++) {
    const v = pick(primary, fallback, i);
    if (Number.isNaN(v)) continue;
    if (v < firstLow) firstLow = v;
    seen++;
  }
  let lastLow = Infinity;
  for (let i = last, seen = 0; seen < fifth; i--) {
    const v = pick(primary, fallback, i);
    if (Number.isNaN(v)) continue;
    if (v < lastLow) lastLow = v;
    seen++;
  }
  return { count, first, last, firstLow, lastLow };
}

/** `primary`'s value at i, or `fallback`'s where it has none (one small function V8 inlines into the loops). */
function pick(primary: Float64Array, fallback: Float64Array | undefined, i: number): number {
  const v = primary[i];
  return Number.isNaN(v) && fallback ? fallback[i] : v;
}

/** A leak: the lows of the live heap keep rising although GC runs. */
export function detectLeak(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  // The live heap: marked live by the last GC when known, else all objects.
  const span = definedSpan(s.column('heapLive'), s.column('heapObjects'));
  if (!span || span.count < 10) return undefined;
  const times = s.timeColumn();
  const spanMs = times[span.last] - times[span.first];
  if (spanMs < o.leakMinSpanMs) return undefined;
  const gcCycles = s.column('gcCycles');
  const gcRan = gcCycles[span.last] - gcCycles[span.first];
  if (!(gcRan >= o.leakMinGcCycles)) return undefined;
  // Lows, not highs: garbage between collections comes and goes; what survives GC is the floor.
  const before = span.firstLow;
  const grown = span.lastLow - before;
  if (before <= 0 || grown < o.leakMinBytes || grown / before < o.leakGrowth) return undefined;
  return {
    kind: 'leak',
    bytes: grown,
    message: `Live heap grew ${Math.round((grown / before) * 100)} % in ${formatDuration(spanMs)} and GC does not bring it down — look for a leak (heap profile).`,
  };
}

/**
 * A goroutine leak: the count's lows keep rising — doubled and up by at least 100 across the
 * window, over the leak's minimum span. Goroutines that never end hold their stacks (and what
 * the stacks reference), so this is memory too.
 */
export function detectGoroutineLeak(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  const span = definedSpan(s.column('goroutines'));
  if (!span || span.count < 10) return undefined;
  const times = s.timeColumn();
  const spanMs = times[span.last] - times[span.first];
  if (spanMs < o.leakMinSpanMs) return undefined;
  const before = span.firstLow;
  const after = span.lastLow;
  if (after - before < 100 || after < 2 * before) return undefined;
  const stacks = s.column('stacks')[span.last];
  const held = Number.isNaN(stacks) ? '' : ` (stacks hold ${formatBytes(stacks)})`;
  return {
    kind: 'goroutine-leak',
    bytes: Number.isNaN(stacks) ? 0 : stacks,
    message: `Goroutines grew from ${before} to ${after} in ${formatDuration(spanMs)} and do not come down — a goroutine leak${held}.`,
  };
}

export function diagnose(s: TimeSeries, o: DiagnosisOptions = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  if (s.length === 0) return undefined;
  // What kills a container comes first.
  const container = diagnoseContainer(s, o);
  if (container) return container;
  const last = s.length - 1;
  const rss = s.value('rss', last);
  const lazy = s.value('lazyFree', last);
  const candidates: Diagnosis[] = [];
  if (!Number.isNaN(lazy) && lazy > 0) {
    candidates.push({ kind: 'lazy-free', bytes: lazy, message: `${formatBytes(lazy)} is lazily freed (MADV_FREE) — counted in RSS until the kernel needs it.` });
  }
  const g = newestGoIndex(s, o.maxGoAgeMs);
  if (g !== undefined) {
    const leak = detectLeak(s, o) ?? detectGoroutineLeak(s, o);
    if (leak) return leak;
    const v = (c: Parameters<TimeSeries['value']>[0]) => s.value(c, g);
    const objects = v('heapObjects');
    const heapLive = v('heapLive');
    const live = Number.isNaN(heapLive) ? objects : Math.min(heapLive, objects);
    // Against the RSS of the row the Go figures were read in: RSS may have moved since (it is
    // sampled more often). Heap pages in use need not all be resident: then no "of".
    const rssThen = Number.isNaN(v('rss')) ? rss : v('rss');
    const share = live <= rssThen ? `${formatBytes(live)} of ${formatBytes(rssThen)} RSS` : `${formatBytes(live)} (RSS ${formatBytes(rssThen)}: not all of it is resident)`;
    candidates.push({ kind: 'live-heap', bytes: live, message: `Live heap is ${share} — memory the program is using now.` });
    if (objects > live) {
      const since = objects - live;
      candidates.push({
        kind: 'since-gc',
        bytes: since,
        message: `${formatBytes(since)} was allocated since the last GC and is not collected yet — the next GC frees what is garbage; Free OS Memory forces one now.`,
      });
    }
    const free = v('heapFree');
    candidates.push({ kind: 'free-held', bytes: free, message: `${formatBytes(free)} is free heap the Go runtime still holds — it returns it gradually; Free OS Memory releases it now.` });
    const outside = outsideGo(s, o.maxGoAgeMs);
    if (outside > 0) {
      candidates.push({ kind: 'outside-go', bytes: outside, message: `RSS exceeds Go's own total by ${formatBytes(outside)} — memory outside the Go runtime (cgo?).` });
    }
  }
  const floor = Math.max(o.minBytes, o.minShare * rss);
  const standing = candidates.filter((c) => Number.isFinite(c.bytes) && c.bytes >= floor);
  if (!standing.length) return undefined;
  return standing.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/**
 * The diagnosis looks at the whole window (a leak is a trend over minutes): at 10 samples a second
 * it would be worked out ten times a second for a line that reads the same. Once a second of
 * sample time is enough; a series that was reset (fewer points) is looked at again at once.
 */
const RECOMPUTE_EVERY_MS = 1000;

/** Caches one computation per series, recomputed at most once per RECOMPUTE_EVERY_MS of sample time. */
function throttled<T>(compute: (s: TimeSeries) => T): (s: TimeSeries) => T {
  const cache = new WeakMap<TimeSeries, { at: number; length: number; result: T }>();
  return (s) => {
    const hit = cache.get(s);
    const now = s.lastTime ?? 0;
    // Due as a Throttle is (isDue): samples on a grid arrive a few ms early as often as late, and a
    // strict "a second since" then skipped every other second (the graph's diagnosis lagged).
    if (hit && s.length >= hit.length && now >= hit.at && !isDue(now - hit.at, RECOMPUTE_EVERY_MS)) return hit.result;
    const result = compute(s);
    cache.set(s, { at: now, length: s.length, result });
    return result;
  };
}

/** diagnose(), at most once a second of samples (the status bar and each graph ask for it). */
export const diagnoseCached: (s: TimeSeries) => Diagnosis | undefined = throttled((s) => diagnose(s));

/** adviseContainer(), at most once a second of samples. */
export const adviseCached: (s: TimeSeries) => Advice[] = throttled((s) => adviseContainer(s));
