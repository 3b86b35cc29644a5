/**
 * Recording files are read and written off the extension host's thread (core/recording/
 * offThread.ts): a real watch saved and opened again, a 30 MiB recording opened while the event
 * loop is measured (it must stay under 50 ms), and files that are no recordings — 100 MiB, a FIFO,
 * garbage — refused with a clear message.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MAX_CAPACITY, packSeries, SERIES_COLUMNS, unpackSeries } from '../../src/shared/series';
import { exportCsv, openRecording, saveRecording } from '../../src/core/recording/offThread';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { buildFixture, loadSeedServer, startProgram, stopAll } from '../support/goFixtures';
import { longestBlock } from '../support/wait';

const META = { process: { name: 'svc', pid: 42 }, settings: { sampleIntervalMs: 100, windowMs: 300_000 }, toolVersion: '0.1.0' };

describe('recording files, off the extension host thread', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-rec-'))));
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    return stopAll();
  });

  it('a real watch, saved and opened again: the same samples and markers; CSV beside it', async () => {
    const registry = new WatchRegistry({ intervalMs: 100, windowMs: 300_000 });
    try {
      const server = await startProgram(await buildFixture('seedserver'), ['-addr', '127.0.0.1:0'], /listening on 127\.0\.0\.1:(\d+)/);
      const { watch } = await registry.attach(server.pid);
      await loadSeedServer(Number(server.match![1]), { requests: 16, concurrency: 8 });
      for (let i = 0; i < 5; i++) await watch.nextSample();
      const file = path.join(dir, 'run.memwatch.json');
      const snapshot = watch.series.snapshot();
      await saveRecording(file, packSeries(snapshot), META);
      const opened = await openRecording(file);
      assert.deepStrictEqual(unpackSeries(opened.series).time, snapshot.time);
      for (const c of SERIES_COLUMNS) assert.deepStrictEqual(unpackSeries(opened.series).columns[c].map((v) => (Number.isNaN(v) ? null : v)), snapshot.columns[c].map((v) => (Number.isNaN(v) ? null : Math.round(v))), c);
      assert.deepStrictEqual(unpackSeries(opened.series).events.map((e) => e.label), snapshot.events.map((e) => e.label));
      assert.strictEqual(opened.info.process.name, 'svc');
      assert.strictEqual(opened.run.summary.sampleCount, snapshot.time.length);
      await exportCsv(path.join(dir, 'run.csv'), path.join(dir, 'run-markers.csv'), packSeries(snapshot), META);
      const lines = fs.readFileSync(path.join(dir, 'run.csv'), 'utf8').trim().split('\n');
      assert.strictEqual(lines.length, snapshot.time.length + 1);
      assert.match(lines[0], /^time_ms,time_iso,rss_bytes,vsz_bytes/);
    } finally {
      registry.dispose();
    }
  });

  it('a 30 MiB recording opens without blocking the event loop for 50 ms', async () => {
    // 150,000 points of 20 columns: near the reader's bounds, and what a day at 1 Hz would be.
    const n = 150_000;
    const time = Array.from({ length: n }, (_, i) => 1_800_000_000_000 + i * 500);
    const columns = Object.fromEntries(SERIES_COLUMNS.map((c) => [c, Array.from({ length: n }, (_, i) => (c === 'rss' ? 100_000_000 + (i % 1000) * 4096 : (i * 7919) % 100_000_000))]));
    const file = path.join(dir, 'big.memwatch.json');
    await saveRecording(file, packSeries({ time, columns: columns as never, events: [] }), META);
    const size = fs.statSync(file).size;
    assert.ok(size > 20 * 1024 * 1024, `${size} bytes`);
    const { result: opened, blockedMs, delayMs } = await longestBlock(() => openRecording(file));
    // Shown no longer than a live series, its peak kept; summarised from every point.
    assert.ok(unpackSeries(opened.series).time.length <= MAX_CAPACITY, `${unpackSeries(opened.series).time.length} points shown`);
    const peak = columns.rss.reduce((a, b) => Math.max(a, b));
    assert.strictEqual(unpackSeries(opened.series).columns.rss.reduce((a, b) => Math.max(a, b)), peak);
    assert.strictEqual(opened.run.summary.peakRss, peak);
    assert.ok(blockedMs < 50, `the event loop was blocked ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
    console.log(`      ${(size / 1024 / 1024).toFixed(0)} MiB, ${n} points: the event loop's longest block ${blockedMs.toFixed(1)} ms (${delayMs.toFixed(1)} ms with preemption)`);
  });

  it('refuses what is not a recording: 100 MiB, a FIFO, garbage, a newer format', async () => {
    const big = path.join(dir, 'huge.memwatch.json');
    fs.writeFileSync(big, Buffer.alloc(100 * 1024 * 1024, 0x20));
    await assert.rejects(openRecording(big), /larger than 32 MiB: not a recording Memory Watch wrote/);
    const fifo = path.join(dir, 'pipe.memwatch.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(openRecording(fifo), /not a regular file \(a FIFO\)/);
    const junk = path.join(dir, 'junk.memwatch.json');
    fs.writeFileSync(junk, '{"format":"memwatch-recording","version":"9.0"');
    await assert.rejects(openRecording(junk), /./);
    fs.writeFileSync(junk, JSON.stringify({ format: 'memwatch-recording', version: '2.0' }));
    await assert.rejects(openRecording(junk), /made by a newer Memory Watch/);
  });

  it('Export CSV replaces a markers file only when told to, and writes through no symbolic link', async () => {
    const snapshot = { time: [1_800_000_000_000, 1_800_000_000_500], columns: Object.fromEntries(SERIES_COLUMNS.map((c) => [c, [1, 2]])) as never, events: [] };
    const samples = path.join(dir, 'pair.csv');
    const markers = path.join(dir, 'pair-markers.csv');
    // The markers file of an earlier export, which the user never saw named in the save dialog.
    fs.writeFileSync(markers, 'an earlier export\n');
    await assert.rejects(exportCsv(samples, markers, packSeries(snapshot), META), /^Error: pair-markers\.csv already exists/);
    assert.strictEqual(fs.readFileSync(markers, 'utf8'), 'an earlier export\n');
    assert.ok(!fs.existsSync(samples), 'the samples were written without their markers');
    // The user said "Overwrite".
    await exportCsv(samples, markers, packSeries(snapshot), META, { markers: 'replace' });
    assert.match(fs.readFileSync(markers, 'utf8'), /^time_ms,time_iso,end_ms,kind/);
    assert.match(fs.readFileSync(samples, 'utf8'), /^time_ms,time_iso,rss_bytes/);

    // Links: to a file elsewhere, and dangling; for the markers file and for the samples file.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-elsewhere-'));
    try {
      const target = path.join(elsewhere, 'mine.txt');
      fs.writeFileSync(target, 'mine\n');
      for (const [linkedSamples, linkedMarkers] of [[samples, markers], [path.join(dir, 'x.csv'), path.join(dir, 'x-markers.csv')]]) {
        const link = linkedSamples === samples ? linkedMarkers : linkedSamples;
        fs.rmSync(link, { force: true });
        fs.symlinkSync(target, link);
        for (const how of ['create', 'replace'] as const) {
          await assert.rejects(exportCsv(linkedSamples, linkedMarkers, packSeries(snapshot), META, { markers: how }), /is a symbolic link \(to .*mine\.txt\)/);
        }
        fs.rmSync(link);
        fs.symlinkSync(path.join(elsewhere, 'absent.csv'), link);
        await assert.rejects(exportCsv(linkedSamples, linkedMarkers, packSeries(snapshot), META, { markers: 'replace' }), /is a symbolic link/);
        fs.rmSync(link);
      }
      assert.strictEqual(fs.readFileSync(target, 'utf8'), 'mine\n');
      assert.deepStrictEqual(fs.readdirSync(elsewhere), ['mine.txt']);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
