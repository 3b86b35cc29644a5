/**
 * Fuzz: settings a workspace or user controls — normalizeSettings (every memoryWatch.* value as
 * VS Code hands it over: any JSON) and checkUrl (the hook and metrics URLs).
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { checkUrl, isLoopbackHost } from '../../../src/core/net/urlPolicy';
import { normalizeSettings, RawSettings } from '../../../src/core/settings';
import { anyString, fuzz, hostileJson, returns } from './support';

const FAMILY = 'settings';
const MiB = 1024 * 1024;

/** A value from settings.json: any JSON, often a near miss of the right type. */
const settingValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileJson(undefined, NaN, Infinity, -Infinity, 'auto', 'http', 'signal', 'debugger', 'SIGUSR1', 'SIGUSR2', 'SIGKILL', ' SIGUSR1', 'HTTP') },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string(), fc.constant(' '), fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }) },
);
const KEYS = ['sampleInterval', 'window', 'rssWarningThreshold', 'method', 'url', 'signal', 'allowedHosts', 'autoAttach', 'goFigures', 'metricsUrl'] as const;

/** True when String(value) works; until the BUG below is fixed, method and signal get only such values here. */
function stringifies(value: unknown): boolean {
  try {
    String(value);
    return true;
  } catch {
    return false;
  }
}

const rawSettings = fc.record(
  Object.fromEntries(KEYS.map((k) => [k, k === 'method' || k === 'signal' ? settingValue.filter(stringifies) : settingValue])) as Record<(typeof KEYS)[number], fc.Arbitrary<unknown>>,
  { requiredKeys: [] },
) as fc.Arbitrary<RawSettings>;

/** What the rest of the extension relies on, whatever was configured. */
function assertSettings(raw: RawSettings): void {
  const { settings, problems } = returns('normalizeSettings', () => normalizeSettings(raw));
  const s = settings;
  assert.ok(Number.isFinite(s.sampleIntervalMs) && s.sampleIntervalMs >= 100 && s.sampleIntervalMs <= 60_000, `interval ${s.sampleIntervalMs}`);
  assert.ok(Number.isFinite(s.windowMs) && s.windowMs >= 10_000 && s.windowMs <= 86_400_000, `window ${s.windowMs}`);
  assert.ok(Number.isFinite(s.rssWarningBytes) && s.rssWarningBytes >= 0 && s.rssWarningBytes <= 1024 * 1024 * MiB, `threshold ${s.rssWarningBytes}`);
  assert.ok(['auto', 'http', 'signal', 'debugger'].includes(s.release.method));
  assert.ok(['SIGUSR1', 'SIGUSR2'].includes(s.release.signal));
  assert.strictEqual(s.release.url, s.release.url.trim());
  assert.strictEqual(s.goFigures.metricsUrl, s.goFigures.metricsUrl.trim());
  assert.ok(s.release.allowedHosts.every((h) => typeof h === 'string' && h.length > 0 && h === h.trim()));
  assert.strictEqual(typeof s.autoAttach, 'boolean');
  assert.strictEqual(typeof s.goFigures.enabled, 'boolean');
  assert.ok(problems.every((p) => typeof p === 'string'));
  // A valid number passes unchanged, and nothing is said about it.
  if (typeof raw.sampleInterval === 'number' && raw.sampleInterval >= 100 && raw.sampleInterval <= 60_000) {
    assert.strictEqual(s.sampleIntervalMs, raw.sampleInterval);
    assert.ok(!problems.some((p) => p.includes('sampleInterval')));
  }
}

describe('fuzz: settings', () => {
  it('normalizeSettings: never throws; interval, window and threshold always within bounds', () => {
    fuzz(FAMILY, 3000, fc.property(rawSettings, assertSettings));
  });

  // Was a bug (found by this suite): a bad method or signal was worded with String(value), which
  // throws for {"toString": null} (TypeError) and an array nested ~5000 deep (RangeError), so
  // readSettings threw instead of falling back with a message. Values are described by kind now.
  it('never throws for {"toString": null} or a deeply nested array as method or signal', () => {
    assertSettings({ method: { toString: null } });
    assertSettings({ signal: { toString: null } });
    let deep: unknown = [];
    for (let i = 0; i < 5000; i++) deep = [deep];
    assertSettings({ method: deep });
    fuzz(FAMILY, 2000, fc.property(rawSettings, settingValue, settingValue, (raw, method, signal) => assertSettings({ ...raw, method, signal })));
  });

  it('checkUrl: never throws; what it allows is http(s), credential-free, loopback or allowed', () => {
    const host = fc.oneof(fc.constantFrom('127.0.0.1', 'localhost', '[::1]', '127.1', '0x7f.1', '[::ffff:127.0.0.1]', 'a.localhost', '0.0.0.0', '10.0.0.1', 'example.com', '[::]', '2130706433', ''), fc.domain(), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`));
    const url = fc.oneof(
      fc.tuple(fc.constantFrom('http://', 'https://', 'ftp://', 'file://', 'javascript:', 'HTTP://', ''), fc.constantFrom('', 'user:pw@', 'user@', ':@'), host, fc.constantFrom('', ':8080', ':0', ':65536', ':-1', ':abc'), fc.constantFrom('', '/', '/debug/vars', '/%00', '/\\x')).map((parts) => parts.join('')),
      fc.webUrl(),
      anyString(100),
    );
    const allowed = fc.array(fc.oneof(fc.domain(), fc.constantFrom('example.com', '[::1]', ' 10.0.0.1 ', '')), { maxLength: 3 });
    fuzz(FAMILY, 3000, fc.property(url, allowed, (raw, hosts) => {
      const check = returns('checkUrl', () => checkUrl(raw, hosts));
      if (!check.ok) {
        assert.strictEqual(typeof check.message, 'string');
        return;
      }
      assert.ok(check.url.protocol === 'http:' || check.url.protocol === 'https:');
      assert.ok(!check.url.username && !check.url.password);
      const h = check.url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      assert.ok(isLoopbackHost(check.url.hostname) || hosts.some((a) => a.trim().replace(/^\[|\]$/g, '').toLowerCase() === h), `${raw} was allowed`);
    }));
  });
});
