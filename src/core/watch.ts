/**
 * A watch: one process, sampled on a loop into a bounded series, until it exits or is detached.
 * The loop chains one timeout after each finished read, so a slow sample can never overlap the
 * next (no setInterval pile-up), and stopping leaves no timer behind.
 */
import { Disposable, Emitter, Event } from './util/lifecycle';
import { openMemoryReader } from './sampling/reader';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './sampling/types';
import { describeProcess, ProcessInfo } from './processes/processInfo';
import { capacityFor, SeriesColumn, SeriesEvent, TimeSeries } from './series';
import { missedPeak } from './missedPeak';
import { GoRuntimeTracker } from './goruntime/tracker';

import type { WatchState } from './watchSummary';

export type { WatchState };

export interface WatchOptions {
  /** Time between samples, ms (at least MIN_INTERVAL_MS). */
  readonly intervalMs: number;
  /** History kept, ms. */
  readonly windowMs: number;
}

export const MIN_INTERVAL_MS = 100;

/** Why a watch started, for its first marker ("attached", or e.g. "debug" for a debug session). */
export interface AttachReason {
  readonly label: string;
  readonly detail: string;
}
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

/** Shortest interval a burst may ask for (measuring a release). */
const MIN_BURST_INTERVAL_MS = 20;

let nextWatchNumber = 1;

/** A sample as one row of the series. */
export function seriesRow(sample: MemorySample): Partial<Record<SeriesColumn, number>> {
  const go = sample.go;
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
  };
}

export class Watch extends Disposable {
  /** Unique for the session (a PID alone is not: it can be reused). */
  readonly id: string;
  readonly series: TimeSeries;

  private stateValue: WatchState = 'running';
  private latestSample?: MemorySample;
  private maxRssSeen = 0;
  private failure?: SampleError;
  private endMessage?: string;
  private endLabelText?: string;
  private timer?: NodeJS.Timeout;
  private reading = false;
  private intervalMs: number;
  private burst?: { intervalMs: number; until: number };
  /** Set while the target is stopped in a debugger: the open pause band on the graph. */
  private pauseEventId?: number;
  /** Reads the Go runtime's figures, when the program exposes them. */
  private goTracker?: GoRuntimeTracker;

  private readonly sampleEmitter = this.register(new Emitter<MemorySample>());
  private readonly failureEmitter = this.register(new Emitter<SampleError>());
  private readonly stateEmitter = this.register(new Emitter<WatchState>());
  private readonly eventEmitter = this.register(new Emitter<SeriesEvent>());

  /** Each successful sample. */
  readonly onDidSample: Event<MemorySample> = this.sampleEmitter.event;
  /** A sample failed but the process is still there (the watch goes on). */
  readonly onDidFail: Event<SampleError> = this.failureEmitter.event;
  /** The watch ended (exited or detached). */
  readonly onDidChangeState: Event<WatchState> = this.stateEmitter.event;
  /** A marker was added to (or updated in) the series. */
  readonly onDidAddEvent: Event<SeriesEvent> = this.eventEmitter.event;

  private constructor(
    private readonly reader: MemoryReader,
    readonly info: ProcessInfo,
    options: WatchOptions,
  ) {
    super();
    this.id = `${reader.identity.pid}-${nextWatchNumber++}`;
    this.intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    this.series = new TimeSeries(options.windowMs, capacityFor(options.windowMs, this.intervalMs));
  }

  /**
   * Starts watching a process: checks it exists and can be read, takes the first sample, then
   * samples on a loop. Rejects with a SampleError (nothing is left running) when it cannot.
   */
  static async start({ pid, options, expected, why, goRuntime }: WatchStart): Promise<Watch> {
    const reader = await openMemoryReader(pid, expected);
    try {
      const info = await describeProcess(pid).catch((err: unknown) => {
        const e = toSampleError(err, pid);
        if (e.reason === 'exited' || e.reason === 'no-such-process') throw e;
        // Naming is best effort: a process we can sample but not describe is still worth watching.
        return { pid, name: `PID ${pid}`, commandLine: '' } satisfies ProcessInfo;
      });
      const first = await reader.read();
      const watch = new Watch(reader, info, options);
      watch.goTracker = goRuntime?.(pid);
      watch.addEvent({ time: first.time, kind: 'attach', label: why?.label ?? 'attached', detail: why?.detail ?? `Attached to ${info.name} (PID ${pid})` });
      watch.accept(first);
      watch.schedule(watch.intervalMs);
      return watch;
    } catch (err) {
      reader.close();
      throw toSampleError(err, pid);
    }
  }

  get pid(): number {
    return this.reader.identity.pid;
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

  /** Applies new settings; the next sample uses them. */
  configure(options: WatchOptions): void {
    this.intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    const capacity = capacityFor(options.windowMs, this.intervalMs);
    if (options.windowMs !== this.series.window || capacity !== this.series.capacity) this.series.resize(options.windowMs, capacity);
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

  /** Stops sampling for good; the series stays for the graph. */
  stop(state: 'exited' | 'detached', message: string, marker?: { kind: SeriesEvent['kind']; label: string }): void {
    if (this.stateValue !== 'running') return;
    this.setPaused(false);
    this.clearTimer();
    this.reader.close();
    this.stateValue = state;
    this.endMessage = message;
    const { kind, label } = marker ?? { kind: state === 'exited' ? 'exit' : 'detach', label: state };
    this.endLabelText = label;
    this.addEvent({ time: Date.now(), kind, label, detail: message });
    this.stateEmitter.fire(state);
  }

  override dispose(): void {
    this.stop('detached', 'Detached.');
    this.goTracker?.dispose();
    super.dispose();
  }

  private currentInterval(now: number): number {
    if (this.burst && now < this.burst.until) return this.burst.intervalMs;
    this.burst = undefined;
    return this.intervalMs;
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    if (this.stateValue !== 'running') return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stateValue !== 'running' || this.reading) return;
    const started = Date.now();
    this.reading = true;
    try {
      const os = await this.reader.read();
      // One loopback request at most, and none while stopped in a debugger.
      const go = await this.goTracker?.figures(this.paused);
      if (this.stateValue !== 'running') return;
      this.failure = undefined;
      this.accept(go ? { ...os, go } : os);
    } catch (err) {
      if (this.stateValue !== 'running') return;
      const error = toSampleError(err, this.pid);
      if (error.reason === 'exited' || error.reason === 'no-such-process' || error.reason === 'reused') {
        this.stop('exited', error.message);
        return;
      }
      this.failure = error;
      this.failureEmitter.fire(error);
    } finally {
      this.reading = false;
    }
    const now = Date.now();
    this.schedule(Math.max(0, this.currentInterval(now) - (now - started)));
  }

  private accept(reading: MemorySample): void {
    const peak = missedPeak(this.latestSample, reading);
    const sample = peak === undefined ? reading : { ...reading, missedPeak: peak };
    this.latestSample = sample;
    if (sample.rss > this.maxRssSeen) this.maxRssSeen = sample.rss;
    this.series.push(sample.time, seriesRow(sample));
    this.sampleEmitter.fire(sample);
  }
}
