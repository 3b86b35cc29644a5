/** What a watch is started with, and how it ends: the types watch.ts, its sample sources and its callers share. */
import type { GoRuntimeTracker } from './goruntime/tracker';
import type { UrlTarget } from './remote/urlTarget';
import type { ProcessIdentity } from './sampling/types';
import type { SeriesEvent } from '../shared/series';
import type { SamplerHelperConfig } from './sources/samplerHelper';

export interface WatchOptions {
  /** Time between samples, ms (at least MIN_INTERVAL_MS). */
  readonly intervalMs: number;
  /** History kept, ms. */
  readonly windowMs: number;
  /**
   * The sampler helper (sources/samplerHelper.ts), where there is one: it takes the samples of a
   * local Linux process at intervals under a second. Without it the host samples.
   */
  readonly samplerHelper?: SamplerHelperConfig;
}

export const MIN_INTERVAL_MS = 100;

/** Why a watch started, for its first marker ("attached", or e.g. "debug" for a debug session). */
export interface AttachReason {
  readonly label: string;
  readonly detail: string;
}

/** What a watch watches: a local process, or a process reached only through a URL. */
export type WatchTarget = { readonly kind: 'process' } | { readonly kind: 'url'; readonly url: string };

/** What Watch.start needs. */
export interface WatchStart {
  readonly pid: number;
  readonly options: WatchOptions;
  /** The process it must be (PID + start time), e.g. after a window reload; any process with the PID otherwise. */
  readonly expected?: ProcessIdentity;
  /** Why it started: the first marker. */
  readonly why?: AttachReason;
  /** Makes the tracker that reads its Go figures (none: OS figures only). */
  readonly goRuntime?: (pid: number) => GoRuntimeTracker;
}

/** What Watch.startRemote needs: what already reached the process through its URL. */
export interface RemoteWatchStart {
  readonly target: UrlTarget;
  readonly options: WatchOptions;
  readonly why?: AttachReason;
}

/** How a watch ends, beyond its state: the marker, and the words for the status bar. */
export interface WatchEnd {
  readonly kind: SeriesEvent['kind'];
  /** On the graph's marker. */
  readonly label: string;
  /** In the status bar, after the name ("exited", "killed by the OOM killer (limit 512.0 MiB)"); the label when absent. */
  readonly endLabel?: string;
  readonly bytes?: number;
}
