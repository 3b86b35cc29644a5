/**
 * The hostile corpus of files and profiles: what an attacker (or a broken tool) can hand Memory
 * Watch to open or read — recordings made to exhaust a parser, heap profiles that inflate into
 * huge fields or carry enormous strings — each small to describe, written or served for real by
 * the tests (test/integration/hostileFiles.test.ts, and the extension-host suite opens the same
 * files in the custom editor). Every case must end as one clear line, with the extension host
 * alive and never blocked for 50 ms.
 */
import * as fs from 'fs';
import * as path from 'path';
import zlib = require('zlib');
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { SERIES_COLUMNS } from '../../src/shared/series';

/** A recording file of the corpus: its name and how to write it. */
export interface HostileRecording {
  readonly name: string;
  /** What it is, for the test's title. */
  readonly what: string;
  /** Opens, shown as a recording (true), or is refused with a reason (false). */
  readonly opens: boolean;
  /** The points its graph draws, when it opens. */
  readonly points?: number;
  write(file: string): void;
}

/** A recording with every series column, `points` samples 100 ms apart, and `markers` markers of `labelChars` characters. */
export function validRecordingText(points: number, markers = 0, labelChars = 10): string {
  const time = Array.from({ length: points }, (_, i) => i * 100);
  const columns = Object.fromEntries(
    SERIES_COLUMNS.map((c, k) => [c, { unit: c === 'gcCycles' || c === 'goroutines' || c === 'cgroupOomKills' ? 'count' : 'bytes', values: time.map((_, i) => (c === 'rss' ? 100 * 2 ** 20 + ((i * 4099) % (64 * 2 ** 20)) : (i * (k + 3) * 7919) % 2 ** 30)) }]),
  );
  const events = Array.from({ length: markers }, (_, i) => ({ time: Math.floor((i * points * 100) / Math.max(1, markers)), kind: 'note', label: `${i} `.padEnd(labelChars, 'x'), detail: 'd'.repeat(labelChars) }));
  return JSON.stringify({
    format: 'memwatch-recording',
    version: '1.0',
    createdAt: '2026-12-01T10:00:00.000Z',
    tool: { name: 'Memory Watch', version: '0.1.0' },
    process: { name: 'svc', pid: 42, go: 'go1.26.0' },
    settings: { sampleIntervalMs: 100, windowMs: 3_600_000 },
    startTime: 1_800_000_000_000,
    time,
    columns,
    events,
  });
}

const TEN_MILLION = 10_000_000;

/** The recordings of the corpus. */
export const HOSTILE_RECORDINGS: readonly HostileRecording[] = [
  { name: 'deep-arrays', what: '10 million [ then ] (20 MiB)', opens: false, write: (file) => fs.writeFileSync(file, '['.repeat(TEN_MILLION) + ']'.repeat(TEN_MILLION)) },
  { name: 'empty-objects', what: 'an array of 10 million empty objects (29 MiB)', opens: false, write: (file) => fs.writeFileSync(file, `[${'{},'.repeat(TEN_MILLION - 1)}{}]`) },
  {
    name: 'deep-objects',
    what: '2 million nested objects inside a recording',
    opens: false,
    write: (file) => fs.writeFileSync(file, `{"format":"memwatch-recording","version":"1.0","x":${'{"a":'.repeat(2_000_000)}0${'}'.repeat(2_000_000)}}`),
  },
  {
    name: 'many-keys',
    what: 'an object of 2 million keys',
    opens: false,
    write: (file) => {
      const parts = ['{"format":"memwatch-recording","version":"1.0"'];
      for (let i = 0; i < 2_000_000; i++) parts.push(`,"k${i}":0`);
      parts.push('}');
      fs.writeFileSync(file, parts.join(''));
    },
  },
  { name: 'one-huge-string', what: 'one string of 30 MiB', opens: false, write: (file) => fs.writeFileSync(file, `{"format":"memwatch-recording","version":"1.0","createdAt":"${'a'.repeat(30 * 2 ** 20)}"}`) },
  { name: 'long-marker-text', what: '5,000 markers with 3,000-character labels (29 MiB)', opens: true, points: 200, write: (file) => fs.writeFileSync(file, validRecordingText(200, 5_000, 3_000)) },
  { name: 'full-graph', what: 'a full live series: 20,000 points of every column', opens: true, points: 20_000, write: (file) => fs.writeFileSync(file, validRecordingText(20_000, 50)) },
];

/** Writes every recording of the corpus into `dir`; their paths by name. */
export function writeHostileRecordings(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of HOSTILE_RECORDINGS) {
    const file = path.join(dir, `${r.name}.memwatch.json`);
    r.write(file);
    files.set(r.name, file);
  }
  return files;
}

/** A heap profile body (gzip) of the corpus. */
export interface HostileProfile {
  readonly name: string;
  readonly what: string;
  /** Read into a view (true), or refused with a reason (false). */
  readonly reads: boolean;
  body(): Buffer;
}

/** A protobuf varint. */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/**
 * A real-looking Go heap profile: the four sample types, `functions` functions whose names and
 * file paths are `nameChars` long, one sample per function.
 */
export function heapProfileBytes(functions: number, nameChars = 30): Buffer {
  const strings = new StringTable();
  const valueType = (type: string, unit: string) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) });
  const fns: PprofFunction[] = [];
  const locations: Location[] = [];
  const samples: Sample[] = [];
  for (let i = 1; i <= functions; i++) {
    const name = `example.com/svc/store.f${i}`.padEnd(nameChars, 'x');
    const file = `/src/svc/store${i}.go`.padStart(nameChars, '/');
    fns.push(new PprofFunction({ id: i, name: strings.dedup(name), systemName: strings.dedup(name), filename: strings.dedup(file) }));
    locations.push(new Location({ id: i, line: [new Line({ functionId: i, line: 10 + i })] }));
    samples.push(new Sample({ locationId: [i], value: [i, i * 1024, i * 2, i * 2048] }));
  }
  const profile = new Profile({
    sampleType: [valueType('alloc_objects', 'count'), valueType('alloc_space', 'bytes'), valueType('inuse_objects', 'count'), valueType('inuse_space', 'bytes')],
    sample: samples,
    location: locations,
    function: fns,
    stringTable: strings,
    periodType: valueType('space', 'bytes'),
    period: 524288,
  });
  return Buffer.from(profile.encode());
}

/** The heap profiles of the corpus. */
export const HOSTILE_PROFILES: readonly HostileProfile[] = [
  {
    name: 'packed-zeros',
    what: 'a 64 KiB gzip body that inflates to one packed field of 64 MiB of zero varints',
    reads: false,
    body: () => {
      const payload = Buffer.alloc(64 * 2 ** 20);
      // Field 13 (comment), wire type 2: a packed repeated int64 of 64 Mi zeros.
      const head = Buffer.from([(13 << 3) | 2, ...varint(payload.length)]);
      return zlib.gzipSync(Buffer.concat([heapProfileBytes(3), head, payload]), { level: 9 });
    },
  },
  {
    name: 'long-strings',
    what: '100 functions whose names and file paths are 100 KiB each',
    reads: true,
    body: () => zlib.gzipSync(heapProfileBytes(100, 100 * 1024), { level: 9 }),
  },
  {
    name: 'near-cap',
    what: 'a body just under the 64 MiB cap (gzip, stored)',
    reads: false,
    body: () => zlib.gzipSync(Buffer.concat([heapProfileBytes(10), Buffer.alloc(63 * 2 ** 20, 0x55)]), { level: 0 }),
  },
];
