/**
 * The recording task (bundled as dist/recordingTask.js): run in a child process of its own by
 * offThread.ts, one task per process. It reads the file itself — bounded, and checked in shape
 * before JSON.parse — so a hostile file costs this process at most, never the extension host.
 */
import { promises as fsp } from 'fs';
import path = require('path');
import { inspectWriteTarget, RefusedWrite, writeNoFollow } from '../util/noFollowWrite';
import { serveIsolatedTask } from '../util/isolatedChild';
import { readSmallFileBytes } from '../util/boundedFile';
import { runView } from './compare';
import { toCsv } from './csv';
import { MAX_CAPACITY, MAX_SERIES_EVENTS, packSeries, unpackSeries } from '../../shared/series';
import { downsampleSeries, RecordingTaskReply, RecordingTaskRequest } from './offThread';
import { parseRecordingBytes, toSeriesSnapshot } from './read';
import { MAX_RECORDING_BYTES } from './schema';
import { recordingFromSnapshot, serializeRecording } from './write';

async function handle(request: RecordingTaskRequest): Promise<RecordingTaskReply> {
  switch (request.task) {
    case 'open': {
      // Bounded and non-blocking: a FIFO or a 2 GiB file named .memwatch.json is refused at once.
      const bytes = await readSmallFileBytes(request.file, MAX_RECORDING_BYTES).catch((err: Error) => {
        throw new Error(/larger than/.test(err.message) ? `The file is larger than ${MAX_RECORDING_BYTES / 1024 / 1024} MiB: not a recording Memory Watch wrote.` : err.message, { cause: err });
      });
      const parsed = parseRecordingBytes(bytes);
      if (!parsed.ok) throw new Error(parsed.message);
      const { format, version, createdAt, tool, process, settings, goFigures, diagnosis, source, startTime } = parsed.recording;
      // The markers go once, in the series (their text cut to what is shown).
      const info = { format, version, createdAt, tool, process, settings, goFigures, diagnosis, source, startTime };
      // The summary is of every point; the series to show, no longer than a live one.
      const shown = toSeriesSnapshot(parsed.recording);
      // Markers as a live series keeps them: the newest MAX_SERIES_EVENTS.
      const series = downsampleSeries(packSeries({ ...shown, events: shown.events.slice(-MAX_SERIES_EVENTS) }, { skipEmpty: true }), MAX_CAPACITY);
      return { info, series, run: runView(parsed.recording) };
    }
    case 'save': {
      const recording = recordingFromSnapshot(unpackSeries(request.series), request.meta);
      await fsp.writeFile(request.file, serializeRecording(recording), 'utf8');
      return {};
    }
    case 'csv': {
      const csv = toCsv(recordingFromSnapshot(unpackSeries(request.series), request.meta));
      // Both checked before either is written: a refused markers file leaves no samples without them.
      const samples = await inspectWriteTarget(request.samplesFile);
      const markers = await inspectWriteTarget(request.markersFile);
      for (const target of [samples, markers]) if (target.kind === 'refused') throw new RefusedWrite(target.reason);
      if (markers.kind === 'file' && request.markers === 'create') throw new RefusedWrite(`${path.basename(request.markersFile)} already exists`);
      await writeNoFollow(request.markersFile, csv.markers, request.markers);
      await writeNoFollow(request.samplesFile, csv.samples, 'replace');
      return {};
    }
    case 'view':
      return { run: runView(recordingFromSnapshot(unpackSeries(request.series), request.meta)) };
  }
}

serveIsolatedTask((request) => handle(request as RecordingTaskRequest));
