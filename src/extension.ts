/** Entry point: builds the services, wires them together, registers them. Nothing else. */
import vscode = require('vscode');
import type { MemorySample } from './core/sampling/types';
import { WatchRegistry } from './core/watchRegistry';
import { GoRuntimeTracker } from './core/goruntime/tracker';
import { MemoryWatchApi, toWatchInfo } from './vscode/api';
import { WATCHING_CONTEXT } from './commandTable';
import { CommandId, runCommand } from './vscode/commandIds';
import { Commands } from './vscode/commands';
import { affects, SettingsService } from './vscode/config';
import { DebugFollower } from './vscode/debugFollower';
import { DebugMemoryView } from './vscode/debugView';
import { GraphFeedDeps } from './vscode/graphFeed';
import { Recordings } from './vscode/recordings';
import { GraphPanel, registerGraphSerializer } from './vscode/graphPanel';
import { WatchPersistence } from './vscode/persistence';
import { PidFileWatcher } from './vscode/pidFiles';
import { MemoryStatusBar } from './vscode/statusBar';
import { showWarning } from './vscode/notify';
import { HeapProfileService } from './core/heap/profileService';
import { HeapProfiles } from './vscode/heapProfiles';
import { samplerHelperPath } from './core/sampling/samplerHelper';

export type { MemoryWatchApi, WatchInfo } from './vscode/api';

export function activate(context: vscode.ExtensionContext): MemoryWatchApi {
  const log = vscode.window.createOutputChannel('Memory Watch', { log: true });
  const settings = new SettingsService(log);
  context.subscriptions.push(log, settings);

  const goOptions = () => ({ enabled: settings.value.goFigures.enabled, overrideUrl: settings.value.goFigures.metricsUrl, allowedHosts: settings.value.release.allowedHosts });
  // Looked for when a watch first needs it (activation reads nothing it does not need).
  let helperPath: string | undefined | null = null;
  const samplerHelper = { path: () => (helperPath === null ? (helperPath = samplerHelperPath(context.extensionPath)) : helperPath), log: (message: string) => log.warn(message) };
  const sampling = () => ({ intervalMs: settings.value.sampleIntervalMs, windowMs: settings.value.windowMs, samplerHelper: settings.value.samplingHelper ? samplerHelper : undefined });
  const registry = new WatchRegistry(sampling(), (pid) => new GoRuntimeTracker(pid, goOptions, (message) => log.info(message)));
  context.subscriptions.push(
    registry,
    settings.onDidChange((event) => {
      registry.configure(sampling());
      if (affects(event, 'goFigures', 'metricsUrl')) for (const watch of registry.list()) watch.goRuntime?.reset();
    }),
  );

  const statusBar = new MemoryStatusBar(registry, settings);
  const debugFollower = new DebugFollower(registry, () => settings.value.autoAttach, log);
  context.subscriptions.push(statusBar, debugFollower);

  const commands = new Commands({
    registry,
    settings: () => settings.value,
    debuggerRoute: (watch) => debugFollower.routeFor(watch),
    debugSessions: () => debugFollower.sessionsWithPids(),
    showGraph: () => GraphPanel.createOrShow(graphDeps),
    log,
  });
  const recordings = new Recordings({ extensionUri: context.extensionUri, registry, windowMs: () => settings.value.windowMs, toolVersion: String((context.extension.packageJSON as { version?: unknown }).version ?? '0'), log });
  context.subscriptions.push(recordings);
  const graphDeps: GraphFeedDeps = {
    extensionUri: context.extensionUri,
    registry,
    view: () => ({ windowMs: settings.value.windowMs, warningBytes: settings.value.rssWarningBytes }),
    onDidChangeView: settings.onDidChange,
    busy: () => commands.busy,
    onDidChangeBusy: commands.onDidChangeBusy,
    savePng: (png, watchId) => void recordings.savePng(png, watchId ? registry.get(watchId)?.info.name : undefined),
    log,
  };
  const debugView = new DebugMemoryView(graphDeps);
  context.subscriptions.push(commands, debugView, registerGraphSerializer(graphDeps), { dispose: () => GraphPanel.current?.dispose() });

  // Heap profiles: the service (core) keeps each watch's profiles; the shell is the view, the
  // command memoryWatch.showHeapProfile and the editor hints. heapProfiles.topGrower(watchId)
  // says which line accounts for the growth since the baseline.
  const heapProfiles = new HeapProfileService({
    settings: () => ({ metricsUrl: settings.value.goFigures.metricsUrl, allowedHosts: settings.value.release.allowedHosts }),
    log: (message) => log.info(message),
  });
  const heapView = new HeapProfiles({ extensionUri: context.extensionUri, registry, service: heapProfiles, settings: () => settings.value, onDidChangeSettings: settings.onDidChange, log });
  context.subscriptions.push(heapProfiles, heapView);
  // What the heap profile found reaches the diagnosis (graph, tooltip) through the watch.
  context.subscriptions.push(
    heapProfiles.onDidChange((watchId) => {
      const watch = registry.get(watchId);
      if (watch) watch.heapFinding = heapProfiles.topGrower(watchId)?.text;
    }),
  );

  const persistence = new WatchPersistence(context.workspaceState, registry, log);
  const pidFiles = new PidFileWatcher(registry, settings, log);
  context.subscriptions.push(persistence, pidFiles);
  // Watches from before a reload first (they keep their place), then what PID files name.
  void persistence.restore().then(() => pidFiles.refresh());

  // An OOM kill is news, whether it ended the watched process or another one in its container.
  context.subscriptions.push(
    registry.onDidAddEvent(({ watch, event }) => {
      if (event.kind !== 'oom') return;
      const text = watch.state === 'running' ? `Memory Watch: ${event.detail ?? event.label}` : `Memory Watch: ${watch.endReason ?? event.label}`;
      void showWarning(text, 'Show Graph').then((choice) => {
        if (!choice) return;
        registry.select(watch.id);
        void runCommand(CommandId.ShowGraph);
      });
    }),
  );

  // The palette offers the commands about a watch only while there is one (COMMANDS' paletteWhen).
  const updateContext = () => void vscode.commands.executeCommand('setContext', WATCHING_CONTEXT, registry.list().length > 0);
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
  return {
    apiVersion: 1,
    watches: () => registry.list().map((w) => toWatchInfo(w, registry.current)),
    onDidSample: sampleEmitter.event,
    onDidChangeWatches: changeEmitter.event,
    series: (watchId) => registry.get(watchId)?.series.snapshot(),
    statusBar: () => statusBar.describe(),
    graph: () => ({ open: GraphPanel.current !== undefined, visible: GraphPanel.current?.visible ?? false, rendered: GraphPanel.current?.rendered }),
    debugView: () => ({ visible: debugView.visible, rendered: debugView.rendered }),
    lastRelease: () => commands.lastRelease,
    heapView: () => heapView.describe(),
    recordings: () => recordings.describe(),
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions: VS Code disposes it (timers, fds, the panel).
}
