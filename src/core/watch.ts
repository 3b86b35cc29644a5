/**
 * A watch: one process, sampled into a bounded series until it exits or is detached. Its states
 * are running, exited and detached — exited can go back to running when a supervisor restarts the
 * process: the same series goes on with a marker, reading the new process (watchedProcess.ts).
 * When samples are taken, and by which sample source (the shared clock, the sampler helper), is
 * its loop's business (sources/loop.ts); the watch reads, keeps, tells, and ends.
 *
 * The process is a local one (by PID) or one reached only by URL (a port-forward: everything
 * comes from what answers there; the URL's port belongs to a forwarder, never a local process).
 */
import type { CgroupFigures } from './cgroup/reader';
import type { GoFigures } from './goruntime/figures';
import type { GoRuntimeTracker } from './goruntime/tracker';
import type { ProcessInfo } from './processes/processInfo';
import type { UrlTarget } from './remote/urlTarget';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './sampling/types';
import { capacityFor, SeriesEvent, TimeSeries } from '../shared/series';
import type { SampleSink } from './sources';
import { LoopHost, SamplingLoop } from './sources/loop';
import { Disposable, Emitter, Event, IDisposable } from './util/lifecycle';
import { WatchedProcess } from './watchedProcess';
import { seriesRow } from './watchSample';
import { AttachReason, MIN_INTERVAL_MS, RemoteWatchStart, WatchEnd, WatchOptions, WatchStart, WatchTarget } from './watchTypes';
import type { WatchState } from '../shared/watchSummary';

export type { WatchState };

let nextWatchNumber = 1;

export class Watch extends Disposable implements SampleSink, LoopHost {
  /** Unique for the session (a PID alone is not: it can be reused). */
  readonly id: string;
  readonly series: TimeSeries;
  /**
   * What the heap profile says about the growth, once a profile and a baseline exist ("91 % of the
   * growth … was allocated at store.(*LRU).Add (store.go:57)"): the diagnosis names it.
   */
  heapFinding?: string;

  private stateValue: WatchState = 'running';
  private process: WatchedProcess;
  private goStatusSubscription?: IDisposable;
  private failure?: SampleError;
  private failuresInARow = 0;
  private endMessage?: string;
  private endLabelText?: string;
  private optionsValue: WatchOptions;
  private intervalValue: number;
  /** When samples are taken, and by which source. */
  private readonly loop = new SamplingLoop(this, this);
  /** Set while the target is stopped in a debugger: the open pause band on the graph. */
  private pauseEventId?: number;
  /** Shown by the status bar and the graph (the current watch): its costlier figures are read at the full rate. */
  private shown = true;

  private readonly sampleEmitter = this.register(new Emitter<MemorySample>());
  private readonly failureEmitter = this.register(new Emitter<SampleError>());
  private readonly stateEmitter = this.register(new Emitter<WatchState>());
  private readonly eventEmitter = this.register(new Emitter<SeriesEvent>());
  private readonly goStatusEmitter = this.register(new Emitter<void>());
  /** Each successful sample. */
  readonly onDidSample: Event<MemorySample> = this.sampleEmitter.event;
  /** A sample failed but the process is still there (the watch goes on). */
  readonly onDidFail: Event<SampleError> = this.failureEmitter.event;
  /** The watch ended (exited or detached), or runs again (resumed). */
  readonly onDidChangeState: Event<WatchState> = this.stateEmitter.event;
  /** A marker was added to (or updated in) the series. */
  readonly onDidAddEvent: Event<SeriesEvent> = this.eventEmitter.event;
  /** Where its Go figures come from changed (found, lost, none). */
  readonly onDidChangeGoStatus: Event<void> = this.goStatusEmitter.event;

  private constructor(
    process: WatchedProcess,
    options: WatchOptions,
    /** A local process, or one reached by URL. */
    readonly target: WatchTarget,
    private readonly goRuntimeFactory?: (pid: number) => GoRuntimeTracker,
  ) {
    super();
    this.process = process;
    this.optionsValue = options;
    this.id = `${target.kind === 'url' ? 'url' : process.pid}-${nextWatchNumber++}`;
    this.intervalValue = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    this.series = new TimeSeries(options.windowMs, capacityFor(options.windowMs, this.intervalValue));
  }

  /** Starts watching a local process: its first sample, then the loop. Rejects with a SampleError (nothing left running) when it cannot. */
  static async start({ pid, options, expected, why, goRuntime }: WatchStart): Promise<Watch> {
    const { process, first } = await WatchedProcess.openLocal(pid, expected, goRuntime);
    const watch = new Watch(process, options, { kind: 'process' }, goRuntime);
    watch.begin(first, { time: first.time, kind: 'attach', label: why?.label ?? 'attached', detail: why?.detail ?? `Attached to ${process.info.name} (PID ${pid})` });
    return watch;
  }

  /** Starts watching a process through its URL (the reader reached it already). Rejects when the first read fails. */
  static async startRemote({ target, options, why }: RemoteWatchStart): Promise<Watch> {
    const { process, first } = await WatchedProcess.openRemote(target);
    const watch = new Watch(process, options, { kind: 'url', url: target.url });
    watch.begin(first, { time: first.time, kind: 'attach', label: why?.label ?? 'attached', detail: why?.detail ?? `Watching ${target.info.name} through ${target.url}` });
    return watch;
  }

  /**
   * Goes on in the same series after the process exited and a successor took its place (a
   * supervisor restarted it): a "restarted" marker joins the runs. Rejects when it cannot be watched.
   */
  async resume(pid: number, why: AttachReason): Promise<void> {
    if (this.target.kind !== 'process') throw new SampleError('failed', 'Only a local process can be resumed.');
    if (this.stateValue === 'running' || this.disposed) throw new SampleError('failed', 'The watch is not waiting for a restart.');
    const { process, first } = await WatchedProcess.openLocal(pid, undefined, this.goRuntimeFactory);
    // Resumed (or disposed) by someone else while this one was opening: keep theirs.
    if ((this.stateValue as WatchState) === 'running' || this.disposed) return process.close(true);
    const previous = this.pid;
    this.stateValue = 'running';
    this.endMessage = this.endLabelText = this.failure = undefined;
    this.failuresInARow = 0;
    this.begin(first, { time: first.time, kind: 'restart', label: why.label, detail: `${why.detail} (PID ${previous} → ${pid})` }, process);
    this.stateEmitter.fire('running');
  }

  get pid(): number {
    return this.process.pid;
  }
  get identity(): ProcessIdentity {
    return this.process.reader.identity;
  }
  get reader(): MemoryReader {
    return this.process.reader;
  }
  /** The process: its name, command line, Go build information (a restart can change it). */
  get info(): ProcessInfo {
    return this.process.info;
  }
  get label(): string {
    return `${this.process.info.name} (PID ${this.pid})`;
  }
  /** A local process (its PID is one of this machine's). */
  get isLocal(): boolean {
    return this.target.kind === 'process';
  }
  /** For a URL target: what answers at the URL. */
  get remoteSource(): Pick<UrlTarget, 'description' | 'kind' | 'freeOSMemoryUrl' | 'baseUrl'> | undefined {
    return this.process.remote;
  }
  /** Its memory cgroup at the last sample, when it is in one. */
  get cgroup(): CgroupFigures | undefined {
    return this.process.cgroup.figures;
  }
  /** Where its Go figures come from (undefined when not looked for). */
  get goRuntime(): GoRuntimeTracker | undefined {
    return this.process.goRuntime;
  }
  get latest(): MemorySample | undefined {
    return this.process.latest;
  }
  /** Highest RSS: the OS's own figure where it keeps one (Linux VmHWM), else the highest sampled. */
  get peakRss(): number | undefined {
    return this.process.peakRss;
  }
  get state(): WatchState {
    return this.stateValue;
  }
  get running(): boolean {
    return this.stateValue === 'running';
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
  get intervalMs(): number {
    return this.intervalValue;
  }
  get options(): WatchOptions {
    return this.optionsValue;
  }
  /** True while the target is stopped in a debugger: it cannot answer HTTP then; the OS can still be read. */
  get paused(): boolean {
    return this.pauseEventId !== undefined;
  }

  /** Whether the status bar and the graph show it: one not shown reads its Go figures, CPU time and LazyFree less often. */
  setShown(shown: boolean): void {
    this.shown = shown;
    this.process.setShown(shown);
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

  /** Applies new settings: the interval (and the source that fits it) from now on. */
  configure(options: WatchOptions): void {
    this.optionsValue = options;
    this.intervalValue = Math.max(MIN_INTERVAL_MS, options.intervalMs);
    const capacity = capacityFor(options.windowMs, this.intervalValue);
    if (options.windowMs !== this.series.window || capacity !== this.series.capacity) this.series.resize(options.windowMs, capacity);
    this.loop.configure();
  }

  /** Adds a marker to the series and tells listeners. */
  addEvent(event: Omit<SeriesEvent, 'id'>): SeriesEvent {
    const added = this.series.addEvent(event);
    this.eventEmitter.fire(added);
    return added;
  }

  /**
   * Samples every `intervalMs` for `durationMs` (measuring a release), starting now, on the clock.
   * Resolves with the burst's first sample (a fresh "before"), after whatever a source still held.
   */
  async startBurst(intervalMs: number, durationMs: number): Promise<MemorySample> {
    const ended = () => new SampleError('exited', this.endMessage ?? 'The watch has ended.');
    if (!this.running) throw ended();
    await this.loop.startBurst(intervalMs, durationMs);
    if (!this.running) throw ended();
    const first = this.nextSample();
    this.loop.sampleSoon();
    return first;
  }

  /** Ends a burst early. */
  stopBurst(): void {
    this.loop.stopBurst();
  }

  /** Resolves with the next successful sample; rejects if the watch ends or sampling fails first. */
  nextSample(): Promise<MemorySample> {
    return new Promise((resolve, reject) => {
      const done = () => subs.forEach((d) => d.dispose());
      const subs = [
        this.onDidSample((s) => (done(), resolve(s))),
        this.onDidFail((e) => (done(), reject(e))),
        this.onDidChangeState(() => (done(), reject(new SampleError('exited', this.endMessage ?? 'The watch has ended.')))),
      ];
    });
  }

  /** Stops sampling (for good, unless resumed after a restart); the series stays for the graph. */
  stop(state: 'exited' | 'detached', message: string, end?: WatchEnd): void {
    if (this.stateValue !== 'running') return;
    this.setPaused(false);
    this.loop.stop();
    this.process.close();
    this.stateValue = state;
    this.endMessage = message;
    const { kind, label, endLabel, bytes } = end ?? { kind: state === 'exited' ? 'exit' : 'detach', label: state };
    this.endLabelText = endLabel ?? label;
    this.addEvent({ time: Date.now(), kind, label, detail: message, ...(bytes !== undefined ? { bytes } : {}) });
    this.stateEmitter.fire(state);
  }

  override dispose(): void {
    this.stop('detached', 'Detached.');
    this.goStatusSubscription?.dispose();
    this.process.goRuntime?.dispose();
    super.dispose();
  }

  // ---- what sample sources and the loop see (SampleSink, LoopHost) ----

  get consecutiveFailures(): number {
    return this.failuresInARow;
  }

  readGoFigures(): Promise<GoFigures | undefined> | undefined {
    return this.process.goRuntime?.figures(this.paused);
  }

  take(os: MemorySample, freshGo: GoFigures | undefined, readCgroup: boolean): void {
    // A good sample after failures: the failure is over (a marker says so).
    if (this.failure) this.addEvent({ time: os.time, kind: 'note', label: 'reconnected', detail: `Reading again after: ${this.failure.message}` });
    this.failure = undefined;
    this.failuresInARow = 0;
    const { sample, otherKilled } = this.process.compose(os, freshGo, readCgroup, this.paused);
    if (otherKilled) this.addEvent(otherKilled);
    this.series.push(sample.time, seriesRow(sample));
    this.sampleEmitter.fire(sample);
  }

  fail(err: unknown): 'ended' | 'goes on' {
    const error = toSampleError(err, this.pid);
    if (error.reason === 'exited' || error.reason === 'no-such-process' || error.reason === 'reused') {
      this.end(error);
      return 'ended';
    }
    if (!this.failure && this.target.kind === 'url') this.addEvent({ time: Date.now(), kind: 'note', label: 'connection lost', detail: error.message });
    this.failure = error;
    this.failuresInARow++;
    this.failureEmitter.fire(error);
    return 'goes on';
  }

  end(error: SampleError): void {
    const oom = this.process.cgroup.oomKillEnd(this.process.info.name, this.pid, this.process.latest);
    if (oom) this.stop('exited', oom.message, oom.end);
    else this.stop('exited', error.message);
  }

  /** One sample, read by the watch itself: the clock's beat, a one-off, a look after a source ended. */
  async sampleOnce(): Promise<void> {
    const reader = this.process.reader;
    const before = reader.identity;
    try {
      // No promise to wait for when the reader and the Go figures need none (most samples).
      const os = reader.readSync ? reader.readSync() : await reader.read();
      const goRead = this.readGoFigures();
      const fresh = goRead && (await goRead);
      if (!this.running) return;
      // Behind a URL, a new process answers after a restart (a new pod): the same graph goes on, marked.
      const now = reader.identity;
      if (this.target.kind === 'url' && (now.pid !== before.pid || now.startToken !== before.startToken)) {
        this.addEvent({ time: os.time, kind: 'restart', label: 'restarted', detail: `The process behind ${this.target.url} restarted (${now.pid !== before.pid ? `PID ${before.pid} → ${now.pid}` : 'a new start time'}).` });
      }
      this.take(os, fresh, true);
    } catch (err) {
      if (this.running) this.fail(err);
    }
  }

  /** A process's first sample (the watch's, or a restarted one's): its marker, the sample, then the loop. */
  private begin(first: MemorySample, marker: Omit<SeriesEvent, 'id'>, restarted?: WatchedProcess): void {
    if (restarted) {
      this.goStatusSubscription?.dispose();
      this.process.goRuntime?.dispose();
      this.process = restarted;
    }
    this.process.setShown(this.shown);
    this.goStatusSubscription = this.process.goRuntime?.onDidChangeStatus(() => this.goStatusEmitter.fire());
    if (this.process.goRuntime) this.goStatusEmitter.fire();
    this.addEvent(marker);
    this.take(first, undefined, true);
    this.loop.start();
  }
}
