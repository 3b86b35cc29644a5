/**
 * A FIFO where a PID file or a port file is expected must not hang us. A plain open() of a FIFO
 * with no writer blocks a thread of libuv's pool (four threads) until a writer comes: four of them
 * stall every fs and DNS call of the extension host. Real FIFOs (mkfifo), real reads.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPidFile } from '../../src/core/pidFile';
import { discover } from '../../src/core/goruntime/discovery';
import { readSmallFile, readSmallFileBytesSync } from '../../src/core/util/boundedFile';
import { startProgram, stopAll } from '../support/goFixtures';

/** Resolves with the promise's outcome, or 'hung' after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: Error } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error: Error) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('FIFOs where small files are expected', function () {
  this.timeout(30_000);
  let dir: string;
  before(function () {
    if (process.platform === 'win32') this.skip(); // No FIFOs in the Windows file system.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fifo-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    return stopAll();
  });

  it('a PID file that is a FIFO: a clear refusal at once, and the thread pool stays free', async () => {
    const fifos = [1, 2, 3, 4, 5].map((i) => path.join(dir, `app${i}.pid`));
    for (const f of fifos) execFileSync('mkfifo', [f]);
    const outcomes = await Promise.all(fifos.map((f) => within(readPidFile(f), 2000)));
    for (const o of outcomes) {
      assert.notStrictEqual(o, 'hung', 'reading a FIFO PID file hung');
      assert.match((o as { error?: Error }).error?.message ?? '', /not a regular file \(a FIFO\)/);
    }
    // With five FIFOs tried, an ordinary fs call still completes at once.
    const plain = path.join(dir, 'plain.txt');
    fs.writeFileSync(plain, 'x');
    assert.notStrictEqual(await within(fs.promises.readFile(plain, 'utf8'), 1000), 'hung', 'the libuv pool is stalled');
  });

  it('refuses a file larger than asked, a directory and a missing file, each with its reason', async () => {
    const big = path.join(dir, 'big');
    fs.writeFileSync(big, Buffer.alloc(10_000));
    await assert.rejects(readSmallFile(big, 4096), /larger than 4096 bytes/);
    await assert.rejects(readSmallFile(dir, 4096), /not a regular file \(a directory\)/);
    await assert.rejects(readSmallFile(path.join(dir, 'none'), 4096), /does not exist/);
  });

  it('the synchronous reader (activation\'s code cache) refuses the same, and a device, without reading them', () => {
    const big = path.join(dir, 'big-sync');
    fs.writeFileSync(big, Buffer.alloc(10_000));
    assert.throws(() => readSmallFileBytesSync(big, 4096), /larger than 4096 bytes/);
    assert.throws(() => readSmallFileBytesSync(dir, 4096), /not a regular file \(a directory\)/);
    assert.throws(() => readSmallFileBytesSync(path.join(dir, 'none'), 4096), /does not exist/);
    assert.throws(() => readSmallFileBytesSync('/dev/zero', 4096), /not a regular file \(a device\)/);
    // Its FIFO case runs in a process of its own (test/unit/codeCache.test.ts): a hang would stop this one.
    const file = path.join(dir, 'small-sync');
    fs.writeFileSync(file, 'four');
    assert.strictEqual(readSmallFileBytesSync(file, 4).toString(), 'four');
  });

  it("an agent's or gops' port file that is a FIFO: discovery goes on, and does not hang", async () => {
    const agentDir = path.join(dir, 'agents');
    const gopsDir = path.join(dir, 'gops');
    fs.mkdirSync(agentDir);
    fs.mkdirSync(gopsDir);
    // A target whose environment points at these folders; its port files are FIFOs.
    const target = await startProgram('sh', ['-c', 'echo ready; exec sleep 60'], /ready/, { MEMORYWATCH_AGENT_DIR: agentDir, GOPS_CONFIG_DIR: gopsDir });
    execFileSync('mkfifo', [path.join(agentDir, `${target.pid}.json`)]);
    execFileSync('mkfifo', [path.join(gopsDir, String(target.pid))]);
    const outcome = await within(discover(target.pid, { overrideUrl: '', allowedHosts: [] }), 5000);
    assert.notStrictEqual(outcome, 'hung', 'discovery hung on a FIFO port file');
    const result = (outcome as { value?: Awaited<ReturnType<typeof discover>> }).value;
    assert.ok(result && !result.source, 'nothing found');
    assert.match(result.reason ?? '', /listens on no TCP port/);
  });
});
