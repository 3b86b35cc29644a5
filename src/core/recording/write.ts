/**
 * Writing a recording: from the series a watch holds (SeriesSnapshot) to the compact file — times
 * as whole-ms offsets, one array of whole numbers per column, null for a missing value.
 */
import { SERIES_COLUMNS, SeriesSnapshot } from '../../shared/series';
import { DiagnosisKind, isDiagnosisKind } from '../../shared/diagnosisKinds';
import type { WatchSummary } from '../../shared/watchSummary';
import { currentVersion, Recording, RECORDING_FORMAT, RECORDING_LIMITS, RecordingColumn, RecordingEvent, RecordingProcess, RecordingSettings, RecordingSource, unitOf } from './schema';

/** What the series does not know: the process, the settings, the context shown at the time. */
export interface RecordingMeta {
  readonly process: RecordingProcess;
  readonly settings: RecordingSettings;
  /** The Go figures' source line ("Go figures: Memory Watch agent at …"). */
  readonly goFigures?: string;
  readonly diagnosis?: { readonly kind?: DiagnosisKind; readonly message: string };
  /** Where the data came from, when not a watch of this machine (a Prometheus server's history). */
  readonly source?: RecordingSource;
  /** The extension's version (package.json). */
  readonly toolVersion: string;
  /** When the file is made; now by default. */
  readonly createdAt?: Date;
}

/** The tool name written in every file. */
export const TOOL_NAME = 'Memory Watch';

/**
 * How long after a release marker its effect is looked for when the marker carries no amount:
 * the live measurement's burst (release/measure.ts BURST_DURATION_MS, not imported so this module
 * stays free of Node-only code).
 */
export const RELEASE_EFFECT_WINDOW_MS = 2000;

/**
 * Meta from what the graph already shows about a watch (describeWatch). Its command line is left
 * out on purpose; `windowMs` comes from the settings (the summary does not carry it).
 */
export function metaFromWatchSummary(summary: WatchSummary, windowMs: number, toolVersion: string, createdAt?: Date): RecordingMeta {
  return {
    process: { name: summary.name, pid: summary.pid, ...(summary.go ? { go: summary.go } : {}) },
    settings: { sampleIntervalMs: summary.intervalMs, windowMs },
    goFigures: summary.goFigures.text,
    ...(summary.diagnosis ? { diagnosis: summary.diagnosis } : {}),
    toolVersion,
    createdAt,
  };
}

/**
 * A recording of `snapshot` (absolute times, NaN for missing values, as TimeSeries.snapshot()
 * gives). Every column of SERIES_COLUMNS with at least one value is written, so columns added to
 * the series later are recorded without a change here. The result always passes parseRecording:
 * rows out of time order or without a finite time are skipped, values that are not finite and
 * ≥ 0 become null, strings are cut to the limit, and beyond the point and marker limits the
 * newest are kept.
 */
export function recordingFromSnapshot(snapshot: SeriesSnapshot, meta: RecordingMeta): Recording {
  const { maxEvents, maxOffsetMs } = RECORDING_LIMITS;
  let rows = usableRows(snapshot.time);
  const firstSample = rows.length ? snapshot.time[rows[0]] : undefined;
  // Markers within the span a file can express around the samples (always, for a live series).
  const events = snapshot.events
    .filter((e) => usableTime(e.time) && (firstSample === undefined || Math.abs(e.time - firstSample) <= maxOffsetMs / 2))
    .slice(-maxEvents);
  // A pause band can start before the oldest point still kept: count from whichever came first.
  const earliest = events.reduce((min, e) => Math.min(min, e.time), firstSample ?? Infinity);
  const startTime = Number.isFinite(earliest) ? Math.floor(earliest) : Math.floor((meta.createdAt ?? new Date()).getTime());
  const offset = (t: number) => Math.min(maxOffsetMs, Math.round(t) - startTime);
  rows = rows.filter((i) => snapshot.time[i] - startTime <= maxOffsetMs);

  const columns: Record<string, RecordingColumn> = {};
  for (const name of SERIES_COLUMNS) {
    const source: readonly number[] | undefined = snapshot.columns[name];
    const values = rows.map((i) => wholeOrNull(source?.[i]));
    if (values.some((v) => v !== null)) columns[name] = { unit: unitOf(name), values };
  }

  return {
    format: RECORDING_FORMAT,
    version: currentVersion(),
    createdAt: (meta.createdAt ?? new Date()).toISOString(),
    tool: { name: TOOL_NAME, version: bounded(meta.toolVersion) },
    process: { name: bounded(meta.process.name), pid: meta.process.pid, ...(meta.process.go ? { go: bounded(meta.process.go) } : {}) },
    settings: { sampleIntervalMs: Math.round(meta.settings.sampleIntervalMs), windowMs: Math.round(meta.settings.windowMs) },
    ...(meta.goFigures ? { goFigures: bounded(meta.goFigures) } : {}),
    // A file's diagnosis has a known kind (the schema); one without (read from a later version's file) is not passed on.
    ...(meta.diagnosis && isDiagnosisKind(meta.diagnosis.kind) ? { diagnosis: { kind: meta.diagnosis.kind, message: bounded(meta.diagnosis.message) } } : {}),
    ...(meta.source
      ? { source: { ...meta.source, server: bounded(meta.source.server), selector: bounded(meta.source.selector), replica: bounded(meta.source.replica), stepSeconds: Math.max(1, Math.round(meta.source.stepSeconds)) } }
      : {}),
    startTime,
    time: rows.map((i) => offset(snapshot.time[i])),
    columns,
    events: events.map((e): RecordingEvent => {
      const bytes = carriedBytes(e) ?? (e.kind === 'release' ? releaseEffect(snapshot, rows, e.time) : undefined);
      return {
        time: offset(e.time),
        ...(e.endTime !== undefined && usableTime(e.endTime) ? { endTime: Math.max(offset(e.time), offset(e.endTime)) } : {}),
        kind: e.kind,
        label: bounded(e.label),
        ...(e.detail !== undefined ? { detail: bounded(e.detail) } : {}),
        ...(e.band ? { band: true } : {}),
        ...(bytes !== undefined ? { bytes } : {}),
      };
    }),
  };
}

/** The file's text: compact JSON (no indentation: a 1 h recording stays well under 2 MiB). */
export function serializeRecording(recording: Recording): string {
  // Fields in a fixed order, format and version first, so `head -c 80` identifies a file.
  return JSON.stringify({
    format: RECORDING_FORMAT,
    version: currentVersion(),
    createdAt: recording.createdAt,
    tool: recording.tool,
    process: recording.process,
    settings: recording.settings,
    goFigures: recording.goFigures,
    diagnosis: recording.diagnosis,
    source: recording.source,
    startTime: recording.startTime,
    time: recording.time,
    columns: recording.columns,
    events: recording.events,
  });
}

/** An epoch ms time a file can hold. */
function usableTime(t: number): boolean {
  return Number.isFinite(t) && t >= 0 && t <= RECORDING_LIMITS.maxEpochMs - RECORDING_LIMITS.maxOffsetMs;
}

/** Indexes of the rows to write: usable times in order, at most the newest maxPoints. */
function usableRows(time: readonly number[]): number[] {
  const rows: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < time.length; i++) {
    if (!usableTime(time[i]) || time[i] < last) continue;
    rows.push(i);
    last = time[i];
  }
  return rows.slice(-RECORDING_LIMITS.maxPoints);
}

function wholeOrNull(value: number | undefined): number | null {
  if (value === undefined || !Number.isFinite(value) || value < 0) return null;
  const whole = Math.round(value);
  return whole <= Number.MAX_SAFE_INTEGER ? whole : null;
}

function bounded(text: string): string {
  return text.length > RECORDING_LIMITS.maxStringChars ? `${text.slice(0, RECORDING_LIMITS.maxStringChars - 1)}…` : text;
}

/** A marker's own amount, when the live series gave it one (a future SeriesEvent field). */
function carriedBytes(event: object): number | undefined {
  const bytes = (event as { bytes?: unknown }).bytes;
  return typeof bytes === 'number' ? (wholeOrNull(bytes) ?? undefined) : undefined;
}

/**
 * What a release freed, measured from the samples the way the live measurement does: RSS at the
 * last sample at or before the trigger minus the lowest RSS within RELEASE_EFFECT_WINDOW_MS
 * after it, never negative. Undefined when either side has no sample.
 */
function releaseEffect(snapshot: SeriesSnapshot, rows: readonly number[], triggerTime: number): number | undefined {
  const rss = snapshot.columns.rss;
  if (!rss) return undefined;
  let before: number | undefined;
  let low = Infinity;
  for (const i of rows) {
    const t = snapshot.time[i];
    // The figures as the file holds them (a size it cannot hold is not there to measure from).
    const value = wholeOrNull(rss[i]);
    if (value === null) continue;
    if (t <= triggerTime) before = value;
    else if (t <= triggerTime + RELEASE_EFFECT_WINDOW_MS) low = Math.min(low, value);
    else break;
  }
  if (before === undefined || low === Infinity) return undefined;
  return Math.round(Math.max(0, before - low));
}
