/**
 * Follows the debugger: a DAP tracker on every debug session finds the debuggee's PID (the
 * `process` event, else the fallbacks), watches it (memoryWatch.autoAttach), marks when it is
 * stopped, ends the watch with the session, makes the status bar follow the active session, and
 * lets Free OS Memory go through Delve while the program is stopped.
 *
 * The tracker factory answers at once (VS Code drops factories slower than 1 s); everything that
 * takes time (process listing, DAP requests, attaching) runs after it.
 */
import vscode = require('vscode');
import { DapObserver, SessionChange } from '../core/debug/dapObserver';
import { callFreeOSMemory } from '../core/debug/delveCall';
import { findDelveChild, parseDlvTargetList, pidFromAttachConfiguration, pidFromJsDebugSessionName, sameProgram } from '../core/debug/pidFallbacks';
import { describeProcess, listProcesses } from '../core/processes/processInfo';
import { DebuggerRoute } from '../core/release/freeOSMemory';
import { TriggerOutcome } from '../core/release/measure';
import { readProcStat } from '../core/sampling/procfs';
import { Disposable } from '../core/util/lifecycle';
import { Watch } from '../core/watch';
import { WatchRegistry } from '../core/watchRegistry';

interface SessionEntry {
  readonly session: vscode.DebugSession;
  readonly observer: DapObserver;
  /** PIDs found for it (a followed child adds one). */
  readonly pids: Set<number>;
  /** Watches started for it. */
  readonly watchIds: Set<string>;
  stoppedThreadId?: number;
  /** Things already said about it in the output channel (each once). */
  readonly told: Set<string>;
}

/** Delve is the only Go adapter; vscode-go's type is "go". */
export function isDelveSession(session: { type: string }): boolean {
  return session.type === 'go' || /dlv|delve/i.test(session.type);
}

/** True when `pid` is a live process on this machine (not a zombie). */
function isLocalLiveProcess(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const state = readProcStat(pid).state;
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DebugFollower extends Disposable {
  private readonly sessions = new Map<string, SessionEntry>();

  constructor(
    private readonly registry: WatchRegistry,
    private readonly autoAttach: () => boolean,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => {
          const entry = this.entry(session);
          return {
            onWillReceiveMessage: (m: unknown) => this.apply(entry, entry.observer.willReceive(m)),
            onDidSendMessage: (m: unknown) => {
              this.apply(entry, entry.observer.didSend(m));
              if ((m as { type?: string; event?: string })?.type === 'event' && (m as { event?: string }).event === 'initialized') void this.fallbackAfterStart(entry);
            },
            onExit: () => this.end(entry),
          };
        },
      }),
    );
    this.register(vscode.debug.onDidStartDebugSession((session) => this.onStart(this.entry(session))));
    this.register(
      vscode.debug.onDidTerminateDebugSession((session) => {
        const entry = this.sessions.get(session.id);
        if (entry) this.end(entry);
      }),
    );
    this.register(vscode.debug.onDidChangeActiveDebugSession((session) => this.follow(session)));
  }

  /** The debugger route for a watch, when its process belongs to a debug session. */
  routeFor(watch: Watch): DebuggerRoute | undefined {
    const entry = [...this.sessions.values()].find((e) => e.watchIds.has(watch.id) || e.pids.has(watch.pid));
    if (!entry) return undefined;
    const session = entry.session;
    return {
      sessionName: session.name,
      canCall: isDelveSession(session),
      call: async (): Promise<TriggerOutcome> => {
        const result = await callFreeOSMemory(async (command, args) => session.customRequest(command, args), entry.stoppedThreadId);
        if (result.ok) return { ok: true, detail: `Delve: call debug.FreeOSMemory() in "${session.name}"` };
        return { ok: false, message: `Delve: ${result.message}. ${result.hint}` };
      },
    };
  }

  /** Debug sessions whose debuggee is known, for the top of the attach picker. */
  sessionsWithPids(): { name: string; pid: number }[] {
    return [...this.sessions.values()].flatMap((e) => [...e.pids].map((pid) => ({ name: e.session.name, pid })));
  }

  private entry(session: vscode.DebugSession): SessionEntry {
    let entry = this.sessions.get(session.id);
    if (!entry) {
      entry = { session, observer: new DapObserver(), pids: new Set(), watchIds: new Set(), told: new Set() };
      this.sessions.set(session.id, entry);
    }
    return entry;
  }

  /** Once, in the output channel: no popup per session. */
  private tell(entry: SessionEntry, key: string, message: string): void {
    if (entry.told.has(key)) return;
    entry.told.add(key);
    this.log.info(`Debug session "${entry.session.name}": ${message}`);
  }

  private onStart(entry: SessionEntry): void {
    const { session } = entry;
    const pid = pidFromAttachConfiguration(session.configuration) ?? pidFromJsDebugSessionName(session.type, session.name);
    if (pid !== undefined) this.found(entry, pid, pidFromAttachConfiguration(session.configuration) ? 'the attach configuration' : 'the session name');
  }

  private apply(entry: SessionEntry, changes: SessionChange[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'pid':
          void this.foundInEvent(entry, change.pid, change.name);
          break;
        case 'stopped':
          entry.stoppedThreadId = change.threadId;
          this.watchesOf(entry).forEach((w) => w.setPaused(true, change.reason === 'breakpoint' ? 'breakpoint' : 'paused'));
          if (entry.pids.size === 0 && isDelveSession(entry.session)) void this.askDelveForTarget(entry);
          break;
        case 'continued':
          entry.stoppedThreadId = undefined;
          this.watchesOf(entry).forEach((w) => w.setPaused(false));
          break;
        case 'ended':
          this.end(entry);
          break;
      }
    }
  }

  private watchesOf(entry: SessionEntry): Watch[] {
    return [...entry.watchIds].map((id) => this.registry.get(id)).filter((w): w is Watch => w !== undefined && w.state === 'running');
  }

  /** No process event by the time the session is initialized: look for the child of dlv. */
  private async fallbackAfterStart(entry: SessionEntry): Promise<void> {
    // Delve sends its process event before `initialized`; give other adapters a moment.
    await new Promise((r) => setTimeout(r, isDelveSession(entry.session) ? 0 : 500));
    if (entry.pids.size > 0 || entry.observer.ended || !isDelveSession(entry.session)) return;
    try {
      const claimed = new Set([...this.sessions.values()].filter((e) => e !== entry).flatMap((e) => [...e.pids]));
      const pid = findDelveChild(await listProcesses(), entry.session.configuration.program, claimed);
      if (pid !== undefined) this.found(entry, pid, 'the child of the dlv process');
      else this.tell(entry, 'no-pid-yet', 'no process event and no single child of dlv; will ask Delve (dlv target list) when the program stops.');
    } catch (err) {
      this.log.debug(`process listing failed: ${(err as Error).message}`);
    }
  }

  /** While stopped, Delve can say which process it debugs. */
  private async askDelveForTarget(entry: SessionEntry): Promise<void> {
    try {
      const body = (await entry.session.customRequest('evaluate', { expression: 'dlv target list', context: 'repl' })) as { result?: string };
      const pid = parseDlvTargetList(body?.result ?? '');
      if (pid !== undefined) this.found(entry, pid, '`dlv target list`');
    } catch (err) {
      this.tell(entry, 'target-list', `could not ask Delve for its target: ${(err as Error).message}`);
    }
  }

  /**
   * A PID from a `process` event is the adapter's view: a Delve on another machine or in a
   * container reports its own PIDs (and says isLocalProcess: true regardless). When the event names
   * the program, the local process with that PID must be that program, or it is someone else.
   */
  private async foundInEvent(entry: SessionEntry, pid: number, name: string | undefined): Promise<void> {
    if (name && isLocalLiveProcess(pid)) {
      const local = await describeProcess(pid).catch(() => undefined);
      if (!local || !sameProgram(name, local)) {
        const here = local ? local.name : 'a process without a program (a kernel thread?)';
        this.tell(entry, `other-${pid}`, `the debugger reports PID ${pid} running ${name}, but PID ${pid} here is ${here} — a remote dlv or a container? Not watching it.`);
        return;
      }
    }
    this.found(entry, pid, 'the process event');
  }

  private found(entry: SessionEntry, pid: number, source: string): void {
    if (entry.pids.has(pid) || entry.observer.ended) return;
    if (!isLocalLiveProcess(pid)) {
      this.tell(entry, `not-local-${pid}`, `PID ${pid} (from ${source}) is not a running process on this machine — a remote dlv, a core dump or a replay? Not watching it.`);
      return;
    }
    entry.pids.add(pid);
    this.log.info(`Debug session "${entry.session.name}": debuggee PID ${pid} (from ${source}).`);
    if (!this.autoAttach()) return;
    void this.registry.attach(pid, undefined, { label: 'debug', detail: `Watching the debuggee of "${entry.session.name}" (PID ${pid})` }).then(
      ({ watch }) => {
        entry.watchIds.add(watch.id);
        if (entry.observer.stopped) watch.setPaused(true);
        if (entry.observer.ended) this.end(entry);
        // The status bar follows the active session; another session's debuggee does not take it over.
        const active = vscode.debug.activeDebugSession;
        if (active && active.id !== entry.session.id && this.sessions.get(active.id)?.watchIds.size) this.follow(active);
      },
      (err: Error) => this.tell(entry, `attach-${pid}`, `could not watch PID ${pid}: ${err.message}`),
    );
  }

  private follow(session: vscode.DebugSession | undefined): void {
    if (!session) return;
    const entry = this.sessions.get(session.id);
    const watch = entry ? this.watchesOf(entry).at(-1) : undefined;
    if (watch) this.registry.select(watch.id);
  }

  private end(entry: SessionEntry): void {
    if (!this.sessions.has(entry.session.id)) return;
    this.sessions.delete(entry.session.id);
    for (const id of entry.watchIds) {
      const watch = this.registry.get(id);
      // A launched debuggee dies with its session; an attached one usually lives on.
      const state = watch && !isLocalLiveProcess(watch.pid) ? 'exited' : 'detached';
      this.registry.end(id, `Debug session "${entry.session.name}" ended.`, 'session ended', state);
    }
  }
}

