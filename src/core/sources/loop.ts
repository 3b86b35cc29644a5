/**
 * When a watch's samples are taken: by the first source of SAMPLE_SOURCES that takes its process at
 * its interval (kept while it fits), by a one-off sample (a burst's first, the next try after
 * failures, a look after a source ended), faster for a while (a burst, measuring a release), and
 * slower after failures in a row (a lost port-forward is retried, not hammered). A read still under
 * way when the next is due is skipped, never overlapped or queued; stopping leaves no timer.
 */
import { SAMPLE_SOURCES } from './index';
import type { SampleSink, SampleSource, SourceLoop } from './source';

/** What the loop needs of its watch besides what sources see. */
export interface LoopHost {
  /** One sample, read by the watch itself (reader, Go figures, into the series). */
  sampleOnce(): Promise<void>;
  /** Failed samples in a row, the last one included. */
  readonly consecutiveFailures: number;
}

/** Consecutive failed samples before the loop slows down. */
const FAILURES_BEFORE_BACKOFF = 3;
const MAX_BACKOFF_MS = 10_000;
/** Shortest interval a burst may ask for. */
const MIN_BURST_INTERVAL_MS = 20;

export class SamplingLoop implements SourceLoop {
  private source?: SampleSource;
  /** Sources found not to work for this process (cleared when a restart brings a new one). */
  private readonly refusedSources = new Set<string>();
  private timer?: NodeJS.Timeout;
  /** When the last sample began (ms): a beat right after a one-off sample is skipped. */
  private lastTickAt = 0;
  private readingValue = false;
  private burstValue?: { intervalMs: number; until: number };

  constructor(
    private readonly sink: SampleSink,
    private readonly host: LoopHost,
  ) {}

  get reading(): boolean {
    return this.readingValue;
  }

  set reading(reading: boolean) {
    this.readingValue = reading;
  }

  /** The first sample was just taken (a new process): the next come from a source. */
  start(): void {
    this.refusedSources.clear();
    this.lastTickAt = Date.now();
    this.useSource(this.currentInterval(this.lastTickAt));
  }

  /** The interval changed: the source that fits it from now on (not while a one-off is pending). */
  configure(): void {
    if (this.source) this.useSource(this.currentInterval(Date.now()));
  }

  /**
   * Samples every `intervalMs` for `durationMs`, starting now; resolves once a source that holds
   * samples (the helper) has handed them over, so the burst's first sample comes after them.
   */
  async startBurst(intervalMs: number, durationMs: number): Promise<void> {
    this.burstValue = { intervalMs: Math.max(MIN_BURST_INTERVAL_MS, intervalMs), until: Date.now() + durationMs };
    if (this.source && this.source.kind !== 'clock') {
      const source = this.source;
      this.source = undefined;
      await source.drain();
    }
  }

  /** A sample now, unless a read is under way (its result comes first). */
  sampleSoon(): void {
    if (!this.readingValue) this.schedule(0);
  }

  stopBurst(): void {
    this.burstValue = undefined;
  }

  /** No source, no one-off sample pending. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.source?.dispose();
    this.source = undefined;
  }

  refused(kind: string): boolean {
    return this.refusedSources.has(kind);
  }

  /** A source's beat: a sample now, unless one is under way or was taken less than half an interval ago. */
  beat(intervalMs: number): void {
    if (this.readingValue || Date.now() - this.lastTickAt < intervalMs / 2) return;
    void this.tick();
  }

  sourceEnded(source: SampleSource, refuse: boolean): void {
    if (this.source !== source) return;
    this.source = undefined;
    if (refuse) this.refusedSources.add(source.kind);
    if (this.sink.running && !this.timer) void this.tick();
  }

  private currentInterval(now: number): number {
    if (this.burstValue && now < this.burstValue.until) return this.burstValue.intervalMs;
    this.burstValue = undefined;
    return this.sink.intervalMs;
  }

  private useSource(intervalMs: number): void {
    const kind = SAMPLE_SOURCES.find((k) => k.accepts(this.sink, this, intervalMs))!;
    if (this.source?.kind === kind.kind && this.source.intervalMs === intervalMs && !this.timer) return;
    this.stop();
    if (this.sink.running) this.source = kind.start(this.sink, this, intervalMs);
  }

  private schedule(delayMs: number): void {
    this.stop();
    if (this.sink.running) this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.sink.running || this.readingValue) return;
    const started = (this.lastTickAt = Date.now());
    this.readingValue = true;
    try {
      await this.host.sampleOnce();
    } finally {
      this.readingValue = false;
    }
    if (!this.sink.running) return;
    const now = Date.now();
    const failures = this.host.consecutiveFailures;
    const backoff = failures >= FAILURES_BEFORE_BACKOFF ? Math.min(MAX_BACKOFF_MS, this.sink.intervalMs * 2 ** (failures - FAILURES_BEFORE_BACKOFF + 1)) : 0;
    const interval = this.currentInterval(now);
    if (backoff > interval) this.schedule(Math.max(0, backoff - (now - started)));
    else this.useSource(interval);
  }
}
