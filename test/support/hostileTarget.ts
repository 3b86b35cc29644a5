/**
 * A target that answers Memory Watch's requests the worst ways we know — as a separate process,
 * so that the test watches it like any program (its ports are its own) and its own work does not
 * count against the test's event loop. `node hostileTarget.js <mode>`; prints
 * "listening on 127.0.0.1:PORT" when ready.
 *
 * Modes (each answers every path it is asked for, unless said):
 *   huge-expvar      a 31.9 MiB valid JSON whose memstats comes last
 *   big-expvar       a valid 3.9 MiB /debug/vars, memstats early, as expvar writes it (keys sorted):
 *                    a real service with big expvar maps — it must WORK, not just not freeze
 *   deep             memstats nested a million levels deep, then more
 *   slow             headers at once, then one byte every 100 ms, for ever
 *   redirect         302 to a canary port given as the second argument
 *   lying-length     Content-Length says 10 GiB; 40 MiB follow, then nothing
 *   gzip-bomb        Content-Encoding: gzip, 10 GiB of zeros compressed to ~10 MiB
 *   huge-snapshot    an agent-shaped snapshot padded to 30 MiB
 *   huge-pprof       a 30 MiB heap profile text whose MemStats block is nonsense
 *   nonsense-figures valid JSON with NaN-like, negative and overflowing figures
 *   profile NAME     the heap profile NAME of the hostile corpus (hostileFiles.ts), as a gzip body
 *
 * Prometheus /metrics pages (a real client_golang page recorded in test/unit/recorded/prometheus):
 *   metrics-many-series   the real page after 200,000 series of the service's own (≈ 12 MiB):
 *                         valid, and must be READ
 *   metrics-huge-labels   the real page after 8 series whose label values are 1 MiB each: read
 *   metrics-endless-line  a comment, then one line that never ends (a byte every 100 ms)
 *   metrics-binary        bytes that are not text (nor UTF-8)
 *   metrics-lying         the real page with the Go figures impossible (1e300, −5, NaN bytes)
 *
 * And valid answers, each byte of the body its own HTTP chunk ("1\r\nX\r\n"), on connections
 * kept open between requests — figures that must be READ, as cheaply as the same bytes unchunked:
 *   chunked-expvar   /debug/vars (any path): memstats after a 256 KiB map of the service's own
 *   chunked-snapshot the agent's snapshot, padded to 48 KiB (other paths: 404)
 *   chunked-pprof    net/http/pprof's heap profile, 512 KiB, its MemStats block last, and the
 *                    goroutine profile's first line (other paths: 404)
 */
import * as http from 'http';
import * as net from 'net';
import * as zlib from 'zlib';
import * as fs from 'fs';
import * as path from 'path';
import { HOSTILE_PROFILES } from './hostileFiles';

const mode = process.argv[2] ?? 'huge-expvar';
const canaryPort = Number(process.argv[3] ?? 0);
const MiB = 1024 * 1024;
/** A real client_golang page (default registry), as recorded. */
function realMetricsPage(): string {
  return fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'prometheus', 'default-text.txt'), 'utf8');
}
const metricsHeaders = { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' };

/** `n` lines made by `line`, in pieces of about 64 KiB (the server writes them as they come). */
function* manySeries(n: number, line: (i: number) => string): Generator<string> {
  let piece = '';
  for (let i = 0; i < n; i++) {
    piece += line(i);
    if (piece.length > 64 * 1024) {
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}

/** The profile served in `profile` mode, made once. */
let profileBody: Buffer | undefined;

const memstats = {
  Alloc: 4 * MiB,
  TotalAlloc: 9 * MiB,
  Sys: 20 * MiB,
  HeapAlloc: 4 * MiB,
  HeapSys: 12 * MiB,
  HeapIdle: 7 * MiB,
  HeapInuse: 5 * MiB,
  HeapReleased: 2 * MiB,
  StackInuse: 512 * 1024,
  StackSys: 512 * 1024,
  NumGC: 7,
  NextGC: 8 * MiB,
  PauseNs: new Array(256).fill(123456),
  BySize: new Array(61).fill({ Size: 8, Mallocs: 10, Frees: 9 }),
};

/** `{"aaa…": …}` entries of about `bytes` in total, as a service's own expvar maps would be. */
function bigMap(bytes: number): string {
  const entry = (i: number) => `"k${String(i).padStart(7, '0')}":{"hits":${i},"path":"/api/v1/items/${i}","ok":true}`;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const e = entry(i);
    parts.push(e);
    size += e.length + 1;
  }
  return `{${parts.join(',')}}`;
}

function body(): { status?: number; headers?: http.OutgoingHttpHeaders; chunks?: () => Iterable<Buffer | string>; trickle?: boolean; first?: string; raw?: boolean } {
  switch (mode) {
    case 'huge-expvar':
      return { chunks: () => ['{"cmdline":["x"],"aaa":', bigMap(31.9 * MiB), ',"memstats":', JSON.stringify(memstats), '}'] };
    case 'big-expvar':
      return { chunks: () => ['{"cmdline":["./svc","-token=secret"],"memstats":', JSON.stringify(memstats), ',"requests":', bigMap(3.9 * MiB), '}'] };
    case 'deep': {
      const depth = 1_000_000;
      return { chunks: () => ['{"cmdline":[],"memstats":', '['.repeat(depth), ']'.repeat(depth), ',"zzz":', '{"a":'.repeat(depth), '1', '}'.repeat(depth), '}'] };
    }
    case 'slow':
      return { trickle: true };
    case 'redirect':
      return { status: 302, headers: { location: `http://127.0.0.1:${canaryPort}/debug/vars` }, chunks: () => [] };
    case 'lying-length':
      return { headers: { 'content-length': String(10 * 1024 * MiB) }, chunks: () => ['{"pad":"', 'x'.repeat(40 * MiB), '","memstats":', JSON.stringify(memstats)], raw: true };
    case 'gzip-bomb': {
      const bomb = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
      // 64 MiB of zeros compress to ~64 KiB; 160 of them in a row are one valid 10 GiB gzip stream.
      return { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, chunks: () => new Array(160).fill(bomb) };
    }
    case 'huge-snapshot': {
      const snapshot = {
        protocol: 1,
        pid: process.pid,
        memory: { heapObjects: 1, heapUnused: 1, heapFree: 1, heapReleased: 1, heapStacks: 1, osStacks: 1, total: 10 },
        gc: { cycles: 1, heapGoal: 1 },
      };
      return { chunks: () => [JSON.stringify(snapshot).slice(0, -1), ',"pad":"', 'y'.repeat(30 * MiB), '"}'] };
    }
    case 'huge-pprof': {
      const line = 'heap profile: 1: 2 [3: 4] @ heap/1048576\n';
      return { chunks: () => [line.repeat((30 * MiB) / line.length), '# runtime.MemStats\n# HeapAlloc = -5\n# Sys = 1e400\n'] };
    }
    case 'nonsense-figures':
      return {
        chunks: () => [
          JSON.stringify({ memstats: { ...memstats, HeapAlloc: -5, HeapIdle: 1e308, HeapReleased: 2 ** 70, NumGC: -1 } }).replace('"Sys":20971520', '"Sys":1e400'),
        ],
      };
    case 'metrics-many-series': {
      const series = (i: number) => `aaa_requests_total{route="/api/v1/items/${i}",code="200"} ${i}\n`;
      return { headers: metricsHeaders, chunks: () => [...manySeries(200_000, series), realMetricsPage()] };
    }
    case 'metrics-huge-labels': {
      const label = 'v'.repeat(MiB);
      return { headers: metricsHeaders, chunks: () => ['# HELP aaa_cache_bytes Bytes per key.\n# TYPE aaa_cache_bytes gauge\n', ...Array.from({ length: 8 }, (_, i) => `aaa_cache_bytes{key="${label}${i}"} 1\n`), realMetricsPage()] };
    }
    case 'metrics-endless-line':
      return { trickle: true, headers: metricsHeaders, first: '# HELP go_goroutines Number of goroutines\ngo_goroutines{x="' };
    case 'metrics-binary':
      return { headers: metricsHeaders, chunks: () => [Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 0x80) & 0xff))] };
    case 'metrics-lying':
      return {
        headers: metricsHeaders,
        chunks: () => [
          realMetricsPage()
            .replace(/^go_memstats_heap_alloc_bytes .*$/m, 'go_memstats_heap_alloc_bytes 1e300')
            .replace(/^go_memstats_heap_idle_bytes .*$/m, 'go_memstats_heap_idle_bytes -5')
            .replace(/^go_memstats_sys_bytes .*$/m, 'go_memstats_sys_bytes NaN'),
        ],
      };
    case 'profile': {
      const profile = HOSTILE_PROFILES.find((p) => p.name === process.argv[3]);
      if (!profile) throw new Error(`unknown profile ${process.argv[3]}`);
      profileBody ??= profile.body();
      const bytes = profileBody;
      return { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, chunks: () => [bytes] };
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

/** `body` as one HTTP answer whose body comes one byte per chunk. */
function oneByteChunks(body: string, status = '200 OK'): Buffer {
  const bytes = Buffer.from(body);
  const wire = Buffer.alloc(bytes.length * 6);
  for (let i = 0; i < bytes.length; i++) {
    wire.write('1\r\n', i * 6, 'latin1');
    wire[i * 6 + 3] = bytes[i];
    wire.write('\r\n', i * 6 + 4, 'latin1');
  }
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n`), wire, Buffer.from('0\r\n\r\n')]);
}

/** The answer of a one-byte-chunks mode to a request for `target` (path and query). */
function oneByteChunkAnswers(): ((target: string) => Buffer) | undefined {
  const notFound = oneByteChunks('404 page not found\n', '404 Not Found');
  switch (mode) {
    case 'chunked-expvar': {
      // expvar sorts its variables: a service's own map named before "memstats" comes first.
      const answer = oneByteChunks(`{"cmdline":["./svc"],"aaa":${bigMap(256 * 1024)},"memstats":${JSON.stringify(memstats)},"zzz":1}`);
      return () => answer;
    }
    case 'chunked-snapshot': {
      const snapshot = {
        protocol: 1,
        pid: process.pid,
        memory: { heapObjects: 4 * MiB, heapUnused: 1 * MiB, heapFree: 5 * MiB, heapReleased: 2 * MiB, heapStacks: 512 * 1024, osStacks: 0, total: 20 * MiB },
        gc: { cycles: 7, heapGoal: 8 * MiB },
      };
      const answer = oneByteChunks(`${JSON.stringify(snapshot).slice(0, -1)},"pad":"${'p'.repeat(48 * 1024)}"}`);
      return (target) => (target === '/debug/memorywatch/snapshot' ? answer : notFound);
    }
    case 'chunked-pprof': {
      const line = '1: 8192 [1: 8192] @ 0x487773 0x48bca9 0x674965\n';
      const profile = `heap profile: 1: 8192 [1: 8192] @ heap/1048576\n${line.repeat((512 * 1024) / line.length)}\n# runtime.MemStats\n# Alloc = ${memstats.Alloc}\n# TotalAlloc = ${memstats.TotalAlloc}\n# Sys = ${memstats.Sys}\n# HeapAlloc = ${memstats.HeapAlloc}\n# HeapSys = ${memstats.HeapSys}\n# HeapIdle = ${memstats.HeapIdle}\n# HeapInuse = ${memstats.HeapInuse}\n# HeapReleased = ${memstats.HeapReleased}\n# Stack = ${memstats.StackInuse} / ${memstats.StackSys}\n# NextGC = ${memstats.NextGC}\n# NumGC = ${memstats.NumGC}\n`;
      const heap = oneByteChunks(profile);
      const goroutines = oneByteChunks('goroutine profile: total 4\n1 @ 0x1\n');
      return (target) => (target.startsWith('/debug/pprof/heap') ? heap : target.startsWith('/debug/pprof/goroutine') ? goroutines : notFound);
    }
    default:
      return undefined;
  }
}

/** Serves a one-byte-chunks mode by hand (Node's server would not write such chunks): one answer per request, the connection kept. */
function serveOneByteChunks(answerFor: (target: string) => Buffer): net.Server {
  return net.createServer((socket) => {
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      // Requests are GETs without a body: each ends at its empty line.
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const target = pending.slice(0, end).split(' ')[1] ?? '/';
        pending = pending.slice(end + 4);
        socket.write(answerFor(target));
      }
      if (pending.length > 64 * 1024) socket.destroy();
    });
  });
}

const chunkedAnswers = oneByteChunkAnswers();
const server = chunkedAnswers ? serveOneByteChunks(chunkedAnswers) : http.createServer((req, res) => {
  const answer = body();
  if (answer.trickle) {
    res.writeHead(200, { 'content-type': 'application/json', ...answer.headers });
    res.write(answer.first ?? '{"memstats":');
    const timer = setInterval(() => res.write(' '), 100);
    res.on('close', () => clearInterval(timer));
    return;
  }
  const chunks = [...(answer.chunks?.() ?? [])];
  // A lie Node's server would not let us tell: write the response by hand, then keep silent.
  const out: NodeJS.WritableStream = answer.raw ? req.socket : res;
  if (answer.raw) {
    const headers = Object.entries(answer.headers ?? {}).map(([k, v]) => `${k}: ${String(v)}\r\n`).join('');
    req.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}\r\n`);
  } else {
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
  }
  // Write in pieces without buffering it all at once here; a client that hangs up stops us.
  let i = 0;
  const pump = (): void => {
    while (i < chunks.length) {
      const piece = chunks[i++];
      if (!out.write(piece)) {
        out.once('drain', pump);
        return;
      }
    }
    if (!answer.raw) res.end();
  };
  res.on('error', () => undefined);
  req.socket.on('error', () => undefined);
  pump();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening on 127.0.0.1:${address.port}\n`);
});
