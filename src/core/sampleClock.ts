/**
 * One timer for every watch that samples at the same interval.
 *
 * Each watch used to chain a timeout of its own after each sample, on a wall-clock grid so that
 * twenty watches woke the process once a period. They still cost twenty timers a period — each
 * created, inserted into Node's timer lists and run with its own async-hook bookkeeping — and a
 * delay that differed by a millisecond from one sample to the next made Node create and drop a
 * timer list each time. A clock per interval, re-armed by Node itself (setInterval keeps one
 * Timeout and its list), calls every watch of that interval in one pass: less CPU per sample for
 * twenty watches at 1 Hz, side by side in plain Node and in code-server (bench/RESULTS.md, "Two
 * builds side by side" and "What watching costs").
 *
 * A beat is only an offer: the watch skips it while its previous read is still under way (a slow
 * target), so samples never overlap or pile up. A clock beats on the wall-clock grid (multiples of
 * its interval) from its first beat on, so clocks of different intervals meet where their grids do;
 * it drifts from it by Node's timer lateness over time, which changes nothing a sample measures.
 * The last watch to leave stops the clock: no timer is left behind.
 */
import type { IDisposable } from './util/lifecycle';

interface Listener {
  readonly onBeat: () => void;
  joined: boolean;
}

interface Beat {
  timer?: NodeJS.Timeout;
  /** Replaced, never changed in place: a beat runs over the list as it was when it began. */
  listeners: readonly Listener[];
}

export class SampleClock {
  private readonly beats = new Map<number, Beat>();

  /** Calls `onBeat` every `intervalMs`, with every other listener of that interval, until disposed. */
  join(intervalMs: number, onBeat: () => void): IDisposable {
    const listener: Listener = { onBeat, joined: true };
    let beat = this.beats.get(intervalMs);
    if (!beat) {
      beat = { listeners: [] };
      this.beats.set(intervalMs, beat);
      this.start(intervalMs, beat);
    }
    beat.listeners = [...beat.listeners, listener];
    return { dispose: () => this.leave(intervalMs, listener) };
  }

  /** How many clocks are running (one per interval in use). */
  get running(): number {
    return this.beats.size;
  }

  private leave(intervalMs: number, listener: Listener): void {
    if (!listener.joined) return;
    listener.joined = false;
    const beat = this.beats.get(intervalMs);
    if (!beat) return;
    beat.listeners = beat.listeners.filter((l) => l !== listener);
    if (beat.listeners.length > 0) return;
    // clearTimeout clears an interval too (one kind of Timeout in Node).
    clearTimeout(beat.timer);
    this.beats.delete(intervalMs);
  }

  private start(intervalMs: number, beat: Beat): void {
    const now = Date.now();
    beat.timer = setTimeout(() => {
      beat.timer = setInterval(() => this.fire(beat), intervalMs);
      this.fire(beat);
    }, delayToGrid(now, now + intervalMs, intervalMs));
  }

  private fire(beat: Beat): void {
    for (const listener of beat.listeners) {
      // One that left during this beat (a watch stopped by another's sample) is not called.
      if (!listener.joined) continue;
      try {
        listener.onBeat();
      } catch (err) {
        // A listener's bug must not stop the others' samples; it surfaces as its own timer's would.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** The clock every watch samples on. */
export const sampleClock = new SampleClock();

/**
 * The delay to the multiple of `intervalMs` on the wall clock nearest to `dueMs` (and after `now`).
 * Rounding to the nearest point keeps a timer that fired a little late from skipping a period; the
 * gap between two wake-ups stays between half an interval and one and a half.
 */
export function delayToGrid(now: number, dueMs: number, intervalMs: number): number {
  let at = Math.round(dueMs / intervalMs) * intervalMs;
  if (at <= now) at += Math.floor((now - at) / intervalMs + 1) * intervalMs;
  return at - now;
}
