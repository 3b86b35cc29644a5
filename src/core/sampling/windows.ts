/**
 * Windows: pidusage (WMI under the hood). RSS (the working set) and CPU; no VSZ — Windows has no
 * figure that means what VSZ means on Unix, so the UI shows it as unavailable rather than a guess.
 */
import pidusage from 'pidusage';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './types';

// pidusage keeps a history (and an interval timer) for CPU deltas; clear it when no reader needs it.
let openReaders = 0;

export class PidusageReader implements MemoryReader {
  private closed = false;

  private constructor(readonly identity: ProcessIdentity) {
    openReaders++;
  }

  static async open(pid: number): Promise<PidusageReader> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new SampleError('no-such-process', `${pid} is not a valid PID.`);
    try {
      const stats = await pidusage(pid);
      // pidusage gives elapsed time, not a start time; rounded to 10 s so two reads agree. Windows
      // reuses PIDs slowly; a vanished PID still ends the watch.
      const start = Math.round((stats.timestamp - stats.elapsed) / 10_000);
      return new PidusageReader({ pid, startToken: String(start) });
    } catch (err) {
      throw notFoundAware(err, pid);
    }
  }

  async read(): Promise<MemorySample> {
    const pid = this.identity.pid;
    if (this.closed) throw new SampleError('failed', `The reader for process ${pid} is closed.`);
    try {
      const stats = await pidusage(pid);
      return { time: stats.timestamp, rss: stats.memory, cpu: stats.cpu };
    } catch (err) {
      throw notFoundAware(err, pid);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (--openReaders === 0) pidusage.clear();
  }
}

/** pidusage reports a missing PID as a plain Error without a code. */
function notFoundAware(err: unknown, pid: number): SampleError {
  if (err instanceof Error && /no matching pid|not found/i.test(err.message)) {
    return new SampleError('exited', `Process ${pid} is not running.`);
  }
  return toSampleError(err, pid);
}
