/**
 * A fleet's memory history, put together from what a Prometheus server answered: one series per
 * replica on the step's grid (the same columns a live watch has, the Go figures read by the same
 * mapping as a live /metrics source), its restarts, OOM kills and gaps as markers, the diagnosis a
 * live watch would give at the replica's peak, and a line that names the replica with the highest
 * peak and the one that grew fastest. Pure: the task (task.ts) fetches, this assembles.
 */
import { adviseContainer, DEFAULT_DIAGNOSIS, detectGoroutineLeak, detectLeak, diagnose, DiagnosisOptions } from '../diagnosis';
import type { AdviceKind, DiagnosisKind } from '../../shared/diagnosisKinds';
import { formatBytes, formatDuration, formatLocalDateTime, MiB } from '../../shared/format';
import { goFigures, KeptSample, keptSampleValue } from '../goruntime/prometheusText';
import { MAX_SERIES_EVENTS, packSeries, PackedSeries, SERIES_COLUMNS, SeriesColumn, SeriesEvent, TimeSeries } from '../../shared/series';
import type { RangeSeries } from './promApi';
import type { RangePlan } from './plan';
import type { ContainerQuery } from './queries';
import { LineFit } from '../util/lineFit';

/** Replicas drawn and diagnosed in full; the rest are summarized in a line. */
export const MAX_SHOWN_REPLICAS = 20;

/** What the server answered, by query. */
export interface FetchedHistory {
  readonly plan: RangePlan;
  /** Each sample's series (from `name{selector}`). */
  readonly samples: ReadonlyMap<string, readonly RangeSeries[]>;
  /** The highest RSS within each step (max_over_time). */
  readonly peaks: readonly RangeSeries[];
  readonly up: readonly RangeSeries[];
  readonly goInfo: readonly RangeSeries[];
  readonly container: ReadonlyMap<ContainerQuery['id'], readonly RangeSeries[]>;
  /** The replica (its key) whose Go figures, VSZ and gaps were read; the others have RSS, restarts and containers. */
  readonly detailed?: string;
}

/** One replica's history, as the graph and a recording take it. */
export interface ReplicaHistory {
  /** "r0", "r1", …: the graph's id for it. */
  readonly id: string;
  /** Its pod, else its instance (plain text from the server). */
  readonly name: string;
  /** Its identifying labels (job, instance, namespace, pod, container), bounded. */
  readonly labels: Readonly<Record<string, string>>;
  readonly series: PackedSeries;
  readonly peakRss: number;
  readonly peakTime: number;
  /** Its fastest growth of RSS within one run of the process: bytes per hour, over [from, to]. */
  readonly growth?: { readonly bytesPerHour: number; readonly from: number; readonly to: number };
  readonly restarts: number;
  readonly oomKills: number;
  readonly goVersion?: string;
  /** Where its Go figures came from ("go_memory_classes_* …"), or undefined without them. */
  readonly goFrom?: string;
  /** What a live watch would say at its peak. */
  readonly diagnosis?: { readonly kind: DiagnosisKind; readonly message: string };
  readonly advice?: readonly { readonly kind: AdviceKind; readonly message: string }[];
  /** The container limit it ran under, when the server knows it. */
  readonly containerLimit?: number;
  /** Read in full (Go figures, VSZ, gaps); else RSS, restarts and the container only, until picked. */
  readonly detailed: boolean;
}

export interface FleetHistory {
  /** Unix ms. */
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  /** The replicas with the highest peaks, highest first (at most MAX_SHOWN_REPLICAS). */
  readonly replicas: readonly ReplicaHistory[];
  /** The replicas not shown, in one line ("and 37 more: peaks 110–290 MiB, 2 restarts"). */
  readonly others?: { readonly count: number; readonly text: string };
  /** Which replica peaked highest and which grew fastest, in a sentence or two. */
  readonly headline: string;
  /** What the server lacked or what was dropped, for the user (short lines). */
  readonly notes: readonly string[];
}

/** Labels that say which replica a series is of; the rest (metric-specific ones such as go_info's version) are not. */
export const IDENTITY_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'service', 'node', 'cluster', 'region', 'replica'];

/** A replica's key: the identity labels of its series (the metric name and metric-specific labels left out). */
export function replicaKey(labels: Readonly<Record<string, string>>): string {
  return IDENTITY_LABELS.filter((l) => labels[l] !== undefined)
    .map((l) => `${l}=${JSON.stringify(labels[l])}`)
    .join(',');
}

function identityOf(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of IDENTITY_LABELS) if (labels[l] !== undefined) out[l] = labels[l].slice(0, 256);
  return out;
}

/** A replica being put together: a column per figure on the grid of the plan. */
class ReplicaGrid {
  readonly raw = new Map<string, Float64Array>();
  readonly peak: Float64Array;
  readonly up: Float64Array;
  readonly container = new Map<ContainerQuery['id'], Float64Array>();
  goVersion?: string;

  constructor(
    readonly key: string,
    readonly labels: Record<string, string>,
    readonly points: number,
  ) {
    this.peak = new Float64Array(points).fill(NaN);
    this.up = new Float64Array(points).fill(NaN);
  }

  column(name: string): Float64Array {
    let c = this.raw.get(name);
    if (!c) {
      c = new Float64Array(this.points).fill(NaN);
      this.raw.set(name, c);
    }
    return c;
  }

  containerColumn(id: ContainerQuery['id']): Float64Array {
    let c = this.container.get(id);
    if (!c) {
      c = new Float64Array(this.points).fill(NaN);
      this.container.set(id, c);
    }
    return c;
  }
}

/** Writes a series' points into `into` at their grid positions (points off the grid are dropped). */
function place(series: RangeSeries, plan: RangePlan, into: Float64Array, combine: 'replace' | 'max' = 'replace'): void {
  const stepMs = plan.step * 1000;
  const startMs = plan.start * 1000;
  for (let i = 0; i < series.times.length; i++) {
    const at = Math.round((series.times[i] - startMs) / stepMs);
    if (at < 0 || at >= into.length) continue;
    const v = series.values[i];
    if (combine === 'max' && !Number.isNaN(into[at]) && !(v > into[at])) continue;
    into[at] = v;
  }
}

/** Puts the fleet together: replicas by their RSS series; the top ones in full. */
export function assembleFleet(fetched: FetchedHistory, options: { readonly maxShown?: number } = {}): FleetHistory {
  const { plan } = fetched;
  const notes: string[] = [];
  const grids = new Map<string, ReplicaGrid>();
  const gridOf = (labels: Readonly<Record<string, string>>, create: boolean): ReplicaGrid | undefined => {
    const key = replicaKey(labels);
    let g = grids.get(key);
    if (!g && create) {
      g = new ReplicaGrid(key, identityOf(labels), plan.points);
      grids.set(key, g);
    }
    return g;
  };
  // Replicas are what has RSS; other series join them by their labels.
  for (const s of fetched.samples.get('process_resident_memory_bytes') ?? []) place(s, plan, gridOf(s.labels, true)!.column('process_resident_memory_bytes'));
  for (const s of fetched.peaks) {
    const g = gridOf(s.labels, false);
    if (g) place(s, plan, g.peak, 'max');
  }
  for (const [name, list] of fetched.samples) {
    if (name === 'process_resident_memory_bytes') continue;
    for (const s of list) {
      const g = gridOf(s.labels, false);
      if (g) place(s, plan, g.column(name));
    }
  }
  for (const s of fetched.up) {
    const g = gridOf(s.labels, false);
    if (g) place(s, plan, g.up);
  }
  for (const s of fetched.goInfo) {
    const g = gridOf(s.labels, false);
    const version = s.labels.version;
    if (g && typeof version === 'string' && /^go[\w.+-]{1,30}$/.test(version)) g.goVersion = version;
  }
  joinContainers([...grids.values()], fetched, notes);

  const ranked = [...grids.values()].map((g) => ({ g, peak: peakOf(g) })).filter((r) => Number.isFinite(r.peak.value));
  ranked.sort((a, b) => b.peak.value - a.peak.value);
  const maxShown = options.maxShown ?? MAX_SHOWN_REPLICAS;
  const shown = ranked.slice(0, maxShown);
  const names = uniqueNames(shown.map((r) => r.g.labels));
  const replicas = shown.map((r, i) => buildReplica(`r${i}`, names[i], r.g, plan, notes, fetched.detailed === undefined || fetched.detailed === r.g.key));
  const rest = ranked.slice(maxShown);
  const others = rest.length
    ? {
        count: rest.length,
        text: `and ${rest.length} more replica${rest.length === 1 ? '' : 's'} with lower peaks (${formatBytes(rest[rest.length - 1].peak.value)} to ${formatBytes(rest[0].peak.value)}), not drawn.`,
      }
    : undefined;
  return { start: plan.start * 1000, end: plan.end * 1000, stepMs: plan.step * 1000, replicas, others, headline: headline(replicas), notes: [...new Set(notes)].slice(0, 16) };
}

/** The highest RSS of a replica, a peak between steps included, and when. */
function peakOf(g: ReplicaGrid): { value: number; index: number } {
  const rss = g.raw.get('process_resident_memory_bytes');
  let value = -Infinity;
  let index = -1;
  for (let i = 0; i < g.points; i++) {
    const a = bytesOrNaN(rss?.[i] ?? NaN);
    const b = bytesOrNaN(g.peak[i]);
    const w = Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b);
    if (w > value) {
      value = w;
      index = i;
    }
  }
  return { value, index };
}

/** A name per replica: its pod, else its instance; with the namespace or job when two would read the same. */
function uniqueNames(labels: readonly Record<string, string>[]): string[] {
  const base = labels.map((l) => l.pod ?? l.instance ?? Object.values(l).join(' ') ?? '?');
  const count = new Map<string, number>();
  for (const b of base) count.set(b, (count.get(b) ?? 0) + 1);
  return base.map((b, i) => {
    if (count.get(b) === 1) return b;
    const l = labels[i];
    const more = [l.namespace, l.job, l.container, l.instance].filter((v) => v !== undefined && v !== b);
    return more.length ? `${b} (${more.join(', ')})` : `${b} #${i + 1}`;
  });
}

/**
 * Container figures to replicas: by namespace and pod, and container when the replica's series
 * name one (else the pod's one container, when it has only one).
 */
function joinContainers(grids: readonly ReplicaGrid[], fetched: FetchedHistory, notes: string[]): void {
  const byPod = new Map<string, ReplicaGrid[]>();
  for (const g of grids) {
    if (g.labels.namespace === undefined || g.labels.pod === undefined) continue;
    const k = `${g.labels.namespace}\u0000${g.labels.pod}`;
    byPod.set(k, [...(byPod.get(k) ?? []), g]);
  }
  if (!byPod.size) return;
  for (const [id, list] of fetched.container) {
    // Per pod: its series by container.
    const perPod = new Map<string, RangeSeries[]>();
    for (const s of list) {
      const k = `${s.labels.namespace}\u0000${s.labels.pod}`;
      if (!byPod.has(k)) continue;
      perPod.set(k, [...(perPod.get(k) ?? []), s]);
    }
    for (const [k, series] of perPod) {
      for (const g of byPod.get(k) ?? []) {
        const containers = new Set(series.map((s) => s.labels.container));
        const mine = g.labels.container !== undefined ? series.filter((s) => s.labels.container === g.labels.container) : containers.size === 1 ? series : [];
        if (!mine.length && containers.size > 1) notes.push(`${g.labels.pod} has ${containers.size} containers and its series name none: its container figures are left out.`);
        // Several series of one container (a kubelet scraped twice, a restart's new id): the highest at each point.
        for (const s of mine) place(s, fetched.plan, g.containerColumn(id), 'max');
      }
    }
  }
}

/** Bytes, or NaN for what is not a count. */
function bytesOrNaN(v: number): number {
  return Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER ? v : NaN;
}

function buildReplica(id: string, name: string, g: ReplicaGrid, plan: RangePlan, notes: string[], detailed: boolean): ReplicaHistory {
  const stepMs = plan.step * 1000;
  const startMs = plan.start * 1000;
  const n = g.points;
  const rss = g.raw.get('process_resident_memory_bytes')!;
  // Rows from its first point to its last: the rest of the range is before it started or after it went.
  let first = 0;
  while (first < n && Number.isNaN(rss[first])) first++;
  let last = n - 1;
  while (last > first && Number.isNaN(rss[last])) last--;
  const rows = last - first + 1;
  const columns = {} as Record<SeriesColumn, number[]>;
  for (const c of SERIES_COLUMNS) columns[c] = new Array<number>(rows).fill(NaN);
  const time: number[] = new Array<number>(rows);
  const names = [...g.raw.keys()] as KeptSample[];
  let goFrom: string | undefined;
  let dropped = 0;
  for (let r = 0; r < rows; r++) {
    const i = first + r;
    time[r] = startMs + i * stepMs;
    const values: Partial<Record<KeptSample, number>> = {};
    for (const name of names) {
      const raw = g.raw.get(name)![i];
      if (Number.isNaN(raw)) continue;
      const v = keptSampleValue(name, raw);
      if (v === undefined) dropped++;
      else values[name] = v;
    }
    const rssHere = values.process_resident_memory_bytes;
    columns.rss[r] = rssHere ?? NaN;
    columns.vsz[r] = values.process_virtual_memory_bytes ?? NaN;
    const peak = bytesOrNaN(g.peak[i]);
    // A peak within the step above the point drawn: the graph's "peak between samples" mark.
    if (!Number.isNaN(peak) && rssHere !== undefined && peak > rssHere) columns.missedPeak[r] = peak;
    else if (rssHere === undefined && !Number.isNaN(peak)) columns.rss[r] = peak;
    const go = goFigures(values, undefined, () => dropped++);
    if (go.figures) {
      const f = go.figures;
      columns.heapObjects[r] = f.heapObjects;
      columns.heapUnused[r] = f.heapUnused;
      columns.heapFree[r] = f.heapFree;
      columns.heapReleased[r] = f.heapReleased;
      columns.stacks[r] = f.stacks;
      columns.goTotal[r] = f.total;
      columns.gcGoal[r] = f.gcGoal;
      columns.gcCycles[r] = f.gcCycles;
      columns.heapLive[r] = f.heapLive ?? NaN;
      columns.memoryLimit[r] = f.memoryLimit ?? NaN;
      columns.goroutines[r] = f.goroutines ?? NaN;
      goFrom ??= go.from.heapObjects?.startsWith('go_memory_classes') ? 'runtime/metrics classes (go_memory_classes_*)' : 'the MemStats families (go_memstats_*)';
    }
    const ws = g.container.get('workingSet')?.[i];
    if (ws !== undefined) columns.cgroupWorkingSet[r] = bytesOrNaN(ws);
    const limit = containerLimitAt(g, i);
    if (limit !== undefined) columns.cgroupLimit[r] = limit;
  }
  if (dropped) notes.push(`${name}: ${dropped} value${dropped === 1 ? '' : 's'} that were not sizes or counts were left out.`);
  const events = replicaEvents(g, plan, first, last, columns, time);
  const series = packSeries({ time, columns, events: events.list }, { skipEmpty: true });
  const peak = peakOf(g);
  const limits = columns.cgroupLimit.filter((v) => !Number.isNaN(v));
  const diagnosis = diagnoseAtPeak(series, peak.index - first, events.incarnationStarts, plan.step * 1000);
  return {
    id,
    name,
    labels: g.labels,
    series,
    peakRss: peak.value,
    peakTime: startMs + peak.index * stepMs,
    growth: fastestGrowth(time, columns.rss, events.incarnationStarts, (plan.end - plan.start) * 1000),
    restarts: events.restarts,
    oomKills: events.oomKills,
    goVersion: g.goVersion,
    goFrom,
    diagnosis: diagnosis.diagnosis,
    advice: diagnosis.advice,
    containerLimit: limits.length ? Math.max(...limits) : undefined,
    detailed,
  };
}

/** The container's memory limit at point i: cAdvisor's (0 there means none), else kube-state-metrics'. */
function containerLimitAt(g: ReplicaGrid, i: number): number | undefined {
  const cadvisor = g.container.get('cadvisorLimit')?.[i];
  // cAdvisor's "no limit" is 0, or the host's memory as a huge number; 2^62 and up is none.
  if (cadvisor !== undefined && cadvisor > 0 && cadvisor < 2 ** 62) return cadvisor;
  const ksm = g.container.get('ksmLimit')?.[i];
  if (ksm !== undefined && ksm > 0 && ksm < 2 ** 62) return ksm;
  return undefined;
}

/**
 * Markers: restarts (a new process_start_time_seconds, or kube-state-metrics' restart count rose),
 * which of them were OOM kills (kube-state-metrics' last termination reason, cAdvisor's OOM
 * events, or — when neither is there — a working set at the limit just before), and gaps.
 */
function replicaEvents(
  g: ReplicaGrid,
  plan: RangePlan,
  first: number,
  last: number,
  columns: Record<SeriesColumn, number[]>,
  time: number[],
): { list: SeriesEvent[]; restarts: number; oomKills: number; incarnationStarts: number[] } {
  const stepMs = plan.step * 1000;
  const list: SeriesEvent[] = [];
  let nextId = 1;
  const add = (e: Omit<SeriesEvent, 'id'>) => list.push({ id: nextId++, ...e });
  // Restarts, by row (of this replica's rows): each new process start time is one; a rise of
  // kube-state-metrics' count joins the nearest one not yet joined (its scrape comes a little
  // before or after), else is one of its own (a restart between two points of a coarse step).
  const restartRows = new Map<number, { startedAt?: number; evidence: string[]; counted?: boolean; count: number }>();
  const tolerance = Math.max(2, Math.ceil(10_000 / stepMs));
  const startTimes = g.raw.get('process_start_time_seconds');
  if (startTimes) {
    let before = NaN;
    for (let i = first; i <= last; i++) {
      const v = startTimes[i];
      if (!Number.isFinite(v) || v <= 0) continue;
      if (!Number.isNaN(before) && v > before + 1) restartRows.set(i - first, { startedAt: v * 1000, evidence: ['a new process start time'], count: 1 });
      before = v;
    }
  }
  const restartsTotal = g.container.get('restarts');
  if (restartsTotal) {
    let before = NaN;
    for (let i = first; i <= last; i++) {
      const v = restartsTotal[i];
      if (!Number.isFinite(v)) continue;
      if (!Number.isNaN(before) && v > before) {
        const row = i - first;
        const near = [...restartRows.entries()].filter(([r, info]) => !info.counted && Math.abs(r - row) <= tolerance).sort(([a], [b]) => Math.abs(a - row) - Math.abs(b - row))[0];
        const rose = Math.min(1000, Math.round(v - before));
        if (near) {
          near[1].counted = true;
          near[1].evidence.push("kube-state-metrics' restart count");
          near[1].count = Math.max(near[1].count, rose);
        } else if (!restartRows.has(row)) {
          restartRows.set(row, { evidence: ["kube-state-metrics' restart count"], counted: true, count: rose });
        }
      }
      before = v;
    }
  }
  let oomKills = 0;
  const incarnationStarts = [0];
  const rows = [...restartRows.keys()].sort((a, b) => a - b);
  const oomReason = g.container.get('oomReason');
  const oomEvents = g.container.get('oomEvents');
  for (const row of rows) {
    const info = restartRows.get(row)!;
    incarnationStarts.push(row);
    const i = first + row;
    const at = info.startedAt !== undefined ? Math.min(time[row], Math.max(time[Math.max(0, row - 1)], info.startedAt)) : time[row];
    const before = peakBefore(columns, row, incarnationStarts[incarnationStarts.length - 2]);
    let oom: string | undefined;
    const next = rows.find((r) => r > row);
    const until = Math.min(i + tolerance, next !== undefined ? first + next - 1 : last);
    // The reason after this restart: kube-state-metrics' next scrape may still show the one before.
    if (oomReason && latestAt(oomReason, i - 1, until) === 1) oom = 'kube-state-metrics: last terminated reason OOMKilled';
    else if (oomEvents && rose(oomEvents, i - tolerance, until)) oom = "cAdvisor counted an OOM event";
    let likely: string | undefined;
    if (!oom) {
      const nearLimit = nearLimitBefore(columns, row);
      if (nearLimit) likely = nearLimit;
    }
    if (oom || likely) oomKills++;
    const startedText = `${formatLocalDateTime(at)}`;
    add({
      time: at,
      kind: oom || likely ? 'oom' : 'restart',
      label: oom ? 'OOM-killed' : likely ? 'OOM kill?' : 'restarted',
      detail: oom
        ? `Killed by the OOM killer (${oom}) and started again at ${startedText}; RSS had reached ${formatBytes(before)}.`
        : likely
          ? `Started again at ${startedText} ${likely} — most likely an OOM kill (the server has no termination reason to confirm it).`
          : `Started again at ${startedText} (${info.evidence.join('; ')}${info.count > 1 ? `: ${info.count} restarts within this step` : ''}); RSS had reached ${formatBytes(before)}.`,
      bytes: Number.isFinite(before) ? before : undefined,
    });
  }
  // Gaps: runs without RSS between the first and last point — down (up = 0) or not scraped.
  const rss = columns.rss;
  for (let r = 1; r < rss.length; r++) {
    if (!Number.isNaN(rss[r])) continue;
    let end = r;
    while (end < rss.length && Number.isNaN(rss[end])) end++;
    let down = false;
    for (let k = r; k < end; k++) if (g.up[first + k] === 0) down = true;
    const from = time[r - 1];
    const to = time[Math.min(end, rss.length - 1)];
    add({
      time: from,
      endTime: to,
      band: true,
      kind: 'note',
      label: down ? 'down' : 'no data',
      detail: `No samples from ${formatLocalDateTime(from)} to ${formatLocalDateTime(to)} (${formatDuration(to - from)}): ${down ? 'the target was down (up = 0).' : 'the target was not scraped.'}`,
    });
    r = end;
  }
  list.sort((a, b) => a.time - b.time);
  // A flapping target could make thousands of gaps: the newest are kept, as a live series keeps them.
  const restarts = rows.reduce((n, r) => n + restartRows.get(r)!.count, 0);
  return { list: list.slice(-MAX_SERIES_EVENTS), restarts, oomKills, incarnationStarts };
}

/** The last finite value of a column within [from, to], or undefined. */
function latestAt(column: Float64Array, from: number, to: number): number | undefined {
  for (let i = Math.min(column.length - 1, to); i >= Math.max(0, from); i--) if (Number.isFinite(column[i])) return column[i];
  return undefined;
}

function rose(column: Float64Array, from: number, to: number): boolean {
  let before = NaN;
  for (let i = Math.max(0, from); i <= Math.min(column.length - 1, to); i++) {
    const v = column[i];
    if (!Number.isFinite(v)) continue;
    if (!Number.isNaN(before) && v > before) return true;
    before = v;
  }
  return false;
}

/** The highest RSS (a peak between steps included) from `from` to the row before `row`. */
function peakBefore(columns: Record<SeriesColumn, number[]>, row: number, from: number): number {
  let peak = NaN;
  for (let r = Math.max(0, from); r < row; r++) {
    for (const v of [columns.rss[r], columns.missedPeak[r]]) if (v > peak || (Number.isNaN(peak) && !Number.isNaN(v))) peak = v;
  }
  return peak;
}

/** "with its working set at 98 % of the 256 MiB limit just before", when the last points before a restart were near the limit. */
function nearLimitBefore(columns: Record<SeriesColumn, number[]>, row: number): string | undefined {
  for (let r = row - 1; r >= Math.max(0, row - 3); r--) {
    const limit = columns.cgroupLimit[r];
    const used = Math.max(...[columns.cgroupWorkingSet[r], columns.rss[r], columns.missedPeak[r]].filter((v) => !Number.isNaN(v)));
    const share = used / limit;
    if (Number.isFinite(share) && share >= 0.9) return `with its working set at ${Math.round(Math.min(1, share) * 100)} % of the ${formatBytes(limit)} container limit just before`;
  }
  return undefined;
}

/**
 * The steepest sustained rise of RSS within one run of the process: a least-squares line through
 * each run of at least 10 points over at least 10 minutes (or a quarter of a shorter range);
 * bytes per hour, and over when.
 */
function fastestGrowth(time: readonly number[], rss: readonly number[], starts: readonly number[], rangeMs: number): ReplicaHistory['growth'] {
  const minSpanMs = Math.min(10 * 60_000, rangeMs / 4);
  let best: ReplicaHistory['growth'];
  const bounds = [...starts, rss.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const fit = new LineFit();
    let from = NaN;
    let to = NaN;
    for (let r = bounds[k]; r < bounds[k + 1]; r++) {
      const y = rss[r];
      if (Number.isNaN(y)) continue;
      fit.add((time[r] - time[0]) / 3_600_000, y);
      if (Number.isNaN(from)) from = time[r];
      to = time[r];
    }
    if (fit.count < 10 || to - from < minSpanMs) continue;
    const slope = fit.slope();
    if (!Number.isNaN(slope) && (!best || slope > best.bytesPerHour)) best = { bytesPerHour: slope, from, to };
  }
  return best;
}

/**
 * What a live watch would have said at the replica's peak: the diagnosis over its run up to the
 * peak, with the windows widened to the step (a point every minute is not a point every second).
 */
function diagnoseAtPeak(series: PackedSeries, peakRow: number, starts: readonly number[], stepMs: number): Pick<ReplicaHistory, 'diagnosis' | 'advice'> {
  if (peakRow < 0) return {};
  const runStart = [...starts].reverse().find((s) => s <= peakRow) ?? 0;
  const rows = peakRow - runStart + 1;
  if (rows < 1) return {};
  const s = new TimeSeries(Number.MAX_SAFE_INTEGER, Math.max(rows, 1));
  for (let r = runStart; r <= peakRow; r++) {
    const row: Partial<Record<SeriesColumn, number>> = {};
    for (const [c, values] of Object.entries(series.columns) as [SeriesColumn, Float64Array][]) row[c] = values[r];
    s.push(series.time[r], row);
  }
  const options: DiagnosisOptions = {
    ...DEFAULT_DIAGNOSIS,
    maxGoAgeMs: Math.max(DEFAULT_DIAGNOSIS.maxGoAgeMs, 3 * stepMs),
    trendWindowMs: Math.max(DEFAULT_DIAGNOSIS.trendWindowMs, 10 * stepMs),
    trendMinSpanMs: Math.max(DEFAULT_DIAGNOSIS.trendMinSpanMs, 3 * stepMs),
  };
  let d = diagnose(s, options);
  // Near the container limit is what kills it, and a live watch says that first; over a history
  // the question is also what kind of memory grew: a leak is named, with the limit after it.
  if (d && (d.kind === 'near-limit' || d.kind === 'limit-trend')) {
    const leak = detectLeak(s, options) ?? detectGoroutineLeak(s, options);
    if (leak) d = { ...leak, message: `${leak.message} ${d.message}` };
  }
  const at = formatLocalDateTime(series.time[peakRow]);
  const advice = adviseContainer(s, options);
  return {
    diagnosis: d ? { kind: d.kind, message: `At its peak (${at}): ${d.message}` } : undefined,
    advice: advice.length ? advice : undefined,
  };
}

/** "api-7 peaked highest: 1.1 GiB at 14:02 (then OOM-killed). api-3 grew fastest: +120 MiB/h." */
function headline(replicas: readonly ReplicaHistory[]): string {
  if (!replicas.length) return 'No replica had RSS figures in this range.';
  const top = replicas[0];
  const killed = top.oomKills ? ` — OOM-killed ${top.oomKills === 1 ? 'once' : `${top.oomKills} times`}` : top.restarts ? ` — restarted ${top.restarts === 1 ? 'once' : `${top.restarts} times`}` : '';
  const first = replicas.length === 1 ? `${top.name} peaked at ${formatBytes(top.peakRss)} (${formatLocalDateTime(top.peakTime)})${killed}.` : `${top.name} peaked highest: ${formatBytes(top.peakRss)} at ${formatLocalDateTime(top.peakTime)}${killed}.`;
  // Named when it grew by at least as much as a leak must (16 MiB) over its run.
  const growing = replicas.filter((r) => r.growth && (r.growth.bytesPerHour * (r.growth.to - r.growth.from)) / 3_600_000 >= 16 * MiB);
  if (!growing.length) return first;
  const fastest = growing.reduce((a, b) => (b.growth!.bytesPerHour > a.growth!.bytesPerHour ? b : a));
  const g = fastest.growth!;
  const growth = `+${formatBytes(g.bytesPerHour)}/h for ${formatDuration(g.to - g.from)} from ${formatLocalDateTime(g.from)}`;
  if (fastest === top) return `${first.slice(0, -1)}; it grew fastest too: ${growth}.`;
  return `${first} ${fastest.name} grew fastest: ${growth}.`;
}
