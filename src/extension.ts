/** Entry point: builds the services, registers each contribution, returns the API. Nothing else. */
import vscode = require('vscode');
import { IDisposable } from './core/util/lifecycle';
import { ExtensionApi, MemoryWatchApi } from './vscode/api';
import { Commands } from './vscode/commands';
import { SettingsService } from './vscode/config';
import { DebugFollower } from './vscode/debugFollower';
import { DebugMemoryView } from './vscode/debugView';
import { GraphFeedDeps } from './vscode/graphFeed';
import { GraphPanel, registerGraphPanel } from './vscode/graphPanel';
import { HeapProfiles } from './vscode/heapProfiles';
import { warnOnOomKills } from './vscode/oomWarnings';
import { WatchPersistence } from './vscode/persistence';
import { PidFileWatcher } from './vscode/pidFiles';
import { PrometheusHistory } from './vscode/prometheusHistory';
import { Recordings } from './vscode/recordings';
import { MemoryStatusBar } from './vscode/statusBar';
import { ConfiguredWatchRegistry } from './vscode/watches';

export type { HistoryViewInfo, MemoryWatchApi, WatchInfo } from './vscode/api';

export function activate(context: vscode.ExtensionContext): MemoryWatchApi {
  /** Lives as long as the extension: VS Code disposes it on deactivation. */
  const own = <T extends IDisposable>(disposable: T): T => {
    context.subscriptions.push(disposable);
    return disposable;
  };
  const { extensionUri } = context;
  const toolVersion = String((context.extension.packageJSON as { version?: unknown }).version ?? '0');

  // The services the contributions share.
  const log = own(vscode.window.createOutputChannel('Memory Watch', { log: true }));
  const settings = own(new SettingsService(log));
  const registry = own(new ConfiguredWatchRegistry(settings, context.extensionPath, log));

  // The contributions: the status bar, debug sessions followed, the commands, the graphs (recording
  // editor, Prometheus histories, debug view, panel), the heap view, OOM warnings, the watches a reload or a PID file brings.
  const statusBar = own(new MemoryStatusBar(registry, settings));
  const debugFollower = own(new DebugFollower(registry, () => settings.value.autoAttach, log));
  const commands = own(
    new Commands({
      registry,
      settings: () => settings.value,
      debuggerRoute: (watch) => debugFollower.routeFor(watch),
      debugSessions: () => debugFollower.sessionsWithPids(),
      showGraph: () => GraphPanel.createOrShow(graph),
      log,
    }),
  );
  const recordings = own(new Recordings({ extensionUri, registry, windowMs: () => settings.value.windowMs, toolVersion, log, showGraph: () => GraphPanel.createOrShow(graph) }));
  const graph: GraphFeedDeps = {
    extensionUri,
    registry,
    view: () => ({ windowMs: settings.value.windowMs, warningBytes: settings.value.rssWarningBytes }),
    onDidChangeView: settings.onDidChange,
    busy: () => commands.busy,
    onDidChangeBusy: commands.onDidChangeBusy,
    savePng: (png, watchId) => void recordings.savePng(png, watchId ? registry.get(watchId)?.info.name : undefined),
    log,
  };
  const histories = own(
    new PrometheusHistory({ extensionUri, secrets: context.secrets, settings: () => settings.value, toolVersion, savePng: (png, name) => void recordings.savePng(png, name), log }),
  );
  recordings.addRunSource(histories);
  const debugView = own(new DebugMemoryView(graph));
  own(registerGraphPanel(graph));
  const heapView = own(new HeapProfiles({ extensionUri, registry, settings, log }));
  own(warnOnOomKills(registry));
  const persistence = own(new WatchPersistence(context.workspaceState, registry, log));
  const pidFiles = own(new PidFileWatcher(registry, settings, log));
  // Watches from before a reload first (they keep their place), then what PID files name.
  void persistence.restore().then(() => pidFiles.refresh());

  return own(new ExtensionApi({ registry, statusBar, debugView, commands, heapView, recordings, histories })).api;
}

export function deactivate(): void {
  // Everything is in context.subscriptions: VS Code disposes it (timers, fds, the panel).
}
