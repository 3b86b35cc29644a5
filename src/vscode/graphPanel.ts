/**
 * The memory graph in an editor tab: a singleton webview panel, restored after a reload by a
 * serializer. The data flow lives in GraphFeed, shared with the debug sidebar view.
 */
import vscode = require('vscode');
import { Disposable, IDisposable, toDisposable } from '../core/util/lifecycle';
import { GraphFeed, GraphFeedDeps, GraphRendered, webviewOptions } from './graphFeed';

export const GRAPH_VIEW_TYPE = 'memoryWatch.graph';

export class GraphPanel extends Disposable {
  private static instance?: GraphPanel;
  private readonly feed: GraphFeed;

  /** Opens the panel, or brings it to the front. */
  static createOrShow(deps: GraphFeedDeps): GraphPanel {
    if (GraphPanel.instance) {
      GraphPanel.instance.panel.reveal(undefined, false);
      return GraphPanel.instance;
    }
    const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'Memory Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, webviewOptions(deps.extensionUri));
    GraphPanel.instance = new GraphPanel(panel, deps);
    return GraphPanel.instance;
  }

  /** Restores a panel VS Code kept across a window reload. */
  static revive(panel: vscode.WebviewPanel, deps: GraphFeedDeps): GraphPanel {
    GraphPanel.instance?.dispose();
    panel.webview.options = webviewOptions(deps.extensionUri);
    GraphPanel.instance = new GraphPanel(panel, deps);
    return GraphPanel.instance;
  }

  static get current(): GraphPanel | undefined {
    return GraphPanel.instance;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    deps: GraphFeedDeps,
  ) {
    super();
    this.register(panel);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'graph-icon.svg');
    this.feed = this.register(new GraphFeed(panel.webview, deps, 'full'));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.feed.hidden();
      }),
    );
    const updateTitle = () => {
      const current = deps.registry.current;
      panel.title = current ? `Memory: ${current.info.name} (${current.pid})` : 'Memory Graph';
    };
    this.register(deps.registry.onDidChange(updateTitle));
    updateTitle();
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  get rendered(): GraphRendered | undefined {
    return this.feed.rendered;
  }

  /** The feed (the recordings' commands draw comparisons in it and ask it for PNGs). */
  get graph(): GraphFeed {
    return this.feed;
  }

  override dispose(): void {
    if (GraphPanel.instance === this) GraphPanel.instance = undefined;
    super.dispose();
  }
}

/** Registers the serializer so VS Code restores the panel after a reload; disposing it closes the panel too. */
export function registerGraphPanel(deps: GraphFeedDeps): IDisposable {
  const serializer = vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
      GraphPanel.revive(panel, deps);
    },
  });
  return toDisposable(() => {
    serializer.dispose();
    GraphPanel.current?.dispose();
  });
}
