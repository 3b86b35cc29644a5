/**
 * The API `activate()` returns, for other extensions (and our tests) to observe what Memory
 * Watch shows:
 *
 * ```ts
 * const api = vscode.extensions.getExtension<MemoryWatchApi>('memorywatch.memory-watch')!.exports;
 * api.onDidSample(({ pid, sample }) => console.log(pid, sample.rss));
 * await vscode.commands.executeCommand('memoryWatch.attach', { pid: 1234 });
 * ```
 */
import vscode = require('vscode');
import type { ReleaseReport } from '../core/release/measure';
import type { MemorySample } from '../core/sampling/types';
import type { SeriesSnapshot } from '../shared/series';
import type { Watch } from '../core/watch';
import { describeWatch } from '../core/describeWatch';
import { Disposable } from '../core/util/lifecycle';
import type { WatchRegistry } from '../core/watchRegistry';
import type { GraphRendered } from './graphFeed';
import { GraphPanel } from './graphPanel';
import type { WatchSummary } from '../shared/watchSummary';
import type { HeapViewRow, HeapViewState } from '../shared/heap/viewTypes';
import type { RecordingEditorInfo } from './recordings';
export type { RecordingEditorInfo } from './recordings';

/** One watched process, as the UI shows it (see WatchSummary), with its full latest sample. */
export interface WatchInfo extends Omit<WatchSummary, 'latest'> {
  /** The status bar and graph follow this one. */
  readonly current: boolean;
  readonly latest?: MemorySample;
  readonly peakRss?: number;
}

export interface MemoryWatchApi {
  readonly apiVersion: 1;
  /** Watched processes, in the order they were attached (ended ones stay until detached). */
  watches(): WatchInfo[];
  /** Fires for every sample of every watch. */
  readonly onDidSample: vscode.Event<{ readonly watchId: string; readonly pid: number; readonly sample: MemorySample }>;
  /** Fires when a watch is added, removed, selected or ends. */
  readonly onDidChangeWatches: vscode.Event<void>;
  /** The samples and markers of a watch: what the graph draws. */
  series(watchId: string): SeriesSnapshot | undefined;
  /** What the status bar item shows now. */
  statusBar(): { readonly visible: boolean; readonly text: string; readonly tooltip: string };
  /** The graph panel: open, visible, and what its webview last reported drawing. */
  graph(): { readonly open: boolean; readonly visible: boolean; readonly rendered?: GraphRendered };
  /** The Memory view in the Run and Debug sidebar: visible, and what it last drew. */
  debugView(): { readonly visible: boolean; readonly rendered?: GraphRendered };
  /** The last FreeOSMemory report (also returned by the command). */
  lastRelease(): ReleaseReport | undefined;
  /** The heap view (memoryWatch.showHeapProfile): what it shows, what it drew, the editor hints. */
  heapView?(): HeapViewInfo;
  /** The open recording editors (.memwatch.json): what each drew, or the line that says why its file was refused. */
  recordings?(): readonly RecordingEditorInfo[];
  /** The open Prometheus histories (memoryWatch.openFromPrometheus): each replica, its markers and diagnosis, what was drawn. */
  histories?(): readonly HistoryViewInfo[];
}

/** A Prometheus history view, as {@link MemoryWatchApi.histories} describes it. */
export interface HistoryViewInfo {
  /** Its id: `{ history: id }` names its replica shown to Save, Compare With… and Export CSV. */
  readonly id: string;
  /** The server's URL (never credentials) and the selector read. */
  readonly server: string;
  readonly selector: string;
  /** The range read and its step, Unix ms. */
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  /** Which replica peaked highest and which grew fastest. */
  readonly headline: string;
  /** The replicas not drawn, in a line. */
  readonly others?: string;
  readonly notes: readonly string[];
  /** The replica shown. */
  readonly selectedId: string;
  readonly visible: boolean;
  /** What the webview last reported drawing. */
  readonly rendered?: { readonly watchId: string; readonly points: number; readonly lastTime: number };
  /** The replicas drawn, highest peak first. */
  readonly replicas: readonly {
    readonly id: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly peakRss: number;
    readonly peakTime: number;
    readonly growth?: { readonly bytesPerHour: number; readonly from: number; readonly to: number };
    readonly restarts: number;
    readonly oomKills: number;
    readonly goVersion?: string;
    readonly goFrom?: string;
    readonly containerLimit?: number;
    readonly diagnosis?: WatchSummary['diagnosis'];
    readonly advice?: WatchSummary['advice'];
    /** The series' columns that have values, and how many points. */
    readonly columns: readonly string[];
    readonly points: number;
    readonly markers: readonly { readonly time: number; readonly endTime?: number; readonly kind: string; readonly label: string; readonly detail?: string; readonly bytes?: number }[];
    /** Read in full (Go figures, VSZ, gaps); the others have RSS, restarts and container figures until picked. */
    readonly detailed: boolean;
  }[];
  /** About the replica shown: its details being read, or why they could not be. */
  readonly status?: string;
  /** Shows another replica, as picking it in the graph's selector does (its details read first); resolves true once shown in full. */
  select(replicaId: string): Promise<boolean>;
}

/** The heap view, as {@link MemoryWatchApi.heapView} describes it. */
export interface HeapViewInfo {
  readonly open: boolean;
  readonly visible: boolean;
  /** The watch it shows. */
  readonly watchId?: string;
  /** What the host last sent it: the status, the profile's figures, every row with its source. */
  readonly state?: HeapViewState;
  /** What it last reported drawing: the person's choices and its first rows, in order. */
  readonly rendered?: {
    readonly version: number;
    readonly sample: 'inuse' | 'alloc';
    readonly grouping: 'site' | 'function' | 'cumulative';
    readonly order: 'size' | 'growth';
    readonly rows: readonly HeapViewRow[];
  };
  /** The inline hints set in visible editors now: file, 1-based line, text. */
  readonly hints: readonly { readonly file: string; readonly line: number; readonly text: string }[];
  /**
   * Handles a message as if the view had sent it — validated by the same parseHeapViewMessage —
   * e.g. `{ type: 'open', list: 'sites', key }` opens that row's line. Resolves once handled.
   */
  receive(message: unknown): Promise<void>;
}

/** What the API reads from: the services and views activate() built. */
export interface ApiSources {
  readonly registry: WatchRegistry;
  readonly statusBar: { describe(): ReturnType<MemoryWatchApi['statusBar']> };
  readonly debugView: { readonly visible: boolean; readonly rendered?: GraphRendered };
  readonly commands: { readonly lastRelease: ReleaseReport | undefined };
  readonly heapView: { describe(): HeapViewInfo };
  readonly recordings: { describe(): readonly RecordingEditorInfo[] };
  readonly histories: { describe(): readonly HistoryViewInfo[] };
}

/** The API activate() returns, and the events it fires for as long as the extension lives. */
export class ExtensionApi extends Disposable {
  readonly api: MemoryWatchApi;

  constructor(sources: ApiSources) {
    super();
    const { registry, statusBar, debugView, commands, heapView, recordings, histories } = sources;
    const sampleEmitter = this.register(new vscode.EventEmitter<{ watchId: string; pid: number; sample: MemorySample }>());
    const changeEmitter = this.register(new vscode.EventEmitter<void>());
    this.register(registry.onDidSample(({ watch, sample }) => sampleEmitter.fire({ watchId: watch.id, pid: watch.pid, sample })));
    this.register(registry.onDidChange(() => changeEmitter.fire()));
    this.api = {
      apiVersion: 1,
      watches: () => registry.list().map((w) => toWatchInfo(w, registry.current)),
      onDidSample: sampleEmitter.event,
      onDidChangeWatches: changeEmitter.event,
      series: (watchId) => registry.get(watchId)?.series.snapshot(),
      statusBar: () => statusBar.describe(),
      graph: () => ({ open: GraphPanel.current !== undefined, visible: GraphPanel.current?.visible ?? false, rendered: GraphPanel.current?.rendered }),
      debugView: () => ({ visible: debugView.visible, rendered: debugView.rendered }),
      lastRelease: () => commands.lastRelease,
      heapView: () => heapView.describe(),
      recordings: () => recordings.describe(),
      histories: () => histories.describe(),
    };
  }
}

export function toWatchInfo(watch: Watch, current: Watch | undefined): WatchInfo {
  return { ...describeWatch(watch), current: watch === current, latest: watch.latest, peakRss: watch.peakRss };
}
