/**
 * Every message between the extension host and its webviews (the graph; the heap view, at the end),
 * typed once for both sides.
 * The webview's first message is `ready`; the host answers with `state` (everything to draw), then
 * sends increments. Messages from the webview are untrusted input: `parseWebviewMessage` checks
 * each one and drops what it does not know.
 */
import { CommandId } from './commandTable';
import { copyPackedRows, PackedSeries, SeriesEvent } from './series';
import type { SeriesColumn } from './series';
import type { WatchSummary } from './watchSummary';
import type { HeapGrouping, HeapOrder, HeapRowList, HeapSample, HeapViewState } from './heap/viewTypes';

export type { WatchSummary } from './watchSummary';
export type { HeapGrouping, HeapOrder, HeapRowList, HeapRowSource, HeapSample, HeapViewRow, HeapViewState } from './heap/viewTypes';

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
      /** The current watch's points and markers, as typed arrays (one buffer): cheap to post. The first rows only when `moreRows`. */
      readonly series?: PackedSeries;
      /** How many more rows follow, in `seriesPart` messages (a long series goes in parts: see graphStateMessages). */
      readonly moreRows?: number;
      readonly windowMs: number;
      /** RSS warning threshold in bytes (0 = none): drawn as a dashed line. */
      readonly warningBytes: number;
      /** A FreeOSMemory request is under way. */
      readonly busy: boolean;
      /** A Prometheus history (the history layout): where it came from and what the fleet did. */
      readonly fleet?: FleetView;
    }
  /** The next rows of the series a `state` began (no markers: they came with it). */
  | { readonly type: 'seriesPart'; readonly watchId?: string; readonly series: PackedSeries; readonly moreRows: number }
  /**
   * New samples of the current watch, oldest first: rows of the series (missing values absent); and
   * the watches' summaries when they changed since the last sent — in the same message, because
   * each message that changes what is shown costs the browser a frame.
   */
  | { readonly type: 'samples'; readonly watchId: string; readonly rows: readonly SampleRow[]; readonly summaries?: WatchSummaries }
  /** A marker added to (or updated in) the current watch's series. */
  | { readonly type: 'event'; readonly watchId: string; readonly event: SeriesEvent }
  /** The list of watches or their states changed (same current watch), with no new samples. */
  | ({ readonly type: 'watches' } & WatchSummaries)
  /** A FreeOSMemory request started or finished. */
  | { readonly type: 'busy'; readonly busy: boolean }
  /** Another run drawn over this one, with the table of what changed; undefined clears it. */
  | { readonly type: 'compare'; readonly comparison?: ComparisonView }
  /** Render the graph as a PNG and send it back (`png`): the Export PNG command. */
  | { readonly type: 'renderPng' }
  /** Another replica's RSS (a Prometheus history), drawn thin behind the one shown; a `state` clears them. */
  | { readonly type: 'overlay'; readonly id: string; readonly name: string; readonly time: Float64Array; readonly rss: Float64Array };

/** Every watch's summary, and the one shown. */
export interface WatchSummaries {
  readonly watches: readonly WatchSummary[];
  readonly currentId?: string;
}

/** A Prometheus history's fleet, around the replica shown (the history layout). */
export interface FleetView {
  /** "Prometheus at prom:9090 · {job=\"api\"} · 24 h, a point every 1 min". */
  readonly source: string;
  /** Which replica peaked highest and which grew fastest. */
  readonly headline: string;
  /** The replicas not drawn, in a line. */
  readonly others?: string;
  /** What the server lacked (no container figures, …). */
  readonly notes: readonly string[];
  /** About the replica shown: its details being read, or why they could not be. */
  readonly status?: string;
}

/** The `state` message: everything the graph draws, in one message (see graphStateMessages for a long series). */
export function graphStateMessage(state: Omit<Extract<ToWebviewMessage, { type: 'state' }>, 'type' | 'moreRows'>): ToWebviewMessage {
  return { type: 'state', ...state };
}

/**
 * At most this many bytes of a series in one message. Posting costs the extension host in
 * proportion to the bytes: VS Code copies them, and over a remote connection (code-server, SSH)
 * compresses them, on its thread. A full series (20,000 points of 22 columns) in one message held
 * it far past 50 ms; in parts of this size each takes a few ms (bench/RESULTS.md, "Measured once").
 */
export const MAX_SERIES_BYTES_PER_MESSAGE = 384 * 1024;

/**
 * The `state` message, and — for a series larger than MAX_SERIES_BYTES_PER_MESSAGE — the
 * `seriesPart` messages that complete it, oldest rows first. Post them in order, one per turn of
 * the event loop. Each part has a buffer of its own: VS Code sends a typed array's whole buffer.
 */
export function graphStateMessages(state: Omit<Extract<ToWebviewMessage, { type: 'state' }>, 'type' | 'moreRows'>): ToWebviewMessage[] {
  const series = state.series;
  if (!series) return [graphStateMessage(state)];
  const columns = Object.keys(series.columns).length + 1;
  const rowsPerMessage = Math.max(256, Math.floor(MAX_SERIES_BYTES_PER_MESSAGE / (8 * columns)));
  const total = series.time.length;
  if (total <= rowsPerMessage) return [graphStateMessage(state)];
  const messages: ToWebviewMessage[] = [{ type: 'state', ...state, series: copyPackedRows(series, 0, rowsPerMessage, series.events), moreRows: total - rowsPerMessage }];
  for (let from = rowsPerMessage; from < total; from += rowsPerMessage) {
    const to = Math.min(total, from + rowsPerMessage);
    messages.push({ type: 'seriesPart', watchId: state.currentId, series: copyPackedRows(series, from, to, []), moreRows: total - to });
  }
  return messages;
}


/** Run B drawn over run A (the one shown), aligned: B's times are already shifted onto A's. */
export interface ComparisonView {
  /** "A: svc before the fix", for the legend and the table. */
  readonly nameA: string;
  readonly nameB: string;
  /** How the runs were lined up ("at their start", "at the first \"load\" marker"). */
  readonly alignedOn: string;
  /** B's times (shifted onto A's) and RSS, as typed arrays: cheap to post. */
  readonly time: Float64Array;
  readonly rss: Float64Array;
  /** B's peaks between samples (the kernel's high-water mark, NaN where none), row for row with `time`; absent when B has none. */
  readonly missedPeak?: Float64Array;
  /**
   * One row per figure: title, both values as text, the signed difference, the ratio; and where a
   * value comes from when that matters (Peak RSS: "sampled", or the kernel's between samples).
   */
  readonly rows: readonly { readonly title: string; readonly a: string; readonly b: string; readonly difference: string; readonly ratio: string; readonly aNote?: string; readonly bNote?: string }[];
  /** The same table as GitHub Markdown (the Copy button). */
  readonly markdown: string;
}

/**
 * The host sends a shown watch's new samples in one `samples` message at most this often, and the
 * watches' summaries only when they change, checked at most every SUMMARIES_EVERY_MS. Once a
 * second, as the graph redraws and the status bar follows: each message crosses the extension
 * host, the server, the workbench and two iframes before the webview reads it, and at 10 Hz four
 * batches a second were most of what an open graph cost the extension host (bench/RESULTS.md).
 */
export const SAMPLES_EVERY_MS = 1000;
export const SUMMARIES_EVERY_MS = 1000;

/** What an intent's command is given: nothing; the graph's watch (`{ watchId }`); or the run it shows — its watch, or in the recording editor the recording (`{ recording }`). */
export type GraphIntentSubject = 'nothing' | 'watch' | 'run';

/** One of the graph's intents: the command the host runs for it, about what, and the buttons (element ids in src/webview/view.ts) that send it. */
export interface GraphIntentDeclaration {
  readonly command: CommandId;
  readonly about: GraphIntentSubject;
  readonly buttons: readonly string[];
}

/**
 * The graph's buttons: each sends an intent (a message of nothing but its type), and the host runs
 * the palette's command for it, about what the graph shows. One entry per intent: the messages,
 * their parser, the host's dispatch (GraphFeed, the recording editor) and the webview's buttons all
 * come from this table. In a recording only the intents about a run apply (the others' buttons are
 * hidden there).
 */
export const GRAPH_INTENTS = {
  /** "Attach…", also on the empty graph. */
  attach: { command: CommandId.Attach, about: 'nothing', buttons: ['attach', 'empty-attach'] },
  /** "Free OS Memory". */
  freeOSMemory: { command: CommandId.FreeOSMemory, about: 'watch', buttons: ['free', 'free-compact'] },
  /** "Open Graph" (in the compact view). */
  openGraph: { command: CommandId.ShowGraph, about: 'nothing', buttons: ['open-graph'] },
  /** "Add hook…" (a program with no Go figures). */
  addHook: { command: CommandId.AddFreeOSMemoryHook, about: 'nothing', buttons: ['add-hook'] },
  /** "Heap…", and the diagnosis's "Show heap profile". */
  showHeapProfile: { command: CommandId.ShowHeapProfile, about: 'watch', buttons: ['heap', 'heap-compact', 'diagnosis-heap'] },
  /** "Save…": the run as a recording. */
  saveRecording: { command: CommandId.SaveRecording, about: 'watch', buttons: ['save'] },
  /** "Compare…": another run drawn over this one. */
  compare: { command: CommandId.CompareWith, about: 'run', buttons: ['compare'] },
  /** "CSV": the samples and markers exported. */
  exportCsv: { command: CommandId.ExportCsv, about: 'run', buttons: ['export-csv'] },
} as const satisfies Record<string, GraphIntentDeclaration>;

/** What the graph's buttons ask for. */
export type GraphIntent = keyof typeof GRAPH_INTENTS;

/** True for the type of one of GRAPH_INTENTS (its own keys only: not "constructor", "__proto__"…). */
export function isGraphIntent(type: unknown): type is GraphIntent {
  return typeof type === 'string' && Object.hasOwn(GRAPH_INTENTS, type);
}

/** Webview → host: only user intents. */
export type FromWebviewMessage =
  /** The webview has loaded and wants the state. */
  | { readonly type: 'ready' }
  /** The user picked another watch in the selector. */
  | { readonly type: 'select'; readonly watchId: string }
  /** The user pressed a button: see GRAPH_INTENTS. */
  | GraphIntentMessage
  /** The graph as a PNG (the user pressed PNG, or the answer to renderPng). */
  | { readonly type: 'png'; readonly data: Uint8Array }
  /**
   * The webview drew the graph: what it drew (lets the host, and tests, know the data arrived), and
   * how much work it has done since it loaded — the messages it was sent, the graph's redraws, and the
   * frames in which it changed what is shown (text or graph): each such frame costs the browser a
   * layout, paint and commit of the workbench in code-server, so what changes together goes in one.
   */
  | { readonly type: 'rendered'; readonly watchId: string; readonly points: number; readonly lastTime: number; readonly messages: number; readonly draws: number; readonly frames: number };

/** A button's intent, as the webview sends it. */
export type GraphIntentMessage = { readonly [K in GraphIntent]: { readonly type: K } }[GraphIntent];

/** True when the message is one of GRAPH_INTENTS. */
export function isGraphIntentMessage(message: FromWebviewMessage): message is GraphIntentMessage {
  return isGraphIntent(message.type);
}

/** The eight bytes every PNG starts with. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A 4K screenshot of the graph is a few MiB; anything larger is not one. */
export const MAX_PNG_BYTES = 16 * 1024 * 1024;

/** The longest id a `rendered` message may name: a recording's is `recording:` and its file's URI. */
const MAX_SHOWN_ID_CHARS = 8192;

/** Validates a message from the webview; undefined for anything malformed or unknown. */
export function parseWebviewMessage(raw: unknown): FromWebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as Record<string, unknown>;
  if (isGraphIntent(msg.type)) return { type: msg.type };
  switch (msg.type) {
    case 'ready':
      return { type: 'ready' };
    case 'png':
      // A PNG of the graph: starts with the PNG signature, and is not bigger than a picture needs.
      return msg.data instanceof Uint8Array && msg.data.length > 8 && msg.data.length <= MAX_PNG_BYTES && PNG_SIGNATURE.every((b, i) => (msg.data as Uint8Array)[i] === b)
        ? { type: 'png', data: msg.data }
        : undefined;
    case 'select':
      return typeof msg.watchId === 'string' && msg.watchId.length > 0 && msg.watchId.length <= 64
        ? { type: 'select', watchId: msg.watchId }
        : undefined;
    case 'rendered':
      return typeof msg.watchId === 'string' &&
        // A recording's id holds its file's URI.
        msg.watchId.length <= MAX_SHOWN_ID_CHARS &&
        Number.isSafeInteger(msg.points) &&
        (msg.points as number) >= 0 &&
        typeof msg.lastTime === 'number' &&
        Number.isFinite(msg.lastTime) &&
        Number.isSafeInteger(msg.messages) &&
        (msg.messages as number) >= 0 &&
        Number.isSafeInteger(msg.draws) &&
        (msg.draws as number) >= 0 &&
        Number.isSafeInteger(msg.frames) &&
        (msg.frames as number) >= 0
        ? { type: 'rendered', watchId: msg.watchId, points: msg.points as number, lastTime: msg.lastTime, messages: msg.messages as number, draws: msg.draws as number, frames: msg.frames as number }
        : undefined;
    default:
      return undefined;
  }
}

/** Where the graph is shown: an editor tab, the compact view in the debug sidebar, a recording, or a Prometheus history (both read-only). */
export type GraphLayout = 'full' | 'compact' | 'recording' | 'history';

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
