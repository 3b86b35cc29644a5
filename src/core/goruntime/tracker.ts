/**
 * Go figures for one watch: finds the source (discovery.ts), then reads it with each sample — at
 * most one loopback request per sample, none while the program is stopped in a debugger (it could
 * not answer). Driven by the watch's own sampling loop: no timer of its own.
 *
 * Rediscovery: a source that fails three times in a row is dropped and looked for again after a
 * delay that doubles with each drop (5 s, 10 s, 20 s); after four drops without a steady run of
 * good reads in between, the tracker stops asking and says why — a target that keeps answering
 * badly gets no more requests until the user asks to try again (or settings change). With no
 * source, discovery is retried after 5 s, 30 s and then every 2 minutes — and only when the
 * program's set of listening ports changed since the last try (a late server is still found).
 */
import { Emitter, Event } from '../util/lifecycle';
import type { GoFiguresState } from '../../shared/watchSummary';
import { formatDuration } from '../../shared/format';
import { discover, DiscoveryOptions, listenerKey } from './discovery';
import { GoFigures } from './figures';
import { GoSource } from './sources';
import { listListeners } from './listeners';

/** Where the figures come from, or why there are none; `state` is one of GoFiguresState. */
export type GoStatus =
  /** Looking (again: `lastError` says why the previous source was dropped). */
  | { readonly state: 'searching'; readonly lastError?: string }
  | { readonly state: 'found'; readonly source: GoSource }
  | { readonly state: 'none'; readonly reason: string }
  /** Gave up after repeated failures; nothing is asked until retry(). */
  | { readonly state: 'stopped'; readonly reason: string }
  | { readonly state: 'off' };

// The summary the webview gets names the same states: a compile error if the two drift apart.
const _statesAgree: GoFiguresState extends GoStatus['state'] ? (GoStatus['state'] extends GoFiguresState ? true : never) : never = true;
void _statesAgree;

/** The delays between looks; the tests shorten them to run in seconds, the logic stays the same. */
export interface TrackerTiming {
  /** After a fruitless discovery: the first, second, then every later retry. */
  readonly retryDelaysMs: readonly number[];
  /** The first delay before looking again after a drop; it doubles with each drop. */
  readonly dropBackoffMs: number;
}

const DEFAULT_TIMING: TrackerTiming = { retryDelaysMs: [5_000, 30_000, 120_000], dropBackoffMs: 5_000 };
/** Failed reads in a row that drop a source. */
const MAX_FAILURES = 3;
/** Drops (each after MAX_FAILURES) before the tracker stops asking. */
export const MAX_DROPS = 4;
/** Good reads in a row that make a source trusted again (its drops forgotten). */
const STEADY_READS = 10;
/**
 * How often a watch that is not shown (not the current one: neither the status bar nor the graph
 * shows it) reads its Go figures. Each read is a loopback request and, for expvar and pprof, a
 * stop-the-world ReadMemStats in the target; twenty services watched at once paid for twenty reads
 * a second to show one, and every 5 s their requests were still a third of what twenty watches cost
 * the extension host (a perf profile). Their RSS is still sampled at the full rate, and the
 * figures are read again at once when the watch is shown. A kept connection outlives this interval
 * (net/request.ts, KEPT_IDLE_MS), so each read reuses it.
 */
export const BACKGROUND_GO_FIGURES_INTERVAL_MS = 10_000;
/** Distinct problems logged per watch (a target could invent endless new ones). */
const MAX_LOGGED_PROBLEMS = 20;

export class GoRuntimeTracker {
  private statusValue: GoStatus = { state: 'searching' };
  private source?: GoSource;
  private lastRead = 0;
  private failures = 0;
  private discovering = false;
  private disposed = false;
  private attempts = 0;
  private nextDiscovery = 0;
  private lastListenerKey?: string;
  /** Sources dropped since the last steady run of good reads. */
  private drops = 0;
  private goodReads = 0;
  private shown = true;
  private readonly loggedProblems = new Set<string>();
  /** The figures the samples carry until the next read (carried()). */
  private lastCarried?: { readonly go: GoFigures; readonly goReadAt: number };
  private readonly statusEmitter = new Emitter<GoStatus>();
  /** The source was found, lost, or found missing. */
  readonly onDidChangeStatus: Event<GoStatus> = this.statusEmitter.event;

  constructor(
    private readonly pid: number,
    private readonly options: () => DiscoveryOptions & { readonly enabled: boolean },
    private readonly log: (message: string) => void,
    private readonly timing: TrackerTiming = DEFAULT_TIMING,
  ) {}

  get status(): GoStatus {
    return this.statusValue;
  }

  /** The source found, if any (its kind and HTTP origin: where a heap profile may be asked). */
  get currentSource(): GoSource | undefined {
    return this.source;
  }

  /** The agent's FreeOSMemory URL when the source is our agent. */
  get agentFreeOSMemoryUrl(): URL | undefined {
    return this.source?.freeOSMemoryUrl;
  }

  /** Forget the source and look again at the next sample (settings changed, or the user asked to retry). */
  reset(): void {
    this.setSource(undefined);
    this.attempts = 0;
    this.drops = 0;
    this.failures = 0;
    this.nextDiscovery = 0;
    this.lastListenerKey = undefined;
    this.setStatus(this.options().enabled ? { state: 'searching' } : { state: 'off' });
  }

  /** How often the source in use is read (undefined: none in use): less often while not shown. */
  get readEveryMs(): number | undefined {
    return this.source && this.readEvery(this.source);
  }

  private readEvery(source: GoSource): number {
    return this.shown ? source.minIntervalMs : Math.max(source.minIntervalMs, BACKGROUND_GO_FIGURES_INTERVAL_MS);
  }

  /** Whether the figures are shown (the current watch's); shown again, they are read at the next sample. */
  setShown(shown: boolean): void {
    if (shown && !this.shown) this.lastRead = 0;
    this.shown = shown;
  }

  /**
   * Called once per sample: a read of fresh figures when one is due, else undefined at once (none
   * found, not due, paused) — most samples at 10 Hz, which then await nothing. The read resolves
   * with the figures, or undefined when the source failed.
   */
  figures(paused: boolean): Promise<GoFigures | undefined> | undefined {
    if (!this.options().enabled) {
      if (this.statusValue.state !== 'off') this.setStatus({ state: 'off' });
      return undefined;
    }
    if (paused || this.statusValue.state === 'stopped') return undefined;
    const now = Date.now();
    if (!this.source) {
      if (!this.discovering && now >= this.nextDiscovery) void this.runDiscovery();
      return undefined;
    }
    if (!goFiguresReadDue(now, this.lastRead, this.readEvery(this.source))) return undefined;
    this.lastRead = now;
    return this.readFrom(this.source, now);
  }

  /**
   * The Go figures a sample taken at `time` carries: `fresh` when it was read with it, else the last
   * ones while the source is still read on its own schedule — not after it failed for longer than
   * that, and not while paused in the debugger, when nothing is asked and old figures would pass
   * for current ones.
   */
  carried(time: number, fresh: GoFigures | undefined, paused: boolean): { readonly go: GoFigures; readonly goReadAt: number } | undefined {
    if (fresh) return (this.lastCarried = { go: fresh, goReadAt: time });
    const every = this.readEveryMs;
    if (paused || every === undefined || !this.lastCarried || time - this.lastCarried.goReadAt > 2 * every) this.lastCarried = undefined;
    return this.lastCarried;
  }

  private async readFrom(source: GoSource, now: number): Promise<GoFigures | undefined> {
    try {
      const { figures, problems } = await source.read();
      this.failures = 0;
      if (++this.goodReads >= STEADY_READS) this.drops = 0;
      this.logProblems(source, problems);
      return figures;
    } catch (err) {
      this.goodReads = 0;
      if (++this.failures >= MAX_FAILURES && this.source === source) this.drop(source, (err as Error).message, now);
      return undefined;
    }
  }

  private drop(source: GoSource, message: string, now: number): void {
    this.setSource(undefined);
    this.failures = 0;
    this.drops++;
    if (this.drops >= MAX_DROPS) {
      const reason = `${source.description} failed ${MAX_DROPS * MAX_FAILURES} times in a row (the last: ${message})`;
      this.log(`Go figures: stopped asking — ${reason}. Nothing more is sent to it until you retry.`);
      this.setStatus({ state: 'stopped', reason });
      return;
    }
    const delay = this.timing.dropBackoffMs * 2 ** (this.drops - 1);
    this.log(`Go figures: ${source.description} failed ${MAX_FAILURES} times (${message}); looking again in ${formatDuration(delay)}.`);
    this.attempts = 0;
    this.nextDiscovery = now + delay;
    this.lastListenerKey = undefined;
    this.setStatus({ state: 'searching', lastError: message });
  }

  /** Each distinct problem with a source's answer goes to the log once. */
  private logProblems(source: GoSource, problems: readonly string[]): void {
    for (const problem of problems) {
      if (this.loggedProblems.has(problem) || this.loggedProblems.size >= MAX_LOGGED_PROBLEMS) continue;
      this.loggedProblems.add(problem);
      this.log(`Go figures from ${source.description}: ${problem}.`);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.setSource(undefined);
    this.statusEmitter.dispose();
  }

  /** The source read from now on; the one before lets go of its connection. */
  private setSource(source: GoSource | undefined): void {
    if (this.source !== source) this.source?.close?.();
    this.source = source;
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
      if (result.source && this.disposed) result.source.close?.();
      else if (result.source) {
        this.setSource(result.source);
        this.failures = 0;
        this.goodReads = 0;
        this.lastRead = 0;
        this.logProblems(result.source, result.problems ?? []);
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
    const delays = this.timing.retryDelaysMs;
    this.nextDiscovery = Date.now() + delays[Math.min(this.attempts, delays.length - 1)];
  }

  private setStatus(status: GoStatus): void {
    this.statusValue = status;
    this.statusEmitter.fire(status);
  }
}

/**
 * Whether the Go figures are due: a whole interval since the last read, less a little slack so a
 * sample a few ms early does not skip a whole interval — but only a little (a tenth of the interval
 * at 10 Hz sampling read expvar every 900 ms: 1.1 stop-the-world pauses a second).
 */
export function goFiguresReadDue(now: number, lastRead: number, minIntervalMs: number): boolean {
  return now - lastRead >= minIntervalMs - Math.min(READ_SLACK_MS, minIntervalMs / 10);
}

const READ_SLACK_MS = 20;
