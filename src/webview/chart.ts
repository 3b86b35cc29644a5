/**
 * A time-series chart drawn on one canvas. Built for memory graphs: lines on a left and a right
 * axis (RSS and VSZ differ by 10–100×), optional area fill, markers with labels, shaded bands,
 * dashed threshold lines, and a hover crosshair. Every series is decimated per pixel column (first,
 * min, max, last of the points that fall in it), so a redraw costs O(points) arithmetic plus
 * O(width) path segments: 5 × 20k points draw in a few ms (see bench/RESULTS.md).
 */
import { ByteTicks, byteTicks, clockLabel, timeTicks } from './scale';

export interface LineSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
  /**
   * Its own sample times (ascending), for a series not sampled with the model's (another run
   * drawn over this one); the model's time otherwise.
   */
  readonly time?: ArrayLike<number>;
  readonly color: string;
  /**
   * 0 = left axis, 1 = right axis (bytes); 2 = a count (goroutines) with no axis of its own: drawn
   * in the lowest third of the plot, its newest value written at its end.
   */
  readonly axis: 0 | 1 | 2;
  /** For a count: the unit written after its newest value ("goroutines"). */
  readonly unitLabel?: string;
  readonly width?: number;
  readonly dash?: readonly number[];
  /** Shade the area under the line. */
  readonly fill?: boolean;
  /**
   * A sparse series (read less often than the samples: the Go figures) is joined across missing
   * values up to this long; a longer gap breaks the line. 0 (default): every missing value breaks it.
   */
  readonly bridgeMs?: number;
}

/** A filled band between two curves (a layer of a stacked area), on the left axis. */
export interface AreaBand {
  readonly name: string;
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
  readonly color: string;
  readonly alpha?: number;
  /** Joined across missing values up to this long (see LineSeries.bridgeMs). */
  readonly bridgeMs?: number;
}

export interface ChartMarker {
  readonly time: number;
  /** Set for a band (a span of time): drawn shaded from `time` to `endTime`. */
  readonly endTime?: number;
  readonly band?: boolean;
  readonly label: string;
  readonly color: string;
}

export interface ThresholdLine {
  readonly value: number;
  readonly axis: 0 | 1;
  readonly color: string;
  readonly label: string;
}

export interface ChartModel {
  /** Sample times, ascending (epoch ms). Only [0, count) is used. */
  readonly time: ArrayLike<number>;
  readonly count: number;
  readonly series: readonly LineSeries[];
  /** Stacked layers, drawn under the lines. */
  readonly bands?: readonly AreaBand[];
  /** Times of small ticks at the foot of the plot (GC cycles). */
  readonly ticks?: readonly number[];
  /**
   * Peaks that fell between two samples (NaN where none), left axis: each drawn as a dashed
   * whisker with a cap, midway between point i − 1 and point i, rising from the higher of
   * `base` at the two points.
   */
  readonly missedPeaks?: { readonly values: ArrayLike<number>; readonly base: ArrayLike<number>; readonly color: string };
  readonly tickColor?: string;
  readonly markers: readonly ChartMarker[];
  readonly thresholds: readonly ThresholdLine[];
  readonly xMin: number;
  readonly xMax: number;
  /** Axis titles; a right axis is drawn only when some series uses it. */
  readonly axisTitles: readonly [string, string];
  /** A small chart (the debug sidebar): markers without labels, fewer ticks. */
  readonly compact?: boolean;
}

export interface ChartTheme {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  readonly font: string;
}

/** Where things are, in CSS pixels. */
interface Layout {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export interface HoverInfo {
  readonly index: number;
  readonly x: number;
  /** Markers within a few pixels of the pointer. */
  readonly markers: readonly ChartMarker[];
}

const MARKER_ROW_HEIGHT = 16;
const MAX_MARKER_ROWS = 3;

export class TimeChart {
  private readonly ctx: CanvasRenderingContext2D;
  private layout: Layout = { left: 0, right: 0, top: 0, bottom: 0 };
  private model?: ChartModel;
  private cssWidth = 0;
  private cssHeight = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('2D canvas is not available');
    this.ctx = ctx;
  }

  /** Draws `model`; `hoverX` (CSS px) adds a crosshair. Returns how many points were in view. */
  render(model: ChartModel, theme: ChartTheme, hoverX?: number): number {
    this.model = model;
    this.resizeToDisplay();
    const ctx = this.ctx;
    const w = this.cssWidth;
    const h = this.cssHeight;
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, w, h);
    if (w < 40 || h < 40) return 0;
    ctx.font = theme.font;
    ctx.textBaseline = 'middle';

    const usesRight = model.series.some((s) => s.axis === 1);
    const scales = [0, 1].map((axis) => byteTicks(this.axisMax(model, axis as 0 | 1), Math.max(model.compact ? 1 : 2, Math.floor(h / (model.compact ? 45 : 60)))));
    // Counts keep to the lowest third: a trend to see, not a figure to read off an axis.
    const countMax = Math.max(1, this.axisMax(model, 2)) * 3;
    scales.push({ max: countMax, ticks: [], unit: 'B', label: (v) => String(Math.round(v)) });
    const leftWidth = Math.max(...scales[0].ticks.map((t) => ctx.measureText(scales[0].label(t)).width)) + 12;
    const rightWidth = usesRight ? Math.max(...scales[1].ticks.map((t) => ctx.measureText(scales[1].label(t)).width)) + 12 : 12;
    // Marker labels need rows above the plot; a compact chart has no room for them.
    const markerRows = model.compact ? 0 : Math.min(MAX_MARKER_ROWS, this.markerRowsNeeded(model, w - leftWidth - rightWidth));
    this.layout = { left: leftWidth, right: w - rightWidth, top: model.compact ? 8 : 8 + markerRows * MARKER_ROW_HEIGHT, bottom: h - 22 };
    const { left, right, top, bottom } = this.layout;
    if (right - left < 20 || bottom - top < 20) return 0;

    this.drawGrid(model, scales, theme, usesRight);
    this.drawBands(model);
    const [first, last] = this.visibleRange(model);
    const inView = Math.max(0, last - first);
    for (const band of model.bands ?? []) this.drawBand(model, band, scales[0], first, last);
    for (const series of model.series) {
      const [from, to] = series.time ? this.visibleRange(model, series.time, series.values.length) : [first, last];
      this.drawSeries(model, series, scales[series.axis], from, to);
      if (series.axis === 2 && !model.compact) this.labelNewest(model, series, scales[2], from, to);
    }
    this.drawMissedPeaks(model, scales[0], first, last);
    this.drawTicks(model);
    this.drawThresholds(model, scales);
    this.drawMarkers(model, theme);
    if (hoverX !== undefined && hoverX >= left && hoverX <= right) {
      ctx.strokeStyle = theme.muted;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(Math.round(hoverX) + 0.5, top);
      ctx.lineTo(Math.round(hoverX) + 0.5, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    return inView;
  }

  /** The data point nearest to `x` (CSS px), and markers near it. */
  hitTest(x: number): HoverInfo | undefined {
    const model = this.model;
    if (!model || model.count === 0) return undefined;
    const { left, right } = this.layout;
    if (x < left || x > right) return undefined;
    const t = model.xMin + ((x - left) / (right - left)) * (model.xMax - model.xMin);
    let i = lowerBound(model.time, model.count, t);
    if (i >= model.count) i = model.count - 1;
    if (i > 0 && Math.abs(model.time[i - 1] - t) < Math.abs(model.time[i] - t)) i--;
    const markers = model.markers.filter((m) => {
      const mx = this.xOf(m.time);
      const mEnd = m.band ? this.xOf(m.endTime ?? model.xMax) : mx;
      return x >= mx - 4 && x <= mEnd + 4;
    });
    return { index: i, x: this.xOf(model.time[i]), markers };
  }

  /** The x position (CSS px) of a time. */
  xOf(time: number): number {
    const model = this.model;
    if (!model) return 0;
    const { left, right } = this.layout;
    return left + ((time - model.xMin) / Math.max(1, model.xMax - model.xMin)) * (right - left);
  }

  get plotArea(): Layout {
    return this.layout;
  }

  private resizeToDisplay(): void {
    const dpr = window.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    this.cssWidth = Math.max(1, Math.floor(rect.width));
    this.cssHeight = Math.max(1, Math.floor(rect.height));
    const pw = Math.round(this.cssWidth * dpr);
    const ph = Math.round(this.cssHeight * dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  /** Writes a count's newest value in view at the end of its line ("412 goroutines"). */
  private labelNewest(model: ChartModel, series: LineSeries, scale: ByteTicks, first: number, last: number): void {
    const time = series.time ?? model.time;
    for (let i = last - 1; i >= first; i--) {
      const v = series.values[i];
      if (!(v === v)) continue;
      const ctx = this.ctx;
      const text = `${Math.round(v)} ${series.unitLabel ?? ''}`.trim();
      const place = countLabelPlacement(Math.min(this.xOf(time[i]), this.layout.right), ctx.measureText(text).width, this.layout.left, this.layout.right);
      ctx.fillStyle = series.color;
      ctx.textAlign = place.align;
      ctx.textBaseline = 'bottom';
      ctx.fillText(text, place.x, this.yOf(v, scale) - 3);
      ctx.textBaseline = 'middle';
      return;
    }
  }

  private axisMax(model: ChartModel, axis: 0 | 1 | 2): number {
    let max = 0;
    const [first, last] = this.visibleRange(model);
    for (const s of model.series) {
      if (s.axis !== axis) continue;
      const v = s.values;
      const [from, to] = s.time ? this.visibleRange(model, s.time, s.values.length) : [first, last];
      for (let i = from; i < to; i++) if (v[i] > max) max = v[i];
    }
    for (const t of model.thresholds) if (t.axis === axis && t.value > max) max = t.value;
    const peaks = axis === 0 ? model.missedPeaks?.values : undefined;
    if (peaks) for (let i = first; i < last; i++) if (peaks[i] > max) max = peaks[i];
    return max * 1.05;
  }

  /** Indices [first, last) of points inside the x range, plus one neighbour each side so lines reach the edges. */
  private visibleRange(model: ChartModel, time: ArrayLike<number> = model.time, count = model.count): [number, number] {
    const first = Math.max(0, lowerBound(time, count, model.xMin) - 1);
    const last = Math.min(count, lowerBound(time, count, model.xMax) + 1);
    return [first, last];
  }

  private drawGrid(model: ChartModel, scales: ByteTicks[], theme: ChartTheme, usesRight: boolean): void {
    const ctx = this.ctx;
    const { left, right, bottom } = this.layout;
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.grid;
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'right';
    ctx.beginPath();
    for (const tick of scales[0].ticks) {
      const y = Math.round(this.yOf(tick, scales[0])) + 0.5;
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.fillText(scales[0].label(tick), left - 6, y);
    }
    // Grid lines recede behind the data: half the theme's chart-line strength.
    ctx.globalAlpha = 0.5;
    ctx.stroke();
    ctx.globalAlpha = 1;
    if (usesRight) {
      ctx.textAlign = 'left';
      for (const tick of scales[1].ticks) ctx.fillText(scales[1].label(tick), right + 6, this.yOf(tick, scales[1]));
    }
    // Time axis.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const ticks = timeTicks(model.xMin, model.xMax, Math.max(2, Math.floor((right - left) / 90)));
    ctx.beginPath();
    for (const t of ticks) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom + 4);
      ctx.fillText(clockLabel(t), Math.min(Math.max(x, left + 24), right - 24), bottom + 6);
    }
    ctx.stroke();
    ctx.strokeStyle = theme.muted;
    ctx.beginPath();
    ctx.moveTo(left, bottom + 0.5);
    ctx.lineTo(right, bottom + 0.5);
    ctx.stroke();
    ctx.textBaseline = 'middle';
  }

  private yOf(value: number, scale: ByteTicks): number {
    const { top, bottom } = this.layout;
    return bottom - (value / scale.max) * (bottom - top);
  }

  /**
   * Draws one series: its points gathered per pixel column (decimate()), then stroked as a line
   * and, for a filled series, shaded down to the axis.
   */
  private drawSeries(model: ChartModel, series: LineSeries, scale: ByteTicks, first: number, last: number): void {
    const { left, right, top, bottom } = this.layout;
    const width = series.width ?? 1.5;
    const columns = decimate(series.time ?? model.time, series.values, first, last, left, (right - left) / Math.max(1, model.xMax - model.xMin), model.xMin, bottom, (bottom - top) / scale.max, series.bridgeMs);
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - width, right - left, bottom - top + 2 * width);
    ctx.clip();
    ctx.strokeStyle = series.color;
    ctx.fillStyle = series.color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.setLineDash(series.dash ? [...series.dash] : []);
    strokeColumns(ctx, columns, width, !!series.dash?.length);
    if (series.fill) fillUnder(ctx, columns, bottom);
    ctx.restore();
  }

  /** One layer of a stacked area: the region between `lower` and `upper`, per pixel column. */
  private drawBand(model: ChartModel, band: AreaBand, scale: ByteTicks, first: number, last: number): void {
    const { left, right, top, bottom } = this.layout;
    const xScale = (right - left) / Math.max(1, model.xMax - model.xMin);
    const yScale = (bottom - top) / scale.max;
    const ctx = this.ctx;
    this.clipToPlot();
    ctx.fillStyle = band.color;
    ctx.globalAlpha = band.alpha ?? 0.45;
    // Runs of points where both curves are known; each run is one polygon.
    const xs: number[] = [];
    const ups: number[] = [];
    const lows: number[] = [];
    const flush = () => {
      if (xs.length >= 2) {
        ctx.beginPath();
        ctx.moveTo(xs[0], ups[0]);
        for (let k = 1; k < xs.length; k++) ctx.lineTo(xs[k], ups[k]);
        for (let k = xs.length - 1; k >= 0; k--) ctx.lineTo(xs[k], lows[k]);
        ctx.closePath();
        ctx.fill();
      }
      xs.length = ups.length = lows.length = 0;
    };
    let lastTime = -Infinity;
    for (let i = first; i < last; i++) {
      const lo = band.lower[i];
      const up = band.upper[i];
      if (!(lo === lo) || !(up === up)) {
        if (!band.bridgeMs) flush();
        continue;
      }
      if (band.bridgeMs && model.time[i] - lastTime > band.bridgeMs) flush();
      lastTime = model.time[i];
      const x = Math.round(left + (model.time[i] - model.xMin) * xScale);
      const yUp = bottom - up * yScale;
      const yLo = bottom - lo * yScale;
      // One vertex per pixel column (its last point) keeps the polygon O(width).
      if (xs.length && xs[xs.length - 1] === x) {
        ups[ups.length - 1] = yUp;
        lows[lows.length - 1] = yLo;
      } else {
        xs.push(x);
        ups.push(yUp);
        lows.push(yLo);
      }
    }
    flush();
    ctx.restore();
  }

  /** Saves the context and clips drawing to the plot area (undo with `ctx.restore()`). */
  private clipToPlot(): void {
    const { left, right, top, bottom } = this.layout;
    this.ctx.save();
    this.ctx.beginPath();
    this.ctx.rect(left, top, right - left, bottom - top);
    this.ctx.clip();
  }

  /** A dashed whisker with a cap up to each peak between samples. */
  private drawMissedPeaks(model: ChartModel, scale: ByteTicks, first: number, last: number): void {
    const peaks = model.missedPeaks;
    if (!peaks) return;
    const ctx = this.ctx;
    this.clipToPlot();
    ctx.strokeStyle = peaks.color;
    ctx.lineWidth = 1;
    for (let i = Math.max(1, first); i < last; i++) {
      const value = peaks.values[i];
      if (!(value > 0)) continue;
      const x = Math.round((this.xOf(model.time[i - 1]) + this.xOf(model.time[i])) / 2) + 0.5;
      const before = peaks.base[i - 1];
      const after = peaks.base[i];
      const from = this.yOf(Math.max(Number.isNaN(before) ? 0 : before, Number.isNaN(after) ? 0 : after), scale);
      const to = Math.round(this.yOf(value, scale)) + 0.5;
      ctx.setLineDash([2, 2]);
      ctx.beginPath();
      ctx.moveTo(x, from);
      ctx.lineTo(x, to);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x - 4, to);
      ctx.lineTo(x + 4, to);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    ctx.restore();
  }

  /** Short ticks rising from the time axis (one per GC cycle). */
  private drawTicks(model: ChartModel): void {
    if (!model.ticks?.length) return;
    const { left, right, bottom } = this.layout;
    const ctx = this.ctx;
    ctx.strokeStyle = model.tickColor ?? '#888';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of model.ticks) {
      const x = Math.round(this.xOf(t)) + 0.5;
      if (x < left || x > right) continue;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom - 5);
    }
    ctx.stroke();
  }

  private drawBands(model: ChartModel): void {
    const ctx = this.ctx;
    const { left, right, top, bottom } = this.layout;
    for (const m of model.markers) {
      if (!m.band) continue;
      const x0 = Math.max(left, this.xOf(m.time));
      const x1 = Math.min(right, this.xOf(m.endTime ?? model.xMax));
      if (x1 <= x0) continue;
      ctx.globalAlpha = 0.16;
      ctx.fillStyle = m.color;
      ctx.fillRect(x0, top, x1 - x0, bottom - top);
      ctx.globalAlpha = 1;
      // Name the band where it fits, so a flat stretch reads as "paused", not as "idle".
      if (!model.compact && x1 - x0 > ctx.measureText(m.label).width + 8) {
        ctx.fillStyle = m.color;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'top';
        ctx.fillText(m.label, x0 + 4, top + 4);
        ctx.textBaseline = 'middle';
      }
    }
  }

  private drawThresholds(model: ChartModel, scales: ByteTicks[]): void {
    const ctx = this.ctx;
    const { left, right } = this.layout;
    for (const t of model.thresholds) {
      const y = Math.round(this.yOf(t.value, scales[t.axis])) + 0.5;
      ctx.strokeStyle = t.color;
      ctx.lineWidth = 1;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = t.color;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(t.label, right - 4, y - 2);
      ctx.textBaseline = 'middle';
    }
  }

  /** How many label rows the point markers need so their labels do not overlap. */
  private markerRowsNeeded(model: ChartModel, plotWidth: number): number {
    if (!model.markers.some((m) => !m.band)) return 1;
    const rows = this.assignRows(model, plotWidth);
    return Math.max(1, ...rows.map((r) => r + 1));
  }

  /** Label rows for point markers, computed on the positions the labels are drawn at (clamped to the plot). */
  private assignRows(model: ChartModel, plotWidth: number): number[] {
    const ctx = this.ctx;
    const ends: number[] = [];
    const span = Math.max(1, model.xMax - model.xMin);
    return model.markers.map((m) => {
      if (m.band) return 0;
      const width = ctx.measureText(m.label).width + 8;
      const x = ((m.time - model.xMin) / span) * plotWidth;
      const start = Math.min(Math.max(x - width / 2, 0), plotWidth - width);
      let row = ends.findIndex((end) => end + 4 <= start);
      if (row < 0) row = ends.length < MAX_MARKER_ROWS ? ends.length : ends.indexOf(Math.min(...ends));
      ends[row] = start + width;
      return row;
    });
  }

  private drawMarkers(model: ChartModel, theme: ChartTheme): void {
    const ctx = this.ctx;
    const { left, right, top, bottom } = this.layout;
    const rows = this.assignRows(model, right - left);
    model.markers.forEach((m, i) => {
      const x = Math.round(this.xOf(m.time)) + 0.5;
      if (x < left - 1 || x > right + 1) return;
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 1;
      ctx.setLineDash(m.band ? [2, 3] : [4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      if (m.band || model.compact) return;
      const labelWidth = ctx.measureText(m.label).width + 8;
      const y = 8 + rows[i] * MARKER_ROW_HEIGHT;
      const lx = Math.min(Math.max(x - labelWidth / 2, left), right - labelWidth);
      ctx.fillStyle = m.color;
      roundRect(ctx, lx, y, labelWidth, MARKER_ROW_HEIGHT - 3, 3);
      ctx.fill();
      ctx.fillStyle = theme.background;
      ctx.textAlign = 'left';
      ctx.fillText(m.label, lx + 4, y + (MARKER_ROW_HEIGHT - 3) / 2 + 0.5);
    });
  }
}

/**
 * A series' points gathered per pixel column, in canvas coordinates (y grows downwards): for each
 * column its x, the y of its first point, of its highest and lowest value, and of its last point;
 * runs of columns are broken where a value is missing (NaN). O(points) arithmetic, O(width) output.
 */
export interface Columns {
  /** x, first, high, low, last — five numbers per column. */
  readonly data: number[];
  /** Column indexes where a new run starts (after a gap). */
  readonly runStarts: number[];
}

/**
 * Where a count's label goes: ending just before its newest point, or — when that would run past
 * the plot's left edge (early in a watch) — starting just after it, inside the plot.
 */
export function countLabelPlacement(pointX: number, textWidth: number, left: number, right: number): { x: number; align: 'left' | 'right' } {
  const GAP = 4;
  if (pointX - GAP - textWidth >= left) return { x: pointX - GAP, align: 'right' };
  return { x: Math.max(left, Math.min(pointX + GAP, right - textWidth)), align: 'left' };
}

export function decimate(time: ArrayLike<number>, values: ArrayLike<number>, first: number, last: number, left: number, xScale: number, xMin: number, bottom: number, yScale: number, bridgeMs = 0): Columns {
  const data: number[] = [];
  const runStarts: number[] = [];
  let column = NaN;
  let gap = true;
  let lastTime = -Infinity;
  for (let i = first; i < last; i++) {
    const v = values[i];
    if (!(v === v)) {
      if (!bridgeMs) gap = true;
      continue;
    }
    // A sparse series: only a long enough stretch without values breaks the line.
    if (bridgeMs && time[i] - lastTime > bridgeMs) gap = true;
    lastTime = time[i];
    const x = Math.round(left + (time[i] - xMin) * xScale);
    const y = bottom - v * yScale;
    if (x !== column || gap) {
      if (gap) runStarts.push(data.length / 5);
      data.push(x, y, y, y, y);
      column = x;
      gap = false;
    } else {
      const k = data.length - 5;
      if (y < data[k + 2]) data[k + 2] = y;
      if (y > data[k + 3]) data[k + 3] = y;
      data[k + 4] = y;
    }
  }
  return { data, runStarts };
}

/**
 * Strokes decimated columns. Where columns are adjacent (dense data: a point or more per pixel),
 * each is one filled rectangle spanning its values and the previous column's last value: the same
 * picture as a stroked zigzag, at a fraction of the cost — canvas strokes wider than 1 px are
 * expensive to rasterise (≈ 30 ms for 5 × 20k points here, vs ≈ 2 ms for rectangles). Where columns
 * are apart (sparse data), real anti-aliased segments join them. Dashed lines need real segments
 * throughout: rectangles would fill the gaps.
 */
function strokeColumns(ctx: CanvasRenderingContext2D, columns: Columns, width: number, dashed: boolean): void {
  const { data, runStarts } = columns;
  const half = width / 2;
  const count = data.length / 5;
  let penX = NaN;
  let penY = NaN;
  let run = 0;
  ctx.beginPath();
  for (let c = 0; c < count; c++) {
    const k = c * 5;
    const x = data[k];
    const first = data[k + 1];
    const high = data[k + 2];
    const low = data[k + 3];
    const last = data[k + 4];
    const runStart = runStarts[run] === c;
    if (runStart) run++;
    const prevX = runStart ? NaN : data[k - 5];
    const prevLast = runStart ? NaN : data[k - 1];
    const adjacent = !dashed && !runStart && x - prevX <= 1;
    if (!runStart && !adjacent) {
      if (penX !== prevX || penY !== prevLast) ctx.moveTo(prevX, prevLast);
      ctx.lineTo(x, first);
      penX = x;
      penY = first;
    }
    const hi = adjacent ? Math.min(high, prevLast) : high;
    const lo = adjacent ? Math.max(low, prevLast) : low;
    if (lo > hi || adjacent) ctx.fillRect(x - half, hi - half, width, lo - hi + width);
    if (dashed && first !== last) {
      ctx.moveTo(x, first);
      ctx.lineTo(x, last);
      penX = x;
      penY = last;
    }
  }
  ctx.stroke();
}

/** One translucent polygon per run of columns, from each column's last value down to the axis. */
function fillUnder(ctx: CanvasRenderingContext2D, columns: Columns, bottom: number): void {
  const { data, runStarts } = columns;
  const count = data.length / 5;
  ctx.globalAlpha = 0.14;
  runStarts.forEach((start, r) => {
    const end = r + 1 < runStarts.length ? runStarts[r + 1] : count;
    if (end - start < 2) return;
    ctx.beginPath();
    ctx.moveTo(data[start * 5], bottom);
    for (let c = start; c < end; c++) ctx.lineTo(data[c * 5], data[c * 5 + 4]);
    ctx.lineTo(data[(end - 1) * 5], bottom);
    ctx.closePath();
    ctx.fill();
  });
  ctx.globalAlpha = 1;
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** First index in [0, count) whose time is ≥ t (count when none). */
export function lowerBound(time: ArrayLike<number>, count: number, t: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
