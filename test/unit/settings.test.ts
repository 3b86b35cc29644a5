import * as assert from 'assert';
import { MiB } from '../../src/shared/format';
import { normalizeSettings } from '../../src/core/settings';

describe('settings validation', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, problems } = normalizeSettings({});
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.sampleIntervalMs, 1000);
    assert.strictEqual(settings.windowMs, 300_000);
    assert.strictEqual(settings.rssWarningBytes, 0);
    assert.strictEqual(settings.autoAttach, true);
    assert.deepStrictEqual(settings.release, { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] });
  });

  it('clamps the interval to at least 100 ms and says so', () => {
    const { settings, problems } = normalizeSettings({ sampleInterval: 5 });
    assert.strictEqual(settings.sampleIntervalMs, 100);
    assert.match(problems[0], /sampleInterval = 5 is out of range/);
  });

  it('replaces values of the wrong type', () => {
    const { settings, problems } = normalizeSettings({ sampleInterval: 'fast', window: NaN, rssWarningThreshold: '1' });
    assert.strictEqual(settings.sampleIntervalMs, 1000);
    assert.strictEqual(settings.windowMs, 300_000);
    assert.strictEqual(settings.rssWarningBytes, 0);
    assert.strictEqual(problems.length, 3);
  });

  it('converts the threshold from MiB to bytes', () => {
    assert.strictEqual(normalizeSettings({ rssWarningThreshold: 512 }).settings.rssWarningBytes, 512 * MiB);
  });

  it('accepts only SIGUSR1 and SIGUSR2', () => {
    assert.strictEqual(normalizeSettings({ signal: 'SIGUSR2' }).settings.release.signal, 'SIGUSR2');
    const { settings, problems } = normalizeSettings({ signal: 'SIGKILL' });
    assert.strictEqual(settings.release.signal, 'SIGUSR1');
    assert.match(problems[0], /SIGKILL/);
  });

  it('knows every method', () => {
    for (const method of ['auto', 'http', 'signal', 'debugger']) assert.strictEqual(normalizeSettings({ method }).settings.release.method, method);
    assert.strictEqual(normalizeSettings({ autoAttach: false }).settings.autoAttach, false);
  });

  it('rejects unknown methods and keeps only string hosts', () => {
    const { settings, problems } = normalizeSettings({ method: 'telepathy', allowedHosts: ['box.lan', 3, ' ', null] });
    assert.strictEqual(settings.release.method, 'auto');
    assert.deepStrictEqual(settings.release.allowedHosts, ['box.lan']);
    assert.strictEqual(problems.length, 1);
  });

  it('container limit warning: a percentage, 90 by default, 0 = off', () => {
    assert.strictEqual(normalizeSettings({}).settings.containerWarningShare, 0.9);
    assert.strictEqual(normalizeSettings({ containerLimitWarning: 0 }).settings.containerWarningShare, 0);
    const { settings, problems } = normalizeSettings({ containerLimitWarning: 150 });
    assert.strictEqual(settings.containerWarningShare, 1);
    assert.match(problems[0], /out of range/);
  });

  it('followed command lines: valid regular expressions only, each problem said', () => {
    const { settings, problems } = normalizeSettings({ followCommandLines: ['myservice --port 8080', '(unclosed', 42, '', 'x'.repeat(501)] });
    assert.deepStrictEqual(settings.follow.map((r) => r.source), ['myservice --port 8080']);
    assert.strictEqual(problems.length, 4);
    assert.match(problems[0], /"\(unclosed" is not a valid regular expression/);
    assert.match(normalizeSettings({ followCommandLines: 'svc' }).problems[0], /must be a list/);
  });
});
