/**
 * The Go heap in VS Code: Go figures are found with no configuration, the API and the status bar
 * show the source and the diagnosis, and "Add FreeOSMemory Hook to This Program" writes a file that
 * — built into a program that exposed nothing — makes Memory Watch see its heap and free it.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ReleaseReport } from '../../src/core/release/measure';
import type { WatchInfo } from '../../src/extension';
import { buildFixture, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

describe('the Go heap', function () {
  this.timeout(120_000);
  let agentDir: string;

  before(async () => {
    agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-agents-'));
    await setSetting('sampleInterval', 250);
  });

  after(async () => {
    await setSetting('sampleInterval', undefined);
    fs.rmSync(agentDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await detachAll(await getApi());
    await stopAll();
  });

  it('finds expvar by itself; the status bar and API name the source and the diagnosis', async () => {
    const api = await getApi();
    const bin = await buildFixture('sources/expvar');
    // GOGC=off with a memory limit: the runtime holds the freed spike (see test/integration/diagnosis.test.ts).
    const program = await startProgram(bin, ['-spike', '200'], /listening on/, { GOGC: 'off', GOMEMLIMIT: '1GiB' });
    await vscode.commands.executeCommand<WatchInfo>('memoryWatch.attach', { pid: program.pid });
    const watch = await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.goFigures.state === 'found'), 'Go figures', 20_000);
    assert.match(watch.goFigures.text, /^Go figures: expvar at 127\.0\.0\.1:\d+\/debug\/vars$/);
    const diagnosed = await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.diagnosis?.kind === 'free-held'), 'the diagnosis', 20_000);
    assert.match(diagnosed.diagnosis!.message, /is free heap the Go runtime still holds/);
    assert.match(api.statusBar().tooltip, /is free heap the Go runtime still holds/);
    assert.match(api.statusBar().tooltip, /Go: heap in use \d+\.\d (KiB|MiB) · free held \d+\.\d MiB · released/);
    assert.ok(api.series(diagnosed.id)!.columns.heapFree.some((v) => v > 100 * 2 ** 20), 'the series carries the Go classes');
  });

  it('Add FreeOSMemory Hook: the files make a program that exposed nothing visible and freeable', async () => {
    const api = await getApi();
    // A copy of a program with no memory endpoints, in its own module.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-addhook-'));
    try {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module addhook\n\ngo 1.22\n');
      fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'seedserver', 'main.go'), path.join(dir, 'main.go'));
      const written = await vscode.commands.executeCommand<string>('memoryWatch.addFreeOSMemoryHook', { folder: dir, confirmed: true });
      assert.strictEqual(written, path.join(dir, 'memorywatch_hook.go'));
      assert.ok(fs.existsSync(path.join(dir, 'memorywatch_hook_signal.go')), 'the SIGUSR1 half is written too');
      execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-o', 'hooked', '.'], { cwd: dir, env: { ...process.env, GOCACHE: process.env.MEMORY_WATCH_GOCACHE ?? '' } });
      const program = await startProgram(path.join(dir, 'hooked'), ['-addr', '127.0.0.1:0', '-hook=false'], /listening on/, { MEMORYWATCH_AGENT_DIR: agentDir });
      await vscode.commands.executeCommand('memoryWatch.attach', { pid: program.pid });
      await waitFor(() => api.watches().find((w) => w.pid === program.pid && w.goFigures.state === 'found' && /^Go figures: Memory Watch agent at /.test(w.goFigures.text)), 'the hook found as the agent', 20_000);
      const before = JSON.stringify(api.watches().map((w) => [w.pid, w.state, w.goFigures]));
      const report = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory', { pid: program.pid });
      assert.strictEqual(report.method, 'agent', `${report.message} — watches: ${before} / after: ${JSON.stringify(api.watches().map((w) => [w.pid, w.state, w.goFigures]))}`);
      assert.ok(report.triggered, report.message);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
