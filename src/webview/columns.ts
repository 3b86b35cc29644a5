/**
 * The graph's reduction to pixel columns, kept as samples arrive. A curve's samples fall in pixel
 * columns; each column keeps what the chart draws of them — the first, lowest, highest and last
 * value (M4) and where runs of the line break — so that drawing a column, or finding the highest
 * value in view, never walks its samples again. The columns are those of a lattice: an absolute
 * column per time, fixed while the time scale and the plot's left edge stay the same, so that a
 * scrolling window only adds columns at its right end; when the scale changes (a zoom, a resize, a
 * window not yet full) the chart builds a new store from the samples in view — a user's action,
 * not a per-second cost.
 *
 * What the chart draws from the store is exactly what decimate() (chart.ts) makes of the samples
 * in view, column by column (tested against it on random series): a column only partly in view —
 * at the left edge, where the view starts one sample before its left edge, or at the right — or
 * one in which the line breaks is worked out from its own samples, the others from their
 * aggregates. Pure (no DOM): unit-tested in Node.
 */

/** The pixel grid: time t falls in absolute column round(left + (t − origin) × xScale). */
export interface Lattice {
  /** The time at the plot's left edge when the lattice was made. */
  readonly origin: number;
  /** CSS pixels per millisecond. */
  readonly xScale: number;
  /** The plot's left edge, CSS px (an integer). */
  readonly left: number;
}

/** The absolute column of time t. On screen it is at x = column − shift, shift the whole pixels scrolled since the lattice was made. */
export function columnOf(lattice: Lattice, t: number): number {
  return Math.round(lattice.left + (t - lattice.origin) * lattice.xScale);
}

/** A curve as the store reads it: values at ascending times (NaN: missing); element i is absolute row base + i. */
export interface CurveSource {
  readonly time: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  /** A row is also missing where this is NaN (a layer of the stack: its lower edge). */
  readonly also?: ArrayLike<number>;
  /** Joined across missing values up to this long; 0: every missing value breaks the line. */
  readonly bridgeMs: number;
  /** Absolute row of element 0 (rows dropped from the front so far). */
  readonly base: number;
  /** Elements [0, count) exist. */
  readonly count: number;
}

/**
 * Columns as decimate() makes them, in value space: per entry its absolute column, the first,
 * highest, lowest and last value, the absolute row of the last value, and whether a run of the
 * line starts there. A column in which the line breaks has an entry per piece.
 */
export class Entries {
  readonly column: number[] = [];
  readonly first: number[] = [];
  readonly high: number[] = [];
  readonly low: number[] = [];
  readonly last: number[] = [];
  readonly lastRow: number[] = [];
  readonly runStart: boolean[] = [];
  /**
   * The entries in use: the arrays keep their room between uses (past `length` they hold stale
   * values), so that a redraw of each curve each second leaves no garbage for a heap the webview
   * shares with the workbench (code-server).
   */
  length = 0;

  clear(): void {
    this.length = 0;
  }

  push(column: number, first: number, high: number, low: number, last: number, lastRow: number, runStart: boolean): void {
    const e = this.length++;
    this.column[e] = column;
    this.first[e] = first;
    this.high[e] = high;
    this.low[e] = low;
    this.last[e] = last;
    this.lastRow[e] = lastRow;
    this.runStart[e] = runStart;
  }
}

/** Whether row i of a curve has a value. */
function valid(src: CurveSource, i: number): boolean {
  const v = src.values[i];
  if (!(v === v)) return false;
  if (src.also) {
    const w = src.also[i];
    if (!(w === w)) return false;
  }
  return true;
}

/** One curve's columns. */
export class CurveColumns {
  /** Absolute column of slot 0; slots [0, used) hold columns [kBase, kBase + used). */
  private kBase = 0;
  private used = 0;
  private has = new Uint8Array(0);
  private minV = new Float64Array(0);
  private maxV = new Float64Array(0);
  private firstRowV = new Float64Array(0);
  private lastRowV = new Float64Array(0);
  /** Rows after a column's first value that start a new run (the line breaks inside the column). */
  private breaks = new Uint32Array(0);
  /** Whether the column's first value starts a run (after a gap). */
  private firstBreaks = new Uint8Array(0);
  /** The next absolute row to take in, and what is needed to tell whether it starts a run. */
  private next: number;
  private anyValid = false;
  private lastValidTime = -Infinity;
  private gapSinceValid = false;

  constructor(
    readonly lattice: Lattice,
    /** The first absolute row taken in: the view's first row when the store was built. */
    readonly startRow: number,
  ) {
    this.next = startRow;
  }

  /** Takes in the rows of `src` not taken in yet. O(new rows). */
  ingest(src: CurveSource): void {
    const end = src.base + src.count;
    // Rows dropped before they were taken in (cannot happen while the chart draws once a second): go on after a gap.
    if (this.next < src.base) {
      this.next = src.base;
      this.anyValid = false;
    }
    for (let row = this.next; row < end; row++) {
      const i = row - src.base;
      if (!valid(src, i)) {
        if (!src.bridgeMs) this.gapSinceValid = true;
        continue;
      }
      const t = src.time[i];
      const v = src.values[i];
      const runStart = !this.anyValid || (src.bridgeMs ? t - this.lastValidTime > src.bridgeMs : this.gapSinceValid);
      this.anyValid = true;
      this.lastValidTime = t;
      this.gapSinceValid = false;
      const k = columnOf(this.lattice, t);
      const slot = this.slotFor(k);
      if (!this.has[slot]) {
        this.has[slot] = 1;
        this.minV[slot] = v;
        this.maxV[slot] = v;
        this.firstRowV[slot] = row;
        this.lastRowV[slot] = row;
        this.breaks[slot] = 0;
        this.firstBreaks[slot] = runStart ? 1 : 0;
      } else {
        if (v < this.minV[slot]) this.minV[slot] = v;
        if (v > this.maxV[slot]) this.maxV[slot] = v;
        this.lastRowV[slot] = row;
        if (runStart) this.breaks[slot]++;
      }
    }
    this.next = Math.max(this.next, end);
  }

  /** Forgets columns before `k` (they scrolled out). */
  dropBefore(k: number): void {
    const n = Math.min(this.used, k - this.kBase);
    if (n <= 0) return;
    for (const a of [this.has, this.minV, this.maxV, this.firstRowV, this.lastRowV, this.breaks, this.firstBreaks]) a.copyWithin(0, n, this.used);
    this.used -= n;
    this.kBase += n;
  }

  /** The lowest absolute column kept. */
  get firstColumn(): number {
    return this.kBase;
  }

  /** The slot of absolute column k, made (empty) if new. Columns only grow: a row's column is never before the last one's. */
  private slotFor(k: number): number {
    if (this.used === 0) this.kBase = k;
    const slot = k - this.kBase;
    if (slot >= this.has.length) this.grow(slot + 1);
    for (let s = this.used; s <= slot; s++) this.has[s] = 0;
    if (slot >= this.used) this.used = slot + 1;
    return slot;
  }

  private grow(min: number): void {
    const cap = Math.max(min, this.has.length * 2, 256);
    const copy = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.used));
      return b;
    };
    this.has = copy(this.has, (n) => new Uint8Array(n));
    this.minV = copy(this.minV, (n) => new Float64Array(n));
    this.maxV = copy(this.maxV, (n) => new Float64Array(n));
    this.firstRowV = copy(this.firstRowV, (n) => new Float64Array(n));
    this.lastRowV = copy(this.lastRowV, (n) => new Float64Array(n));
    this.breaks = copy(this.breaks, (n) => new Uint32Array(n));
    this.firstBreaks = copy(this.firstBreaks, (n) => new Uint8Array(n));
  }

  /**
   * The first row with a value at or after absolute row `first` and before `last` (−1: none),
   * found through the columns: O(columns without values) at most.
   */
  firstValidRow(src: CurveSource, first: number, last: number): number {
    if (first >= last || first < src.base) return -1;
    let slot = Math.max(0, columnOf(this.lattice, src.time[first - src.base]) - this.kBase);
    for (; slot < this.used; slot++) {
      if (!this.has[slot] || this.lastRowV[slot] < first) continue;
      if (this.firstRowV[slot] >= last) return -1;
      if (this.firstRowV[slot] >= first) return this.firstRowV[slot];
      for (let row = first; row <= this.lastRowV[slot]; row++) if (valid(src, row - src.base)) return row < last ? row : -1;
    }
    return -1;
  }

  /**
   * Appends to `out` decimate()'s entries for absolute columns [ka, kb] of the view of rows
   * [first, last), given as `firstValid` (firstValidRow of that view) and `last`. Whole columns come from their
   * aggregates; a column cut by the view's ends, or in which the line breaks, from its rows.
   */
  entries(src: CurveSource, last: number, firstValid: number, ka: number, kb: number, out: Entries): void {
    if (firstValid < 0) return;
    const from = Math.max(0, ka - this.kBase);
    const to = Math.min(this.used - 1, kb - this.kBase);
    for (let slot = from; slot <= to; slot++) {
      if (!this.has[slot]) continue;
      const rowFrom = Math.max(this.firstRowV[slot], firstValid);
      const rowTo = Math.min(this.lastRowV[slot], last - 1);
      if (rowFrom > rowTo) continue;
      const k = this.kBase + slot;
      const runStart = rowFrom === firstValid || this.firstBreaks[slot] === 1;
      if (rowFrom === this.firstRowV[slot] && rowTo === this.lastRowV[slot] && this.breaks[slot] === 0) {
        out.push(k, src.values[rowFrom - src.base], this.maxV[slot], this.minV[slot], src.values[rowTo - src.base], rowTo, runStart);
      } else {
        pieces(src, k, rowFrom, rowTo, runStart, out);
      }
    }
  }

  /** The highest value in rows [firstValid, last) (−Infinity when none): O(columns). */
  maxIn(src: CurveSource, last: number, firstValid: number): number {
    let max = -Infinity;
    if (firstValid < 0) return max;
    const from = Math.max(0, columnOf(this.lattice, src.time[firstValid - src.base]) - this.kBase);
    for (let slot = from; slot < this.used; slot++) {
      if (!this.has[slot]) continue;
      if (this.firstRowV[slot] >= last) break;
      const rowFrom = Math.max(this.firstRowV[slot], firstValid);
      const rowTo = Math.min(this.lastRowV[slot], last - 1);
      if (rowFrom > rowTo) continue;
      if (rowFrom === this.firstRowV[slot] && rowTo === this.lastRowV[slot]) {
        if (this.maxV[slot] > max) max = this.maxV[slot];
      } else {
        for (let row = rowFrom; row <= rowTo; row++) {
          const v = src.values[row - src.base];
          if (v > max) max = v;
        }
      }
    }
    return max;
  }

  /**
   * Where a dashed line's subpath that reaches column `k` started, walking back no further than
   * column `stop`: the nearest column before k whose entry starts one in strokeColumns() — a run's
   * start, or a column spanning several values (drawn with a vertical stroke, after a moveTo) —
   * or `stop`. O(columns walked).
   */
  subpathStartBefore(src: CurveSource, k: number, stop: number): number {
    for (let slot = Math.min(this.used, k - this.kBase) - 1; slot >= 0 && this.kBase + slot > stop; slot--) {
      if (!this.has[slot]) continue;
      if (this.firstBreaks[slot] || this.breaks[slot] || src.values[this.firstRowV[slot] - src.base] !== src.values[this.lastRowV[slot] - src.base]) return this.kBase + slot;
    }
    return stop;
  }

  /** The nearest absolute column before `k` with a value in rows [first, last) (undefined: none kept). */
  columnBefore(k: number, first: number, last: number): number | undefined {
    for (let slot = Math.min(this.used, k - this.kBase) - 1; slot >= 0; slot--) {
      if (this.has[slot] && this.lastRowV[slot] >= first && this.firstRowV[slot] < last) return this.kBase + slot;
    }
    return undefined;
  }

  /** The nearest absolute column after `k` with a value in rows [first, last) (undefined: none). */
  columnAfter(k: number, first: number, last: number): number | undefined {
    for (let slot = Math.max(0, k + 1 - this.kBase); slot < this.used; slot++) {
      if (!this.has[slot]) continue;
      if (this.firstRowV[slot] >= last) return undefined;
      if (this.lastRowV[slot] >= first) return this.kBase + slot;
    }
    return undefined;
  }
}

/** decimate() over rows [rowFrom, rowTo] of one column: an entry per run piece. */
function pieces(src: CurveSource, k: number, rowFrom: number, rowTo: number, runStart: boolean, out: Entries): void {
  let gap = runStart;
  let started = false;
  let lastTime = -Infinity;
  let n = out.length;
  for (let row = rowFrom; row <= rowTo; row++) {
    const i = row - src.base;
    if (!valid(src, i)) {
      if (!src.bridgeMs) gap = true;
      continue;
    }
    const t = src.time[i];
    // The first value's run start is known (runStart); after it, a long enough gap breaks the line.
    if (started && src.bridgeMs && t - lastTime > src.bridgeMs) gap = true;
    lastTime = t;
    const v = src.values[i];
    if (!started || gap) {
      out.push(k, v, v, v, v, row, gap);
      n = out.length - 1;
      started = true;
      gap = false;
    } else {
      if (v > out.high[n]) out.high[n] = v;
      if (v < out.low[n]) out.low[n] = v;
      out.last[n] = v;
      out.lastRow[n] = row;
    }
  }
}
