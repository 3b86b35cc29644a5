/**
 * The graph webview's state and the one function that changes it: every message from the host
 * goes through applyMessage(), which says what changed so the view redraws only that. Pure (no
 * DOM): unit-tested in Node.
 */
import type { ComparisonView, FleetView, ToWebviewMessage, WatchSummary } from '../shared/protocol';
import { ClientSeries } from './clientSeries';
import { ALL, ZoomState } from './zoom';

export interface GraphState {
  watches: readonly WatchSummary[];
  currentId?: string;
  windowMs: number;
  /** RSS warning threshold in bytes (0 = none). */
  warningBytes: number;
  /** A FreeOSMemory request is under way. */
  busy: boolean;
  /** The current watch's samples and markers. */
  readonly series: ClientSeries;
  /** The time axis: everything, following a zoomed span, or a fixed range (zoom.ts). */
  zoom: ZoomState;
  /** Another run drawn over this one, with the table of what changed. */
  comparison?: ComparisonView;
  /** Rows of the current series still to come in `seriesPart` messages. */
  moreRows: number;
  /** A Prometheus history: where it came from and what the fleet did. */
  fleet?: FleetView;
  /** The other replicas' RSS, drawn thin behind the one shown. */
  overlays: Overlay[];
  /**
   * The time axis spans the data exactly (a recording: a run that ended, and a run compared with
   * it), not a live window's minimum span or its steps while it fills.
   */
  fitToData: boolean;
}

/** Another replica's RSS (a Prometheus history). */
export interface Overlay {
  readonly id: string;
  readonly name: string;
  readonly time: Float64Array;
  readonly rss: Float64Array;
}

/** More overlays than a history view draws (it draws the 19 replicas beside the one shown) are junk. */
const MAX_OVERLAYS = 64;

/** What a message changed: the chrome (selector, badge, buttons, readouts) and/or the data drawn. */
export interface Change {
  readonly chrome: boolean;
  readonly data: boolean;
  /** A new watch (or the first state): what the webview persists changed. */
  readonly watch?: boolean;
}

export function createState(fitToData = false): GraphState {
  return { watches: [], windowMs: 300_000, warningBytes: 0, busy: false, series: new ClientSeries(), zoom: ALL, moreRows: 0, overlays: [], fitToData };
}

export function currentWatch(state: GraphState): WatchSummary | undefined {
  return state.watches.find((w) => w.id === state.currentId);
}

/** Applies a message from the host; undefined when it changed nothing (another watch's sample, junk). */
export function applyMessage(state: GraphState, message: ToWebviewMessage): Change | undefined {
  if (!message || typeof message !== 'object') return undefined;
  switch (message.type) {
    case 'state':
      // Another watch: its own time axis, and nothing compared with it yet.
      if (message.currentId !== state.currentId) {
        state.zoom = ALL;
        state.comparison = undefined;
      }
      state.watches = message.watches;
      state.currentId = message.currentId;
      state.windowMs = message.windowMs;
      state.warningBytes = message.warningBytes;
      state.busy = message.busy;
      state.series.reset(message.series);
      state.moreRows = message.moreRows ?? 0;
      state.fleet = message.fleet;
      // The others follow the state, each in a message of its own.
      state.overlays = [];
      // A series in parts is drawn once it is whole.
      return { chrome: true, data: state.moreRows === 0, watch: true };
    case 'seriesPart':
      if (message.watchId !== state.currentId || state.moreRows === 0) return undefined;
      state.series.append(message.series);
      state.moreRows = message.moreRows;
      return { chrome: false, data: state.moreRows === 0 };
    case 'samples': {
      const shown = message.watchId === state.currentId && Array.isArray(message.rows) && message.rows.length > 0;
      if (shown) {
        for (const row of message.rows) state.series.push(row.time, row.values, state.windowMs);
        // The readouts follow the samples without waiting for the next summary.
        if (!message.summaries) {
          const newest = message.rows[message.rows.length - 1];
          const rss = newest.values.rss ?? NaN;
          const highest = message.rows.reduce((max, r) => Math.max(max, r.values.rss ?? 0), 0);
          state.watches = state.watches.map((w) =>
            w.id === message.watchId ? { ...w, latest: { time: newest.time, rss, vsz: newest.values.vsz, peakRss: Math.max(w.latest?.peakRss ?? 0, highest) } } : w,
          );
        }
      }
      // The summaries that came with the rows were made after them: they have the last word
      // (and count even when the rows are for no watch shown).
      if (message.summaries) applyMessage(state, { type: 'watches', ...message.summaries });
      return shown ? { chrome: true, data: true } : message.summaries ? { chrome: true, data: false } : undefined;
    }
    case 'event':
      if (message.watchId !== state.currentId) return undefined;
      state.series.upsertEvent(message.event);
      return { chrome: false, data: true };
    case 'watches':
      state.watches = message.watches;
      state.currentId = message.currentId;
      return { chrome: true, data: false };
    case 'busy':
      state.busy = message.busy;
      return { chrome: true, data: false };
    case 'compare':
      state.comparison = message.comparison;
      return { chrome: true, data: true };
    case 'renderPng':
      // Nothing changes in the state: main.ts renders the picture.
      return { chrome: false, data: false };
    case 'overlay': {
      const { id, name, time, rss } = message;
      if (typeof id !== 'string' || typeof name !== 'string' || !(time instanceof Float64Array) || !(rss instanceof Float64Array) || time.length !== rss.length) return undefined;
      if (id === state.currentId || state.overlays.length >= MAX_OVERLAYS) return undefined;
      state.overlays = [...state.overlays.filter((o) => o.id !== id), { id, name: name.slice(0, 200), time, rss }];
      return { chrome: true, data: true };
    }
    default:
      return undefined;
  }
}
