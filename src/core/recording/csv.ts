/**
 * A recording as two CSV files (RFC 4180: CRLF line ends, fields with a comma, quote or line break
 * in double quotes, quotes doubled) for a spreadsheet or pandas: one row per sample, one row per
 * marker. Marker texts come from the target; one that a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a carriage return) gets a leading apostrophe.
 */
import { Recording } from './schema';

/** The two files' contents. */
export interface RecordingCsv {
  /** time_ms, time_iso, then one column per recorded series column: "rss_bytes", "gc_cycles_count" … */
  readonly samples: string;
  /** time_ms, time_iso, end_ms, kind, label, detail, bytes. */
  readonly markers: string;
}

const CRLF = '\r\n';

/**
 * Both CSV files. time_ms is ms from the recording's first sample or marker (its startTime),
 * time_iso the absolute UTC time; an empty cell is a value not measured.
 */
export function toCsv(recording: Recording): RecordingCsv {
  const names = Object.keys(recording.columns);
  const columns = names.map((name) => recording.columns[name]);
  const iso = (offset: number) => new Date(recording.startTime + offset).toISOString();

  const sampleLines = [['time_ms', 'time_iso', ...names.map((name, i) => `${snakeCase(name)}_${columns[i].unit}`)].join(',')];
  for (let row = 0; row < recording.time.length; row++) {
    const t = recording.time[row];
    // Numbers only (and names checked by the reader): nothing here needs quoting.
    sampleLines.push([t, iso(t), ...columns.map((c) => c.values[row] ?? '')].join(','));
  }

  const markerLines = ['time_ms,time_iso,end_ms,kind,label,detail,bytes'];
  for (const e of recording.events) {
    markerLines.push([String(e.time), iso(e.time), e.endTime ?? '', field(e.kind), field(textCell(e.label)), field(textCell(e.detail ?? '')), e.bytes ?? ''].join(','));
  }
  return { samples: sampleLines.join(CRLF) + CRLF, markers: markerLines.join(CRLF) + CRLF };
}

/**
 * Text a spreadsheet must not run: a cell starting with = + - @ (or a tab or CR, which some
 * strip before looking) is a formula to Excel, LibreOffice and Google Sheets. OWASP's advice: a
 * leading apostrophe makes it text.
 */
export function textCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** heapObjects → heap_objects, for the header. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
