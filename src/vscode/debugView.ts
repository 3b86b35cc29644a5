/**
 * "Memory" in the Run and Debug sidebar (shown while a debug session runs): the graph in compact
 * form, current RSS and VSZ, and buttons for Free OS Memory and the full graph. It renders what
 * the host sends, and only while visible.
 */
import vscode = require('vscode');
import { Disposable, IDisposable } from '../core/util/lifecycle';
import { GraphFeed, GraphFeedDeps, GraphRendered, webviewOptions } from './graphFeed';

export const DEBUG_VIEW_ID = 'memoryWatch.debugView';

export class DebugMemoryView extends Disposable implements vscode.WebviewViewProvider {
  private feed?: GraphFeed;
  private feedSubscriptions: IDisposable[] = [];
  private view?: vscode.WebviewView;

  constructor(private readonly deps: GraphFeedDeps) {
    super();
    this.register(vscode.window.registerWebviewViewProvider(DEBUG_VIEW_ID, this));
    this.register({ dispose: () => this.dropFeed() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.dropFeed();
    this.view = view;
    view.webview.options = webviewOptions(this.deps.extensionUri);
    const feed = new GraphFeed(view.webview, this.deps, 'compact');
    this.feed = feed;
    this.feedSubscriptions = [
      feed,
      view.onDidChangeVisibility(() => {
        if (!view.visible) feed.hidden();
      }),
      view.onDidDispose(() => this.dropFeed()),
    ];
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  get rendered(): GraphRendered | undefined {
    return this.feed?.rendered;
  }

  private dropFeed(): void {
    for (const d of this.feedSubscriptions) d.dispose();
    this.feedSubscriptions = [];
    this.feed = undefined;
    this.view = undefined;
  }
}
