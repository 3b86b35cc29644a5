/**
 * The palette commands. Each also takes an argument so keybindings, other extensions and tests can
 * call it without UI: `executeCommand('memoryWatch.attach', { pid })` and so on.
 */
import vscode = require('vscode');
import { showError, showInfo, showWarning } from './notify';
import { formatBytes } from '../shared/format';
import { checkUrl } from '../core/net/urlPolicy';
import { WATCH_URL } from '../core/remote/urlTarget';
import { watchRow } from '../core/pickItems';
import { DebuggerRoute, freeOSMemory } from '../core/release/freeOSMemory';
import { ReleaseReport } from '../core/release/measure';
import { SampleError } from '../core/sampling/types';
import { Settings } from '../core/settings';
import { Disposable } from '../core/util/lifecycle';
import { Watch } from '../core/watch';
import { WatchRegistry } from '../core/watchRegistry';
import { toWatchInfo, WatchInfo } from './api';
import { WATCHING_CONTEXT } from '../shared/commandTable';
import { AddHookArgument, CommandId, registerCommand, runCommand, WatchArgument } from './commandIds';
import { pickProcess } from './processPicker';
import { AddHookCommand } from './addHook';


export interface CommandDeps {
  readonly registry: WatchRegistry;
  /** The debug-session route of a watch (FreeOSMemory through Delve). */
  readonly debuggerRoute: (watch: Watch) => DebuggerRoute | undefined;
  /** Debug sessions with a known debuggee, listed first in the picker. */
  readonly debugSessions: () => { name: string; pid: number }[];
  readonly settings: () => Settings;
  readonly showGraph: () => void;
  readonly log: vscode.LogOutputChannel;
}

export class Commands extends Disposable {
  private readonly releasing = new Set<string>();
  /** Watches whose owner already agreed to get a signal we cannot check (macOS). */
  private readonly signalConfirmed = new Set<string>();
  private lastReport?: ReleaseReport;
  private readonly busyEmitter = this.register(new vscode.EventEmitter<boolean>());
  /** A FreeOSMemory request started, or the last one finished (the graphs disable their button). */
  readonly onDidChangeBusy: vscode.Event<boolean> = this.busyEmitter.event;

  constructor(private readonly deps: CommandDeps) {
    super();
    this.register(registerCommand(CommandId.Attach, (arg) => this.attach(arg)));
    this.register(registerCommand(CommandId.WatchUrl, (arg) => this.watchUrl(arg)));
    this.register(registerCommand(CommandId.Detach, (arg) => this.detach(arg)));
    this.register(registerCommand(CommandId.ShowGraph, () => deps.showGraph()));
    this.register(registerCommand(CommandId.FreeOSMemory, (arg) => this.freeOSMemory(arg)));
    const addHook = this.register(new AddHookCommand());
    this.register(registerCommand(CommandId.AddFreeOSMemoryHook, (arg: AddHookArgument) => addHook.run(arg)));
    // The palette offers the commands about a watch only while there is one (COMMANDS' paletteWhen).
    const updateContext = () => void vscode.commands.executeCommand('setContext', WATCHING_CONTEXT, deps.registry.list().length > 0);
    this.register(deps.registry.onDidChange(updateContext));
    updateContext();
  }

  get busy(): boolean {
    return this.releasing.size > 0;
  }

  get lastRelease(): ReleaseReport | undefined {
    return this.lastReport;
  }

  /** Attaches to a PID given as argument, else to one picked from the list. Resolves with the watch, or undefined. */
  async attach(arg: WatchArgument): Promise<WatchInfo | undefined> {
    let pid: number | undefined;
    if (arg === undefined) {
      const picked = await pickProcess(new Set(this.deps.registry.list().filter((w) => w.state === 'running' && w.isLocal).map((w) => w.pid)), this.deps.debugSessions());
      if (picked === 'url') return this.watchUrl(undefined);
      pid = picked;
      if (pid === undefined) return undefined;
    } else {
      pid = pidOf(arg);
      if (pid === undefined) {
        void showError(`Memory Watch: ${describeArg(arg)} is not a PID. Pass { pid: <number> }.`);
        return undefined;
      }
    }
    try {
      const { watch, alreadyWatched } = await this.deps.registry.attach(pid);
      if (alreadyWatched) {
        void showInfo(`Memory Watch: already watching ${watch.info.name} (PID ${pid}).`);
      } else {
        this.deps.log.info(`Watching ${watch.info.name} (PID ${pid}): RSS ${formatBytes(watch.latest?.rss)}.`);
      }
      return toWatchInfo(watch, this.deps.registry.current);
    } catch (err) {
      const message = err instanceof SampleError ? err.message : `Could not watch PID ${pid}: ${(err as Error).message}`;
      this.deps.log.warn(message);
      void showError(`Memory Watch: ${message}`);
      return undefined;
    }
  }

  /**
   * Watches a process reached only by URL (kubectl port-forward, a published port, an allowed
   * host): `{ url }`, or asked for. Resolves with the watch, or undefined.
   */
  async watchUrl(arg: { url?: unknown } | undefined): Promise<WatchInfo | undefined> {
    const allowedHosts = this.deps.settings().release.allowedHosts;
    let url = typeof arg?.url === 'string' ? arg.url : undefined;
    if (arg?.url !== undefined && url === undefined) {
      void showError('Memory Watch: Watch URL takes { url: "http://127.0.0.1:8081/" }.');
      return undefined;
    }
    url ??= await vscode.window.showInputBox({
      title: 'Memory Watch: Watch URL',
      prompt: 'Where the Go program answers: its Memory Watch agent (full figures), or expvar / net/http/pprof (Go figures only). E.g. a kubectl port-forward.',
      placeHolder: 'http://127.0.0.1:8081/',
      value: 'http://127.0.0.1:',
      valueSelection: [17, 17],
      ignoreFocusOut: true,
      validateInput: (value) => {
        const check = checkUrl(value, allowedHosts, WATCH_URL);
        return check.ok ? undefined : check.message;
      },
    });
    if (!url) return undefined;
    try {
      const { watch, alreadyWatched } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Memory Watch: reaching ${url}…` }, () => this.deps.registry.attachUrl(url!, allowedHosts));
      if (alreadyWatched) void showInfo(`Memory Watch: already watching ${url}.`);
      else this.deps.log.info(`Watching ${watch.info.name} through ${url}: ${watch.remoteSource?.description ?? ''}.`);
      return toWatchInfo(watch, this.deps.registry.current);
    } catch (err) {
      const message = (err as Error).message;
      this.deps.log.warn(`Watch URL ${url}: ${message}`);
      void showError(`Memory Watch: ${message}`);
      return undefined;
    }
  }

  /** Stops watching: the given watch, the only one, or one picked from the list. */
  async detach(arg: WatchArgument): Promise<boolean> {
    const watch = arg === undefined ? await this.pickWatch('Detach Memory Watch from…') : this.findWatch(arg);
    if (!watch) {
      if (arg !== undefined) void showWarning(`Memory Watch: ${describeArg(arg)} is not watched.`);
      return false;
    }
    this.deps.registry.detach(watch.id);
    this.deps.log.info(`Detached from ${watch.info.name} (PID ${watch.pid}).`);
    return true;
  }

  /** Makes the target call debug.FreeOSMemory() and reports the measured effect. */
  async freeOSMemory(arg: WatchArgument): Promise<ReleaseReport | undefined> {
    const watch = arg === undefined ? this.deps.registry.current : this.findWatch(arg);
    if (!watch) {
      const choice = await showWarning('Memory Watch: no process is watched. Attach to one first.', 'Attach…');
      if (choice) await runCommand(CommandId.Attach);
      return undefined;
    }
    if (this.releasing.has(watch.id)) {
      void showInfo(`Memory Watch: a FreeOSMemory request for ${watch.info.name} is already under way.`);
      return undefined;
    }
    this.releasing.add(watch.id);
    this.busyEmitter.fire(true);
    try {
      const settings = this.deps.settings().release;
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Free OS Memory: ${watch.info.name} (PID ${watch.pid})…` },
        () =>
          freeOSMemory(watch, settings, {
            confirm: (message) => this.confirmSignal(watch, message),
            debugger: this.deps.debuggerRoute(watch),
            agentUrl: watch.goRuntime?.agentFreeOSMemoryUrl ?? watch.remoteSource?.freeOSMemoryUrl,
          }),
      );
      this.lastReport = report;
      this.show(report, watch);
      return report;
    } finally {
      this.releasing.delete(watch.id);
      this.busyEmitter.fire(this.busy);
    }
  }

  private show(report: ReleaseReport, watch: Watch): void {
    const where = `${watch.info.name} (PID ${watch.pid})`;
    this.deps.log.info(`FreeOSMemory via ${report.method} on ${where}: ${report.message}${report.detail ? ` [${report.detail}]` : ''}`);
    if (report.triggered && report.released !== undefined && report.released > 0 && !report.message.startsWith('No measurable')) {
      void showInfo(`${report.message} (${where})`);
      return;
    }
    if (report.triggered) {
      void showWarning(report.message);
      return;
    }
    // Refused or failed: offer the settings when they are the likely fix.
    void showError(`Memory Watch: ${report.message}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'memoryWatch.freeOSMemory');
    });
  }

  private async confirmSignal(watch: Watch, message: string): Promise<boolean> {
    if (this.signalConfirmed.has(watch.id)) return true;
    const send = 'Send';
    const choice = await showWarning(message, { modal: true }, send);
    if (choice !== send) return false;
    this.signalConfirmed.add(watch.id);
    return true;
  }

  private findWatch(arg: WatchArgument): Watch | undefined {
    if (typeof arg === 'object' && arg !== null && typeof arg.watchId === 'string') return this.deps.registry.get(arg.watchId);
    const pid = pidOf(arg);
    if (pid === undefined) return undefined;
    const matches = this.deps.registry.list().filter((w) => w.pid === pid);
    return matches.find((w) => w.state === 'running') ?? matches[matches.length - 1];
  }

  private async pickWatch(title: string): Promise<Watch | undefined> {
    const watches = this.deps.registry.list();
    if (watches.length <= 1) return watches[0];
    const current = this.deps.registry.current;
    const picked = await vscode.window.showQuickPick(
      watches.map((w) => ({
        ...watchRow(w.info.name, `PID ${w.pid} · ${w.state === 'running' ? `RSS ${formatBytes(w.latest?.rss)}` : w.state}${w === current ? ' · current' : ''}`),
        watch: w,
      })),
      { title },
    );
    return picked?.watch;
  }
}

function pidOf(arg: WatchArgument): number | undefined {
  const value = typeof arg === 'object' && arg !== null ? arg.pid : arg;
  const pid = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function describeArg(arg: WatchArgument): string {
  try {
    return JSON.stringify(arg)?.slice(0, 80) ?? String(arg);
  } catch {
    return String(arg);
  }
}
