/**
 * Reading a recording. The file comes from anywhere (a colleague, a bug report, an attacker), so
 * everything is checked before use and any problem becomes one clear message naming the field —
 * never an exception, never unbounded work: counts are checked before arrays are walked, and
 * nothing recurses into the input.
 */
import { SERIES_COLUMNS, SeriesColumn, SeriesEvent, SeriesSnapshot } from '../../shared/series';
import { isDiagnosisKind } from '../../shared/diagnosisKinds';
import { checkJsonShape } from '../util/jsonShape';
import { MAX_RECORDING_BYTES, Recording, RECORDING_FORMAT, RECORDING_LIMITS, RECORDING_SHAPE, RECORDING_VERSION, RecordingColumn, RecordingEvent, RecordingSource, shortenForDisplay, SHOWN_MARKER_CHARS } from './schema';

/** parseRecording's answer: the recording, or why the file cannot be opened. */
export type ParseResult = { readonly ok: true; readonly recording: Recording } | { readonly ok: false; readonly message: string };

/** Column names: an identifier, so a name is safe as an object key and in a CSV header. */
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Marker kinds and units: lower-case words joined by "-" or "_". */
const WORD = /^[a-z][a-z0-9_-]{0,31}$/;
const VERSION = /^(\d{1,6})\.(\d{1,6})$/;
/** The ISO 8601 form Date.toISOString writes (UTC), with optional milliseconds. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Thrown inside the validator only, with the message for the user; caught in parseRecording. */
class Invalid extends Error {}

/**
 * Checks and reads a recording's text. Returns { ok: false, message } for anything that is not a
 * valid recording of a version this code reads: not JSON, no format marker, a newer major version
 * ("made by a newer Memory Watch"), a wrong type, a non-integer or negative value, arrays of
 * unequal length, times out of order, a count or string over the limits (RECORDING_LIMITS).
 * Unknown fields are ignored; unknown columns are kept (and checked like the others).
 *
 * JSON.parse is linear but not free: near MAX_RECORDING_BYTES it takes far more than 50 ms, so
 * call this from a worker thread or the webview, not on the extension host's thread.
 */
export function parseRecording(text: string): ParseResult {
  if (typeof text !== 'string') return { ok: false, message: 'Not a Memory Watch recording: no text to read.' };
  // A UTF-16 length above the byte limit means more bytes than that (UTF-8 never uses fewer).
  if (text.length > MAX_RECORDING_BYTES) {
    return { ok: false, message: `The file is too large to be a Memory Watch recording (over ${MAX_RECORDING_BYTES / (1024 * 1024)} MiB).` };
  }
  let raw: unknown;
  try {
    // Some editors save UTF-8 with a byte-order mark, which JSON.parse refuses.
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    return { ok: false, message: `Not a Memory Watch recording: the file is not valid JSON (${shorten(err instanceof Error ? err.message : String(err))}).` };
  }
  try {
    return { ok: true, recording: readRecording(raw) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, message: err.message };
    // A bug of ours, not of the file; still a message rather than a crash of the caller.
    return { ok: false, message: `The recording could not be read: ${shorten(err instanceof Error ? err.message : String(err))}` };
  }
}

/**
 * Checks and reads a recording's bytes (UTF-8): first their shape, in one bounded pass (depth,
 * counts, string lengths: RECORDING_SHAPE), then {@link parseRecording}. Only this may be given a
 * file's raw contents: JSON.parse of an unchecked file can exhaust any heap.
 */
export function parseRecordingBytes(bytes: Uint8Array): ParseResult {
  if (bytes.length > MAX_RECORDING_BYTES) {
    return { ok: false, message: `The file is too large to be a Memory Watch recording (over ${MAX_RECORDING_BYTES / (1024 * 1024)} MiB).` };
  }
  const shape = checkJsonShape(bytes, RECORDING_SHAPE);
  if (!shape.ok) return { ok: false, message: `Not a Memory Watch recording: ${shape.message}.` };
  return parseRecording(new TextDecoder().decode(bytes));
}

/**
 * The recording as the live graph's data: absolute times, every known column (NaN where missing,
 * or all NaN when the file has no such column), markers with fresh ids. Columns this version does
 * not know are dropped; a marker kind it does not know is drawn as a note; a marker's text is cut
 * to what is shown (SHOWN_MARKER_CHARS).
 */
export function toSeriesSnapshot(recording: Recording): SeriesSnapshot {
  const time = recording.time.map((t) => recording.startTime + t);
  const columns = {} as Record<SeriesColumn, number[]>;
  for (const name of SERIES_COLUMNS) {
    const column = Object.hasOwn(recording.columns, name) ? recording.columns[name] : undefined;
    columns[name] = column ? column.values.map((v) => (v === null ? NaN : v)) : time.map(() => NaN);
  }
  const events = recording.events.map(
    (e, index): SeriesEvent => ({
      id: index + 1,
      time: recording.startTime + e.time,
      ...(e.endTime !== undefined ? { endTime: recording.startTime + e.endTime } : {}),
      kind: isSeriesEventKind(e.kind) ? e.kind : 'note',
      label: shortenForDisplay(e.label, SHOWN_MARKER_CHARS.label),
      ...(e.detail !== undefined ? { detail: shortenForDisplay(e.detail, SHOWN_MARKER_CHARS.detail) } : {}),
      ...(e.band ? { band: true } : {}),
      ...(e.bytes !== undefined ? { bytes: e.bytes } : {}),
    }),
  );
  return { time, columns, events };
}

/** The marker kinds the live series has: a Record, so adding a kind there fails to compile here. */
const SERIES_EVENT_KINDS: Readonly<Record<SeriesEvent['kind'], true>> = {
  attach: true,
  release: true,
  'release-failed': true,
  exit: true,
  oom: true,
  restart: true,
  detach: true,
  pause: true,
  session: true,
  note: true,
};

function isSeriesEventKind(kind: string): kind is SeriesEvent['kind'] {
  return Object.hasOwn(SERIES_EVENT_KINDS, kind);
}

function readRecording(raw: unknown): Recording {
  if (!isObject(raw) || own(raw, 'format') !== RECORDING_FORMAT) {
    throw new Invalid(`Not a Memory Watch recording: it has no "format": "${RECORDING_FORMAT}" marker.`);
  }
  const versionText = own(raw, 'version');
  const version = typeof versionText === 'string' ? VERSION.exec(versionText) : null;
  if (!version) throw new Invalid('The recording is damaged: "version" is missing or not "major.minor".');
  const major = Number(version[1]);
  if (major > RECORDING_VERSION.major) {
    throw new Invalid(
      `This recording was made by a newer Memory Watch (format ${versionText as string}); this version reads format ${RECORDING_VERSION.major}.x. Update Memory Watch to open it.`,
    );
  }
  if (major < RECORDING_VERSION.major) throw new Invalid(`The recording is damaged: format version ${versionText as string} never existed.`);

  const createdAt = text(raw, 'createdAt', 'createdAt');
  if (!ISO_TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw damaged('createdAt', 'is not an ISO 8601 UTC time');
  const tool = object(raw, 'tool', 'tool');
  const proc = object(raw, 'process', 'process');
  const settings = object(raw, 'settings', 'settings');
  const goFigures = optionalText(raw, 'goFigures', 'goFigures');
  const diagnosisRaw = own(raw, 'diagnosis');
  let diagnosis: Recording['diagnosis'];
  if (diagnosisRaw !== undefined && diagnosisRaw !== null) {
    if (!isObject(diagnosisRaw)) throw damaged('diagnosis', 'is not an object');
    const kind = text(diagnosisRaw, 'kind', 'diagnosis.kind');
    const message = text(diagnosisRaw, 'message', 'diagnosis.message');
    // Only a kind this version knows: the graph makes it a class ("later versions may add kinds").
    diagnosis = isDiagnosisKind(kind) ? { kind, message } : { message };
  }
  const source = readSource(own(raw, 'source'));
  const startTime = integer(own(raw, 'startTime'), 'startTime', 0, RECORDING_LIMITS.maxEpochMs);
  const time = readTimes(own(raw, 'time'));
  const columns = readColumns(own(raw, 'columns'), time.length);
  const events = readEvents(own(raw, 'events'));

  const go = optionalText(proc, 'go', 'process.go');
  return {
    format: RECORDING_FORMAT,
    version: versionText as string,
    createdAt,
    tool: { name: text(tool, 'name', 'tool.name'), version: text(tool, 'version', 'tool.version') },
    process: { name: text(proc, 'name', 'process.name'), pid: integer(own(proc, 'pid'), 'process.pid', 0, 2 ** 32), ...(go !== undefined ? { go } : {}) },
    settings: {
      sampleIntervalMs: integer(own(settings, 'sampleIntervalMs'), 'settings.sampleIntervalMs', 1, RECORDING_LIMITS.maxOffsetMs),
      windowMs: integer(own(settings, 'windowMs'), 'settings.windowMs', 1, RECORDING_LIMITS.maxOffsetMs),
    },
    ...(goFigures !== undefined ? { goFigures } : {}),
    ...(diagnosis ? { diagnosis } : {}),
    ...(source ? { source } : {}),
    startTime,
    time,
    columns,
    events,
  };
}

/** The optional `source` (format 1.1): a kind this version does not know is left out, as a newer minor's field would be. */
function readSource(raw: unknown): RecordingSource | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw damaged('source', 'is not an object');
  if (own(raw, 'kind') !== 'prometheus') return undefined;
  const start = text(raw, 'start', 'source.start');
  const end = text(raw, 'end', 'source.end');
  for (const [name, value] of [['source.start', start], ['source.end', end]]) {
    if (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) throw damaged(name, 'is not an ISO 8601 UTC time');
  }
  return {
    kind: 'prometheus',
    server: text(raw, 'server', 'source.server'),
    selector: text(raw, 'selector', 'source.selector'),
    replica: text(raw, 'replica', 'source.replica'),
    start,
    end,
    stepSeconds: integer(own(raw, 'stepSeconds'), 'source.stepSeconds', 1, 86_400 * 365),
  };
}

function readTimes(raw: unknown): number[] {
  const list = array(raw, 'time', RECORDING_LIMITS.maxPoints, 'samples');
  let last = 0;
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    const t = typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= RECORDING_LIMITS.maxOffsetMs ? value : integer(value, `time[${i}]`, 0, RECORDING_LIMITS.maxOffsetMs);
    if (t < last) throw damaged(`time[${i}]`, `(${t}) is earlier than the sample before it (${last}); times must not decrease`);
    last = t;
  }
  return list as number[];
}

function readColumns(raw: unknown, points: number): Record<string, RecordingColumn> {
  if (!isObject(raw)) throw damaged('columns', 'is missing or not an object');
  const names = Object.keys(raw);
  if (names.length > RECORDING_LIMITS.maxColumns) throw damaged('columns', `has ${names.length} columns; at most ${RECORDING_LIMITS.maxColumns} are allowed`);
  // Own enumerable keys of a JSON object, each checked before it becomes a key of ours.
  const columns: Record<string, RecordingColumn> = {};
  for (const name of names) {
    const where = `columns.${COLUMN_NAME.test(name) ? name : JSON.stringify(name.slice(0, 40))}`;
    if (!COLUMN_NAME.test(name) || name in Object.prototype) throw damaged(where, 'is not a valid column name (a letter, then letters, digits or "_")');
    const column = raw[name];
    if (!isObject(column)) throw damaged(where, 'is not an object');
    const unit = text(column, 'unit', `${where}.unit`);
    if (!WORD.test(unit)) throw damaged(`${where}.unit`, 'is not a unit name');
    const values = array(own(column, 'values'), `${where}.values`, RECORDING_LIMITS.maxPoints, 'values');
    if (values.length !== points) throw damaged(`${where}.values`, `has ${values.length} values for ${points} sample times`);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // The common case inline (millions of values); integer() builds the message otherwise.
      if (v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) continue;
      integer(v, `${where}.values[${i}]`, 0, Number.MAX_SAFE_INTEGER);
    }
    columns[name] = { unit, values: values as (number | null)[] };
  }
  return columns;
}

function readEvents(raw: unknown): RecordingEvent[] {
  const list = array(raw, 'events', RECORDING_LIMITS.maxEvents, 'markers');
  return list.map((item, i): RecordingEvent => {
    const where = `events[${i}]`;
    if (!isObject(item)) throw damaged(where, 'is not an object');
    const time = integer(own(item, 'time'), `${where}.time`, 0, RECORDING_LIMITS.maxOffsetMs);
    const endRaw = own(item, 'endTime');
    const endTime = endRaw === undefined ? undefined : integer(endRaw, `${where}.endTime`, time, RECORDING_LIMITS.maxOffsetMs);
    const kind = text(item, 'kind', `${where}.kind`);
    if (!WORD.test(kind)) throw damaged(`${where}.kind`, 'is not a marker kind (lower-case letters, digits, "-")');
    const detail = optionalText(item, 'detail', `${where}.detail`);
    const band = own(item, 'band');
    if (band !== undefined && typeof band !== 'boolean') throw damaged(`${where}.band`, 'is not true or false');
    const bytesRaw = own(item, 'bytes');
    const bytes = bytesRaw === undefined ? undefined : integer(bytesRaw, `${where}.bytes`, 0, Number.MAX_SAFE_INTEGER);
    return {
      time,
      ...(endTime !== undefined ? { endTime } : {}),
      kind,
      label: text(item, 'label', `${where}.label`),
      ...(detail !== undefined ? { detail } : {}),
      ...(band ? { band: true } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
    };
  });
}

function damaged(where: string, problem: string): Invalid {
  return new Invalid(`The recording is damaged: ${where} ${problem}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of the input, only if the input itself has it (never one inherited from Object.prototype). */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function object(parent: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const value = own(parent, key);
  if (!isObject(value)) throw damaged(where, 'is missing or not an object');
  return value;
}

function array(value: unknown, where: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw damaged(where, 'is missing or not a list');
  // Checked before the list is walked: the work stays bounded whatever the file holds.
  if (value.length > max) throw damaged(where, `has ${value.length} ${what}; at most ${max} are allowed`);
  return value;
}

function text(parent: Record<string, unknown>, key: string, where: string): string {
  const value = optionalText(parent, key, where);
  if (value === undefined) throw damaged(where, 'is missing');
  return value;
}

function optionalText(parent: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = own(parent, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw damaged(where, 'is not text');
  if (value.length > RECORDING_LIMITS.maxStringChars) throw damaged(where, `is longer than ${RECORDING_LIMITS.maxStringChars} characters`);
  return value;
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw damaged(where, `is ${describe(value)}, not a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A short, safe description of a bad value for the message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value;
}

function shorten(message: string): string {
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
