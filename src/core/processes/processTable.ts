/**
 * The command lines of the processes running now, for `memoryWatch.followCommandLines`: the
 * follower looks every 2 s until a pattern's process appears — for a service not started today,
 * all day. Reading every process's command line at each look cost milliseconds of CPU here, and
 * a tenth of a second with thousands of processes: up to several % of a core at one look every
 * 2 s, per pattern (bench/RESULTS.md, "A look for a followed command line" and "Measured once"). So a look reads only the processes it has not seen (a service that starts is a new
 * PID), looks that come together (one per pattern) share one scan, and every FULL_SCAN_MS all
 * are read again: that catches a process that exec()ed into another command line under its PID (a
 * shell script's `exec`), and a PID reused by a new process between two looks. A known process
 * that matches is read again before it is named, so a stale command line never names a stranger.
 * Linux only; elsewhere each look lists all processes (ps, PowerShell).
 */
import { inSteps, listProcesses, procPids, readCommandLine } from './processInfo';

/** How often every process's command line is read again. */
export const FULL_SCAN_MS = 30_000;
/** Looks within this long of a finished scan share it (the follower asks once per pattern, in turn). */
const SHARED_MS = 500;

export interface FoundProcess {
  readonly pid: number;
  readonly commandLine: string;
}

export class ProcessTable {
  /** Command line by PID ('' for kernel threads and unreadable ones), as last read, and by which scan. */
  private readonly known = new Map<number, { commandLine: string; scan: number }>();
  private scans = 0;
  private lastFullScan = -Infinity;
  private scanning?: Promise<void>;
  private scannedAt = -Infinity;
  /** Command lines read (for tests and the bench: what a look costs). */
  commandLineReads = 0;

  constructor(
    private readonly fullScanMs = FULL_SCAN_MS,
    private readonly platform = process.platform,
  ) {}

  /** The processes whose command line matches, newest first (ourselves left out). */
  async find(matches: (commandLine: string) => boolean): Promise<FoundProcess[]> {
    if (this.platform !== 'linux') {
      return (await listProcesses(this.platform)).filter((p) => p.pid !== process.pid && matches(p.commandLine)).map((p) => ({ pid: p.pid, commandLine: p.commandLine }));
    }
    await this.scan();
    const found: FoundProcess[] = [];
    for (const [pid, known] of [...this.known]) {
      if (pid === process.pid || !known.commandLine || !matches(known.commandLine)) continue;
      // Read by the last scan, or read again: the PID may belong to another process by now.
      const commandLine = known.scan === this.scans ? known.commandLine : await this.read(pid);
      if (commandLine && matches(commandLine)) found.push({ pid, commandLine });
    }
    return found.sort((a, b) => b.pid - a.pid);
  }

  private async read(pid: number): Promise<string> {
    this.commandLineReads++;
    const commandLine = await readCommandLine(pid);
    this.known.set(pid, { commandLine, scan: this.scans });
    return commandLine;
  }

  private scan(): Promise<void> {
    if (this.scanning) return this.scanning;
    if (Date.now() - this.scannedAt < SHARED_MS) return Promise.resolve();
    this.scanning = this.scanNow().finally(() => {
      this.scanning = undefined;
      this.scannedAt = Date.now();
    });
    return this.scanning;
  }

  private async scanNow(): Promise<void> {
    const started = Date.now();
    const full = started - this.lastFullScan >= this.fullScanMs;
    this.scans++;
    const pids = await procPids();
    const alive = new Set(pids);
    for (const pid of [...this.known.keys()]) if (!alive.has(pid)) this.known.delete(pid);
    const toRead = full ? pids : pids.filter((pid) => !this.known.has(pid));
    await inSteps(toRead, (pid) => this.read(pid));
    if (full) this.lastFullScan = started;
  }
}

/**
 * The processes whose command line matches, once (a table of its own, read whole): newest first,
 * ourselves left out. Lighter than listProcesses on Linux: only each process's cmdline is read.
 */
export function findProcesses(matches: (commandLine: string) => boolean, platform = process.platform): Promise<FoundProcess[]> {
  return new ProcessTable(FULL_SCAN_MS, platform).find(matches);
}
