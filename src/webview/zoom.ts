/**
 * Zoom and pan on the time axis. Pure (no DOM): unit-tested in Node.
 *
 * Three states: everything (the whole window, scrolling as samples come); following (a zoomed
 * span that keeps its right edge on the newest sample — a live graph zoomed in goes on
 * following); fixed (a range the user panned or zoomed to, away from the newest sample — it stays
 * put while samples come).
 */

export type ZoomState = { readonly mode: 'all' } | { readonly mode: 'follow'; readonly spanMs: number } | { readonly mode: 'fixed'; readonly xMin: number; readonly xMax: number };

export const ALL: ZoomState = { mode: 'all' };
/** No zooming in beyond this span: a few samples across the whole width say nothing. */
export const MIN_ZOOM_SPAN_MS = 2000;

/** What the data spans: its first and newest sample, and the window that bounds "all". */
export interface DataRange {
  readonly first: number;
  readonly last: number;
  readonly windowMs: number;
  /** A short history is still shown over at least this span. */
  readonly minSpanMs: number;
}

/**
 * While the window fills, the span shown grows in steps of this share (a short history is shown
 * over the minimum span, then over spans 1/32 longer each time): between steps the line grows
 * into the room at the right and the picture keeps its scale — each redraw draws only the new
 * columns (chart.ts) — instead of being stretched anew with every sample.
 */
export const FILLING_STEP = 1 / 32;

/** The shortest span of the steps (MIN × (1 + FILLING_STEP)^k) that holds `span`. */
export function fillingSpan(span: number, minSpanMs: number): number {
  if (span <= minSpanMs) return minSpanMs;
  const ratio = 1 + FILLING_STEP;
  let k = Math.ceil(Math.log(span / minSpanMs) / Math.log(ratio));
  while (minSpanMs * ratio ** k < span) k++;
  return minSpanMs * ratio ** k;
}

/** The x range to draw. */
export function xRange(zoom: ZoomState, data: DataRange): { xMin: number; xMax: number } {
  switch (zoom.mode) {
    case 'all': {
      const xMin = Math.max(data.first, data.last - data.windowMs);
      // Not full yet: the span in steps (fillingSpan), never past the window.
      const filling = data.last - data.first < data.windowMs && data.windowMs > data.minSpanMs;
      const span = filling ? Math.min(data.windowMs, fillingSpan(data.last - xMin, data.minSpanMs)) : data.minSpanMs;
      return { xMin, xMax: Math.max(data.last, xMin + span) };
    }
    case 'follow':
      return { xMin: data.last - zoom.spanMs, xMax: data.last };
    case 'fixed':
      return { xMin: zoom.xMin, xMax: zoom.xMax };
  }
}

/**
 * Zoom to [t0, t1] (a drag across the graph): following when the range reaches the newest sample
 * (within `slackMs`, about a pixel), fixed otherwise. Too small a range is widened to the minimum.
 */
export function zoomTo(t0: number, t1: number, data: DataRange, slackMs: number): ZoomState {
  let lo = Math.min(t0, t1);
  let hi = Math.max(t0, t1);
  if (hi - lo < MIN_ZOOM_SPAN_MS) {
    const mid = (lo + hi) / 2;
    lo = mid - MIN_ZOOM_SPAN_MS / 2;
    hi = mid + MIN_ZOOM_SPAN_MS / 2;
  }
  if (hi >= data.last - slackMs) return { mode: 'follow', spanMs: Math.min(hi, data.last) - lo };
  return { mode: 'fixed', xMin: lo, xMax: hi };
}

/** Zoom in (factor < 1) or out (> 1), keeping `anchor` (a time) where it is on screen. */
export function zoomBy(zoom: ZoomState, data: DataRange, factor: number, anchor?: number): ZoomState {
  const { xMin, xMax } = xRange(zoom, data);
  const span = xMax - xMin;
  const full = xRange(ALL, data);
  const newSpan = Math.max(MIN_ZOOM_SPAN_MS, span * factor);
  if (newSpan >= full.xMax - full.xMin) return ALL;
  if (zoom.mode !== 'fixed') return { mode: 'follow', spanMs: newSpan };
  const at = anchor ?? (xMin + xMax) / 2;
  const ratio = (at - xMin) / span;
  return clampFixed(at - ratio * newSpan, at - ratio * newSpan + newSpan, data);
}

/** Pan by a share of the shown span (negative: back in time). Reaching the newest sample follows again. */
export function panBy(zoom: ZoomState, data: DataRange, share: number): ZoomState {
  if (zoom.mode === 'all') return zoom;
  const { xMin, xMax } = xRange(zoom, data);
  const span = xMax - xMin;
  const shift = span * share;
  if (xMax + shift >= data.last) return { mode: 'follow', spanMs: span };
  return clampFixed(xMin + shift, xMax + shift, data);
}

/** A fixed range kept within the data (it can start before the first sample when zoomed out). */
function clampFixed(xMin: number, xMax: number, data: DataRange): ZoomState {
  const span = xMax - xMin;
  const earliest = Math.min(data.first, data.last - span);
  if (xMin < earliest) return { mode: 'fixed', xMin: earliest, xMax: earliest + span };
  return { mode: 'fixed', xMin, xMax };
}

/** Words for the state, for the hint under the graph and screen readers. */
export function describeZoom(zoom: ZoomState): string {
  switch (zoom.mode) {
    case 'all':
      return 'drag to zoom';
    case 'follow':
      return 'zoomed, following · double-click to reset';
    case 'fixed':
      return 'zoomed · End to follow · double-click to reset';
  }
}
