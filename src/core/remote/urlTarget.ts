/**
 * A process reached only by URL: through `kubectl port-forward`, a published container port, or a
 * host the user allowed. The URL's port belongs to a forwarder, never to a local process, so
 * nothing local is read or signalled: every figure comes from what answers at the URL — our agent
 * (RSS and VSZ as the process itself reads them, its Go figures, its memory cgroup), Prometheus
 * /metrics (RSS and VSZ from the process collector, the Go figures, a restart when the process's
 * start time changes), else expvar or net/http/pprof (Go figures only: they do not know RSS).
 *
 * Same rules as every request: loopback unless the user allowed the host, GET only, short
 * timeouts, bounded bodies (core/net). A lost connection is a failed sample, never an exception:
 * the watch goes on, retrying (watch.ts backs off), and the graph keeps its data.
 */
import { KeptConnection, request, RequestError } from '../net/request';
import { checkUrl } from '../net/urlPolicy';
import { ProcessInfo } from '../processes/processInfo';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError } from '../sampling/types';
import { AgentSnapshot, MAX_SNAPSHOT_BYTES, parseAgentSnapshot } from '../goruntime/parsers';
import { AGENT_PREFIX, expvarSource, GoSource, pprofSource, SourceError } from '../goruntime/sources';
import { metricsReading, readMetricsPage } from '../goruntime/sources/prometheus';
import type { PrometheusPage } from '../goruntime/prometheusText';

export const WATCH_URL = { what: 'URL to watch', setting: 'the Watch URL command' } as const;

const TIMEOUT_MS = 1500;

export interface UrlTarget {
  readonly reader: MemoryReader;
  readonly info: ProcessInfo;
  /** The URL as the user gave it, checked. */
  readonly url: string;
  /** The agent's FreeOSMemory endpoint (expvar and pprof have none). */
  readonly freeOSMemoryUrl?: URL;
  /** "Memory Watch agent at 127.0.0.1:8081", for the UI. */
  readonly description: string;
  /** What the URL gives: the agent's full figures, a metrics page's (RSS when it has the process collector), or Go figures only. */
  readonly kind: 'agent' | 'prometheus' | 'expvar' | 'pprof';
  /** The origin it answers on (a heap profile is asked there too). */
  readonly baseUrl: URL;
}

/** Where the agent's snapshot would be under a base URL (the base may already point into the prefix). */
function agentSnapshotUrl(base: URL): URL {
  return new URL(`${AGENT_PREFIX}snapshot`, base.origin);
}

async function readSnapshot(url: URL, allowedHosts: readonly string[], problems: string[] = [], connection?: KeptConnection): Promise<AgentSnapshot> {
  let answer;
  try {
    answer = await request(url, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_SNAPSHOT_BYTES, allowedHosts, label: `The agent at ${url.host}`, connection });
  } catch (err) {
    throw new SampleError('failed', `Lost the connection to ${url.host}: ${(err as Error).message} Retrying.`);
  }
  if (answer.status !== 200) throw new SampleError('failed', `${url.host}${url.pathname} answered HTTP ${answer.status}.`);
  const snapshot = parseAgentSnapshot(answer.body.toString('utf8'), problems);
  if (!snapshot) throw new SampleError('failed', `${url.host} did not answer with a Memory Watch agent snapshot${problems.length ? ` (${problems.join('; ')})` : ''}.`);
  return snapshot;
}

/** Reads a process through its agent: the process's own RSS and VSZ, Go figures, cgroup. */
class AgentUrlReader implements MemoryReader {
  private closed = false;
  /** Read every sample: one connection for all (through a port-forward, each new one is a new stream). */
  private readonly connection = new KeptConnection();
  identity: ProcessIdentity;

  constructor(
    private readonly url: URL,
    private readonly allowedHosts: readonly string[],
    first: AgentSnapshot,
  ) {
    this.identity = { pid: first.pid, startToken: `url:${url.origin}` };
  }

  async read(): Promise<MemorySample> {
    if (this.closed) throw new SampleError('failed', `The watch of ${this.url.host} has ended.`);
    const time = Date.now();
    const s = await readSnapshot(this.url, this.allowedHosts, [], this.connection);
    // The process behind the URL restarted (a new pod, a restarted container): the watch marks it.
    this.identity = { pid: s.pid, startToken: this.identity.startToken };
    // `shared` (file-backed and shared pages) plays RssFile's part: what is left of RSS is anonymous.
    return { time, rss: s.process?.rss ?? NaN, vsz: s.process?.vsz, rssFile: s.process?.shared, go: s.figures, cgroup: s.cgroup };
  }

  close(): void {
    this.closed = true;
    this.connection.close();
  }
}

/**
 * Reads a Prometheus metrics page: RSS and VSZ from the process collector (NaN where the page has
 * none: a macOS build without cgo omits them), the Go figures, and the process's start time — a new
 * one is a restart (a new pod behind a port-forward), which the watch marks.
 */
class MetricsUrlReader implements MemoryReader {
  private closed = false;
  private readonly connection = new KeptConnection();
  identity: ProcessIdentity;

  constructor(
    private readonly url: URL,
    private readonly allowedHosts: readonly string[],
    first: PrometheusPage,
  ) {
    this.identity = { pid: 0, startToken: startTokenOf(first) };
  }

  async read(): Promise<MemorySample> {
    if (this.closed) throw new SampleError('failed', `The watch of ${this.url.host} has ended.`);
    const time = Date.now();
    let page: PrometheusPage;
    try {
      page = await readMetricsPage(this.url, { timeoutMs: TIMEOUT_MS, connection: this.connection, allowedHosts: this.allowedHosts });
    } catch (err) {
      throw new SampleError('failed', `Lost the connection to ${this.url.host}: ${(err as Error).message}. Retrying.`);
    }
    this.identity = { pid: 0, startToken: startTokenOf(page) };
    return { time, rss: page.process.rss ?? NaN, vsz: page.process.vsz, go: page.figures };
  }

  close(): void {
    this.closed = true;
    this.connection.close();
  }
}

/** A process's identity behind a metrics page: its start time (process_start_time_seconds), when the page says. */
function startTokenOf(page: PrometheusPage): string {
  return `started:${page.process.startTimeSeconds ?? 'unknown'}`;
}

/** Reads Go figures only (expvar, pprof): there is no RSS to read through them. */
class GoOnlyUrlReader implements MemoryReader {
  private closed = false;
  readonly identity: ProcessIdentity;

  constructor(
    private readonly source: GoSource,
    url: URL,
  ) {
    this.identity = { pid: 0, startToken: `url:${url.origin}` };
  }

  async read(): Promise<MemorySample> {
    if (this.closed) throw new SampleError('failed', `The watch of ${this.source.description} has ended.`);
    const time = Date.now();
    try {
      const { figures } = await this.source.read(TIMEOUT_MS);
      return { time, rss: NaN, go: figures };
    } catch (err) {
      throw new SampleError('failed', `Lost ${this.source.description}: ${(err as Error).message}. Retrying.`);
    }
  }

  close(): void {
    this.closed = true;
    this.source.close?.();
  }
}

/**
 * Finds what answers under `raw` — the agent, else Prometheus /metrics, else expvar, else
 * net/http/pprof — and returns a reader for it. Rejects with a SampleError that says what to do.
 */
export async function openUrlTarget(raw: string, allowedHosts: readonly string[]): Promise<UrlTarget> {
  const check = checkUrl(raw, allowedHosts, WATCH_URL);
  if (!check.ok) throw new SampleError('failed', check.message);
  const url = check.url;
  const tried: string[] = [];
  try {
    const snapshotUrl = agentSnapshotUrl(url);
    const first = await readSnapshot(snapshotUrl, allowedHosts);
    const name = first.program ?? url.host;
    return {
      reader: new AgentUrlReader(snapshotUrl, allowedHosts, first),
      info: { pid: first.pid, name, commandLine: '', go: first.figures.goVersion ? { version: first.figures.goVersion } : {} },
      url: url.href,
      freeOSMemoryUrl: new URL(`${AGENT_PREFIX}freeosmemory`, url.origin),
      description: `Memory Watch agent at ${url.host}${first.process ? '' : ' (no RSS: the agent reports it on Linux only)'}`,
      kind: 'agent',
      baseUrl: new URL(url.origin),
    };
  } catch (err) {
    tried.push(`agent: ${(err as Error).message}`);
  }
  try {
    const metricsUrl = /\/metrics\/?$/.test(url.pathname) ? new URL(url.pathname, url.origin) : new URL('/metrics', url.origin);
    const page = await readMetricsPage(metricsUrl, { timeoutMs: TIMEOUT_MS, allowedHosts });
    metricsReading(metricsUrl, page);
    const rss = page.process.rss !== undefined;
    return {
      reader: new MetricsUrlReader(metricsUrl, allowedHosts, page),
      info: { pid: 0, name: url.host, commandLine: '', go: page.figures?.goVersion ? { version: page.figures.goVersion } : {} },
      url: url.href,
      description: `Prometheus metrics at ${metricsUrl.host}${metricsUrl.pathname}${rss ? '' : ' (no RSS: the page has no process_resident_memory_bytes — a macOS build without cgo omits it)'}`,
      kind: 'prometheus',
      baseUrl: new URL(url.origin),
    };
  } catch (err) {
    tried.push(`/metrics: ${(err as Error).message}`);
  }
  for (const make of [expvarSource, pprofSource]) {
    const source = make(new URL(url.origin));
    try {
      await source.read(TIMEOUT_MS);
      return {
        reader: new GoOnlyUrlReader(source, url),
        info: { pid: 0, name: url.host, commandLine: '', go: {} },
        url: url.href,
        description: `${source.description} (Go figures only: RSS needs the Memory Watch agent)`,
        kind: source.kind === 'pprof' ? 'pprof' : 'expvar',
        baseUrl: new URL(url.origin),
      };
    } catch (err) {
      tried.push(`${source.kind}: ${err instanceof SourceError || err instanceof RequestError ? err.message : String(err)}`);
    }
  }
  throw new SampleError('failed', `Nothing at ${url.origin} speaks for a Go program: no Memory Watch agent, Prometheus /metrics, expvar or net/http/pprof answered (${tried.join('; ')}).`);
}
