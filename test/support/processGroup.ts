/**
 * Programs that start programs of their own (a Prometheus server, the kubelet stand-in and its
 * replicas), each in its own process group so that stopping it stops everything it started, even
 * a child it never waited for. Everything started here is stopped by `stopAllGroups()`.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { waitFor } from './wait';

export interface GroupProcess {
  readonly proc: ChildProcess;
  /** The leader's PID, which is also the group's ID. */
  readonly pid: number;
  /** The last `keepBytes` of stdout, and of stderr (for failure messages). */
  stdout(): string;
  stderr(): string;
  /** True once the leader has exited. */
  exited(): boolean;
  /** `signal` to the whole group; after `graceMs` without the leader exiting, SIGKILL to the group. Safe to call twice. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const running = new Set<GroupProcess>();

// A group is detached from the terminal's, so Ctrl-C does not reach it: when the test process
// ends before its after hooks ran (an interrupted run), end every group still running here.
process.once('exit', () => {
  for (const group of running) killGroup(group.pid, 'SIGKILL');
});

/** Sends `signal` to every process of group `pgid`; false when none is left. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `file args` as the leader of a new process group (detached: setsid), keeping the tail of
 * its output, and waits until `ready` matches its stdout (when given): the match is returned.
 */
export async function startGroup(
  file: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    ready?: RegExp;
    readyTimeoutMs?: number;
    keepBytes?: number;
    /** Called with every whole line of stdout, from the first (for programs that report events). */
    onLine?: (line: string) => void;
  } = {},
): Promise<GroupProcess & { match?: RegExpMatchArray }> {
  const keep = options.keepBytes ?? 16 * 1024;
  const proc = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  let partial = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out = (out + text).slice(-keep);
    if (!options.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  });
  proc.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-keep)));
  let spawnError: Error | undefined;
  proc.on('error', (e) => (spawnError = e));
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const hasExited = () => proc.exitCode !== null || proc.signalCode !== null;
  let stopping: Promise<void> | undefined;
  const group: GroupProcess = {
    proc,
    pid: proc.pid ?? 0,
    stdout: () => out,
    stderr: () => err,
    exited: hasExited,
    stop(signal = 'SIGKILL', graceMs = 5000) {
      stopping ??= (async () => {
        running.delete(group);
        if (!proc.pid) return;
        // The whole group, leader or not: a child the leader left behind must go too.
        killGroup(proc.pid, signal);
        if (signal !== 'SIGKILL') {
          const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
          await Promise.race([exit, timer]);
        }
        killGroup(proc.pid, 'SIGKILL');
        if (!hasExited()) await exit;
      })();
      return stopping;
    },
  };
  running.add(group);
  if (!proc.pid) {
    await new Promise((r) => setImmediate(r));
    running.delete(group);
    throw new Error(`could not start ${file}: ${spawnError?.message ?? 'no PID'}`);
  }
  let match: RegExpMatchArray | undefined;
  if (options.ready) {
    const ready = options.ready;
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    try {
      match = await waitFor(
        () => {
          if (hasExited()) throw new Error(`${path.basename(file)} exited (${proc.exitCode ?? proc.signalCode}) before it was ready; stderr: ${err.slice(-4096)}`);
          return ready.exec(out) ?? undefined;
        },
        `${path.basename(file)} to print ${ready}`,
        timeoutMs,
      );
    } catch (e) {
      const early = hasExited();
      await group.stop();
      // What the program said is the likeliest explanation (a port taken, a bad flag); an early
      // exit's message has it already.
      throw early ? e : new Error(`${(e as Error).message}; its stderr: ${err.slice(-4096) || '(nothing)'}`, { cause: e });
    }
  }
  return Object.assign(group, { match });
}

/** Stops every process group started here (call in an after hook). */
export async function stopAllGroups(): Promise<void> {
  await Promise.all([...running].map((g) => g.stop()));
}
