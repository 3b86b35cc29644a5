/**
 * The Prometheus HTTP API as Memory Watch asks it: instant and range queries, series and label
 * values — of Prometheus itself or of anything that speaks its API (Thanos, Mimir under its
 * `/prometheus` prefix with a tenant, VictoriaMetrics). Every request goes through our one HTTP
 * client (net/request.ts: allowed hosts only, a deadline, a bounded body), every answer is checked
 * in shape before JSON.parse (util/jsonShape.ts) and in type after, and every failure is one line
 * a person can act on — 401/403, 404 (a wrong prefix), 422, 503, a timeout — never the server's
 * body shown raw. Credentials go in header fields and are never part of a message or a log line.
 */
import { formatBytes } from '../../shared/format';
import { request, RequestError } from '../net/request';
import { oneLine } from '../../shared/text';
import { checkJsonShape, JsonShapeLimits } from '../util/jsonShape';

/** How to reach a server: its base URL (scheme, host, port, and a path prefix such as /prometheus). */
export interface PrometheusServer {
  /** http(s)://host:port[/prefix] — no credentials, query or fragment. */
  readonly base: URL;
  /** A tenant (Mimir, Cortex): sent as X-Scope-OrgID. */
  readonly tenant?: string;
  readonly auth?: PrometheusAuth;
  /** Hosts besides loopback the user allowed (their settings, never a workspace's). */
  readonly allowedHosts: readonly string[];
}

export type PrometheusAuth = { readonly kind: 'bearer'; readonly token: string } | { readonly kind: 'basic'; readonly user: string; readonly password: string };

/** Why a query got no answer to use. */
export type PrometheusFailure = 'auth' | 'not-found' | 'bad-query' | 'execution' | 'unavailable' | 'timeout' | 'too-large' | 'not-prometheus' | 'unreachable' | 'refused';

/** A request the server did not answer usefully; `message` is one line to show as is. */
export class PrometheusError extends Error {
  constructor(
    readonly failure: PrometheusFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }

  /** The failure as the code an isolated task passes on (see history/offThread.ts). */
  get code(): string {
    return this.failure;
  }
}

const FAILURES: ReadonlySet<string> = new Set<PrometheusFailure>(['auth', 'not-found', 'bad-query', 'execution', 'unavailable', 'timeout', 'too-large', 'not-prometheus', 'unreachable', 'refused']);

/** True for a failure code PrometheusError uses. */
export function isPrometheusFailure(code: unknown): code is PrometheusFailure {
  return typeof code === 'string' && FAILURES.has(code);
}

export interface QueryOptions {
  readonly timeoutMs: number;
  /** The most bytes of an answer read; larger is refused (a narrower selector or range is the remedy). */
  readonly maxBytes: number;
}

/** The server's text shown to a person: one line, bounded, no control characters. */
function serverText(text: unknown, max = 200): string {
  return typeof text === 'string' ? oneLine(text, max) : '';
}

/** The server's name in messages: its origin and prefix (never credentials: a base has none). */
export function serverName(server: PrometheusServer): string {
  const prefix = server.base.pathname.replace(/\/+$/, '');
  return `${server.base.host}${prefix}`;
}

/** The URL of an API path under the server's prefix, with the parameters (repeated keys allowed). */
export function apiUrl(server: PrometheusServer, path: string, params: readonly (readonly [string, string])[]): URL {
  const prefix = server.base.pathname.replace(/\/+$/, '');
  const url = new URL(`${prefix}/api/v1/${path}`, server.base.origin);
  for (const [k, v] of params) url.searchParams.append(k, v);
  return url;
}

/** Header fields: tenant and credentials. */
function headerFields(server: PrometheusServer): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (server.tenant) headers['x-scope-orgid'] = server.tenant;
  if (server.auth?.kind === 'bearer') headers.authorization = `Bearer ${server.auth.token}`;
  else if (server.auth?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${server.auth.user}:${server.auth.password}`, 'utf8').toString('base64')}`;
  return headers;
}

/**
 * An API answer's shape, checked before parsing: a result of series, each with labels and values
 * (11,000 points per query, more than enough for the ranges we ask), or a list of label values.
 */
function answerShape(maxBytes: number): JsonShapeLimits {
  return {
    maxDepth: 8,
    maxArrayItems: 100_000,
    maxObjectKeys: 256,
    maxStringBytes: 16 * 1024,
    // A point is an array of two values: at least 8 bytes a value on the wire ([1,"2"],).
    maxValues: Math.ceil(maxBytes / 4),
  };
}

/**
 * GETs an API path and returns its `data`, or throws a PrometheusError that says why not. Status
 * and errorType are read as the API documents them; anything else that is not the API's JSON is
 * "not a Prometheus API" (a login page, a proxy's error page).
 */
export async function apiGet(server: PrometheusServer, path: string, params: readonly (readonly [string, string])[], options: QueryOptions): Promise<unknown> {
  const url = apiUrl(server, path, params);
  const where = serverName(server);
  let answer;
  try {
    answer = await request(url, {
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      headers: headerFields(server),
      allowedHosts: server.allowedHosts,
      label: `The Prometheus server at ${where}`,
    });
  } catch (err) {
    if (err instanceof RequestError) {
      switch (err.failure) {
        case 'timeout':
          throw new PrometheusError('timeout', `The Prometheus server at ${where} did not answer within ${Math.round(options.timeoutMs / 1000)} s: try a shorter range or a narrower selector.`);
        case 'too-large':
          throw new PrometheusError('too-large', `The Prometheus server at ${where} answered more than ${formatBytes(options.maxBytes)}: try a shorter range or a narrower selector.`);
        case 'not-loopback':
        case 'refused':
          throw new PrometheusError('refused', err.message);
        default:
          throw new PrometheusError('unreachable', err.message);
      }
    }
    throw err;
  }
  if (answer.contentEncoding && answer.contentEncoding !== 'identity') {
    throw new PrometheusError('not-prometheus', `The Prometheus server at ${where} answered compressed (${serverText(answer.contentEncoding, 20)}), which Memory Watch does not inflate.`);
  }
  const status = answer.status;
  if (status === 401 || status === 403) {
    throw new PrometheusError(
      'auth',
      `The Prometheus server at ${where} refused the request (HTTP ${status}): ${server.auth ? 'check the credentials' : 'it needs credentials'} (Memory Watch: Set Prometheus Credentials…)${server.tenant ? ' and the tenant' : ''}.`,
    );
  }
  if (status === 404) {
    throw new PrometheusError('not-found', `No Prometheus API at ${where} (HTTP 404 for ${url.pathname}): check the URL and its path prefix (Mimir serves it under /prometheus).`);
  }
  const parsed = parseBody(answer.body, answer.contentType, options.maxBytes);
  if (!parsed) {
    if (status === 200 || status === 400 || status === 422 || status === 503) {
      throw new PrometheusError('not-prometheus', `${where} did not answer as a Prometheus API (HTTP ${status}, ${serverText(answer.contentType, 60) || 'no content type'}).`);
    }
    throw new PrometheusError(status >= 500 ? 'unavailable' : 'not-prometheus', `The Prometheus server at ${where} answered HTTP ${status}.`);
  }
  if (parsed.status === 'success' && status === 200) return parsed.data;
  const detail = serverText(parsed.error);
  const said = detail ? `: ${detail}` : '';
  switch (parsed.errorType) {
    case 'bad_data':
      throw new PrometheusError('bad-query', `The Prometheus server at ${where} refused the query${said}.`);
    case 'execution':
      throw new PrometheusError('execution', `The Prometheus server at ${where} could not run the query${said}.`);
    case 'timeout':
      throw new PrometheusError('timeout', `The query timed out on the Prometheus server at ${where}${said}: try a shorter range or a narrower selector.`);
    case 'canceled':
    case 'unavailable':
      throw new PrometheusError('unavailable', `The Prometheus server at ${where} is unavailable${said}.`);
    default:
      throw new PrometheusError(status >= 500 ? 'unavailable' : 'execution', `The Prometheus server at ${where} answered HTTP ${status}${said}.`);
  }
}

/** The API's envelope, or undefined when the body is not one. */
function parseBody(body: Buffer, contentType: string | undefined, maxBytes: number): { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown } | undefined {
  if (contentType && !/json/i.test(contentType)) return undefined;
  if (body.length === 0 || (body[0] !== 0x7b && !/^\s*\{/.test(body.toString('latin1', 0, 64)))) return undefined;
  if (!checkJsonShape(body, answerShape(maxBytes)).ok) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const envelope = value as Record<string, unknown>;
  if (envelope.status !== 'success' && envelope.status !== 'error') return undefined;
  return envelope;
}

/** One series of a range query: its labels (the metric name among them as __name__ when kept) and its points, oldest first. */
export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Unix milliseconds. */
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/** At most this many series in one answer: a selector that matches more is not about one service. */
export const MAX_SERIES_PER_QUERY = 2000;
/** Labels of one series kept, and their lengths (a label is shown as a replica's name). */
const MAX_LABELS = 64;
const MAX_LABEL_CHARS = 1024;

/** A value of a sample as the API writes it ("123", "1e+06", "NaN", "+Inf"); NaN for anything else. */
export function sampleValue(text: unknown): number {
  if (typeof text !== 'string' || text.length === 0 || text.length > 40) return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) ? NaN : v;
}

/** A series' labels, checked: strings only, bounded; undefined when it is not a label set. */
function labelsOf(metric: unknown): Record<string, string> | undefined {
  if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) return undefined;
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const [k, v] of Object.entries(metric as Record<string, unknown>)) {
    if (typeof v !== 'string' || k.length > 256) return undefined;
    if (++count > MAX_LABELS) break;
    labels[k] = v.length > MAX_LABEL_CHARS ? v.slice(0, MAX_LABEL_CHARS) : v;
  }
  return labels;
}

/** The points of `values`, in time order and on the range; malformed points are dropped and counted. */
function pointsOf(values: unknown, problems: { dropped: number }): { times: Float64Array; values: Float64Array } | undefined {
  if (!Array.isArray(values)) return undefined;
  const times = new Float64Array(values.length);
  const out = new Float64Array(values.length);
  let n = 0;
  let last = -Infinity;
  for (const p of values) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || !Number.isFinite(p[0])) {
      problems.dropped++;
      continue;
    }
    const t = p[0] * 1000;
    // Out of order or repeated: not what the API gives; the series stays in order.
    if (t <= last) {
      problems.dropped++;
      continue;
    }
    last = t;
    times[n] = t;
    out[n] = sampleValue(p[1]);
    n++;
  }
  return { times: times.slice(0, n), values: out.slice(0, n) };
}

/** The series of a `matrix` (range query) or `vector` (instant query) result. */
export function seriesOfResult(data: unknown, where: string): { series: RangeSeries[]; dropped: number } {
  if (typeof data !== 'object' || data === null) throw new PrometheusError('not-prometheus', `${where} answered a query without data.`);
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  if ((resultType !== 'matrix' && resultType !== 'vector') || !Array.isArray(result)) {
    throw new PrometheusError('not-prometheus', `${where} answered a query with a result that is not a matrix or vector.`);
  }
  if (result.length > MAX_SERIES_PER_QUERY) {
    throw new PrometheusError('too-large', `The query matched ${result.length} series at ${where} (at most ${MAX_SERIES_PER_QUERY} are read): give a narrower selector.`);
  }
  const problems = { dropped: 0 };
  const series: RangeSeries[] = [];
  for (const item of result as unknown[]) {
    const labels = labelsOf((item as { metric?: unknown })?.metric);
    const raw = resultType === 'matrix' ? (item as { values?: unknown })?.values : [(item as { value?: unknown })?.value];
    const points = labels && pointsOf(raw, problems);
    if (!labels || !points) {
      problems.dropped++;
      continue;
    }
    series.push({ labels, ...points });
  }
  return { series, dropped: problems.dropped };
}

/** A range query: every point from `start` to `end` (Unix seconds, aligned by the caller) every `step` seconds. */
export async function queryRange(server: PrometheusServer, query: string, range: { readonly start: number; readonly end: number; readonly step: number }, options: QueryOptions): Promise<{ series: RangeSeries[]; dropped: number }> {
  const data = await apiGet(
    server,
    'query_range',
    [
      ['query', query],
      ['start', String(range.start)],
      ['end', String(range.end)],
      ['step', String(range.step)],
    ],
    options,
  );
  return seriesOfResult(data, serverName(server));
}

/** An instant query at `time` (Unix seconds). */
export async function queryInstant(server: PrometheusServer, query: string, time: number, options: QueryOptions): Promise<{ series: RangeSeries[]; dropped: number }> {
  const data = await apiGet(
    server,
    'query',
    [
      ['query', query],
      ['time', String(time)],
    ],
    options,
  );
  return seriesOfResult(data, serverName(server));
}

/** At most this many values of one label are read (a picker of more is no help). */
export const MAX_LABEL_VALUES = 5000;

/** The values a label takes on the series `match` selects, between start and end (Unix seconds). */
export async function labelValues(server: PrometheusServer, label: string, match: string | undefined, range: { readonly start: number; readonly end: number }, options: QueryOptions): Promise<string[]> {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new Error(`not a label name: ${label}`);
  const params: [string, string][] = [
    ['start', String(range.start)],
    ['end', String(range.end)],
  ];
  if (match) params.push(['match[]', match]);
  const data = await apiGet(server, `label/${label}/values`, params, options);
  if (!Array.isArray(data)) throw new PrometheusError('not-prometheus', `${serverName(server)} answered label values that are not a list.`);
  return data
    .filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_LABEL_CHARS)
    .slice(0, MAX_LABEL_VALUES);
}

/** The label sets of the series `match` selects between start and end (Unix seconds). */
export async function seriesLabels(server: PrometheusServer, match: string, range: { readonly start: number; readonly end: number }, options: QueryOptions): Promise<Record<string, string>[]> {
  const data = await apiGet(
    server,
    'series',
    [
      ['match[]', match],
      ['start', String(range.start)],
      ['end', String(range.end)],
    ],
    options,
  );
  if (!Array.isArray(data)) throw new PrometheusError('not-prometheus', `${serverName(server)} answered a series list that is not a list.`);
  if (data.length > MAX_SERIES_PER_QUERY * 8) {
    throw new PrometheusError('too-large', `The selector matches ${data.length} series at ${serverName(server)}: give a narrower selector (one service).`);
  }
  const out: Record<string, string>[] = [];
  for (const item of data) {
    const labels = labelsOf(item);
    if (labels) out.push(labels);
  }
  return out;
}

export type ServerUrlResult = { readonly ok: true; readonly base: URL } | { readonly ok: false; readonly message: string };

/**
 * A server's base URL from what a person typed or pasted: http(s), no credentials (they go in
 * secret storage), its path prefix kept (Mimir's /prometheus), and what follows a prefix in a
 * pasted address dropped — the API's own path (/api/v1/…), the UI's (/graph), a query, a fragment.
 */
export function parseServerUrl(raw: string): ServerUrlResult {
  const text = raw.trim();
  if (!text) return { ok: false, message: 'No Prometheus server URL is set (memoryWatch.prometheus.url).' };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return { ok: false, message: `"${text.slice(0, 200)}" is not a URL.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `A Prometheus server is reached over http:// or https://, not ${url.protocol}//.` };
  if (url.username || url.password) {
    return { ok: false, message: 'Give the URL without credentials: Memory Watch keeps them in VS Code\'s secret storage (Memory Watch: Set Prometheus Credentials…).' };
  }
  const prefix = url.pathname.replace(/\/(api\/v1(\/.*)?|graph|query|targets|alerts)?\/*$/, '');
  return { ok: true, base: new URL(`${url.origin}${prefix}`) };
}
