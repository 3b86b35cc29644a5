/**
 * The recording worker (bundled as dist/recordingWorker.js): one task per thread, see offThread.ts.
 * It reads and writes the files itself, so the extension host never holds a big JSON text.
 */
import { promises as fsp } from 'fs';
import path = require('path');
import { parentPort } from 'worker_threads';
import { inspectWriteTarget, RefusedWrite, writeNoFollow } from '../util/noFollowWrite';
import { readSmallFile } from '../util/smallFile';
import { runView } from './compare';
import { toCsv } from './csv';
import { MAX_CAPACITY } from '../series';
import { downsampleSeries, fromTransferable, toTransferable, transferList, WorkerReply, WorkerRequest } from './offThread';
import { parseRecording, toSeriesSnapshot } from './read';
import { MAX_RECORDING_BYTES } from './schema';
import { recordingFromSnapshot, serializeRecording } from './write';

async function handle(request: WorkerRequest): Promise<{ reply: WorkerReply; transfer?: ArrayBuffer[] }> {
  switch (request.task) {
    case 'open': {
      // Bounded and non-blocking: a FIFO or a 2 GiB file named .memwatch.json is refused at once.
      const text = await readSmallFile(request.file, MAX_RECORDING_BYTES).catch((err: Error) => {
        throw new Error(/larger than/.test(err.message) ? `The file is larger than ${MAX_RECORDING_BYTES / 1024 / 1024} MiB: not a recording Memory Watch wrote.` : err.message, { cause: err });
      });
      const parsed = parseRecording(text);
      if (!parsed.ok) return { reply: { ok: false, message: parsed.message } };
      const { format, version, createdAt, tool, process, settings, goFigures, diagnosis, startTime, events } = parsed.recording;
      const info = { format, version, createdAt, tool, process, settings, goFigures, diagnosis, startTime, events };
      // The summary is of every point; the series to show, no longer than a live one.
      const series = downsampleSeries(toTransferable(toSeriesSnapshot(parsed.recording)), MAX_CAPACITY);
      return { reply: { ok: true, info, series, run: runView(parsed.recording) }, transfer: transferList(series) };
    }
    case 'save': {
      const recording = recordingFromSnapshot(fromTransferable(request.series), request.meta);
      await fsp.writeFile(request.file, serializeRecording(recording), 'utf8');
      return { reply: { ok: true } };
    }
    case 'csv': {
      const csv = toCsv(recordingFromSnapshot(fromTransferable(request.series), request.meta));
      // Both checked before either is written: a refused markers file leaves no samples without them.
      const samples = await inspectWriteTarget(request.samplesFile);
      const markers = await inspectWriteTarget(request.markersFile);
      for (const target of [samples, markers]) if (target.kind === 'refused') throw new RefusedWrite(target.reason);
      if (markers.kind === 'file' && request.markers === 'create') throw new RefusedWrite(`${path.basename(request.markersFile)} already exists`);
      await writeNoFollow(request.markersFile, csv.markers, request.markers);
      await writeNoFollow(request.samplesFile, csv.samples, 'replace');
      return { reply: { ok: true } };
    }
    case 'view':
      return { reply: { ok: true, run: runView(recordingFromSnapshot(fromTransferable(request.series), request.meta)) } };
  }
}

parentPort?.once('message', (request: WorkerRequest) => {
  handle(request).then(
    ({ reply, transfer }) => parentPort!.postMessage(reply, transfer ?? []),
    (err: unknown) => parentPort!.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
