/**
 * The numbers a pull request's description needs about a run — peak, baseline, end, recovery,
 * what FreeOSMemory freed — and two runs side by side with signed differences. Each figure's
 * exact definition is in RunSummary's doc comments (and docs/recording-schema.md).
 */
import { formatBytes, formatDuration } from '../../shared/format';
import { Recording, shortenForDisplay, SHOWN_MARKER_CHARS } from './schema';

/** The baseline and end windows: the first / last SETTLE_WINDOW_SHARE of the run, at most this long. */
export const SETTLE_WINDOW_MS = 30_000;
/** The baseline and end windows' share of the run (10 %). */
export const SETTLE_WINDOW_SHARE = 0.1;
/** "Recovered": RSS back within this share of (peak − baseline) above the baseline. */
export const RECOVERY_SHARE = 0.1;
/** Heap in use at the peak may come from a sample this close to it when the peak's own has no Go figures. */
export const HEAP_AT_PEAK_MAX_DISTANCE_MS = 5000;
/** A Go reading counts as taken at the peak when its sample's RSS was at least this share of the peak sample's. */
const PEAK_LEVEL_SHARE = 0.9;

/**
 * One run in numbers. Times are ms from the first sample; byte figures are undefined when the
 * recording has no RSS (or, for heap in use, no Go figures near the peak).
 */
export interface RunSummary {
  readonly sampleCount: number;
  /** Last sample's time − first sample's time. */
  readonly durationMs: number;
  /**
   * The highest RSS: the largest value of the `rss` column or of `missedPeak` (a high the kernel
   * saw between two samples, Linux VmHWM).
   */
  readonly peakRss?: number;
  /** True when the peak is a `missedPeak` value, higher than every sampled RSS. */
  readonly peakBetweenSamples: boolean;
  /** Time of the sample that holds the peak (for a missed peak: the first sample after it). */
  readonly peakTimeMs?: number;
  /**
   * The median RSS over the samples in the baseline window: the first
   * min(SETTLE_WINDOW_MS, SETTLE_WINDOW_SHARE × duration) of the run (the first sample at least).
   */
  readonly baselineRss?: number;
  /** The median RSS over the samples in the same-sized window at the end of the run. */
  readonly endRss?: number;
  /**
   * From the peak's sample to the first sample at or after it whose RSS is at most
   * baseline + RECOVERY_SHARE × (peak − baseline). Undefined when RSS never came back that far
   * within the recording ("never").
   */
  readonly recoveryMs?: number;
  /** Sum of the `bytes` of the release markers (what each FreeOSMemory freed, as measured). */
  readonly releasedBytes: number;
  /** Number of release markers (with or without a measured amount). */
  readonly releaseCount: number;
  /**
   * heapObjects + heapUnused (Go's HeapInuse) at the peak's sample, or at the sample with both
   * figures nearest to it within HEAP_AT_PEAK_MAX_DISTANCE_MS — among those taken while RSS was at
   * the peak's level, when any was (not the reading from before RSS climbed).
   */
  readonly heapInUseAtPeak?: number;
}

/** Summarises one recording (see each field for its definition). */
export function summarizeRun(recording: Recording): RunSummary {
  const time = recording.time;
  const rss = columnValues(recording, 'rss');
  const missed = columnValues(recording, 'missedPeak');
  const releases = recording.events.filter((e) => e.kind === 'release');
  const released = { releasedBytes: releases.reduce((sum, e) => sum + (e.bytes ?? 0), 0), releaseCount: releases.length };
  const durationMs = time.length ? time[time.length - 1] - time[0] : 0;
  const base = { sampleCount: time.length, durationMs, peakBetweenSamples: false, ...released };
  if (!rss || !rss.some((v) => v !== null)) return base;

  let peakRss = -1;
  let peakRow = -1;
  let peakBetweenSamples = false;
  for (let i = 0; i < time.length; i++) {
    const sampled = rss[i];
    if (sampled !== null && sampled > peakRss) [peakRss, peakRow, peakBetweenSamples] = [sampled, i, false];
    const between = missed?.[i] ?? null;
    if (between !== null && between > peakRss) [peakRss, peakRow, peakBetweenSamples] = [between, i, true];
  }

  const window = Math.min(SETTLE_WINDOW_MS, SETTLE_WINDOW_SHARE * durationMs);
  const first = time[0];
  const last = time[time.length - 1];
  const baselineRss = median(rss.filter((v, i): v is number => v !== null && time[i] - first <= window));
  const endRss = median(rss.filter((v, i): v is number => v !== null && last - time[i] <= window));

  let recoveryMs: number | undefined;
  if (baselineRss !== undefined) {
    const threshold = baselineRss + RECOVERY_SHARE * (peakRss - baselineRss);
    for (let i = peakRow; i < time.length && recoveryMs === undefined; i++) {
      const value = rss[i];
      if (value !== null && value <= threshold) recoveryMs = time[i] - time[peakRow];
    }
  }

  return {
    ...base,
    peakRss,
    peakBetweenSamples,
    peakTimeMs: time[peakRow] - first,
    baselineRss,
    endRss,
    recoveryMs,
    heapInUseAtPeak: heapInUseNear(recording, peakRow),
  };
}

/** The figures compared, in table order. */
export type MetricKey = 'peakRss' | 'peakTime' | 'baselineRss' | 'endRss' | 'recovery' | 'released' | 'heapInUseAtPeak' | 'duration';

/** One line of the comparison table: both runs' values, b − a and b / a. */
export interface ComparisonRow {
  readonly key: MetricKey;
  /** "Peak RSS", "Recovery to baseline" … */
  readonly title: string;
  readonly unit: 'bytes' | 'ms';
  readonly a?: number;
  readonly b?: number;
  /** The values as shown: "216.5 MiB", "4.2 s", "never", "—". */
  readonly aText: string;
  readonly bText: string;
  /** b − a, when both are known. */
  readonly difference?: number;
  /** "+16.0 MiB", "−2.0 MiB" (U+2212 minus), "0 B"; "—" when unknown. */
  readonly differenceText: string;
  /** b / a, when both are known and a > 0 (not for the time of the peak: a moment, not an amount). */
  readonly ratio?: number;
  /** "×1.08"; "—" when unknown. */
  readonly ratioText: string;
  /** Where each value comes from, when that matters to reading it (Peak RSS: a sample, or the kernel's high-water mark). */
  readonly aNote?: string;
  readonly bNote?: string;
}

/** Peak RSS as one of the samples, or as the kernel's high-water mark (VmHWM) between two of them. */
export const PEAK_NOTES = { sampled: 'sampled', kernel: "kernel's VmHWM, between samples" } as const;

function peakNote(summary: RunSummary): string | undefined {
  if (summary.peakRss === undefined) return undefined;
  return summary.peakBetweenSamples ? PEAK_NOTES.kernel : PEAK_NOTES.sampled;
}

/** Two runs compared, and how to draw b over a. */
export interface Comparison {
  readonly a: RunSummary;
  readonly b: RunSummary;
  readonly rows: readonly ComparisonRow[];
  /**
   * Add this to every time of toSeriesSnapshot(b) to overlay it on toSeriesSnapshot(a): it puts
   * b's first sample on a's (align 'start') or b's first marker with the label on a's.
   */
  readonly offsetMs: number;
  readonly alignedOn: 'start' | 'marker';
}

/** compareRuns' answer: the comparison, or why the runs cannot be aligned. */
export type ComparisonResult = { readonly ok: true; readonly comparison: Comparison } | { readonly ok: false; readonly message: string };

/** How to line two runs up: at their first samples, or at the first marker with this label in each. */
export type Alignment = 'start' | { readonly markerLabel: string };

/**
 * What comparing needs of a run — its summary and where it could be aligned — so that a run is
 * read (in a worker, for a big file) once, and compared any number of times.
 */
export interface RunView {
  readonly summary: RunSummary;
  /** Epoch ms of the first sample, or undefined when there is none. */
  readonly firstSampleTime?: number;
  /** Epoch ms of each marker, with its label (the first of a label is an alignment point). */
  readonly markers: readonly { readonly time: number; readonly label: string }[];
}

/** A run as comparisons need it. */
export function runView(recording: Recording): RunView {
  return {
    summary: summarizeRun(recording),
    firstSampleTime: recording.time.length ? recording.startTime + recording.time[0] : undefined,
    markers: recording.events.map((e) => ({ time: recording.startTime + e.time, label: shortenForDisplay(e.label, SHOWN_MARKER_CHARS.label) })),
  };
}

/**
 * Compares run b with run a (differences are b − a). Fails, with a message, only when aligning
 * on a marker label that one of the runs does not have (or a run has no samples).
 */
export function compareRuns(a: Recording, b: Recording, align: Alignment): ComparisonResult {
  return compareRunViews(runView(a), runView(b), align);
}

/** compareRuns on runs already read (runView). */
export function compareRunViews(a: RunView, b: RunView, align: Alignment): ComparisonResult {
  const anchorA = anchor(a, align);
  const anchorB = anchor(b, align);
  for (const [run, name] of [
    [anchorA, 'A'],
    [anchorB, 'B'],
  ] as const) {
    if (run === undefined) {
      return { ok: false, message: align === 'start' ? `Run ${name} has no samples.` : `Run ${name} has no marker labelled "${align.markerLabel}".` };
    }
  }
  const sa = a.summary;
  const sb = b.summary;
  const rows: ComparisonRow[] = [
    { ...row('peakRss', 'Peak RSS', 'bytes', sa.peakRss, sb.peakRss), aNote: peakNote(sa), bNote: peakNote(sb) },
    row('peakTime', 'Time of peak', 'ms', sa.peakTimeMs, sb.peakTimeMs),
    row('baselineRss', 'Baseline RSS', 'bytes', sa.baselineRss, sb.baselineRss),
    row('endRss', 'RSS at the end', 'bytes', sa.endRss, sb.endRss),
    row('recovery', 'Back near baseline after the peak', 'ms', sa.recoveryMs, sb.recoveryMs, sa.peakRss !== undefined, sb.peakRss !== undefined),
    row('released', 'Freed by FreeOSMemory', 'bytes', sa.releasedBytes, sb.releasedBytes),
    row('heapInUseAtPeak', 'Heap in use at the peak', 'bytes', sa.heapInUseAtPeak, sb.heapInUseAtPeak),
    row('duration', 'Duration', 'ms', sa.durationMs, sb.durationMs),
  ];
  return { ok: true, comparison: { a: sa, b: sb, rows, offsetMs: anchorA! - anchorB!, alignedOn: align === 'start' ? 'start' : 'marker' } };
}

/** A byte difference with its sign: "+16.0 MiB", "−2.0 MiB" (U+2212), "0 B". */
export function formatSignedBytes(bytes: number): string {
  return `${sign(bytes)}${formatBytes(Math.abs(bytes))}`;
}

/** A time difference with its sign: "+4.2 s", "−350 ms", "0 ms". */
export function formatSignedDuration(ms: number): string {
  return `${sign(ms)}${formatDuration(Math.abs(ms))}`;
}

/**
 * The comparison as a GitHub Markdown table, for a pull request. Run names come from the user
 * (or a file): "|", "\", "`", "<" and line breaks are escaped so they cannot break the table.
 */
export function comparisonToMarkdown(comparison: Comparison, names: { readonly a: string; readonly b: string }): string {
  const cell = (s: string) => s.replace(/[\\|`<>*_[\]]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
  const lines = [`| | ${cell(names.a)} | ${cell(names.b)} | Difference | Ratio |`, '|---|---:|---:|---:|---:|'];
  const noted = (text: string, note: string | undefined) => (note ? `${text} (${note})` : text);
  for (const r of comparison.rows) lines.push(`| ${r.title} | ${noted(r.aText, r.aNote)} | ${noted(r.bText, r.bNote)} | ${r.differenceText} | ${r.ratioText} |`);
  return lines.join('\n');
}

function row(key: MetricKey, title: string, unit: 'bytes' | 'ms', a: number | undefined, b: number | undefined, aApplies = true, bApplies = true): ComparisonRow {
  const show = (v: number | undefined, applies: boolean) => (v === undefined ? (key === 'recovery' && applies ? 'never' : '—') : unit === 'bytes' ? formatBytes(v) : formatDuration(v));
  const difference = a !== undefined && b !== undefined ? b - a : undefined;
  const ratio = a !== undefined && b !== undefined && a > 0 && key !== 'peakTime' ? b / a : undefined;
  return {
    key,
    title,
    unit,
    a,
    b,
    aText: show(a, aApplies),
    bText: show(b, bApplies),
    difference,
    differenceText: difference === undefined ? '—' : unit === 'bytes' ? formatSignedBytes(difference) : formatSignedDuration(difference),
    ratio,
    ratioText: ratio === undefined ? '—' : `×${ratio.toFixed(2)}`,
  };
}

function sign(value: number): string {
  return value > 0 ? '+' : value < 0 ? '\u2212' : '';
}

/** The absolute time a run is aligned on, or undefined when it has no such point. */
function anchor(run: RunView, align: Alignment): number | undefined {
  if (align === 'start') return run.firstSampleTime;
  return run.markers.find((m) => m.label === align.markerLabel)?.time;
}

function columnValues(recording: Recording, name: string): readonly (number | null)[] | undefined {
  return Object.hasOwn(recording.columns, name) ? recording.columns[name].values : undefined;
}

/** The median of whole byte counts, rounded to a whole byte; undefined for none. */
function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = values.sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/**
 * Go's heap in use at the peak: from the Go reading nearest the peak's sample in time, among those
 * taken while RSS was at the peak's level (within PEAK_LEVEL_SHARE of that sample's RSS) when any
 * is — Go figures come once a second, and RSS can climb from idle to its peak between two of them:
 * the reading just before the climb is near in time and says nothing about the peak.
 */
function heapInUseNear(recording: Recording, peakRow: number): number | undefined {
  const objects = columnValues(recording, 'heapObjects');
  const unused = columnValues(recording, 'heapUnused');
  const rss = columnValues(recording, 'rss');
  if (!objects || !unused) return undefined;
  const time = recording.time;
  const peakLevel = rss?.[peakRow];
  const atPeakLevel = (i: number): boolean => peakLevel === null || peakLevel === undefined || (rss![i] ?? 0) >= peakLevel * PEAK_LEVEL_SHARE;
  let best: { value: number; distance: number; atPeakLevel: boolean } | undefined;
  for (let i = 0; i < time.length; i++) {
    const distance = Math.abs(time[i] - time[peakRow]);
    const o = objects[i];
    const u = unused[i];
    if (o === null || u === null || distance > HEAP_AT_PEAK_MAX_DISTANCE_MS) continue;
    const candidate = { value: o + u, distance, atPeakLevel: atPeakLevel(i) };
    if (!best || (candidate.atPeakLevel && !best.atPeakLevel) || (candidate.atPeakLevel === best.atPeakLevel && distance < best.distance)) best = candidate;
  }
  return best?.value;
}
