/**
 * A loopback HTTP proxy in front of a real Prometheus, for the history tests: it serves the API
 * under a path prefix as Mimir does (`/prometheus/api/v1/…`), requires the tenant header
 * (`X-Scope-OrgID`) and, when asked, a bearer token or basic auth; it records every request it
 * gets (method, path, query, headers, body) so a test can check what the client sent — and that
 * no credential ever travelled in a URL. By mode it answers the worst ways we know instead of
 * forwarding (a huge body, a trickle, broken or mistyped JSON, errors as Prometheus writes them,
 * a redirect to a canary that records whoever follows it).
 *
 * It runs in the test's process: its hostile bodies are written in 64 KiB pieces as the socket
 * drains, so writing them never holds the event loop for long.
 */
import * as http from 'http';
import * as net from 'net';
import type { ApiBase } from './prometheusServer';

export type ProxyMode =
  /** Forward to the real server (the default). */
  | 'forward'
  /** 200 with a valid answer of 200 MiB (many series / samples / names), chunked. */
  | 'huge'
  /** 200, headers at once, then the start of a valid answer a byte every 100 ms, then spaces a byte every 100 ms, for ever. */
  | 'slow'
  /** 200 with JSON that breaks off in the middle of a value and goes on with garbage. */
  | 'malformed'
  /** 200, valid JSON, but sample values are JSON numbers instead of strings. */
  | 'values-as-numbers'
  /** 200, valid JSON, but `result` is an object, not an array. */
  | 'result-not-array'
  /** 200, a valid answer whose values include "NaN", "+Inf" and "-Inf" (Prometheus writes these). */
  | 'nan-inf'
  /** 200, a valid matrix with one series of 11,001 points (more than Prometheus itself would give). */
  | 'too-many-points'
  /** 400 bad_data (the "exceeded maximum resolution of 11,000 points" error). */
  | 'bad-data'
  /** 401 as an auth gateway answers it (text, WWW-Authenticate), whatever was sent. */
  | 'unauthorized'
  /** 403 as an auth gateway answers it (text). */
  | 'forbidden'
  /** 422 execution (too many samples). */
  | 'execution'
  /** 503 timeout (query timed out). */
  | 'timeout'
  /** 302 to the canary server, same path and query. */
  | 'redirect';

export const HOSTILE_MODES: readonly ProxyMode[] = [
  'huge', 'slow', 'malformed', 'values-as-numbers', 'result-not-array', 'nan-inf', 'too-many-points',
  'bad-data', 'unauthorized', 'forbidden', 'execution', 'timeout', 'redirect',
];

export interface ProxyOptions {
  /** The real server's base URL, e.g. a PrometheusServer's url. */
  readonly upstream: string;
  /** Where the API is served (default "/prometheus"; "" for none). */
  readonly prefix?: string;
  /** The X-Scope-OrgID every request must carry (default "tenant-1"); null: none required. */
  readonly tenant?: string | null;
  /** Require `Authorization: Bearer <token>`. */
  readonly bearer?: string;
  /** Require basic auth with these credentials. */
  readonly basic?: { readonly user: string; readonly password: string };
}

export interface RecordedRequest {
  readonly method: string;
  /** The request target exactly as sent (path and query). */
  readonly rawUrl: string;
  /** The path as sent, prefix included. */
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly headers: http.IncomingHttpHeaders;
  /** The request body (a POSTed form), first 1 MiB. */
  readonly body: string;
  /** What answered: the real server, the proxy itself (404, 401) or a hostile mode. */
  answeredBy?: 'upstream' | 'proxy' | ProxyMode;
  status?: number;
}

export interface PromProxy {
  /** The API base: http://127.0.0.1:PORT + prefix (no trailing slash). */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly prefix: string;
  /** Every request, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** A second loopback server that records whoever follows a redirect (it answers 200 "canary"). */
  readonly canary: { readonly url: string; readonly requests: RecordedRequest[] };
  /** Answers `mode` to API requests whose path after the prefix matches `paths` (default: all); others are forwarded. */
  setMode(mode: ProxyMode, paths?: RegExp): void;
  /** The headers a well-behaved client sends here (tenant and auth). */
  headers(): http.OutgoingHttpHeaders;
  /** For the prometheusServer.ts API helpers: this proxy's URL with those headers. */
  apiBase(): ApiBase;
  /** Requests whose URL contains any of these strings (should be none for credentials). */
  urlsContaining(secrets: readonly string[]): RecordedRequest[];
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;
const open = new Set<PromProxy>();

/** A loopback server that keeps track of its sockets and timers, so close() ends everything at once. */
function trackedServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, timers: Set<NodeJS.Timeout>) => void) {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => handler(req, res, timers));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    server,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads a request's body (up to 1 MiB kept) and records the request. */
function record(req: http.IncomingMessage, list: RecordedRequest[]): Promise<RecordedRequest> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size < MiB) chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://proxy.invalid');
      const query: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
      const entry: RecordedRequest = { method: req.method ?? '', rawUrl: req.url ?? '', path: url.pathname, query, headers: req.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MiB) };
      list.push(entry);
      resolve(entry);
    });
    req.on('error', () => undefined);
  });
}

/** What kind of answer an API path has: a matrix (query_range), a vector (query) or a list (labels, label values, series). */
function kindOf(apiPath: string): 'matrix' | 'vector' | 'list' {
  if (/\/query_range$/.test(apiPath)) return 'matrix';
  if (/\/query$/.test(apiPath)) return 'vector';
  return 'list';
}

/** start, end and step of a range request, as numbers (defaults: the last hour at 15 s). */
function rangeOf(params: Record<string, string[]>): { start: number; end: number; step: number } {
  const num = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    return Number.isFinite(n) ? n : Number.isFinite(Date.parse(v)) ? Date.parse(v) / 1000 : d;
  };
  const end = num(params.end?.[0] ?? params.time?.[0], Math.floor(Date.now() / 1000));
  const start = num(params.start?.[0], end - 3600);
  const step = Math.max(0.001, num(params.step?.[0], 15));
  return { start, end, step };
}

const json = { 'content-type': 'application/json' };
const errorBody = (errorType: string, error: string) => JSON.stringify({ status: 'error', errorType, error });

/** One series' JSON for `kind`, with `values` as written (already JSON). */
function seriesJson(kind: 'matrix' | 'vector', metric: Record<string, string>, values: string): string {
  return kind === 'matrix' ? `{"metric":${JSON.stringify(metric)},"values":[${values}]}` : `{"metric":${JSON.stringify(metric)},"value":${values}}`;
}

/** The pieces of a valid success answer of about `bytes`, made as they are written. */
function* hugeAnswer(kind: 'matrix' | 'vector' | 'list', bytes: number, t0: number): Generator<string> {
  const head = kind === 'list' ? '{"status":"success","data":[' : `{"status":"success","data":{"resultType":"${kind}","result":[`;
  const tail = kind === 'list' ? ']}' : ']}}';
  // 1,000 points of one series, written once and reused for each series.
  const points = Array.from({ length: 1000 }, (_, i) => `[${t0 + i * 15},"${100 * MiB + i * 4096}"]`).join(',');
  let written = head.length;
  let piece = head;
  for (let i = 0; written < bytes; i++) {
    const metric = { __name__: 'process_resident_memory_bytes', job: 'api', namespace: 'shop', pod: `api-${String(i).padStart(7, '0')}`, container: 'api' };
    const item = kind === 'list' ? JSON.stringify(`api-${String(i).padStart(7, '0')}-${'x'.repeat(40)}`) : seriesJson(kind, metric, kind === 'matrix' ? points : `[${t0},"${100 * MiB + i}"]`);
    const next = (i ? ',' : '') + item;
    piece += next;
    written += next.length;
    if (piece.length >= PIECE) {
      yield piece;
      piece = '';
    }
  }
  yield piece + tail;
}

/** A small valid answer for `kind` whose values are produced by `value(i)` (already JSON). */
function smallAnswer(kind: 'matrix' | 'vector' | 'list', t0: number, value: (i: number) => string, points = 8): string {
  if (kind === 'list') return JSON.stringify({ status: 'success', data: ['api-0', 'api-1'] });
  const metric = { __name__: 'process_resident_memory_bytes', job: 'api', namespace: 'shop', pod: 'api-0', container: 'api' };
  const values = kind === 'matrix' ? Array.from({ length: points }, (_, i) => `[${t0 + i * 15},${value(i)}]`).join(',') : `[${t0},${value(0)}]`;
  return `{"status":"success","data":{"resultType":"${kind}","result":[${seriesJson(kind, metric, values)}]}}`;
}

/** Writes `pieces` to `res` as the socket drains; stops if the client goes away. */
function pump(res: http.ServerResponse, pieces: Iterator<string>): void {
  const go = (): void => {
    while (!res.destroyed) {
      const next = pieces.next();
      if (next.done) {
        res.end();
        return;
      }
      if (!res.write(next.value)) {
        res.once('drain', go);
        return;
      }
    }
  };
  go();
}

/** Answers `mode` to a request for `apiPath` (the path after the prefix). */
function hostile(mode: ProxyMode, apiPath: string, params: Record<string, string[]>, res: http.ServerResponse, timers: Set<NodeJS.Timeout>, canaryUrl: string, rawUrl: string): number {
  const kind = kindOf(apiPath);
  const { start, end, step } = rangeOf(params);
  const t0 = Math.floor(kind === 'matrix' ? start : end);
  const send = (status: number, body: string, headers: http.OutgoingHttpHeaders = json) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return status;
  };
  switch (mode) {
    case 'huge':
      res.writeHead(200, json);
      pump(res, hugeAnswer(kind, 200 * MiB, t0));
      return 200;
    case 'slow': {
      res.writeHead(200, json);
      const opening = kind === 'list' ? '{"status":"success","data":["api-0"' : `{"status":"success","data":{"resultType":"${kind}","result":[{"metric":{"pod":"api-0"},`;
      let i = 0;
      const timer = setInterval(() => {
        // JSON allows any amount of whitespace between tokens: the answer never ends, never breaks.
        if (!res.destroyed) res.write(i < opening.length ? opening[i++] : ' ');
      }, 100);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return 200;
    }
    case 'malformed': {
      const whole = smallAnswer(kind, t0, (i) => `"${100 * MiB + i}"`);
      return send(200, `${whole.slice(0, Math.floor(whole.length * 0.6))}}}]]"\u0000not json`);
    }
    case 'values-as-numbers':
      return send(200, smallAnswer(kind, t0, (i) => String(100 * MiB + i)));
    case 'result-not-array':
      return send(200, JSON.stringify({ status: 'success', data: kind === 'list' ? { names: ['api-0'] } : { resultType: kind, result: { metric: { pod: 'api-0' }, values: [[t0, '1']] } } }));
    case 'nan-inf': {
      const odd = ['"NaN"', '"+Inf"', '"-Inf"'];
      return send(200, smallAnswer(kind, t0, (i) => (i % 2 === 0 ? odd[(i / 2) % 3] : `"${100 * MiB + i}"`), 12));
    }
    case 'too-many-points': {
      // 11,001 points at the asked step from the asked start (Prometheus refuses more than 11,000).
      const stepS = kind === 'matrix' ? step : 1;
      const values = Array.from({ length: 11_001 }, (_, i) => `[${+(t0 + i * stepS).toFixed(3)},"${100 * MiB + i}"]`).join(',');
      const metric = { __name__: 'process_resident_memory_bytes', job: 'api', namespace: 'shop', pod: 'api-0', container: 'api' };
      return send(200, `{"status":"success","data":{"resultType":"matrix","result":[${seriesJson('matrix', metric, values)}]}}`);
    }
    case 'bad-data':
      return send(400, errorBody('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'));
    case 'execution':
      return send(422, errorBody('execution', 'query processing would load too many samples into memory in query execution'));
    case 'timeout':
      return send(503, errorBody('timeout', 'query timed out in expression evaluation'));
    case 'unauthorized':
      return send(401, 'authentication required\n', { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="prometheus"' });
    case 'forbidden':
      return send(403, 'forbidden: this tenant may not read these series\n', { 'content-type': 'text/plain; charset=utf-8' });
    case 'redirect':
      res.writeHead(302, { location: `${canaryUrl}${rawUrl}`, 'content-length': 0 });
      res.end();
      return 302;
    case 'forward':
      throw new Error('forward is not hostile');
  }
}

/** Starts the proxy (and its canary) on loopback ports of their own. */
export async function startPromProxy(options: ProxyOptions): Promise<PromProxy> {
  const prefix = (options.prefix ?? '/prometheus').replace(/\/$/, '');
  const tenant = options.tenant === undefined ? 'tenant-1' : options.tenant;
  const upstream = new URL(options.upstream);
  const requests: RecordedRequest[] = [];
  const canaryRequests: RecordedRequest[] = [];
  let mode: ProxyMode = 'forward';
  let modePaths: RegExp | undefined;
  const expectedAuth = options.bearer ? `Bearer ${options.bearer}` : options.basic ? `Basic ${Buffer.from(`${options.basic.user}:${options.basic.password}`).toString('base64')}` : undefined;

  const canary = trackedServer((req, res) => {
    void record(req, canaryRequests).then(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('canary\n');
    });
  });
  const canaryPort = await canary.listen();
  const canaryUrl = `http://127.0.0.1:${canaryPort}`;

  // Keep-alive to the real server, as a gateway would.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const proxy = trackedServer((req, res, timers) => {
    void record(req, requests).then((entry) => {
      const answer = (by: RecordedRequest['answeredBy'], status: number, body?: string, headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8' }) => {
        entry.answeredBy = by;
        entry.status = status;
        if (body !== undefined) {
          res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }
      };
      res.on('error', () => undefined);
      if (prefix && entry.path !== prefix && !entry.path.startsWith(`${prefix}/`)) return answer('proxy', 404, '404 page not found\n');
      // Mimir answers a request without a tenant with 401 "no org id".
      const orgId = req.headers['x-scope-orgid'];
      if (tenant !== null && orgId === undefined) return answer('proxy', 401, 'no org id\n');
      if (tenant !== null && orgId !== tenant) return answer('proxy', 401, `tenant ${JSON.stringify(orgId)} is not allowed here\n`);
      if (expectedAuth && req.headers.authorization !== expectedAuth) {
        return answer('proxy', 401, 'invalid credentials\n', { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': options.bearer ? 'Bearer realm="prometheus"' : 'Basic realm="prometheus"' });
      }
      const apiPath = entry.path.slice(prefix.length) || '/';
      const query = entry.rawUrl.includes('?') ? entry.rawUrl.slice(entry.rawUrl.indexOf('?')) : '';
      if (mode !== 'forward' && (!modePaths || modePaths.test(apiPath))) {
        const params = { ...entry.query };
        // A POSTed form carries the parameters in the body.
        if (req.method === 'POST' && /x-www-form-urlencoded/.test(String(req.headers['content-type']))) {
          for (const [k, v] of new URLSearchParams(entry.body)) (params[k] ??= []).push(v);
        }
        const status = hostile(mode, apiPath, params, res, timers, canaryUrl, entry.rawUrl);
        return answer(mode, status);
      }
      // Forward: the same method, path (less the prefix), query and body; only the headers a
      // Prometheus needs (the tenant and credentials stop here, as at a gateway).
      const headers: http.OutgoingHttpHeaders = {};
      for (const name of ['content-type', 'accept', 'accept-encoding', 'user-agent']) if (req.headers[name]) headers[name] = req.headers[name];
      if (entry.body) headers['content-length'] = Buffer.byteLength(entry.body);
      const upstreamReq = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname.replace(/\/$/, '')}${apiPath}${query}`, headers, agent }, (upstreamRes) => {
        entry.answeredBy = 'upstream';
        entry.status = upstreamRes.statusCode;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      });
      upstreamReq.on('error', (err) => {
        if (!res.headersSent) answer('proxy', 502, `upstream: ${err.message}\n`);
        else res.destroy();
      });
      // A client that hangs up early ends the upstream request too.
      res.on('close', () => {
        if (!res.writableFinished) upstreamReq.destroy();
      });
      upstreamReq.end(entry.body || undefined);
    });
  });
  const port = await proxy.listen();
  const origin = `http://127.0.0.1:${port}`;
  const headers = (): http.OutgoingHttpHeaders => ({ ...(tenant !== null ? { 'x-scope-orgid': tenant } : {}), ...(expectedAuth ? { authorization: expectedAuth } : {}) });
  let closed: Promise<void> | undefined;
  const result: PromProxy = {
    url: `${origin}${prefix}`,
    origin,
    port,
    prefix,
    requests,
    canary: { url: canaryUrl, requests: canaryRequests },
    setMode(next, paths) {
      mode = next;
      modePaths = paths;
    },
    headers,
    apiBase: () => ({ url: `${origin}${prefix}`, headers: headers() }),
    urlsContaining: (secrets) => [...requests, ...canaryRequests].filter((r) => secrets.some((s) => s && (r.rawUrl.includes(s) || r.rawUrl.includes(encodeURIComponent(s))))),
    close() {
      closed ??= (async () => {
        open.delete(result);
        agent.destroy();
        await Promise.all([proxy.close(), canary.close()]);
      })();
      return closed;
    },
  };
  open.add(result);
  return result;
}

/** Closes every proxy started here (call in an after hook). */
export async function closeAllProxies(): Promise<void> {
  await Promise.all([...open].map((p) => p.close()));
}
