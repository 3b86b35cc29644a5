/**
 * Go figures for one watch: finds the source (discovery.ts), then reads it with each sample — at
 * most one loopback request per sample, none while the program is stopped in a debugger (it could
 * not answer). Driven by the watch's own sampling loop: no timer of its own.
 *
 * Rediscovery: a source that fails three times in a row is dropped; with no source, discovery is
 * retried after 5 s, 30 s and then every 2 minutes — and only when the program's set of listening
 * ports changed since the last try (a program that starts its server late is still found).
 */
import { Emitter, Event } from '../util/lifecycle';
import { discover, DiscoveryOptions, listenerKey } from './discovery';
import { GoFigures } from './figures';
import { GoSource } from './sources';
import { listListeners } from './listeners';

export type GoStatus =
  /** Looking (again: `lastError` says why the previous source was dropped). */
  | { readonly state: 'searching'; readonly lastError?: string }
  | { readonly state: 'found'; readonly source: GoSource }
  | { readonly state: 'none'; readonly reason: string }
  | { readonly state: 'off' };

const RETRY_DELAYS_MS = [5_000, 30_000, 120_000];
const MAX_FAILURES = 3;

export class GoRuntimeTracker {
  private statusValue: GoStatus = { state: 'searching' };
  private source?: GoSource;
  private lastRead = 0;
  private failures = 0;
  private discovering = false;
  private attempts = 0;
  private nextDiscovery = 0;
  private lastListenerKey?: string;
  private readonly statusEmitter = new Emitter<GoStatus>();
  /** The source was found, lost, or found missing. */
  readonly onDidChangeStatus: Event<GoStatus> = this.statusEmitter.event;

  constructor(
    private readonly pid: number,
    private readonly options: () => DiscoveryOptions & { readonly enabled: boolean },
    private readonly log: (message: string) => void,
  ) {}

  get status(): GoStatus {
    return this.statusValue;
  }

  /** The agent's FreeOSMemory URL when the source is our agent. */
  get agentFreeOSMemoryUrl(): URL | undefined {
    return this.source?.freeOSMemoryUrl;
  }

  /** Forget the source and look again at the next sample (settings changed). */
  reset(): void {
    this.source = undefined;
    this.attempts = 0;
    this.nextDiscovery = 0;
    this.lastListenerKey = undefined;
    this.setStatus(this.options().enabled ? { state: 'searching' } : { state: 'off' });
  }

  /** Called once per sample. Resolves with fresh figures, or undefined (none, not due, paused). */
  async figures(paused: boolean): Promise<GoFigures | undefined> {
    if (!this.options().enabled) {
      if (this.statusValue.state !== 'off') this.setStatus({ state: 'off' });
      return undefined;
    }
    if (paused) return undefined;
    const now = Date.now();
    if (!this.source) {
      if (!this.discovering && now >= this.nextDiscovery) void this.runDiscovery();
      return undefined;
    }
    if (now - this.lastRead < this.source.minIntervalMs) return undefined;
    this.lastRead = now;
    try {
      const figures = await this.source.read();
      this.failures = 0;
      return figures;
    } catch (err) {
      if (++this.failures >= MAX_FAILURES) {
        this.log(`Go figures: ${this.source.description} failed ${MAX_FAILURES} times (${(err as Error).message}); looking again.`);
        this.source = undefined;
        this.attempts = 0;
        this.nextDiscovery = now + RETRY_DELAYS_MS[0];
        this.lastListenerKey = undefined;
        this.setStatus({ state: 'searching', lastError: `${(err as Error).message}` });
      }
      return undefined;
    }
  }

  dispose(): void {
    this.statusEmitter.dispose();
  }

  private async runDiscovery(): Promise<void> {
    this.discovering = true;
    try {
      // Nothing changed since the last fruitless look: do not ask the same ports again.
      if (this.lastListenerKey !== undefined) {
        const now = await listListeners(this.pid);
        const key = now.ok ? listenerKey(now.listeners) : '';
        if (key === this.lastListenerKey) {
          this.scheduleRetry();
          return;
        }
      }
      const result = await discover(this.pid, this.options());
      this.attempts++;
      if (result.source) {
        this.source = result.source;
        this.failures = 0;
        this.lastRead = 0;
        this.log(`Go figures for PID ${this.pid}: ${result.source.description} (asked: ${result.contacted.join(', ') || 'port files only'}).`);
        this.setStatus({ state: 'found', source: result.source });
      } else {
        this.lastListenerKey = result.listenerKey;
        this.scheduleRetry();
        if (this.statusValue.state !== 'none' || this.statusValue.reason !== result.reason) {
          this.log(`No Go figures for PID ${this.pid}: ${result.reason}${result.contacted.length ? ` (asked: ${result.contacted.join(', ')})` : ''}.`);
        }
        this.setStatus({ state: 'none', reason: result.reason ?? 'no source found' });
      }
    } catch (err) {
      this.scheduleRetry();
      this.log(`Go figure discovery failed for PID ${this.pid}: ${(err as Error).message}`);
    } finally {
      this.discovering = false;
    }
  }

  private scheduleRetry(): void {
    this.nextDiscovery = Date.now() + RETRY_DELAYS_MS[Math.min(this.attempts, RETRY_DELAYS_MS.length - 1)];
  }

  private setStatus(status: GoStatus): void {
    this.statusValue = status;
    this.statusEmitter.fire(status);
  }
}
