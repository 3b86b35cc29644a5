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
import * as vscode from 'vscode';
import type { ReleaseReport } from '../core/release/measure';
import type { MemorySample } from '../core/sampling/types';
import type { SeriesSnapshot } from '../core/series';
import type { Watch } from '../core/watch';
import { describeWatch } from '../core/describeWatch';
import type { WatchSummary } from '../core/watchSummary';

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
  graph(): { readonly open: boolean; readonly visible: boolean; readonly rendered?: { readonly watchId: string; readonly points: number; readonly lastTime: number } };
  /** The Memory view in the Run and Debug sidebar: visible, and what it last drew. */
  debugView(): { readonly visible: boolean; readonly rendered?: { readonly watchId: string; readonly points: number; readonly lastTime: number } };
  /** The last FreeOSMemory report (also returned by the command). */
  lastRelease(): ReleaseReport | undefined;
}

export function toWatchInfo(watch: Watch, current: Watch | undefined): WatchInfo {
  return { ...describeWatch(watch), current: watch === current, latest: watch.latest, peakRss: watch.peakRss };
}
