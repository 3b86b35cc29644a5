/**
 * Following a service across restarts: a supervisor (systemd, a container runtime, a shell loop)
 * starts a new process when the old one dies — by OOM kill, crash or deploy. A followed target
 * (a command-line pattern, a PID file) names "the current process"; the follower watches it, and
 * when that process has ended and a new one is named, resumes the same watch on it, so one graph
 * joins the runs with a "restarted" marker.
 *
 * Polling happens only while a target has no running watch (every 2 s by default), and looks only
 * at the targets without one: a PID file of a running service is read again when it changes (the
 * file watcher pokes) or its process ends, not at every look for another service that is down. A
 * target whose watch the user detached is left alone until the targets change.
 */
import { Disposable } from './util/lifecycle';
import { WatchRegistry } from './watchRegistry';

export interface FollowTarget {
  /** Unique per target: "pattern:myservice", "pidfile:/run/app.pid". */
  readonly key: string;
  /** For markers and the log: 'processes matching "myservice"', 'the PID file /run/app.pid'. */
  readonly description: string;
  /**
   * The PID the target names now, or undefined (none yet). Rejects with what is wrong (a PID file
   * missing or malformed), said whole: the follower logs it once, and again only when it changes.
   */
  current(): Promise<number | undefined>;
}

/** How long a replaced process may take to exit before its watch is ended for the new one. */
const REPLACE_GRACE_MS = 5000;

export class Follower extends Disposable {
  /** Targets by group ("pidFiles", "commandLines"): each group is replaced as a whole. */
  private readonly groups = new Map<string, readonly FollowTarget[]>();
  /** The watch each target started (or resumed), by target key. */
  private readonly watchOf = new Map<string, string>();
  /** Targets whose watch the user detached: not followed until the targets change. */
  private readonly leftAlone = new Set<string>();
  /** The last problem logged per target key: the same one is not logged at every look. */
  private readonly problems = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private polling = false;
  /** Asked to look at every target while a look was under way: another follows it at once. */
  private lookAgain = false;

  constructor(
    private readonly registry: WatchRegistry,
    private readonly log: (message: string) => void,
    private readonly pollMs = 2000,
  ) {
    super();
    this.register(registry.onDidChange(() => this.schedule()));
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  /** Replaces one group of followed targets (its setting changed) and looks at once. */
  setTargets(group: string, targets: readonly FollowTarget[]): void {
    this.groups.set(group, [...targets]);
    const keys = new Set(this.targets.map((t) => t.key));
    for (const key of [...this.watchOf.keys()]) if (!keys.has(key)) this.watchOf.delete(key);
    for (const key of [...this.problems.keys()]) if (!keys.has(key)) this.problems.delete(key);
    for (const t of targets) this.leftAlone.delete(t.key);
    this.lookAtAll();
  }

  private get targets(): FollowTarget[] {
    return [...this.groups.values()].flat();
  }

  /** Looks now at every target, running or not (a PID file changed: its service may have restarted). */
  poke(): void {
    this.lookAtAll();
  }

  /** A look at every target now, or right after the one under way (which may be skipping the running ones). */
  private lookAtAll(): void {
    if (this.polling) this.lookAgain = true;
    else void this.poll(true);
  }

  /** The target a watch follows, if any. */
  targetOf(watchId: string): FollowTarget | undefined {
    for (const [key, id] of this.watchOf) if (id === watchId) return this.targets.find((t) => t.key === key);
    return undefined;
  }

  /** Poll again later only while some target has no running watch. */
  private schedule(): void {
    if (this.disposed || this.timer || this.polling) return;
    if (!this.targets.some((t) => this.needsLook(t))) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll(false);
    }, this.pollMs);
  }

  private needsLook(target: FollowTarget): boolean {
    if (this.leftAlone.has(target.key)) return false;
    const id = this.watchOf.get(target.key);
    return this.registry.get(id ?? '')?.state !== 'running';
  }

  /** Looks at the targets: all of them (`everyTarget`), or only those whose process is not watched running. */
  private async poll(everyTarget: boolean): Promise<void> {
    if (this.polling || this.disposed) return;
    this.polling = true;
    try {
      for (const target of this.targets) {
        const id = this.watchOf.get(target.key);
        // The user detached it: leave this target alone.
        if (id !== undefined && !this.registry.get(id)) {
          this.watchOf.delete(target.key);
          this.leftAlone.add(target.key);
          continue;
        }
        if (this.leftAlone.has(target.key)) continue;
        if (!everyTarget && !this.needsLook(target)) continue;
        let pid: number | undefined;
        try {
          pid = await target.current();
          this.problems.delete(target.key);
        } catch (err) {
          const problem = (err as Error).message;
          if (this.problems.get(target.key) !== problem) this.log(problem);
          this.problems.set(target.key, problem);
          continue;
        }
        if (pid === undefined || this.disposed) continue;
        await this.follow(target, pid);
      }
    } finally {
      this.polling = false;
      if (this.lookAgain && !this.disposed) {
        this.lookAgain = false;
        void this.poll(true);
      } else this.schedule();
    }
  }

  private async follow(target: FollowTarget, pid: number): Promise<void> {
    const watch = this.registry.get(this.watchOf.get(target.key) ?? '');
    if (watch?.state === 'running' && watch.pid === pid) return;
    try {
      if (watch && watch.isLocal && watch.state !== 'detached') {
        if (watch.state === 'running') {
          // Named a new process while the old one still runs (a PID file rewritten at start-up):
          // give the old one a moment to go, then end its watch for the new one.
          const gone = await watch.nextSample().then(
            () => false,
            () => true,
          );
          if (!gone && watch.state === 'running') {
            await new Promise((r) => setTimeout(r, REPLACE_GRACE_MS));
            if (watch.state === 'running') watch.stop('exited', `Replaced: ${target.description} now names PID ${pid}.`, { kind: 'exit', label: 'replaced' });
          }
        }
        await watch.resume(pid, { label: 'restarted', detail: `${target.description} named a new process` });
        // The status bar and the graph showed a watch that has ended: the service that came back
        // is what they show now (one that runs keeps its place).
        if (watch.state === 'running' && this.registry.current?.state !== 'running') this.registry.select(watch.id);
        this.log(`Following ${target.description}: PID ${pid} (restarted).`);
        return;
      }
      if (this.registry.findRunning(pid)) {
        // Already watched (attached by hand): follow that watch from now on.
        this.watchOf.set(target.key, this.registry.findRunning(pid)!.id);
        return;
      }
      const { watch: started } = await this.registry.attach(pid, undefined, { label: 'followed', detail: `Watching ${target.description} (PID ${pid})` });
      this.watchOf.set(target.key, started.id);
      this.log(`Following ${target.description}: PID ${pid}.`);
    } catch (err) {
      this.log(`Following ${target.description}: cannot watch PID ${pid}: ${(err as Error).message}`);
    }
  }
}
