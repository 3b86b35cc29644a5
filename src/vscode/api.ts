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
import { diagnoseCached } from '../core/diagnosis';
import { describeGoStatus } from '../core/goruntime/describe';

/** One watched process, as the UI shows it. */
export interface WatchInfo {
  /** Unique for the session (a PID can be reused). */
  readonly id: string;
  readonly pid: number;
  readonly name: string;
  readonly commandLine: string;
  /** Go version ("go1.26.8") or "Go" when the executable is a Go program. */
  readonly go?: string;
  readonly state: 'running' | 'exited' | 'detached';
  /** Stopped in a debugger. */
  readonly paused: boolean;
  /** Why the watch ended (e.g. "Process 1234 has exited."). */
  readonly endReason?: string;
  /** The status bar and graph follow this one. */
  readonly current: boolean;
  readonly latest?: MemorySample;
  readonly peakRss?: number;
  readonly intervalMs: number;
  /** Where its Go runtime figures come from, or why there are none. */
  readonly goFigures: { readonly state: 'searching' | 'found' | 'none' | 'off'; readonly text: string };
  /** The one-line diagnosis, when something stands out. */
  readonly diagnosis?: { readonly kind: string; readonly message: string };
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
  return {
    id: watch.id,
    pid: watch.pid,
    name: watch.info.name,
    commandLine: watch.info.commandLine,
    go: watch.info.go ? (watch.info.go.version ?? 'Go') : undefined,
    state: watch.state,
    paused: watch.paused,
    endReason: watch.endReason,
    current: watch === current,
    latest: watch.latest,
    peakRss: watch.peakRss,
    intervalMs: watch.interval,
    goFigures: describeGoStatus(watch.goRuntime?.status, watch.paused),
    diagnosis: watch.state === 'running' ? diagnoseCached(watch.series) : undefined,
  };
}
