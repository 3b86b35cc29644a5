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
import { promisify } from 'util';
import { REPO_ROOT } from '../support/goFixtures';
import { expvarSource } from '../../src/core/goruntime/sources';

const TLS = path.join(REPO_ROOT, 'test', 'fixtures', 'tls');
const MEMSTATS = { HeapAlloc: 1048576, HeapInuse: 2097152, HeapIdle: 3145728, HeapReleased: 1048576, StackSys: 65536, Sys: 10485760, NumGC: 3, NextGC: 4194304 };

describe('metrics over https', function () {
  this.timeout(30_000);
  let server: https.Server;
  let port = 0;

  before(async () => {
    server = https.createServer({ key: fs.readFileSync(path.join(TLS, 'localhost.key')), cert: fs.readFileSync(path.join(TLS, 'localhost.crt')) }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ cmdline: ['x'], memstats: MEMSTATS }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('refuses a certificate nobody trusts, and says so', async () => {
    await assert.rejects(expvarSource(new URL(`https://localhost:${port}`)).read(), /TLS certificate was not accepted/);
  });

  it('reads figures over https when the certificate is trusted', async () => {
    const script = `
      const { expvarSource } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'goruntime', 'sources.js'))});
      expvarSource(new URL('https://localhost:${port}')).read().then(
        (r) => console.log(JSON.stringify(r.figures)),
        (e) => { console.error(e.message); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS, 'localhost.crt') } });
    const figures = JSON.parse(stdout) as { heapObjects: number; total: number };
    assert.strictEqual(figures.heapObjects, MEMSTATS.HeapAlloc);
    assert.strictEqual(figures.total, MEMSTATS.Sys);
  });
});
