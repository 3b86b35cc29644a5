/** Entry point: builds the services, wires them together, registers them. Nothing else. */
import * as vscode from 'vscode';
import { showWarning } from './vscode/notify';
import type { MemorySample } from './core/sampling/types';
import { Settings } from './core/settings';
import { WatchRegistry } from './core/watchRegistry';
import { GoRuntimeTracker } from './core/goruntime/tracker';
import { MemoryWatchApi, toWatchInfo } from './vscode/api';
import { Commands } from './vscode/commands';
import { affectsUs, readSettings, SettingKey } from './vscode/config';
import { DebugFollower } from './vscode/debugFollower';
import { DebugMemoryView } from './vscode/debugView';
import { GraphFeedDeps } from './vscode/graphFeed';
import { GraphPanel, registerGraphSerializer } from './vscode/graphPanel';
import { WatchPersistence } from './vscode/persistence';
import { PidFileWatcher } from './vscode/pidFiles';
import { MemoryStatusBar } from './vscode/statusBar';

export type { MemoryWatchApi, WatchInfo } from './vscode/api';

export function activate(context: vscode.ExtensionContext): MemoryWatchApi {
  const log = vscode.window.createOutputChannel('Memory Watch', { log: true });
  context.subscriptions.push(log);

  let settings: Settings = loadSettings(log);
  const goOptions = () => ({ enabled: settings.goFigures.enabled, overrideUrl: settings.goFigures.metricsUrl, allowedHosts: settings.release.allowedHosts });
  const registry = new WatchRegistry(
    { intervalMs: settings.sampleIntervalMs, windowMs: settings.windowMs },
    (pid) => new GoRuntimeTracker(pid, goOptions, (message) => log.info(message)),
  );
  context.subscriptions.push(registry);

  const statusBar = new MemoryStatusBar(registry);
  statusBar.setWarningThreshold(settings.rssWarningBytes);
  context.subscriptions.push(statusBar);

  const debugFollower = new DebugFollower(registry, () => settings.autoAttach, log);
  context.subscriptions.push(debugFollower);

  let commands: Commands | undefined = undefined;
  const intents = { attach: 'memoryWatch.attach', freeOSMemory: 'memoryWatch.freeOSMemory', openGraph: 'memoryWatch.showGraph', addHook: 'memoryWatch.addFreeOSMemoryHook' } as const;
  const graphDeps: GraphFeedDeps = {
    extensionUri: context.extensionUri,
    registry,
    view: () => ({ windowMs: settings.windowMs, warningBytes: settings.rssWarningBytes }),
    busy: () => commands?.busy ?? false,
    run: (intent) => void vscode.commands.executeCommand(intents[intent]),
    log,
  };
  const debugView = new DebugMemoryView(graphDeps);
  commands = new Commands({
    registry,
    settings: () => settings,
    debuggerRoute: (watch) => debugFollower.routeFor(watch),
    debugSessions: () => debugFollower.sessionsWithPids(),
    showGraph: () => GraphPanel.createOrShow(graphDeps),
    onBusyChanged: (busy) => {
      GraphPanel.current?.setBusy(busy);
      debugView.setBusy(busy);
    },
    log,
  });
  context.subscriptions.push(commands, debugView, registerGraphSerializer(graphDeps), { dispose: () => GraphPanel.current?.dispose() });

  const persistence = new WatchPersistence(context.workspaceState, registry, log);
  const pidFiles = new PidFileWatcher(registry, log);
  context.subscriptions.push(persistence, pidFiles);
  // Watches from before a reload first (they keep their place), then what PID files name.
  void persistence.restore().then(() => pidFiles.refresh());

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!affectsUs(event)) return;
      settings = loadSettings(log, true);
      registry.configure({ intervalMs: settings.sampleIntervalMs, windowMs: settings.windowMs });
      if (event.affectsConfiguration(`memoryWatch.${SettingKey.PidFiles}`)) void pidFiles.refresh();
      if (event.affectsConfiguration(`memoryWatch.${SettingKey.GoFigures}`) || event.affectsConfiguration(`memoryWatch.${SettingKey.MetricsUrl}`)) {
        for (const watch of registry.list()) watch.goRuntime?.reset();
      }
      statusBar.setWarningThreshold(settings.rssWarningBytes);
      GraphPanel.current?.refresh();
      debugView.refresh();
    }),
  );

  // `memoryWatch.watching` enables the palette entries that need a watch.
  const updateContext = () => void vscode.commands.executeCommand('setContext', 'memoryWatch.watching', registry.list().length > 0);
  context.subscriptions.push(registry.onDidChange(updateContext));
  updateContext();

  const sampleEmitter = new vscode.EventEmitter<{ watchId: string; pid: number; sample: MemorySample }>();
  const changeEmitter = new vscode.EventEmitter<void>();
  context.subscriptions.push(
    sampleEmitter,
    changeEmitter,
    registry.onDidSample(({ watch, sample }) => sampleEmitter.fire({ watchId: watch.id, pid: watch.pid, sample })),
    registry.onDidChange(() => changeEmitter.fire()),
  );
  const finalCommands = commands;
  return {
    apiVersion: 1,
    watches: () => registry.list().map((w) => toWatchInfo(w, registry.current)),
    onDidSample: sampleEmitter.event,
    onDidChangeWatches: changeEmitter.event,
    series: (watchId) => registry.get(watchId)?.series.snapshot(),
    statusBar: () => statusBar.describe(),
    graph: () => ({ open: GraphPanel.current !== undefined, visible: GraphPanel.current?.visible ?? false, rendered: GraphPanel.current?.rendered }),
    debugView: () => ({ visible: debugView.visible, rendered: debugView.rendered }),
    lastRelease: () => finalCommands.lastRelease,
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions: VS Code disposes it (timers, fds, the panel).
}

/** Reads the settings; problems are logged, and shown when the user just changed them. */
function loadSettings(log: vscode.LogOutputChannel, changedByUser = false): Settings {
  const { settings, problems } = readSettings();
  for (const problem of problems) log.warn(problem);
  if (changedByUser && problems.length) void showWarning(`Memory Watch: ${problems.join(' ')}`);
  return settings;
}
