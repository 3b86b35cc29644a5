/** Waiting in tests: poll a condition until a deadline, never a bare sleep; and how long a wait held the event loop up. */
import * as fs from 'fs';
import { performance } from 'perf_hooks';

/** Resolves with the condition's first truthy value; rejects with `what` after `timeoutMs`. */
export async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** True while the process exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * This process's main thread's schedstat, in nanoseconds: time on a CPU, and time runnable but
 * waiting for one (preemption by others). undefined where the kernel does not tell.
 */
export function mainThreadSchedstat(): { onCpuNs: number; waitNs: number } | undefined {
  try {
    const [onCpu, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ');
    return { onCpuNs: Number(onCpu), waitNs: Number(wait) };
  } catch {
    return undefined;
  }
}

/**
 * The longest the event loop was held up while `work` ran, and its result: a task of ours may not
 * block the extension host past 50 ms. A timer ticks every `resolutionMs`; each gap past that is a
 * block, less the time the main thread sat runnable waiting for a CPU (Linux schedstat): on a
 * loaded 2-core machine other processes preempt us for tens of ms, which is the machine, not a
 * task of ours. A thread busy in our code, or asleep in a synchronous call, still counts in full.
 * `delayMs` is the raw longest gap (preemption included), for the record.
 */
export async function longestBlock<T>(work: () => Promise<T>, resolutionMs = 10): Promise<{ result: T; blockedMs: number; delayMs: number }> {
  let blockedMs = 0;
  let delayMs = 0;
  let lastTick = performance.now();
  let lastWaitNs = mainThreadSchedstat()?.waitNs;
  const tick = (): void => {
    const now = performance.now();
    const waitNs = mainThreadSchedstat()?.waitNs;
    const gapMs = Math.max(0, now - lastTick - resolutionMs);
    const preemptedMs = waitNs !== undefined && lastWaitNs !== undefined ? (waitNs - lastWaitNs) / 1e6 : 0;
    delayMs = Math.max(delayMs, gapMs);
    blockedMs = Math.max(blockedMs, gapMs - preemptedMs);
    lastTick = now;
    lastWaitNs = waitNs;
  };
  const timer = setInterval(tick, resolutionMs);
  try {
    const result = await work();
    // One more tick, so a block at the very end is seen too.
    await new Promise((r) => setTimeout(r, resolutionMs));
    tick();
    return { result, blockedMs, delayMs };
  } finally {
    clearInterval(timer);
  }
}
