/**
 * Every message between the extension host and the graph webview, typed once for both sides.
 * The webview's first message is `ready`; the host answers with `state` (everything to draw), then
 * sends increments. Messages from the webview are untrusted input: `parseWebviewMessage` checks
 * each one and drops what it does not know.
 */
import type { SeriesColumn, SeriesEvent, SeriesSnapshot } from './core/series';
import type { WatchSummary } from './core/watchSummary';

export type { WatchSummary } from './core/watchSummary';

/** One sample as the graph receives it. */
export interface SampleRow {
  readonly time: number;
  readonly values: Partial<Record<SeriesColumn, number>>;
}

/** Host → webview. */
export type ToWebviewMessage =
  /** Everything to draw: sent in answer to `ready`, and when the current watch changes. */
  | {
      readonly type: 'state';
      readonly watches: readonly WatchSummary[];
      readonly currentId?: string;
      readonly series?: SeriesSnapshot;
      readonly windowMs: number;
      /** RSS warning threshold in bytes (0 = none): drawn as a dashed line. */
      readonly warningBytes: number;
      /** A FreeOSMemory request is under way. */
      readonly busy: boolean;
    }
  /** New samples of the current watch, oldest first: rows of the series (missing values absent). */
  | { readonly type: 'samples'; readonly watchId: string; readonly rows: readonly SampleRow[] }
  /** A marker added to (or updated in) the current watch's series. */
  | { readonly type: 'event'; readonly watchId: string; readonly event: SeriesEvent }
  /** The list of watches or their states changed (same current watch). */
  | { readonly type: 'watches'; readonly watches: readonly WatchSummary[]; readonly currentId?: string }
  /** A FreeOSMemory request started or finished. */
  | { readonly type: 'busy'; readonly busy: boolean };

/** Webview → host: only user intents. */
export type FromWebviewMessage =
  /** The webview has loaded and wants the state. */
  | { readonly type: 'ready' }
  /** The user picked another watch in the selector. */
  | { readonly type: 'select'; readonly watchId: string }
  /** The user pressed "Free OS Memory". */
  | { readonly type: 'freeOSMemory' }
  /** The user pressed "Attach…". */
  | { readonly type: 'attach' }
  /** The user pressed "Open Graph" (in the compact view). */
  | { readonly type: 'openGraph' }
  /** The user pressed "Add hook…" (a program with no Go figures). */
  | { readonly type: 'addHook' }
  /** The webview drew the graph: what it drew (lets the host, and tests, know the data arrived). */
  | { readonly type: 'rendered'; readonly watchId: string; readonly points: number; readonly lastTime: number };

/** Validates a message from the webview; undefined for anything malformed or unknown. */
export function parseWebviewMessage(raw: unknown): FromWebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as Record<string, unknown>;
  switch (msg.type) {
    case 'ready':
    case 'freeOSMemory':
    case 'attach':
    case 'openGraph':
    case 'addHook':
      return { type: msg.type };
    case 'select':
      return typeof msg.watchId === 'string' && msg.watchId.length > 0 && msg.watchId.length <= 64
        ? { type: 'select', watchId: msg.watchId }
        : undefined;
    case 'rendered':
      return typeof msg.watchId === 'string' &&
        msg.watchId.length <= 64 &&
        Number.isSafeInteger(msg.points) &&
        (msg.points as number) >= 0 &&
        typeof msg.lastTime === 'number' &&
        Number.isFinite(msg.lastTime)
        ? { type: 'rendered', watchId: msg.watchId, points: msg.points as number, lastTime: msg.lastTime }
        : undefined;
    default:
      return undefined;
  }
}

/** Where the graph is shown: an editor tab, or the compact view in the debug sidebar. */
export type GraphLayout = 'full' | 'compact';

/** What the webview persists with `setState` (restored after a reload). */
export interface WebviewPersistedState {
  readonly watchId?: string;
  readonly pid?: number;
}
