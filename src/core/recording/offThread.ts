/**
 * Recordings are read, written and summarised off the extension host's thread: a 20,000-point run
 * is a few MiB of JSON (parsing it took 26 ms here, and a 32 MiB file 200 ms — a frozen editor).
 * Each task runs in a fresh worker thread with a memory limit and a deadline; the series crosses
 * between threads as transferred Float64Arrays (NaN for missing), not as copied objects.
 */
import { Worker } from 'worker_threads';
import path = require('path');
import type { SeriesEvent, SeriesSnapshot } from '../series';
import { resolveWorkerScript } from '../util/workerScript';
import type { RunView } from './compare';
import type { Recording } from './schema';
import type { RecordingMeta } from './write';

/** A series in transferable form: one Float64Array per column (NaN = missing). */
export interface TransferableSeries {
  readonly time: Float64Array;
  readonly columns: Record<string, Float64Array>;
  readonly events: readonly SeriesEvent[];
}

/** What a recording says besides its samples. */
export type RecordingInfo = Omit<Recording, 'time' | 'columns'>;

export type WorkerRequest =
  | { readonly task: 'open'; readonly file: string }
  | { readonly task: 'save'; readonly file: string; readonly series: TransferableSeries; readonly meta: RecordingMeta }
  | { readonly task: 'csv'; readonly samplesFile: string; readonly markersFile: string; readonly markers: 'create' | 'replace'; readonly series: TransferableSeries; readonly meta: RecordingMeta }
  | { readonly task: 'view'; readonly series: TransferableSeries; readonly meta: RecordingMeta };

export type WorkerReply =
  | { readonly ok: true; readonly info?: RecordingInfo; readonly series?: TransferableSeries; readonly run?: RunView }
  | { readonly ok: false; readonly message: string };

/** The series, ready to be transferred (the arrays are new: the snapshot is left as it was). */
export function toTransferable(snapshot: SeriesSnapshot): TransferableSeries {
  const columns: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(snapshot.columns)) columns[name] = Float64Array.from(values as ArrayLike<number>, (v) => (typeof v === 'number' ? v : NaN));
  return { time: Float64Array.from(snapshot.time), columns, events: snapshot.events };
}

/** The buffers to transfer with a series. */
export function transferList(series: TransferableSeries): ArrayBuffer[] {
  return [series.time.buffer as ArrayBuffer, ...Object.values(series.columns).map((c) => c.buffer as ArrayBuffer)];
}

/**
 * At most `maxPoints` rows, keeping peaks: the rows fall into equal buckets and each bucket keeps
 * its highest-RSS row (a real, self-consistent sample, as a live series keeps when it downsamples),
 * with the highest missed peak of the bucket. A recording Memory Watch wrote has at most a live
 * series' capacity (20,000 points); a file with more (hand-made, or merged) would cost the
 * extension host a long copy and a long message to the webview, for more points than pixels.
 */
export function downsampleSeries(series: TransferableSeries, maxPoints: number): TransferableSeries {
  const n = series.time.length;
  if (n <= maxPoints) return series;
  const perBucket = Math.ceil(n / maxPoints);
  const kept = Math.ceil(n / perBucket);
  const rss = series.columns.rss;
  const missed = series.columns.missedPeak;
  const rows = new Uint32Array(kept);
  const peaks = new Float64Array(kept);
  for (let bucket = 0; bucket < kept; bucket++) {
    const from = bucket * perBucket;
    const to = Math.min(n, from + perBucket);
    let best = from;
    let peak = NaN;
    for (let i = from; i < to; i++) {
      if (rss && (rss[i] > rss[best] || Number.isNaN(rss[best]))) best = i;
      const high = missed?.[i];
      if (high !== undefined && !Number.isNaN(high) && (Number.isNaN(peak) || high > peak)) peak = high;
    }
    rows[bucket] = best;
    peaks[bucket] = peak;
  }
  const pick = (values: Float64Array): Float64Array => Float64Array.from(rows, (row) => values[row]);
  const columns: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(series.columns)) columns[name] = name === 'missedPeak' ? peaks : pick(values);
  return { time: pick(series.time), columns, events: series.events };
}

/** A typed array as a plain array: an indexed loop (Array.from goes through the iterator, ≈ 6× slower). */
function toPlainArray(values: Float64Array): number[] {
  const plain = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) plain[i] = values[i];
  return plain;
}

/**
 * Back to the plain arrays the rest of the code (and the webview) reads. On the extension host's
 * thread this is at most a live series' size (a longer file is downsampled in the worker):
 * 20,000 points × 22 columns, a few ms.
 */
export function fromTransferable(series: TransferableSeries): SeriesSnapshot {
  const columns: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(series.columns)) columns[name] = toPlainArray(values);
  return { time: toPlainArray(series.time), columns: columns as SeriesSnapshot['columns'], events: [...series.events] };
}

const TIMEOUT_MS = 30_000;
const WORKER_HEAP_MB = 512;

function workerScript(): string {
  return resolveWorkerScript('recording', 'recordingWorker.js', __dirname, path.join(__dirname, 'worker.js'));
}

/** Runs one task in a fresh worker; rejects with a readable Error (the worker's own message, or why it stopped). */
function run(request: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScript(), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 64, stackSizeMb: 4 } });
    let settled = false;
    const finish = (err?: Error, reply?: WorkerReply & { ok: true }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Error(`Gave up after ${TIMEOUT_MS / 1000} s.`)), TIMEOUT_MS);
    worker.on('message', (reply: WorkerReply) => (reply.ok ? finish(undefined, reply) : finish(new Error(reply.message))));
    worker.on('error', (err) => finish(new Error(/heap|memory/i.test(err.message) ? 'The recording is too large to read.' : `The recording worker failed: ${err.message}`)));
    worker.on('exit', (code) => finish(new Error(`The recording worker stopped (exit code ${code}).`)));
    worker.postMessage(request, transfer);
  });
}

/** Reads and checks a .memwatch.json file: its info, its series (absolute times) and its summary. */
export async function openRecording(file: string): Promise<{ info: RecordingInfo; snapshot: SeriesSnapshot; run: RunView }> {
  const reply = await run({ task: 'open', file });
  return { info: reply.info!, snapshot: fromTransferable(reply.series!), run: reply.run! };
}

/** Writes a watch's series as a .memwatch.json file. */
export async function saveRecording(file: string, snapshot: SeriesSnapshot, meta: RecordingMeta): Promise<void> {
  const series = toTransferable(snapshot);
  await run({ task: 'save', file, series, meta }, transferList(series));
}

/**
 * Writes the series as CSV: one file of samples (replaced if there: the save dialog asked), one of
 * markers, which replaces an existing file only with `markers: 'replace'` (the user was asked).
 * Neither is written through a symbolic link (core/util/noFollowWrite.ts).
 */
export async function exportCsv(samplesFile: string, markersFile: string, snapshot: SeriesSnapshot, meta: RecordingMeta, options: { readonly markers: 'create' | 'replace' } = { markers: 'create' }): Promise<void> {
  const series = toTransferable(snapshot);
  await run({ task: 'csv', samplesFile, markersFile, markers: options.markers, series, meta }, transferList(series));
}

/** A live watch's series as comparisons need it (its summary). */
export async function viewOfSeries(snapshot: SeriesSnapshot, meta: RecordingMeta): Promise<RunView> {
  const series = toTransferable(snapshot);
  return (await run({ task: 'view', series, meta }, transferList(series))).run!;
}
