/**
 * The process table that `memoryWatch.followCommandLines` looks in every 2 s (core/processes/
 * processTable.ts), with real processes: a look reads only what it has not seen, finds a process
 * started since, and a full scan catches a process that exec()ed into the pattern under its PID.
 */
import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import { findProcesses, ProcessTable } from '../../src/core/processes/processTable';
import { waitFor } from '../support/wait';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the process table the followed command lines look in', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  it('reads every process once, then only new ones; finds one started since, as findProcesses does', async () => {
    const table = new ProcessTable(60_000);
    assert.deepStrictEqual(await table.find(() => false), []);
    const first = table.commandLineReads;
    const running = (await findProcesses(() => true)).length;
    assert.ok(first >= running, `the first look read ${first} command lines for ${running} processes`);
    // GNU sleep takes fractions: a duration no other process has is the one to find.
    const wanted = `sleep 601.${process.pid}`;
    const child = spawn('sleep', [`601.${process.pid}`], { stdio: 'ignore' });
    children.push(child);
    await pause(600);
    const before = table.commandLineReads;
    const found = await table.find((c) => c === wanted);
    assert.deepStrictEqual(found, [{ pid: child.pid, commandLine: wanted }]);
    assert.deepStrictEqual(found, await findProcesses((c) => c === wanted));
    const reads = table.commandLineReads - before;
    assert.ok(reads < 10, `the second look read ${reads} command lines (${running} processes run)`);
    // Looks that come together (one per pattern) share one scan.
    const shared = table.commandLineReads;
    await table.find(() => false);
    assert.strictEqual(table.commandLineReads, shared);
  });

  it('a process that exec()s into the pattern under its own PID is found by the next full scan', async () => {
    const table = new ProcessTable(2500);
    await table.find(() => false);
    const wanted = `sleep 602.${process.pid}`;
    // A shell that becomes the service after a moment, keeping its PID (a start script's `exec`).
    const child = spawn('sh', ['-c', `sleep 1; exec sleep 602.${process.pid}`], { stdio: 'ignore' });
    children.push(child);
    await pause(600);
    // Seen as the shell (a new PID, read now): not the service yet.
    assert.deepStrictEqual(await table.find((c) => c === wanted), []);
    const found = await waitFor(
      async () => {
        await pause(600);
        const list = await table.find((c) => c === wanted);
        return list.length ? list : undefined;
      },
      'the exec seen by a full scan',
      10_000,
    );
    assert.deepStrictEqual(found, [{ pid: child.pid, commandLine: wanted }]);
  });
});
