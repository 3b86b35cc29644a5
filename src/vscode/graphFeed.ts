/**
 * Feeds one graph webview — the editor panel or the compact view in the Run and Debug sidebar —
 * from the watch registry. The host keeps the data; the webview draws what it is sent and sends
 * back intents. Nothing is posted while the webview is hidden (it is destroyed then); when it
 * comes back it says `ready` and gets the whole state again.
 */
import vscode = require('vscode');
import { webviewPage } from './webviewPage';
import { WebviewPoster } from './webviewPoster';
import { Disposable } from '../core/util/lifecycle';
import { seriesRow } from '../core/watchSample';
import { describeWatch } from '../core/describeWatch';
import { WatchRegistry } from '../core/watchRegistry';
import { ComparisonView, FromWebviewMessage, GRAPH_INTENTS, GraphIntent, GraphLayout, graphStateMessages, isGraphIntentMessage, parseWebviewMessage, SampleRow, SAMPLES_EVERY_MS, SUMMARIES_EVERY_MS, ToWebviewMessage, WatchSummaries } from '../shared/protocol';
import { isDue, Throttle } from '../core/util/throttle';
import type { CommandTypes } from './commandIds';

/** What a graph shows: a watch (none while nothing is watched), or a recording open in the editor (its URI). */
export type GraphSubject = { readonly watchId: string | undefined } | { readonly recording: string };

/**
 * Runs the command behind one of the graph's buttons (GRAPH_INTENTS), about what the graph shows —
 * the same command, with the same argument, as the palette or a keybinding would run.
 */
export function runGraphIntent(intent: GraphIntent, shown: GraphSubject): void {
  const { command, about } = GRAPH_INTENTS[intent];
  if ('recording' in shown) {
    // A recording is a run, not a watch: the buttons about a live watch are hidden there.
    if (about === 'run') void vscode.commands.executeCommand(command, { recording: shown.recording });
    return;
  }
  if (about !== 'nothing' && shown.watchId) void vscode.commands.executeCommand(command, { watchId: shown.watchId });
  else void vscode.commands.executeCommand(command);
}

/** What runGraphIntent gives each kind of intent's command. */
interface IntentArgument {
  nothing: undefined;
  watch: { watchId: string } | undefined;
  run: { watchId: string } | { recording: string } | undefined;
}

/** Compiles only when T is `true`. */
type Holds<T extends true> = T;

/**
 * A compile error unless each intent's command takes what runGraphIntent gives it (CommandTypes):
 * the table cannot send a recording to a command that takes only watches.
 */
export type GraphIntentsTakeTheirArguments = Holds<
  { [K in GraphIntent]: IntentArgument[(typeof GRAPH_INTENTS)[K]['about']] extends CommandTypes[(typeof GRAPH_INTENTS)[K]['command']]['arg'] ? true : false }[GraphIntent]
>;

/** A webview that does not keep up gets no more than this many samples queued. */
const MAX_PENDING_ROWS = 2000;

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
  /** The graph as a PNG, to save (the PNG button). */
  readonly savePng: (png: Uint8Array, watchId: string | undefined) => void;
  readonly log: vscode.LogOutputChannel;
}

/** What the webview last reported drawing (for the API and the tests). */
export interface GraphRendered {
  readonly watchId: string;
  readonly points: number;
  readonly lastTime: number;
  /** Since the webview loaded: the messages it was sent, how often it redrew the graph, and the frames in which it changed what is shown. */
  readonly messages: number;
  readonly draws: number;
  readonly frames: number;
}

/** Webview options: scripts on, files only from the built assets folder. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

export class GraphFeed extends Disposable {
  private ready = false;
  private shownWatchId?: string;
  private lastRendered?: GraphRendered;
  private pendingRows: SampleRow[] = [];
  /** Every message goes through it: a long state goes out in parts, and nothing overtakes them. */
  private readonly poster = this.register(new WebviewPoster<ToWebviewMessage>((message) => this.postNow(message)));
  private readonly flushThrottle = this.register(new Throttle(SAMPLES_EVERY_MS, () => this.sendPendingRows()));
  private lastSummaryCheck = 0;
  /** Another run drawn over a watch, sent again with each state while that watch is shown. */
  private comparison?: { readonly watchId: string; readonly view: ComparisonView };
  /** The summaries last sent, less their newest figures (the samples carry those). */
  private summariesKey = '';

  constructor(
    private readonly webview: vscode.Webview,
    private readonly deps: GraphFeedDeps,
    layout: GraphLayout,
  ) {
    super();
    webview.html = graphHtml(webview, deps.extensionUri, layout);
    this.register(webview.onDidReceiveMessage((raw: unknown) => this.onMessage(parseWebviewMessage(raw))));
    this.register(deps.onDidChangeView(() => this.sendState()));
    this.register(deps.onDidChangeBusy((busy) => this.post({ type: 'busy', busy })));
    const registry = deps.registry;
    this.register(registry.onDidChange(() => this.onWatchesChanged()));
    this.register(
      registry.onDidSample(({ watch, sample }) => {
        if (watch.id !== this.shownWatchId || !this.ready) return;
        // Samples go out in batches (at most SAMPLES_EVERY_MS apart), and the summaries only when
        // something in them other than the newest figures changed (checked at most once a second):
        // at 10 samples a second, one message per sample plus a list of every watch each time was
        // most of what the graph cost.
        if (this.pendingRows.length < MAX_PENDING_ROWS) this.pendingRows.push({ time: sample.time, values: seriesRow(sample) });
        this.flushThrottle.soon();
      }),
    );
    this.register(
      registry.onDidAddEvent(({ watch, event }) => {
        if (watch.id !== this.shownWatchId) return;
        // The samples before the marker go first, so the graph keeps them in order.
        this.flush();
        this.post({ type: 'event', watchId: watch.id, event });
        // A pause starting or ending changes the badge too.
        if (event.kind === 'pause') this.postSummariesIfChanged();
      }),
    );
  }

  /** The webview went away (hidden); it will say `ready` when it is back. */
  hidden(): void {
    this.ready = false;
    this.pendingRows = [];
    this.flushThrottle.cancel();
    this.poster.clear();
  }

  /** Sends the samples waiting (before a marker, a new state), whenever the last batch went. */
  private flush(): void {
    this.flushThrottle.now();
  }

  private sendPendingRows(): void {
    const now = Date.now();
    let summaries: WatchSummaries | undefined;
    if (isDue(now - this.lastSummaryCheck, SUMMARIES_EVERY_MS)) {
      this.lastSummaryCheck = now;
      summaries = this.summariesIfChanged();
    }
    // One message: the webview's frame follows each message that changes what it shows.
    if (this.pendingRows.length && this.shownWatchId !== undefined) this.post({ type: 'samples', watchId: this.shownWatchId, rows: this.pendingRows, summaries });
    else if (summaries) this.post({ type: 'watches', ...summaries });
    this.pendingRows = [];
  }

  private postSummariesIfChanged(): void {
    const summaries = this.summariesIfChanged();
    if (summaries) this.post({ type: 'watches', ...summaries });
  }

  /**
   * The watches' summaries, when something besides their newest figures changed. The peak RSS (the
   * kernel's high-water mark) counts as a change: it moves only on a new high, and the graph's
   * Peak RSS readout shows it (it stayed at an older peak while a newer one was drawn).
   */
  private summariesIfChanged(): WatchSummaries | undefined {
    const registry = this.deps.registry;
    const watches = registry.list().map(describeWatch);
    const key = JSON.stringify([registry.current?.id, watches.map((w) => ({ ...w, latest: w.latest?.peakRss }))]);
    if (key === this.summariesKey) return undefined;
    this.summariesKey = key;
    return { watches, currentId: registry.current?.id };
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

  /**
   * Draws another run over watch `watchId`, with the table (undefined clears it). Kept until
   * another watch is shown: a graph just opened, or back from hidden, gets it after its state.
   */
  showComparison(watchId: string, comparison: ComparisonView | undefined): void {
    this.comparison = comparison ? { watchId, view: comparison } : undefined;
    if (watchId === this.shownWatchId) this.post({ type: 'compare', comparison });
  }

  /** Asks the webview for the graph as a PNG (it answers with a `png` message); false when it is not there. */
  requestPng(): boolean {
    if (!this.ready) return false;
    this.post({ type: 'renderPng' });
    return true;
  }

  private onMessage(message: FromWebviewMessage | undefined): void {
    if (!message) return; // Unknown or malformed: ignored.
    if (isGraphIntentMessage(message)) {
      runGraphIntent(message.type, { watchId: this.shownWatchId });
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendState();
        break;
      case 'select':
        this.deps.registry.select(message.watchId);
        break;
      case 'png':
        this.deps.savePng(message.data, this.shownWatchId);
        break;
      case 'rendered':
        this.lastRendered = { watchId: message.watchId, points: message.points, lastTime: message.lastTime, messages: message.messages, draws: message.draws, frames: message.frames };
        break;
    }
  }

  private onWatchesChanged(): void {
    const current = this.deps.registry.current;
    if (current?.id !== this.shownWatchId) this.sendState();
    else {
      this.flush();
      this.postSummariesIfChanged();
    }
  }

  private sendState(): void {
    const registry = this.deps.registry;
    const current = registry.current;
    this.shownWatchId = current?.id;
    // The state holds every sample so far: what was waiting to go is in it.
    this.pendingRows = [];
    const view = this.deps.view();
    const watches = registry.list().map(describeWatch);
    this.summariesKey = JSON.stringify([current?.id, watches.map((w) => ({ ...w, latest: undefined }))]);
    // A state replaces whatever of an older one had not gone out yet.
    this.poster.clear();
    this.post(
      ...graphStateMessages({
        watches,
        currentId: current?.id,
        series: current?.series.packed(),
        windowMs: view.windowMs,
        warningBytes: view.warningBytes,
        busy: this.deps.busy(),
      }),
    );
    if (this.comparison && this.comparison.watchId !== current?.id) this.comparison = undefined;
    if (this.comparison) this.post({ type: 'compare', comparison: this.comparison.view });
  }

  private post(...messages: ToWebviewMessage[]): void {
    if (this.ready) this.poster.post(...messages);
  }

  private postNow(message: ToWebviewMessage): void {
    if (!this.ready) return;
    this.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log.debug(`graph: post failed: ${String(err)}`));
  }
}

/** The graph webview's page: the built script and stylesheet only, a CSP with a nonce, no remote resources. */
export function graphHtml(webview: vscode.Webview, extensionUri: vscode.Uri, layout: GraphLayout): string {
  return webviewPage(webview, extensionUri, { name: 'graph', title: 'Memory Graph', bodyAttributes: `data-layout="${layout}"`, mainAttributes: 'aria-live="off"' });
}
