/**
 * The sampler helper as a sample source (source.ts): on Linux, under a second between samples, a
 * small process of ours takes a local watch's samples. This file is all of it — the process, its
 * frames, and the source — registered in index.ts.
 *
 * The sampler helper (`sampler/`, memwatch-sampler): a small process that samples one process's
 * /proc/PID/status on the watch's wall-clock grid and hands the samples over in batches, once a
 * second. At 10 Hz the extension host then wakes once a second instead of ten times — a wake-up
 * of Node's event loop costs more CPU than the helper's whole sample (bench/RESULTS.md, "One
 * sample in the extension host"). Nothing that shows a watch needs its samples sooner: the status
 * bar, the graph and the diagnosis follow once a second (protocol.ts, SAMPLES_EVERY_MS); a burst
 * (measuring a release) samples in the extension host.
 *
 * The helper sends the status file as the kernel wrote it; the host parses it with the same code
 * as its own reads (procfs.ts), so a sample is the same whichever took it. Asked, it reads
 * smaps_rollup too (LazyFree; procfs.ts decides when): between its own samples that costs the
 * extension host nothing, where a read of its own is a thread-pool round trip and two wake-ups.
 */
import { ChildProcess, spawn } from 'child_process';
import fs = require('fs');
import { join } from 'path';
import type { MemoryReader, MemorySample, ProcessIdentity } from '../sampling/types';
import { toSampleError } from '../sampling/types';
import type { SampleSink, SampleSource, SampleSourceKind, SourceLoop } from './source';

/** Where the helper is, and how it reports (WatchOptions.samplerHelper). */
export interface SamplerHelperConfig {
  /** The memwatch-sampler executable (looked for when first needed), or undefined: none here. */
  readonly path: () => string | undefined;
  /** Says why a helper failed (the watch then samples by itself). */
  readonly log?: (message: string) => void;
  /** How long a silent helper is waited for (HELPER_STALL_MS); for the tests. */
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

/** What the helper says, in order. */
export type SamplerFrame =
  /** The process is open and is the one asked for. */
  | { readonly kind: 'ready' }
  /** One sample: when (ms since the epoch) and the status file's bytes. */
  | { readonly kind: 'sample'; readonly time: number; readonly status: Buffer }
  /** smaps_rollup, read when asked (empty: it could not be), and how long the read took. */
  | { readonly kind: 'lazyFree'; readonly time: number; readonly costMs: number; readonly smaps: Buffer }
  /** The read failed (errno 3, ESRCH: the process is gone); the helper exits. */
  | { readonly kind: 'gone'; readonly time: number; readonly errno: number }
  /** It could not start: "reused", "gone", "open <errno>", "usage". */
  | { readonly kind: 'refused'; readonly reason: string };

/** The helper refuses a status file this large (its buffer): no frame is longer. */
export const MAX_STATUS_BYTES = 8192;
/** Its smaps_rollup buffer (as large as ProcfsReader's own). */
export const MAX_SMAPS_BYTES = 4096;
/** A header line ("S <time> <length>") is short; a longer one is not the helper speaking. */
const MAX_HEADER_BYTES = 64;

/** Splits the helper's output into frames; throws on anything else (the helper is then stopped). */
export class SamplerFrameReader {
  private pending?: Buffer;

  push(chunk: Buffer): SamplerFrame[] {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const frames: SamplerFrame[] = [];
    let at = 0;
    while (at < data.length) {
      const newline = data.indexOf(0x0a, at);
      if (newline < 0 || newline - at > MAX_HEADER_BYTES) {
        if (data.length - at > MAX_HEADER_BYTES) throw new Error('the sampler helper sent a line that is not a frame');
        break;
      }
      const header = data.toString('latin1', at, newline);
      const sample = /^S (\d{1,15}) (\d{1,5})$/.exec(header);
      const smaps = sample ? undefined : /^L (\d{1,15}) (\d{1,9}) (\d{1,5})$/.exec(header);
      if (sample || smaps) {
        const length = Number(sample ? sample[2] : smaps![3]);
        if (length > (sample ? MAX_STATUS_BYTES : MAX_SMAPS_BYTES)) throw new Error(`the sampler helper sent a ${sample ? 'sample' : 'smaps_rollup'} of ${length} bytes`);
        if (data.length < newline + 1 + length) break;
        const bytes = data.subarray(newline + 1, newline + 1 + length);
        frames.push(sample ? { kind: 'sample', time: Number(sample[1]), status: bytes } : { kind: 'lazyFree', time: Number(smaps![1]), costMs: Number(smaps![2]) / 1000, smaps: bytes });
        at = newline + 1 + length;
        continue;
      }
      frames.push(parseShortFrame(header));
      at = newline + 1;
    }
    if (at < data.length) {
      // Kept as a copy: the chunk it came in may be large, and only this tail waits.
      data = Buffer.from(data.subarray(at));
      this.pending = data;
    }
    return frames;
  }
}

function parseShortFrame(header: string): SamplerFrame {
  if (header === 'R') return { kind: 'ready' };
  const gone = /^X (\d{1,15}) (\d{1,5})$/.exec(header);
  if (gone) return { kind: 'gone', time: Number(gone[1]), errno: Number(gone[2]) };
  const refused = /^E ([a-z0-9 ]{1,40})$/.exec(header);
  if (refused) return { kind: 'refused', reason: refused[1] };
  throw new Error('the sampler helper sent a line that is not a frame');
}

/** What a batch brings: samples, and a smaps_rollup read where one was asked for (readLazyFree). */
export type HelperReading = Extract<SamplerFrame, { kind: 'sample' | 'lazyFree' }>;

/** How a helper ended. */
export type SamplerHelperEnd =
  /** Asked to (stop, kill). */
  | { readonly kind: 'stopped' }
  /** The process it sampled is gone (or its PID belongs to another now). */
  | { readonly kind: 'gone' }
  /** Anything else: it could not start, crashed, or spoke nonsense. The watch samples by itself. */
  | { readonly kind: 'failed'; readonly message: string };

export interface SamplerHelperStart {
  /** The helper executable. */
  readonly path: string;
  readonly identity: ProcessIdentity;
  readonly intervalMs: number;
  /** Batches go out this often. */
  readonly flushMs: number;
  /** Samples (and smaps_rollup reads), in order, as they arrive. */
  readonly onReadings: (readings: readonly HelperReading[]) => void;
  /** Called once, when it has ended (after the last samples). */
  readonly onEnd: (end: SamplerHelperEnd) => void;
  /** Silent this long (no batch; stopped, hung): taken as failed and killed. Default HELPER_STALL_MS. */
  readonly stallMs?: number;
}

/**
 * A helper that sends nothing for this long is taken as failed (stopped by someone, hung): the
 * watch then samples by itself. Ten batches: a loaded machine may delay one by seconds.
 */
export const HELPER_STALL_MS = 10_000;

/** A stop waits this long for the helper to send what it holds and exit; then it is killed. */
const STOP_GRACE_MS = 500;

/** One running helper, for one watch. */
export class SamplerHelper {
  private readonly child: ChildProcess;
  private readonly frames = new SamplerFrameReader();
  private ended = false;
  private stopping?: Promise<void>;
  private endReason?: SamplerHelperEnd;
  private killed = false;
  /** Refreshed by every chunk it sends (one re-armed timer, no new one per batch). */
  private readonly stall: NodeJS.Timeout;

  private constructor(private readonly start: SamplerHelperStart) {
    const stallMs = start.stallMs ?? HELPER_STALL_MS;
    this.stall = setTimeout(() => {
      this.endReason ??= { kind: 'failed', message: `the sampler helper sent nothing for ${stallMs / 1000} s` };
      this.kill();
    }, stallMs);
    // It must not keep a process alive by itself (the helper's own pipes do while it runs).
    this.stall.unref();
    // GOMAXPROCS=1: one sampling thread needs no more, and fewer threads wake.
    this.child = spawn(start.path, [String(start.identity.pid), start.identity.startToken, String(start.intervalMs), String(start.flushMs)], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { GOMAXPROCS: '1' },
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    // EPIPE when it exited before reading: its exit says why.
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', (err) => this.end({ kind: 'failed', message: `the sampler helper did not start: ${err.message}` }));
    this.child.on('close', (code, signal) => this.end(this.endReason ?? { kind: 'failed', message: `the sampler helper exited (${signal ?? `code ${code}`})` }));
  }

  static start(start: SamplerHelperStart): SamplerHelper {
    return new SamplerHelper(start);
  }

  /** Asks for what the helper holds, then its exit; resolves once it has ended (killed after STOP_GRACE_MS). */
  stop(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      this.endReason ??= { kind: 'stopped' };
      this.child.once('close', () => resolve());
      const kill = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      this.child.once('close', () => clearTimeout(kill));
      this.send('q');
    });
    return this.stopping;
  }

  /** Ends it now: what it holds is dropped. */
  kill(): void {
    if (this.ended) return;
    this.endReason ??= { kind: 'stopped' };
    this.killed = true;
    this.child.stdin?.destroy();
    this.child.kill('SIGKILL');
  }

  /**
   * Asks for a smaps_rollup read (LazyFree): it comes with the next batch. False when this helper
   * can no longer answer (ended, or being stopped).
   */
  readLazyFree(): boolean {
    if (this.ended || this.killed || this.stopping || !this.child.stdin?.writable) return false;
    this.send('l');
    return true;
  }

  private send(command: string): void {
    if (!this.ended && this.child.stdin?.writable) this.child.stdin.write(command);
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.stall.refresh();
    let frames: SamplerFrame[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      this.endReason = { kind: 'failed', message: (err as Error).message };
      this.kill();
      return;
    }
    const readings: HelperReading[] = [];
    for (const frame of frames) {
      if (frame.kind === 'sample' || frame.kind === 'lazyFree') readings.push(frame);
      else if (frame.kind === 'gone') this.endReason ??= frame.errno === ESRCH ? { kind: 'gone' } : { kind: 'failed', message: `the sampler helper's read failed (errno ${frame.errno})` };
      else if (frame.kind === 'refused') {
        this.endReason ??= frame.reason === 'reused' || frame.reason === 'gone' || frame.reason === `open ${ENOENT}` ? { kind: 'gone' } : { kind: 'failed', message: `the sampler helper refused: ${frame.reason}` };
      }
    }
    // After kill() nothing more goes to the watch; after stop(), what the helper held does.
    if (readings.length && !this.killed) this.start.onReadings(readings);
  }

  private end(end: SamplerHelperEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.stall);
    this.child.stdin?.destroy();
    this.start.onEnd(end);
  }
}

/**
 * The helper shipped for this system in the extension's folder (dist/bin), made executable again if
 * the install lost the bit; undefined where there is none (not Linux, an architecture not built).
 */
export function samplerHelperPath(extensionDir: string, platform: string = process.platform, arch: string = process.arch): string | undefined {
  if (platform !== 'linux') return undefined;
  const path = join(extensionDir, 'dist', 'bin', `memwatch-sampler-linux-${arch}`);
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return path;
  } catch {
    try {
      fs.chmodSync(path, 0o755);
      fs.accessSync(path, fs.constants.X_OK);
      return path;
    } catch {
      return undefined;
    }
  }
}

const ESRCH = 3;
const ENOENT = 2;

/**
 * What the helper needs of a reader: the same parse of the status file as the reader's own reads,
 * an alive check, and a way to have LazyFree (smaps_rollup) read by the helper. Linux's
 * ProcfsReader has them; no other reader does, and the helper does not take their watches.
 */
interface StatusFileReader extends MemoryReader {
  /** The sample of /proc/PID/status bytes read at `time` by the helper. `alive` false: the process is gone since. Throws a SampleError. */
  fromStatus(time: number, statusBytes: Buffer, alive?: boolean): MemorySample;
  /** Throws a SampleError when the process is gone now. */
  checkAlive(): void;
  /** Who else reads smaps_rollup: `ask` asks the helper for one read, and says whether it will come (through lazyFreeRead). */
  readLazyFreeVia(ask: (() => boolean) | undefined): void;
  /** A smaps_rollup read that was asked for (empty: it could not be), and what it cost. */
  lazyFreeRead(smaps: Buffer, costMs: number): void;
}

function readsStatusFiles(reader: MemoryReader): reader is StatusFileReader {
  const r = reader as Partial<StatusFileReader>;
  return typeof r.fromStatus === 'function' && typeof r.checkAlive === 'function' && typeof r.readLazyFreeVia === 'function' && typeof r.lazyFreeRead === 'function';
}

export const samplerHelperSource: SampleSourceKind = {
  kind: 'helper',
  accepts(sink: SampleSink, loop: SourceLoop, intervalMs: number): boolean {
    return (
      intervalMs < HELPER_BELOW_INTERVAL_MS &&
      // A burst (measuring a release) samples by itself, faster and at once.
      intervalMs === sink.intervalMs &&
      !loop.refused('helper') &&
      sink.isLocal &&
      readsStatusFiles(sink.reader) &&
      sink.options.samplerHelper?.path() !== undefined
    );
  },
  start: (sink, loop, intervalMs) => new HelperSource(sink, loop, intervalMs),
};

/** The helper taking one watch's samples. */
class HelperSource implements SampleSource {
  readonly kind = 'helper';
  private readonly process: SamplerHelper;
  private readonly reader: StatusFileReader;
  /** Its batches, taken one after another (a batch may wait for the Go figures). */
  private batches: Promise<void> = Promise.resolve();
  /** Disposed (killed): nothing more of it goes into the series. */
  private dropped = false;

  constructor(
    private readonly sink: SampleSink,
    private readonly loop: SourceLoop,
    readonly intervalMs: number,
  ) {
    this.reader = sink.reader as StatusFileReader;
    const config = sink.options.samplerHelper!;
    this.process = SamplerHelper.start({
      path: config.path()!,
      identity: this.reader.identity,
      intervalMs,
      flushMs: config.batchMs ?? HELPER_BATCH_MS,
      stallMs: config.stallMs,
      onReadings: (readings) => {
        if (!this.dropped) this.batches = this.batches.then(() => this.takeBatch(readings));
      },
      onEnd: (end) => this.onEnd(end),
    });
    // LazyFree too, while the helper runs (without it, the reader reads it in the thread pool).
    this.reader.readLazyFreeVia(() => this.process.readLazyFree());
  }

  drain(): Promise<void> {
    this.reader.readLazyFreeVia(undefined);
    return this.process.stop().then(() => this.batches);
  }

  dispose(): void {
    this.dropped = true;
    this.reader.readLazyFreeVia(undefined);
    this.process.kill();
  }

  /**
   * The helper ended by itself: the process is gone, or the helper failed. The watch takes one
   * sample of its own, which says which (and ends the watch, or goes on without the helper).
   */
  private onEnd(end: SamplerHelperEnd): void {
    if (end.kind === 'stopped' || this.dropped) return;
    if (end.kind === 'failed') this.sink.options.samplerHelper?.log?.(`Sampler helper for ${this.sink.label}: ${end.message}. Memory Watch samples it by itself.`);
    // Gone but not yet seen so by the reader's own files: the watch's sample says.
    void this.batches.then(() => this.loop.sourceEnded(this, true));
  }

  /**
   * A batch: the Go figures (when due) read once, going with its newest sample, and every sample in
   * order; one that cannot be read is a failed sample, the others still count.
   */
  private async takeBatch(readings: readonly HelperReading[]): Promise<void> {
    const sink = this.sink;
    if (!sink.running || this.dropped) return;
    let newest = readings.length - 1;
    while (newest > 0 && readings[newest].kind !== 'sample') newest--;
    this.loop.reading = true;
    try {
      // The samples are up to a second old, what is read with them (CPU time, the cgroup) is of
      // now. So first: does the process still run? If not (killed since), its last samples go in
      // with the figures read before, then its end — an OOM kill count that rose in the meantime is
      // its own, not another process's.
      const gone = this.goneNow();
      const goRead = gone ? undefined : sink.readGoFigures();
      const fresh = goRead && (await goRead);
      for (let i = 0; i < readings.length && sink.running; i++) {
        const reading = readings[i];
        if (reading.kind === 'lazyFree') {
          // In the order taken: the samples after it carry it.
          this.reader.lazyFreeRead(reading.smaps, reading.costMs);
          continue;
        }
        try {
          sink.take(this.reader.fromStatus(reading.time, reading.status, !gone), i === newest ? fresh : undefined, !gone);
        } catch (err) {
          if (sink.fail(err) === 'ended') return;
        }
      }
      if (gone && sink.running) sink.end(gone);
    } finally {
      this.loop.reading = false;
    }
  }

  /** Why the process is gone now, if it is. */
  private goneNow(): ReturnType<typeof toSampleError> | undefined {
    try {
      this.reader.checkAlive();
      return undefined;
    } catch (err) {
      const error = toSampleError(err, this.reader.identity.pid);
      return error.reason === 'exited' || error.reason === 'no-such-process' || error.reason === 'reused' ? error : undefined;
    }
  }
}
