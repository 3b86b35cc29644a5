/**
 * A watch: one process, sampled on a loop into a bounded series, until it exits or is detached.
 * It samples on the clock all watches of its interval share (sampleClock.ts: one timer for all);
 * a beat that finds the previous read still under way is skipped, so a slow sample can never
 * overlap the next or pile up, and stopping leaves the clock (no timer behind).
 *
 * The process is a local one (by PID: OS figures, its memory cgroup, Go figures found by
 * discovery) or one reached only by URL (a port-forward: everything comes from its agent — the
 * URL's port belongs to a forwarder, never to a local process). A watch whose process exited can
 * be resumed on its successor (a supervisor restarted it): the same series goes on, with a marker.
 */
import { CgroupFigures, CgroupReader, openCgroupReader } from './cgroup/reader';
import { formatBytes } from './format';
import { Disposable, Emitter, Event, IDisposable } from './util/lifecycle';
import { openMemoryReader } from './sampling/reader';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './sampling/types';
import { describeProcess, ProcessInfo } from './processes/processInfo';
import { capacityFor, SeriesColumn, SeriesEvent, TimeSeries } from './series';
import { missedPeak } from './missedPeak';
import { sampleClock } from './sampleClock';
import type { GoFigures } from './goruntime/figures';
import { GoRuntimeTracker } from './goruntime/tracker';
import type { UrlTarget } from './remote/urlTarget';
import { HelperReading, SamplerHelper, SamplerHelperEnd } from './sampling/samplerHelper';

import type { WatchState } from './watchSummary';

export type { WatchState };

export interface WatchOptions {
  /** Time between samples, ms (at least MIN_INTERVAL_MS). */
  readonly intervalMs: number;
  /** History kept, ms. */
  readonly windowMs: number;
  /**
   * The sampler helper (samplerHelper.ts), where there is one: it takes the samples of a local
   * Linux process at intervals under HELPER_BELOW_INTERVAL_MS. Without it the host samples.
   */
  readonly samplerHelper?: SamplerHelperConfig;
}

export interface SamplerHelperConfig {
  /** The memwatch-sampler executable (looked for when first needed), or undefined: none here. */
  readonly path: () => string | undefined;
  /** Says why a helper failed (the watch then samples by itself). */
  readonly log?: (message: string) => void;
  /** How long a silent helper is waited for (samplerHelper.ts, HELPER_STALL_MS); for the tests. */
  readonly stallMs?: number;
  /** How often it hands over its samples (HELPER_BATCH_MS); for the tests. */
  readonly batchMs?: number;
}

/**
 * The helper samples at intervals shorter than this: at 1 s or more the host wakes once a second
 * anyway, and a batch would only make the figures later.
 */
export const HELPER_BELOW_INTERVAL_MS = 1000;
/** A helper hands over its samples this often: as often as the status bar and the graph follow (SAMPLES_EVERY_MS). */
export const HELPER_BATCH_MS = 1000;

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

/** Consecutive failed samples before the loop slows down (a lost port-forward is retried, not hammered). */
const FAILURES_BEFORE_BACKOFF = 3;
const MAX_BACKOFF_MS = 10_000;

/** Shortest interval a burst may ask for (measuring a release). */
const MIN_BURST_INTERVAL_MS = 20;

let nextWatchNumber = 1;

/** A sample as one row of the series. */
export function seriesRow(sample: MemorySample): Partial<Record<SeriesColumn, number>> {
  // Figures carried over from an earlier read are already in the series, at the time of that read.
  const go = sample.goReadAt === undefined || sample.goReadAt === sample.time ? sample.go : undefined;
  return {
    rss: sample.rss,
    vsz: sample.vsz,
    rssAnon: sample.rssAnon,
    rssFile: sample.rssFile,
    lazyFree: sample.lazyFree,
    heapObjects: go?.heapObjects,
    heapUnused: go?.heapUnused,
    heapFree: go?.heapFree,
    heapReleased: go?.heapReleased,
    stacks: go?.stacks,
    goTotal: go?.total,
    gcGoal: go?.gcGoal,
    gcCycles: go?.gcCycles,
    heapLive: go?.heapLive,
    memoryLimit: go?.memoryLimit,
    goRss: go?.processRss,
    missedPeak: sample.missedPeak,
    goroutines: go?.goroutines,
    cgroupUsage: sample.cgroup?.usage,
    cgroupWorkingSet: sample.cgroup?.workingSet,
    cgroupLimit: sample.cgroup?.limit,
    cgroupOomKills: sample.cgroup?.oomKills,
  };
}

/**
 * The sample a watch keeps: the reader's figures with the Go figures, the cgroup's and a missed peak
 * added, built as one literal so every sample has one shape. Spreading them in (`{ ...os, ...go }`)
 * went through V8's slow path for objects of changing shape: ≈ 5 % of a 10 Hz sample's CPU in perf.
 */
export function composeSample(os: MemorySample, go: { go: GoFigures; goReadAt: number } | undefined, cgroup: CgroupFigures | undefined, peakBetween: number | undefined): MemorySample {
  return {
    time: os.time,
    rss: os.rss,
    vsz: os.vsz,
    peakRss: os.peakRss,
    missedPeak: peakBetween,
    rssAnon: os.rssAnon,
    rssFile: os.rssFile,
    rssShmem: os.rssShmem,
    swap: os.swap,
    cpu: os.cpu,
    lazyFree: os.lazyFree,
    go: go ? go.go : os.go,
    goReadAt: go ? go.goReadAt : os.goReadAt,
    cgroup,
  };
}

/**
 * A local watch reads its memory cgroup at most this often: the limit, usage and working set move
 * slowly next to a 10 Hz sample, and reading memory.stat makes the kernel gather the cgroup's
 * statistics. The samples in between carry the last figures; the exit reads them afresh.
 */
export const CGROUP_MIN_INTERVAL_MS = 1000;

export class Watch extends Disposable {
  /** Unique for the session (a PID alone is not: it can be reused). */
  readonly id: string;
  readonly series: TimeSeries;

  private stateValue: WatchState = 'running';
  private reader: MemoryReader;
  private infoValue: ProcessInfo;
  private cgroupReader?: CgroupReader;
  /** The cgroup's OOM kill count at the last sample: a rise is an OOM kill (this process's, or another's). */
  private lastOomKills?: number;
  private lastCgroup?: CgroupFigures;
  /** The last Go figures read, carried by the samples until the next read. */
  private lastGo?: { readonly go: GoFigures; readonly goReadAt: number };
  /** When the cgroup was last read (sample time). */
  private lastCgroupRead?: number;
  private consecutiveFailures = 0;
  /** For a URL target: what answers there (agent, expvar, pprof) and its FreeOSMemory endpoint. */
  private remote?: UrlTarget;
  private latestSample?: MemorySample;
  private maxRssSeen = 0;
  private failure?: SampleError;
  private endMessage?: string;
  private endLabelText?: string;
  /** A one-off sample (a burst's first, or the next try after failures): off the clock until it ran. */
  private timer?: NodeJS.Timeout;
  /** The clock the watch samples on, and at which interval. */
  private onClock?: { readonly intervalMs: number; readonly membership: IDisposable };
  /** When the last sample began (ms): a beat right after a sample taken off the clock is skipped. */
  private lastTickAt = 0;
  private reading = false;
  private intervalMs: number;
  private burst?: { intervalMs: number; until: number };
  /** Set while the target is stopped in a debugger: the open pause band on the graph. */
  private pauseEventId?: number;
  /** Reads the Go runtime's figures, when the program exposes them. */
  private goTracker?: GoRuntimeTracker;
  /** Shown by the status bar and the graph (the current watch): its costlier figures are read at the full rate. */
  private shown = true;
  private helperConfig?: SamplerHelperConfig;
  /** The helper taking the samples (instead of the clock), and at which interval. */
  private helper?: { readonly intervalMs: number; readonly process: SamplerHelper };
  /** A helper failed for this process: the watch samples by itself until a restart. */
  private helperFailed = false;
  /** The helper's batches, taken one after another (a batch may wait for the Go figures). */
  private batches: Promise<void> = Promise.resolve();

  private readonly sampleEmitter = this.register(new Emitter<MemorySample>());
  private readonly failureEmitter = this.register(new Emitter<SampleError>());
  private readonly stateEmitter = this.register(new Emitter<WatchState>());
  private readonly eventEmitter = this.register(new Emitter<SeriesEvent>());
  private readonly goStatusEmitter = this.register(new Emitter<void>());
  private goStatusSubscription?: IDisposable;

  /** Each successful sample. */
  readonly onDidSample: Event<MemorySample> = this.sampleEmitter.event;
  /** A sample failed but the process is still there (the watch goes on). */
  readonly onDidFail: Event<SampleError> = this.failureEmitter.event;
  /** The watch ended (exited or detached). */
  readonly onDidChangeState: Event<WatchState> = this.stateEmitter.event;
  /** A marker was added to (or updated in) the series. */
  readonly onDidAddEvent: Event<SeriesEvent> = this.eventEmitter.event;
  /** Where its Go figures come from changed (found, lost, none). */
  readonly onDidChangeGoStatus: Event<void> = this.goStatusEmitter.event;

  private constructor(
    reader: MemoryReader,
    info: ProcessInfo,
    options: WatchOptions,
    /** A local process, or one reached by URL. */
    readonly target: WatchTarget,
    private readonly goRuntimeFactory?: (pid: number) => GoRuntimeTracker,
  ) {
    super();
    this.reader = reader;
    this.infoValue = info;
    this.id = `${target.kind === 'url' ? 'url' : reader.identity.pid}-${nextWatchNumber++}`;
    this.intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    this.helperConfig = options.samplerHelper;
    this.series = new TimeSeries(options.windowMs, capacityFor(options.windowMs, this.intervalMs));
  }

  /**
   * Starts watching a process: checks it exists and can be read, takes the first sample, then
   * samples on a loop. Rejects with a SampleError (nothing is left running) when it cannot.
   */
  static async start({ pid, options, expected, why, goRuntime }: WatchStart): Promise<Watch> {
    const { reader, info, cgroup } = await openLocal(pid, expected);
    try {
      const first = await reader.read();
      const watch = new Watch(reader, info, options, { kind: 'process' }, goRuntime);
      watch.cgroupReader = cgroup;
      watch.setTracker(goRuntime?.(pid));
      watch.addEvent({ time: first.time, kind: 'attach', label: why?.label ?? 'attached', detail: why?.detail ?? `Attached to ${info.name} (PID ${pid})` });
      watch.accept(first);
      watch.scheduleAfter();
      return watch;
    } catch (err) {
      reader.close();
      cgroup?.close();
      throw toSampleError(err, pid);
    }
  }

  /** Starts watching a process through its URL (the reader reached it already). Rejects when the first read fails. */
  static async startRemote({ target, options, why }: RemoteWatchStart): Promise<Watch> {
    const { reader, info, url } = target;
    try {
      const first = await reader.read();
      const watch = new Watch(reader, info, options, { kind: 'url', url });
      watch.remote = target;
      watch.addEvent({ time: first.time, kind: 'attach', label: why?.label ?? 'attached', detail: why?.detail ?? `Watching ${info.name} through ${url}` });
      watch.accept(first);
      watch.scheduleAfter();
      return watch;
    } catch (err) {
      reader.close();
      throw err instanceof SampleError ? err : new SampleError('failed', (err as Error).message);
    }
  }

  /**
   * Goes on watching in the same series after the process exited and a successor took its place
   * (a supervisor restarted it): a "restarted" marker joins the two runs. Rejects (the watch stays
   * ended) when the new process cannot be watched.
   */
  async resume(pid: number, why: AttachReason): Promise<void> {
    if (this.target.kind !== 'process') throw new SampleError('failed', 'Only a local process can be resumed.');
    if (this.stateValue === 'running' || this.disposed) throw new SampleError('failed', 'The watch is not waiting for a restart.');
    const { reader, info, cgroup } = await openLocal(pid);
    let first: MemorySample;
    try {
      first = await reader.read();
    } catch (err) {
      reader.close();
      cgroup?.close();
      throw toSampleError(err, pid);
    }
    // Resumed (or disposed) by someone else while this one was opening: keep theirs.
    if ((this.stateValue as WatchState) === 'running' || this.disposed) {
      reader.close();
      cgroup?.close();
      return;
    }
    const previous = this.pid;
    this.reader = reader;
    reader.setShown?.(this.shown);
    this.infoValue = info;
    this.cgroupReader = cgroup;
    this.lastOomKills = undefined;
    this.lastCgroup = undefined;
    this.lastCgroupRead = undefined;
    this.lastGo = undefined;
    // A new process: its own high-water mark and Go figures (its ports, its agent).
    this.latestSample = undefined;
    this.maxRssSeen = 0;
    this.setTracker(this.goRuntimeFactory?.(pid));
    this.stateValue = 'running';
    this.endMessage = undefined;
    this.endLabelText = undefined;
    this.failure = undefined;
    this.consecutiveFailures = 0;
    this.helperFailed = false;
    this.addEvent({ time: first.time, kind: 'restart', label: why.label, detail: `${why.detail} (PID ${previous} → ${pid})` });
    this.accept(first);
    this.scheduleAfter();
    this.stateEmitter.fire('running');
  }

  get pid(): number {
    return this.reader.identity.pid;
  }

  /** The process: its name, command line, Go build information (a restart can change it). */
  get info(): ProcessInfo {
    return this.infoValue;
  }

  /** A local process (its PID is one of this machine's). */
  get isLocal(): boolean {
    return this.target.kind === 'process';
  }

  /**
   * What the heap profile says about the growth, once a profile and a baseline exist ("91 % of the
   * growth … was allocated at store.(*LRU).Add (store.go:57)"): the diagnosis names it.
   */
  heapFinding?: string;

  /** For a URL target: what answers at the URL. */
  get remoteSource(): Pick<UrlTarget, 'description' | 'kind' | 'freeOSMemoryUrl' | 'baseUrl'> | undefined {
    return this.remote;
  }

  /** Its memory cgroup at the last sample, when it is in one. */
  get cgroup(): CgroupFigures | undefined {
    return this.lastCgroup;
  }

  get identity(): ProcessIdentity {
    return this.reader.identity;
  }

  get state(): WatchState {
    return this.stateValue;
  }

  get latest(): MemorySample | undefined {
    return this.latestSample;
  }

  /** Highest RSS: the OS's own figure where it keeps one (Linux VmHWM), else the highest we sampled. */
  get peakRss(): number | undefined {
    return this.latestSample?.peakRss ?? (this.maxRssSeen || undefined);
  }

  /** The last failed sample while the watch goes on; cleared by the next good one. */
  get lastFailure(): SampleError | undefined {
    return this.failure;
  }

  /** Why the watch ended, once it has. */
  get endReason(): string | undefined {
    return this.endMessage;
  }

  /** A word or two for the status bar: "exited", "detached", "session ended". */
  get endLabel(): string | undefined {
    return this.endLabelText;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /**
   * Whether the status bar and the graph show this watch. One not shown samples RSS at its full
   * rate but reads its Go figures, CPU time and LazyFree less often (tracker.ts, procfs.ts).
   */
  setShown(shown: boolean): void {
    this.shown = shown;
    this.reader.setShown?.(shown);
    this.goTracker?.setShown(shown);
  }

  /** Where its Go figures come from (undefined when not looked for). */
  get goRuntime(): GoRuntimeTracker | undefined {
    return this.goTracker;
  }

  /**
   * True while the target is stopped in a debugger. It cannot answer HTTP then (a request would
   * hang until it runs again); reading its memory from the OS still works.
   */
  get paused(): boolean {
    return this.pauseEventId !== undefined;
  }

  /** Marks the target stopped or running again; a pause is a shaded band on the graph. */
  setPaused(paused: boolean, label = 'paused'): void {
    if (paused === this.paused) return;
    if (paused) {
      this.pauseEventId = this.addEvent({ time: Date.now(), kind: 'pause', label, band: true, detail: 'Stopped in the debugger' }).id;
      return;
    }
    const ended = this.series.endEvent(this.pauseEventId!, Date.now());
    this.pauseEventId = undefined;
    if (ended) this.eventEmitter.fire(ended);
  }

  /** Applies new settings: the interval from the next beat on. */
  configure(options: WatchOptions): void {
    this.intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    this.helperConfig = options.samplerHelper;
    const capacity = capacityFor(options.windowMs, this.intervalMs);
    if (options.windowMs !== this.series.window || capacity !== this.series.capacity) this.series.resize(options.windowMs, capacity);
    // On the clock or the helper: over to the new interval's now, or from the helper to the clock
    // (after failures, the next try goes back to either).
    if (this.onClock || this.helper) this.followClock(this.currentInterval(Date.now()));
  }

  /** Adds a marker to the series and tells listeners. */
  addEvent(event: Omit<SeriesEvent, 'id'>): SeriesEvent {
    const added = this.series.addEvent(event);
    this.eventEmitter.fire(added);
    return added;
  }

  /**
   * Samples every `intervalMs` for `durationMs` (measuring a release), starting now. Returns a
   * promise for the first sample of the burst (a fresh "before"); the watch's own interval resumes
   * afterwards.
   */
  startBurst(intervalMs: number, durationMs: number): Promise<MemorySample> {
    if (this.stateValue !== 'running') return Promise.reject(new SampleError('exited', this.endMessage ?? 'The watch has ended.'));
    this.burst = { intervalMs: Math.max(MIN_BURST_INTERVAL_MS, intervalMs), until: Date.now() + durationMs };
    if (this.helper) {
      // The samples a helper holds go into the series first; the burst's first sample comes after them.
      return this.retireHelper().then(() => {
        if (this.stateValue !== 'running') throw new SampleError('exited', this.endMessage ?? 'The watch has ended.');
        const first = this.nextSample();
        if (!this.reading) this.schedule(0);
        return first;
      });
    }
    const first = this.nextSample();
    // Sample now unless a read is already under way (its result will come first).
    if (!this.reading) this.schedule(0);
    return first;
  }

  /** Ends a burst early. */
  stopBurst(): void {
    this.burst = undefined;
  }

  /** Resolves with the next successful sample; rejects if the watch ends or sampling fails first. */
  nextSample(): Promise<MemorySample> {
    return new Promise((resolve, reject) => {
      const subs = [
        this.onDidSample((s) => {
          subs.forEach((d) => d.dispose());
          resolve(s);
        }),
        this.onDidFail((e) => {
          subs.forEach((d) => d.dispose());
          reject(e);
        }),
        this.onDidChangeState(() => {
          subs.forEach((d) => d.dispose());
          reject(new SampleError('exited', this.endMessage ?? 'The watch has ended.'));
        }),
      ];
    });
  }

  /** Stops sampling (for good, unless resumed after a restart); the series stays for the graph. */
  stop(state: 'exited' | 'detached', message: string, end?: WatchEnd): void {
    if (this.stateValue !== 'running') return;
    this.setPaused(false);
    this.clearTimer();
    this.killHelper();
    this.reader.close();
    this.cgroupReader?.close();
    this.cgroupReader = undefined;
    this.stateValue = state;
    this.endMessage = message;
    const { kind, label, endLabel, bytes } = end ?? { kind: state === 'exited' ? 'exit' : 'detach', label: state };
    this.endLabelText = endLabel ?? label;
    this.addEvent({ time: Date.now(), kind, label, detail: message, ...(bytes !== undefined ? { bytes } : {}) });
    this.stateEmitter.fire(state);
  }

  override dispose(): void {
    this.stop('detached', 'Detached.');
    this.setTracker(undefined);
    super.dispose();
  }

  /** A new tracker for the Go figures (a new process); the old one is disposed. */
  private setTracker(tracker: GoRuntimeTracker | undefined): void {
    this.goStatusSubscription?.dispose();
    this.goTracker?.dispose();
    this.goTracker = tracker;
    tracker?.setShown(this.shown);
    this.goStatusSubscription = tracker?.onDidChangeStatus(() => this.goStatusEmitter.fire());
    if (tracker) this.goStatusEmitter.fire();
  }

  private currentInterval(now: number): number {
    if (this.burst && now < this.burst.until) return this.burst.intervalMs;
    this.burst = undefined;
    return this.intervalMs;
  }

  /** One sample in `delayMs`, off the clock; the loop goes back to the clock after it. */
  private schedule(delayMs: number): void {
    this.clearTimer();
    if (this.stateValue !== 'running') return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  /**
   * Samples go on at `intervalMs`: taken by a sampler helper where one can (a local Linux process,
   * under a second), else on the shared clock. Already so: nothing to do, as at most samples.
   */
  private followClock(intervalMs: number): void {
    if (this.helperCanSample(intervalMs)) {
      if (this.helper?.intervalMs === intervalMs && !this.timer && !this.onClock) return;
      this.clearTimer();
      if (this.stateValue !== 'running') return;
      this.killHelper();
      this.startHelper(intervalMs);
      return;
    }
    if (this.onClock?.intervalMs === intervalMs && !this.timer && !this.helper) return;
    this.clearTimer();
    this.killHelper();
    if (this.stateValue !== 'running') return;
    this.onClock = { intervalMs, membership: sampleClock.join(intervalMs, () => this.onBeat(intervalMs)) };
  }

  private helperCanSample(intervalMs: number): boolean {
    return (
      intervalMs < HELPER_BELOW_INTERVAL_MS &&
      // A burst (measuring a release) samples by itself, faster and at once.
      intervalMs === this.intervalMs &&
      !this.helperFailed &&
      this.target.kind === 'process' &&
      this.reader.fromStatus !== undefined &&
      this.helperConfig?.path() !== undefined
    );
  }

  private startHelper(intervalMs: number): void {
    const config = this.helperConfig!;
    const process: SamplerHelper = SamplerHelper.start({
      path: config.path()!,
      identity: this.reader.identity,
      intervalMs,
      flushMs: config.batchMs ?? HELPER_BATCH_MS,
      stallMs: config.stallMs,
      onReadings: (readings) => {
        if (this.helper?.process === process || this.retiring === process) this.batches = this.batches.then(() => this.takeBatch(readings));
      },
      onEnd: (end) => this.onHelperEnd(process, end),
    });
    this.helper = { intervalMs, process };
    // LazyFree too, while a helper runs (without one, the reader reads it in the thread pool).
    this.reader.readLazyFreeVia?.(() => this.helper?.process.readLazyFree() ?? false);
  }

  /** A helper being stopped whose last samples still count. */
  private retiring?: SamplerHelper;

  /** Stops the helper; what it holds is dropped (the watch stops, or moves to another interval). */
  private killHelper(): void {
    this.helper?.process.kill();
    this.helper = undefined;
  }

  /** Stops the helper; what it holds goes into the series first (the promise resolves once it has). */
  private retireHelper(): Promise<void> {
    const helper = this.helper?.process;
    this.helper = undefined;
    if (!helper) return Promise.resolve();
    this.retiring = helper;
    return helper.stop().then(() => this.batches).finally(() => {
      if (this.retiring === helper) this.retiring = undefined;
    });
  }

  /**
   * The helper ended by itself: the process is gone, or the helper failed. A sample taken here
   * says which (and ends the watch, or goes on without the helper, on the clock).
   */
  private onHelperEnd(process: SamplerHelper, end: SamplerHelperEnd): void {
    if (this.helper?.process !== process) return;
    this.helper = undefined;
    if (end.kind === 'failed') {
      this.helperFailed = true;
      this.helperConfig?.log?.(`Sampler helper for ${this.info.name} (PID ${this.pid}): ${end.message}. Memory Watch samples it by itself.`);
    }
    void this.batches.then(() => {
      if (this.stateValue === 'running' && !this.helper && !this.onClock && !this.timer) {
        // Gone but not yet seen so by our reader's own files: one more sample says.
        if (end.kind === 'gone') this.helperFailed = true;
        void this.tick();
      }
    });
  }

  /**
   * A batch from the helper: the Go figures (when due) read once, going with its newest sample, and
   * every sample in order; one that cannot be read is a failed sample, the others still count.
   */
  private async takeBatch(readings: readonly HelperReading[]): Promise<void> {
    if (this.stateValue !== 'running' || !this.reader.fromStatus) return;
    let newest = readings.length - 1;
    while (newest > 0 && readings[newest].kind !== 'sample') newest--;
    this.reading = true;
    try {
      // The samples are up to a second old, what is read with them (CPU time, the cgroup) is of
      // now. So first: does the process still run? If not (killed since), its last samples go in
      // with the figures read before, then its end — an OOM kill count that rose in the meantime is
      // its own, not another process's.
      const gone = this.goneNow();
      const goRead = gone ? undefined : this.goTracker?.figures(this.paused);
      const fresh = goRead && (await goRead);
      for (let i = 0; i < readings.length && this.stateValue === 'running'; i++) {
        const reading = readings[i];
        if (reading.kind === 'lazyFree') {
          // In the order taken: the samples after it carry it.
          this.reader.lazyFreeRead?.(reading.smaps, reading.costMs);
          continue;
        }
        try {
          const os = this.reader.fromStatus(reading.time, reading.status, !gone);
          const go = this.withLastGoFigures(os.time, i === newest ? fresh : undefined);
          this.recovered(os.time);
          this.accept(os, go, !gone);
        } catch (err) {
          if (this.sampleFailed(err) === 'ended') return;
        }
      }
      if (gone && this.stateValue === 'running') this.endOnExit(gone);
    } finally {
      this.reading = false;
    }
  }

  /** Why the process is gone now, if it is. */
  private goneNow(): SampleError | undefined {
    try {
      this.reader.checkAlive?.();
      return undefined;
    } catch (err) {
      const error = toSampleError(err, this.pid);
      return error.reason === 'exited' || error.reason === 'no-such-process' || error.reason === 'reused' ? error : undefined;
    }
  }

  /** A good sample after failures: the failure is over (a marker says so). */
  private recovered(time: number): void {
    if (this.failure) this.addEvent({ time, kind: 'note', label: 'reconnected', detail: `Reading again after: ${this.failure.message}` });
    this.failure = undefined;
    this.consecutiveFailures = 0;
  }

  /** A sample failed: the process is gone (the watch ends), or it is still there (the watch goes on). */
  private sampleFailed(err: unknown): 'ended' | 'goes on' {
    const error = toSampleError(err, this.pid);
    if (error.reason === 'exited' || error.reason === 'no-such-process' || error.reason === 'reused') {
      this.endOnExit(error);
      return 'ended';
    }
    this.failed(error);
    return 'goes on';
  }

  /** A sample failed while the process is still there: the watch goes on. */
  private failed(error: SampleError): void {
    if (!this.failure && this.target.kind === 'url') this.addEvent({ time: Date.now(), kind: 'note', label: 'connection lost', detail: error.message });
    this.failure = error;
    this.consecutiveFailures++;
    this.failureEmitter.fire(error);
  }

  private onBeat(intervalMs: number): void {
    // A read still under way (a slow target): this beat is skipped, not queued.
    if (this.reading) return;
    // Sampled a moment ago off the clock (the first sample, a burst's): the next beat takes it,
    // so two samples are never less than half an interval apart.
    if (Date.now() - this.lastTickAt < intervalMs / 2) return;
    void this.tick();
  }

  /** The first sample was just taken: the next ones come with the clock. */
  private scheduleAfter(): void {
    // Our clock, not the sample's time: the beats are timed by it.
    this.lastTickAt = Date.now();
    this.followClock(this.currentInterval(this.lastTickAt));
  }

  /** Off the clock, no one-off sample pending. */
  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onClock?.membership.dispose();
    this.onClock = undefined;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stateValue !== 'running' || this.reading) return;
    const started = Date.now();
    this.lastTickAt = started;
    this.reading = true;
    const pidBefore = this.reader.identity.pid;
    try {
      // No promise to wait for when the reader and the Go figures need none (most samples).
      const os = this.reader.readSync ? this.reader.readSync() : await this.reader.read();
      // One loopback request at most, and none while stopped in a debugger.
      const goRead = this.goTracker?.figures(this.paused);
      const go = this.withLastGoFigures(os.time, goRead && (await goRead));
      if (this.stateValue !== 'running') return;
      this.recovered(os.time);
      // Behind a URL, a new process answers after a restart (a new pod): the same graph goes on, marked.
      if (this.target.kind === 'url' && this.reader.identity.pid !== pidBefore) {
        this.addEvent({ time: os.time, kind: 'restart', label: 'restarted', detail: `The process behind ${this.target.url} restarted (PID ${pidBefore} → ${this.reader.identity.pid}).` });
      }
      this.accept(os, go);
    } catch (err) {
      if (this.stateValue !== 'running' || this.sampleFailed(err) === 'ended') return;
    } finally {
      this.reading = false;
    }
    const now = Date.now();
    // Failing again and again (a lost port-forward): wait longer between tries, up to 10 s.
    const backoff = this.consecutiveFailures >= FAILURES_BEFORE_BACKOFF ? Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** (this.consecutiveFailures - FAILURES_BEFORE_BACKOFF + 1)) : 0;
    const interval = this.currentInterval(now);
    if (backoff > interval) this.schedule(Math.max(0, backoff - (now - started)));
    else this.followClock(interval);
  }

  /**
   * The cgroup's figures for `sample`: our own kept-open reader's (local process), read afresh at
   * most once a second and carried in between, else what the agent reported (a URL target). An OOM
   * kill count that rose while the process lives is a kill of another process in the same cgroup: a marker.
   */
  private cgroupFor(sample: MemorySample, readNow: boolean): CgroupFigures | undefined {
    let cgroup = sample.cgroup;
    if (this.cgroupReader && ((this.lastCgroupRead !== undefined && sample.time - this.lastCgroupRead < CGROUP_MIN_INTERVAL_MS * 0.9) || !readNow)) {
      // Read a moment ago (the kernel's memory.stat is not cheap to make), or not to be read for a
      // sample of a process gone since: the same figures.
      cgroup = this.lastCgroup;
    } else if (this.cgroupReader) {
      this.lastCgroupRead = sample.time;
      try {
        cgroup = this.cgroupReader.read();
      } catch {
        // The cgroup went away (or cannot be read any more): no cgroup figures from now on.
        this.cgroupReader.close();
        this.cgroupReader = undefined;
      }
    }
    if (cgroup?.oomKills !== undefined) {
      if (this.lastOomKills !== undefined && cgroup.oomKills > this.lastOomKills) {
        const limit = cgroup.limit !== undefined ? ` (limit ${formatBytes(cgroup.limit)})` : '';
        this.addEvent({
          time: sample.time,
          kind: 'oom',
          label: 'OOM kill',
          detail: `The OOM killer killed ${cgroup.oomKills - this.lastOomKills === 1 ? 'a process' : `${cgroup.oomKills - this.lastOomKills} processes`} in this cgroup${limit} — not ${this.info.name}, which is still running.`,
        });
      }
      this.lastOomKills = cgroup.oomKills;
    }
    this.lastCgroup = cgroup;
    return cgroup;
  }

  /**
   * The process is gone. Its cgroup outlives it for a moment: if the cgroup's OOM kill count rose
   * since the last sample, the kernel's OOM killer ended it — say so, with the limit and the real
   * peak (the last sample is often far below it). Exit status alone would not prove it.
   */
  private endOnExit(error: SampleError): void {
    let after: CgroupFigures | undefined;
    try {
      after = this.cgroupReader?.read();
    } catch {
      after = undefined;
    }
    if (after?.oomKills !== undefined && this.lastOomKills !== undefined && after.oomKills > this.lastOomKills) {
      const limit = after.limit ?? this.lastCgroup?.limit;
      const limitText = limit !== undefined ? ` (limit ${formatBytes(limit)})` : '';
      const peak = after.peak;
      const peakText = peak !== undefined ? `; the cgroup peaked at ${formatBytes(peak)}` : '';
      const last = this.latestSample ? ` (the last sample was ${formatBytes(this.latestSample.rss)} RSS${this.lastCgroup ? `, working set ${formatBytes(this.lastCgroup.workingSet)}` : ''})` : '';
      this.lastCgroup = after;
      const reached = limit !== undefined ? `its limit of ${formatBytes(limit)}` : 'its limit';
      this.stop('exited', `${this.info.name} (PID ${this.pid}) was killed by the OOM killer: its memory cgroup reached ${reached}${peakText}${last}.`, {
        kind: 'oom',
        label: `OOM-killed${limit !== undefined ? ` at ${formatBytes(limit)}` : ''}`,
        endLabel: `killed by the OOM killer${limitText}`,
        bytes: peak,
      });
      return;
    }
    this.stop('exited', error.message);
  }

  /**
   * The Go figures a sample carries: a fresh read, or the last one while the source is still
   * read on its own schedule (not after it failed for longer than that, and not while paused in
   * the debugger, when nothing is asked and old figures would pass for current ones).
   */
  private withLastGoFigures(time: number, fresh: GoFigures | undefined): { go: GoFigures; goReadAt: number } | undefined {
    if (fresh) return (this.lastGo = { go: fresh, goReadAt: time });
    const every = this.goTracker?.readEveryMs;
    if (this.paused || every === undefined || !this.lastGo || time - this.lastGo.goReadAt > 2 * every) this.lastGo = undefined;
    return this.lastGo;
  }

  /** Takes a reading of the OS (and the Go figures read with it) into the watch: the sample it keeps, the series, the listeners. */
  private accept(os: MemorySample, go?: { go: GoFigures; goReadAt: number }, readCgroup = true): void {
    const sample = composeSample(os, go, this.cgroupFor(os, readCgroup), missedPeak(this.latestSample, os));
    this.latestSample = sample;
    if (sample.rss > this.maxRssSeen) this.maxRssSeen = sample.rss;
    this.series.push(sample.time, seriesRow(sample));
    this.sampleEmitter.fire(sample);
  }
}

/** Opens what a local watch reads: the process's memory (bound to it), its description, its memory cgroup (Linux). */
async function openLocal(pid: number, expected?: ProcessIdentity): Promise<{ reader: MemoryReader; info: ProcessInfo; cgroup?: CgroupReader }> {
  const reader = await openMemoryReader(pid, expected);
  try {
    const info = await describeProcess(pid).catch((err: unknown) => {
      const e = toSampleError(err, pid);
      if (e.reason === 'exited' || e.reason === 'no-such-process') throw e;
      // Naming is best effort: a process we can sample but not describe is still worth watching.
      return { pid, name: `PID ${pid}`, commandLine: '' } satisfies ProcessInfo;
    });
    // No cgroup (another OS, the root cgroup, unreadable) just means no limit is known.
    const opened = process.platform === 'linux' ? openCgroupReader(pid) : undefined;
    return { reader, info, cgroup: opened?.ok ? opened.reader : undefined };
  } catch (err) {
    reader.close();
    throw err;
  }
}
