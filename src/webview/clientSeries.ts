/**
 * The webview's copy of the current watch's series, and the stacked layers drawn from it. Pure
 * (no DOM): unit-tested in Node.
 */
import { Part, PART_LABELS, partition, partitionInputAt, PARTS } from '../core/partition';
import { MAX_CAPACITY, PackedSeries, SERIES_COLUMNS, SeriesColumn, SeriesEvent } from '../core/series';

/** Same bound as the host's series: the copy here cannot grow without limit either. */
export const MAX_POINTS = MAX_CAPACITY;

/** JSON turns NaN into null: read both as "missing". */
function num(v: number | null | undefined): number {
  return typeof v === 'number' ? v : NaN;
}

export class ClientSeries {
  time: number[] = [];
  cols = emptyColumns();
  events: SeriesEvent[] = [];

  /** Starts over from the host's series (typed arrays; a column left out was never measured). */
  reset(series?: PackedSeries): void {
    const n = series?.time.length ?? 0;
    this.time = new Array<number>(n);
    for (let i = 0; i < n; i++) this.time[i] = series!.time[i];
    this.cols = emptyColumns();
    for (const c of SERIES_COLUMNS) {
      const values = series?.columns[c];
      const column = new Array<number>(n);
      for (let i = 0; i < n; i++) column[i] = values ? values[i] : NaN;
      this.cols[c] = column;
    }
    this.events = series ? [...series.events] : [];
  }

  /** Appends the next rows of the host's series (a `seriesPart`): in order, after the ones it has. */
  append(part: PackedSeries): void {
    const n = part.time.length;
    for (let i = 0; i < n; i++) this.time.push(part.time[i]);
    for (const c of SERIES_COLUMNS) {
      const values = part.columns[c];
      const column = this.cols[c];
      for (let i = 0; i < n; i++) column.push(values ? values[i] : NaN);
    }
  }

  get length(): number {
    return this.time.length;
  }

  push(time: number, values: Partial<Record<SeriesColumn, number | null>>, windowMs: number): void {
    if (this.time.length && time < this.time[this.time.length - 1]) return;
    this.time.push(time);
    for (const c of SERIES_COLUMNS) this.cols[c].push(num(values[c]));
    // Trim in batches: splice is O(n), so do it when a chunk has aged out, not per sample.
    const cutoff = time - windowMs;
    let drop = 0;
    while (drop < this.time.length && this.time[drop] < cutoff) drop++;
    if (drop > 64 || this.time.length > MAX_POINTS) {
      drop = Math.max(drop, this.time.length - MAX_POINTS);
      this.time.splice(0, drop);
      for (const c of SERIES_COLUMNS) this.cols[c].splice(0, drop);
    }
  }

  upsertEvent(event: SeriesEvent): void {
    const i = this.events.findIndex((e) => e.id === event.id);
    if (i >= 0) this.events[i] = event;
    else this.events.push(event);
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
  }

  /** Times at which a GC cycle completed (gcCycles went up). */
  gcTicks(): number[] {
    const ticks: number[] = [];
    const gc = this.cols.gcCycles;
    let prev = NaN;
    for (let i = 0; i < gc.length; i++) {
      if (Number.isNaN(gc[i])) continue;
      if (!Number.isNaN(prev) && gc[i] > prev) ticks.push(this.time[i]);
      prev = gc[i];
    }
    return ticks;
  }
}

function emptyColumns(): Record<SeriesColumn, number[]> {
  const out = {} as Record<SeriesColumn, number[]>;
  for (const c of SERIES_COLUMNS) out[c] = [];
  return out;
}

/** The layers of RSS, bottom to top (core/partition.ts). */
export const LAYERS = PARTS;
export type Layer = Part;
export const LAYER_LABELS = PART_LABELS;

/** What RSS is made of at point i (core/partition.ts); NaN everywhere when the point has no Go figures. */
export function layerSizes(cols: Record<SeriesColumn, number[]>, i: number): Record<Layer, number> {
  return partition(partitionInputAt(cols, i));
}

/**
 * Lower and upper curve of each layer, stacked and clipped at RSS: the runtime counts memory it
 * mapped but never touched, which is not resident, so its classes can add up to more than RSS.
 */
export function stackLayers(s: ClientSeries): Record<Layer, { lower: Float64Array; upper: Float64Array }> {
  const n = s.length;
  const out = {} as Record<Layer, { lower: Float64Array; upper: Float64Array }>;
  for (const layer of LAYERS) out[layer] = { lower: new Float64Array(n).fill(NaN), upper: new Float64Array(n).fill(NaN) };
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(s.cols.goTotal[i])) continue;
    const sizes = layerSizes(s.cols, i);
    // No RSS (a URL target without the agent): the layers stand unclipped.
    const rss = Number.isNaN(s.cols.rss[i]) ? Infinity : s.cols.rss[i];
    let base = 0;
    for (const layer of LAYERS) {
      const top = Math.min(rss, base + (Number.isNaN(sizes[layer]) ? 0 : sizes[layer]));
      out[layer].lower[i] = base;
      out[layer].upper[i] = top;
      base = top;
    }
  }
  return out;
}
