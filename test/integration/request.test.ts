/**
 * The one HTTP client (src/core/net/request.ts): where it may connect, and how it reads answers
 * on a kept connection — through real sockets on loopback, from servers that answer well and
 * servers that answer badly.
 */
import * as assert from 'assert';
import * as net from 'net';
import * as fs from 'fs';
import { KeptConnection, request, RequestError } from '../../src/core/net/request';
import { buildFixture, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

/** Established TCP connections whose server end is `port` on 127.0.0.1 (/proc/net/tcp: both ends are listed). */
function connectionsTo(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const cols = line.trim().split(/\s+/);
      return cols[1] === local && cols[3] === '01';
    }).length;
}

/** A server that counts the connections it accepts. */
async function countConnections(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, close: () => server.close() };
}

describe('request: where it may connect', function () {
  this.timeout(10_000);

  it('an address that is not loopback, and not allowed, is refused before any connection', async () => {
    // 192.0.2.0/24 is TEST-NET-1: nothing there; a connection attempt would fail differently (refused, timeout).
    for (const url of ['http://192.0.2.1:9/debug/vars', 'http://[2001:db8::1]:9/debug/vars']) {
      await assert.rejects(request(new URL(url), { timeoutMs: 2000, maxBytes: 100 }), (err: unknown) => {
        assert.ok(err instanceof RequestError, String(err));
        assert.strictEqual(err.failure, 'not-loopback', err.message);
        assert.match(err.message, /not a loopback address/);
        return true;
      });
    }
  });

  it('a loopback address is asked; an allowed host too', async () => {
    const server = await countConnections();
    try {
      await assert.rejects(request(new URL(`http://127.0.0.1:${server.port}/`), { timeoutMs: 2000, maxBytes: 100 }), RequestError);
      await assert.rejects(request(new URL(`http://localhost:${server.port}/`), { timeoutMs: 2000, maxBytes: 100, allowedHosts: ['localhost'] }), RequestError);
      assert.strictEqual(server.connections(), 2);
    } finally {
      server.close();
    }
  });
});

/** A raw TCP server: `answer` writes to each request as it likes. Counts connections, sees them close. */
async function rawServer(answer: (socket: net.Socket, requestNumber: number) => void): Promise<{ url: string; connections: () => number; open: () => number; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  let requests = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        answer(socket, ++requests);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/debug/vars`,
    connections: () => sockets.length,
    open: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

type RawServer = Awaited<ReturnType<typeof rawServer>>;

/** Runs `test` against a raw server answering as `answer`, over one KeptConnection; closes both after. */
async function withRawServer(answer: (socket: net.Socket, requestNumber: number) => void, test: (server: RawServer, connection: KeptConnection) => Promise<void>): Promise<void> {
  const server = await rawServer(answer);
  const connection = new KeptConnection();
  try {
    await test(server, connection);
  } finally {
    connection.close();
    await server.close();
  }
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
const get = (url: string, connection: KeptConnection, maxBytes = 1024) => request(new URL(url), { timeoutMs: 2000, maxBytes, connection });

describe('request on a kept connection (plain http: our HTTP/1.1 reader on a bare socket)', function () {
  this.timeout(20_000);

  it('reads a chunked answer from a real Go net/http server, again and again on one connection', async () => {
    const program = await startProgram(await buildFixture('sources/expvar'), [], /listening on 127\.0\.0\.1:(\d+)/);
    const port = Number(program.match![1]);
    const connection = new KeptConnection();
    try {
      const url = new URL(`http://127.0.0.1:${port}/debug/vars`);
      for (let i = 0; i < 5; i++) {
        const answer = await request(url, { timeoutMs: 2000, maxBytes: 1 << 20, connection });
        assert.strictEqual(answer.status, 200);
        assert.match(answer.contentType ?? '', /application\/json/);
        const vars = JSON.parse(answer.body.toString('utf8')) as { memstats?: { HeapAlloc: number } };
        assert.ok(vars.memstats && vars.memstats.HeapAlloc > 0);
      }
      assert.strictEqual(connectionsTo(port), 1, 'one connection for all five reads');
    } finally {
      connection.close();
      await stopAll();
    }
  });

  it('a kept connection the server closed meanwhile is replaced without a failure', async () => {
    // Answers, then closes the connection a moment later (as a server with an idle timeout does).
    await withRawServer((socket) => {
      socket.write(OK);
      setTimeout(() => socket.end(), 50);
    }, async (server, connection) => {
      for (let i = 0; i < 3; i++) {
        assert.strictEqual((await get(server.url, connection)).body.toString(), '{"ok":true}');
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.strictEqual(server.connections(), 3);
    });
  });

  it('"Connection: close", HTTP/1.0 and bytes after the answer: read, and that connection is not asked again', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmugg',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ];
    await withRawServer((socket, n) => socket.write(answers[(n - 1) % answers.length]), async (server, connection) => {
      for (let i = 0; i < answers.length; i++) assert.strictEqual((await get(server.url, connection)).body.toString(), 'ok');
      assert.strictEqual(server.connections(), 4, 'each of the first three answers closed its connection');
      await waitFor(() => server.open() === 1, 'the three closed connections to be gone', 2000);
    });
  });

  it('an answer that ends where the connection closes (no length) is read to that close', async () => {
    await withRawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'), async (server, connection) => {
      assert.strictEqual((await get(server.url, connection)).body.toString(), 'until the end');
      assert.strictEqual((await get(server.url, connection)).body.toString(), 'until the end');
    });
  });

  it('bad answers fail with a reason a person can act on', async () => {
    const cases: [string, (socket: net.Socket) => void, RegExp][] = [
      ['not HTTP', (s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'), /does not speak HTTP/],
      ['cut short', (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'), /closed the connection before the end of its answer/],
      ['too large', (s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`), /answered more than 1\.0 KiB/],
      ['silent', () => undefined, /did not answer within 2\.0 s/],
      ['no answer', (s) => s.destroy(), /closed the connection without answering/],
      ['bad chunks', (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnope\r\n'), /chunked body that is not one/],
    ];
    for (const [name, answer, message] of cases) {
      await withRawServer(answer, async (server, connection) => {
        await assert.rejects(get(server.url, connection), (err: unknown) => {
          assert.ok(err instanceof RequestError, `${name}: ${String(err)}`);
          assert.match(err.message, message, name);
          return true;
        });
        await waitFor(() => server.open() === 0, `${name}: its connection to be closed`, 2000);
      });
    }
  });

  it('port 0 is port 0: not the default port 80', async function () {
    // A server on 80, where an unset port would go (needs root, or a free port 80: skipped otherwise).
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(80, '127.0.0.1', resolve);
      });
    } catch (err) {
      this.skip();
      return void err;
    }
    const connection = new KeptConnection();
    try {
      await assert.rejects(get('http://127.0.0.1:0/debug/vars', connection), RequestError);
      await new Promise((r) => setTimeout(r, 100));
      assert.strictEqual(connections, 0, 'port 80 was asked for a URL that names port 0');
    } finally {
      connection.close();
      server.close();
    }
  });

  it('close() during a request ends it at once, and asks nothing more', async () => {
    await withRawServer((socket) => setTimeout(() => socket.write(OK), 1000), async (server, connection) => {
      const started = Date.now();
      const pending = get(server.url, connection);
      await waitFor(() => server.connections() === 1, 'the request to arrive', 2000);
      connection.close();
      await assert.rejects(pending, /cancelled: its connection was closed/);
      assert.ok(Date.now() - started < 900, 'ended before the answer (and long before the 2 s deadline)');
      await new Promise((r) => setTimeout(r, 300));
      assert.strictEqual(server.connections(), 1, 'no connection opened after close()');
    });
  });

  it('two requests at once: both answered, and one connection stays kept', async () => {
    await withRawServer((socket) => setTimeout(() => socket.write(OK), 20), async (server, connection) => {
      const answers = await Promise.all([get(server.url, connection), get(server.url, connection)]);
      assert.deepStrictEqual(
        answers.map((a) => a.body.toString()),
        ['{"ok":true}', '{"ok":true}'],
      );
      await waitFor(() => server.open() === 1, 'the second connection to close after its answer', 2000);
      await get(server.url, connection);
      assert.strictEqual(server.connections(), 2);
    });
  });
});
