/** Waiting in tests: poll a condition until a deadline, never a bare sleep; and how long a wait held the event loop up. */
import { monitorEventLoopDelay } from 'perf_hooks';

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
 * The longest the event loop was held up while `work` ran (ms, perf_hooks' delay histogram at
 * `resolutionMs`), and its result: a task of ours may not block the extension host past 50 ms.
 */
export async function longestBlock<T>(work: () => Promise<T>, resolutionMs = 10): Promise<{ result: T; blockedMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  try {
    const result = await work();
    return { result, blockedMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}
