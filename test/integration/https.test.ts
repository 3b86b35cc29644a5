/**
 * A metrics URL behind TLS (a host the user allowed, or loopback): https is spoken, the certificate
 * is checked as Node checks any (no exceptions for us), and a certificate that is not trusted is
 * refused with a message that says so. The trusted case runs in a child Node process given the
 * test certificate through NODE_EXTRA_CA_CERTS — the way a user adds a private CA.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { promisify } from 'util';
import { REPO_ROOT } from '../support/goFixtures';
import { tools } from '../../scripts/harness/tools';
import { expvarSource } from '../../src/core/goruntime/sources';

const TLS = path.join(REPO_ROOT, 'test', 'fixtures', 'tls');
const MEMSTATS = { HeapAlloc: 1048576, HeapInuse: 2097152, HeapIdle: 3145728, HeapReleased: 1048576, StackSys: 65536, Sys: 10485760, NumGC: 3, NextGC: 4194304 };

/** `body` as an HTTP answer whose body comes one byte per chunk, as a hostile server may send it. */
function oneByteChunks(body: string): Buffer {
  const bytes = Buffer.from(body);
  const wire = Buffer.alloc(bytes.length * 6);
  for (let i = 0; i < bytes.length; i++) {
    wire.write('1\r\n', i * 6, 'latin1');
    wire[i * 6 + 3] = bytes[i];
    wire.write('\r\n', i * 6 + 4, 'latin1');
  }
  return Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n'), wire, Buffer.from('0\r\n\r\n')]);
}

describe('metrics over https', function () {
  this.timeout(60_000);
  let server: https.Server;
  let port = 0;
  let chunkedServer: tls.Server;
  let chunkedPort = 0;

  before(async () => {
    const credentials = { key: fs.readFileSync(path.join(TLS, 'localhost.key')), cert: fs.readFileSync(path.join(TLS, 'localhost.crt')) };
    server = https.createServer(credentials, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ cmdline: ['x'], memstats: MEMSTATS }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    // /debug/vars with memstats after 512 KiB of a service's own map, a byte per chunk, one answer per request.
    const answer = oneByteChunks(`{"cmdline":["x"],"aaa":"${'a'.repeat(512 * 1024)}","memstats":${JSON.stringify(MEMSTATS)}}`);
    chunkedServer = tls.createServer(credentials, (socket) => {
      let pending = '';
      socket.on('error', () => undefined);
      socket.on('data', (data: Buffer) => {
        pending += data.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
          pending = pending.slice(end + 4);
          socket.write(answer);
        }
      });
    });
    await new Promise<void>((r) => chunkedServer.listen(0, '127.0.0.1', r));
    chunkedPort = (chunkedServer.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    chunkedServer.close();
  });

  it('refuses a certificate nobody trusts, and says so', async () => {
    await assert.rejects(expvarSource(new URL(`https://localhost:${port}`)).read(), /TLS certificate was not accepted/);
  });

  it('reads figures over https when the certificate is trusted', async () => {
    const script = `
      const { expvarSource } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'goruntime', 'sources', 'index.js'))});
      expvarSource(new URL('https://localhost:${port}')).read().then(
        (r) => console.log(JSON.stringify(r.figures)),
        (e) => { console.error(e.message); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS, 'localhost.crt') } });
    const figures = JSON.parse(stdout) as { heapObjects: number; total: number };
    assert.strictEqual(figures.heapObjects, MEMSTATS.HeapAlloc);
    assert.strictEqual(figures.total, MEMSTATS.Sys);
  });

  it("trusts the system's CAs where Node reads them (Node 24, as code-server runs): a company CA the OS trusts needs no setting", async function () {
    const node24 = tools().node24;
    if (!fs.existsSync(node24)) this.skip();
    const script = `
      const { expvarSource } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'goruntime', 'sources', 'index.js'))});
      expvarSource(new URL('https://localhost:${port}')).read().then(
        (r) => console.log(JSON.stringify(r.figures)),
        (e) => { console.log(JSON.stringify(e.message)); });`;
    // The system's store, as OpenSSL finds it: here a file that holds our CA alone (nothing in NODE_EXTRA_CA_CERTS).
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '', SSL_CERT_DIR: path.join(TLS, 'no-such-dir') };
    const trusted = await promisify(execFile)(node24, ['-e', script], { env: { ...env, SSL_CERT_FILE: path.join(TLS, 'localhost.crt') } });
    assert.strictEqual((JSON.parse(trusted.stdout) as { heapObjects: number }).heapObjects, MEMSTATS.HeapAlloc);
    const untrusted = await promisify(execFile)(node24, ['-e', script], { env: { ...env, SSL_CERT_FILE: path.join(TLS, 'README.md') } });
    assert.match(JSON.parse(untrusted.stdout) as string, /TLS certificate was not accepted/);
  });

  it('a trusted certificate is still checked against the host asked: its name or address, not another', async () => {
    // The certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too, but not named.
    const other = https.createServer({ key: fs.readFileSync(path.join(TLS, 'localhost.key')), cert: fs.readFileSync(path.join(TLS, 'localhost.crt')) }, (_req, res) => res.end(JSON.stringify({ memstats: MEMSTATS })));
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    try {
      const script = `
        const { expvarSource } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'goruntime', 'sources', 'index.js'))});
        const read = (url) => { const source = expvarSource(new URL(url)); return source.read().then((r) => r.figures.heapObjects, (e) => e.message).finally(() => source.close()); };
        Promise.all([read('https://127.0.0.1:${port}'), read('https://127.0.0.2:${(other.address() as AddressInfo).port}')]).then((r) => console.log(JSON.stringify(r)));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS, 'localhost.crt') } });
      const [byAddress, notNamed] = JSON.parse(stdout) as [number, string];
      assert.strictEqual(byAddress, MEMSTATS.HeapAlloc);
      assert.match(notNamed, /TLS certificate was not accepted.*(altnames|does not match)/);
    } finally {
      other.close();
    }
  });

  it('an answer sent a byte per chunk is read, kept connection or not, and reading it blocks nothing', async () => {
    const script = `
      const { expvarSource } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'goruntime', 'sources', 'index.js'))});
      const { request } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'net', 'request.js'))});
      const { longestBlock } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'test', 'support', 'wait.js'))});
      const url = new URL('https://localhost:${chunkedPort}');
      const source = expvarSource(url);
      longestBlock(async () => {
        const kept = [];
        for (let i = 0; i < 2; i++) kept.push((await source.read(20000)).figures);
        const oneOff = await request(new URL('/debug/vars', url), { timeoutMs: 20000, maxBytes: 1024 * 1024, allowedHosts: ['localhost'] });
        source.close();
        return { kept, oneOff: JSON.parse(oneOff.body.toString()).memstats };
      }).then(
        (r) => console.log(JSON.stringify(r)),
        (e) => { console.error(e.message); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS, 'localhost.crt') } });
    const { result, blockedMs, delayMs } = JSON.parse(stdout) as { result: { kept: { heapObjects: number }[]; oneOff: typeof MEMSTATS }; blockedMs: number; delayMs: number };
    assert.deepStrictEqual(
      result.kept.map((f) => f.heapObjects),
      [MEMSTATS.HeapAlloc, MEMSTATS.HeapAlloc],
    );
    assert.deepStrictEqual(result.oneOff, MEMSTATS);
    assert.ok(blockedMs < 50, `the event loop was blocked for ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
  });
});
