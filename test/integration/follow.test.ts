/**
 * Following a service across restarts (core/follow.ts) with real processes: a command-line pattern
 * and a PID file each name "the current process"; when it dies and a successor starts, the same
 * watch — one graph — goes on, with a "restarted" marker.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Follower } from '../../src/core/follow';
import { readPidFile } from '../../src/core/pidFile';
import { ProcessTable } from '../../src/core/processes/processTable';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const READY = /grower listening on 127\.0\.0\.1:(\d+) pid (\d+)/;

describe('following a service across restarts', function () {
  this.timeout(60_000);
  let registry: WatchRegistry;
  let follower: Follower;
  let log: string[];
  // As the extension looks (vscode/pidFiles.ts): one table for every pattern.
  let processes: ProcessTable;
  beforeEach(() => {
    processes = new ProcessTable();
    registry = new WatchRegistry({ intervalMs: 200, windowMs: 300_000 });
    log = [];
    follower = new Follower(registry, (m) => log.push(m), 200);
  });
  afterEach(async () => {
    follower.dispose();
    registry.dispose();
    await stopAll();
  });

  it('a command-line pattern: watched when it starts, followed into one graph when it restarts', async () => {
    const bin = await buildFixture('grower');
    const marker = `follow-test-${process.pid}-${Date.now()}`;
    const re = new RegExp(`grower -addr 127\\.0\\.0\\.1:0 -tag ${marker}$`);
    follower.setTargets('commandLines', [{ key: 'pattern:test', description: 'the test grower', current: async () => (await processes.find((c) => re.test(c)))[0]?.pid }]);
    // Nothing matches yet: nothing is watched, and it keeps looking.
    await new Promise((r) => setTimeout(r, 500));
    assert.strictEqual(registry.list().length, 0);
    const first = await startProgram(bin, ['-addr', '127.0.0.1:0', '-tag', marker], READY);
    const watch = await waitFor(() => registry.findRunning(first.pid), 'the first run watched', 10_000);
    await first.stop();
    await waitFor(() => watch.state === 'exited', 'the exit seen', 5000);
    const second = await startProgram(bin, ['-addr', '127.0.0.1:0', '-tag', marker], READY);
    await waitFor(() => watch.state === 'running' && watch.pid === second.pid, 'the same watch on the new process', 10_000);
    assert.strictEqual(registry.list().length, 1, 'one watch, one graph');
    assert.deepStrictEqual(watch.series.allEvents().map((e) => e.kind), ['attach', 'exit', 'restart']);
    assert.match(watch.series.allEvents()[2].detail ?? '', new RegExp(`PID ${first.pid} → ${second.pid}`));
  });

  it('a restarted service becomes the current watch when the current one has ended, never over a running one', async () => {
    const bin = await buildFixture('grower');
    const marker = `follow-current-${process.pid}-${Date.now()}`;
    const re = new RegExp(`grower -addr 127\\.0\\.0\\.1:0 -tag ${marker}$`);
    follower.setTargets('commandLines', [{ key: 'pattern:current', description: 'the test grower', current: async () => (await processes.find((c) => re.test(c)))[0]?.pid }]);
    const first = await startProgram(bin, ['-addr', '127.0.0.1:0', '-tag', marker], READY);
    const followed = await waitFor(() => registry.findRunning(first.pid), 'the service watched', 10_000);
    // Another process attached by hand becomes current; then both end.
    const other = await startProgram(bin, [], READY);
    const { watch: manual } = await registry.attach(other.pid);
    assert.strictEqual(registry.current, manual);
    await Promise.all([first.stop(), other.stop()]);
    await waitFor(() => followed.state === 'exited' && manual.state === 'exited', 'both exits seen', 5000);
    // The service comes back: its watch goes on, and is what the status bar and graph show.
    const second = await startProgram(bin, ['-addr', '127.0.0.1:0', '-tag', marker], READY);
    await waitFor(() => followed.state === 'running' && followed.pid === second.pid, 'the watch on the new process', 10_000);
    assert.strictEqual(registry.current, followed, 'the running watch, not the ended one');
    // With a running watch current, a restart does not take its place.
    const third = await startProgram(bin, [], READY);
    const { watch: running } = await registry.attach(third.pid);
    await second.stop();
    await waitFor(() => followed.state === 'exited', 'the exit seen', 5000);
    const fourth = await startProgram(bin, ['-addr', '127.0.0.1:0', '-tag', marker], READY);
    await waitFor(() => followed.state === 'running' && followed.pid === fourth.pid, 'the watch on the next process', 10_000);
    assert.strictEqual(registry.current, running);
  });

  it('a PID file that does not exist yet is said once, not at every look; said again after it was found and lost', async () => {
    const bin = await buildFixture('grower');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-follow-'));
    try {
      const file = path.join(dir, 'app.pid');
      follower.setTargets('pidFiles', [{ key: `pidfile:${file}`, description: `the PID file ${file}`, current: () => readPidFile(file) }]);
      // Ten looks (every 200 ms): one line.
      await new Promise((r) => setTimeout(r, 2000));
      const missing = log.filter((m) => m.includes('does not exist'));
      assert.strictEqual(missing.length, 1, log.join('\n'));
      assert.strictEqual(missing[0], `${file} does not exist (yet)`);
      const run = await startProgram(bin, [], READY);
      fs.writeFileSync(file, `${run.pid}\n`);
      follower.poke();
      const watch = await waitFor(() => registry.findRunning(run.pid), 'watched once the file names it', 10_000);
      await run.stop();
      fs.rmSync(file);
      await waitFor(() => watch.state === 'exited', 'the exit seen', 5000);
      await new Promise((r) => setTimeout(r, 1000));
      assert.strictEqual(log.filter((m) => m.includes('does not exist')).length, 2, log.join('\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a PID file rewritten by a restart: the same watch goes on; detached by the user, it is left alone', async () => {
    const bin = await buildFixture('grower');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-follow-'));
    try {
      const file = path.join(dir, 'app.pid');
      const first = await startProgram(bin, [], READY);
      fs.writeFileSync(file, `${first.pid}\n`);
      follower.setTargets('pidFiles', [{ key: `pidfile:${file}`, description: `the PID file ${file}`, current: () => readPidFile(file).catch(() => undefined) }]);
      const watch = await waitFor(() => registry.findRunning(first.pid), 'the first run watched', 10_000);
      await first.stop();
      const second = await startProgram(bin, [], READY);
      fs.writeFileSync(file, `${second.pid}\n`);
      follower.poke();
      await waitFor(() => watch.state === 'running' && watch.pid === second.pid, 'the same watch on the new process', 10_000);
      assert.strictEqual(registry.list().length, 1);
      // The user detaches it: the follower does not bring it back.
      registry.detach(watch.id);
      follower.poke();
      await new Promise((r) => setTimeout(r, 800));
      assert.strictEqual(registry.list().length, 0, 'a detached target stays detached');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the looks for a target still waiting do not read again the targets whose process runs (a PID file change still does)', async () => {
    const bin = await buildFixture('grower');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-follow-reads-'));
    try {
      const running = await startProgram(bin, ['-addr', '127.0.0.1:0'], READY);
      const pidFile = path.join(dir, 'running.pid');
      fs.writeFileSync(pidFile, `${running.pid}\n`);
      const reads = { running: 0, waiting: 0 };
      follower.setTargets('pidFiles', [
        { key: 'pidfile:running', description: 'the running one', current: () => (reads.running++, readPidFile(pidFile)) },
        { key: 'pidfile:waiting', description: 'a service not started', current: async () => (reads.waiting++, undefined) },
      ]);
      await waitFor(() => registry.findRunning(running.pid), 'the running one watched', 10_000);
      const before = { ...reads };
      // Looks every 200 ms for the waiting one.
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(reads.waiting - before.waiting >= 4, `the waiting target looked at ${reads.waiting - before.waiting} times`);
      assert.strictEqual(reads.running, before.running, 'the running target\'s PID file is not read at each look');
      // Its PID file changed (the watcher pokes): read again.
      follower.poke();
      await waitFor(() => reads.running > before.running, 'the running target read after a poke', 2000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a PID file change during a look at the waiting targets is not lost: every target is looked at right after', async () => {
    const bin = await buildFixture('grower');
    const running = await startProgram(bin, ['-addr', '127.0.0.1:0'], READY);
    const reads = { running: 0, waiting: 0 };
    let lookingAtWaiting = false;
    follower.setTargets('pidFiles', [
      { key: 'pidfile:running', description: 'the running one', current: async () => (reads.running++, running.pid) },
      {
        key: 'pidfile:waiting',
        description: 'a service not started, slow to look at',
        current: async () => {
          reads.waiting++;
          lookingAtWaiting = true;
          await new Promise((r) => setTimeout(r, 300));
          lookingAtWaiting = false;
          return undefined;
        },
      },
    ]);
    await waitFor(() => registry.findRunning(running.pid), 'the running one watched', 10_000);
    // A timer's look (the running target skipped) is under way: the file watcher pokes now.
    const waitingBefore = reads.waiting;
    await waitFor(() => lookingAtWaiting && reads.waiting > waitingBefore, 'a look at the waiting target', 5000);
    const before = reads.running;
    follower.poke();
    await waitFor(() => reads.running > before, 'the running target read after the look under way', 3000);
  });
});
