import type { CgroupFigures } from '../cgroup/reader';
import type { GoFigures } from '../goruntime/figures';

/** One reading of a process's memory, as the OS reports it. Sizes are bytes. */
export interface MemorySample {
  /** When it was taken (ms since the epoch). */
  readonly time: number;
  /** Resident set size: RAM the process uses now. */
  readonly rss: number;
  /** Virtual size: address space reserved (undefined where the OS gives none, e.g. Windows). */
  readonly vsz?: number;
  /** Highest RSS the OS has seen for this process (Linux VmHWM). */
  readonly peakRss?: number;
  /**
   * The highest RSS reached since the previous sample when neither sample saw it (a burst in
   * between; see missedPeak.ts). Set by the watch, which knows the previous sample.
   */
  readonly missedPeak?: number;
  /** Anonymous resident memory (heap, stacks) — Linux RssAnon. */
  readonly rssAnon?: number;
  /** File-backed resident memory (the binary, mapped files) — Linux RssFile. */
  readonly rssFile?: number;
  /** Shared memory resident — Linux RssShmem. */
  readonly rssShmem?: number;
  /** Swapped out — Linux VmSwap. */
  readonly swap?: number;
  /** CPU use since the previous sample, in % of one core. */
  readonly cpu?: number;
  /** Pages freed with MADV_FREE that still count in RSS until the kernel needs them (Linux LazyFree). */
  readonly lazyFree?: number;
  /** The Go runtime's own figures, when the program exposes them (see goruntime/). */
  readonly go?: GoFigures;
  /**
   * When `go` was read: this sample's time, or earlier. The Go figures are read at most once a
   * second (each read stops the target's world), less often for a watch not shown (not the current
   * one: BACKGROUND_GO_FIGURES_INTERVAL_MS, goruntime/tracker.ts); the samples in between carry the last ones, so
   * whoever looks at the newest sample sees them, but only a fresh read enters the series.
   */
  readonly goReadAt?: number;
  /** The memory cgroup the process is charged to (Linux; see cgroup/). */
  readonly cgroup?: CgroupFigures;
}

/** Who a process is: a PID alone is not enough, since PIDs are reused. */
export interface ProcessIdentity {
  readonly pid: number;
  /**
   * When it started, in whatever form the OS gives (Linux: ticks since boot, stat field 22;
   * macOS: `ps -o lstart`; Windows: derived from pidusage). Compared for equality only.
   */
  readonly startToken: string;
}

/** Why a sample or an attach failed. */
export type SampleFailure =
  /** The process is gone (or is a zombie waiting to be reaped). */
  | 'exited'
  /** The PID now belongs to another process. */
  | 'reused'
  /** No process with that PID. */
  | 'no-such-process'
  /** The OS refused (EPERM / EACCES). */
  | 'permission'
  /** Anything else (a parse error, a tool missing, a timeout). */
  | 'failed';

/** A failure with a message a person can act on. */
export class SampleError extends Error {
  constructor(
    readonly reason: SampleFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SampleError';
  }
}

/** Reads one process's memory; one per watch, since it may hold open files. */
export interface MemoryReader {
  /** The process this reader is bound to. */
  readonly identity: ProcessIdentity;
  /** Takes one sample. Rejects with a SampleError. */
  read(): Promise<MemorySample>;
  /**
   * The same sample synchronously, where reading costs no more than a few µs (kept-open /proc
   * files): a sample then goes through without a promise. Throws a SampleError.
   */
  readSync?(): MemorySample;
  /**
   * Whether the watch is shown (the current one). A reader may read its costlier figures less
   * often while it is not (procfs: CPU time, LazyFree), and reads them again once shown.
   */
  setShown?(shown: boolean): void;
  /** Releases what the reader holds (file descriptors). Safe to call twice. */
  close(): void;
}

/** Maps a Node system error to a SampleError that says what happened to this PID. */
export function toSampleError(err: unknown, pid: number): SampleError {
  if (err instanceof SampleError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ESRCH') return new SampleError('exited', `Process ${pid} has exited.`);
  if (code === 'ENOENT') return new SampleError('no-such-process', `No process with PID ${pid}.`);
  if (code === 'EPERM' || code === 'EACCES') {
    return new SampleError('permission', `Not permitted to read the memory of process ${pid} (${code}); it may belong to another user.`);
  }
  const text = err instanceof Error ? err.message : String(err);
  return new SampleError('failed', `Could not sample process ${pid}: ${text}`);
}
