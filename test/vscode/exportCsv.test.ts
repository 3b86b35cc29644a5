/**
 * Export CSV writes two files: the one picked in the save dialog, and "-markers.csv" beside it,
 * which the user never saw named. One already there is not replaced without asking, and neither
 * is written through a symbolic link. Real VS Code: its own save dialog (accepted as it opens, on
 * the name Memory Watch suggests), a real watch. A modal question cannot be answered here: in an
 * extension test VS Code refuses it with an error that quotes it, which is how the question is seen.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import { startSleep, stopAll } from '../support/goFixtures';
import { detachAll, getApi } from './util';

/** The names Memory Watch suggests in the save dialog now and a minute from now (recordings.ts stamp()). */
function suggested(name: string): string[] {
  const p = (n: number) => String(n).padStart(2, '0');
  return [0, 60_000].map((later) => {
    const d = new Date(Date.now() + later);
    return `${name}-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
  });
}

describe('Export CSV: the markers file beside the samples', function () {
  this.timeout(30_000);
  const workspace = process.env.MEMORY_WATCH_WORKSPACE!;
  let api: MemoryWatchApi;
  let outside: string;
  const made: string[] = [];

  before(async () => {
    api = await getApi();
  });
  beforeEach(() => (outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outside-'))));
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await detachAll(api);
    await stopAll();
    for (const p of made.splice(0)) fs.rmSync(p, { force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  /** A watch of a real process, and the samples and markers files the save dialog will suggest for it. */
  async function watchAndNames(): Promise<{ info: WatchInfo; pairs: { samples: string; markers: string }[] }> {
    const sleep = await startSleep();
    const info = await vscode.commands.executeCommand<WatchInfo | undefined>('memoryWatch.attach', { pid: sleep.pid });
    assert.ok(info);
    const pairs = suggested(`sleep-PID-${sleep.pid}`).map((base) => ({ samples: path.join(workspace, `${base}.csv`), markers: path.join(workspace, `${base}-markers.csv`) }));
    for (const pair of pairs) made.push(pair.samples, pair.markers);
    return { info, pairs };
  }

  /** Runs Export CSV and accepts the save dialog on the suggested name; resolves with what the command did. */
  async function exportAccepted(info: WatchInfo): Promise<{ result?: unknown; error?: Error }> {
    const running = vscode.commands.executeCommand('memoryWatch.exportCsv', { watchId: info.id }).then(
      (result) => ({ result }),
      (error: Error) => ({ error }),
    );
    // The dialog fills in the suggested name a moment after it opens: accept until it has closed.
    for (let i = 0; i < 40; i++) {
      const done = await Promise.race([running, new Promise<undefined>((r) => setTimeout(() => r(undefined), 250))]);
      if (done) return done;
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    return running;
  }

  it('a markers file already there: asks before replacing it, and writes nothing meanwhile', async () => {
    const { info, pairs } = await watchAndNames();
    for (const { markers } of pairs) fs.writeFileSync(markers, 'an earlier export\n');
    const { result, error } = await exportAccepted(info);
    // The modal question, refused by VS Code in a test, with its words.
    assert.match(error?.message ?? `resolved with ${String(result)}`, /refused to show dialog in tests\. Contents: sleep-PID-\d+-[\d-]+-markers\.csv already exists/);
    for (const { samples, markers } of pairs) {
      assert.strictEqual(fs.readFileSync(markers, 'utf8'), 'an earlier export\n');
      assert.ok(!fs.existsSync(samples), 'the samples were written before the answer');
    }
  });

  it('a markers file that is a symbolic link: refused, nothing written, the file it points to unchanged', async () => {
    const { info, pairs } = await watchAndNames();
    const target = path.join(outside, 'mine.txt');
    fs.writeFileSync(target, 'mine\n');
    for (const { markers } of pairs) fs.symlinkSync(target, markers);
    const { result, error } = await exportAccepted(info);
    assert.strictEqual(error, undefined);
    assert.strictEqual(result, undefined);
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'mine\n');
    for (const { samples } of pairs) assert.ok(!fs.existsSync(samples));
  });

  it('no markers file there: both written', async () => {
    const { info, pairs } = await watchAndNames();
    const { result, error } = await exportAccepted(info);
    assert.strictEqual(error, undefined);
    const pair = pairs.find((p) => p.samples === result);
    assert.ok(pair, `exported to ${String(result)}`);
    assert.match(fs.readFileSync(pair.samples, 'utf8'), /^time_ms,time_iso,rss_bytes/);
    assert.match(fs.readFileSync(pair.markers, 'utf8'), /^time_ms,time_iso,end_ms,kind/);
  });
});
