/**
 * Recordings are read, written and summarised off the extension host: a 20,000-point run is a few
 * MiB of JSON (a 32 MiB file took the extension host far past 50 ms to parse: bench/RESULTS.md,
 * "Measured once"), and a file comes from anyone. Each task runs in a child process of its own with a heap limit and a deadline
 * (util/isolatedTask.ts: a worker thread's limits did not protect the extension host from a
 * hostile file); the series crosses as Float64Arrays (NaN for missing), not as JSON numbers.
 */
import path = require('path');
import { copyPackedRows, PackedSeries, SeriesColumn } from '../../shared/series';
import { IsolatedTaskError, runIsolatedTask } from '../util/isolatedTask';
import { resolveWorkerScript } from '../util/workerScript';
import type { RunView } from './compare';
import type { Recording } from './schema';
import type { RecordingMeta } from './write';

/** What a recording says besides its samples and markers (the markers are in the series). */
export type RecordingInfo = Omit<Recording, 'time' | 'columns' | 'events'>;

/** What the recording task (task.ts) is asked. */
export type RecordingTaskRequest =
  | { readonly task: 'open'; readonly file: string }
  | { readonly task: 'save'; readonly file: string; readonly series: PackedSeries; readonly meta: RecordingMeta }
  | { readonly task: 'csv'; readonly samplesFile: string; readonly markersFile: string; readonly markers: 'create' | 'replace'; readonly series: PackedSeries; readonly meta: RecordingMeta }
  | { readonly task: 'view'; readonly series: PackedSeries; readonly meta: RecordingMeta };

/** What it answers (a failure is an IsolatedTaskError). */
export interface RecordingTaskReply {
  readonly info?: RecordingInfo;
  readonly series?: PackedSeries;
  readonly run?: RunView;
}

/**
 * At most `maxPoints` rows, keeping peaks: the rows fall into equal buckets and each bucket keeps
 * its highest-RSS row (a real, self-consistent sample, as a live series keeps when it downsamples),
 * with the highest missed peak of the bucket. A recording Memory Watch wrote has at most a live
 * series' capacity (20,000 points); a file with more (hand-made, or merged) would cost the
 * extension host a long copy and a long message to the webview, for more points than pixels.
 */
export function downsampleSeries(series: PackedSeries, maxPoints: number): PackedSeries {
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
  const columns: Partial<Record<SeriesColumn, Float64Array>> = {};
  for (const [name, values] of Object.entries(series.columns) as [SeriesColumn, Float64Array][]) columns[name] = name === 'missedPeak' ? peaks : pick(values);
  return { time: pick(series.time), columns, events: series.events };
}

const TIMEOUT_MS = 30_000;
/** The child's heap: a 32 MiB file of small numbers parses into ≈ 13 million values. */
const TASK_HEAP_MB = 768;

function taskScript(): string {
  return resolveWorkerScript('recording', 'recordingTask.js', __dirname, path.join(__dirname, 'task.js'));
}

/** Runs one task in a fresh child process; rejects with a readable Error (the task's own message, or why it stopped). */
async function run(request: RecordingTaskRequest): Promise<RecordingTaskReply> {
  try {
    return await runIsolatedTask<RecordingTaskReply>(request, { script: taskScript(), what: 'the recording', heapMb: TASK_HEAP_MB, timeoutMs: TIMEOUT_MS });
  } catch (err) {
    if (err instanceof IsolatedTaskError && err.failure === 'out-of-memory') throw new Error('The file is too large or too deeply nested to be a recording.', { cause: err });
    // The task's own refusal, as it said it.
    if (err instanceof IsolatedTaskError && err.failure === 'failed') throw new Error(err.message, { cause: err });
    throw err;
  }
}

/** Reads and checks a .memwatch.json file: its info, its series (absolute times; no longer than a live one) and its summary (of every point). */
export async function openRecording(file: string): Promise<{ info: RecordingInfo; series: PackedSeries; run: RunView }> {
  const reply = await run({ task: 'open', file });
  // Its arrays are views of the whole reply: kept, they would keep (and post) all of it.
  return { info: reply.info!, series: copyPackedRows(reply.series!), run: reply.run! };
}

/** Writes a watch's series as a .memwatch.json file. */
export async function saveRecording(file: string, series: PackedSeries, meta: RecordingMeta): Promise<void> {
  await run({ task: 'save', file, series, meta });
}

/**
 * Writes the series as CSV: one file of samples (replaced if there: the save dialog asked), one of
 * markers, which replaces an existing file only with `markers: 'replace'` (the user was asked).
 * Neither is written through a symbolic link (core/util/noFollowWrite.ts).
 */
export async function exportCsv(samplesFile: string, markersFile: string, series: PackedSeries, meta: RecordingMeta, options: { readonly markers: 'create' | 'replace' } = { markers: 'create' }): Promise<void> {
  await run({ task: 'csv', samplesFile, markersFile, markers: options.markers, series, meta });
}

/** A live watch's series as comparisons need it (its summary). */
export async function viewOfSeries(series: PackedSeries, meta: RecordingMeta): Promise<RunView> {
  return (await run({ task: 'view', series, meta })).run!;
}
