/**
 * Feeds one graph webview — the editor panel or the compact view in the Run and Debug sidebar —
 * from the watch registry. The host keeps the data; the webview draws what it is sent and sends
 * back intents. Nothing is posted while the webview is hidden (it is destroyed then); when it
 * comes back it says `ready` and gets the whole state again.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { Disposable } from '../core/util/lifecycle';
import { seriesRow } from '../core/watch';
import { describeWatch } from '../core/describeWatch';
import { WatchRegistry } from '../core/watchRegistry';
import { FromWebviewMessage, GraphLayout, parseWebviewMessage, ToWebviewMessage } from '../protocol';

export interface GraphFeedDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: WatchRegistry;
  /** Current window (ms) and warning threshold (bytes). */
  readonly view: () => { windowMs: number; warningBytes: number };
  /** The view settings changed: the whole state is sent again. */
  readonly onDidChangeView: vscode.Event<unknown>;
  /** Whether a FreeOSMemory request is under way, and when that changes. */
  readonly busy: () => boolean;
  readonly onDidChangeBusy: vscode.Event<boolean>;
  /** User intents from the webview's buttons. */
  readonly run: (intent: 'attach' | 'freeOSMemory' | 'openGraph' | 'addHook') => void;
  readonly log: vscode.LogOutputChannel;
}

/** What the webview last reported drawing (for the API and the tests). */
export interface GraphRendered {
  readonly watchId: string;
  readonly points: number;
  readonly lastTime: number;
}

/** Webview options: scripts on, files only from the built assets folder. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

export class GraphFeed extends Disposable {
  private ready = false;
  private shownWatchId?: string;
  private lastRendered?: GraphRendered;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly deps: GraphFeedDeps,
    private readonly layout: GraphLayout,
  ) {
    super();
    webview.html = this.html();
    this.register(webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseWebviewMessage(raw))));
    this.register(deps.onDidChangeView(() => this.sendState()));
    this.register(deps.onDidChangeBusy((busy) => this.post({ type: 'busy', busy })));
    const registry = deps.registry;
    this.register(registry.onDidChange(() => this.onWatchesChanged()));
    this.register(
      registry.onDidSample(({ watch, sample }) => {
        if (watch.id !== this.shownWatchId) return;
        this.post({ type: 'sample', watchId: watch.id, time: sample.time, values: seriesRow(sample) });
        // The diagnosis and the Go source change with the samples: the readouts follow.
        this.post({ type: 'watches', watches: registry.list().map(describeWatch), currentId: registry.current?.id });
      }),
    );
    this.register(
      registry.onDidAddEvent(({ watch, event }) => {
        if (watch.id !== this.shownWatchId) return;
        this.post({ type: 'event', watchId: watch.id, event });
        // A pause starting or ending changes the badge too.
        if (event.kind === 'pause') this.post({ type: 'watches', watches: registry.list().map(describeWatch), currentId: registry.current?.id });
      }),
    );
  }

  /** The webview went away (hidden); it will say `ready` when it is back. */
  hidden(): void {
    this.ready = false;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** What the webview last said it drew. */
  get rendered(): GraphRendered | undefined {
    return this.lastRendered;
  }

  /** The watch the webview shows. */
  get watchId(): string | undefined {
    return this.shownWatchId;
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
      case 'openGraph':
      case 'addHook':
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
    else this.post({ type: 'watches', watches: this.deps.registry.list().map(describeWatch), currentId: current?.id });
  }

  private sendState(): void {
    const registry = this.deps.registry;
    const current = registry.current;
    this.shownWatchId = current?.id;
    const view = this.deps.view();
    this.post({
      type: 'state',
      watches: registry.list().map(describeWatch),
      currentId: current?.id,
      series: current?.series.snapshot(),
      windowMs: view.windowMs,
      warningBytes: view.warningBytes,
      busy: this.deps.busy(),
    });
  }

  private post(message: ToWebviewMessage): void {
    if (!this.ready) return;
    this.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.debug(`graph: post failed: ${String(err)}`));
  }

  private html(): string {
    const webview = this.webview;
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
<body data-layout="${this.layout}">
  <main id="app" aria-live="off"></main>
  <script nonce="${nonce}" src="${media('dist', 'graph.js')}"></script>
</body>
</html>`;
  }
}
