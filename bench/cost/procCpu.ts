/**
 * CPU time of processes from /proc/PID/stat (utime + stime, all threads, in clock ticks), and
 * the process trees the cost benchmarks measure: a Chromium and everything it started, code-server
 * and its extension host. Linux only, like the benchmarks.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

/** Clock ticks per second (USER_HZ), the unit of utime and stime. */
export const CLOCK_TICKS = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

/** One process's stat line, or undefined when it is gone (or unreadable). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ppid) || !Number.isFinite(ticks)) return undefined;
  return { pid, ppid, cpuSeconds: ticks / CLOCK_TICKS };
}

/**
 * Each live thread of a process: its id and CPU seconds from /proc/PID/task/TID/schedstat
 * (nanoseconds, so finer than stat's clock ticks); threads that end meanwhile are skipped.
 * false when the process is gone.
 */
function forEachThreadCpu(pid: number, visit: (tid: string, seconds: number) => void): boolean {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tids) {
    let seconds: number;
    try {
      seconds = (Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) || 0) / 1e9;
    } catch {
      continue; // The thread ended between the listing and the read.
    }
    visit(tid, seconds);
  }
  return true;
}

/** CPU seconds of a process's live threads (schedstat); undefined when the process is gone. */
export function threadCpuSeconds(pid: number): number | undefined {
  let sum = 0;
  return forEachThreadCpu(pid, (_, seconds) => (sum += seconds)) ? sum : undefined;
}

/**
 * CPU seconds of a process's live threads by kind (schedstat), the kind being the thread's name
 * (/proc/PID/task/TID/comm): in Node's extension host "MainThread", "libuv-worker" (the thread
 * pool), "V8Worker" (V8's compile and GC helpers) … undefined when the process is gone.
 */
export function threadCpuByKind(pid: number): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  const live = forEachThreadCpu(pid, (tid, seconds) => {
    let kind: string;
    try {
      kind = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return; // Ended meanwhile.
    }
    out[kind] = (out[kind] ?? 0) + seconds;
  });
  return live ? out : undefined;
}

/** Every live process's stat (one pass over /proc). */
export function allProcStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** `root` and all its live descendants. */
export function processTree(root: number, stats: readonly ProcStat[] = allProcStats()): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The command line, NUL-separated arguments joined by spaces ('' when gone). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** The executable's path ('' when gone or unreadable). */
export function executable(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** Chromium's or VS Code's role for a process: the value of its `--type=` flag, or `main`. */
export function processRole(pid: number): string {
  const cmd = commandLine(pid);
  const type = /--type=([\w-]+)/.exec(cmd)?.[1];
  if (type === 'utility') return `utility:${/--utility-sub-type=([\w.]+)/.exec(cmd)?.[1]?.split('.')[0] ?? '?'}`;
  return type ?? 'main';
}

/** CPU seconds per PID, taken at one moment. */
export type CpuSnapshot = ReadonlyMap<number, number>;

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const stat = readProcStat(pid);
    if (stat) out.set(pid, stat.cpuSeconds);
  }
  return out;
}

/**
 * CPU seconds spent between two snapshots, per PID. A process born in between counts from zero;
 * one that died in between is lost (its time went to its parent's cutime, not counted).
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pid, seconds] of after) out.set(pid, seconds - (before.get(pid) ?? 0));
  return out;
}

/** The sum of a delta over some PIDs (all of them by default). */
export function sumCpu(delta: ReadonlyMap<number, number>, pids?: readonly number[]): number {
  let total = 0;
  for (const [pid, seconds] of delta) if (!pids || pids.includes(pid)) total += seconds;
  return total;
}

/** Live processes under `root` (inclusive) whose executable is `exe` — e.g. one Chromium's processes. */
export function processesOf(root: number, exe: string): number[] {
  const real = fs.realpathSync(exe);
  return processTree(root).filter((pid) => {
    const path = executable(pid);
    return path === real || path === exe;
  });
}

/** The real executable behind a launcher script such as Debian's /usr/bin/chromium. */
export function chromiumBinary(launcher: string): string {
  const candidates = ['/usr/lib/chromium/chromium', '/usr/lib/chromium-browser/chromium-browser'];
  const text = fs.readFileSync(launcher);
  // An ELF file is the browser itself; a script execs one of the usual places.
  if (text.subarray(0, 4).toString('latin1') === '\x7fELF') return fs.realpathSync(launcher);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`cannot find the Chromium binary behind ${launcher}`);
  return found;
}
