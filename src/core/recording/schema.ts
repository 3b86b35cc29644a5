/**
 * The `.memwatch.json` recording: what a watch saw, kept to be reopened, shared and compared.
 * docs/recording-schema.md describes the file for people, docs/memwatch.schema.json for tools;
 * this module holds the types, the version and the bounds every reader enforces.
 *
 * Browser-safe on purpose (no Node modules): the webview or a worker thread can parse a file with
 * the same code as the extension host.
 */
import { SERIES_COLUMNS, SeriesColumn } from '../../shared/series';
import type { DiagnosisKind } from '../../shared/diagnosisKinds';

/** The marker in every file's `format` field: a JSON file without it is not a recording. */
export const RECORDING_FORMAT = 'memwatch-recording';

/**
 * The format version this code writes: "major.minor". A reader accepts any file of its own major
 * version (newer minors only add optional fields, which it ignores) and refuses a newer major
 * with a "made by a newer Memory Watch" message.
 */
export const RECORDING_VERSION = { major: 1, minor: 1 } as const;

/** The file extension the save dialog proposes. */
export const RECORDING_FILE_EXTENSION = '.memwatch.json';

/**
 * The largest file a reader takes. The caller checks the size with fstat BEFORE reading: a file
 * this large takes well over 50 ms to JSON.parse, so it must be parsed off the extension host's
 * thread (a worker thread or the webview), with parseRecording.
 */
export const MAX_RECORDING_BYTES = 32 * 1024 * 1024;

/** Bounds a reader enforces; the live series never exceeds 20,000 points (MAX_CAPACITY). */
export const RECORDING_LIMITS = {
  /** Samples (entries of `time` and of each column's `values`). */
  maxPoints: 200_000,
  /** Columns, known or not. */
  maxColumns: 64,
  /** Markers. */
  maxEvents: 5_000,
  /** Characters in any one string (label, detail, process name, …). */
  maxStringChars: 4096,
  /** Largest time offset: about 31.7 years in ms, far beyond any window. */
  maxOffsetMs: 1e12,
  /** Largest epoch ms (startTime): year 275760, the end of what Date represents. */
  maxEpochMs: 8.64e15,
} as const;

/**
 * The shape of a recording's JSON, checked in one bounded pass before JSON.parse (util/jsonShape.ts):
 * JSON.parse itself has no limits, and 20 MiB of nested brackets or 10 million empty objects make it
 * allocate far past any heap before the validator below could refuse them. A recording nests 4
 * deep (columns → a column → its values); the rest leaves room for fields later minors add.
 */
export const RECORDING_SHAPE = {
  maxDepth: 16,
  maxArrayItems: RECORDING_LIMITS.maxPoints,
  maxObjectKeys: 256,
  // A character written as \uXXXX takes 6 bytes.
  maxStringBytes: RECORDING_LIMITS.maxStringChars * 6,
  // Every column full, the times, and the markers with their fields.
  maxValues: (RECORDING_LIMITS.maxColumns + 1) * RECORDING_LIMITS.maxPoints + RECORDING_LIMITS.maxEvents * 16 + 1024,
} as const;

/**
 * How much of a marker's text is shown (and sent to the graph): a label is drawn small beside its
 * marker and a detail is a hover, so a file's 4,096-character strings are cut there. Without it, a
 * file of 5,000 markers with long labels made tens of MiB of state to post at every redraw.
 */
export const SHOWN_MARKER_CHARS = { label: 200, detail: 500 } as const;

/** `text`, cut to `max` characters with an ellipsis. */
export function shortenForDisplay(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a column's integers count: bytes, or a plain count (GC cycles, goroutines). */
export type ColumnUnit = 'bytes' | 'count' | (string & NonNullable<unknown>);

/** Columns that count things rather than bytes; every other column is in bytes. */
const COUNT_COLUMNS: ReadonlySet<string> = new Set(['gcCycles', 'goroutines', 'cgroupOomKills']);

/** The unit a column is written with (every series column is bytes except the counts). */
export function unitOf(column: string): ColumnUnit {
  return COUNT_COLUMNS.has(column) ? 'count' : 'bytes';
}

/** The series columns this version knows; a file's other columns are kept but not drawn. */
export const KNOWN_COLUMNS: readonly SeriesColumn[] = SERIES_COLUMNS;

/** One column: its unit and one value per sample, null where it was not measured. */
export interface RecordingColumn {
  readonly unit: ColumnUnit;
  /** Whole numbers ≥ 0, or null for a missing value; as many as the recording's `time`. */
  readonly values: readonly (number | null)[];
}

/** A marker: attach, a FreeOSMemory release, a pause band, an exit, a note … */
export interface RecordingEvent {
  /** ms from the recording's startTime. */
  readonly time: number;
  /** For a band: when it ended (ms from startTime); absent while it lasted past the recording. */
  readonly endTime?: number;
  /**
   * What happened: "attach", "release", "release-failed", "exit", "detach", "pause", "session",
   * "note" today; later versions may add kinds ("gc", "oom-kill"), which readers keep as they are.
   */
  readonly kind: string;
  /** The short text drawn by the marker. */
  readonly label: string;
  /** The longer text shown on hover. */
  readonly detail?: string;
  /** A span of time (a shaded band) rather than an instant. */
  readonly band?: boolean;
  /** A measured amount, in bytes: for a release, what it freed (RSS before − lowest RSS after). */
  readonly bytes?: number;
}

/** The process recorded. Never its command line: it can hold secrets, and recordings get shared. */
export interface RecordingProcess {
  /** The executable's base name. */
  readonly name: string;
  readonly pid: number;
  /** "go1.26.0" (or "Go" when the version is unknown) for a Go program. */
  readonly go?: string;
}

/** The settings that shaped the data. */
export interface RecordingSettings {
  /** Time between samples (the watch's interval; FreeOSMemory bursts sample faster). */
  readonly sampleIntervalMs: number;
  /** The history the watch kept: older points had been dropped. */
  readonly windowMs: number;
}

/**
 * Where a recording's data came from when it was not a watch of this machine (format 1.1): a
 * Prometheus server's history. Never credentials: the server is its URL without them.
 */
export interface RecordingSource {
  readonly kind: 'prometheus';
  /** The server's URL with its path prefix ("https://mimir.example.com/prometheus"). */
  readonly server: string;
  /** The series selector the history was read with, and the one replica this recording is. */
  readonly selector: string;
  readonly replica: string;
  /** The range read, ISO 8601 (UTC), and its step. */
  readonly start: string;
  readonly end: string;
  readonly stepSeconds: number;
}

/** A whole recording, as written and as read back. */
export interface Recording {
  readonly format: typeof RECORDING_FORMAT;
  /** "major.minor" of the file; serializeRecording always writes RECORDING_VERSION. */
  readonly version: string;
  /** When the file was made, ISO 8601 (UTC). */
  readonly createdAt: string;
  /** What made it: { name: "Memory Watch", version: "0.1.0" }. */
  readonly tool: { readonly name: string; readonly version: string };
  readonly process: RecordingProcess;
  readonly settings: RecordingSettings;
  /** Where the Go figures came from, as the watch described it (absent: not known). */
  readonly goFigures?: string;
  /** Where the data came from, when not a watch of this machine (format 1.1). */
  readonly source?: RecordingSource;
  /**
   * The one-line diagnosis shown when the file was made, if any. The file's `kind` is kept only
   * when this version knows it (it names a CSS class in the graph); a later version's new kind
   * leaves the message alone.
   */
  readonly diagnosis?: { readonly kind?: DiagnosisKind; readonly message: string };
  /** Epoch ms every other time is counted from: the first sample's (or earlier marker's) time. */
  readonly startTime: number;
  /** Sample times, ms from startTime, whole numbers, never decreasing. */
  readonly time: readonly number[];
  /** Columns by name; a column never measured is absent. */
  readonly columns: Readonly<Record<string, RecordingColumn>>;
  readonly events: readonly RecordingEvent[];
}

/** The version string this code writes. */
export function currentVersion(): string {
  return `${RECORDING_VERSION.major}.${RECORDING_VERSION.minor}`;
}
