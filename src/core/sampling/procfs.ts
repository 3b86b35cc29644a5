/**
 * Linux: memory figures straight from /proc, the cheapest source there is. The reader keeps the
 * PID's status and stat files open and re-reads them from offset 0 (a pread): no path lookup, no
 * allocation of a new file. Each sample reads status alone (every size it needs, and the state);
 * stat (CPU time) once a second. At 10 Hz what costs is not the syscall but cold code: picking the
 * seven lines a sample needs out of status costs a third of splitting all ~58 of them
 * (bench/RESULTS.md, "One sample in the extension host"). A kept-open /proc file is also
 * bound to the process it was opened for: once that process is gone, reads fail with ESRCH even if
 * its PID has been given to a new process, so a watch can never drift onto a stranger.
 */
import fs = require('fs');
import { performance } from 'perf_hooks';
import { isPid, parseCount, scaleCount } from '../util/counts';
import { KeptOpenFile } from '../util/boundedFile';
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

const KB_FIELDS: Record<string, StatusSize> = {
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
    // The last line of a key wins, even when it holds no count (as parseStatusFigures reads it).
    if (kbField) {
      const bytes = kbValue(value);
      if (bytes === undefined) delete out[kbField];
      else out[kbField] = bytes;
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

/** The sizes in /proc/PID/status, in bytes. */
type StatusSize = 'vmRss' | 'vmSize' | 'vmHwm' | 'rssAnon' | 'rssFile' | 'rssShmem' | 'vmSwap';

/** What a sample takes from /proc/PID/status: every size, and the state. */
export type StatusFigures = Pick<ProcStatus, 'state' | StatusSize>;

/** "123 kB" (kB meaning KiB) → bytes. */
function kbValue(value: string | undefined): number | undefined {
  return value === undefined ? undefined : scaleCount(parseCount(value.split(/\s+/)[0]), 1024);
}

/** "\nKey:" as bytes, for each size a sample reads (the leading newline anchors it to a line start). */
const KB_KEYS: readonly (readonly [Buffer, StatusSize])[] = Object.entries(KB_FIELDS).map(([key, field]) => [Buffer.from(`\n${key}:`, 'latin1'), field]);
const STATE_KEY = Buffer.from('\nState:', 'latin1');

/** The characters String.prototype.trim and /\s/ take for space, of those a byte can be (latin1). */
function isSpaceByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0;
}

/**
 * Where the value of the last "Key:" line in `buf[0, length)` starts (just after the colon), or −1.
 * `key` is "\nKey:"; a key on the very first line has no newline before it.
 */
function statusValueStart(buf: Buffer, length: number, key: Buffer): number {
  if (length >= key.length) {
    // Searching back from the last offset where the whole key fits: never into the stale bytes past `length`.
    const at = buf.lastIndexOf(key, length - key.length);
    if (at >= 0) return at + key.length;
  }
  if (length < key.length - 1) return -1;
  for (let i = 1; i < key.length; i++) if (buf[i - 1] !== key[i]) return -1;
  return key.length - 1;
}

/** The end of the line that starts at or before `from`: its newline, or `length`. */
function lineEnd(buf: Uint8Array, length: number, from: number): number {
  for (let i = from; i < length; i++) if (buf[i] === 0x0a) return i;
  return length;
}

/**
 * "  123 kB" (kB meaning KiB) from `from` to the end of its line → bytes; undefined unless the first
 * word is a count of 1–16 digits that stays exact (as kbValue and parseCount read the same text).
 */
function kbValueAt(buf: Uint8Array, length: number, from: number): number | undefined {
  const end = lineEnd(buf, length, from);
  let i = from;
  while (i < end && isSpaceByte(buf[i])) i++;
  let count = 0;
  let digits = 0;
  for (; i < end && !isSpaceByte(buf[i]); i++, digits++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return undefined;
    // Exact up to 15 digits; a 16th that passes 2^53 rounds to ≥ 2^53, which scaleCount refuses.
    count = count * 10 + d;
  }
  if (digits === 0 || digits > 16 || !Number.isSafeInteger(count)) return undefined;
  return scaleCount(count, 1024);
}

/** The first character of the trimmed value from `from` to the end of its line ('' when blank). */
function firstCharAt(buf: Uint8Array, length: number, from: number): string {
  const end = lineEnd(buf, length, from);
  for (let i = from; i < end; i++) if (!isSpaceByte(buf[i])) return String.fromCharCode(buf[i]);
  return '';
}

/**
 * The fields of parseStatus a sample needs, read straight from the bytes of /proc/PID/status as
 * the kernel wrote them: the same values (the last line of a key wins there too; the fuzz suite
 * checks they agree on any text), without making a string of the file or of any line. At 10 Hz
 * the work a sample does runs on cold caches, so the less it touches the better: this is a third
 * of what looking the keys up in the decoded text cost (bench/RESULTS.md, "One sample").
 */
export function parseStatusFigures(buf: Buffer, length = buf.length): StatusFigures {
  const stateAt = statusValueStart(buf, length, STATE_KEY);
  const out: { -readonly [K in keyof StatusFigures]: StatusFigures[K] } = { state: stateAt < 0 ? undefined : firstCharAt(buf, length, stateAt) };
  for (const [key, field] of KB_KEYS) {
    const at = statusValueStart(buf, length, key);
    out[field] = at < 0 ? undefined : kbValueAt(buf, length, at);
  }
  return out;
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

/** LazyFree from /proc/PID/smaps_rollup (kB → bytes); undefined when absent. */
export function parseLazyFree(text: string): number | undefined {
  const m = /^LazyFree:\s+(\d+) kB/m.exec(text);
  return m ? scaleCount(parseCount(m[1]), 1024) : undefined;
}

/** CPU time (from stat) is read at most this often: a CPU percentage needs no 10 Hz. */
const CPU_INTERVAL_MS = 1000;
/** CPU time of a watch not shown: its percentage is then the average over 5 s. */
export const BACKGROUND_CPU_INTERVAL_MS = 5000;

/**
 * smaps_rollup walks every page table entry of the process: its cost grows with what is resident,
 * from a fraction of a ms to tens of ms for a few GiB (bench/RESULTS.md, "Measured once"). So
 * LazyFree is read at most this often, not with every
 * sample; off the event loop (by the sampler helper where one samples the process, else in libuv's
 * thread pool: a synchronous read of a big process would block the extension host past 50 ms); and
 * never more often than costs LAZY_FREE_CPU_SHARE of a core (a read that took 17 ms comes again
 * after 17 s, not 2: the rule, not a measurement).
 */
const LAZY_FREE_INTERVAL_MS = 2000;
/** The most of a core LazyFree reads may take: 0.1 %. */
const LAZY_FREE_CPU_SHARE = 0.001;
/**
 * LazyFree of a watch not shown: it only matters for the graph and diagnosis of the watch shown,
 * and a cold smaps_rollup read every 2 s was the largest part of watching twenty
 * processes at 1 Hz; every 10 s it was still a tenth of it (a perf profile of that case). Since Go
 * 1.16 the runtime returns memory with MADV_DONTNEED on Linux, so LazyFree is 0 unless the program
 * runs with GODEBUG=madvdontneed=0: a value half a minute old loses little.
 */
export const BACKGROUND_LAZY_FREE_INTERVAL_MS = 30_000;

/**
 * A LazyFree read asked of someone else (the sampler helper) and not back after this long is
 * taken as lost (the helper was stopped or failed meanwhile): the next one may be asked for, or
 * read here. An answer comes with the helper's next batch, a second at most.
 */
const LAZY_FREE_ASK_LOST_MS = 5000;

/** USER_HZ: the unit of utime/stime. Fixed at 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

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

/** The Linux reader: sizes and state from status each sample, CPU time from stat once a second. */
export class ProcfsReader implements MemoryReader {
  private closed = false;
  private lastCpu?: { ticks: number; at: number; percent?: number };
  /** LazyFree from the last read (undefined until one lands, or when it failed): what samples carry until the next. */
  private lazyFree?: number;
  /** When the next LazyFree read is due (0: at the next sample). */
  private lazyFreeDueAt = 0;
  /** When the last LazyFree read landed (0: none yet): the next is due an interval after it. */
  private lazyFreeLandedAt = 0;
  /** How long the last LazyFree read took (ms): its cost sets how often it may come. */
  private lazyFreeCostMs = 0;
  /** Whether that cost was timed in the thread pool: from the call to the callback, queueing included. */
  private lazyFreeCostQueued = false;
  /**
   * A LazyFree read under way: in libuv's thread pool (its descriptor must stay open until it is
   * back), or asked of the sampler helper (since `lazyFreeAskedAt`).
   */
  private lazyFreeReading: false | 'thread pool' | 'helper' = false;
  private lazyFreeAskedAt = 0;
  /** Asks the sampler helper for a LazyFree read (readLazyFreeVia). */
  private askLazyFree?: () => boolean;
  /** LazyFree reads started (for tests: how often smaps_rollup is walked), and how many of them the helper did. */
  lazyFreeReads = 0;
  lazyFreeReadsByHelper = 0;
  /** Shown (the current watch): CPU time and LazyFree at their full rates. */
  private shown = true;

  private constructor(
    readonly identity: ProcessIdentity,
    /** Kept open, each read again from offset 0 into its own buffer. */
    private readonly files: { readonly stat: KeptOpenFile; readonly status: KeptOpenFile; readonly smapsRollup?: KeptOpenFile },
  ) {}

  /**
   * Opens the reader for `pid`. When `expected` is given (re-attaching to a process seen before),
   * a different start time means the PID was reused and the open fails with reason 'reused'.
   */
  static open(pid: number, expected?: ProcessIdentity): ProcfsReader {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new SampleError('no-such-process', `${pid} is not a valid PID.`);
    const opened: KeptOpenFile[] = [];
    try {
      const open = (name: string, bytes: number) => KeptOpenFile.open(`/proc/${pid}/${name}`, bytes, opened);
      const files = { stat: open('stat', 1024), status: open('status', 8192), smapsRollup: undefined as KeptOpenFile | undefined };
      // smaps_rollup needs ptrace access (our own user's processes, or root): optional.
      files.smapsRollup = KeptOpenFile.tryOpen(`/proc/${pid}/smaps_rollup`, 4096, opened);
      // Identity is read through the kept-open fd, so it belongs to the process the fds are bound to.
      const stat = parseStat(files.stat.readText('latin1'));
      if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
      const identity = { pid, startToken: stat.startTime };
      if (expected && expected.startToken !== identity.startToken) {
        throw new SampleError('reused', `PID ${pid} now belongs to another process (${stat.comm}); the one watched before has exited.`);
      }
      return new ProcfsReader(identity, files);
    } catch (err) {
      for (const file of opened) file.close();
      throw toSampleError(err, pid);
    }
  }

  async read(): Promise<MemorySample> {
    return this.readSync();
  }

  /**
   * Not shown, CPU time and LazyFree are read less often. The CPU percentage is an average since
   * the last read, so it loses only resolution; shown again, LazyFree is read at once.
   */
  setShown(shown: boolean): void {
    const wasShown = this.shown;
    this.shown = shown;
    if (shown && !wasShown) {
      // Read now, so that the next sample (≥ 100 ms away; a read takes ms) carries a fresh value.
      this.lazyFreeDueAt = 0;
      this.startLazyFreeRead();
    } else if (!shown && wasShown && this.lazyFreeLandedAt > 0) {
      // The read due at the shown rate moves to the hidden one, counted from the last read.
      this.lazyFreeDueAt = this.lazyFreeLandedAt + this.lazyFreeInterval();
    }
  }

  /** The interval to the next LazyFree read: the watch's rate, or longer when a read costs more. */
  private lazyFreeInterval(): number {
    return Math.max(this.shown ? LAZY_FREE_INTERVAL_MS : BACKGROUND_LAZY_FREE_INTERVAL_MS, this.lazyFreeCostMs / LAZY_FREE_CPU_SHARE);
  }

  /**
   * Starts a LazyFree read when one is due and none is under way: asked of the sampler helper
   * where one samples this process (it reads smaps_rollup between its own samples; here it would
   * cost a thread-pool round trip and two wake-ups of the extension host), else in the thread pool.
   */
  private startLazyFreeRead(): void {
    const smaps = this.files.smapsRollup;
    if (smaps === undefined || this.closed || Date.now() < this.lazyFreeDueAt) return;
    if (this.lazyFreeReading === 'helper' && Date.now() - this.lazyFreeAskedAt > LAZY_FREE_ASK_LOST_MS) this.lazyFreeReading = false;
    if (this.lazyFreeReading) return;
    this.lazyFreeReads++;
    if (this.askLazyFree?.()) {
      this.lazyFreeReading = 'helper';
      this.lazyFreeAskedAt = Date.now();
      this.lazyFreeReadsByHelper++;
      return;
    }
    this.lazyFreeReading = 'thread pool';
    const started = performance.now();
    fs.read(smaps.fd, smaps.bytes, 0, smaps.bytes.length, 0, (err, bytes) => {
      this.lazyFreeReading = false;
      if (this.closed) {
        // close() left this descriptor open for us: a read in flight on a closed (and reused) number could read another file.
        smaps.close();
        return;
      }
      // A failed or overflowing read leaves LazyFree unknown (the process may be exiting: the status read says so).
      this.lazyFreeLanded(err || bytes === smaps.bytes.length ? undefined : parseLazyFree(smaps.bytes.toString('latin1', 0, bytes)), performance.now() - started, true);
    });
  }

  readLazyFreeVia(ask: (() => boolean) | undefined): void {
    this.askLazyFree = ask;
    if (ask && this.lazyFreeCostQueued) {
      // A thread-pool read's time counts its wait behind others' work (a second, on a busy
      // extension host, and the next read would be ≈ 17 min away); the helper times the read
      // itself, so its first read comes at the usual rate, and its own cost spaces the rest.
      this.lazyFreeCostQueued = false;
      this.lazyFreeCostMs = 0;
      this.lazyFreeDueAt = Math.min(this.lazyFreeDueAt, Date.now() + this.lazyFreeInterval());
    }
  }

  lazyFreeRead(smaps: Buffer, costMs: number): void {
    // Not asked for (any more): a late answer after the ask was taken as lost, or a reader closed.
    if (this.lazyFreeReading !== 'helper' || this.closed) return;
    this.lazyFreeReading = false;
    this.lazyFreeLanded(smaps.length ? parseLazyFree(smaps.toString('latin1')) : undefined, costMs);
  }

  /** A LazyFree read is back: its value (undefined: unknown) until the next, which its cost spaces. */
  private lazyFreeLanded(value: number | undefined, costMs: number, queued = false): void {
    this.lazyFreeCostMs = costMs;
    this.lazyFreeCostQueued = queued;
    this.lazyFree = value;
    this.lazyFreeLandedAt = Date.now();
    this.lazyFreeDueAt = this.lazyFreeLandedAt + this.lazyFreeInterval();
  }

  /** The sample, synchronously: one pread of status (and of stat once a second). */
  readSync(): MemorySample {
    const pid = this.identity.pid;
    if (this.closed) throw new SampleError('failed', `The reader for process ${pid} is closed.`);
    let length: number;
    const time = Date.now();
    try {
      length = this.files.status.read();
    } catch (err) {
      throw toSampleError(err, pid);
    }
    return this.fromStatus(time, this.files.status.bytes, true, length);
  }

  /** Throws a SampleError when the process is gone (its kept-open stat fails, or says zombie). */
  checkAlive(): void {
    const pid = this.identity.pid;
    let stat: ProcStat;
    try {
      stat = parseStat(this.files.stat.readText('latin1'));
    } catch (err) {
      throw toSampleError(err, pid);
    }
    if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
  }

  /**
   * The sample of a status file read at `time` — by readSync, or by the sampler helper
   * (sources/samplerHelper.ts), which reads it for us in batches. CPU time and LazyFree come from this
   * reader's own files, when due — unless `alive` is false (the process is gone since: they are
   * what was last read).
   */
  fromStatus(time: number, statusBytes: Buffer, alive = true, length = statusBytes.length): MemorySample {
    const pid = this.identity.pid;
    if (this.closed) throw new SampleError('failed', `The reader for process ${pid} is closed.`);
    try {
      const status = parseStatusFigures(statusBytes, length);
      if (isGone(status.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
      const rss = status.vmRss;
      const vsz = status.vmSize;
      if (rss === undefined || vsz === undefined) throw new Error('malformed /proc/PID/status: no VmRSS or VmSize');
      // CPU time is read now, so it is timed now: a helper's sample may be a second old.
      const now = Date.now();
      if (alive && (!this.lastCpu || now - this.lastCpu.at >= (this.shown ? CPU_INTERVAL_MS : BACKGROUND_CPU_INTERVAL_MS))) {
        const stat = parseStat(this.files.stat.readText('latin1'));
        if (isGone(stat.state)) throw new SampleError('exited', `Process ${pid} has exited.`);
        const ticks = stat.utime + stat.stime;
        const previous = this.lastCpu;
        const percent = previous && now > previous.at ? (((ticks - previous.ticks) / CLOCK_TICKS_PER_SECOND) * 1000 * 100) / (now - previous.at) : undefined;
        this.lastCpu = { ticks, at: now, percent };
      }
      const cpu = this.lastCpu?.percent;
      if (alive) this.startLazyFreeRead();
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
        lazyFree: this.lazyFree,
      };
    } catch (err) {
      throw toSampleError(err, pid);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { stat, status, smapsRollup } = this.files;
    stat.close();
    status.close();
    // A LazyFree read in flight in the thread pool closes it when it is back.
    if (this.lazyFreeReading !== 'thread pool') smapsRollup?.close();
  }
}
