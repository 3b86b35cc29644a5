/** Listing and describing real processes; Go detection on real binaries for every OS we support. */
import * as assert from 'assert';
import { readGoBuildInfo } from '../../src/core/processes/goBinary';
import { describeProcess, listProcesses } from '../../src/core/processes/processInfo';
import { findProcesses } from '../../src/core/processes/processTable';
import { buildFixture, startSeedServer, startSleep, stopAll } from '../support/goFixtures';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { longestBlock } from '../support/wait';

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

  it('with thousands of processes running, listing them and finding one by its command line hold the event loop up for no more than 50 ms', async function () {
    if (process.platform !== 'linux') this.skip();
    this.timeout(120_000);
    // A build server or a desktop with many containers: the picker lists them all, and memoryWatch.follow looks every 2 s.
    // GNU sleep takes fractions: a duration no other process has is the one to find.
    const marker = `601.${process.pid}`;
    const sleepers: ChildProcess[] = [];
    try {
      for (let i = 0; i < 3000; i++) sleepers.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
      const wanted = spawn('sleep', [marker], { stdio: 'ignore' });
      sleepers.push(wanted);
      await new Promise((r) => setTimeout(r, 1000));
      const listed = await longestBlock(() => listProcesses(), 5);
      assert.ok(listed.result.length > 3000, `${listed.result.length} processes listed`);
      assert.ok(listed.blockedMs < 50, `listing held the event loop up for ${listed.blockedMs.toFixed(1)} ms`);
      const found = await longestBlock(() => findProcesses((commandLine) => commandLine === `sleep ${marker}`), 5);
      assert.deepStrictEqual(found.result.map((p) => p.pid), [wanted.pid]);
      assert.ok(found.blockedMs < 50, `finding held the event loop up for ${found.blockedMs.toFixed(1)} ms`);
    } finally {
      for (const child of sleepers) child.kill();
    }
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
