/**
 * The one HTTP client (src/core/net/request.ts): where it may connect, and how it reads answers
 * on a kept connection — through real sockets on loopback, from servers that answer well and
 * servers that answer badly.
 */
import * as assert from 'assert';
import * as net from 'net';
import { request, RequestError } from '../../src/core/net/request';

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
