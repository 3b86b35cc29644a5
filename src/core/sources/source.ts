/**
 * Where a watch's samples come from. A watch (watch.ts) owns its process, its series and its end;
 * a sample source decides when readings are taken and hands them over: the shared clock
 * (clock.ts: the watch reads, each beat), or the sampler helper (samplerHelper.ts: a process of
 * ours reads, and hands over a second's readings at once). The watch tries the kinds in the order
 * of SAMPLE_SOURCES (index.ts) and samples with the first that takes its process at its interval.
 * A new way of sampling is a file here and a line there.
 */
import type { GoFigures } from '../goruntime/figures';
import type { MemoryReader, MemorySample, SampleError } from '../sampling/types';
import type { WatchOptions } from '../watchTypes';
import type { IDisposable } from '../util/lifecycle';

/** What a source sees of its watch, and hands its readings to. */
export interface SampleSink {
  /** "svc (PID 1234)", for the log. */
  readonly label: string;
  /** A process of this machine (not one reached by URL). */
  readonly isLocal: boolean;
  /** The reader of the process now (a restart brings another). */
  readonly reader: MemoryReader;
  /** The watch's own interval (a burst samples faster, on the clock). */
  readonly intervalMs: number;
  readonly options: WatchOptions;
  readonly running: boolean;
  /** The Go figures, when a read is due (one loopback request at most; none while paused). */
  readGoFigures(): Promise<GoFigures | undefined> | undefined;
  /** A reading of the OS, with fresh Go figures if any, into the watch. `readCgroup` false: the process is gone since. */
  take(os: MemorySample, freshGo: GoFigures | undefined, readCgroup: boolean): void;
  /** A reading failed: 'ended' when the process is gone (the watch has ended). */
  fail(err: unknown): 'ended' | 'goes on';
  /** The process is gone: the watch ends (as an OOM kill when its cgroup says so). */
  end(error: SampleError): void;
}

/** What a source sees of the loop that runs it (loop.ts). */
export interface SourceLoop {
  /** Whether `kind` was found not to work for this process (tried again after a restart). */
  refused(kind: string): boolean;
  /** A beat: a sample read by the watch now, unless one is under way or was just taken. */
  beat(intervalMs: number): void;
  /** While a source reads, beats are skipped. */
  reading: boolean;
  /** The source stopped by itself; `refuse`: not to be tried again for this process. The watch samples once to see why. */
  sourceEnded(source: SampleSource, refuse: boolean): void;
}

/** One source, sampling one watch at one interval. Disposing it drops what it holds. */
export interface SampleSource extends IDisposable {
  readonly kind: string;
  readonly intervalMs: number;
  /** Stops, handing over what it holds first: resolves once that is in the series. */
  drain(): Promise<void>;
}

/** A way of sampling: whether it can take a watch's samples, and a source that does. */
export interface SampleSourceKind {
  readonly kind: string;
  /** Whether it can take `sink`'s samples at `intervalMs` now. */
  accepts(sink: SampleSink, loop: SourceLoop, intervalMs: number): boolean;
  start(sink: SampleSink, loop: SourceLoop, intervalMs: number): SampleSource;
}
