/**
 * The memory graph: one webview panel (a singleton, restored after a reload by a serializer).
 * The host keeps the data; the webview only draws what it is sent and sends back intents. While
 * the panel is hidden its webview is gone, so nothing is posted; when it comes back it says
 * `ready` and gets the whole state again — nothing is lost.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { Disposable, IDisposable } from '../core/util/lifecycle';
import { Watch } from '../core/watch';
import { WatchRegistry } from '../core/watchRegistry';
import { FromWebviewMessage, parseWebviewMessage, ToWebviewMessage, WatchSummary } from '../protocol';

export const GRAPH_VIEW_TYPE = 'memoryWatch.graph';

export interface GraphPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: WatchRegistry;
  /** Current window (ms) and warning threshold (bytes). */
  readonly view: () => { windowMs: number; warningBytes: number };
  /** Whether a FreeOSMemory request is under way. */
  readonly busy: () => boolean;
  /** User intents from the panel's buttons. */
  readonly run: (intent: 'attach' | 'freeOSMemory') => void;
  readonly log: vscode.LogOutputChannel;
}

/** What the panel last reported drawing (for the API and the tests). */
export interface GraphRendered {
  readonly watchId: string;
  readonly points: number;
  readonly lastTime: number;
}

export function summarize(watch: Watch): WatchSummary {
  const latest = watch.latest;
  return {
    id: watch.id,
    pid: watch.pid,
    name: watch.info.name,
    commandLine: watch.info.commandLine,
    state: watch.state,
    endReason: watch.endReason,
    go: watch.info.go ? (watch.info.go.version ?? 'Go') : undefined,
    latest: latest ? { time: latest.time, rss: latest.rss, vsz: latest.vsz, peakRss: watch.peakRss } : undefined,
    failure: watch.lastFailure?.message,
  };
}

export class GraphPanel extends Disposable {
  private static instance?: GraphPanel;

  private ready = false;
  private shownWatchId?: string;
  private lastRendered?: GraphRendered;

  /** Opens the panel, or brings it to the front. */
  static createOrShow(deps: GraphPanelDeps): GraphPanel {
    if (GraphPanel.instance) {
      GraphPanel.instance.panel.reveal(undefined, false);
      return GraphPanel.instance;
    }
    const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'Memory Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, GraphPanel.options(deps.extensionUri));
    GraphPanel.instance = new GraphPanel(panel, deps);
    return GraphPanel.instance;
  }

  /** Restores a panel VS Code kept across a window reload. */
  static revive(panel: vscode.WebviewPanel, deps: GraphPanelDeps): GraphPanel {
    GraphPanel.instance?.dispose();
    panel.webview.options = GraphPanel.options(deps.extensionUri);
    GraphPanel.instance = new GraphPanel(panel, deps);
    return GraphPanel.instance;
  }

  static get current(): GraphPanel | undefined {
    return GraphPanel.instance;
  }

  /** Scripts on; files only from the built assets folder. */
  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: GraphPanelDeps,
  ) {
    super();
    this.register(panel);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'graph-icon.svg');
    panel.webview.html = this.html();
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(
      panel.onDidChangeViewState(() => {
        // A hidden webview is destroyed; it says `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
    );
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseWebviewMessage(raw))));
    const registry = deps.registry;
    this.register(registry.onDidChange(() => this.onWatchesChanged()));
    this.register(
      registry.onDidSample(({ watch, sample }) => {
        if (watch.id === this.shownWatchId) this.post({ type: 'sample', watchId: watch.id, time: sample.time, rss: sample.rss, vsz: sample.vsz });
      }),
    );
    this.register(
      registry.onDidAddEvent(({ watch, event }) => {
        if (watch.id === this.shownWatchId) this.post({ type: 'event', watchId: watch.id, event });
      }),
    );
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** What the webview last said it drew. */
  get rendered(): GraphRendered | undefined {
    return this.lastRendered;
  }

  /** Sends the whole state again (settings changed, busy changed). */
  refresh(): void {
    this.sendState();
  }

  setBusy(busy: boolean): void {
    this.post({ type: 'busy', busy });
  }

  override dispose(): void {
    if (GraphPanel.instance === this) GraphPanel.instance = undefined;
    super.dispose();
  }

  private onMessage(message: FromWebviewMessage | undefined): void {
    if (!message) return; // Unknown or malformed: ignored.
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendState();
        break;
      case 'select':
        this.deps.registry.select(message.watchId);
        break;
      case 'attach':
      case 'freeOSMemory':
        this.deps.run(message.type);
        break;
      case 'rendered':
        this.lastRendered = { watchId: message.watchId, points: message.points, lastTime: message.lastTime };
        break;
    }
  }

  private onWatchesChanged(): void {
    const current = this.deps.registry.current;
    if (current?.id !== this.shownWatchId) this.sendState();
    else this.post({ type: 'watches', watches: this.deps.registry.list().map(summarize), currentId: current?.id });
  }

  private sendState(): void {
    const registry = this.deps.registry;
    const current = registry.current;
    this.shownWatchId = current?.id;
    const view = this.deps.view();
    this.panel.title = current ? `Memory: ${current.info.name} (${current.pid})` : 'Memory Graph';
    this.post({
      type: 'state',
      watches: registry.list().map(summarize),
      currentId: current?.id,
      series: current?.series.snapshot(),
      windowMs: view.windowMs,
      warningBytes: view.warningBytes,
      busy: this.deps.busy(),
    });
  }

  private post(message: ToWebviewMessage): void {
    if (!this.ready) return;
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.debug(`graph: post failed: ${String(err)}`));
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const media = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'media', ...path));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${media('graph.css')}" rel="stylesheet">
  <title>Memory Graph</title>
</head>
<body>
  <main id="app" aria-live="off"></main>
  <script nonce="${nonce}" src="${media('dist', 'graph.js')}"></script>
</body>
</html>`;
  }
}

/** Registers the serializer so VS Code restores the panel after a reload. */
export function registerGraphSerializer(deps: GraphPanelDeps): IDisposable {
  return vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
      GraphPanel.revive(panel, deps);
    },
  });
}
