/** Listing and describing real processes; Go detection on real binaries for every OS we support. */
import * as assert from 'assert';
import { readGoBuildInfo } from '../../src/core/processes/goBinary';
import { describeProcess, listProcesses } from '../../src/core/processes/processInfo';
import { buildFixture, startSeedServer, startSleep, stopAll } from '../support/goFixtures';
import { execFileSync } from 'child_process';

describe('processes', () => {
  afterEach(() => stopAll());

  it('lists running processes and marks the Go ones', async () => {
    const server = await startSeedServer();
    const sleeper = await startSleep();
    const list = await listProcesses();
    const go = list.find((p) => p.pid === server.pid);
    const notGo = list.find((p) => p.pid === sleeper.pid);
    assert.ok(go && notGo, 'both are listed');
    assert.strictEqual(go.name, 'seedserver');
    assert.match(go.commandLine, /seedserver -addr 127\.0\.0\.1:0$/);
    assert.strictEqual(go.go?.version, execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim());
    assert.strictEqual(notGo.go, undefined);
    assert.ok(!list.some((p) => p.commandLine === '' && p.pid !== process.pid), 'kernel threads are left out');
  });

  it('describes one process', async () => {
    const server = await startSeedServer();
    const info = await describeProcess(server.pid);
    assert.strictEqual(info.pid, server.pid);
    assert.ok(info.executable?.endsWith('/seedserver'));
    await assert.rejects(describeProcess(2 ** 22 + 3), /No process with PID/);
  });

  for (const [goos, goarch] of [
    ['linux', 'amd64'],
    ['linux', '386'],
    ['darwin', 'arm64'],
    ['windows', 'amd64'],
  ]) {
    it(`recognises a Go binary built for ${goos}/${goarch}`, async function () {
      this.timeout(120_000);
      const bin = await buildFixture('hello', { GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0' }, `hello-${goos}-${goarch}`);
      const info = await readGoBuildInfo(bin);
      assert.match(info?.version ?? '', /^go1\.\d+/);
    });
  }

  it('does not mistake other executables for Go', async () => {
    assert.strictEqual(await readGoBuildInfo(process.execPath), undefined);
    assert.strictEqual(await readGoBuildInfo('/bin/sh'), undefined);
    assert.strictEqual(await readGoBuildInfo('/etc/hostname'), undefined);
    assert.strictEqual(await readGoBuildInfo('/no/such/file'), undefined);
  });
});
