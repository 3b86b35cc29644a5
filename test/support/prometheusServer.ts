/**
 * A real Prometheus server for the history tests (Debian's `prometheus`, 2.x): a config of our
 * own, its own TSDB directory, a free loopback port, its own process group; stopped and its
 * directories removed by `stop()` or `stopAllPrometheus()`. Plus the few API calls the tests
 * need to check what it holds (instant queries until a condition holds, ranges, targets).
 *
 * Facts of 2.42 that shape this:
 * - Targets are first scraped about 5–6 s after /-/ready: the discovery manager hands target
 *   sets to the scrape manager at most every 5 s, and --scrape.discovery-reload-interval has a
 *   5 s floor. A reload (POST /-/reload) that adds targets waits the same.
 * - The config is written as JSON, which is YAML too: no YAML writer needed.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { tools } from '../../scripts/harness/tools';
import { GroupProcess, startGroup } from './processGroup';
import { waitFor } from './wait';

export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  /** Labels on every series scraped from it (e.g. namespace, pod, container), for joins. */
  readonly labels?: Record<string, string>;
}

export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly ScrapeTarget[];
  /** Keep the labels the target's own series carry (a kubelet's namespace/pod/container) over the target's. */
  readonly honorLabels?: boolean;
  readonly metricsPath?: string;
  /** This job's interval, when not the global one. */
  readonly scrapeIntervalMs?: number;
}

export interface PrometheusOptions {
  readonly jobs?: readonly ScrapeJob[];
  /** The global scrape and evaluation interval (default 1000). */
  readonly scrapeIntervalMs?: number;
  /** An existing TSDB directory (e.g. one `backfillFleet` wrote): kept on stop. Default: a new one, removed on stop. */
  readonly dataDir?: string;
  /** More flags (a flag named here replaces the default of the same name, e.g. --storage.tsdb.retention.time). */
  readonly extraFlags?: readonly string[];
  /** How long /-/ready may take (default 60 s: a large backfilled TSDB loads its blocks first). */
  readonly readyTimeoutMs?: number;
}

export interface PrometheusServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly configFile: string;
  /** The config as written (JSON, which Prometheus reads as YAML). */
  readonly config: PrometheusConfig;
  /** Milliseconds from spawn to /-/ready. */
  readonly readyMs: number;
  readonly process: GroupProcess;
  /** The last 16 KiB of Prometheus's log (it logs on stderr), for failure messages. */
  log(): string;
  /** Writes a new config with these jobs and makes Prometheus load it (POST /-/reload). */
  reload(jobs: readonly ScrapeJob[]): Promise<void>;
  /** SIGTERM to its group (SIGKILL after 5 s), then removes the config and any directory it made. */
  stop(): Promise<void>;
}

export interface PrometheusConfig {
  global: { scrape_interval: string; scrape_timeout: string; evaluation_interval: string };
  scrape_configs: {
    job_name: string;
    honor_labels: boolean;
    metrics_path: string;
    scrape_interval?: string;
    scrape_timeout?: string;
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
  }[];
}

const running = new Set<PrometheusServer>();
const LOG_BYTES = 16 * 1024;
/** Directories made here and not yet removed: an interrupted run removes them on its way out (processGroup ends the servers). */
const madeDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A loopback port nobody listens on now (the kernel's choice; taken again before Prometheus binds it only by bad luck, retried). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The config for these jobs: every target a static config of its own, so each keeps its own labels. */
export function prometheusConfig(jobs: readonly ScrapeJob[], scrapeIntervalMs = 1000): PrometheusConfig {
  const duration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return {
    global: { scrape_interval: duration(scrapeIntervalMs), scrape_timeout: duration(scrapeIntervalMs), evaluation_interval: duration(scrapeIntervalMs) },
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      honor_labels: j.honorLabels ?? false,
      metrics_path: j.metricsPath ?? '/metrics',
      ...(j.scrapeIntervalMs ? { scrape_interval: duration(j.scrapeIntervalMs), scrape_timeout: duration(j.scrapeIntervalMs) } : {}),
      static_configs: j.targets.map((t) => ({ targets: [t.address], ...(t.labels ? { labels: { ...t.labels } } : {}) })),
    })),
  };
}

/** Starts a real Prometheus on a free loopback port and waits until /-/ready answers 200. */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = tools().prometheus;
  const ownDirs: string[] = [];
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-prom-config-'));
  ownDirs.push(configDir);
  let dataDir = options.dataDir;
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-prom-data-'));
    ownDirs.push(dataDir);
  }
  for (const dir of ownDirs) madeDirs.add(dir);
  const removeOwnDirs = () => {
    for (const dir of ownDirs) {
      fs.rmSync(dir, { recursive: true, force: true });
      madeDirs.delete(dir);
    }
  };
  const configFile = path.join(configDir, 'prometheus.yml');
  let config = prometheusConfig(options.jobs ?? [], options.scrapeIntervalMs);
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

  const extra = options.extraFlags ?? [];
  const named = (flag: string) => flag.replace(/^--/, '').split('=')[0];
  let lastError: Error | undefined;
  // A port can be taken between freePort() and Prometheus's bind: try another, twice.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const defaults = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // /-/reload and /-/quit.
      '--web.enable-lifecycle',
    ];
    const flags = [...defaults.filter((d) => !extra.some((e) => named(e) === named(d))), ...extra];
    const url = `http://127.0.0.1:${port}`;
    const started = Date.now();
    let proc: GroupProcess;
    try {
      proc = await startGroup(binary, flags, { keepBytes: LOG_BYTES });
    } catch (err) {
      removeOwnDirs();
      throw err;
    }
    try {
      await waitFor(
        async () => {
          if (proc.exited()) throw new Error(`prometheus exited (${proc.proc.exitCode ?? proc.proc.signalCode}): ${proc.stderr().slice(-4096)}`);
          return (await httpGet(`${url}/-/ready`, 2000)).status === 200;
        },
        `Prometheus at ${url} to be ready (/-/ready)`,
        options.readyTimeoutMs ?? 60_000,
        50,
      );
    } catch (err) {
      const log = proc.stderr();
      await proc.stop();
      lastError = new Error(`${(err as Error).message}\nPrometheus's log (last lines):\n${log.slice(-4096)}`, { cause: err });
      if (/address already in use/.test(log)) continue;
      removeOwnDirs();
      throw lastError;
    }
    const readyMs = Date.now() - started;
    const server: PrometheusServer = {
      url,
      port,
      dataDir,
      configFile,
      get config() {
        return config;
      },
      readyMs,
      process: proc,
      log: () => proc.stderr(),
      async reload(jobs) {
        config = prometheusConfig(jobs, options.scrapeIntervalMs);
        fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
        const answer = await httpRequest('POST', `${url}/-/reload`, 10_000);
        if (answer.status !== 200) throw new Error(`POST /-/reload answered ${answer.status}: ${answer.body}\n${proc.stderr().slice(-2048)}`);
      },
      async stop() {
        running.delete(server);
        // SIGTERM: a clean shutdown writes no half-finished block, and says so in its log.
        await proc.stop('SIGTERM', 5000);
        removeOwnDirs();
      },
    };
    running.add(server);
    return server;
  }
  removeOwnDirs();
  throw lastError ?? new Error('Prometheus did not start');
}

/** Stops every server started here (call in an after hook). */
export async function stopAllPrometheus(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

// ---- The HTTP API -----------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over loopback; the body bounded (64 MiB) and the whole exchange within `timeoutMs`. */
export function httpRequest(method: string, url: string, timeoutMs = 10_000, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024 * 1024) req.destroy(new Error(`${method} ${url}: more than 64 MiB`));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${url}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

export const httpGet = (url: string, timeoutMs?: number, headers?: http.OutgoingHttpHeaders) => httpRequest('GET', url, timeoutMs, headers);

/** Where API calls go: a server, or anything with a base URL (a proxy under a prefix) and the headers it needs. */
export interface ApiBase {
  readonly url: string;
  readonly headers?: http.OutgoingHttpHeaders;
  log?(): string;
}

/** GET /api/v1/<path> with these parameters; resolves with `data`, rejects with Prometheus's errorType and error. */
export async function apiGet<T = unknown>(base: ApiBase, apiPath: string, params: Record<string, string | number | readonly string[]> = {}, timeoutMs = 30_000): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, String(v));
  }
  const url = `${base.url}/api/v1/${apiPath}?${query}`;
  const answer = await httpGet(url, timeoutMs, base.headers);
  let parsed: { status?: string; data?: T; errorType?: string; error?: string };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new Error(`GET ${url} answered ${answer.status} with no JSON: ${answer.body.slice(0, 300)}`);
  }
  if (answer.status !== 200 || parsed.status !== 'success') throw new Error(`GET ${url} answered ${answer.status}: ${parsed.errorType}: ${parsed.error}`);
  return parsed.data as T;
}

/** One series of an instant query's vector. */
export interface InstantSample {
  metric: Record<string, string>;
  /** [unix seconds, value as Prometheus writes it] */
  value: [number, string];
}

/** One series of a range query's matrix. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** An instant query (vector results only); `time` in unix seconds, default now. */
export async function query(base: ApiBase, promql: string, time?: number): Promise<InstantSample[]> {
  const data = await apiGet<{ resultType: string; result: InstantSample[] }>(base, 'query', { query: promql, ...(time !== undefined ? { time } : {}) });
  if (data.resultType !== 'vector') throw new Error(`${promql} gave a ${data.resultType}, not a vector`);
  return data.result;
}

/** A range query (start and end in unix seconds, step in seconds). */
export async function queryRange(base: ApiBase, promql: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
  const data = await apiGet<{ resultType: string; result: RangeSeries[] }>(base, 'query_range', { query: promql, start, end, step });
  return data.result;
}

/**
 * Instant-queries `promql` every 250 ms until `predicate` holds for its result, which it returns;
 * after `timeoutMs` fails saying what was asked, what came last, and the end of Prometheus's log.
 */
export async function waitForQuery(
  server: ApiBase,
  promql: string,
  predicate: (result: InstantSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<InstantSample[]> {
  let last: InstantSample[] | undefined;
  try {
    return await waitFor(
      async () => {
        last = await query(server, promql);
        return predicate(last) ? last : undefined;
      },
      `Prometheus to answer ${promql} with what the test expects`,
      timeoutMs,
      250,
    );
  } catch (err) {
    const shown = last === undefined ? 'no answer' : JSON.stringify(last).slice(0, 1500);
    throw new Error(`${(err as Error).message}; its last answer: ${shown}${server.log ? `\nPrometheus's log (last lines):\n${server.log().slice(-2048)}` : ''}`, { cause: err });
  }
}

export interface TargetHealth {
  job: string;
  instance: string;
  /** "up", "down" or "unknown" (not scraped yet). */
  health: string;
  lastError: string;
  /** Unix ms of the last scrape (0 before the first). */
  lastScrapeMs: number;
  labels: Record<string, string>;
}

/** What Prometheus says of each active target (/api/v1/targets). */
export async function scrapeHealth(server: ApiBase): Promise<TargetHealth[]> {
  const data = await apiGet<{ activeTargets: { labels: Record<string, string>; scrapePool: string; health: string; lastError: string; lastScrape: string }[] }>(server, 'targets', { state: 'active' });
  return data.activeTargets.map((t) => {
    const lastScrapeMs = Date.parse(t.lastScrape);
    return {
      job: t.labels.job ?? t.scrapePool,
      instance: t.labels.instance ?? '',
      health: t.health,
      lastError: t.lastError,
      // Before the first scrape Prometheus writes Go's zero time (year 1).
      lastScrapeMs: Number.isFinite(lastScrapeMs) && lastScrapeMs > 0 ? lastScrapeMs : 0,
      labels: t.labels,
    };
  });
}
