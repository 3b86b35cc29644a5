/**
 * What a watch looks like from outside — to the graph, the sidebar view and the API — as plain
 * data (it crosses to the webview as JSON). Types only, so the webview can share them without
 * pulling in Node; describeWatch.ts builds one from a Watch.
 */
import type { AdviceKind, DiagnosisKind } from './diagnosisKinds';

/** A watch samples until its process exits or someone detaches it. */
export type WatchState = 'running' | 'exited' | 'detached';

/** Where the Go figures stand: looking, found, none to find, given up on, or turned off. */
export type GoFiguresState = 'searching' | 'found' | 'none' | 'stopped' | 'off';

export interface WatchSummary {
  /** Unique for the session (a PID can be reused). */
  readonly id: string;
  readonly pid: number;
  readonly name: string;
  readonly commandLine: string;
  readonly state: WatchState;
  /** Stopped in a debugger (drawn as a shaded band). */
  readonly paused: boolean;
  /** Why it ended, once it has ("Process 1234 has exited."). */
  readonly endReason?: string;
  /** The same in a word or two ("exited", "session ended"). */
  readonly endLabel?: string;
  /** "go1.26.8" when the executable is a Go program (its version when known), else "Go". */
  readonly go?: string;
  readonly latest?: { readonly time: number; readonly rss: number; readonly vsz?: number; readonly peakRss?: number };
  /** Time between samples, ms. */
  readonly intervalMs: number;
  /** The last failed sample's message while the watch goes on. */
  readonly failure?: string;
  /** Where the Go runtime's figures come from, or why there are none. */
  readonly goFigures: { readonly state: GoFiguresState; readonly text: string };
  /** The one-line diagnosis, when something stands out (running watches only). */
  readonly diagnosis?: {
    /** Absent only for a recording's diagnosis of a kind this version does not know. */
    readonly kind?: DiagnosisKind;
    readonly message: string;
    /** A heap profile can say which code it is about (the graph links the heap view). */
    readonly heapProfile?: boolean;
  };
  /** Advice on the settings next to it (GOMEMLIMIT against the container limit). */
  readonly advice?: readonly { readonly kind: AdviceKind; readonly message: string }[];
  /** Reached only through this URL (a port-forward): not a process of this machine. */
  readonly url?: string;
  /** A replica of a Prometheus history (not a process of this machine): its peak, restarts and OOM kills in the range. */
  readonly replica?: { readonly peakRss: number; readonly restarts: number; readonly oomKills: number };
  /** Its memory cgroup, when it has a limit: what the OOM killer acts on. */
  readonly container?: {
    readonly limit: number;
    readonly workingSet: number;
    readonly usage: number;
    /** "working set 412.0 MiB of 512.0 MiB limit, 80 %". */
    readonly headroom: string;
    readonly oomKills?: number;
  };
}
