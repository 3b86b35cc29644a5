/**
 * The process a watch reads now: its reader (bound to it by PID and start time), its description,
 * its memory cgroup and the tracker of its Go figures — and what has been seen of it (the newest
 * sample, the highest RSS). When a supervisor restarts the process, the watch gets a new one.
 */
import { CgroupTracker } from './cgroup/tracker';
import { openCgroupReader } from './cgroup/reader';
import type { GoFigures } from './goruntime/figures';
import type { GoRuntimeTracker } from './goruntime/tracker';
import { missedPeak } from './missedPeak';
import { describeProcess, ProcessInfo } from './processes/processInfo';
import type { UrlTarget } from './remote/urlTarget';
import { openMemoryReader } from './sampling/reader';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './sampling/types';
import type { SeriesEvent } from '../shared/series';
import { composeSample } from './watchSample';

/** A process opened and read once: the first sample comes with it. */
export interface OpenedProcess {
  readonly process: WatchedProcess;
  readonly first: MemorySample;
}

export class WatchedProcess {
  private latestSample?: MemorySample;
  private maxRssSeen = 0;

  private constructor(
    readonly reader: MemoryReader,
    readonly info: ProcessInfo,
    readonly cgroup: CgroupTracker,
    /** Reads its Go figures (local processes; a URL target's come with each sample). */
    readonly goRuntime: GoRuntimeTracker | undefined,
    /** For a URL target: what answers there. */
    readonly remote: UrlTarget | undefined,
  ) {}

  /**
   * Opens a local process — its memory (bound to it), its description, its memory cgroup (Linux) —
   * and reads it once. Rejects with a SampleError (nothing left open) when it cannot.
   */
  static async openLocal(pid: number, expected: ProcessIdentity | undefined, goRuntime: ((pid: number) => GoRuntimeTracker) | undefined): Promise<OpenedProcess> {
    const reader = await openMemoryReader(pid, expected);
    let cgroup: CgroupTracker | undefined;
    try {
      const info = await describeProcess(pid).catch((err: unknown) => {
        const e = toSampleError(err, pid);
        if (e.reason === 'exited' || e.reason === 'no-such-process') throw e;
        // Naming is best effort: a process we can sample but not describe is still worth watching.
        return { pid, name: `PID ${pid}`, commandLine: '' } satisfies ProcessInfo;
      });
      // No cgroup (another OS, the root cgroup, unreadable) just means no limit is known.
      const opened = process.platform === 'linux' ? openCgroupReader(pid) : undefined;
      cgroup = new CgroupTracker(opened?.ok ? opened.reader : undefined);
      const first = await reader.read();
      return { process: new WatchedProcess(reader, info, cgroup, goRuntime?.(pid), undefined), first };
    } catch (err) {
      reader.close();
      cgroup?.close();
      throw toSampleError(err, pid);
    }
  }

  /** A process reached through its URL (the reader reached it already), read once. Rejects when that read fails. */
  static async openRemote(target: UrlTarget): Promise<OpenedProcess> {
    try {
      const first = await target.reader.read();
      return { process: new WatchedProcess(target.reader, target.info, new CgroupTracker(undefined), undefined, target), first };
    } catch (err) {
      target.reader.close();
      throw err instanceof SampleError ? err : new SampleError('failed', (err as Error).message);
    }
  }

  get pid(): number {
    return this.reader.identity.pid;
  }

  get latest(): MemorySample | undefined {
    return this.latestSample;
  }

  /** Highest RSS: the OS's own figure where it keeps one (Linux VmHWM), else the highest sampled. */
  get peakRss(): number | undefined {
    return this.latestSample?.peakRss ?? (this.maxRssSeen || undefined);
  }

  /**
   * The sample kept of a reading of the OS: with the Go figures (fresh, or carried from the last
   * read), its cgroup's (`readCgroup` false: the process is gone since, nothing more is read), and
   * a peak between this sample and the last. Also the marker of an OOM kill of another process.
   */
  compose(os: MemorySample, freshGo: GoFigures | undefined, readCgroup: boolean, paused: boolean): { sample: MemorySample; otherKilled?: Omit<SeriesEvent, 'id'> } {
    const go = this.goRuntime?.carried(os.time, freshGo, paused);
    const cgroup = this.cgroup.read(os, readCgroup, this.info.name);
    const sample = composeSample(os, go, cgroup.figures, missedPeak(this.latestSample, os));
    this.latestSample = sample;
    if (sample.rss > this.maxRssSeen) this.maxRssSeen = sample.rss;
    return { sample, otherKilled: cgroup.otherKilled };
  }

  /** Whether it is shown (the current watch): the reader and the Go figures read their costlier figures less often when not. */
  setShown(shown: boolean): void {
    this.reader.setShown?.(shown);
    this.goRuntime?.setShown(shown);
  }

  /** Its files closed (reader, cgroup); the Go figures tracker too when `andTracker`. */
  close(andTracker = false): void {
    this.reader.close();
    this.cgroup.close();
    if (andTracker) this.goRuntime?.dispose();
  }
}
