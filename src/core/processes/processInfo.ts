/**
 * What the attach picker and the status bar say about a process: its name, command line, and
 * whether it is a Go program. Linux reads /proc; macOS asks `ps`; Windows asks PowerShell (CIM).
 */
import { promises as fsp } from 'fs';
import path = require('path');
import { parseStat } from '../sampling/procfs';
import { run } from '../sampling/exec';
import { SampleError, toSampleError } from '../sampling/types';
import { readKernelFileStart } from '../util/boundedFile';
import { isPid, parseCount } from '../util/counts';
import { GoBuildInfo, readGoBuildInfo } from './goBinary';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid?: number;
  /** Short name: the executable's base name. */
  readonly name: string;
  /** Full command line, arguments joined by spaces (may be empty for kernel threads). */
  readonly commandLine: string;
  /** Path of the executable when the OS tells us. */
  readonly executable?: string;
  /** Set when the executable is a Go program. */
  readonly go?: GoBuildInfo;
}

/** Longest command line kept (a process can have megabytes of arguments). */
const MAX_COMMAND_LINE = 4096;

/**
 * Processes read at a time when listing them. Reading all at once (one promise chain per process)
 * held the extension host up for 60–150 ms with 3,000 processes: their reads came back together and
 * ran back to back in one turn of the event loop. In steps of this many, a step takes a few ms.
 */
const PROCESSES_PER_STEP = 64;

/** `work` over `items`, at most PROCESSES_PER_STEP at a time, each step awaited before the next; results in order. (macOS and Windows look at each executable for Go the same way.) */
export async function inSteps<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PROCESSES_PER_STEP) out.push(...(await Promise.all(items.slice(i, i + PROCESSES_PER_STEP).map(work))));
  return out;
}

/** The PIDs under /proc. */
export async function procPids(): Promise<number[]> {
  return (await fsp.readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Caches Go detection by executable identity (device, inode, mtime), so the picker re-opens fast. */
const goCache = new Map<string, GoBuildInfo | null>();
const GO_CACHE_LIMIT = 2048;

async function detectGo(executablePath: string): Promise<GoBuildInfo | undefined> {
  let key: string;
  try {
    const st = await fsp.stat(executablePath);
    key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
  const cached = goCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const info = await readGoBuildInfo(executablePath);
  if (goCache.size >= GO_CACHE_LIMIT) goCache.clear();
  goCache.set(key, info ?? null);
  return info;
}

/** Joins a NUL-separated /proc cmdline, bounded. */
export function parseCmdline(raw: Buffer): string {
  let text = raw.toString('utf8');
  if (text.endsWith('\0')) text = text.slice(0, -1);
  text = text.replace(/\0/g, ' ');
  return text.length > MAX_COMMAND_LINE ? text.slice(0, MAX_COMMAND_LINE) + '…' : text;
}

/** A process's command line, bounded ('' for a kernel thread, or when it cannot be read). Asynchronous: reading cmdline takes the process's memory lock, which a process stuck in the kernel can hold for long. */
export async function readCommandLine(pid: number): Promise<string> {
  return parseCmdline(await readKernelFileStart(`/proc/${pid}/cmdline`, MAX_COMMAND_LINE + 1).catch(() => Buffer.alloc(0)));
}


async function linuxProcess(pid: number, selfPid: number): Promise<ProcessInfo | undefined> {
  const dir = `/proc/${pid}`;
  const stat = parseStat(await fsp.readFile(`${dir}/stat`, 'latin1'));
  if (stat.state === 'Z' || stat.state === 'X') return undefined;
  const commandLine = parseCmdline(await readKernelFileStart(`${dir}/cmdline`, MAX_COMMAND_LINE + 1).catch(() => Buffer.alloc(0)));
  // Kernel threads have no command line and no memory of their own to watch.
  if (!commandLine && pid !== selfPid) return undefined;
  let executable: string | undefined;
  try {
    executable = await fsp.readlink(`${dir}/exe`);
  } catch {
    // Another user's process: /proc/PID/exe needs ptrace access. The name still comes from stat.
  }
  // /proc/PID/exe opens the binary even when it was deleted or replaced since the process started.
  const go = executable ? await detectGo(`${dir}/exe`) : undefined;
  const name = executable ? path.basename(executable.replace(/ \(deleted\)$/, '')) : stat.comm;
  return { pid, ppid: stat.ppid, name, commandLine, executable, go };
}

/** One process; rejects with a SampleError when it does not exist or cannot be read. */
export async function describeProcess(pid: number, platform = process.platform): Promise<ProcessInfo> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new SampleError('no-such-process', `${pid} is not a valid PID.`);
  try {
    if (platform === 'linux') {
      const info = await linuxProcess(pid, process.pid);
      if (!info) throw new SampleError('exited', `Process ${pid} has exited.`);
      return info;
    }
    const all = platform === 'win32' ? await listWindows() : await listPs(String(pid));
    const info = all.find((p) => p.pid === pid);
    if (!info) throw new SampleError('no-such-process', `No process with PID ${pid}.`);
    return info;
  } catch (err) {
    throw toSampleError(err, pid);
  }
}

/** All processes this user can see (kernel threads left out), most recent PIDs first. */
export async function listProcesses(platform = process.platform): Promise<ProcessInfo[]> {
  let list: ProcessInfo[];
  if (platform === 'linux') {
    const results = await inSteps(await procPids(), (pid) => linuxProcess(pid, process.pid).catch(() => undefined));
    list = results.filter((p): p is ProcessInfo => p !== undefined);
  } else if (platform === 'win32') {
    list = await listWindows();
  } else {
    list = await listPs();
  }
  return list.sort((a, b) => b.pid - a.pid);
}

/**
 * Parses `ps -axww -o pid=,ppid=,args=` (or `-p PID`) and `ps -axww -o pid=,comm=`, joined by PID:
 * comm is the executable's path on macOS and may hold spaces, so it comes from its own call.
 */
export function parsePsListing(argsOutput: string, commOutput: string): Omit<ProcessInfo, 'go'>[] {
  const comms = new Map<number, string>();
  for (const line of commOutput.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    const pid = parseCount(m?.[1]);
    if (m && isPid(pid)) comms.set(pid, m[2].trim());
  }
  const out: Omit<ProcessInfo, 'go'>[] = [];
  for (const line of argsOutput.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    const pid = parseCount(m?.[1]);
    if (!m || !isPid(pid)) continue;
    const executable = comms.get(pid);
    const commandLine = m[3].trim().slice(0, MAX_COMMAND_LINE);
    // PPID 0: no parent (launchd, the kernel's threads).
    const ppid = parseCount(m[2]);
    out.push({ pid, ppid: ppid === 0 || isPid(ppid) ? ppid : undefined, name: path.basename(executable || commandLine.split(' ')[0] || String(pid)), commandLine, executable });
  }
  return out;
}

async function listPs(pid?: string): Promise<ProcessInfo[]> {
  const select = pid ? ['-p', pid] : ['-ax'];
  const [args, comm] = await Promise.all([
    run('ps', [...select, '-ww', '-o', 'pid=,ppid=,args=']),
    run('ps', [...select, '-ww', '-o', 'pid=,comm=']),
  ]);
  const parsed = parsePsListing(args.stdout, comm.stdout);
  return inSteps(parsed, async (p) => ({ ...p, go: p.executable && path.isAbsolute(p.executable) ? await detectGo(p.executable) : undefined }));
}

/** Parses PowerShell's `ConvertTo-Json` of Win32_Process (one object or an array). */
export function parseWindowsProcesses(json: string): Omit<ProcessInfo, 'go'>[] {
  if (!json.trim()) return [];
  const parsed: unknown = JSON.parse(json);
  const rows = Array.isArray(parsed) ? parsed : [parsed];
  const out: Omit<ProcessInfo, 'go'>[] = [];
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    const pid = r.ProcessId;
    if (!isPid(pid)) continue;
    const executable = typeof r.ExecutablePath === 'string' && r.ExecutablePath.length <= MAX_COMMAND_LINE ? r.ExecutablePath : undefined;
    out.push({
      pid,
      ppid: r.ParentProcessId === 0 || isPid(r.ParentProcessId) ? r.ParentProcessId : undefined,
      name: typeof r.Name === 'string' && r.Name.length <= 256 ? r.Name : String(pid),
      commandLine: (typeof r.CommandLine === 'string' ? r.CommandLine : '').slice(0, MAX_COMMAND_LINE),
      executable,
    });
  }
  return out;
}

async function listWindows(): Promise<ProcessInfo[]> {
  const script =
    'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name,CommandLine,ExecutablePath | ConvertTo-Json -Compress';
  const result = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], 15_000, 32 * 1024 * 1024);
  const parsed = parseWindowsProcesses(result.stdout);
  return inSteps(parsed, async (p) => ({ ...p, go: p.executable ? await detectGo(p.executable) : undefined }));
}
