/**
 * The set of watched processes and which one is current (the status bar and the graph follow
 * it). Ended watches stay, so their graph keeps its data, until detached or crowded out.
 */
import { Disposable, Emitter, Event, IDisposable } from './util/lifecycle';
import { MemorySample, ProcessIdentity } from './sampling/types';
import { SeriesEvent } from '../shared/series';
import { GoRuntimeTracker } from './goruntime/tracker';
import { openUrlTarget } from './remote/urlTarget';
import { Watch } from './watch';
import type { AttachReason, WatchOptions } from './watchTypes';

/** How many ended watches are kept for their data before the oldest is dropped. */
const MAX_ENDED_WATCHES = 8;

export interface AttachResult {
  readonly watch: Watch;
  /** True when that process was already being watched (it is now the current one). */
  readonly alreadyWatched: boolean;
}

export class WatchRegistry extends Disposable {
  private readonly watches = new Map<string, { watch: Watch; subscriptions: IDisposable[] }>();
  private currentId?: string;
  private options: WatchOptions;

  private readonly changeEmitter = this.register(new Emitter<void>());
  private readonly sampleEmitter = this.register(new Emitter<{ watch: Watch; sample: MemorySample }>());
  private readonly eventEmitter = this.register(new Emitter<{ watch: Watch; event: SeriesEvent }>());

  /** The list, the current watch, or a watch's state changed. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;
  /** Any watch took a sample. */
  readonly onDidSample: Event<{ watch: Watch; sample: MemorySample }> = this.sampleEmitter.event;
  /** Any watch got a marker (attach, release, exit …). */
  readonly onDidAddEvent: Event<{ watch: Watch; event: SeriesEvent }> = this.eventEmitter.event;

  /** `goRuntime` makes the tracker that reads each watch's Go figures (none: OS figures only). */
  constructor(
    options: WatchOptions,
    private readonly goRuntime?: (pid: number) => GoRuntimeTracker,
  ) {
    super();
    this.options = options;
  }

  /** Watches, in the order they were attached. */
  list(): Watch[] {
    return [...this.watches.values()].map((entry) => entry.watch);
  }

  get(id: string): Watch | undefined {
    return this.watches.get(id)?.watch;
  }

  /** The running watch of the local process `pid`, if any (a URL target's PID is not one of ours). */
  findRunning(pid: number): Watch | undefined {
    return this.list().find((w) => w.isLocal && w.pid === pid && w.state === 'running');
  }

  /** What the status bar and graph show: the watch last attached or selected. */
  get current(): Watch | undefined {
    return this.currentId ? this.get(this.currentId) : undefined;
  }

  /**
   * Watches `pid` (or makes its existing watch current). Rejects with a SampleError saying why
   * when the process cannot be watched; nothing is added then.
   */
  async attach(pid: number, expected?: ProcessIdentity, why?: AttachReason): Promise<AttachResult> {
    const existing = this.findRunning(pid);
    if (existing && (!expected || existing.identity.startToken === expected.startToken)) {
      this.select(existing.id);
      return { watch: existing, alreadyWatched: true };
    }
    return this.add(await Watch.start({ pid, options: this.options, expected, why, goRuntime: this.goRuntime }));
  }

  /**
   * Watches the process that answers at `url` (a port-forward, a container's published port): see
   * remote/urlTarget.ts. The same URL already watched becomes current instead.
   */
  async attachUrl(url: string, allowedHosts: readonly string[], why?: AttachReason): Promise<AttachResult> {
    const target = await openUrlTarget(url, allowedHosts);
    const existing = this.list().find((w) => w.target.kind === 'url' && w.target.url === target.url && w.state === 'running');
    if (existing) {
      target.reader.close();
      this.select(existing.id);
      return { watch: existing, alreadyWatched: true };
    }
    return this.add(await Watch.startRemote({ target, options: this.options, why }));
  }

  private add(watch: Watch): AttachResult {
    if (this.disposed) {
      watch.dispose();
      throw new Error('Memory Watch is shutting down.');
    }
    const subscriptions = [
      watch.onDidSample((sample) => this.sampleEmitter.fire({ watch, sample })),
      watch.onDidChangeState(() => this.changeEmitter.fire()),
      watch.onDidAddEvent((event) => this.eventEmitter.fire({ watch, event })),
      watch.onDidChangeGoStatus(() => this.changeEmitter.fire()),
    ];
    this.watches.set(watch.id, { watch, subscriptions });
    this.makeCurrent(watch.id);
    this.dropOldEnded();
    this.changeEmitter.fire();
    return { watch, alreadyWatched: false };
  }

  /** Makes `id` the current watch. */
  select(id: string): boolean {
    if (!this.watches.has(id)) return false;
    if (this.currentId !== id) {
      this.makeCurrent(id);
      this.changeEmitter.fire();
    }
    return true;
  }

  /** The status bar and the graph show the current watch; the others read their costlier figures less often. */
  private makeCurrent(id: string | undefined): void {
    this.currentId = id;
    for (const { watch } of this.watches.values()) watch.setShown(watch.id === id);
  }

  /** Stops a watch but keeps it, with its data, for the graph (e.g. its debug session ended). */
  end(id: string, message: string, label = 'ended', state: 'exited' | 'detached' = 'detached'): boolean {
    const watch = this.get(id);
    if (!watch) return false;
    // Already ended (the process exited first): the marker still says why the watch is over.
    if (watch.state !== 'running') watch.addEvent({ time: Date.now(), kind: 'session', label, detail: message });
    else watch.stop(state, message, { kind: 'session', label });
    return true;
  }

  /** Stops a watch and forgets it (and its data). */
  detach(id: string): boolean {
    const entry = this.watches.get(id);
    if (!entry) return false;
    entry.watch.stop('detached', 'Detached.');
    entry.subscriptions.forEach((s) => s.dispose());
    entry.watch.dispose();
    this.watches.delete(id);
    if (this.currentId === id) {
      // Fall back to the most recent running watch, else the most recent one.
      const rest = this.list();
      this.makeCurrent(([...rest].reverse().find((w) => w.state === 'running') ?? rest[rest.length - 1])?.id);
    }
    this.changeEmitter.fire();
    return true;
  }

  /** New sampling settings for every watch. */
  configure(options: WatchOptions): void {
    this.options = options;
    for (const watch of this.list()) watch.configure(options);
    this.changeEmitter.fire();
  }

  override dispose(): void {
    for (const id of [...this.watches.keys()]) {
      const entry = this.watches.get(id)!;
      entry.subscriptions.forEach((s) => s.dispose());
      entry.watch.dispose();
    }
    this.watches.clear();
    super.dispose();
  }

  private dropOldEnded(): void {
    const ended = this.list().filter((w) => w.state !== 'running' && w.id !== this.currentId);
    for (const watch of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_WATCHES))) this.detach(watch.id);
  }
}
