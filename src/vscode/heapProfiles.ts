/**
 * The heap profile feature's shell: the `memoryWatch.showHeapProfile` command, the heap view
 * panel, the source locator and the editor hints, wired to the core's HeapProfileService. What
 * the view shows is also readable through the API (`heapView()`), for tests and other extensions.
 */
import vscode = require('vscode');
import { HeapProfileService } from '../core/heap/profileService';
import { Disposable } from '../core/util/lifecycle';
import { Watch } from '../core/watch';
import { WatchRegistry } from '../core/watchRegistry';
import type { HeapViewInfo } from './api';
import { CommandId, registerCommand, WatchArgument } from './commandIds';
import { SettingsService } from './config';
import { HeapHints } from './heapHints';
import { HeapPanel } from './heapPanel';
import { HeapSourceLocator } from './heapSource';
import { showWarning } from './notify';

export interface HeapProfilesDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: WatchRegistry;
  readonly settings: SettingsService;
  readonly log: vscode.LogOutputChannel;
}

export class HeapProfiles extends Disposable {
  /** Each watch's profiles (core); its topGrower(watchId) says which line accounts for the growth since the baseline. */
  private readonly service: HeapProfileService;
  private readonly locator: HeapSourceLocator;
  private readonly hints: HeapHints;

  constructor(private readonly deps: HeapProfilesDeps) {
    super();
    const { registry, settings, log } = deps;
    this.service = this.register(
      new HeapProfileService({
        settings: () => ({ metricsUrl: settings.value.goFigures.metricsUrl, allowedHosts: settings.value.release.allowedHosts }),
        log: (message) => log.info(message),
      }),
    );
    this.locator = this.register(new HeapSourceLocator(log));
    this.hints = this.register(new HeapHints(() => settings.value.heapProfile.inlineHints));
    this.register(registerCommand(CommandId.ShowHeapProfile, (arg) => this.show(arg)));
    this.register(settings.onDidChange(() => this.hints.refresh()));
    // A detached watch's profiles go with it.
    this.register(registry.onDidChange(() => this.service.retain(registry.list().map((w) => w.id))));
    // What the heap profile found reaches the diagnosis (graph, tooltip) through the watch.
    this.register(
      this.service.onDidChange((watchId) => {
        const watch = registry.get(watchId);
        if (watch) watch.heapFinding = this.service.topGrower(watchId)?.text;
      }),
    );
    this.register({ dispose: () => HeapPanel.current?.dispose() });
  }

  /**
   * Opens the heap view on the given watch (`{ watchId }`, `{ pid }` or a PID), else the current
   * one. Resolves true when it shows a watch; with none watched the view says how to start.
   */
  show(arg: WatchArgument): boolean {
    const watch = arg === undefined ? this.deps.registry.current : this.findWatch(arg);
    if (arg !== undefined && !watch) {
      void showWarning(`Memory Watch: ${describeArg(arg)} is not watched.`);
      return false;
    }
    const { extensionUri, registry, settings, log } = this.deps;
    HeapPanel.createOrShow({ extensionUri, registry, service: this.service, locator: this.locator, hints: this.hints, settings: () => settings.value, onDidChangeSettings: settings.onDidChange, log }, watch?.id);
    return watch !== undefined;
  }

  /** The heap view as the API shows it. */
  describe(): HeapViewInfo {
    const panel = HeapPanel.current;
    return {
      open: panel !== undefined,
      visible: panel?.visible ?? false,
      watchId: panel?.shownWatchId,
      state: panel?.state,
      rendered: panel?.rendered,
      hints: this.hints.current.map((h) => ({ ...h })),
      receive: (message) => panel?.receive(message) ?? Promise.resolve(),
    };
  }

  private findWatch(arg: WatchArgument): Watch | undefined {
    if (typeof arg === 'object' && arg !== null && typeof arg.watchId === 'string') return this.deps.registry.get(arg.watchId);
    const value = typeof arg === 'object' && arg !== null ? arg.pid : arg;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) return undefined;
    const matches = this.deps.registry.list().filter((w) => w.pid === value);
    return matches.find((w) => w.state === 'running') ?? matches[matches.length - 1];
  }
}

function describeArg(arg: WatchArgument): string {
  try {
    return JSON.stringify(arg)?.slice(0, 80) ?? String(arg);
  } catch {
    return String(arg);
  }
}
