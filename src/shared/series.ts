/**
 * A bounded time series: what the graph draws and the status bar summarises. Memory stays bounded
 * whatever the interval and however long VS Code runs: points older than the window are dropped,
 * and if the window holds more points than the buffer has room for (a long window at a short
 * interval), the older half is downsampled — of each pair of neighbours the one with the higher
 * RSS is kept, so peaks survive and each kept row stays a real, self-consistent sample.
 */

/**
 * The numeric columns a series keeps per point. Missing values are NaN. Besides the OS's RSS and
 * VSZ: its split of RSS (anonymous, file-backed, lazily freed), a peak that fell between this
 * sample and the previous one (missedPeak.ts), the Go runtime's own classes when the program
 * exposes them (see goruntime/figures.ts; memoryLimit 0 = GOMEMLIMIT known to be unset), and its
 * memory cgroup's figures when it is in one (cgroup/reader.ts: usage, working set, the limit that
 * applies, OOM kills so far).
 */
export const SERIES_COLUMNS = [
  'rss',
  'vsz',
  'rssAnon',
  'rssFile',
  'lazyFree',
  'heapObjects',
  'heapUnused',
  'heapFree',
  'heapReleased',
  'stacks',
  'goTotal',
  'gcGoal',
  'gcCycles',
  'heapLive',
  'memoryLimit',
  'goRss',
  'missedPeak',
  'goroutines',
  'cgroupUsage',
  'cgroupWorkingSet',
  'cgroupLimit',
  'cgroupOomKills',
] as const;
export type SeriesColumn = (typeof SERIES_COLUMNS)[number];

/** Something worth a marker on the graph. */
export interface SeriesEvent {
  readonly id: number;
  readonly time: number;
  /** For bands (a pause), when it ended; undefined while it lasts or for point events. */
  readonly endTime?: number;
  readonly kind: 'attach' | 'release' | 'release-failed' | 'exit' | 'oom' | 'restart' | 'detach' | 'pause' | 'session' | 'note';
  /** Short text drawn by the marker. */
  readonly label: string;
  /** Longer text shown on hover. */
  readonly detail?: string;
  /** A span of time (drawn as a shaded band) rather than an instant. */
  readonly band?: boolean;
  /** An amount the marker is about, in bytes (what a FreeOSMemory release freed; an OOM kill's peak). */
  readonly bytes?: number;
}

/** Plain arrays of the retained points, oldest first: what the webview receives. */
export interface SeriesSnapshot {
  readonly time: number[];
  readonly columns: Record<SeriesColumn, number[]>;
  readonly events: SeriesEvent[];
}

/**
 * A series as typed arrays, every column a view of one buffer (NaN = missing): what crosses to a
 * child process or to a webview as bytes. As plain arrays, a full series held the extension host
 * past 50 ms in VS Code's postMessage — its serializer calls a replacer for every number; a typed
 * array is one call and a copy (bench/RESULTS.md, "Measured once").
 */
export interface PackedSeries {
  readonly time: Float64Array;
  readonly columns: Partial<Record<SeriesColumn, Float64Array>>;
  readonly events: readonly SeriesEvent[];
}

/** Packs `count` rows read by `valueAt` into one buffer; columns that are NaN throughout are left out when `skipEmpty`. */
function pack(count: number, timeAt: (i: number) => number, valuesOf: (column: SeriesColumn) => ArrayLike<number>, events: readonly SeriesEvent[], skipEmpty: boolean): PackedSeries {
  const kept = SERIES_COLUMNS.filter((column) => !skipEmpty || hasValue(valuesOf(column), count));
  const buffer = new Float64Array((kept.length + 1) * count);
  const time = buffer.subarray(0, count);
  for (let i = 0; i < count; i++) time[i] = timeAt(i);
  const columns: Partial<Record<SeriesColumn, Float64Array>> = {};
  kept.forEach((column, k) => {
    const values = valuesOf(column);
    const into = buffer.subarray((k + 1) * count, (k + 2) * count);
    for (let i = 0; i < count; i++) into[i] = typeof values[i] === 'number' ? values[i] : NaN;
    columns[column] = into;
  });
  return { time, columns, events: [...events] };
}

function hasValue(values: ArrayLike<number>, count: number): boolean {
  for (let i = 0; i < count; i++) if (typeof values[i] === 'number' && !Number.isNaN(values[i])) return true;
  return false;
}

/**
 * Rows [from, to) of a packed series, copied into one buffer of their own (with `events`). A typed
 * array that arrived in a message is a view of that whole message, and VS Code posts a view's
 * whole buffer: what is kept or posted must own its bytes.
 */
export function copyPackedRows(series: PackedSeries, from = 0, to = series.time.length, events: readonly SeriesEvent[] = series.events): PackedSeries {
  const names = Object.keys(series.columns) as SeriesColumn[];
  const n = to - from;
  const buffer = new Float64Array(n * (names.length + 1));
  buffer.set(series.time.subarray(from, to), 0);
  const columns: Partial<Record<SeriesColumn, Float64Array>> = {};
  names.forEach((name, k) => {
    const into = buffer.subarray((k + 1) * n, (k + 2) * n);
    into.set(series.columns[name]!.subarray(from, to));
    columns[name] = into;
  });
  return { time: buffer.subarray(0, n), columns, events: [...events] };
}

/** A snapshot as a {@link PackedSeries} (every column, or only those with a value). */
export function packSeries(snapshot: SeriesSnapshot, { skipEmpty = false } = {}): PackedSeries {
  return pack(snapshot.time.length, (i) => snapshot.time[i], (column) => snapshot.columns[column] ?? [], snapshot.events, skipEmpty);
}

/** Back to plain arrays (a column left out is NaN throughout): an indexed copy, faster than Array.from's iterator (bench/RESULTS.md, "Measured once"). */
export function unpackSeries(packed: PackedSeries): SeriesSnapshot {
  const n = packed.time.length;
  const plain = (values: Float64Array | undefined): number[] => {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = values ? values[i] : NaN;
    return out;
  };
  const columns = {} as Record<SeriesColumn, number[]>;
  for (const column of SERIES_COLUMNS) columns[column] = plain(packed.columns[column]);
  return { time: plain(packed.time), columns, events: [...packed.events] };
}

export const MAX_CAPACITY = 20_000;
const MIN_CAPACITY = 256;
/** Markers a series keeps (the newest); an opened recording shows as many. */
export const MAX_SERIES_EVENTS = 500;

/** Room for one window at the given interval plus slack for bursts, within fixed bounds. */
export function capacityFor(windowMs: number, intervalMs: number): number {
  const wanted = Math.ceil((windowMs / Math.max(1, intervalMs)) * 1.25) + 64;
  return Math.min(MAX_CAPACITY, Math.max(MIN_CAPACITY, wanted));
}

export class TimeSeries {
  private times: Float64Array;
  private data: Record<SeriesColumn, Float64Array>;
  /** Retained points live at [start, start + count): eviction just moves `start`. */
  private start = 0;
  private count = 0;
  private events: SeriesEvent[] = [];
  private nextEventId = 1;

  constructor(
    private windowMs: number,
    private capacityValue: number,
  ) {
    this.times = new Float64Array(capacityValue);
    this.data = allocColumns(capacityValue);
  }

  get length(): number {
    return this.count;
  }

  get capacity(): number {
    return this.capacityValue;
  }

  get window(): number {
    return this.windowMs;
  }

  /** Time of the newest point, or undefined when empty. */
  get lastTime(): number | undefined {
    return this.count ? this.times[this.start + this.count - 1] : undefined;
  }

  /** Appends a point; points must arrive in time order (an older one is ignored). */
  push(time: number, values: Partial<Record<SeriesColumn, number>>): void {
    if (this.count && time < this.times[this.start + this.count - 1]) return;
    this.evictOlderThan(time - this.windowMs);
    if (this.start + this.count === this.capacityValue) this.makeRoom();
    const i = this.start + this.count++;
    this.times[i] = time;
    for (const column of SERIES_COLUMNS) this.data[column][i] = values[column] ?? NaN;
  }

  /** Records an event (a marker) and returns it. */
  addEvent(event: Omit<SeriesEvent, 'id'>): SeriesEvent {
    const full: SeriesEvent = { ...event, id: this.nextEventId++ };
    this.events.push(full);
    this.trimEvents();
    return full;
  }

  /** Sets the end of a band event (e.g. a pause that just ended). */
  endEvent(id: number, endTime: number): SeriesEvent | undefined {
    const index = this.events.findIndex((e) => e.id === id);
    if (index < 0) return undefined;
    const ended = { ...this.events[index], endTime };
    this.events[index] = ended;
    return ended;
  }

  /** Changes the window (and, when needed, the buffer size), keeping what still fits. */
  resize(windowMs: number, capacity: number): void {
    const snapshot = this.snapshot();
    this.windowMs = windowMs;
    this.capacityValue = capacity;
    this.times = new Float64Array(capacity);
    this.data = allocColumns(capacity);
    this.start = 0;
    this.count = 0;
    for (let i = 0; i < snapshot.time.length; i++) {
      const row: Partial<Record<SeriesColumn, number>> = {};
      for (const column of SERIES_COLUMNS) row[column] = snapshot.columns[column][i];
      this.push(snapshot.time[i], row);
    }
    this.trimEvents();
  }

  /** The value of `column` at point `index` (0 = oldest). */
  value(column: SeriesColumn, index: number): number {
    return this.data[column][this.start + index];
  }

  /**
   * The retained values of `column`, oldest first: a view onto the buffer (no copy), valid until
   * the next push. For scans over the whole window, which would otherwise look the column up by
   * name at each point.
   */
  column(column: SeriesColumn): Float64Array {
    return this.data[column].subarray(this.start, this.start + this.count);
  }

  /** The retained points' times, oldest first: a view like column(). */
  timeColumn(): Float64Array {
    return this.times.subarray(this.start, this.start + this.count);
  }

  /** Time of point `index` (0 = oldest). */
  time(index: number): number {
    return this.times[this.start + index];
  }

  /** Min and max of a column over the retained points (NaN-free), or undefined when none. */
  range(column: SeriesColumn): { min: number; max: number } | undefined {
    let min = Infinity;
    let max = -Infinity;
    const values = this.data[column];
    for (let i = this.start; i < this.start + this.count; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return min <= max ? { min, max } : undefined;
  }

  snapshot(): SeriesSnapshot {
    const columns = {} as Record<SeriesColumn, number[]>;
    const end = this.start + this.count;
    for (const column of SERIES_COLUMNS) columns[column] = Array.from(this.data[column].subarray(this.start, end));
    return { time: Array.from(this.times.subarray(this.start, end)), columns, events: [...this.events] };
  }

  /** The points and markers as a {@link PackedSeries}, columns never measured left out: what a graph is sent. */
  packed(): PackedSeries {
    const start = this.start;
    return pack(this.count, (i) => this.times[start + i], (column) => this.data[column].subarray(start, start + this.count), this.events, true);
  }

  allEvents(): readonly SeriesEvent[] {
    return this.events;
  }

  private evictOlderThan(cutoff: number): void {
    let dropped = 0;
    while (dropped < this.count && this.times[this.start + dropped] < cutoff) dropped++;
    if (dropped === 0) return;
    this.start += dropped;
    this.count -= dropped;
    this.trimEvents();
  }

  /** Called when the buffer's tail is reached: slide the points to the front, or downsample if full. */
  private makeRoom(): void {
    if (this.start > 0) {
      // One memmove per (capacity − count) pushes: amortised O(1).
      const end = this.start + this.count;
      this.times.copyWithin(0, this.start, end);
      for (const column of SERIES_COLUMNS) this.data[column].copyWithin(0, this.start, end);
      this.start = 0;
      return;
    }
    const half = Math.floor(this.count / 2);
    const rss = this.data.rss;
    const missed = this.data.missedPeak;
    let write = 0;
    for (let read = 0; read + 1 < half; read += 2) {
      // Keep the higher-RSS point of each pair: peaks survive downsampling. A peak between
      // samples survives too, whichever row of the pair carried it.
      const keep = rss[read + 1] > rss[read] || Number.isNaN(rss[read]) ? read + 1 : read;
      const peak = Math.max(Number.isNaN(missed[read]) ? -Infinity : missed[read], Number.isNaN(missed[read + 1]) ? -Infinity : missed[read + 1]);
      this.copyRow(keep, write);
      missed[write++] = peak === -Infinity ? NaN : peak;
    }
    for (let read = half - (half % 2); read < this.count; read++) this.copyRow(read, write++);
    this.count = write;
  }

  private copyRow(from: number, to: number): void {
    this.times[to] = this.times[from];
    for (const column of SERIES_COLUMNS) this.data[column][to] = this.data[column][from];
  }

  private trimEvents(): void {
    // Keep events inside the window; a band that reaches into it (or is still open) is kept too.
    const cutoff = this.count ? this.times[this.start + this.count - 1] - this.windowMs : -Infinity;
    if (this.events.length && this.events[0].time < cutoff) {
      this.events = this.events.filter((e) => (e.band ? (e.endTime ?? Infinity) : e.time) >= cutoff);
    }
    if (this.events.length > MAX_SERIES_EVENTS) this.events = this.events.slice(-MAX_SERIES_EVENTS);
  }
}

function allocColumns(capacity: number): Record<SeriesColumn, Float64Array> {
  const out = {} as Record<SeriesColumn, Float64Array>;
  for (const column of SERIES_COLUMNS) out[column] = new Float64Array(capacity);
  return out;
}
