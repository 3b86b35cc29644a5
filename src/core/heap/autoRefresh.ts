/**
 * The heap view's own refresh: every N seconds while it can be seen, for the watch it shows —
 * never while that program is stopped in the debugger (it could not answer), never after it
 * ended, never on top of a fetch under way, never again after an answer that asking again will
 * not change (a 404, not a heap profile) until the user refreshes. Counted from the last attempt, so a slow profile
 * does not make the next one come sooner. Automatic refreshes do not force a GC in the target
 * (their in-use figures are as of its last GC); the view's Refresh button does.
 */
import type { IDisposable } from '../util/lifecycle';
import type { HeapProfileService, HeapProfileWatch } from './profileService';
import { FAILURES_THAT_STOP_AUTO_REFRESH } from '../../shared/heap/viewTypes';

/** What the loop reads at each tick. */
export interface HeapAutoRefreshDeps {
  readonly service: Pick<HeapProfileService, 'refresh' | 'isFetching' | 'get'>;
  /** The watch the view shows, if any. */
  readonly watch: () => HeapProfileWatch | undefined;
  /** Whether the view is visible now. */
  readonly visible: () => boolean;
  /** The period in ms; 0 turns automatic refresh off. */
  readonly intervalMs: () => number;
}

export class HeapAutoRefresh implements IDisposable {
  private timer?: ReturnType<typeof setTimeout>;
  private disposed = false;

  constructor(private readonly deps: HeapAutoRefreshDeps) {
    this.reschedule();
  }

  /**
   * Starts the period again from the last attempt — call it when the view becomes visible or
   * hidden, the watch changes or the setting does. A visible view that is due refreshes at once.
   */
  reschedule(): void {
    this.clear();
    const interval = this.deps.intervalMs();
    if (this.disposed || !(interval > 0) || !this.deps.visible()) return;
    const watch = this.deps.watch();
    const known = watch && this.deps.service.get(watch.id);
    const last = Math.max(known?.current?.takenAt ?? 0, known?.error?.at ?? 0);
    // Nothing asked yet: the view's first fetch (which forces a GC) comes from its owner.
    const delay = last ? Math.min(interval, Math.max(0, last + interval - Date.now())) : interval;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    const watch = this.deps.watch();
    // An endpoint that is missing or answers nonsense is not asked again every period.
    const failure = watch && this.deps.service.get(watch.id)?.error?.code;
    const stopped = failure !== undefined && FAILURES_THAT_STOP_AUTO_REFRESH.includes(failure);
    if (watch && !stopped && this.deps.visible() && watch.state === 'running' && !watch.paused && !this.deps.service.isFetching(watch.id)) {
      await this.deps.service.refresh(watch, { forceGc: false });
    }
    if (!this.disposed && !this.timer) this.schedulePeriod();
  }

  // After a tick: a whole period (an attempt that found the program paused counts as none).
  private schedulePeriod(): void {
    const interval = this.deps.intervalMs();
    if (interval > 0 && this.deps.visible()) this.timer = setTimeout(() => void this.tick(), interval);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
