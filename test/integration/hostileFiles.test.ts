/**
 * Files and profiles made to hurt: the hostile corpus (test/support/hostileFiles.ts) read through
 * the real code paths — recordings through openRecording (what the custom editor and Compare
 * With… call), heap profiles fetched from a real hostile server by the heap profile service and
 * turned into the heap view's state. Each must end as one clear line or a bounded view, with this
 * process alive (a crash of a parser here aborted the whole process: the extension host) and the
 * event loop never blocked for 50 ms — the post to the webview included, measured with VS Code's
 * own serializer.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HeapProfileService } from '../../src/core/heap/profileService';
import { buildHeapViewState } from '../../src/core/heap/viewModel';
import { openRecording } from '../../src/core/recording/offThread';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { HOSTILE_PROFILES, HOSTILE_RECORDINGS, writeHostileRecordings } from '../support/hostileFiles';
import { startProgram, stopAll } from '../support/goFixtures';
import { longestBlock } from '../support/wait';
import { serializeLikeVsCode } from '../support/webviewSerializer';
import { graphStateMessages } from '../../src/shared/protocol';

const MAX_BLOCK_MS = 50;
const HOSTILE = path.join(__dirname, '..', 'support', 'hostileTarget.js');

/** One line a person can read: no line breaks, not a wall of text. */
function assertOneClearLine(message: string): void {
  assert.ok(message.length > 10 && message.length <= 400 && !/[\r\n]/.test(message), `not one clear line: ${JSON.stringify(message.slice(0, 500))}`);
}

/** How long serializing `messages` for a webview holds the event loop, as VS Code's postMessage does (one per turn, as they are posted). */
async function postCost(...messages: unknown[]): Promise<{ blockedMs: number; bytes: number }> {
  let bytes = 0;
  const { blockedMs } = await longestBlock(async () => {
    for (const message of messages) {
      await new Promise((r) => setTimeout(r, 20));
      const { json, buffers } = serializeLikeVsCode(message);
      bytes += json.length + buffers.reduce((n, b) => n + b.byteLength, 0);
    }
  });
  return { blockedMs, bytes };
}

describe('hostile files and profiles, through the real code paths', function () {
  this.timeout(120_000);
  let dir: string;
  let files: Map<string, string>;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-hostile-files-'));
    files = writeHostileRecordings(dir);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    return stopAll();
  });

  for (const recording of HOSTILE_RECORDINGS) {
    it(`a recording of ${recording.what}: ${recording.opens ? 'opens, and its state posts' : 'is refused in one line'} without blocking`, async () => {
      const file = files.get(recording.name)!;
      const { result, blockedMs, delayMs } = await longestBlock(() => openRecording(file).then((opened) => ({ opened }), (err: Error) => ({ error: err })));
      assert.ok(blockedMs < MAX_BLOCK_MS, `opening blocked the event loop ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
      if (!recording.opens) {
        assert.ok('error' in result, 'refused');
        assertOneClearLine(result.error.message);
        return;
      }
      assert.ok('opened' in result, `opens: ${'error' in result ? result.error.message : ''}`);
      const { opened } = result;
      // A marker's text is drawn small: what is kept of it is bounded, whatever the file says.
      assert.ok(opened.series.events.length <= 500, `${opened.series.events.length} markers kept`);
      for (const e of opened.series.events) assert.ok(e.label.length <= 200 && (e.detail?.length ?? 0) <= 500, `marker text of ${e.label.length} / ${e.detail?.length} characters kept`);
      const post = await postCost(...graphStateMessages({ watches: [], series: opened.series, windowMs: 60_000, warningBytes: 0, busy: false }));
      assert.ok(post.blockedMs < MAX_BLOCK_MS, `posting the state (${(post.bytes / 2 ** 20).toFixed(1)} MiB) blocked ${post.blockedMs.toFixed(1)} ms`);
      console.log(`        opening blocked ${blockedMs.toFixed(1)} ms; posting the state (${(post.bytes / 2 ** 20).toFixed(1)} MiB) ${post.blockedMs.toFixed(1)} ms`);
    });
  }

  for (const profile of HOSTILE_PROFILES) {
    it(`a heap profile of ${profile.what}: ${profile.reads ? 'read into a bounded view' : 'refused in one line'} without blocking`, async () => {
      const target = await startProgram(process.execPath, [HOSTILE, 'profile', profile.name], /listening on 127\.0\.0\.1:(\d+)/);
      const registry = new WatchRegistry({ intervalMs: 1000, windowMs: 60_000 });
      const service = new HeapProfileService({ settings: () => ({ metricsUrl: `http://127.0.0.1:${target.match![1]}/`, allowedHosts: [] }) });
      try {
        const { watch } = await registry.attach(target.pid);
        // Twice: an automatic refresh is another try, and the first one must have left nothing behind.
        for (let attempt = 0; attempt < 2; attempt++) {
          const { result: profiles, blockedMs, delayMs } = await longestBlock(() => service.refresh(watch));
          assert.ok(blockedMs < MAX_BLOCK_MS, `reading the profile blocked the event loop ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
          if (!profile.reads) {
            assert.ok(profiles.error, 'refused');
            assertOneClearLine(profiles.error.message);
            continue;
          }
          assert.strictEqual(profiles.error, undefined, profiles.error?.message);
          const built = await longestBlock(async () => buildHeapViewState({ version: 1, profiles, refreshSeconds: 10, locate: () => ({ found: false, reason: 'not looked for' }) }));
          assert.ok(built.blockedMs < MAX_BLOCK_MS, `building the view state blocked ${built.blockedMs.toFixed(1)} ms`);
          const post = await postCost({ type: 'state', state: built.result });
          assert.ok(post.blockedMs < MAX_BLOCK_MS, `posting the view state (${(post.bytes / 2 ** 20).toFixed(1)} MiB) blocked ${post.blockedMs.toFixed(1)} ms`);
          assert.ok(post.bytes < 8 * 2 ** 20, `the view state is ${(post.bytes / 2 ** 20).toFixed(1)} MiB`);
          console.log(`        refresh blocked ${blockedMs.toFixed(1)} ms, the view state ${built.blockedMs.toFixed(1)} ms, its post (${(post.bytes / 2 ** 20).toFixed(2)} MiB) ${post.blockedMs.toFixed(1)} ms`);
        }
      } finally {
        service.dispose();
        registry.dispose();
      }
    });
  }
});
