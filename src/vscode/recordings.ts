/**
 * Keep, share and compare what you saw: Save Recording, the read-only editor for .memwatch.json
 * files (the same graph), Compare With…, Export CSV and PNG. Files are read and written in a
 * worker (core/recording/offThread.ts); nothing is written without the user's save dialog.
 */
import os = require('os');
import path = require('path');
import vscode = require('vscode');
import { describeWatch } from '../core/describeWatch';
import { alignRow, compareWatchRow, recordingRow } from '../core/pickItems';
import { formatDuration, formatLocalDateTime } from '../shared/format';
import { compareRunViews, comparisonToMarkdown, RunView } from '../core/recording/compare';
import { exportCsv, openRecording, RecordingInfo, saveRecording, viewOfSeries } from '../core/recording/offThread';
import { RECORDING_FILE_EXTENSION } from '../core/recording/schema';
import { metaFromWatchSummary, RecordingMeta } from '../core/recording/write';
import { PackedSeries } from '../shared/series';
import { Disposable } from '../core/util/lifecycle';
import { inspectWriteTarget } from '../core/util/noFollowWrite';
import { WatchRegistry } from '../core/watchRegistry';
import { WatchSummary } from '../shared/watchSummary';
import { ComparisonView, graphStateMessages, isGraphIntentMessage, parseWebviewMessage, ToWebviewMessage } from '../shared/protocol';
import { WebviewPoster } from './webviewPoster';
import { CommandId, HistoryRunArgument, registerCommand, RunArgument, WatchArgument } from './commandIds';
import { graphHtml, runGraphIntent, webviewOptions } from './graphFeed';
import { GraphPanel } from './graphPanel';
import { showError, showInfo, showWarning } from './notify';
import { escapeHtml } from '../shared/text';

export const RECORDING_EDITOR_VIEW_TYPE = 'memoryWatch.recording';

export interface RecordingsDeps {
  readonly extensionUri: vscode.Uri;
  readonly registry: WatchRegistry;
  readonly windowMs: () => number;
  readonly toolVersion: string;
  readonly log: vscode.LogOutputChannel;
  /** Opens the memory graph (or brings it to the front): where a watch's comparison is drawn. */
  readonly showGraph: () => GraphPanel;
}

/** A run to save, export or compare: a watch's series, a recording file opened in the editor, or a Prometheus history's replica. */
export interface Run {
  readonly name: string;
  /** Its points and markers, as typed arrays: what a task or the webview is sent, never unpacked here. */
  readonly series: PackedSeries;
  readonly meta: RecordingMeta;
  /** Its summary, when already worked out (a recording); a live watch's is worked out in a worker. */
  readonly view?: RunView;
  /** Where a comparison is drawn. */
  show(comparison: ComparisonView): void;
}

/** Runs that are neither watches nor recordings (a Prometheus history view's replica): found by their argument, offered to compare. */
export interface RunSource {
  /** The run `arg` names, when it is one of this source's (`{ history: id }`). */
  run(arg: unknown): Run | undefined;
  /** What Compare With… offers as the other run. */
  offers(): readonly { readonly label: string; readonly description: string; readonly run: () => Run }[];
  /** Asks the graph of this source in front for a PNG; false when none is in front. */
  renderPng(): boolean;
  /** The run of this source's graph in front (the active editor), if one is. */
  frontRun(): Run | undefined;
}

class RecordingDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly info: RecordingInfo,
    /** The points (columns never measured left out) and markers, as the graph is sent them. */
    readonly series: PackedSeries,
    readonly view: RunView,
  ) {}

  dispose(): void {
    // Nothing held but memory.
  }
}

/**
 * A file the editor refused, and why. VS Code shows only "The editor could not be opened due to an
 * unexpected error" for a document that failed to open: so the document opens, and its editor
 * says our one line.
 */
class RefusedRecording implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly reason: string,
  ) {}

  dispose(): void {
    // Nothing held.
  }
}

/** An open recording editor, as the API describes it. */
export interface RecordingEditorInfo {
  readonly uri: string;
  /** Why the file was not opened as a recording (the line the editor shows). */
  readonly refused?: string;
  /** What the graph last reported drawing. */
  readonly rendered?: { readonly points: number; readonly lastTime: number };
}

/** One open recording editor: the graph webview in its read-only layout. */
class RecordingEditor extends Disposable {
  private ready = false;
  rendered?: RecordingEditorInfo['rendered'];
  /** Drawn over this recording; sent again whenever the webview comes back (moved, hidden, reloaded). */
  private comparison?: ComparisonView;
  /** A long recording's state goes out in parts; a comparison or PNG request waits behind them. */
  private readonly poster = this.register(new WebviewPoster<ToWebviewMessage>((message) => void this.panel.webview.postMessage(message).then(undefined, () => undefined)));

  constructor(
    readonly document: RecordingDocument,
    readonly panel: vscode.WebviewPanel,
    private readonly recordings: Recordings,
  ) {
    super();
    panel.webview.options = webviewOptions(recordings.deps.extensionUri);
    panel.webview.html = graphHtml(panel.webview, recordings.deps.extensionUri, 'recording');
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.register(
      panel.onDidChangeViewState(() => {
        if (panel.visible) return;
        this.ready = false;
        this.poster.clear();
      }),
    );
  }

  get summary(): WatchSummary {
    const { info, series } = this.document;
    const last = series.time.length - 1;
    return {
      id: `recording:${this.document.uri.toString()}`,
      pid: info.process.pid,
      name: info.process.name,
      commandLine: '',
      state: 'exited',
      paused: false,
      endReason: info.source
        ? `From Prometheus at ${info.source.server}, ${info.source.replica}, ${formatLocalDateTime(Date.parse(info.source.start))} to ${formatLocalDateTime(Date.parse(info.source.end))}, a point every ${formatDuration(info.source.stepSeconds * 1000)}; saved ${formatLocalDateTime(Date.parse(info.createdAt))}.`
        : `Recorded ${formatLocalDateTime(Date.parse(info.createdAt))} by ${info.tool.name} ${info.tool.version}, every ${formatDuration(info.settings.sampleIntervalMs)}.`,
      endLabel: 'recording',
      go: info.process.go,
      latest: last >= 0 ? { time: series.time[last], rss: series.columns.rss?.[last] ?? NaN, vsz: series.columns.vsz?.[last], peakRss: this.document.view.summary.peakRss } : undefined,
      intervalMs: info.settings.sampleIntervalMs,
      goFigures: { state: info.goFigures ? 'found' : 'none', text: info.goFigures ?? 'No Go figures in this recording.' },
      diagnosis: info.diagnosis ? { kind: info.diagnosis.kind, message: `When recorded: ${info.diagnosis.message}` } : undefined,
    };
  }

  post(...messages: ToWebviewMessage[]): void {
    if (this.ready) this.poster.post(...messages);
  }

  /** Draws another run over this recording, in front (a palette command may have come from elsewhere). */
  showComparison(comparison: ComparisonView): void {
    this.comparison = comparison;
    if (!this.panel.visible) this.panel.reveal(undefined, true);
    this.post({ type: 'compare', comparison });
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return;
    if (isGraphIntentMessage(message)) {
      // Compare and Export CSV, about this recording (the buttons about a live watch are hidden here).
      runGraphIntent(message.type, { recording: this.document.uri.toString() });
      return;
    }
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        const { time } = this.document.series;
        const span = time.length ? time[time.length - 1] - time[0] : 0;
        // The whole run in view: its window is its length.
        this.poster.clear();
        this.post(...graphStateMessages({ watches: [this.summary], currentId: this.summary.id, series: this.document.series, windowMs: Math.max(span, 1000), warningBytes: 0, busy: false }));
        if (this.comparison) this.post({ type: 'compare', comparison: this.comparison });
        break;
      }
      case 'png':
        void this.recordings.savePng(message.data, this.summary.name);
        break;
      case 'rendered':
        this.rendered = { points: message.points, lastTime: message.lastTime };
        break;
      default:
        break;
    }
  }
}

export class Recordings extends Disposable implements vscode.CustomReadonlyEditorProvider<RecordingDocument | RefusedRecording> {
  private readonly editors = new Set<RecordingEditor>();
  private readonly refusals = new Map<vscode.WebviewPanel, RefusedRecording>();
  private readonly sources: RunSource[] = [];

  constructor(readonly deps: RecordingsDeps) {
    super();
    this.register(vscode.window.registerCustomEditorProvider(RECORDING_EDITOR_VIEW_TYPE, this, { supportsMultipleEditorsPerDocument: false }));
    this.register(registerCommand(CommandId.SaveRecording, (arg) => this.save(arg)));
    this.register(registerCommand(CommandId.CompareWith, (arg) => this.compareWith(arg)));
    this.register(registerCommand(CommandId.ExportCsv, (arg) => this.exportCsv(arg)));
    this.register(registerCommand(CommandId.ExportPng, () => this.exportPng()));
  }

  /** Runs of another kind (Prometheus histories) that Save, Compare and CSV act on too. */
  addRunSource(source: RunSource): void {
    this.sources.push(source);
  }

  // ---- the read-only editor ----

  async openCustomDocument(uri: vscode.Uri): Promise<RecordingDocument | RefusedRecording> {
    const refuse = (reason: string): RefusedRecording => {
      this.deps.log.warn(`Recording ${uri.toString(true)} not opened: ${reason}`);
      return new RefusedRecording(uri, reason);
    };
    if (uri.scheme !== 'file') return refuse('Memory Watch opens recordings from files on this machine only.');
    try {
      const { info, series, run } = await openRecording(uri.fsPath);
      return new RecordingDocument(uri, info, series, run);
    } catch (err) {
      return refuse((err as Error).message);
    }
  }

  resolveCustomEditor(document: RecordingDocument | RefusedRecording, panel: vscode.WebviewPanel): void {
    if (document instanceof RefusedRecording) {
      panel.webview.options = { enableScripts: false, localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'media')] };
      panel.webview.html = refusalHtml(panel.webview, this.deps.extensionUri, path.basename(document.uri.fsPath || document.uri.path), document.reason);
      this.refusals.set(panel, document);
      panel.onDidDispose(() => this.refusals.delete(panel));
      return;
    }
    const editor = new RecordingEditor(document, panel, this);
    this.editors.add(editor);
    panel.onDidDispose(() => {
      this.editors.delete(editor);
      editor.dispose();
    });
  }

  /** The open recording editors: what each shows, or why it refused its file. */
  describe(): RecordingEditorInfo[] {
    return [
      ...[...this.editors].map((e) => ({ uri: e.document.uri.toString(), rendered: e.rendered })),
      ...[...this.refusals.values()].map((r) => ({ uri: r.uri.toString(), refused: r.reason })),
    ];
  }

  // ---- commands ----

  /** Saves a watch as a .memwatch.json file the user picks. Resolves with the file, or undefined. */
  async save(arg: WatchArgument | HistoryRunArgument): Promise<string | undefined> {
    const run = this.sourceRun(arg) ?? this.liveRun(arg as WatchArgument);
    if (!run) return undefined;
    const target = await vscode.window.showSaveDialog({
      title: 'Save Memory Watch Recording',
      defaultUri: this.defaultUri(`${safeName(run.name)}-${stamp()}${RECORDING_FILE_EXTENSION}`),
      filters: { 'Memory Watch recordings': ['json'] },
      saveLabel: 'Save Recording',
    });
    if (!target) return undefined;
    try {
      await saveRecording(target.fsPath, run.series, run.meta);
    } catch (err) {
      void showError(`Memory Watch: could not save the recording: ${(err as Error).message}`);
      return undefined;
    }
    this.deps.log.info(`Saved a recording of ${run.name} to ${target.fsPath}.`);
    void showInfo(`Memory Watch: saved ${path.basename(target.fsPath)}.`, 'Open').then((choice) => {
      if (choice) void vscode.commands.executeCommand('vscode.openWith', target, RECORDING_EDITOR_VIEW_TYPE);
    });
    return target.fsPath;
  }

  /** Exports samples and markers as CSV (two files: the one picked, and "-markers" beside it). */
  async exportCsv(arg: RunArgument): Promise<string | undefined> {
    const run = this.runOf(arg);
    if (!run) return undefined;
    const target = await vscode.window.showSaveDialog({
      title: 'Export Memory Watch samples as CSV (the markers go beside them)',
      defaultUri: this.defaultUri(`${safeName(run.name)}-${stamp()}.csv`),
      filters: { CSV: ['csv'] },
      saveLabel: 'Export CSV',
    });
    if (!target) return undefined;
    const markers = target.fsPath.replace(/(\.csv)?$/i, '-markers.csv');
    // The save dialog asked about the samples file; the markers file's name it never showed. One
    // already there is asked about too, not renamed around: the two are a pair by name, and a
    // "-markers-2.csv" would leave an earlier export's markers beside these samples.
    const [samplesThere, markersThere] = await Promise.all([inspectWriteTarget(target.fsPath), inspectWriteTarget(markers)]);
    for (const there of [samplesThere, markersThere]) {
      if (there.kind === 'refused') {
        void showError(`Memory Watch: not exporting CSV: ${there.reason}.`);
        return undefined;
      }
    }
    if (markersThere.kind === 'file') {
      const overwrite = 'Overwrite';
      const choice = await showWarning(
        `${path.basename(markers)} already exists. Replace it?`,
        { modal: true, detail: `Export CSV writes the markers beside ${path.basename(target.fsPath)}, named after it.` },
        overwrite,
      );
      if (choice !== overwrite) return undefined;
    }
    try {
      await exportCsv(target.fsPath, markers, run.series, run.meta, { markers: markersThere.kind === 'file' ? 'replace' : 'create' });
    } catch (err) {
      void showError(`Memory Watch: could not export CSV: ${(err as Error).message}`);
      return undefined;
    }
    void showInfo(`Memory Watch: exported ${path.basename(target.fsPath)} and ${path.basename(markers)}.`);
    return target.fsPath;
  }

  /** Asks the graph in front (a recording, else the memory graph) for a PNG; the webview answers and savePng saves it. */
  exportPng(): boolean {
    const active = [...this.editors].find((e) => e.panel.active);
    if (active) {
      active.post({ type: 'renderPng' });
      return true;
    }
    if (this.sources.some((s) => s.renderPng())) return true;
    const graph = GraphPanel.current?.graph;
    if (graph?.requestPng()) return true;
    void showInfo('Memory Watch: open the memory graph (or a recording) first: the PNG is the graph as shown.');
    return false;
  }

  /** Saves a PNG the webview rendered, where the user picks. */
  async savePng(png: Uint8Array, name: string | undefined): Promise<string | undefined> {
    const target = await vscode.window.showSaveDialog({
      title: 'Export the memory graph as PNG',
      defaultUri: this.defaultUri(`${safeName(name ?? 'memory')}-${stamp()}.png`),
      filters: { 'PNG image': ['png'] },
      saveLabel: 'Export PNG',
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, png);
    void showInfo(`Memory Watch: saved ${path.basename(target.fsPath)}.`);
    return target.fsPath;
  }

  /**
   * Draws another run over this one with a table of what changed. A: the argument (a recording
   * open in the editor, or a watch); B: picked — a recording file, or another watch.
   */
  async compareWith(arg: RunArgument): Promise<ComparisonView | undefined> {
    const a = this.runOf(arg);
    if (!a) return undefined;
    const b = await this.pickOther(a);
    if (!b) return undefined;
    try {
      const [viewA, viewB] = await Promise.all([a.view ?? viewOfSeries(a.series, a.meta), b.view ?? viewOfSeries(b.series, b.meta)]);
      const common = commonLabels(viewA, viewB);
      let align: 'start' | { markerLabel: string } = 'start';
      if (common.length) {
        const picked = await vscode.window.showQuickPick([{ label: 'At their start', align: 'start' as const }, ...common.map((label) => ({ ...alignRow(label), align: { markerLabel: label } }))], {
          title: 'Line the two runs up…',
          // Asked right after the open dialog closes, when focus goes back to the recording's
          // webview: an ordinary quick pick closed on that before anyone saw it (seen in e2e runs).
          ignoreFocusOut: true,
        });
        if (!picked) return undefined;
        align = picked.align;
      }
      const result = compareRunViews(viewA, viewB, align);
      if (!result.ok) {
        void showError(`Memory Watch: ${result.message}`);
        return undefined;
      }
      const c = result.comparison;
      const view: ComparisonView = {
        nameA: a.name,
        nameB: b.name,
        alignedOn: align === 'start' ? 'at their start' : `at the first "${align.markerLabel}" marker`,
        time: b.series.time.map((t) => t + c.offsetMs),
        rss: b.series.columns.rss ?? new Float64Array(b.series.time.length).fill(NaN),
        ...(b.series.columns.missedPeak ? { missedPeak: b.series.columns.missedPeak } : {}),
        rows: c.rows.map((r) => ({ title: r.title, a: r.aText, b: r.bText, difference: r.differenceText, ratio: r.ratioText, aNote: r.aNote, bNote: r.bNote })),
        markdown: comparisonToMarkdown(c, { a: a.name, b: b.name }),
      };
      a.show(view);
      return view;
    } catch (err) {
      void showError(`Memory Watch: could not compare: ${(err as Error).message}`);
      return undefined;
    }
  }

  // ---- runs ----

  /** A run of one of the other sources, when `arg` names one. */
  private sourceRun(arg: unknown): Run | undefined {
    if (typeof arg !== 'object' || arg === null || !('history' in arg)) return undefined;
    for (const source of this.sources) {
      const run = source.run(arg);
      if (run) return run;
    }
    void showError('Memory Watch: that history is not open any more.');
    return undefined;
  }

  private runOf(arg: RunArgument): Run | undefined {
    if (typeof arg === 'object' && arg !== null && 'history' in arg) return this.sourceRun(arg);
    if (typeof arg === 'object' && arg !== null && 'recording' in arg && typeof arg.recording === 'string') {
      const editor = [...this.editors].find((e) => e.document.uri.toString() === arg.recording);
      if (!editor) {
        void showError('Memory Watch: that recording is not open.');
        return undefined;
      }
      return this.recordingRun(editor);
    }
    // From the palette (no argument): the graph editor in front — a recording or a history — else the current watch.
    if (arg === undefined) return this.frontRun() ?? this.liveRun(undefined);
    return this.liveRun(arg as WatchArgument);
  }

  /** The run of the graph editor in front (the active editor), when it is a recording or a history view. */
  private frontRun(): Run | undefined {
    const editor = [...this.editors].find((e) => e.panel.active);
    if (editor) return this.recordingRun(editor);
    for (const source of this.sources) {
      const run = source.frontRun();
      if (run) return run;
    }
    return undefined;
  }

  private recordingRun(editor: RecordingEditor): Run {
    const { info, series, view } = editor.document;
    return {
      name: `${info.process.name} (${path.basename(editor.document.uri.fsPath)})`,
      series,
      view,
      meta: { process: info.process, settings: info.settings, goFigures: info.goFigures, diagnosis: info.diagnosis, source: info.source, toolVersion: this.deps.toolVersion },
      show: (comparison) => editor.showComparison(comparison),
    };
  }

  private liveRun(arg: WatchArgument): Run | undefined {
    const registry = this.deps.registry;
    const watch =
      arg === undefined
        ? registry.current
        : typeof arg === 'object' && arg !== null && typeof (arg as { watchId?: unknown }).watchId === 'string'
          ? registry.get((arg as { watchId: string }).watchId)
          : registry.list().find((w) => w.pid === (typeof arg === 'number' ? arg : Number((arg as { pid?: unknown })?.pid)));
    if (!watch) {
      void showError('Memory Watch: no watch to use. Attach to a process first (or open a recording).');
      return undefined;
    }
    const summary = describeWatch(watch);
    return {
      name: `${watch.info.name} (PID ${watch.pid})`,
      series: watch.series.packed(),
      meta: metaFromWatchSummary(summary, this.deps.windowMs(), this.deps.toolVersion),
      show: (comparison) => {
        // The graph shows this watch, and the comparison over it: opened if it is not (from the
        // palette, two questions answered must not end in nothing to see).
        registry.select(watch.id);
        const panel = GraphPanel.current ?? this.deps.showGraph();
        panel.graph.showComparison(watch.id, comparison);
      },
    };
  }

  /** B, picked: an open recording, another watch, or a recording file. */
  private async pickOther(a: Run): Promise<Run | undefined> {
    type Item = vscode.QuickPickItem & { run?: () => Run | undefined; file?: boolean };
    const items: Item[] = [
      { label: '$(folder-opened) Open a recording…', description: RECORDING_FILE_EXTENSION, file: true },
      ...[...this.editors].map((e) => ({ ...recordingRow(path.basename(e.document.uri.fsPath)), run: () => this.recordingRun(e) })),
      ...this.sources.flatMap((s) => s.offers()).filter((o) => !o.label.endsWith(a.name)),
      ...this.deps.registry
        .list()
        .filter((w) => `${w.info.name} (PID ${w.pid})` !== a.name)
        .map((w) => ({ ...compareWatchRow(w.info.name, w.pid, w.state), run: () => this.liveRun({ watchId: w.id }) })),
    ];
    // Opened from a button in the webview, which may take focus back: keep the question open.
    const picked = await vscode.window.showQuickPick(items, { title: `Compare ${a.name} with…`, ignoreFocusOut: true });
    if (!picked) return undefined;
    if (!picked.file) return picked.run?.();
    const files = await vscode.window.showOpenDialog({ title: 'A Memory Watch recording to compare with', filters: { 'Memory Watch recordings': ['json'] }, canSelectMany: false, defaultUri: this.defaultUri('') });
    if (!files?.length) return undefined;
    try {
      const { info, series, run } = await openRecording(files[0].fsPath);
      return {
        name: `${info.process.name} (${path.basename(files[0].fsPath)})`,
        series,
        view: run,
        meta: { process: info.process, settings: info.settings, toolVersion: this.deps.toolVersion },
        show: () => undefined,
      };
    } catch (err) {
      void showError(`Memory Watch: ${path.basename(files[0].fsPath)} cannot be opened as a recording: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A file name in the first workspace folder (or the home folder). */
  private defaultUri(name: string): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
  }
}

/** Labels of markers both runs have (alignment points), in A's order. */
function commonLabels(a: RunView, b: RunView): string[] {
  const inB = new Set(b.markers.map((m) => m.label));
  return [...new Set(a.markers.map((m) => m.label))].filter((l) => inB.has(l));
}

/** A process name as part of a file name: no path separators or odd characters. */
function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'memory';
}

/** 2026-11-28-1042, for file names. */
function stamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}`;
}

/** The editor of a refused file: its name and the reason, as plain text in the theme's colours; no script. */
function refusalHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, reason: string): string {
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'graph.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}">
  <link href="${css}" rel="stylesheet">
  <title>Memory Watch Recording</title>
</head>
<body data-layout="refused">
  <main class="refused" role="alert">
    <h1>${escapeHtml(name)} cannot be opened as a Memory Watch recording</h1>
    <p>${escapeHtml(reason)}</p>
  </main>
</body>
</html>`;
}
