/**
 * The heap view in an editor tab: a singleton webview panel showing one watch's heap profile
 * (core/heap/profileService.ts fetches, keeps the baseline and diffs). The host maps the rows'
 * files to this disk, sends the whole view state on each change, and acts on the view's intents:
 * refresh, set the baseline, save the profile, open a row's line. It refreshes by itself while
 * visible (core/heap/autoRefresh.ts), and sets the editors' inline hints while open.
 */
import vscode = require('vscode');
import fs = require('fs');
import { webviewPage } from './webviewPage';
import { formatBytes } from '../shared/format';
import { formatBytesDelta, ProfilePathMapping } from '../core/heap';
import { HeapAutoRefresh } from '../core/heap/autoRefresh';
import { HeapProfileService } from '../core/heap/profileService';
import { buildHeapViewState, locationKey, locationsOf, toRowSource } from '../core/heap/viewModel';
import { Settings } from '../core/settings';
import { Disposable } from '../core/util/lifecycle';
import { Watch } from '../core/watch';
import { WatchRegistry } from '../core/watchRegistry';
import { FromHeapViewMessage, HeapViewRow, HeapViewState, parseHeapViewMessage, ToHeapViewMessage } from '../shared/protocol';
import { webviewOptions } from './graphFeed';
import { HeapHint, HeapHints } from './heapHints';
import { HeapSourceLocator } from './heapSource';

export const HEAP_VIEW_TYPE = 'memoryWatch.heap';
/** Allocation lines that get an inline hint: the top ones by bytes in use. */
export const MAX_HEAP_HINTS = 10;

export interface HeapPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: WatchRegistry;
  readonly service: HeapProfileService;
  readonly locator: HeapSourceLocator;
  readonly hints: HeapHints;
  readonly settings: () => Settings;
  readonly onDidChangeSettings: vscode.Event<unknown>;
  readonly log: vscode.LogOutputChannel;
}

/** What the view last reported drawing. */
export interface HeapRendered {
  readonly version: number;
  readonly sample: 'inuse' | 'alloc';
  readonly grouping: 'site' | 'function' | 'cumulative';
  readonly order: 'size' | 'growth';
  /** Its first rows, in order (resolved from the keys it sent). */
  readonly rows: readonly HeapViewRow[];
}

const NO_MAPPING: ProfilePathMapping = { kind: 'none', readOnly: true, reason: 'the file has not been looked for yet' };

export class HeapPanel extends Disposable {
  private static instance?: HeapPanel;
  private ready = false;
  private version = 0;
  private lastState?: HeapViewState;
  private mappings = new Map<string, ProfilePathMapping>();
  private renderedValue?: HeapRendered;
  private notice?: string;
  private updating = false;
  private updateAgain = false;
  private readonly autoRefresh: HeapAutoRefresh;

  /** Opens the panel on `watchId` (or the current watch), or brings it to the front on that watch. */
  static createOrShow(deps: HeapPanelDeps, watchId: string | undefined): HeapPanel {
    if (HeapPanel.instance) {
      HeapPanel.instance.showWatch(watchId);
      HeapPanel.instance.panel.reveal(undefined, false);
      return HeapPanel.instance;
    }
    const panel = vscode.window.createWebviewPanel(HEAP_VIEW_TYPE, 'Heap Profile', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, webviewOptions(deps.extensionUri));
    HeapPanel.instance = new HeapPanel(panel, deps, watchId);
    return HeapPanel.instance;
  }

  static get current(): HeapPanel | undefined {
    return HeapPanel.instance;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: HeapPanelDeps,
    private watchId: string | undefined,
  ) {
    super();
    this.register(panel);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'graph-icon.svg');
    panel.webview.html = this.html();
    this.autoRefresh = this.register(
      new HeapAutoRefresh({
        service: deps.service,
        watch: () => this.watch(),
        visible: () => this.panel.visible,
        intervalMs: () => deps.settings().heapProfile.refreshSeconds * 1000,
      }),
    );
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => void this.handle(parseHeapViewMessage(raw))));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(
      panel.onDidChangeViewState(() => {
        // Hidden, the webview is destroyed; it says `ready` again when it is back.
        if (!panel.visible) this.ready = false;
        this.autoRefresh.reschedule();
      }),
    );
    this.register(deps.service.onDidChange((id) => id === this.watchId && this.scheduleUpdate()));
    this.register(
      deps.registry.onDidChange(() => {
        this.updateTitle();
        this.scheduleUpdate();
      }),
    );
    this.register(
      deps.registry.onDidAddEvent(({ watch, event }) => {
        // Stopped in the debugger, or running again: the view says so, the refresh waits or resumes.
        if (watch.id !== this.watchId || event.kind !== 'pause') return;
        this.autoRefresh.reschedule();
        this.scheduleUpdate();
      }),
    );
    this.register(
      deps.onDidChangeSettings(() => {
        this.autoRefresh.reschedule();
        this.scheduleUpdate();
      }),
    );
    this.updateTitle();
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  get shownWatchId(): string | undefined {
    return this.watchId;
  }

  /** What the host last sent the view. */
  get state(): HeapViewState | undefined {
    return this.lastState;
  }

  /** What the view last reported drawing. */
  get rendered(): HeapRendered | undefined {
    return this.renderedValue;
  }

  /** Handles a message as if the view had sent it (validated the same way): for the API and tests. */
  receive(raw: unknown): Promise<void> {
    return this.handle(parseHeapViewMessage(raw));
  }

  override dispose(): void {
    if (HeapPanel.instance === this) HeapPanel.instance = undefined;
    this.deps.hints.clear();
    super.dispose();
  }

  private showWatch(watchId: string | undefined): void {
    if (watchId === this.watchId) return;
    this.watchId = watchId;
    this.notice = undefined;
    this.renderedValue = undefined;
    this.updateTitle();
    this.autoRefresh.reschedule();
    this.scheduleUpdate();
    this.fetchIfNone();
  }

  private watch(): Watch | undefined {
    return this.watchId ? this.deps.registry.get(this.watchId) : undefined;
  }

  private updateTitle(): void {
    const watch = this.watch();
    this.panel.title = watch ? `Heap: ${watch.info.name} (${watch.pid})` : 'Heap Profile';
  }

  /** The first profile of a watch is fetched as soon as the view shows it. */
  private fetchIfNone(): void {
    const watch = this.watch();
    if (watch && !this.deps.service.get(watch.id)?.current) void this.deps.service.refresh(watch);
  }

  private async handle(message: FromHeapViewMessage | undefined): Promise<void> {
    if (!message) return; // Unknown or malformed: ignored.
    const watch = this.watch();
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.scheduleUpdate();
        this.fetchIfNone();
        this.autoRefresh.reschedule();
        break;
      case 'refresh':
        this.notice = undefined;
        // On demand the program runs a GC first, so in-use figures are of this moment.
        if (watch) await this.deps.service.refresh(watch, { forceGc: true });
        else this.scheduleUpdate();
        break;
      case 'setBaseline':
        if (this.watchId && this.deps.service.setBaseline(this.watchId)) this.notice = 'The profile shown is now the baseline: later profiles show what changed since.';
        this.scheduleUpdate();
        break;
      case 'save':
        await this.save();
        break;
      case 'open':
        await this.open(message.list, message.key);
        break;
      case 'rendered': {
        const state = this.lastState;
        if (!state || state.version !== message.version) return;
        const list = message.grouping === 'site' ? state.sites : state.functions;
        const byKey = new Map(list.map((row) => [row.key, row]));
        const rows = message.keys.map((key) => byKey.get(key)).filter((row): row is HeapViewRow => row !== undefined);
        this.renderedValue = { version: message.version, sample: message.sample, grouping: message.grouping, order: message.order, rows };
        break;
      }
    }
  }

  private async open(list: 'sites' | 'functions', key: string): Promise<void> {
    const row = (list === 'sites' ? this.lastState?.sites : this.lastState?.functions)?.find((r) => r.key === key);
    if (!row) {
      this.notice = 'That row is no longer in the profile: Refresh.';
    } else {
      const mapping = this.mappings.get(locationKey(row)) ?? NO_MAPPING;
      this.notice = await this.deps.locator.open(mapping, row.line, `${row.shortName} (${row.location})`, this.panel.viewColumn);
    }
    this.scheduleUpdate();
  }

  private async save(): Promise<void> {
    const watch = this.watch();
    const current = this.watchId ? this.deps.service.get(this.watchId)?.current : undefined;
    if (!current) {
      this.notice = 'There is no profile to save yet.';
      this.scheduleUpdate();
      return;
    }
    // The name comes from the target: only plain characters go into a file name.
    const program = (watch?.info.name ?? 'program').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'program';
    const stamp = new Date(current.takenAt).toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const name = `heap-${program}-${stamp}.pb.gz`;
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    const target = await vscode.window.showSaveDialog({
      title: 'Save the heap profile',
      saveLabel: 'Save Heap Profile',
      defaultUri: folder ? vscode.Uri.joinPath(folder.uri, name) : undefined,
      filters: { 'Heap profile (pprof, gzip)': ['gz'] },
    });
    if (!target) return;
    try {
      await writePieces(target, current.bytes.pieces);
      this.notice = `Saved ${target.path.split('/').pop()} (${formatBytes(current.bytes.byteLength)}): \`go tool pprof -top ${target.scheme === 'file' ? target.fsPath : target.path}\` reads it.`;
      this.deps.log.info(`Heap profile saved to ${target.toString(true)}.`);
    } catch (err) {
      this.notice = `Could not save the profile: ${(err as Error).message}`;
    }
    this.scheduleUpdate();
  }

  /** Rebuilds and sends the state; calls while one is under way coalesce into one more. */
  private scheduleUpdate(): void {
    if (this.disposed) return;
    if (this.updating) {
      this.updateAgain = true;
      return;
    }
    this.updating = true;
    void this.update().finally(() => {
      this.updating = false;
    });
  }

  private async update(): Promise<void> {
    do {
      this.updateAgain = false;
      const watch = this.watch();
      const profiles = watch ? this.deps.service.get(watch.id) : undefined;
      // Path mapping reads the disk: asynchronous, cached per location.
      const mappings = await this.deps.locator.map(locationsOf(profiles));
      if (this.disposed) return;
      const folders = this.deps.locator.workspaceFolders();
      this.mappings = mappings;
      this.lastState = buildHeapViewState({
        version: ++this.version,
        watch: watch && { id: watch.id, name: watch.info.name, pid: watch.pid, paused: watch.paused, ended: watch.state !== 'running' },
        profiles,
        refreshSeconds: this.deps.settings().heapProfile.refreshSeconds,
        notice: this.notice,
        locate: (location) => toRowSource(mappings.get(locationKey(location)) ?? NO_MAPPING, folders),
      });
      this.post();
      this.deps.hints.set(this.hintsFor(this.lastState));
    } while (this.updateAgain && !this.disposed);
  }

  /** The top allocation lines by bytes in use, in workspace files their path mapped to exactly. */
  private hintsFor(state: HeapViewState): HeapHint[] {
    const hints: HeapHint[] = [];
    const byInUse = [...state.sites].filter((row) => row.flat.inuseBytes > 0 && row.line > 0).sort((a, b) => b.flat.inuseBytes - a.flat.inuseBytes);
    for (const row of byInUse) {
      if (hints.length >= MAX_HEAP_HINTS) break;
      const mapping = this.mappings.get(locationKey(row));
      // Only in the workspace's own (editable) files; a caveat (the line is past the end: the
      // file changed) means the line is not that line.
      if (!mapping?.fsPath || mapping.kind !== 'workspace' || mapping.readOnly || mapping.reason) continue;
      const delta = row.delta?.inuseBytes;
      const arrow = delta !== undefined && delta < 0 ? '▼' : '▲';
      hints.push({ file: mapping.fsPath, line: row.line, text: `${arrow} ${formatBytes(row.flat.inuseBytes)} in use${delta !== undefined ? `, ${formatBytesDelta(delta)}` : ''}` });
    }
    return hints;
  }

  private post(): void {
    if (!this.ready || !this.lastState) return;
    const message: ToHeapViewMessage = { type: 'state', state: this.lastState };
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.debug(`heap view: post failed: ${String(err)}`));
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.deps.extensionUri, { name: 'heap', title: 'Heap Profile', mainAttributes: 'data-view="heap"' });
  }
}

/**
 * Writes a body kept in pieces: piece by piece into a local file (joining 64 MiB on the extension
 * host's thread took 87 ms), joined only for another kind of file system (a remote save target).
 */
async function writePieces(target: vscode.Uri, pieces: readonly Uint8Array[]): Promise<void> {
  if (target.scheme !== 'file') return vscode.workspace.fs.writeFile(target, Buffer.concat(pieces));
  const handle = await fs.promises.open(target.fsPath, 'w');
  try {
    for (const piece of pieces) await handle.write(piece);
  } finally {
    await handle.close();
  }
}
