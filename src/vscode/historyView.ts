/**
 * A fleet's memory history from a Prometheus server, in the graph webview's read-only history
 * layout: the replica selected (its series, markers and diagnosis, as a live watch shows them), the
 * other replicas' RSS drawn thin behind it, and a line naming the replica that peaked highest and
 * the one that grew fastest. The selector above the graph picks the replica.
 */
import vscode = require('vscode');
import { formatDuration, formatLocalDateTime } from '../shared/format';
import type { FleetHistory, ReplicaHistory } from '../core/history/fleet';
import { rangeLabel } from '../core/history/plan';
import { Disposable } from '../core/util/lifecycle';
import type { WatchSummary } from '../shared/watchSummary';
import { FleetView, graphStateMessages, isGraphIntentMessage, parseWebviewMessage, ToWebviewMessage, GRAPH_INTENTS } from '../shared/protocol';
import type { HistoryViewInfo } from './api';
import { graphHtml, webviewOptions } from './graphFeed';
import { WebviewPoster } from './webviewPoster';

export const HISTORY_VIEW_TYPE = 'memoryWatch.history';

/** Where a history came from: the server (no credentials), the selector, the range. */
export interface HistoryOrigin {
  /** The server's URL, prefix included. */
  readonly server: string;
  /** Its host and prefix, for titles and lines. */
  readonly serverName: string;
  readonly selector: string;
}

let nextId = 1;

export class HistoryView extends Disposable {
  readonly id = `history-${nextId++}`;
  private ready = false;
  private selected: ReplicaHistory;
  /** The replicas as read so far: one is replaced when its details arrive. */
  private readonly replicas: ReplicaHistory[];
  /** A line about the replica shown while its details are read, or why they could not be. */
  private status?: string;
  private loading?: AbortController;
  rendered?: HistoryViewInfo['rendered'];
  private readonly poster = this.register(new WebviewPoster<ToWebviewMessage>((message) => void this.panel.webview.postMessage(message).then(undefined, () => undefined)));
  private readonly disposeEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly fleet: FleetHistory,
    readonly origin: HistoryOrigin,
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly onPng: (png: Uint8Array, name: string) => void,
    /** Reads one replica in full (its Go figures, VSZ, gaps): the fleet has them for its top one only. */
    private readonly readDetails: (replica: ReplicaHistory, signal: AbortSignal) => Promise<ReplicaHistory>,
  ) {
    super();
    this.replicas = [...fleet.replicas];
    this.selected = this.replicas[0];
    this.register({ dispose: () => this.loading?.abort() });
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'graph-icon.svg');
    panel.webview.html = graphHtml(panel.webview, extensionUri, 'history');
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.register(
      panel.onDidChangeViewState(() => {
        if (panel.visible) return;
        this.ready = false;
        this.poster.clear();
      }),
    );
    this.register(
      panel.onDidDispose(() => {
        this.disposeEmitter.fire();
        this.dispose();
      }),
    );
  }

  /** The replica shown. */
  get replica(): ReplicaHistory {
    return this.selected;
  }

  get active(): boolean {
    return this.panel.active;
  }

  /** "api-7 · Prometheus, 24 h": names the run in Compare and Save. */
  get runName(): string {
    return `${this.selected.name} (Prometheus, ${rangeLabel(Math.round((this.fleet.end - this.fleet.start) / 1000))} to ${formatLocalDateTime(this.fleet.end)})`;
  }

  /** Shows another replica (its details read first when the fleet has only its RSS); false when there is none by that id. */
  async select(replicaId: string): Promise<boolean> {
    const replica = this.replicas.find((r) => r.id === replicaId);
    if (!replica) return false;
    this.loading?.abort();
    this.loading = undefined;
    this.selected = replica;
    this.status = replica.detailed ? undefined : `Reading the Go figures of ${replica.name}…`;
    this.sendState();
    if (replica.detailed) return true;
    const abort = (this.loading = new AbortController());
    try {
      const full = await this.readDetails(replica, abort.signal);
      const at = this.replicas.findIndex((r) => r.id === replica.id);
      if (at >= 0) this.replicas[at] = full;
      if (this.selected.id === replica.id) {
        this.selected = full;
        this.status = undefined;
        this.sendState();
      }
    } catch (err) {
      if (abort.signal.aborted) return false;
      this.status = `${replica.name}: only its RSS, restarts and container figures are shown — ${(err as Error).message}`;
      this.sendState();
      return false;
    } finally {
      if (this.loading === abort) this.loading = undefined;
    }
    return true;
  }

  post(...messages: ToWebviewMessage[]): void {
    if (this.ready) this.poster.post(...messages);
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  describe(): HistoryViewInfo {
    const f = this.fleet;
    return {
      id: this.id,
      server: this.origin.server,
      selector: this.origin.selector,
      start: f.start,
      end: f.end,
      stepMs: f.stepMs,
      headline: f.headline,
      others: f.others?.text,
      notes: f.notes,
      selectedId: this.selected.id,
      visible: this.panel.visible,
      rendered: this.rendered,
      replicas: this.replicas.map((r) => ({
        id: r.id,
        name: r.name,
        labels: r.labels,
        peakRss: r.peakRss,
        peakTime: r.peakTime,
        growth: r.growth,
        restarts: r.restarts,
        oomKills: r.oomKills,
        goVersion: r.goVersion,
        goFrom: r.goFrom,
        containerLimit: r.containerLimit,
        diagnosis: r.diagnosis,
        advice: r.advice,
        columns: Object.keys(r.series.columns),
        points: r.series.time.length,
        markers: r.series.events.map((e) => ({ time: e.time, endTime: e.endTime, kind: e.kind, label: e.label, detail: e.detail, bytes: e.bytes })),
        detailed: r.detailed,
      })),
      status: this.status,
      select: (replicaId: string) => this.select(replicaId),
    };
  }

  /** How a replica reads in the graph's selector and header: as a watch that ended. */
  summaryOf(r: ReplicaHistory): WatchSummary {
    const last = r.series.time.length - 1;
    const rss = r.series.columns.rss;
    return {
      id: r.id,
      pid: 0,
      name: r.name,
      commandLine: '',
      state: 'exited',
      paused: false,
      // Which replica this is, by its own labels (the range and server are said above the graph).
      endReason: Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' · '),
      endLabel: 'history',
      go: r.goVersion,
      latest: last >= 0 ? { time: r.series.time[last], rss: rss?.[last] ?? NaN, vsz: r.series.columns.vsz?.[last], peakRss: r.peakRss } : undefined,
      intervalMs: this.fleet.stepMs,
      goFigures: r.goFrom
        ? { state: 'found', text: `Go figures: ${r.goFrom}, from Prometheus at ${this.origin.serverName}` }
        : r.detailed
          ? { state: 'none', text: `No Go figures: the service's series at ${this.origin.serverName} have no go_* families (the Go collector).` }
          : { state: 'searching', text: `Go figures: read when ${r.name} is shown.` },
      diagnosis: r.diagnosis,
      advice: r.advice,
      replica: { peakRss: r.peakRss, restarts: r.restarts, oomKills: r.oomKills },
    };
  }

  private fleetView(): FleetView {
    const span = this.fleet.end - this.fleet.start;
    return {
      source: `Prometheus at ${this.origin.serverName} · ${this.origin.selector} · ${rangeLabel(Math.round(span / 1000))} to ${formatLocalDateTime(this.fleet.end)}, a point every ${formatDuration(this.fleet.stepMs)}`,
      headline: this.fleet.headline,
      others: this.fleet.others?.text,
      notes: this.fleet.notes,
      status: this.status,
    };
  }

  private sendState(): void {
    if (!this.ready) return;
    this.poster.clear();
    const r = this.selected;
    this.poster.post(
      ...graphStateMessages({
        watches: this.replicas.map((x) => this.summaryOf(x)),
        currentId: r.id,
        series: r.series,
        windowMs: Math.max(1000, this.fleet.end - this.fleet.start),
        warningBytes: 0,
        busy: false,
        fleet: this.fleetView(),
      }),
    );
    // The others behind it, one message each (a replica's RSS over 20,000 points is 320 KiB).
    for (const other of this.replicas) {
      if (other === r || !other.series.columns.rss) continue;
      this.poster.post({ type: 'overlay', id: other.id, name: other.name, time: other.series.time, rss: other.series.columns.rss });
    }
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return;
    if (isGraphIntentMessage(message)) {
      // Save, Compare and CSV are about the replica shown; the live-only buttons are hidden here.
      const { command, about } = GRAPH_INTENTS[message.type];
      if (message.type === 'saveRecording' || about === 'run') void vscode.commands.executeCommand(command, { history: this.id });
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendState();
        break;
      case 'select':
        void this.select(message.watchId);
        break;
      case 'png':
        this.onPng(message.data, this.selected.name);
        break;
      case 'rendered':
        this.rendered = { watchId: message.watchId, points: message.points, lastTime: message.lastTime };
        break;
    }
  }
}
