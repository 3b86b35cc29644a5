/**
 * Every message between the extension host and its webviews (the graph; the heap view, at the end),
 * typed once for both sides.
 * The webview's first message is `ready`; the host answers with `state` (everything to draw), then
 * sends increments. Messages from the webview are untrusted input: `parseWebviewMessage` checks
 * each one and drops what it does not know.
 */
import type { SeriesColumn, SeriesEvent, SeriesSnapshot } from './core/series';
import type { WatchSummary } from './core/watchSummary';
import type { HeapGrouping, HeapOrder, HeapRowList, HeapSample, HeapViewState } from './core/heap/viewTypes';

export type { WatchSummary } from './core/watchSummary';
export type { HeapGrouping, HeapOrder, HeapRowList, HeapRowSource, HeapSample, HeapViewRow, HeapViewState } from './core/heap/viewTypes';

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
  /** One new sample of the current watch: a row of the series (missing values absent). */
  | { readonly type: 'sample'; readonly watchId: string; readonly time: number; readonly values: Partial<Record<SeriesColumn, number>> }
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

/** Host → heap view (a second webview, src/webview/heap): everything to show, each time it changes. */
export type ToHeapViewMessage =
  /** The whole view: in answer to `ready`, and after every change (a profile, a fetch starting). */
  { readonly type: 'state'; readonly state: HeapViewState };

/** Heap view → host: only user intents, and what it drew. */
export type FromHeapViewMessage =
  /** The view has loaded and wants the state. */
  | { readonly type: 'ready' }
  /** "Refresh": fetch a profile now (the program runs a GC first). */
  | { readonly type: 'refresh' }
  /** "Set baseline": the profile shown becomes the one later profiles are compared with. */
  | { readonly type: 'setBaseline' }
  /** "Save…": write the profile shown, as fetched, to a .pb.gz file the user picks. */
  | { readonly type: 'save' }
  /** A row was clicked: open its source line. `key` is the row's key in the named list. */
  | { readonly type: 'open'; readonly list: HeapRowList; readonly key: string }
  /** The view drew state `version` this way; `keys` are its first rows, in order. */
  | {
      readonly type: 'rendered';
      readonly version: number;
      readonly sample: HeapSample;
      readonly grouping: HeapGrouping;
      readonly order: HeapOrder;
      readonly keys: readonly string[];
    };

/** A row key: function, file and line — bounded (a profile's names are the target's). */
export const MAX_HEAP_ROW_KEY_CHARS = 16_384;
/** How many rows `rendered` reports. */
export const MAX_RENDERED_HEAP_ROWS = 25;

const isRowKey = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_HEAP_ROW_KEY_CHARS;
const isOneOf = <T extends string>(value: unknown, options: readonly T[]): value is T => typeof value === 'string' && (options as readonly string[]).includes(value);

/** Validates a message from the heap view; undefined for anything malformed or unknown. */
export function parseHeapViewMessage(raw: unknown): FromHeapViewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as Record<string, unknown>;
  switch (msg.type) {
    case 'ready':
    case 'refresh':
    case 'setBaseline':
    case 'save':
      return { type: msg.type };
    case 'open':
      return isOneOf(msg.list, ['sites', 'functions'] as const) && isRowKey(msg.key) ? { type: 'open', list: msg.list, key: msg.key } : undefined;
    case 'rendered': {
      const { version, sample, grouping, order, keys } = msg;
      if (!Number.isSafeInteger(version) || (version as number) < 0) return undefined;
      if (!isOneOf(sample, ['inuse', 'alloc'] as const) || !isOneOf(grouping, ['site', 'function', 'cumulative'] as const) || !isOneOf(order, ['size', 'growth'] as const)) return undefined;
      if (!Array.isArray(keys) || keys.length > MAX_RENDERED_HEAP_ROWS || !keys.every(isRowKey)) return undefined;
      return { type: 'rendered', version: version as number, sample, grouping, order, keys: [...keys] };
    }
    default:
      return undefined;
  }
}
