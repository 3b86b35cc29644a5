/**
 * "At most every N ms" for work that samples ask for faster than a person can read it (the status
 * bar item, the graph's batches). A call that comes too early is not lost: it runs later, on the
 * first call that comes in time — the next sample — or on a timer set `slackMs` past the time
 * when it may run. So at 10 Hz the next sample always runs it and the timer never wakes the
 * process on its own (a wake-up costs more than what it runs here: bench/RESULTS.md); the timer
 * fires only when the samples stop coming, with the last one.
 */
import { IDisposable } from './lifecycle';

/**
 * A call this close to the time it may run runs now: timers and samples are a few ms late, and a
 * source that calls once a period (the sampler helper's batches, once a second) is now and then a
 * little early after a call that was late. Waiting for those few ms cost a timer of its own, and
 * from then on every period: the timer's run moves the next one later than the next call (at 10 Hz
 * in code-server, the status bar woke the extension host a second time each second).
 */
const ON_TIME_MS = 20;
/** … or this share of the period, when larger. */
const ON_TIME_SHARE = 0.1;

/**
 * Whether work to be done at most every `everyMs` is due, `sinceMs` after it was last done: what
 * a Throttle runs by, for work checked alongside a throttled run (the graph's summaries go with
 * its samples' batches: with a stricter test of their own, a batch a little early skipped them,
 * and they followed every other batch).
 */
export function isDue(sinceMs: number, everyMs: number): boolean {
  return everyMs - sinceMs <= Math.max(ON_TIME_MS, everyMs * ON_TIME_SHARE);
}

export class Throttle implements IDisposable {
  private last = Number.NEGATIVE_INFINITY;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly everyMs: number,
    private readonly run: () => void,
    private readonly slackMs = 250,
  ) {}

  /** Runs now if the last run was long enough ago, else once later. */
  soon(): void {
    const since = Date.now() - this.last;
    if (isDue(since, this.everyMs)) this.now();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.now();
      }, this.everyMs - since + this.slackMs);
  }

  /** Runs now (a change that must show at once); a later run waits `everyMs` from here. */
  now(): void {
    this.cancel();
    this.last = Date.now();
    this.run();
  }

  /** Forgets a run that was waiting. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}
