/**
 * A fleet's memory history from a Prometheus server, in the graph webview's read-only history
 * layout: the replica selected (its series, markers and diagnosis, as a live watch shows them), the
 * other replicas' RSS drawn thin behind it, and a line naming the replica that peaked highest and
 * the one that grew fastest. The selector above the graph picks the replica.
 */
import vscode = require('vscode');
import { formatDuration, formatLocalDateTime } from '../core/format';
import type { FleetHistory, ReplicaHistory } from '../core/history/fleet';
import { rangeLabel } from '../core/history/plan';
import { Disposable } from '../core/util/lifecycle';
import type { WatchSummary } from '../core/watchSummary';
import { FleetView, graphStateMessages, isGraphIntentMessage, parseWebviewMessage, ToWebviewMessage, GRAPH_INTENTS } from '../protocol';
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
  ) {
    super();
    this.selected = fleet.replicas[0];
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

  /** Shows another replica; false when there is none by that id. */
  select(replicaId: string): boolean {
    const replica = this.fleet.replicas.find((r) => r.id === replicaId);
    if (!replica) return false;
    this.selected = replica;
    this.sendState();
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
      replicas: f.replicas.map((r) => ({
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
      })),
    };
  }

  /** How a replica reads in the graph's selector and header: as a watch that ended. */
  summaryOf(r: ReplicaHistory): WatchSummary {
    const last = r.series.time.length - 1;
    const rss = r.series.columns.rss;
    const span = this.fleet.end - this.fleet.start;
    return {
      id: r.id,
      pid: 0,
      name: r.name,
      commandLine: '',
      state: 'exited',
      paused: false,
      endReason: `From ${this.origin.serverName}: ${rangeLabel(Math.round(span / 1000))} to ${formatLocalDateTime(this.fleet.end)}, a point every ${formatDuration(this.fleet.stepMs)}.`,
      endLabel: 'history',
      go: r.goVersion,
      latest: last >= 0 ? { time: r.series.time[last], rss: rss?.[last] ?? NaN, vsz: r.series.columns.vsz?.[last], peakRss: r.peakRss } : undefined,
      intervalMs: this.fleet.stepMs,
      goFigures: r.goFrom
        ? { state: 'found', text: `Go figures: ${r.goFrom}, from Prometheus at ${this.origin.serverName}` }
        : { state: 'none', text: `No Go figures: the service's series at ${this.origin.serverName} have no go_* families (the Go collector).` },
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
    };
  }

  private sendState(): void {
    if (!this.ready) return;
    this.poster.clear();
    const r = this.selected;
    this.poster.post(
      ...graphStateMessages({
        watches: this.fleet.replicas.map((x) => this.summaryOf(x)),
        currentId: r.id,
        series: r.series,
        windowMs: Math.max(1000, this.fleet.end - this.fleet.start),
        warningBytes: 0,
        busy: false,
        fleet: this.fleetView(),
      }),
    );
    // The others behind it, one message each (a replica's RSS over 20,000 points is 320 KiB).
    for (const other of this.fleet.replicas) {
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
        this.select(message.watchId);
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
