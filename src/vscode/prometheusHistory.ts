/**
 * From the alert to the code: Open from Prometheus… asks (or is given) a server, a service or
 * replica, and a range; fetches the fleet's memory history in a child process with a progress
 * notification that can be cancelled; and opens it in a history view. Set Prometheus Credentials…
 * keeps a bearer token or basic auth in VS Code's secret storage, per server.
 *
 * Where requests may go: loopback; the server in the user's own settings
 * (memoryWatch.prometheus.url, never a workspace's); the hosts the user allowed
 * (memoryWatch.freeOSMemory.allowedHosts); or a server the user typed here, which is then
 * remembered in their settings. A server given by another extension's command call is asked about.
 */
import vscode = require('vscode');
import { formatBytes, formatLocalDateTime } from '../shared/format';
import type { FetchProgress } from '../core/history/fetch';
import { fetchHistoryOffThread, fetchReplicaOffThread } from '../core/history/offThread';
import type { ReplicaHistory } from '../core/history/fleet';
import { parseTimeInput, planRange, rangeLabel } from '../core/history/plan';
import { labelValues, parseServerUrl, PrometheusAuth, PrometheusError, PrometheusServer, queryInstant, serverName } from '../core/history/promApi';
import { matchersText, sampleQuery, RSS_SAMPLE } from '../core/history/queries';
import { LabelMatcher, parseSelector, selectorText } from '../core/history/selector';
import { isLoopbackHost, hostAllowed } from '../core/net/urlPolicy';
import { jobRow, replicaRow } from '../core/pickItems';
import type { RecordingMeta } from '../core/recording/write';
import type { Settings } from '../core/settings';
import { Disposable } from '../core/util/lifecycle';
import { escapeIcons } from '../shared/text';
import type { HistoryViewInfo } from './api';
import { CommandId, CredentialsArgument, HistoryArgument, registerCommand } from './commandIds';
import { HISTORY_VIEW_TYPE, HistoryView } from './historyView';
import { showError, showWarning } from './notify';
import type { Run, RunSource } from './recordings';
import { SECTION } from './config';

export interface PrometheusHistoryDeps {
  readonly extensionUri: vscode.Uri;
  readonly secrets: vscode.SecretStorage;
  readonly settings: () => Settings;
  readonly toolVersion: string;
  readonly savePng: (png: Uint8Array, name: string) => void;
  readonly log: vscode.LogOutputChannel;
}

/** Small questions (label values, a replica list) answer fast and small: they are read on the extension host. */
const PICKER_OPTIONS = { timeoutMs: 15_000, maxBytes: 1024 * 1024 };

/** The ranges offered, in seconds. */
const RANGES: readonly { label: string; seconds: number }[] = [
  { label: 'Last 15 minutes', seconds: 15 * 60 },
  { label: 'Last hour', seconds: 3600 },
  { label: 'Last 6 hours', seconds: 6 * 3600 },
  { label: 'Last 24 hours', seconds: 24 * 3600 },
  { label: 'Last 7 days', seconds: 7 * 24 * 3600 },
];
/** "Around a time…": this long before the time and after it. */
const AROUND_BEFORE_S = 60 * 60;
const AROUND_AFTER_S = 30 * 60;

const SECRET_PREFIX = 'memoryWatch.prometheus.credentials:';

export class PrometheusHistory extends Disposable implements RunSource {
  private readonly views = new Set<HistoryView>();

  constructor(private readonly deps: PrometheusHistoryDeps) {
    super();
    this.register(registerCommand(CommandId.OpenFromPrometheus, (arg) => this.open(arg)));
    this.register(registerCommand(CommandId.SetPrometheusCredentials, (arg) => this.setCredentials(arg)));
    this.register({ dispose: () => [...this.views].forEach((v) => v.dispose()) });
  }

  describe(): HistoryViewInfo[] {
    return [...this.views].map((v) => v.describe());
  }

  // ---- Open from Prometheus… ----

  async open(arg: HistoryArgument): Promise<HistoryViewInfo | undefined> {
    try {
      const asked = arg === undefined ? await this.ask() : await this.fromArgument(arg);
      if (!asked) return undefined;
      return await this.fetchAndShow(asked.server, asked.matchers, asked.start, asked.end, asked.step);
    } catch (err) {
      this.report(err);
      return undefined;
    }
  }

  /** One line for a failure; a refused request offers the credentials command. */
  private report(err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    this.deps.log.warn(`Open from Prometheus: ${message}`);
    if (err instanceof PrometheusError && err.failure === 'auth') {
      void showError(`Memory Watch: ${message}`, 'Set Credentials…').then((choice) => {
        if (choice) void vscode.commands.executeCommand(CommandId.SetPrometheusCredentials);
      });
      return;
    }
    void showError(`Memory Watch: ${message}`);
  }

  /** The command's argument, checked: `{ url, selector, start?, end?, step? }`. */
  private async fromArgument(arg: NonNullable<HistoryArgument>): Promise<Asked | undefined> {
    if (typeof arg !== 'object' || arg === null) throw new Error('Open from Prometheus takes { url, selector, start?, end?, step? }.');
    const server = await this.server(typeof arg.url === 'string' ? arg.url : this.deps.settings().prometheus.url, 'argument');
    if (!server) return undefined;
    if (typeof arg.selector !== 'string') throw new Error('Give a series selector, such as {job="api"}.');
    const selector = parseSelector(arg.selector);
    if (!selector.ok) throw new Error(selector.message);
    const now = Date.now() / 1000;
    const seconds = (v: unknown, name: string): number | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name} must be a time in Unix seconds.`);
      return v;
    };
    const end = seconds(arg.end, 'end') ?? now;
    const start = seconds(arg.start, 'start') ?? end - 3600;
    const step = seconds(arg.step, 'step');
    return { server, matchers: selector.matchers, start, end, step };
  }

  /** The quick inputs: server, service, replica, range. */
  private async ask(): Promise<Asked | undefined> {
    const remembered = this.deps.settings().prometheus.url;
    const typed = await vscode.window.showInputBox({
      title: 'Open from Prometheus (1/4): the server',
      prompt: 'Prometheus, Thanos, Mimir or VictoriaMetrics: its URL, with the path prefix if it has one (Mimir: …/prometheus).',
      value: remembered || 'http://localhost:9090',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const parsed = parseServerUrl(v);
        return parsed.ok ? undefined : parsed.message;
      },
    });
    if (typed === undefined) return undefined;
    const server = await this.server(typed, 'typed');
    if (!server) return undefined;
    const now = Math.floor(Date.now() / 1000);
    const day = { start: now - 86400, end: now };
    const jobs = await labelValues(server, 'job', RSS_SAMPLE, day, PICKER_OPTIONS);
    if (!jobs.length) throw new PrometheusError('execution', `No service at ${serverName(server)} had process_resident_memory_bytes in the last 24 h: its /metrics needs the process collector.`);
    const job = await vscode.window.showQuickPick(
      jobs.map((j) => ({ ...jobRow(j), job: j })),
      { title: `Open from Prometheus (2/4): the service at ${serverName(server)}`, placeHolder: 'The job label of the service', matchOnDescription: true, ignoreFocusOut: true },
    );
    if (!job) return undefined;
    const byJob: LabelMatcher[] = [{ name: 'job', op: '=', value: job.job }];
    const matchers = await this.pickReplica(server, byJob, now);
    if (!matchers) return undefined;
    type RangeItem = vscode.QuickPickItem & { seconds?: number };
    const range = await vscode.window.showQuickPick<RangeItem>([...RANGES, { label: 'Around a time…', description: 'an alert\'s time: an hour before it to half an hour after' }], {
      title: `Open from Prometheus (4/4): the time range for ${escapeIcons(selectorText(matchers))}`,
      ignoreFocusOut: true,
    });
    if (!range) return undefined;
    if (range.seconds !== undefined) return { server, matchers, start: now - range.seconds, end: now };
    const at = await vscode.window.showInputBox({
      title: 'Open from Prometheus: around which time?',
      prompt: 'The alert\'s time: 2026-12-07 14:02 (this machine\'s time zone), 2026-12-07T14:02:00Z, or Unix seconds.',
      ignoreFocusOut: true,
      validateInput: (v) => (parseTimeInput(v) === undefined ? 'A time such as 2026-12-07 14:02, 2026-12-07T14:02:00Z or 1796652120.' : undefined),
    });
    const ms = at === undefined ? undefined : parseTimeInput(at);
    if (ms === undefined) return undefined;
    const t = ms / 1000;
    return { server, matchers, start: t - AROUND_BEFORE_S, end: Math.min(now, t + AROUND_AFTER_S) };
  }

  /** The service's replicas now, each with its RSS; or all of them. */
  private async pickReplica(server: PrometheusServer, byJob: LabelMatcher[], now: number): Promise<LabelMatcher[] | undefined> {
    const { series } = await queryInstant(server, sampleQuery(RSS_SAMPLE, byJob), now, PICKER_OPTIONS);
    const replicas = series
      .map((s) => ({ labels: s.labels, rss: s.values[0] }))
      .sort((a, b) => (b.rss || 0) - (a.rss || 0))
      .slice(0, 500);
    type Item = vscode.QuickPickItem & { matchers: LabelMatcher[] };
    const all: Item = {
      label: `$(layers) All replicas of ${escapeIcons(byJob[0].value)}`,
      description: replicas.length ? `${replicas.length} now` : 'none now — those of the range are read',
      matchers: byJob,
    };
    const items: Item[] = [
      all,
      ...replicas.map((r) => {
        const key: LabelMatcher = r.labels.pod !== undefined ? { name: 'pod', op: '=', value: r.labels.pod } : { name: 'instance', op: '=', value: r.labels.instance ?? '' };
        const detail = Object.entries(r.labels)
          .filter(([k]) => k !== '__name__')
          .map(([k, v]) => `${k}=${v}`)
          .join(', ');
        return { ...replicaRow(key.value || '(no instance)', detail, Number.isFinite(r.rss) ? `RSS ${formatBytes(r.rss)}` : ''), matchers: [...byJob, key] };
      }),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Open from Prometheus (3/4): the replicas of ${escapeIcons(byJob[0].value)}`, matchOnDetail: true, ignoreFocusOut: true });
    return picked?.matchers;
  }

  /**
   * The server from a URL, with its credentials and tenant; undefined when the user declined a host
   * they did not choose. A server the user typed is remembered in their settings.
   */
  private async server(raw: string, from: 'typed' | 'argument'): Promise<PrometheusServer | undefined> {
    const parsed = parseServerUrl(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    const base = parsed.base;
    const settings = this.deps.settings();
    const remembered = parseServerUrl(settings.prometheus.url);
    const rememberedHost = remembered.ok ? remembered.base.hostname : undefined;
    const allowed = [...settings.release.allowedHosts];
    const host = base.hostname;
    const known = isLoopbackHost(host) || hostAllowed(host, allowed) || host === rememberedHost;
    if (!known) {
      if (from === 'argument') {
        const allow = 'Allow';
        const choice = await showWarning(
          `Send queries to ${host}? A command asked Memory Watch to read history from it; it is not in your settings.`,
          { modal: true, detail: 'Allowing it this once does not change your settings. To allow it always, set memoryWatch.prometheus.url or add the host to memoryWatch.freeOSMemory.allowedHosts in your user settings.' },
          allow,
        );
        if (choice !== allow) return undefined;
      }
      allowed.push(host);
    }
    if (from === 'typed' && base.toString() !== (remembered.ok ? remembered.base.toString() : '')) {
      // Remembered in the user's settings (never a workspace's): the user typed it.
      await vscode.workspace.getConfiguration(SECTION).update('prometheus.url', base.toString().replace(/\/$/, ''), vscode.ConfigurationTarget.Global);
    }
    const tenant = settings.prometheus.tenant || undefined;
    return { base, tenant, auth: await this.credentials(base), allowedHosts: allowed };
  }

  private async fetchAndShow(server: PrometheusServer, matchers: readonly LabelMatcher[], start: number, end: number, step?: number): Promise<HistoryViewInfo | undefined> {
    const planned = planRange(start, end, step);
    if (!planned.ok) throw new Error(planned.message);
    const selector = selectorText(matchers);
    const span = rangeLabel(planned.plan.end - planned.plan.start);
    this.deps.log.info(`Open from Prometheus: ${selector} at ${serverName(server)}, ${span} to ${formatLocalDateTime(planned.plan.end * 1000)}, every ${planned.plan.step} s.`);
    const fleet = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Memory Watch: reading ${span} of ${selector} from ${serverName(server)}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const cancel = token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        try {
          return await fetchHistoryOffThread(server, { matchers, start, end, step }, {
            signal: abort.signal,
            onProgress: (p: FetchProgress) => {
              const share = p.total ? Math.min(100, (100 * p.done) / p.total) : 0;
              progress.report({ message: `${p.what} (${p.done} of ${p.total} requests)`, increment: Math.max(0, share - shown) });
              shown = Math.max(shown, share);
            },
          });
        } finally {
          cancel.dispose();
        }
      },
    ).then(undefined, (err: Error) => {
      if (/was cancelled/.test(err.message)) return undefined;
      throw err;
    });
    if (!fleet) return undefined;
    if (!fleet.replicas.length) throw new PrometheusError('execution', `${selector} at ${serverName(server)}: no replica had RSS figures in this range.`);
    for (const note of fleet.notes) this.deps.log.info(`Open from Prometheus: ${note}`);
    const panel = vscode.window.createWebviewPanel(HISTORY_VIEW_TYPE, `Memory: ${shortSelector(matchers)} (${span})`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false });
    const request = { matchers, start, end, step: fleet.stepMs / 1000 };
    const readDetails = (replica: ReplicaHistory, signal: AbortSignal) => fetchReplicaOffThread(server, request, replica, { signal });
    const view = new HistoryView(fleet, { server: server.base.toString().replace(/\/$/, ''), serverName: serverName(server), selector }, panel, this.deps.extensionUri, this.deps.savePng, readDetails);
    this.views.add(view);
    view.onDidDispose(() => this.views.delete(view));
    return view.describe();
  }

  // ---- credentials ----

  private async credentials(base: URL): Promise<PrometheusAuth | undefined> {
    const stored = await this.deps.secrets.get(secretKey(base));
    if (!stored) return undefined;
    try {
      const value = JSON.parse(stored) as PrometheusAuth;
      if (value.kind === 'bearer' && typeof value.token === 'string') return { kind: 'bearer', token: value.token };
      if (value.kind === 'basic' && typeof value.user === 'string' && typeof value.password === 'string') return { kind: 'basic', user: value.user, password: value.password };
    } catch {
      // Not ours: as if none were stored.
    }
    return undefined;
  }

  async setCredentials(arg: CredentialsArgument): Promise<boolean> {
    try {
      const given = typeof arg === 'object' && arg !== null ? arg : undefined;
      const url = typeof given?.url === 'string' ? given.url : await vscode.window.showInputBox({ title: 'Prometheus credentials: for which server?', value: this.deps.settings().prometheus.url, ignoreFocusOut: true, validateInput: (v) => { const p = parseServerUrl(v); return p.ok ? undefined : p.message; } });
      if (url === undefined) return false;
      const parsed = parseServerUrl(url);
      if (!parsed.ok) throw new Error(parsed.message);
      const key = secretKey(parsed.base);
      let kind = typeof given?.kind === 'string' ? given.kind : undefined;
      if (!kind) {
        const picked = await vscode.window.showQuickPick(
          [
            { label: 'Bearer token', auth: 'bearer' },
            { label: 'Basic auth (user and password)', auth: 'basic' },
            { label: 'None (forget the stored credentials)', auth: 'none' },
          ],
          { title: `Prometheus credentials for ${parsed.base.host}`, ignoreFocusOut: true },
        );
        if (!picked) return false;
        kind = picked.auth;
      }
      const ask = (prompt: string, password: boolean) => vscode.window.showInputBox({ title: `Prometheus credentials for ${parsed.base.host}`, prompt, password, ignoreFocusOut: true });
      let auth: PrometheusAuth | undefined;
      switch (kind) {
        case 'none':
          await this.deps.secrets.delete(key);
          return true;
        case 'bearer': {
          const token = typeof given?.token === 'string' ? given.token : await ask('The bearer token (kept in VS Code\'s secret storage)', true);
          if (!token) return false;
          auth = { kind: 'bearer', token };
          break;
        }
        case 'basic': {
          const user = typeof given?.user === 'string' ? given.user : await ask('The user name', false);
          if (!user) return false;
          const password = typeof given?.password === 'string' ? given.password : await ask('The password (kept in VS Code\'s secret storage)', true);
          if (password === undefined) return false;
          auth = { kind: 'basic', user, password };
          break;
        }
        default:
          throw new Error('The kind of credentials is bearer, basic or none.');
      }
      // They go in a header field: a line break would end it.
      if (Object.values(auth).some((v) => /[\r\n\0]/.test(v))) throw new Error('Credentials cannot hold line breaks.');
      await this.deps.secrets.store(key, JSON.stringify(auth));
      this.deps.log.info(`Stored ${auth.kind} credentials for ${serverName({ base: parsed.base, allowedHosts: [] })} in secret storage.`);
      return true;
    } catch (err) {
      void showError(`Memory Watch: ${(err as Error).message}`);
      return false;
    }
  }

  // ---- runs: Save, Compare and CSV act on the replica a history view shows ----

  run(arg: unknown): Run | undefined {
    if (typeof arg !== 'object' || arg === null || !('history' in arg)) return undefined;
    const view = [...this.views].find((v) => v.id === (arg as { history: unknown }).history);
    return view ? this.runOf(view) : undefined;
  }

  /** Asks the history view in front for a PNG of its graph; false when none is in front. */
  renderPng(): boolean {
    const view = [...this.views].find((v) => v.active);
    view?.post({ type: 'renderPng' });
    return view !== undefined;
  }

  frontRun(): Run | undefined {
    const view = [...this.views].find((v) => v.active);
    return view ? this.runOf(view) : undefined;
  }

  offers(): { label: string; description: string; run: () => Run }[] {
    return [...this.views].map((v) => ({ label: `$(history) ${escapeIcons(v.runName)}`, description: 'Prometheus history', run: () => this.runOf(v) }));
  }

  private runOf(view: HistoryView): Run {
    const r = view.replica;
    const summary = view.summaryOf(r);
    const meta: RecordingMeta = {
      process: { name: r.name, pid: 0, ...(r.goVersion ? { go: r.goVersion } : {}) },
      settings: { sampleIntervalMs: view.fleet.stepMs, windowMs: Math.max(1, view.fleet.end - view.fleet.start) },
      goFigures: summary.goFigures.text,
      ...(r.diagnosis ? { diagnosis: r.diagnosis } : {}),
      source: {
        kind: 'prometheus',
        server: view.origin.server,
        selector: view.origin.selector,
        replica: matchersText(Object.entries(r.labels).map(([name, value]) => ({ name, op: '=' as const, value }))),
        start: new Date(view.fleet.start).toISOString(),
        end: new Date(view.fleet.end).toISOString(),
        stepSeconds: Math.round(view.fleet.stepMs / 1000),
      },
      toolVersion: this.deps.toolVersion,
    };
    return { name: view.runName, series: r.series, meta, show: (comparison) => { view.reveal(); view.post({ type: 'compare', comparison }); } };
  }
}

interface Asked {
  readonly server: PrometheusServer;
  readonly matchers: readonly LabelMatcher[];
  readonly start: number;
  readonly end: number;
  readonly step?: number;
}

function secretKey(base: URL): string {
  return `${SECRET_PREFIX}${base.origin}${base.pathname.replace(/\/+$/, '')}`;
}

/** A tab title: the selector's values ("api", "api · api-7"), short. */
function shortSelector(matchers: readonly LabelMatcher[]): string {
  const text = matchers.map((m) => m.value).join(' · ');
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
