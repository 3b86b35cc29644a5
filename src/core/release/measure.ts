/**
 * Measures what a FreeOSMemory request did: a fresh sample just before, then fast samples
 * (every 50 ms for 2 s) after the trigger; the report says how much RSS fell and how fast.
 */
import { formatBytes, formatDuration, formatTransition, MiB } from '../../shared/format';
import { MemorySample } from '../sampling/types';
import { Watch } from '../watch';

export const BURST_INTERVAL_MS = 50;
export const BURST_DURATION_MS = 2000;

/** How the target was made to call FreeOSMemory. */
export type ReleaseMethod = 'http' | 'signal' | 'debugger' | 'agent';

export interface ReleaseReport {
  readonly method: ReleaseMethod;
  /** The trigger worked (the hook answered 2xx, the signal was delivered). */
  readonly triggered: boolean;
  /** RSS just before, and the lowest RSS seen after (bytes). */
  readonly before?: number;
  readonly after?: number;
  /** before − after, never negative. */
  readonly released?: number;
  /** From the trigger to RSS settling near its low, ms. */
  readonly settleMs?: number;
  /** One line for the user: "Released 105.5 MiB: RSS 118.7 → 13.2 MiB in 0.4 s". */
  readonly message: string;
  /** What the target said (HTTP status and the start of its body), if anything. */
  readonly detail?: string;
}

/** What a trigger reports: it worked, or why not. */
export type TriggerOutcome = { ok: true; detail?: string } | { ok: false; message: string; detail?: string };

/** A change smaller than this is noise, not a release. */
export function isMeasurableRelease(before: number, after: number): boolean {
  const drop = before - after;
  return drop >= 1 * MiB && drop >= before * 0.01;
}

/** Summarises the samples around a trigger at `triggerTime`. Exported for tests on recorded series. */
export function summarise(before: MemorySample, after: readonly MemorySample[], triggerTime: number): { after: number; released: number; settleMs: number } {
  let low = before.rss;
  for (const s of after) low = Math.min(low, s.rss);
  const released = Math.max(0, before.rss - low);
  // Settled: the first sample within 5 % of the full drop from the low.
  const threshold = low + released * 0.05;
  const settled = after.find((s) => s.rss <= threshold) ?? after[after.length - 1];
  const settleMs = settled ? Math.max(0, settled.time - triggerTime) : 0;
  return { after: low, released, settleMs };
}

/** The user-facing line for a measured release. */
export function describeRelease(before: number, after: number, settleMs: number, hint: string): string {
  if (isMeasurableRelease(before, after)) {
    return `Released ${formatBytes(before - after)}: RSS ${formatTransition(before, after)} in ${formatDuration(settleMs)}`;
  }
  return `No measurable release: RSS ${formatTransition(before, after)} within ${formatDuration(BURST_DURATION_MS)}. ${hint}`.trim();
}

/**
 * Runs `trigger` between a fresh "before" sample and a burst of fast samples, and reports the
 * effect. The watch's graph gets a marker either way.
 */
export async function measureRelease(
  watch: Watch,
  method: ReleaseMethod,
  trigger: () => Promise<TriggerOutcome>,
  hint: string,
): Promise<ReleaseReport> {
  const samples: MemorySample[] = [];
  const before = await watch.startBurst(BURST_INTERVAL_MS, BURST_DURATION_MS * 2);
  const triggerTime = Date.now();
  const sub = watch.onDidSample((s) => {
    if (s.time >= triggerTime) samples.push(s);
  });
  try {
    const outcome = await trigger();
    if (!outcome.ok) {
      watch.stopBurst();
      watch.addEvent({ time: Date.now(), kind: 'release-failed', label: 'FreeOSMemory failed', detail: outcome.message });
      return { method, triggered: false, message: outcome.message, detail: outcome.detail };
    }
    await waitUntil(watch, triggerTime + BURST_DURATION_MS);
    const result = summarise(before, samples, triggerTime);
    const message = describeRelease(before.rss, result.after, result.settleMs, hint);
    const measured = isMeasurableRelease(before.rss, result.after);
    watch.addEvent({
      time: triggerTime,
      kind: 'release',
      label: measured ? `−${formatBytes(result.released)}` : 'no change',
      detail: `FreeOSMemory (${method}): ${message}`,
      // The amount, as a number: recordings and comparisons add it up without reading the label.
      bytes: measured ? result.released : 0,
    });
    return { method, triggered: true, before: before.rss, ...result, message, detail: outcome.detail };
  } finally {
    sub.dispose();
    watch.stopBurst();
  }
}

/** Resolves at `deadline`, or earlier if the watch ends; leaves no timer behind. */
function waitUntil(watch: Watch, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    const sub = watch.onDidChangeState(done);
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}
