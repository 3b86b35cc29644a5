/**
 * A watch's memory cgroup over time: read at most once a second (the samples in between carry the
 * last figures), an OOM kill count that rose while the process lives told as a kill of another
 * process in the same cgroup, and at the process's end, whether the OOM killer ended it.
 */
import { formatBytes } from '../../shared/format';
import type { MemorySample } from '../sampling/types';
import type { SeriesEvent } from '../../shared/series';
import type { WatchEnd } from '../watchTypes';
import { CgroupFigures, CgroupReader } from './reader';

/**
 * A local watch reads its memory cgroup at most this often: the limit, usage and working set move
 * slowly next to a 10 Hz sample, and reading memory.stat makes the kernel gather the cgroup's
 * statistics. The samples in between carry the last figures; the exit reads them afresh.
 */
export const CGROUP_MIN_INTERVAL_MS = 1000;

/** What a sample learns of its cgroup: the figures, and a marker when the OOM killer killed another of its processes. */
export interface CgroupReading {
  readonly figures?: CgroupFigures;
  readonly otherKilled?: Omit<SeriesEvent, 'id'>;
}

export class CgroupTracker {
  /** The OOM kill count at the last sample: a rise is an OOM kill (this process's, or another's). */
  private lastOomKills?: number;
  private last?: CgroupFigures;
  /** When the cgroup was last read (sample time). */
  private lastRead?: number;

  /** `reader`: our own reader of a local process's cgroup; none for a URL target (its agent reports the cgroup in each sample). */
  constructor(private reader: CgroupReader | undefined) {}

  /** The figures at the last sample. */
  get figures(): CgroupFigures | undefined {
    return this.last;
  }

  /**
   * The cgroup's figures for `sample`: read afresh at most once a second (not for a sample of a
   * process gone since: `readNow` false), else the last ones; a URL target's own report otherwise.
   */
  read(sample: MemorySample, readNow: boolean, processName: string): CgroupReading {
    let cgroup = sample.cgroup;
    if (this.reader && ((this.lastRead !== undefined && sample.time - this.lastRead < CGROUP_MIN_INTERVAL_MS * 0.9) || !readNow)) {
      cgroup = this.last;
    } else if (this.reader) {
      this.lastRead = sample.time;
      try {
        cgroup = this.reader.read();
      } catch {
        // The cgroup went away (or cannot be read any more): no cgroup figures from now on.
        this.close();
      }
    }
    let otherKilled: CgroupReading['otherKilled'];
    if (cgroup?.oomKills !== undefined) {
      if (this.lastOomKills !== undefined && cgroup.oomKills > this.lastOomKills) {
        const killed = cgroup.oomKills - this.lastOomKills;
        const limit = cgroup.limit !== undefined ? ` (limit ${formatBytes(cgroup.limit)})` : '';
        otherKilled = {
          time: sample.time,
          kind: 'oom',
          label: 'OOM kill',
          detail: `The OOM killer killed ${killed === 1 ? 'a process' : `${killed} processes`} in this cgroup${limit} — not ${processName}, which is still running.`,
        };
      }
      this.lastOomKills = cgroup.oomKills;
    }
    this.last = cgroup;
    return { figures: cgroup, otherKilled };
  }

  /**
   * The process is gone. Its cgroup outlives it for a moment: if the OOM kill count rose since the
   * last sample, the kernel's OOM killer ended it — said with the limit and the cgroup's real peak
   * (the last sample is often far below it). Exit status alone would not prove it.
   */
  oomKillEnd(processName: string, pid: number, latest: MemorySample | undefined): { message: string; end: WatchEnd } | undefined {
    let after: CgroupFigures | undefined;
    try {
      after = this.reader?.read();
    } catch {
      after = undefined;
    }
    if (after?.oomKills === undefined || this.lastOomKills === undefined || after.oomKills <= this.lastOomKills) return undefined;
    const limit = after.limit ?? this.last?.limit;
    const limitText = limit !== undefined ? ` (limit ${formatBytes(limit)})` : '';
    const peak = after.peak;
    const peakText = peak !== undefined ? `; the cgroup peaked at ${formatBytes(peak)}` : '';
    const lastText = latest ? ` (the last sample was ${formatBytes(latest.rss)} RSS${this.last ? `, working set ${formatBytes(this.last.workingSet)}` : ''})` : '';
    this.last = after;
    const reached = limit !== undefined ? `its limit of ${formatBytes(limit)}` : 'its limit';
    return {
      message: `${processName} (PID ${pid}) was killed by the OOM killer: its memory cgroup reached ${reached}${peakText}${lastText}.`,
      end: { kind: 'oom', label: `OOM-killed${limit !== undefined ? ` at ${formatBytes(limit)}` : ''}`, endLabel: `killed by the OOM killer${limitText}`, bytes: peak },
    };
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}
