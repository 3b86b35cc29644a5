/**
 * A Go-figures source read every second keeps one connection open between reads (a new loopback
 * connection costs the extension host about a third of a read), and lets go of it whenever it
 * must: an answer cut short, the source dropped or disposed, or no read for a while. Real HTTP on
 * loopback; the server counts the connections it accepts and sees each one close.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo, Socket } from 'net';
import * as path from 'path';
import { BACKGROUND_GO_FIGURES_INTERVAL_MS, GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { KeptConnection, request } from '../../src/core/net/request';
import { waitFor } from '../support/wait';

/** A real /debug/vars answer, recorded from a fixture program. */
const EXPVAR = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'expvar-debug-vars.json'));

interface CountingServer {
  readonly url: string;
  readonly sockets: Socket[];
  readonly requests: () => number;
  readonly open: () => number;
  close(): Promise<void>;
}

async function countingServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<CountingServer> {
  const sockets: Socket[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => sockets.push(socket));
  // Idle connections stay open, as a Go http.Server's do by default (no IdleTimeout); Node's would close after 5 s.
  server.keepAliveTimeout = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    requests: () => requests,
    open: () => sockets.filter((s) => !s.destroyed).length,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The watch's sampling loop at 10 Hz around a tracker of `server`'s figures: it counts the reads that brought figures. */
function samplingLoop(server: CountingServer, shown = true): { reads: () => number; stop: () => Promise<void> } {
  const tracker = new GoRuntimeTracker(process.pid, () => ({ enabled: true, overrideUrl: `${server.url}/debug/vars`, allowedHosts: [] }), () => undefined);
  tracker.setShown(shown);
  let stopped = false;
  let reads = 0;
  const loop = (async () => {
    while (!stopped) {
      const read = tracker.figures(false);
      if (read && (await read)) reads++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    reads: () => reads,
    stop: async () => {
      stopped = true;
      await loop;
      tracker.dispose();
    },
  };
}

describe('Go figures over one kept connection', function () {
  this.timeout(30_000);

  it('a source read every second uses one connection for all its reads, and closes it when disposed', async () => {
    const server = await countingServer((_req, res) => res.end(EXPVAR));
    // A read is due once a second.
    const sampling = samplingLoop(server);
    try {
      await waitFor(() => sampling.reads() >= 4, 'four reads', 10_000);
      assert.strictEqual(server.sockets.length, 1, `${server.requests()} requests over ${server.sockets.length} connections`);
      assert.ok(server.requests() >= 5, `requests: ${server.requests()} (the look that found it, then the reads)`);
      await sampling.stop();
      await waitFor(() => server.open() === 0, 'the connection to close after dispose', 2000);
    } finally {
      await sampling.stop();
      await server.close();
    }
  });

  it('a watch not shown, reading every 10 s, keeps its connection between reads', async function () {
    this.timeout(40_000);
    const server = await countingServer((_req, res) => res.end(EXPVAR));
    const sampling = samplingLoop(server, false);
    try {
      await waitFor(() => sampling.reads() >= 2, 'two reads', BACKGROUND_GO_FIGURES_INTERVAL_MS * 2 + 5000);
      assert.strictEqual(server.sockets.length, 1, `${server.requests()} requests over ${server.sockets.length} connections`);
    } finally {
      await sampling.stop();
      await server.close();
    }
  });

  it('an answer cut short (the reader had what it needed) does not serve again: its connection is closed', async () => {
    const server = await countingServer((_req, res) => {
      // What the reader needs at once, then more of the body a while later.
      res.write('{"memstats": {}, ');
      setTimeout(() => res.end('"zzz": 1}'), 300);
    });
    const connection = new KeptConnection();
    try {
      for (let i = 0; i < 2; i++) {
        await request(new URL(`${server.url}/debug/vars`), { timeoutMs: 2000, maxBytes: 1024, connection, consume: (chunk) => chunk.includes('memstats') });
      }
      assert.strictEqual(server.sockets.length, 2, 'each cut-short answer had its own connection');
      await waitFor(() => server.open() === 0, 'both connections to close', 2000);
    } finally {
      connection.close();
      await server.close();
    }
  });

  it('an answer read to its end leaves the connection for the next request; close() and idleness close it', async () => {
    const server = await countingServer((_req, res) => res.end(EXPVAR));
    // Idle for a second closes it here (15 s in the extension).
    const connection = new KeptConnection(1000);
    try {
      for (let i = 0; i < 3; i++) await request(new URL(`${server.url}/debug/vars`), { timeoutMs: 2000, maxBytes: 1024 * 1024, connection });
      assert.strictEqual(server.sockets.length, 1);
      connection.close();
      await waitFor(() => server.open() === 0, 'close() to close the connection', 2000);
      // Used again after close: a new connection, which closes by itself when left idle.
      await request(new URL(`${server.url}/debug/vars`), { timeoutMs: 2000, maxBytes: 1024 * 1024, connection });
      assert.strictEqual(server.sockets.length, 2);
      await waitFor(() => server.open() === 0, 'the idle connection to close', 4000);
    } finally {
      connection.close();
      await server.close();
    }
  });

  it('without a kept connection every request has its own, closed after it', async () => {
    const server = await countingServer((_req, res) => res.end(EXPVAR));
    try {
      for (let i = 0; i < 3; i++) await request(new URL(`${server.url}/debug/vars`), { timeoutMs: 2000, maxBytes: 1024 * 1024 });
      assert.strictEqual(server.sockets.length, 3);
      await waitFor(() => server.open() === 0, 'the connections to close', 2000);
    } finally {
      await server.close();
    }
  });
});
