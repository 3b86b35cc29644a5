/**
 * The Go heap in VS Code: Go figures are found with no configuration, the API and the status bar
 * show the source and the diagnosis, and "Add FreeOSMemory Hook to This Program" writes nothing
 * outside the workspace, whatever its argument says.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { WatchInfo } from '../../src/extension';
import { buildFixture, REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

describe('the Go heap', function () {
  this.timeout(120_000);

  before(async () => {
    await setSetting('sampleInterval', 250);
  });

  after(async () => {
    await setSetting('sampleInterval', undefined);
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
    // The status bar is brought up to date once a second: the tooltip follows within one.
    const tooltip = await waitFor(() => {
      const text = api.statusBar().tooltip;
      return /is free heap the Go runtime still holds/.test(text) ? text : undefined;
    }, 'the diagnosis in the tooltip', 3000).catch(() => api.statusBar().tooltip); // (the assertion below shows what it says)
    assert.match(tooltip, /is free heap the Go runtime still holds/);
    assert.match(tooltip, /Go: heap in use \d+\.\d (KiB|MiB) · free held \d+\.\d MiB · released/);
    assert.ok(api.series(diagnosed.id)!.columns.heapFree.some((v) => v > 100 * 2 ** 20), 'the series carries the Go classes');
  });

  it('Add FreeOSMemory Hook refuses a folder outside the workspace, whatever the argument says', async () => {
    // (Writing, after the question, is walked through in the UI suite; the files' protocol is
    // tested by building them into programs in test/integration/hook.test.ts.)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-addhook-'));
    try {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module addhook\n\ngo 1.22\n');
      fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'seedserver', 'main.go'), path.join(dir, 'main.go'));
      const written = await vscode.commands.executeCommand<string | undefined>('memoryWatch.addFreeOSMemoryHook', { folder: dir, confirmed: true });
      assert.strictEqual(written, undefined);
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['go.mod', 'main.go'], 'nothing was written');
      assert.strictEqual(await vscode.commands.executeCommand('memoryWatch.addFreeOSMemoryHook', { folder: 42 }), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
