/**
 * Linux: memory figures straight from /proc, the cheapest source there is. The reader keeps the
 * PID's stat, statm and status files open and re-reads them from offset 0 each sample (a pread):
 * no path lookup, no allocation of a new file, ≈1–3 µs per file. A kept-open /proc file is also
 * bound to the process it was opened for: once that process is gone, reads fail with ESRCH even if
 * its PID has been given to a new process, so a watch can never drift onto a stranger.
 */
import * as fs from 'fs';
import { isPid, parseCount, scaleCount } from '../util/counts';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './types';

/** Fields of /proc/PID/stat that we use. */
export interface ProcStat {
  readonly pid: number;
  /** Executable name, up to 15 characters (comm). */
  readonly comm: string;
  /** R, S, D, Z (zombie), T, t, X (dead), I … */
  readonly state: string;
  readonly ppid: number;
  /** CPU time in user and kernel mode, clock ticks. */
  readonly utime: number;
  readonly stime: number;
  /** Start time since boot in clock ticks (field 22), as text: compared, never computed with. */
  readonly startTime: string;
  /** Virtual size in bytes (field 23). */
  readonly vsize: number;
  /** Resident pages (field 24). */
  readonly rssPages: number;
}

/** Parses /proc/PID/stat. The comm field may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc/PID/stat');
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields after comm start at field 3 (state); rest[0] is field 3.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  if (rest.length < 22) throw new Error('truncated /proc/PID/stat');
  const field = (n: number): string => rest[n - 3];
  // The kernel writes counts here; anything else means this is not the stat file we think it is.
  const count = (n: number): number => {
    const value = parseCount(field(n));
    if (value === undefined) throw new Error('malformed /proc/PID/stat');
    return value;
  };
  if (!isPid(pid)) throw new Error('malformed /proc/PID/stat');
  return {
    pid,
    comm,
    state: field(3),
    ppid: count(4),
    utime: count(14),
    stime: count(15),
    startTime: field(22),
    vsize: count(23),
    rssPages: count(24),
  };
}

/** Parses /proc/PID/statm: sizes in pages → bytes. */
export function parseStatm(text: string, pageSize: number): { vsz: number; rss: number } {
  const parts = text.trim().split(/\s+/);
  const vsz = scaleCount(parseCount(parts[0]), pageSize);
  const rss = scaleCount(parseCount(parts[1]), pageSize);
  if (parts.length < 2 || vsz === undefined || rss === undefined) throw new Error('malformed /proc/PID/statm');
  return { vsz, rss };
}

/** The /proc/PID/status fields we read. Sizes in bytes; masks as bigint. */
export interface ProcStatus {
  readonly name?: string;
  readonly state?: string;
  readonly uid?: number;
  readonly vmRss?: number;
  readonly vmSize?: number;
  readonly vmHwm?: number;
  readonly rssAnon?: number;
  readonly rssFile?: number;
  readonly rssShmem?: number;
  readonly vmSwap?: number;
  /** Caught signals: bit n−1 set when signal n has a handler. */
  readonly sigCgt?: bigint;
  /** Ignored signals. */
  readonly sigIgn?: bigint;
}

const KB_FIELDS: Record<string, keyof ProcStatus> = {
  VmRSS: 'vmRss',
  VmSize: 'vmSize',
  VmHWM: 'vmHwm',
  RssAnon: 'rssAnon',
  RssFile: 'rssFile',
  RssShmem: 'rssShmem',
  VmSwap: 'vmSwap',
};

/** Parses /proc/PID/status ("Key:\tvalue" lines; sizes in kB, which the kernel means as KiB). */
export function parseStatus(text: string): ProcStatus {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    const kbField = KB_FIELDS[key];
    if (kbField) {
      const bytes = scaleCount(parseCount(value.split(/\s+/)[0]), 1024);
      if (bytes !== undefined) out[kbField] = bytes;
    } else if (key === 'Name') out.name = value;
    else if (key === 'State') out.state = value.charAt(0);
    else if (key === 'Uid') {
      const uid = parseCount(value.split(/\s+/)[0]);
      if (uid !== undefined) out.uid = uid;
    }
    else if (key === 'SigCgt' && /^[0-9a-f]+$/i.test(value)) out.sigCgt = BigInt('0x' + value);
    else if (key === 'SigIgn' && /^[0-9a-f]+$/i.test(value)) out.sigIgn = BigInt('0x' + value);
  }
  return out as ProcStatus;
}

/** True when `mask` (SigCgt or SigIgn) has signal number `signal` set. */
export function maskHasSignal(mask: bigint | undefined, signal: number): boolean {
  if (mask === undefined || signal < 1) return false;
  return ((mask >> BigInt(signal - 1)) & 1n) === 1n;
}

/** A zombie (Z) or dead (X) task has no memory left to watch. */
export function isGone(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}

let cachedPageSize: number | undefined;

/** The kernel's page size, from the first mapping in /proc/self/smaps (4 KiB on most machines, 16/64 KiB on some ARM). */
export function pageSize(): number {
  if (cachedPageSize !== undefined) return cachedPageSize;
  cachedPageSize = 4096;
  try {
    const fd = fs.openSync('/proc/self/smaps', 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const match = /KernelPageSize:\s+(\d+) kB/.exec(buf.toString('latin1', 0, n));
      if (match) cachedPageSize = Number(match[1]) * 1024;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Keep 4 KiB: right on x86-64 and most arm64 kernels.
  }
  return cachedPageSize;
}

/** LazyFree from /proc/PID/smaps_rollup (kB → bytes); undefined when absent. */
export function parseLazyFree(text: string): number | undefined {
  const m = /^LazyFree:\s+(\d+) kB/m.exec(text);
  return m ? scaleCount(parseCount(m[1]), 1024) : undefined;
}

/**
 * smaps_rollup walks every mapping of the process (≈ 0.2 ms and more for big ones), so LazyFree is
 * read at most this often, not with every sample.
 */
const LAZY_FREE_INTERVAL_MS = 2000;

/** USER_HZ: the unit of utime/stime. Fixed at 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads a /proc file through a kept-open descriptor, from offset 0 (one pread). */
function preadText(fd: number, buf: Buffer): string {
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  if (n === buf.length) throw new Error('procfs file larger than its buffer');
  return buf.toString('latin1', 0, n);
}

/** Reads /proc/PID/stat once, without keeping anything open. Throws a SampleError. */
export function readProcStat(pid: number): ProcStat {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch (err) {
    throw toSampleError(err, pid);
  }
}

/** Reads /proc/PID/status once. Throws a SampleError. */
export function readProcStatus(pid: number): ProcStatus {
  try {
    return parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch (err) {
    throw toSampleError(err, pid);
  }
}

/** The identity (PID + start time) of a live process. Throws a SampleError. */
export function procIdentity(pid: number): ProcessIdentity {
  const stat = readProcStat(pid);
  if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
  return { pid, startToken: stat.startTime };
}

/** The Linux reader: RSS and VSZ from statm, details from status, CPU and liveness from stat. */
export class ProcfsReader implements MemoryReader {
  private readonly statBuf = Buffer.alloc(1024);
  private readonly statmBuf = Buffer.alloc(256);
  private readonly statusBuf = Buffer.alloc(8192);
  private readonly smapsBuf = Buffer.alloc(4096);
  private closed = false;
  private lastCpu?: { ticks: number; at: number };
  private lazyFree?: { value: number | undefined; at: number };

  private constructor(
    readonly identity: ProcessIdentity,
    private readonly fds: { stat: number; statm: number; status: number; smapsRollup?: number },
    private readonly pageBytes: number,
  ) {}

  /**
   * Opens the reader for `pid`. When `expected` is given (re-attaching to a process seen before),
   * a different start time means the PID was reused and the open fails with reason 'reused'.
   */
  static open(pid: number, expected?: ProcessIdentity): ProcfsReader {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new SampleError('no-such-process', `${pid} is not a valid PID.`);
    const opened: number[] = [];
    try {
      const open = (name: string): number => {
        const fd = fs.openSync(`/proc/${pid}/${name}`, 'r');
        opened.push(fd);
        return fd;
      };
      const fds: { stat: number; statm: number; status: number; smapsRollup?: number } = { stat: open('stat'), statm: open('statm'), status: open('status') };
      // smaps_rollup needs ptrace access (our own user's processes, or root): optional.
      try {
        fds.smapsRollup = open('smaps_rollup');
      } catch {
        fds.smapsRollup = undefined;
      }
      // Identity is read through the kept-open fd, so it belongs to the process the fds are bound to.
      const stat = parseStat(preadText(fds.stat, Buffer.alloc(1024)));
      if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
      const identity = { pid, startToken: stat.startTime };
      if (expected && expected.startToken !== identity.startToken) {
        throw new SampleError('reused', `PID ${pid} now belongs to another process (${stat.comm}); the one watched before has exited.`);
      }
      return new ProcfsReader(identity, fds, pageSize());
    } catch (err) {
      for (const fd of opened) fs.closeSync(fd);
      throw toSampleError(err, pid);
    }
  }

  async read(): Promise<MemorySample> {
    return this.readSync();
  }

  /** The sample, synchronously: three preads, a few µs in all. */
  readSync(): MemorySample {
    const pid = this.identity.pid;
    if (this.closed) throw new SampleError('failed', `The reader for process ${pid} is closed.`);
    try {
      const time = Date.now();
      const stat = parseStat(preadText(this.fds.stat, this.statBuf));
      if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
      const { vsz, rss } = parseStatm(preadText(this.fds.statm, this.statmBuf), this.pageBytes);
      const status = parseStatus(preadText(this.fds.status, this.statusBuf));
      const ticks = stat.utime + stat.stime;
      let cpu: number | undefined;
      if (this.lastCpu && time > this.lastCpu.at) {
        cpu = (((ticks - this.lastCpu.ticks) / CLOCK_TICKS_PER_SECOND) * 1000 * 100) / (time - this.lastCpu.at);
      }
      this.lastCpu = { ticks, at: time };
      if (this.fds.smapsRollup !== undefined && (!this.lazyFree || time - this.lazyFree.at >= LAZY_FREE_INTERVAL_MS)) {
        this.lazyFree = { value: parseLazyFree(preadText(this.fds.smapsRollup, this.smapsBuf)), at: time };
      }
      return {
        time,
        rss,
        vsz,
        peakRss: status.vmHwm,
        rssAnon: status.rssAnon,
        rssFile: status.rssFile,
        rssShmem: status.rssShmem,
        swap: status.vmSwap,
        cpu,
        lazyFree: this.lazyFree?.value,
      };
    } catch (err) {
      throw toSampleError(err, pid);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of Object.values(this.fds)) {
      if (fd === undefined) continue;
      try {
        fs.closeSync(fd);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }
}
