/**
 * A time-series chart drawn on one canvas. Built for memory graphs: lines on a left and a right
 * axis (RSS and VSZ differ by 10–100×), optional area fill, markers with labels, shaded bands,
 * dashed threshold lines, and a hover crosshair. Every series is reduced per pixel column (first,
 * min, max, last of the points that fall in it).
 *
 * What a redraw costs does not depend on how many samples the window holds: the reduction is kept
 * per column as samples arrive (columns.ts), and the picture of the data — grid, stacked layers,
 * lines, peaks between samples, GC ticks — is kept in a layer of its own (a ring: scrolling copies
 * nothing) that a live window scrolls by whole pixels: a redraw draws only the columns that are
 * new (and a few at the left edge) and copies the picture out; the axis labels, thresholds,
 * markers and crosshair are drawn over it afresh. The whole layer is drawn again only when what it
 * shows changes: a scale (an axis, the time span), the size, the theme, the markers. A hover
 * redraws no data at all. See bench/RESULTS.md for what that saves.
 */
import { columnOf, CurveColumns, CurveSource, Entries, Lattice } from './columns';
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
  /** Opacity of the line (default 1): context drawn faint (other replicas of a fleet). */
  readonly alpha?: number;
  /** Drawn under the stacked layers, so the series shown in colour stays in front. */
  readonly under?: boolean;
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
  /** Times of small ticks at the foot of the plot (GC cycles), ascending. */
  readonly ticks?: readonly number[];
  /**
   * Peaks that fell between two samples (NaN where none), left axis: each drawn as a dashed
   * whisker with a cap, midway between point i − 1 and point i, rising from the higher of
   * `base` at the two points. `rows`: the i where values[i] > 0, ascending (else they are looked for).
   */
  readonly missedPeaks?: { readonly values: ArrayLike<number>; readonly base: ArrayLike<number>; readonly color: string; readonly rows?: readonly number[] };
  /** Another run's peaks between samples (a comparison), drawn the same way on its own times. */
  readonly comparedPeaks?: { readonly time: ArrayLike<number>; readonly values: ArrayLike<number>; readonly base: ArrayLike<number>; readonly color: string };
  readonly tickColor?: string;
  readonly markers: readonly ChartMarker[];
  readonly thresholds: readonly ThresholdLine[];
  readonly xMin: number;
  readonly xMax: number;
  /** Axis titles; a right axis is drawn only when some series uses it. */
  readonly axisTitles: readonly [string, string];
  /** A small chart (the debug sidebar): markers without labels, fewer ticks. */
  readonly compact?: boolean;
  /**
   * Rows dropped from the front of the series so far: element i of `time` and the values is row
   * `base + i`. With `seriesId`, what lets the chart keep what it drew from one redraw to the next.
   */
  readonly base?: number;
  /**
   * Names the series drawn: the same id means the same rows (more may have come, old ones gone).
   * Without it the chart keeps nothing between redraws but for the same arrays.
   */
  readonly seriesId?: number;
  /** Changes when a marker is added or changes. */
  readonly eventsVersion?: number;
  /** The range's right edge follows the newest sample (not a range fixed in the past): the picture may scroll. */
  readonly follow?: boolean;
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

/** What render() may be asked besides drawing. */
export interface RenderOptions {
  /** Draw the data layer whole, at the present scroll position (tests compare it with what was drawn a column at a time). */
  readonly repaint?: boolean;
}

const MARKER_ROW_HEIGHT = 16;
const MAX_MARKER_ROWS = 3;
/** Columns redrawn around a strip's edges: wide enough for a line's width and joins, a peak's cap (±4 px), a tick. */
const STRIP_MARGIN = 6;
/** Columns redrawn at the left edge of a scrolled picture: the first column there is worked out from fewer samples. */
const LEFT_EDGE = 8;
/** A dashed line is redrawn from where its pattern started: at most this many plot widths back, else the layer is drawn whole. */
const MAX_DASH_REACH = 2;

/** A device-pixel rectangle. */
interface DeviceRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** A curve of the data layer: a line series or a stacked layer, its source and its kept columns. */
interface Curve {
  readonly key: string;
  readonly src: CurveSource;
  readonly columns: CurveColumns;
  /** The view's rows [first, last) for this curve (absolute), and its first row with a value there. */
  first: number;
  last: number;
  firstValid: number;
  /** The absolute column of the newest entry drawn (undefined: none yet). */
  lastDrawn?: number;
  /** A dashed line: the first entry of the last whole drawing, where its pattern started. */
  dashAnchor?: { column: number; entry: Entries };
}

/** What the data layer holds, and how it was drawn. */
interface Frame {
  readonly cssWidth: number;
  readonly cssHeight: number;
  readonly dpr: number;
  /** Pixels a scroll moves by: a multiple of this (so that the device pixels moved are whole). */
  readonly step: number;
  readonly theme: ChartTheme;
  readonly key: string;
  readonly layout: Layout;
  readonly lattice: Lattice;
  /** Whole pixels scrolled since the lattice was made: a time's x is columnOf(t) − shift. */
  shift: number;
  readonly span: number;
  scales: ByteTicks[];
  /** The data layer's rectangle: everything it draws lies inside. */
  readonly region: DeviceRect;
  readonly curves: Curve[];
  /** The model's rows in view at the last drawing (absolute), and the newest row's column. */
  first: number;
  last: number;
  lastRowColumn?: number;
  /** base + count of the model at the last drawing: more means new rows. */
  rowsSeen: number;
  /** Whether the layer holds a finished picture. */
  painted: boolean;
  /** Band markers' labels drawn clamped at the left edge. */
  clampedLabels: boolean;
}

/** An id per object, to tell arrays apart in a key. */
const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: unknown): number {
  if (typeof o !== 'object' || o === null) return 0;
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

export class TimeChart {
  private readonly ctx: CanvasRenderingContext2D;
  private layout: Layout = { left: 0, right: 0, top: 0, bottom: 0 };
  private model?: ChartModel;
  private cssWidth = 0;
  private cssHeight = 0;
  private dpr = 1;
  /**
   * The canvas's box as a ResizeObserver last reported it (setDisplaySize): reading it from the
   * layout instead, after the text around the graph was written in the same frame, would force a
   * layout — of the whole workbench when the webview shares its renderer (code-server).
   */
  private displaySize?: { width: number; height: number };
  /**
   * The data layer, a canvas never shown: a ring — device column w of the picture scrolled by s
   * CSS px lives at (w + s × dpr) mod its width — so that scrolling copies nothing: new columns are
   * drawn where the ring has room, and the picture is copied out of it (in one or two pieces).
   */
  private layerCanvas?: HTMLCanvasElement;
  private layerCtx?: CanvasRenderingContext2D;
  private frame?: Frame;
  /** The range drawn and how a time maps to x. */
  private shownMin = 0;
  private shownMax = 1;
  private mapping: { lattice: Lattice; shift: number; den: number; width: number } = { lattice: { origin: 0, xScale: 1, left: 0 }, shift: 0, den: 1, width: 1 };
  private readonly entries = new Entries();
  /** What each curve's and band's redraw writes into, again each time (no garbage per redraw). */
  private readonly columnsBuffer: ColumnsBuffer = { data: [], runStarts: [], count: 0, runs: 0 };
  private readonly bandBuffer = { xs: [] as number[], ups: [] as number[], lows: [] as number[] };
  /** A dashed curve's path from where its pattern started (dashedFromStart): as long as the picture's width, so kept too. */
  private readonly dashEntries = new Entries();
  private readonly dashColumnsBuffer: ColumnsBuffer = { data: [], runStarts: [], count: 0, runs: 0 };
  /** How the data layer was brought up to date, per render: drawn whole, topped up (scrolled or not), left as it was. */
  readonly stats = { whole: 0, toppedUp: 0, scrolled: 0, unchanged: 0, why: {} as Record<string, number> };

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('2D canvas is not available');
    this.ctx = ctx;
  }

  /** Forgets what was drawn: the next render draws everything (benchmarks of a whole redraw). */
  invalidate(): void {
    this.frame = undefined;
  }

  /** Draws `model`; `hoverX` (CSS px) adds a crosshair. Returns how many points were in view. */
  render(model: ChartModel, theme: ChartTheme, hoverX?: number, options: RenderOptions = {}): number {
    this.model = model;
    const resized = this.resizeToDisplay();
    const ctx = this.ctx;
    const w = this.cssWidth;
    const h = this.cssHeight;
    if (w < 40 || h < 40) {
      ctx.fillStyle = theme.background;
      ctx.fillRect(0, 0, w, h);
      this.frame = undefined;
      return 0;
    }
    ctx.font = theme.font;
    ctx.textBaseline = 'middle';
    const key = contentKey(model);
    let frame = this.frame;
    const why = (reason: string) => (this.stats.why[reason] = (this.stats.why[reason] ?? 0) + 1);
    if (!frame) why('no frame');
    else if (resized) why('resized');
    else if (frame.theme !== theme) why('theme');
    else if (frame.key !== key) why('content');
    if (frame && (resized || frame.theme !== theme || frame.key !== key)) frame = undefined;

    // Where the range falls: on the kept lattice (scrolled by whole steps), or afresh.
    let shift = 0;
    if (frame) {
      shift = this.scrollTo(frame, model);
      if (Number.isNaN(shift)) {
        why('range');
        frame = undefined;
      }
    }
    let pass = frame ? this.place(model, frame, shift) : undefined;
    if (frame && (!pass || !sameLayout(pass.layout, frame.layout))) {
      why(pass ? 'layout' : 'rows');
      frame = undefined;
      pass = undefined;
    }
    if (!frame) shift = 0;
    if (!pass) pass = this.place(model, undefined, 0)!;
    const { layout, scales, usesRight, xMin, xMax } = pass;
    this.layout = layout;
    const { left, right, top, bottom } = layout;
    if (right - left < 20 || bottom - top < 20) {
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.fillStyle = theme.background;
      ctx.fillRect(0, 0, w, h);
      this.frame = undefined;
      return 0;
    }
    if (!frame) frame = this.newFrame(model, theme, key, layout, scales, xMin, xMax);
    this.shownMin = xMin;
    this.shownMax = xMax;
    this.mapping = { lattice: frame.lattice, shift, den: Math.max(1, frame.span), width: right - left };

    // The data layer: copied along and topped up, or drawn whole.
    const sameScales = frame.scales.every((s, i) => s.max === scales[i].max);
    const moved = shift - frame.shift;
    const first = pass.first + (model.base ?? 0);
    const last = pass.last + (model.base ?? 0);
    const rows = (model.base ?? 0) + model.count;
    if (frame.painted && !sameScales) why('scales');
    if (!frame.painted || !sameScales || options.repaint || moved >= right - left - 2 * LEFT_EDGE || !this.dashReachable(frame, shift)) {
      frame.scales = scales;
      frame.shift = shift;
      this.paintLayer(frame, model, first, last, true);
      this.stats.whole++;
    } else if (moved > 0 || rows !== frame.rowsSeen || first !== frame.first || last !== frame.last) {
      this.topUpLayer(frame, model, first, last, moved, shift);
      this.stats.toppedUp++;
      if (moved > 0) this.stats.scrolled++;
    } else this.stats.unchanged++;
    frame.first = first;
    frame.last = last;
    frame.rowsSeen = rows;
    frame.lastRowColumn = model.count ? columnOf(frame.lattice, model.time[model.count - 1]) : undefined;
    frame.clampedLabels = this.clampsLabels(frame, model);
    this.forgetOldColumns(frame);
    this.frame = frame;

    // The picture: the data layer, the axes' labels around it, and what is drawn over it.
    this.compose(model, theme, scales, usesRight, hoverX);
    return Math.max(0, pass.last - pass.first);
  }

  /** The data point nearest to `x` (CSS px), and markers near it. */
  hitTest(x: number): HoverInfo | undefined {
    const model = this.model;
    if (!model || model.count === 0) return undefined;
    const { left, right } = this.layout;
    if (x < left || x > right) return undefined;
    const t = this.timeAt(x);
    let i = lowerBound(model.time, model.count, t);
    if (i >= model.count) i = model.count - 1;
    if (i > 0 && Math.abs(model.time[i - 1] - t) < Math.abs(model.time[i] - t)) i--;
    const markers = model.markers.filter((m) => {
      const mx = this.xOf(m.time);
      const mEnd = m.band ? this.xOf(m.endTime ?? this.shownMax) : mx;
      return x >= mx - 4 && x <= mEnd + 4;
    });
    return { index: i, x: this.xOf(model.time[i]), markers };
  }

  /** The x position (CSS px) of a time. */
  xOf(time: number): number {
    const { lattice, shift, den, width } = this.mapping;
    return lattice.left + ((time - lattice.origin) / den) * width - shift;
  }

  /** The time at x (CSS px), on the axis as drawn. */
  timeAt(x: number): number {
    const { lattice, shift, den, width } = this.mapping;
    return lattice.origin + ((x + shift - lattice.left) / width) * den;
  }

  /** The time range drawn (it follows the model's by whole pixels while the picture scrolls). */
  get shownRange(): { xMin: number; xMax: number } {
    return { xMin: this.shownMin, xMax: this.shownMax };
  }

  get plotArea(): Layout {
    return this.layout;
  }

  /** The canvas's size in CSS px as last drawn. */
  get size(): { width: number; height: number } {
    return { width: this.cssWidth, height: this.cssHeight };
  }

  /** The canvas's box (CSS px), as a ResizeObserver reports it; until then it is read from the layout. */
  setDisplaySize(width: number, height: number): void {
    this.displaySize = { width, height };
  }

  /** Sizes the canvas (and the layer) to its box; true when the size changed. */
  private resizeToDisplay(): boolean {
    const dpr = window.devicePixelRatio || 1;
    const rect = this.displaySize ?? this.canvas.getBoundingClientRect();
    const cssWidth = Math.max(1, Math.floor(rect.width));
    const cssHeight = Math.max(1, Math.floor(rect.height));
    const changed = cssWidth !== this.cssWidth || cssHeight !== this.cssHeight || dpr !== this.dpr;
    this.cssWidth = cssWidth;
    this.cssHeight = cssHeight;
    this.dpr = dpr;
    const pw = Math.round(cssWidth * dpr);
    const ph = Math.round(cssHeight * dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return changed;
  }

  /**
   * The scroll position for the model's range on the frame's lattice: the same span, its right
   * edge at or just past the model's (following), or the same range (fixed); NaN when the range
   * cannot be drawn there (another span, a jump back, a pan).
   */
  private scrollTo(frame: Frame, model: ChartModel): number {
    const span = model.xMax - model.xMin;
    if (Math.abs(span - frame.span) > frame.span * 1e-9) return NaN;
    const width = frame.layout.right - frame.layout.left;
    const { lattice } = frame;
    const shownMin = (shift: number) => lattice.origin + shift / lattice.xScale;
    if (Math.abs(model.xMin - shownMin(frame.shift)) <= frame.span * 1e-9) return frame.shift;
    if (!model.follow || !Number.isFinite(frame.step)) return NaN;
    // The right edge at or past the newest sample: the picture moves by whole steps.
    const wanted = Math.ceil((model.xMax - lattice.origin) * lattice.xScale - width - 1e-7);
    const shift = frame.shift + Math.max(0, Math.ceil((wanted - frame.shift) / frame.step)) * frame.step;
    return shift >= frame.shift ? shift : NaN;
  }

  /**
   * The range, the rows in view, the axes' scales and the layout: on the frame's lattice (scales
   * from its kept columns) or, without a frame, from the model's range (scales from the rows).
   */
  private place(
    model: ChartModel,
    frame: Frame | undefined,
    shift: number,
  ): { layout: Layout; scales: ByteTicks[]; usesRight: boolean; xMin: number; xMax: number; first: number; last: number } | undefined {
    const ctx = this.ctx;
    const w = this.cssWidth;
    const h = this.cssHeight;
    let xMin = model.xMin;
    let xMax = model.xMax;
    if (frame) {
      xMin = frame.lattice.origin + shift / frame.lattice.xScale;
      xMax = xMin + frame.span;
    }
    const [first, last] = visibleRange(model.time, model.count, xMin, xMax);
    const usesRight = model.series.some((s) => s.axis === 1);
    const maxima = frame ? this.maximaFromColumns(frame, model, first, last, xMin, xMax) : axisMaxima(model, first, last, xMin, xMax);
    if (!maxima) return undefined;
    const scales = [0, 1].map((axis) => byteTicks(maxima[axis], Math.max(model.compact ? 1 : 2, Math.floor(h / (model.compact ? 45 : 60)))));
    // Counts keep to the lowest third: a trend to see, not a figure to read off an axis.
    const countMax = Math.max(1, maxima[2]) * 3;
    scales.push({ max: countMax, ticks: [], unit: 'B', label: (v) => String(Math.round(v)) });
    const leftWidth = Math.max(...scales[0].ticks.map((t) => ctx.measureText(scales[0].label(t)).width)) + 12;
    const rightWidth = usesRight ? Math.max(...scales[1].ticks.map((t) => ctx.measureText(scales[1].label(t)).width)) + 12 : 12;
    // Marker labels need rows above the plot; a compact chart has no room for them.
    const markerRows = model.compact ? 0 : Math.min(MAX_MARKER_ROWS, this.markerRowsNeeded(model, w - leftWidth - rightWidth, xMin, xMax));
    const layout = { left: leftWidth, right: w - rightWidth, top: model.compact ? 8 : 8 + markerRows * MARKER_ROW_HEIGHT, bottom: h - 22 };
    return { layout, scales, usesRight, xMin, xMax, first, last };
  }

  /** A frame for a new lattice: the range's left edge at the plot's, its columns built from the rows in view. */
  private newFrame(model: ChartModel, theme: ChartTheme, key: string, layout: Layout, scales: ByteTicks[], xMin: number, xMax: number): Frame {
    const dpr = this.dpr;
    const width = layout.right - layout.left;
    const span = xMax - xMin;
    const lattice: Lattice = { origin: xMin, xScale: width / Math.max(1, span), left: layout.left };
    const [first, last] = visibleRange(model.time, model.count, xMin, xMax);
    const base = model.base ?? 0;
    const curves = curvesOf(model).map(({ key, src }) => {
      const [f] = src.time === model.time ? [first] : visibleRange(src.time, src.count, xMin, xMax);
      return { key, src, columns: new CurveColumns(lattice, f + src.base), first: 0, last: 0, firstValid: -1 };
    });
    // The layer's canvas, sized like the picture.
    if (!this.layerCanvas) {
      this.layerCanvas = document.createElement('canvas');
      this.layerCtx = this.layerCanvas.getContext('2d', { alpha: false })!;
    }
    // Twice the picture's width: room for the columns in view and those coming.
    const ringWidth = 2 * this.canvas.width;
    if (this.layerCanvas.width !== ringWidth || this.layerCanvas.height !== this.canvas.height) {
      this.layerCanvas.width = ringWidth;
      this.layerCanvas.height = this.canvas.height;
    }
    const region: DeviceRect = {
      x0: Math.max(0, Math.floor(layout.left * dpr)),
      y0: Math.max(0, Math.floor((layout.top - 2) * dpr)),
      x1: Math.min(this.canvas.width, Math.ceil((layout.right + 1) * dpr)),
      y1: Math.min(this.canvas.height, Math.ceil((layout.bottom + 5) * dpr)),
    };
    // A scroll moves the layer by whole device pixels: by a multiple of the smallest step that is.
    let step = 0;
    for (let s = 1; s <= 4 && !step; s++) if (Math.abs(s * dpr - Math.round(s * dpr)) < 1e-6) step = s;
    return {
      cssWidth: this.cssWidth,
      cssHeight: this.cssHeight,
      dpr,
      step: step || Infinity,
      theme,
      key,
      layout,
      lattice,
      shift: 0,
      span,
      scales,
      region,
      curves,
      first: first + base,
      last: last + base,
      rowsSeen: -1,
      painted: false,
      clampedLabels: false,
    };
  }

  /** Takes the new rows into every curve's columns and says which rows each shows. */
  private updateCurves(frame: Frame, model: ChartModel, xMin: number, xMax: number): boolean {
    const sources = curvesOf(model);
    for (let c = 0; c < frame.curves.length; c++) {
      const curve = frame.curves[c];
      // The same arrays, perhaps more rows (or fewer old ones).
      (curve as { src: CurveSource }).src = sources[c].src;
      const src = curve.src;
      const [f, l] = visibleRange(src.time, src.count, xMin, xMax);
      curve.first = f + src.base;
      curve.last = l + src.base;
      // Rows before those the columns were built from: not kept (a range moved back).
      if (curve.first < curve.columns.startRow) return false;
      curve.columns.ingest({ ...src, count: Math.min(src.count, l + 1) });
      curve.firstValid = curve.columns.firstValidRow(src, curve.first, curve.last);
    }
    return true;
  }

  /** The axes' maxima from the kept columns (undefined: they cannot say, the frame is void). */
  private maximaFromColumns(frame: Frame, model: ChartModel, first: number, last: number, xMin: number, xMax: number): number[] | undefined {
    if (!this.updateCurves(frame, model, xMin, xMax)) return undefined;
    const maxima = [0, 0, 0];
    model.series.forEach((s, i) => {
      const curve = frame.curves[i];
      const max = curve.columns.maxIn(curve.src, curve.last, curve.firstValid);
      if (max > maxima[s.axis]) maxima[s.axis] = max;
    });
    for (const t of model.thresholds) if (t.value > maxima[t.axis]) maxima[t.axis] = t.value;
    const peak = maxPeak(model, first, last);
    if (peak > maxima[0]) maxima[0] = peak;
    return maxima.map((m) => m * 1.05);
  }

  /** Whether every dashed line's pattern start is still kept (else the layer is drawn whole, starting them anew). */
  private dashReachable(frame: Frame, shift: number): boolean {
    const width = frame.layout.right - frame.layout.left;
    for (const curve of frame.curves) {
      if (!curve.dashAnchor) continue;
      if (curve.dashAnchor.column - shift < frame.layout.left - MAX_DASH_REACH * width) return false;
      if (curve.dashAnchor.column < curve.columns.firstColumn) return false;
    }
    return true;
  }

  /** Draws the data layer whole (`whole`) — or the strip [xa, xb) of it, in CSS px. */
  private paintLayer(frame: Frame, model: ChartModel, first: number, last: number, whole: boolean, xa = 0, xb = 0): void {
    const dpr = frame.dpr;
    const region = frame.region;
    const { left, right } = frame.layout;
    if (whole) {
      xa = Math.floor(left) - 1;
      xb = Math.ceil(right) + 2;
      if (!this.updateCurves(frame, model, this.shownMin, this.shownMax)) throw new Error('the data layer lost its rows');
    }
    const x0 = Math.max(region.x0, Math.floor(xa * dpr));
    const x1 = Math.min(region.x1, Math.ceil(xb * dpr));
    for (const piece of this.ringPieces(frame, x0, x1)) this.paintPiece(frame, model, first, last, whole, xa, xb, piece);
    frame.painted = true;
  }

  /**
   * Where device columns [x0, x1) of the picture are in the ring: one piece, or two where they
   * cross its end — each with the shift from picture to ring.
   */
  private ringPieces(frame: Frame, x0: number, x1: number): { x0: number; x1: number; offset: number }[] {
    const ring = this.layerCanvas!.width;
    const pieces: { x0: number; x1: number; offset: number }[] = [];
    const scrolled = frame.shift * frame.dpr;
    for (let x = x0; x < x1; ) {
      const world = x + scrolled;
      const lap = Math.floor(world / ring);
      const end = Math.min(x1, (lap + 1) * ring - scrolled);
      pieces.push({ x0: x, x1: end, offset: scrolled - lap * ring });
      x = end;
    }
    return pieces;
  }

  /** Draws the data layer's strip [xa, xb) (CSS px) into one piece of the ring (device columns [piece.x0, piece.x1) of the picture). */
  private paintPiece(frame: Frame, model: ChartModel, first: number, last: number, whole: boolean, xa: number, xb: number, piece: { x0: number; x1: number; offset: number }): void {
    const ctx = this.layerCtx!;
    const dpr = frame.dpr;
    const region = frame.region;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.beginPath();
    ctx.rect(piece.x0 + piece.offset, region.y0, piece.x1 - piece.x0, region.y1 - region.y0);
    ctx.clip();
    ctx.fillStyle = frame.theme.background;
    ctx.fillRect(piece.x0 + piece.offset, region.y0, piece.x1 - piece.x0, region.y1 - region.y0);
    ctx.setTransform(dpr, 0, 0, dpr, piece.offset, 0);
    ctx.font = frame.theme.font;
    ctx.textBaseline = 'middle';
    const scales = frame.scales;
    this.drawGridLines(ctx, frame, model);
    this.drawMarkerBands(ctx, frame, model, xa, xb);
    const bands = model.bands ?? [];
    const lineCurves = frame.curves.slice(0, model.series.length);
    model.series.forEach((series, s) => series.under && this.drawSeries(ctx, frame, series, lineCurves[s], scales[series.axis], xa, xb, whole));
    bands.forEach((band, b) => this.drawBand(ctx, frame, band, frame.curves[model.series.length + b], scales[0], xa, xb, whole));
    model.series.forEach((series, s) => !series.under && this.drawSeries(ctx, frame, series, lineCurves[s], scales[series.axis], xa, xb, whole));
    this.drawMissedPeaks(ctx, frame, model, scales[0], first, last, xa, xb);
    this.drawTicks(ctx, frame, model, xa, xb);
    ctx.restore();
  }

  /**
   * Brings the data layer up to date after the window scrolled by `moved` px (or not): draws the
   * columns from the oldest one that changed (the newest drawn, which had not all its samples) to
   * the right edge, and the left edge, where the first column is worked out from fewer samples.
   */
  private topUpLayer(frame: Frame, model: ChartModel, first: number, last: number, moved: number, shift: number): void {
    const { left, right } = frame.layout;
    // The ring holds the columns already drawn where they are: scrolling moves only where the picture is read from.
    frame.shift = shift;
    if (!this.updateCurves(frame, model, this.shownMin, this.shownMax)) throw new Error('the data layer lost its rows');
    // The right strip: from the oldest column that may have changed.
    let from = right - moved;
    if (frame.lastRowColumn !== undefined) from = Math.min(from, frame.lastRowColumn - shift);
    for (const curve of frame.curves) {
      if (curve.lastDrawn === undefined) continue;
      // A line joins its newest entry to the next only across a gap it bridges.
      const reach = curve.src.bridgeMs ? Math.ceil(curve.src.bridgeMs * frame.lattice.xScale) + 1 : 1;
      const oldest = frame.lastRowColumn !== undefined ? Math.max(curve.lastDrawn, frame.lastRowColumn - reach) : curve.lastDrawn;
      from = Math.min(from, oldest - shift);
    }
    const xa = Math.max(Math.floor(left), Math.floor(from) - STRIP_MARGIN);
    // The left edge, when the picture moved: its first column now comes from fewer samples, and a
    // band's label held there (its band began before the edge) does not scroll.
    let edge = moved > 0 ? Math.ceil(left) + LEFT_EDGE : -Infinity;
    if (moved > 0 && (frame.clampedLabels || this.clampsLabels(frame, model))) edge = Math.max(edge, Math.ceil(left) + this.widestBandLabel(model) + 8 + moved + STRIP_MARGIN);
    if (edge >= xa) {
      this.paintLayer(frame, model, first, last, false, Math.floor(left) - 1, Math.ceil(right) + 2);
      return;
    }
    this.paintLayer(frame, model, first, last, false, xa, Math.ceil(right) + 2);
    if (moved > 0) this.paintLayer(frame, model, first, last, false, Math.floor(left) - 1, edge);
  }

  /** Forgets columns that scrolled out: before the view's first row (one before its left edge), and where a dashed line's pattern started. */
  private forgetOldColumns(frame: Frame): void {
    const width = frame.layout.right - frame.layout.left;
    for (const curve of frame.curves) {
      if (curve.first >= curve.src.base + curve.src.count) continue;
      let keep = columnOf(frame.lattice, curve.src.time[curve.first - curve.src.base]);
      if (curve.dashAnchor) keep = Math.min(keep, curve.dashAnchor.column);
      // In batches: dropping moves what is kept.
      if (keep - curve.columns.firstColumn > width) curve.columns.dropBefore(keep);
    }
  }

  /** Whether a band marker starts before the left edge (its label is held there). */
  private clampsLabels(frame: Frame, model: ChartModel): boolean {
    return !model.compact && model.markers.some((m) => m.band && this.xOf(m.time) < frame.layout.left + 1 && this.xOf(m.endTime ?? this.shownMax) > frame.layout.left);
  }

  private widestBandLabel(model: ChartModel): number {
    const ctx = this.ctx;
    return Math.max(0, ...model.markers.filter((m) => m.band).map((m) => ctx.measureText(m.label).width));
  }

  /**
   * The picture: the data layer copied in, the background and labels around it, then what is
   * drawn over the data — the counts' newest values, thresholds, markers, the crosshair.
   */
  private compose(model: ChartModel, theme: ChartTheme, scales: ByteTicks[], usesRight: boolean, hoverX: number | undefined): void {
    const ctx = this.ctx;
    const frame = this.frame!;
    const r = frame.region;
    const pw = this.canvas.width;
    const ph = this.canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (const piece of this.ringPieces(frame, r.x0, r.x1)) ctx.drawImage(this.layerCanvas!, piece.x0 + piece.offset, r.y0, piece.x1 - piece.x0, r.y1 - r.y0, piece.x0, r.y0, piece.x1 - piece.x0, r.y1 - r.y0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, pw, r.y0);
    ctx.fillRect(0, r.y1, pw, ph - r.y1);
    ctx.fillRect(0, r.y0, r.x0, r.y1 - r.y0);
    ctx.fillRect(r.x1, r.y0, pw - r.x1, r.y1 - r.y0);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.font = theme.font;
    ctx.textBaseline = 'middle';
    this.drawAxisLabels(model, scales, theme, usesRight);
    for (const series of model.series) {
      if (series.axis !== 2 || model.compact) continue;
      const [from, to] = series.time ? visibleRange(series.time, series.values.length, this.shownMin, this.shownMax) : visibleRange(model.time, model.count, this.shownMin, this.shownMax);
      this.labelNewest(model, series, scales[2], from, to);
    }
    this.drawThresholds(model, scales);
    this.drawMarkers(model, theme);
    const { left, right, top, bottom } = this.layout;
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

  /** The grid's lines, the time ticks and the time axis: the part of the grid inside the data layer. */
  private drawGridLines(ctx: CanvasRenderingContext2D, frame: Frame, model: ChartModel): void {
    const { left, right, bottom } = frame.layout;
    const scales = frame.scales;
    const theme = frame.theme;
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.grid;
    ctx.beginPath();
    for (const tick of scales[0].ticks) {
      const y = Math.round(this.yOf(tick, scales[0])) + 0.5;
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
    }
    // Grid lines recede behind the data: half the theme's chart-line strength.
    ctx.globalAlpha = 0.5;
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.beginPath();
    for (const t of this.timeTicks(model)) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom + 4);
    }
    ctx.stroke();
    ctx.strokeStyle = theme.muted;
    ctx.beginPath();
    ctx.moveTo(left, bottom + 0.5);
    ctx.lineTo(right, bottom + 0.5);
    ctx.stroke();
  }

  private timeTicks(model: ChartModel): number[] {
    const { left, right } = this.layout;
    void model;
    return timeTicks(this.shownMin, this.shownMax, Math.max(2, Math.floor((right - left) / 90)));
  }

  /** The axes' labels, outside the data layer: bytes left (and right), clock times below. */
  private drawAxisLabels(model: ChartModel, scales: ByteTicks[], theme: ChartTheme, usesRight: boolean): void {
    const ctx = this.ctx;
    const { left, right, bottom } = this.layout;
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'right';
    for (const tick of scales[0].ticks) ctx.fillText(scales[0].label(tick), left - 6, Math.round(this.yOf(tick, scales[0])) + 0.5);
    if (usesRight) {
      ctx.textAlign = 'left';
      for (const tick of scales[1].ticks) ctx.fillText(scales[1].label(tick), right + 6, this.yOf(tick, scales[1]));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of this.timeTicks(model)) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.fillText(clockLabel(t), Math.min(Math.max(x, left + 24), right - 24), bottom + 6);
    }
    ctx.textBaseline = 'middle';
  }

  private yOf(value: number, scale: ByteTicks): number {
    const { top, bottom } = this.layout;
    return bottom - (value / scale.max) * (bottom - top);
  }

  /**
   * The entries of a curve for the strip [xa, xb) (CSS px): those in it and one beyond each side,
   * so that what joins them to the rest is drawn too; the whole view when `whole`.
   */
  private entriesFor(frame: Frame, curve: Curve, xa: number, xb: number, whole: boolean): Entries {
    const out = this.entries;
    out.clear();
    const cols = curve.columns;
    const first = curve.first;
    if (curve.firstValid < 0) return out;
    const shift = frame.shift;
    let ka = -Infinity;
    let kb = Infinity;
    if (!whole) {
      ka = cols.columnBefore(Math.floor(xa) - STRIP_MARGIN + shift, first, curve.last) ?? -Infinity;
      kb = cols.columnAfter(Math.ceil(xb) + STRIP_MARGIN + shift, first, curve.last) ?? Infinity;
    }
    cols.entries(curve.src, curve.last, curve.firstValid, ka, kb, out);
    return out;
  }

  /**
   * Draws one series: its columns stroked as a line and, for a filled series, shaded down to the
   * axis. A dashed line is drawn from where its pattern started (the last whole drawing, or a
   * later break of its path), so that the pattern goes on unbroken across strips.
   */
  private drawSeries(ctx: CanvasRenderingContext2D, frame: Frame, series: LineSeries, curve: Curve, scale: ByteTicks, xa: number, xb: number, whole: boolean): void {
    const { left, right, top, bottom } = frame.layout;
    const width = series.width ?? 1.5;
    const dashed = !!series.dash?.length;
    const entries = this.entriesFor(frame, curve, xa, xb, whole);
    let columns = toColumns(entries, frame.shift, bottom, (bottom - top) / scale.max, 0, this.columnsBuffer);
    if (entries.length) curve.lastDrawn = Math.max(curve.lastDrawn ?? -Infinity, entries.column[entries.length - 1]);
    if (dashed && whole) {
      // Where the pattern starts: later strips draw from here.
      curve.dashAnchor = entries.length ? { column: entries.column[0], entry: copyEntry(entries, 0) } : undefined;
    } else if (dashed && entries.length) {
      columns = this.dashedFromStart(frame, curve, entries, bottom, (bottom - top) / scale.max) ?? columns;
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - width, right - left, bottom - top + 2 * width);
    ctx.clip();
    ctx.strokeStyle = series.color;
    ctx.fillStyle = series.color;
    ctx.lineWidth = width;
    ctx.globalAlpha = series.alpha ?? 1;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.setLineDash(series.dash ? [...series.dash] : []);
    strokeColumns(ctx, columns, width, dashed);
    if (series.fill) fillUnder(ctx, columns, bottom);
    ctx.restore();
  }

  /**
   * A dashed line's columns from the start of the subpath the strip's first entry belongs to:
   * a run's start, a column drawn with a vertical stroke (strokeColumns starts a subpath there),
   * or the first entry of the last whole drawing. Undefined: the strip starts a subpath itself.
   */
  private dashedFromStart(frame: Frame, curve: Curve, strip: Entries, bottom: number, yScale: number): Columns | undefined {
    if (strip.runStart[0]) return undefined;
    const anchor = curve.dashAnchor;
    const cols = curve.columns;
    const stripStart = strip.column[0];
    const stop = anchor ? anchor.column : cols.firstColumn - 1;
    const start = cols.subpathStartBefore(curve.src, stripStart, stop);
    const back = this.dashEntries;
    back.clear();
    // From the anchor (as the last whole drawing had it), or from a later start kept in the columns.
    if (anchor && start === anchor.column) back.push(anchor.entry.column[0], anchor.entry.first[0], anchor.entry.high[0], anchor.entry.low[0], anchor.entry.last[0], anchor.entry.lastRow[0], true);
    cols.entries(curve.src, curve.last, cols.startRow, anchor && start === anchor.column ? start + 1 : start, stripStart - 1, back);
    for (let e = 0; e < strip.length; e++) back.push(strip.column[e], strip.first[e], strip.high[e], strip.low[e], strip.last[e], strip.lastRow[e], strip.runStart[e]);
    if (back.length) back.runStart[0] = true;
    return toColumns(back, frame.shift, bottom, yScale, 0, this.dashColumnsBuffer);
  }

  /** One layer of a stacked area: the region between `lower` and `upper`, per pixel column. */
  private drawBand(ctx: CanvasRenderingContext2D, frame: Frame, band: AreaBand, curve: Curve, scale: ByteTicks, xa: number, xb: number, whole: boolean): void {
    const { left, right, top, bottom } = frame.layout;
    const yScale = (bottom - top) / scale.max;
    const entries = this.entriesFor(frame, curve, xa, xb, whole);
    if (entries.length) curve.lastDrawn = Math.max(curve.lastDrawn ?? -Infinity, entries.column[entries.length - 1]);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, right - left, bottom - top);
    ctx.clip();
    ctx.fillStyle = band.color;
    ctx.globalAlpha = band.alpha ?? 0.45;
    // Runs of points where both curves are known; each run is one polygon, a vertex per column (its last point).
    const { xs, ups, lows } = this.bandBuffer;
    let n = 0;
    const flush = () => {
      if (n >= 2) {
        ctx.beginPath();
        ctx.moveTo(xs[0], ups[0]);
        for (let k = 1; k < n; k++) ctx.lineTo(xs[k], ups[k]);
        for (let k = n - 1; k >= 0; k--) ctx.lineTo(xs[k], lows[k]);
        ctx.closePath();
        ctx.fill();
      }
      n = 0;
    };
    const base = curve.src.base;
    for (let e = 0; e < entries.length; e++) {
      if (entries.runStart[e]) flush();
      const i = entries.lastRow[e] - base;
      const x = entries.column[e] - frame.shift;
      const yUp = bottom - band.upper[i] * yScale;
      const yLo = bottom - band.lower[i] * yScale;
      if (n && xs[n - 1] === x) {
        ups[n - 1] = yUp;
        lows[n - 1] = yLo;
      } else {
        xs[n] = x;
        ups[n] = yUp;
        lows[n] = yLo;
        n++;
      }
    }
    flush();
    ctx.restore();
  }

  /** Saves the context and clips drawing to the plot area (undo with `ctx.restore()`). */
  private clipToPlot(ctx: CanvasRenderingContext2D, layout: Layout): void {
    const { left, right, top, bottom } = layout;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, right - left, bottom - top);
    ctx.clip();
  }

  /** A dashed whisker with a cap up to each peak between samples (those whose whisker is in [xa, xb)). */
  private drawMissedPeaks(ctx: CanvasRenderingContext2D, frame: Frame, model: ChartModel, scale: ByteTicks, first: number, last: number, xa: number, xb: number): void {
    const peaks = model.missedPeaks ?? { values: [], base: [], color: '' };
    const base = model.base ?? 0;
    const from = Math.max(1, first - base);
    const to = last - base;
    this.clipToPlot(ctx, frame.layout);
    ctx.strokeStyle = peaks.color;
    ctx.lineWidth = 1;
    const drawOne = (i: number, time: ArrayLike<number> = model.time, set: { values: ArrayLike<number>; base: ArrayLike<number> } = peaks) => {
      const value = set.values[i];
      if (!(value > 0)) return;
      const x = Math.round((this.xOf(time[i - 1]) + this.xOf(time[i])) / 2) + 0.5;
      if (x < xa - STRIP_MARGIN || x > xb + STRIP_MARGIN) return;
      const before = set.base[i - 1];
      const after = set.base[i];
      const fromY = this.yOf(Math.max(Number.isNaN(before) ? 0 : before, Number.isNaN(after) ? 0 : after), scale);
      const toY = Math.round(this.yOf(value, scale)) + 0.5;
      ctx.setLineDash([2, 2]);
      ctx.beginPath();
      ctx.moveTo(x, fromY);
      ctx.lineTo(x, toY);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x - 4, toY);
      ctx.lineTo(x + 4, toY);
      ctx.stroke();
      ctx.lineWidth = 1;
    };
    if (peaks.rows) {
      // The rows whose whisker may be in the strip: between the times at its edges.
      const rows = peaks.rows;
      const t0 = this.timeAt(xa - STRIP_MARGIN - 2);
      let k = lowerBoundRows(rows, model.time, Math.max(from, lowerBound(model.time, model.count, t0) - 1));
      for (; k < rows.length && rows[k] < to; k++) {
        const i = rows[k];
        if (i < from) continue;
        if (this.xOf(model.time[i - 1]) > xb + STRIP_MARGIN + 2) break;
        drawOne(i);
      }
    } else {
      for (let i = from; i < to; i++) drawOne(i);
    }
    const compared = model.comparedPeaks;
    if (compared) {
      ctx.strokeStyle = compared.color;
      for (let i = 1; i < compared.values.length; i++) drawOne(i, compared.time, compared);
    }
    ctx.restore();
  }

  /** Short ticks rising from the time axis (one per GC cycle), those in [xa, xb). */
  private drawTicks(ctx: CanvasRenderingContext2D, frame: Frame, model: ChartModel, xa: number, xb: number): void {
    const ticks = model.ticks;
    if (!ticks?.length) return;
    const { left, right, bottom } = frame.layout;
    ctx.strokeStyle = model.tickColor ?? '#888';
    ctx.lineWidth = 1;
    ctx.beginPath();
    let k = lowerBound(ticks, ticks.length, this.timeAt(xa - 2));
    for (; k < ticks.length; k++) {
      const x = Math.round(this.xOf(ticks[k])) + 0.5;
      if (x > xb + 2) break;
      if (x < left || x > right) continue;
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom - 5);
    }
    ctx.stroke();
  }

  /** Band markers (a pause): shaded, named where the label fits. */
  private drawMarkerBands(ctx: CanvasRenderingContext2D, frame: Frame, model: ChartModel, xa: number, xb: number): void {
    const { left, right, top, bottom } = frame.layout;
    for (const m of model.markers) {
      if (!m.band) continue;
      const x0 = Math.max(left, this.xOf(m.time));
      const x1 = Math.min(right, this.xOf(m.endTime ?? this.shownMax));
      if (x1 <= x0 || x1 < xa - 1 || x0 > xb + 1) continue;
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
  private markerRowsNeeded(model: ChartModel, plotWidth: number, xMin: number, xMax: number): number {
    if (!model.markers.some((m) => !m.band)) return 1;
    const rows = this.assignRows(model, plotWidth, xMin, xMax);
    return Math.max(1, ...rows.map((r) => r + 1));
  }

  /** Label rows for point markers, computed on the positions the labels are drawn at (clamped to the plot). */
  private assignRows(model: ChartModel, plotWidth: number, xMin: number, xMax: number): number[] {
    const ctx = this.ctx;
    const ends: number[] = [];
    const span = Math.max(1, xMax - xMin);
    return model.markers.map((m) => {
      if (m.band) return 0;
      const width = ctx.measureText(m.label).width + 8;
      const x = ((m.time - xMin) / span) * plotWidth;
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
    const rows = this.assignRows(model, right - left, this.shownMin, this.shownMax);
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

/** The curves of a model's data layer, in drawing order of their keys: the series, then the stacked layers. */
function curvesOf(model: ChartModel): { key: string; src: CurveSource }[] {
  const base = model.base ?? 0;
  return [
    ...model.series.map((s, i) => ({
      key: `s${i}`,
      src: s.time ? { time: s.time, values: s.values, bridgeMs: s.bridgeMs ?? 0, base: 0, count: s.values.length } : { time: model.time, values: s.values, bridgeMs: s.bridgeMs ?? 0, base, count: model.count },
    })),
    ...(model.bands ?? []).map((b, i) => ({ key: `b${i}`, src: { time: model.time, values: b.upper, also: b.lower, bridgeMs: b.bridgeMs ?? 0, base, count: model.count } })),
  ];
}

/** What the data layer shows besides the rows: when it changes, the layer is drawn whole. */
function contentKey(model: ChartModel): string {
  const parts: (string | number | boolean | undefined)[] = [model.seriesId ?? `t${idOf(model.time)}`, model.compact, model.eventsVersion ?? idOf(model.markers), model.tickColor, model.missedPeaks?.color, idOf(model.missedPeaks?.values), model.comparedPeaks?.color, idOf(model.comparedPeaks?.values)];
  for (const s of model.series) parts.push(s.name, s.color, s.axis, s.width, s.dash?.join(), s.fill, s.alpha, s.under, s.bridgeMs, idOf(s.values), idOf(s.time));
  for (const b of model.bands ?? []) parts.push(b.name, b.color, b.alpha, b.bridgeMs, idOf(b.upper), idOf(b.lower));
  return parts.join('|');
}

function sameLayout(a: Layout, b: Layout): boolean {
  return a.left === b.left && a.right === b.right && a.top === b.top && a.bottom === b.bottom;
}

/** Indices [first, last) of points inside the x range, plus one neighbour each side so lines reach the edges. */
function visibleRange(time: ArrayLike<number>, count: number, xMin: number, xMax: number): [number, number] {
  const first = Math.max(0, lowerBound(time, count, xMin) - 1);
  const last = Math.min(count, lowerBound(time, count, xMax) + 1);
  return [first, last];
}

/** The highest peak between samples in rows [first, last) (absolute), 0 when none. */
function maxPeak(model: ChartModel, first: number, last: number): number {
  const peaks = model.missedPeaks;
  const base = model.base ?? 0;
  let max = 0;
  if (!peaks) {
    // None of its own: only a compared run's, below.
  } else if (peaks.rows) {
    for (let k = lowerBoundRows(peaks.rows, model.time, first - base); k < peaks.rows.length && peaks.rows[k] < last - base; k++) if (peaks.values[peaks.rows[k]] > max) max = peaks.values[peaks.rows[k]];
  } else {
    for (let i = first - base; i < last - base; i++) if (peaks.values[i] > max) max = peaks.values[i];
  }
  const compared = model.comparedPeaks;
  if (compared) for (let i = 1; i < compared.values.length; i++) if (compared.values[i] > max && compared.time[i] >= model.xMin && compared.time[i - 1] <= model.xMax) max = compared.values[i];
  return max;
}

/** The first k with rows[k] ≥ row. */
function lowerBoundRows(rows: readonly number[], _time: ArrayLike<number>, row: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The axes' maxima (× 1.05) over rows [first, last) of the model, from the rows themselves. */
function axisMaxima(model: ChartModel, first: number, last: number, xMin: number, xMax: number): number[] {
  const maxima = [0, 0, 0];
  for (const s of model.series) {
    const v = s.values;
    const [from, to] = s.time ? visibleRange(s.time, s.values.length, xMin, xMax) : [first, last];
    let max = maxima[s.axis];
    for (let i = from; i < to; i++) if (v[i] > max) max = v[i];
    maxima[s.axis] = max;
  }
  for (const t of model.thresholds) if (t.value > maxima[t.axis]) maxima[t.axis] = t.value;
  const base = model.base ?? 0;
  const peak = maxPeak(model, first + base, last + base);
  if (peak > maxima[0]) maxima[0] = peak;
  return maxima.map((m) => m * 1.05);
}

function copyEntry(from: Entries, e: number): Entries {
  const out = new Entries();
  out.push(from.column[e], from.first[e], from.high[e], from.low[e], from.last[e], from.lastRow[e], true);
  return out;
}

/**
 * Entries (value space) as decimate()'s columns on screen: x = column − shift, y = bottom − v × yScale;
 * written into `out`, whose arrays are kept between redraws (no garbage per curve per redraw).
 */
function toColumns(entries: Entries, shift: number, bottom: number, yScale: number, from: number, out: ColumnsBuffer): Columns {
  const { data, runStarts } = out;
  let count = 0;
  let runs = 0;
  for (let e = from; e < entries.length; e++) {
    if (entries.runStart[e] || e === from) runStarts[runs++] = count;
    const k = count++ * 5;
    data[k] = entries.column[e] - shift;
    data[k + 1] = bottom - entries.first[e] * yScale;
    data[k + 2] = bottom - entries.high[e] * yScale;
    data[k + 3] = bottom - entries.low[e] * yScale;
    data[k + 4] = bottom - entries.last[e] * yScale;
  }
  out.count = count;
  out.runs = runs;
  return out;
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
  /** Columns and runs in use: the arrays may hold more (a buffer kept between redraws). */
  readonly count: number;
  readonly runs: number;
}

/** Columns written again each redraw into the same arrays: no garbage per curve per second. */
interface ColumnsBuffer {
  readonly data: number[];
  readonly runStarts: number[];
  count: number;
  runs: number;
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

/**
 * The reduction from the points themselves (the reference the kept columns match): points
 * [first, last) per pixel column x = round(left + (t − xMin) × xScale).
 */
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
  return { data, runStarts, count: data.length / 5, runs: runStarts.length };
}

/**
 * Strokes decimated columns. Where columns are adjacent (dense data: a point or more per pixel),
 * each is one filled rectangle spanning its values and the previous column's last value: the same
 * picture as a stroked zigzag, at a fraction of the cost — canvas strokes wider than 1 px are
 * expensive to rasterise (bench/RESULTS.md, "Measured once": many times the rectangles). Where columns
 * are apart (sparse data), real anti-aliased segments join them. Dashed lines need real segments
 * throughout: rectangles would fill the gaps.
 */
function strokeColumns(ctx: CanvasRenderingContext2D, columns: Columns, width: number, dashed: boolean): void {
  const { data, runStarts, count, runs } = columns;
  const half = width / 2;
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
    const runStart = run < runs && runStarts[run] === c;
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
  const { data, runStarts, count, runs } = columns;
  ctx.globalAlpha = 0.14;
  for (let r = 0; r < runs; r++) {
    const start = runStarts[r];
    const end = r + 1 < runs ? runStarts[r + 1] : count;
    if (end - start < 2) continue;
    ctx.beginPath();
    ctx.moveTo(data[start * 5], bottom);
    for (let c = start; c < end; c++) ctx.lineTo(data[c * 5], data[c * 5 + 4]);
    ctx.lineTo(data[(end - 1) * 5], bottom);
    ctx.closePath();
    ctx.fill();
  }
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
