/**
 * What the chart draws, built from the state and the theme's colours: series, stacked layers,
 * markers, thresholds, the time range. Pure (no DOM, no canvas): unit-tested in Node. Built once a
 * redraw from what the series keeps up to date as rows arrive (clientSeries.ts): nothing here walks
 * the rows.
 */
import { formatBytes } from '../shared/format';
import type { SeriesEvent } from '../shared/series';
import type { AreaBand, ChartMarker, ChartModel, ChartTheme } from './chart';
import { Layer, LAYER_LABELS, LAYERS } from './clientSeries';
import { DataRange, xRange } from './zoom';
import type { GraphState } from './state';

/** A short history is still shown over this span, so the first seconds are not stretched across the width. */
export const MIN_SPAN_MS = 30_000;
/**
 * The Go figures are read at most once a second (pprof every 5 s) while samples may come ten times
 * as often: their layers and lines are joined across the samples in between, up to this gap.
 */
export const GO_BRIDGE_MS = 12_000;

/** The chart theme plus one colour per kind of thing drawn. */
export interface GraphTheme extends ChartTheme {
  readonly rss: string;
  readonly vsz: string;
  readonly release: string;
  readonly attach: string;
  readonly exit: string;
  readonly warning: string;
  /** The container's working set and usage. */
  readonly container: string;
  readonly layers: Record<Layer, string>;
}

export function markerColor(event: SeriesEvent, t: GraphTheme): string {
  switch (event.kind) {
    case 'release':
      return t.release;
    case 'release-failed':
    case 'exit':
    case 'oom':
      return t.exit;
    case 'restart':
      return t.attach;
    case 'attach':
      return t.attach;
    case 'pause':
      return t.warning;
    default:
      return t.muted;
  }
}

/** The newest value of a column that is not NaN. */
export function lastValue(values: ArrayLike<number>): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) if (!Number.isNaN(values[i])) return values[i];
  return undefined;
}

/**
 * What the time axis is fitted to. A live series: its window, shown over at least MIN_SPAN_MS
 * (in steps while it fills). With `fitToData` (a recording): from the first sample to the last,
 * of this run and of a run compared with it — a 12 s recording on a 12 s axis.
 */
export function dataRangeOf(state: GraphState): DataRange {
  const time = state.series.time;
  const last = time.length ? time[time.length - 1] : Date.now();
  const first = time.length ? time[0] : last;
  if (!state.fitToData) return { first, last, windowMs: state.series.windowFor(state.windowMs), minSpanMs: MIN_SPAN_MS };
  let lo = first;
  let hi = last;
  const other = state.comparison?.time;
  if (other?.length) {
    lo = Math.min(lo, other[0]);
    hi = Math.max(hi, other[other.length - 1]);
  }
  // One sample (or none) still gets a second of axis.
  const span = Math.max(hi - lo, 1000);
  return { first: lo, last: hi, windowMs: span, minSpanMs: span };
}

/** The chart model for the current watch. `compact`: the small chart of the debug sidebar. */
export function buildChartModel(state: GraphState, t: GraphTheme, compact: boolean): ChartModel {
  const s = state.series;
  const count = s.time.length;
  // The line grows from the left edge; once the window is full it scrolls — unless zoomed.
  // A copy holding as many rows as a series keeps scrolls like a full window (ClientSeries.windowFor).
  const { xMin, xMax } = xRange(state.zoom, dataRangeOf(state));
  const compared = state.comparison;
  const markers: ChartMarker[] = s.events.map((e) => ({ time: e.time, endTime: e.endTime, band: e.band, label: e.label, color: markerColor(e, t) }));
  const layers = s.has('goTotal') ? s.layers : undefined;
  const bands: AreaBand[] = layers ? LAYERS.map((l) => ({ name: LAYER_LABELS[l], lower: layers[l].lower, upper: layers[l].upper, color: t.layers[l], bridgeMs: GO_BRIDGE_MS })) : [];
  const goLimit = s.newestValue('memoryLimit');
  const containerLimit = s.newestValue('cgroupLimit');
  const hasContainer = containerLimit !== undefined;
  return {
    time: s.time,
    count,
    series: [
      // A fleet's other replicas (a Prometheus history): their RSS thin and faint, behind the one shown.
      ...state.overlays.map((o) => ({ name: `RSS — ${o.name}`, values: o.rss, time: o.time, color: t.foreground, axis: 0 as const, width: 1, alpha: 0.3, under: true })),
      { name: 'VSZ', values: s.cols.vsz, color: t.vsz, axis: 1, width: 1.5 },
      // With the layers below it, RSS is their outline; alone, its own filled area.
      { name: 'RSS', values: s.cols.rss, color: t.rss, axis: 0, width: 2, fill: !layers },
      { name: 'GC goal', values: s.cols.gcGoal, color: t.release, axis: 0, width: 1, dash: [4, 3], bridgeMs: GO_BRIDGE_MS },
      // In a memory-limited cgroup: what the OOM killer acts on (working set), and the charge.
      ...(hasContainer
        ? [
            { name: 'cgroup usage', values: s.cols.cgroupUsage, color: t.container, axis: 0 as const, width: 1, dash: [2, 2] },
            { name: 'working set', values: s.cols.cgroupWorkingSet, color: t.container, axis: 0 as const, width: 1.5 },
          ]
        : []),
      // Goroutines: a thin line low in the plot (their stacks are memory too; a steady rise is a leak).
      ...(s.has('goroutines') ? [{ name: 'goroutines', values: s.cols.goroutines, color: t.muted, axis: 2 as const, width: 1, bridgeMs: GO_BRIDGE_MS, unitLabel: 'goroutines' }] : []),
      // Another run over this one: its RSS, dashed, in the foreground colour (this run has the colours).
      ...(compared ? [{ name: `RSS — ${compared.nameB}`, values: compared.rss, time: compared.time, color: t.foreground, axis: 0 as const, width: 1.5, dash: [6, 3] }] : []),
    ],
    bands,
    missedPeaks: { values: s.cols.missedPeak, base: s.cols.rss, color: t.rss, rows: s.peaks() },
    // The compared run's, in its line's colour (Peak RSS in the table may be one of them).
    ...(compared?.missedPeak?.length === compared?.time.length && compared?.missedPeak ? { comparedPeaks: { time: compared.time, values: compared.missedPeak, base: compared.rss, color: t.foreground } } : {}),
    ticks: s.gcTicks(),
    tickColor: t.muted,
    markers,
    thresholds: [
      ...(state.warningBytes > 0 ? [{ value: state.warningBytes, axis: 0 as const, color: t.muted, label: `warning ${formatBytes(state.warningBytes)}` }] : []),
      // GOMEMLIMIT is soft (the GC works harder near it); the container limit is where the kernel kills.
      ...(goLimit !== undefined && goLimit > 0 ? [{ value: goLimit, axis: 0 as const, color: t.warning, label: `GOMEMLIMIT ${formatBytes(goLimit)}` }] : []),
      ...(hasContainer ? [{ value: containerLimit, axis: 0 as const, color: t.exit, label: `container limit ${formatBytes(containerLimit)}` }] : []),
    ],
    xMin,
    xMax,
    axisTitles: ['RSS', 'VSZ'],
    compact,
    base: s.base,
    seriesId: s.id,
    eventsVersion: s.eventsVersion,
    // The right edge follows the newest sample unless zoomed to a range in the past.
    follow: state.zoom.mode !== 'fixed',
  };
}
