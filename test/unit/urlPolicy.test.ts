import * as assert from 'assert';
import { checkUrl, isLoopbackAddress, isLoopbackHost, METRICS_URL } from '../../src/core/net/urlPolicy';

describe('where requests may go (core/net URL policy)', () => {
  it('knows loopback names and addresses', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['example.com', '10.0.0.1', '128.0.0.1', '0.0.0.0', '[::2]', 'localhost.example.com', '::ffff:10.0.0.1']) {
      assert.ok(!isLoopbackHost(host), host);
    }
    assert.ok(isLoopbackAddress('127.0.0.1'));
    // Every spelling of an IPv4-mapped loopback address, including the one URL normalises to.
    for (const host of ['::ffff:7f00:1', '[::ffff:7f00:1]', '0:0:0:0:0:ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) assert.ok(isLoopbackHost(host), host);
    assert.ok(!isLoopbackHost('::ffff:a00:1'), '::ffff:10.0.0.1 is not loopback');
    assert.ok(!isLoopbackAddress('localhost'), 'a name is not an address');
  });

  it('accepts loopback URLs', () => {
    const check = checkUrl('http://127.0.0.1:6060/debug/freeosmemory', []);
    assert.ok(check.ok);
  });

  it('accepts [::ffff:127.0.0.1], which URL writes as [::ffff:7f00:1]', () => {
    const check = checkUrl('http://[::ffff:127.0.0.1]:6060/debug/vars', []);
    assert.ok(check.ok, check.ok ? '' : check.message);
  });

  it('names the URL it judges', () => {
    const check = checkUrl('', [], METRICS_URL);
    assert.ok(!check.ok && check.message === 'No metrics URL is set (memoryWatch.metricsUrl).', JSON.stringify(check));
    const other = checkUrl('http://10.0.0.1/', [], METRICS_URL);
    assert.ok(!other.ok && /10\.0\.0\.1/.test(other.message));
  });

  it('explains an empty URL', () => {
    const check = checkUrl('  ', []);
    assert.ok(!check.ok && /No FreeOSMemory hook URL/.test(check.message));
  });

  it('refuses other hosts unless the user allowed them', () => {
    const refused = checkUrl('http://10.1.2.3:6060/x', []);
    assert.ok(!refused.ok && /only loopback hosts/.test(refused.message) && /allowedHosts/.test(refused.message));
    assert.ok(checkUrl('http://10.1.2.3:6060/x', ['10.1.2.3']).ok);
    assert.ok(checkUrl('http://Box.Lan/x', ['box.lan']).ok);
  });

  it('refuses other schemes, credentials and garbage', () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/', 'http://user:pw@127.0.0.1/', 'not a url', 'http://']) {
      const check = checkUrl(url, []);
      assert.ok(!check.ok, url);
    }
  });
});
