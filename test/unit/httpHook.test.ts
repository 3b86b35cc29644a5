import * as assert from 'assert';
import { checkHookUrl, isLoopbackAddress, isLoopbackHost } from '../../src/core/release/httpHook';

describe('FreeOSMemory hook URL rules', () => {
  it('knows loopback names and addresses', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['example.com', '10.0.0.1', '128.0.0.1', '0.0.0.0', '[::2]', 'localhost.example.com', '::ffff:10.0.0.1']) {
      assert.ok(!isLoopbackHost(host), host);
    }
    assert.ok(isLoopbackAddress('127.0.0.1'));
    assert.ok(!isLoopbackAddress('localhost'), 'a name is not an address');
  });

  it('accepts loopback URLs', () => {
    const check = checkHookUrl('http://127.0.0.1:6060/debug/freeosmemory', []);
    assert.ok(check.ok);
  });

  it('explains an empty URL', () => {
    const check = checkHookUrl('  ', []);
    assert.ok(!check.ok && /No FreeOSMemory hook URL/.test(check.message));
  });

  it('refuses other hosts unless the user allowed them', () => {
    const refused = checkHookUrl('http://10.1.2.3:6060/x', []);
    assert.ok(!refused.ok && /only loopback hosts/.test(refused.message) && /allowedHosts/.test(refused.message));
    assert.ok(checkHookUrl('http://10.1.2.3:6060/x', ['10.1.2.3']).ok);
    assert.ok(checkHookUrl('http://Box.Lan/x', ['box.lan']).ok);
  });

  it('refuses other schemes, credentials and garbage', () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/', 'http://user:pw@127.0.0.1/', 'not a url', 'http://']) {
      const check = checkHookUrl(url, []);
      assert.ok(!check.ok, url);
    }
  });
});
