/**
 * A Prometheus server that answers badly — huge, slow, malformed, of the wrong types, NaN, an
 * error page, a login wall — must get one clear line and never hold up the extension host: the
 * fleet is fetched and parsed in a child process (history/task.ts), the picker's small questions
 * on the host with small bounds. A real HTTP server on loopback answers each case; this process's
 * event loop is measured all along.
 */
import * as assert from 'assert';
import * as http from 'http';
import { AddressInfo } from 'net';
import { fetchHistoryOffThread } from '../../src/core/history/offThread';
import { labelValues, PrometheusError, PrometheusServer, queryInstant } from '../../src/core/history/promApi';
import { parseSelector } from '../../src/core/history/selector';
import { longestBlock } from '../support/wait';

const MAX_BLOCK_MS = 50;

type Answer = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** A well-behaved series call: three replicas with RSS. */
const seriesOk: Answer = (_req, res) =>
  json(res, 200, {
    status: 'success',
    data: ['a', 'b', 'c'].map((i) => ({ __name__: 'process_resident_memory_bytes', job: 'api', instance: i })),
  });

/** Range answers for `replicas` replicas, each point's value from `value`. */
function matrix(replicas: number, value: (i: number, r: number) => unknown, start: number, step: number, points: number) {
  return {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: Array.from({ length: replicas }, (_, r) => ({
        metric: { job: 'api', instance: String.fromCharCode(97 + (r % 26)) + (r >= 26 ? r : '') },
        values: Array.from({ length: points }, (_, i) => [start + i * step, value(i, r)]),
      })),
    },
  };
}

const CASES: { name: string; series?: Answer; range?: Answer; expect: RegExp }[] = [
  {
    name: 'an answer larger than the bound (streamed, never ending)',
    range: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"matrix","result":[');
      const chunk = Buffer.from(`{"metric":{"job":"api","instance":"a"},"values":[${'[1,"1"],'.repeat(8000)}[2,"2"]]},`);
      const pump = () => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    },
    expect: /answered more than 4\.0 MiB: try a shorter range or a narrower selector\.$/,
  },
  {
    name: 'a server that answers a byte a second',
    range: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
    },
    expect: /did not answer within 3 s: try a shorter range or a narrower selector\.$/,
  },
  {
    name: 'malformed JSON',
    range: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":');
    },
    expect: /did not answer as a Prometheus API \(HTTP 200, application\/json\)\.$/,
  },
  {
    name: '3 MiB of nested brackets',
    range: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"status":"success","data":${'['.repeat(3 * 1024 * 1024)}`);
    },
    expect: /did not answer as a Prometheus API/,
  },
  {
    name: 'values of the wrong types',
    range: (_req, res, url) => json(res, 200, matrix(3, (i) => (i % 2 ? 123 : { v: 1 }), Number(url.searchParams.get('start')), Number(url.searchParams.get('step')), 50)),
    expect: /no replica had RSS figures in this range|have no process_resident_memory_bytes/,
  },
  {
    name: '"NaN" everywhere',
    range: (_req, res, url) => json(res, 200, matrix(3, () => 'NaN', Number(url.searchParams.get('start')), Number(url.searchParams.get('step')), 50)),
    expect: /no replica had RSS figures in this range/,
  },
  {
    name: 'a login page',
    series: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><form>Sign in</form></body></html>');
    },
    expect: /did not answer as a Prometheus API \(HTTP 200, text\/html\)\.$/,
  },
  { name: '401', series: (_req, res) => json(res, 401, { status: 'error', errorType: 'unauthorized', error: 'no' }), expect: /refused the request \(HTTP 401\): it needs credentials \(Memory Watch: Set Prometheus Credentials…\)\.$/ },
  { name: '404 (a wrong prefix)', series: (_req, res) => { res.writeHead(404); res.end('404 page not found'); }, expect: /No Prometheus API at .* \(HTTP 404 for \/api\/v1\/series\): check the URL and its path prefix/ },
  {
    name: '422 with a long error of many lines',
    range: (_req, res) => json(res, 422, { status: 'error', errorType: 'execution', error: `query processing would load too many samples into memory\n${'\u001b[31m<script>x</script>\n'.repeat(500)}` }),
    expect: /could not run the query: query processing would load too many samples into memory .{0,200}…\.$/,
  },
  { name: '503', range: (_req, res) => json(res, 503, { status: 'error', errorType: 'unavailable', error: 'draining' }), expect: /is unavailable: draining\.$/ },
  { name: 'a redirect (not followed)', series: (_req, res) => { res.writeHead(302, { location: 'http://example.com/' }); res.end(); }, expect: /answered HTTP 302\.$/ },
  {
    name: 'a compressed answer (not inflated)',
    series: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(Buffer.alloc(100));
    },
    expect: /answered compressed \(gzip\), which Memory Watch does not inflate\.$/,
  },
  {
    name: 'more series than one service has',
    series: (_req, res) => json(res, 200, { status: 'success', data: Array.from({ length: 2500 }, (_, i) => ({ __name__: 'process_resident_memory_bytes', job: 'api', instance: `i${i}` })) }),
    expect: /matches 2500 replicas at .*: at most 1000 are read — give a narrower selector\.$/,
  },
];

describe('Prometheus history: hostile servers get one line, the extension host is never held up', function () {
  this.timeout(60_000);
  let server: http.Server;
  let current: { series?: Answer; range?: Answer } = {};
  let base: URL;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = url.pathname.endsWith('/series') ? (current.series ?? seriesOk) : url.pathname.endsWith('/query_range') ? current.range : undefined;
      if (answer) answer(req, res, url);
      else json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const selector = parseSelector('{job="api"}');
  assert.ok(selector.ok);
  const now = Math.floor(Date.now() / 1000);

  for (const c of CASES) {
    it(c.name, async () => {
      current = c;
      const prometheus: PrometheusServer = { base, allowedHosts: [] };
      const { result, blockedMs } = await longestBlock(() =>
        fetchHistoryOffThread(prometheus, { matchers: selector.matchers, start: now - 3600, end: now }, { limits: { timeoutMs: 3000, maxBytes: 4 * 1024 * 1024 } }).then(
          (fleet) => (fleet.replicas.length ? `fetched ${fleet.replicas.length}` : 'no replica had RSS figures in this range'),
          (err: Error) => err,
        ),
      );
      const message = typeof result === 'string' ? result : result.message;
      assert.match(message, c.expect);
      assert.ok(!/[\n\r]/.test(message), `one line: ${JSON.stringify(message)}`);
      if (typeof result !== 'string') assert.ok(result instanceof PrometheusError, `${result.name}: ${message}`);
      assert.ok(blockedMs <= MAX_BLOCK_MS, `the event loop was blocked ${blockedMs.toFixed(0)} ms`);
    });
  }

  it('the picker\'s questions, read on the extension host, are bounded too', async () => {
    current = {};
    const prometheus: PrometheusServer = { base, allowedHosts: [] };
    // Made before the measurement: this server shares the event loop being measured.
    const body = JSON.stringify({ status: 'success', data: Array.from({ length: 200_000 }, (_, i) => `job-${i}`) });
    const big = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const at = new URL(`http://127.0.0.1:${(big.address() as AddressInfo).port}`);
      const { result, blockedMs } = await longestBlock(() => labelValues({ base: at, allowedHosts: [] }, 'job', undefined, { start: now - 60, end: now }, { timeoutMs: 5000, maxBytes: 1024 * 1024 }).then(() => undefined, (e: Error) => e));
      assert.match(result?.message ?? '', /answered more than 1\.0 MiB/);
      assert.ok(blockedMs <= MAX_BLOCK_MS, `blocked ${blockedMs.toFixed(0)} ms`);
      const instant = await queryInstant(prometheus, 'up{job="api"}', now, { timeoutMs: 5000, maxBytes: 1024 * 1024 });
      assert.deepStrictEqual(instant.series, []);
    } finally {
      big.closeAllConnections();
      big.close();
    }
  });

  it('a server on another host is refused unless the user allowed it', async () => {
    const far: PrometheusServer = { base: new URL('http://192.0.2.1:9090'), allowedHosts: [] };
    const err = await fetchHistoryOffThread(far, { matchers: selector.matchers, start: now - 60, end: now }).then(() => undefined, (e: Error) => e);
    assert.match(err?.message ?? '', /Refusing to send the request: 192\.0\.2\.1 is not a loopback address\./);
  });
});
