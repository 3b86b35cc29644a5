/**
 * The webview's copy of the current watch's series, and what is drawn and read out from it, kept
 * up to date as rows arrive so that nothing done once a second walks the whole window: the stacked
 * layers, the GC ticks, the peaks between samples, the minimum and maximum of RSS and VSZ, the
 * newest value of each column. Pure (no DOM): unit-tested in Node, each against a plain recount.
 */
import { Part, PART_LABELS, partition, partitionInputAt, PARTS } from '../shared/partition';
import { MAX_CAPACITY, PackedSeries, SERIES_COLUMNS, SeriesColumn, SeriesEvent } from '../shared/series';

/** Same bound as the host's series: the copy here cannot grow without limit either. */
export const MAX_POINTS = MAX_CAPACITY;
/**
 * Rows older than the window are dropped in batches of more than this many (splice is O(n)); a
 * copy at MAX_POINTS may hold this many more before its oldest rows go.
 */
export const TRIM_BATCH = 64;
/** How far past MAX_POINTS the copy may grow before its oldest rows go (a batch, as above). */
const CAPACITY_SLACK = 4 * TRIM_BATCH;

/** JSON turns NaN into null: read both as "missing". */
function num(v: number | null | undefined): number {
  return typeof v === 'number' ? v : NaN;
}

/** The layers of RSS, bottom to top (shared/partition.ts). */
export const LAYERS = PARTS;
export type Layer = Part;
export const LAYER_LABELS = PART_LABELS;

/** Lower and upper curve of each layer, aligned with the series' rows (NaN where a row has no Go figures). */
export type StackedLayers = Record<Layer, { readonly lower: number[]; readonly upper: number[] }>;

/**
 * The minimum or maximum of a column over the rows kept, as rows come and go: a monotonic queue of
 * row numbers (absolute: rows dropped from the front still count), O(1) amortised per row.
 */
class SlidingExtreme {
  private rows: number[] = [];
  private head = 0;

  constructor(private readonly better: (a: number, b: number) => boolean) {}

  clear(): void {
    this.rows = [];
    this.head = 0;
  }

  /** Row `row` (absolute) has value v; NaN is not a candidate. */
  push(row: number, v: number, valueOf: (row: number) => number): void {
    if (!(v === v)) return;
    while (this.rows.length > this.head && !this.better(valueOf(this.rows[this.rows.length - 1]), v)) this.rows.pop();
    this.rows.push(row);
  }

  /** Rows before `row` (absolute) are gone. */
  dropBefore(row: number): void {
    while (this.head < this.rows.length && this.rows[this.head] < row) this.head++;
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }

  /** The row holding the extreme, or undefined when no value is kept. */
  get best(): number | undefined {
    return this.head < this.rows.length ? this.rows[this.head] : undefined;
  }
}

export class ClientSeries {
  time: number[] = [];
  cols = emptyColumns();
  events: SeriesEvent[] = [];
  /** Rows dropped from the front since the last reset: row i here is row `base + i` of the series. */
  base = 0;
  /** Changes whenever the series starts over (reset): what was drawn from the old one is void. */
  id = 0;
  /** Changes whenever the markers change. */
  eventsVersion = 0;
  /**
   * Once the copy has held MAX_POINTS rows, the span they covered: the window the graph can show
   * (less than memoryWatch.window when that holds more rows than a series keeps), so that a full
   * copy scrolls like a full window instead of being stretched anew at each row.
   */
  capSpanMs?: number;
  private layerRows = emptyLayers();
  /** Row numbers (here, ascending) where a GC cycle completed, their times, and the count last seen. */
  private tickRows: number[] = [];
  private tickTimes: number[] = [];
  private lastGc = NaN;
  /** Row numbers (here, ascending) with a peak between samples (missedPeak > 0). */
  private peakRows: number[] = [];
  private readonly minRss = new SlidingExtreme((a, b) => a < b);
  private readonly maxRss = new SlidingExtreme((a, b) => a > b);
  private readonly minVsz = new SlidingExtreme((a, b) => a < b);
  private readonly maxVsz = new SlidingExtreme((a, b) => a > b);
  private readonly maxPeak = new SlidingExtreme((a, b) => a > b);
  /** Per column: how many rows kept have a value, and the newest of them (absolute row, −1: none). */
  private present = {} as Record<SeriesColumn, number>;
  private newest = {} as Record<SeriesColumn, number>;

  /** Values by absolute row, for the sliding extremes. */
  private readonly rssAt = (row: number) => this.cols.rss[row - this.base];
  private readonly vszAt = (row: number) => this.cols.vsz[row - this.base];
  private readonly peakAt = (row: number) => this.cols.missedPeak[row - this.base];

  constructor() {
    this.clearDerived();
  }

  /** Starts over from the host's series (typed arrays; a column left out was never measured). */
  reset(series?: PackedSeries): void {
    const n = series?.time.length ?? 0;
    this.id++;
    this.base = 0;
    this.capSpanMs = undefined;
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
    this.eventsVersion++;
    this.clearDerived();
    for (let i = 0; i < n; i++) this.derive(i);
  }

  /** Appends the next rows of the host's series (a `seriesPart`): in order, after the ones it has. */
  append(part: PackedSeries): void {
    const n = part.time.length;
    const from = this.time.length;
    for (let i = 0; i < n; i++) this.time.push(part.time[i]);
    for (const c of SERIES_COLUMNS) {
      const values = part.columns[c];
      const column = this.cols[c];
      for (let i = 0; i < n; i++) column.push(values ? values[i] : NaN);
    }
    for (let i = from; i < this.time.length; i++) this.derive(i);
  }

  get length(): number {
    return this.time.length;
  }

  /** The window the graph shows at most: memoryWatch.window, or less once the copy is full (capSpanMs). */
  windowFor(windowMs: number): number {
    return this.capSpanMs === undefined ? windowMs : Math.min(windowMs, this.capSpanMs);
  }

  push(time: number, values: Partial<Record<SeriesColumn, number | null>>, windowMs: number): void {
    if (this.time.length && time < this.time[this.time.length - 1]) return;
    this.time.push(time);
    for (const c of SERIES_COLUMNS) this.cols[c].push(num(values[c]));
    this.derive(this.time.length - 1);
    // Trim in batches: splice is O(n), so do it when a chunk has aged out, not per sample.
    const cutoff = time - this.windowFor(windowMs);
    let drop = 0;
    while (drop < this.time.length && this.time[drop] < cutoff) drop++;
    if (drop > TRIM_BATCH) this.dropFront(drop);
    // Full: from now on the copy is a window of the span it holds (see capSpanMs), trimmed by time as above.
    if (this.capSpanMs === undefined && this.time.length > MAX_POINTS) this.capSpanMs = time - this.time[0];
    // Rows coming faster than the span's first ones (a series the host had thinned out): the oldest go, the span shrinks.
    if (this.time.length > MAX_POINTS + CAPACITY_SLACK) {
      this.dropFront(this.time.length - MAX_POINTS);
      this.capSpanMs = time - this.time[0];
    }
  }

  upsertEvent(event: SeriesEvent): void {
    const i = this.events.findIndex((e) => e.id === event.id);
    if (i >= 0) this.events[i] = event;
    else this.events.push(event);
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
    this.eventsVersion++;
  }

  /** Times at which a GC cycle completed (gcCycles went up), ascending: kept, not a copy. */
  gcTicks(): readonly number[] {
    return this.tickTimes;
  }

  /** Rows (here) with a peak between samples, ascending. */
  peaks(): readonly number[] {
    return this.peakRows;
  }

  /** Lower and upper curve of each layer (see stackLayers); kept as rows arrive. */
  get layers(): StackedLayers {
    return this.layerRows;
  }

  /** Whether any row kept has a value in `column`. */
  has(column: SeriesColumn): boolean {
    return this.present[column] > 0;
  }

  /** The newest value of `column` that is not missing, if any. */
  newestValue(column: SeriesColumn): number | undefined {
    const row = this.newest[column];
    return row >= this.base ? this.cols[column][row - this.base] : undefined;
  }

  /** Lowest and highest RSS, VSZ kept; the highest peak between samples (0 when none). */
  range(column: 'rss' | 'vsz'): { min: number; max: number } | undefined {
    const lo = column === 'rss' ? this.minRss.best : this.minVsz.best;
    const hi = column === 'rss' ? this.maxRss.best : this.maxVsz.best;
    if (lo === undefined || hi === undefined) return undefined;
    return { min: this.cols[column][lo - this.base], max: this.cols[column][hi - this.base] };
  }

  highestPeak(): number {
    const row = this.maxPeak.best;
    return row === undefined ? 0 : this.cols.missedPeak[row - this.base];
  }

  private clearDerived(): void {
    this.layerRows = emptyLayers();
    this.tickRows = [];
    this.tickTimes = [];
    this.lastGc = NaN;
    this.peakRows = [];
    for (const q of [this.minRss, this.maxRss, this.minVsz, this.maxVsz, this.maxPeak]) q.clear();
    for (const c of SERIES_COLUMNS) {
      this.present[c] = 0;
      this.newest[c] = -1;
    }
  }

  /** Brings everything kept per row up to date with row i (here), the newest. */
  private derive(i: number): void {
    const cols = this.cols;
    const row = this.base + i;
    for (const c of SERIES_COLUMNS) {
      if (!Number.isNaN(cols[c][i])) {
        this.present[c]++;
        this.newest[c] = row;
      }
    }
    const layer = layersAt(cols, i);
    for (const l of LAYERS) {
      this.layerRows[l].lower.push(layer ? layer[l].lower : NaN);
      this.layerRows[l].upper.push(layer ? layer[l].upper : NaN);
    }
    const gc = cols.gcCycles[i];
    if (!Number.isNaN(gc)) {
      if (!Number.isNaN(this.lastGc) && gc > this.lastGc) {
        this.tickRows.push(i);
        this.tickTimes.push(this.time[i]);
      }
      this.lastGc = gc;
    }
    if (cols.missedPeak[i] > 0) this.peakRows.push(i);
    this.minRss.push(row, cols.rss[i], this.rssAt);
    this.maxRss.push(row, cols.rss[i], this.rssAt);
    this.minVsz.push(row, cols.vsz[i], this.vszAt);
    this.maxVsz.push(row, cols.vsz[i], this.vszAt);
    this.maxPeak.push(row, cols.missedPeak[i] > 0 ? cols.missedPeak[i] : NaN, this.peakAt);
  }

  /** Drops the oldest `n` rows and what was kept about them. */
  private dropFront(n: number): void {
    const cols = this.cols;
    for (const c of SERIES_COLUMNS) for (let i = 0; i < n; i++) if (!Number.isNaN(cols[c][i])) this.present[c]--;
    this.time.splice(0, n);
    for (const c of SERIES_COLUMNS) cols[c].splice(0, n);
    for (const l of LAYERS) {
      this.layerRows[l].lower.splice(0, n);
      this.layerRows[l].upper.splice(0, n);
    }
    this.base += n;
    // A tick needs the count before it: the first kept row with a count has none.
    let firstGc = 0;
    while (firstGc < this.time.length && Number.isNaN(cols.gcCycles[firstGc])) firstGc++;
    const kept = this.tickRows.length;
    this.tickRows = shiftRows(this.tickRows, n, firstGc + 1);
    if (this.tickRows.length !== kept) this.tickTimes = this.tickTimes.slice(kept - this.tickRows.length);
    this.peakRows = shiftRows(this.peakRows, n, 0);
    for (const q of [this.minRss, this.maxRss, this.minVsz, this.maxVsz, this.maxPeak]) q.dropBefore(this.base);
  }
}

/** Row numbers less `n`, keeping those ≥ `from` (after the shift). */
function shiftRows(rows: number[], n: number, from: number): number[] {
  let k = 0;
  while (k < rows.length && rows[k] - n < from) k++;
  const out = rows.slice(k);
  for (let i = 0; i < out.length; i++) out[i] -= n;
  return out;
}

function emptyColumns(): Record<SeriesColumn, number[]> {
  const out = {} as Record<SeriesColumn, number[]>;
  for (const c of SERIES_COLUMNS) out[c] = [];
  return out;
}

function emptyLayers(): StackedLayers {
  const out = {} as Record<Layer, { lower: number[]; upper: number[] }>;
  for (const l of LAYERS) out[l] = { lower: [], upper: [] };
  return out;
}

/** What RSS is made of at point i (shared/partition.ts); NaN everywhere when the point has no Go figures. */
export function layerSizes(cols: Record<SeriesColumn, ArrayLike<number>>, i: number): Record<Layer, number> {
  return partition(partitionInputAt(cols, i));
}

/**
 * The stacked layers at row i — each layer's lower and upper edge, clipped at RSS: the runtime
 * counts memory it mapped but never touched, which is not resident, so its classes can add up to
 * more than RSS — or undefined when the row has no Go figures.
 */
function layersAt(cols: Record<SeriesColumn, ArrayLike<number>>, i: number): Record<Layer, { lower: number; upper: number }> | undefined {
  if (Number.isNaN(cols.goTotal[i])) return undefined;
  const sizes = layerSizes(cols, i);
  // No RSS (a URL target without the agent): the layers stand unclipped.
  const rss = Number.isNaN(cols.rss[i]) ? Infinity : cols.rss[i];
  const out = {} as Record<Layer, { lower: number; upper: number }>;
  let base = 0;
  for (const layer of LAYERS) {
    const top = Math.min(rss, base + (Number.isNaN(sizes[layer]) ? 0 : sizes[layer]));
    out[layer] = { lower: base, upper: top };
    base = top;
  }
  return out;
}

/** Lower and upper curve of each layer, stacked and clipped at RSS: kept as rows arrive (ClientSeries.layers). */
export function stackLayers(s: ClientSeries): StackedLayers {
  return s.layers;
}

/** The same, worked out from every row at once: what the kept layers must equal (tests). */
export function stackLayersOf(cols: Record<SeriesColumn, ArrayLike<number>>, n: number): StackedLayers {
  const out = emptyLayers();
  for (let i = 0; i < n; i++) {
    const layer = layersAt(cols, i);
    for (const l of LAYERS) {
      out[l].lower.push(layer ? layer[l].lower : NaN);
      out[l].upper.push(layer ? layer[l].upper : NaN);
    }
  }
  return out;
}
