/**
 * The .memwatch.json format: written from series recorded on real Go programs, read back to the
 * same data, within its size budget, and every kind of bad or hostile file refused with a clear
 * message — never an exception, never a hang.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { formatBytes, MiB } from '../../src/shared/format';
import {
  MAX_RECORDING_BYTES,
  parseRecording,
  Recording,
  RECORDING_FORMAT,
  RECORDING_LIMITS,
  recordingFromSnapshot,
  RecordingMeta,
  serializeRecording,
  toSeriesSnapshot,
} from '../../src/core/recording';
import { capacityFor, MAX_CAPACITY, SERIES_COLUMNS, SeriesColumn, SeriesEvent, SeriesSnapshot, TimeSeries } from '../../src/shared/series';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded');
const SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'docs', 'memwatch.schema.json');

/** Series recorded by test/integration/diagnosis.test.ts from real Go programs (250 ms samples, agent figures). */
function recorded(name: string): SeriesSnapshot {
  const snapshot: SeriesSnapshot = JSON.parse(fs.readFileSync(path.join(RECORDED, `series-${name}.json`), 'utf8'));
  // JSON wrote the live series' NaN (not measured) as null: put them back as the series had them.
  for (const values of Object.values(snapshot.columns)) values.forEach((v, i) => (values[i] = v ?? NaN));
  return snapshot;
}
const SERIES_FILES = ['cgo', 'leak', 'live-heap', 'madv-free', 'spike-then-free'];

const META: RecordingMeta = {
  process: { name: 'sources-agent', pid: 10310, go: 'go1.26.0' },
  settings: { sampleIntervalMs: 250, windowMs: 120_000 },
  goFigures: 'Go figures: Memory Watch agent at http://127.0.0.1:40123/debug/memorywatch/',
  diagnosis: { kind: 'free-held', message: '200.0 MiB is free heap the Go runtime still holds — it returns it gradually; Free OS Memory releases it now.' },
  toolVersion: '0.1.0',
  createdAt: new Date('2026-11-30T10:00:00.000Z'),
};

function roundTrip(snapshot: SeriesSnapshot, meta = META): { recording: Recording; text: string; back: SeriesSnapshot } {
  const recording = recordingFromSnapshot(snapshot, meta);
  const text = serializeRecording(recording);
  const parsed = parseRecording(text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return { recording: parsed.recording, text, back: toSeriesSnapshot(parsed.recording) };
}

/** Same numbers, NaN equal to NaN; a column the source lacked reads back as all NaN. */
function assertSameSeries(actual: SeriesSnapshot, expected: SeriesSnapshot): void {
  assert.deepStrictEqual(actual.time, expected.time);
  for (const column of SERIES_COLUMNS) {
    const want = expected.columns[column] ?? expected.time.map(() => NaN);
    assert.deepStrictEqual(actual.columns[column], want, column);
  }
  const strip = (events: SeriesEvent[]) => events.map(({ id: _id, ...rest }) => rest);
  // A release marker recorded before markers carried their amount gets it measured from the
  // samples when written: it reads back with it.
  const withoutBytes = ({ bytes: _bytes, ...rest }: SeriesEvent): SeriesEvent => rest;
  const measured = actual.events.map((e, i) => {
    if (e.kind !== 'release' || expected.events[i]?.bytes !== undefined) return e;
    assert.ok(e.bytes !== undefined && e.bytes >= 0, `release marker ${i}: ${e.bytes}`);
    return withoutBytes(e);
  });
  assert.deepStrictEqual(strip(measured), strip(expected.events));
}

function messageOf(text: string): string {
  const result = parseRecording(text);
  assert.strictEqual(result.ok, false, 'expected the file to be refused');
  return (result as { message: string }).message;
}

/** A valid file's JSON object, to damage in the tests. */
function validObject(): Record<string, unknown> {
  return JSON.parse(serializeRecording(recordingFromSnapshot(recorded('spike-then-free'), META)));
}

describe('recording: write and read back', () => {
  for (const name of SERIES_FILES) {
    it(`round trip keeps every value and marker of the real series "${name}"`, () => {
      const snapshot = recorded(name);
      const { back, recording } = roundTrip(snapshot);
      assertSameSeries(back, snapshot);
      assert.strictEqual(recording.time.length, snapshot.time.length);
      assert.strictEqual(recording.time[0], 0, 'the first sample starts the clock');
    });
  }

  it('opens a file saved with a UTF-8 byte-order mark', () => {
    const text = serializeRecording(recordingFromSnapshot(recorded('cgo'), META));
    const withBom = new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    assert.strictEqual(withBom.charCodeAt(0), 0xfeff);
    assert.ok(parseRecording(withBom).ok);
  });

  it('keeps the process, the settings, the Go source and the diagnosis — never a command line', () => {
    const { recording, text } = roundTrip(recorded('live-heap'), { ...META, process: { ...META.process, commandLine: 'server --token=s3cret' } as RecordingMeta['process'] });
    assert.deepStrictEqual(recording.process, META.process);
    assert.deepStrictEqual(recording.settings, META.settings);
    assert.strictEqual(recording.goFigures, META.goFigures);
    assert.deepStrictEqual(recording.diagnosis, META.diagnosis);
    assert.deepStrictEqual(recording.tool, { name: 'Memory Watch', version: '0.1.0' });
    assert.strictEqual(recording.createdAt, '2026-11-30T10:00:00.000Z');
    assert.ok(!text.includes('s3cret'), 'a command line that slipped into the meta is not written');
    assert.ok(text.startsWith(`{"format":"${RECORDING_FORMAT}","version":"1.1",`), text.slice(0, 60));
  });

  it('keeps where a Prometheus history came from (format 1.1), and checks it like the rest', () => {
    const source = { kind: 'prometheus' as const, server: 'https://mimir.example.com/prometheus', selector: '{job="api"}', replica: '{job="api", pod="api-7"}', start: '2026-12-06T14:00:00.000Z', end: '2026-12-07T14:00:00.000Z', stepSeconds: 60 };
    const { recording, text } = roundTrip(recorded('live-heap'), { ...META, source });
    assert.deepStrictEqual(recording.source, source);
    const file = JSON.parse(text) as Record<string, Record<string, unknown>>;
    // A kind a later version may add is ignored, as an unknown field is.
    file.source.kind = 'otlp';
    const later = parseRecording(JSON.stringify(file));
    assert.ok(later.ok && later.recording.source === undefined);
    file.source = { ...source, start: 'yesterday' };
    const bad = parseRecording(JSON.stringify(file));
    assert.ok(!bad.ok && /source\.start/.test(bad.message), JSON.stringify(bad));
  });

  it('a diagnosis kind this version does not know: the message kept, the kind dropped (it names a CSS class in the graph)', () => {
    for (const kind of ['leak live-heap', 'leak" onclick="x', 'a-kind-from-a-later-version', '__proto__', 'toString', '']) {
      const file = validObject();
      file.diagnosis = { kind, message: 'Something stood out.' };
      const parsed = parseRecording(JSON.stringify(file));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
      assert.deepStrictEqual(parsed.recording.diagnosis, { message: 'Something stood out.' }, kind);
    }
    for (const kind of ['leak', 'near-limit', 'outside-go']) {
      const file = validObject();
      file.diagnosis = { kind, message: 'Known.' };
      const parsed = parseRecording(JSON.stringify(file));
      assert.deepStrictEqual(parsed.ok && parsed.recording.diagnosis, { kind, message: 'Known.' });
    }
  });

  it('omits columns never measured; they read back as NaN', () => {
    const { recording } = roundTrip(recorded('cgo'));
    assert.ok(!('heapLive' in recording.columns), 'heapLive was never measured in this run');
    assert.ok(!('goRss' in recording.columns), 'the recorded file predates goRss');
    assert.deepStrictEqual(recording.columns.rss.unit, 'bytes');
    assert.deepStrictEqual(recording.columns.gcCycles.unit, 'count');
    assert.strictEqual(recording.columns.heapObjects.values[0], null, 'no Go figures in the first samples');
  });

  it('a release marker carries what it freed, measured from the samples as the live measurement did', () => {
    const snapshot = recorded('spike-then-free');
    const { recording } = roundTrip(snapshot);
    const release = recording.events.find((e) => e.kind === 'release')!;
    const live = snapshot.events.find((e) => e.kind === 'release')!;
    // The live label ("−200.0 MiB") was written by release/measure.ts from the same samples.
    assert.strictEqual(`−${formatBytes(release.bytes)}`, live.label);
    assert.match(live.detail!, new RegExp(`Released ${formatBytes(release.bytes)}`));
  });

  it('a release that freed nothing carries (almost) nothing', () => {
    const { recording } = roundTrip(recorded('madv-free'));
    const release = recording.events.find((e) => e.kind === 'release')!;
    assert.strictEqual(release.label, 'no change');
    assert.ok(release.bytes! < MiB, String(release.bytes));
  });

  it('keeps bands, their ends and open bands; an unknown kind is drawn as a note', () => {
    const snapshot = recorded('leak');
    const t0 = snapshot.time[0];
    const withBands: SeriesSnapshot = {
      ...snapshot,
      events: [
        // A pause that began before the oldest point still kept: the clock starts there.
        { id: 7, time: t0 - 1500, endTime: t0 + 500, kind: 'pause', label: 'paused', band: true, detail: 'Stopped in the debugger' },
        ...snapshot.events,
        { id: 9, time: t0 + 3000, kind: 'pause', label: 'paused', band: true },
      ],
    };
    const { recording, back } = roundTrip(withBands);
    assert.strictEqual(recording.startTime, t0 - 1500);
    assert.strictEqual(recording.time[0], 1500);
    assert.deepStrictEqual(recording.events[0], { time: 0, endTime: 2000, kind: 'pause', label: 'paused', detail: 'Stopped in the debugger', band: true });
    assertSameSeries(back, withBands);

    const text = serializeRecording(recording).replace('"kind":"attach"', '"kind":"oom-kill"');
    const reread = parseRecording(text);
    assert.ok(reread.ok);
    assert.strictEqual(reread.recording.events[1].kind, 'oom-kill', 'the recording keeps the kind as written');
    assert.strictEqual(toSeriesSnapshot(reread.recording).events[1].kind, 'note');
  });

  it('a newer minor version with unknown fields and columns opens; unknown columns are kept but not drawn', () => {
    const file = validObject();
    file.version = '1.7';
    file.somethingNew = { nested: [1, 2, 3] };
    const points = (file.time as number[]).length;
    (file.columns as Record<string, unknown>).schedLatency = { unit: 'count', values: Array.from({ length: points }, (_, i) => 10 + i) };
    (file.columns as Record<string, unknown>).numaRemote = { unit: 'bytes', values: Array.from({ length: points }, () => null), future: true };
    const result = parseRecording(JSON.stringify(file));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.strictEqual(result.recording.version, '1.7');
    assert.strictEqual(result.recording.columns.schedLatency.values[3], 13);
    const snapshot = toSeriesSnapshot(result.recording);
    assert.ok(!('schedLatency' in snapshot.columns));
    assert.deepStrictEqual(Object.keys(snapshot.columns), [...SERIES_COLUMNS]);
    // Written again, it says what this code writes, and keeps the extra column.
    const again = parseRecording(serializeRecording(result.recording));
    assert.ok(again.ok && again.recording.version === '1.1' && again.recording.columns.schedLatency.unit === 'count');
  });

  // Found by the property below: a release measured from an RSS the file cannot hold (2^53) gave
  // the marker an amount the reader refuses, so the file written could not be opened.
  it('a release marker measured from figures the file cannot hold gets no amount, and the file opens', () => {
    const time = [1e12, 1e12 + 1000, 1e12 + 2000];
    const columns = Object.fromEntries(SERIES_COLUMNS.map((c) => [c, time.map(() => NaN)])) as Record<SeriesColumn, number[]>;
    columns.rss = [2 ** 53, 0, 0];
    const events: SeriesEvent[] = [{ id: 1, time: 1e12 + 500, kind: 'release', label: '' }];
    const result = parseRecording(serializeRecording(recordingFromSnapshot({ time, columns, events }, META)));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.strictEqual(result.recording.events[0].bytes, undefined);
  });

  it('whatever the snapshot holds, what is written reads back (NaN, negatives, fractions, disorder, long texts)', () => {
    const value = fc.oneof(fc.double(), fc.constant(NaN), fc.integer({ min: -5, max: 2 ** 40 }));
    const event = fc.record({
      id: fc.nat(),
      time: fc.oneof(fc.integer({ min: 1e12, max: 1e12 + 1e6 }), fc.constant(NaN)),
      kind: fc.constantFrom<SeriesEvent['kind']>('attach', 'release', 'pause', 'note', 'exit'),
      label: fc.string({ maxLength: 5000, unit: 'grapheme' }),
      detail: fc.option(fc.string(), { nil: undefined }),
      band: fc.option(fc.boolean(), { nil: undefined }),
      endTime: fc.option(fc.integer({ min: 1e12, max: 1e12 + 2e6 }), { nil: undefined }),
    });
    const snapshot = fc.integer({ min: 0, max: 40 }).chain((n) =>
      fc.record({
        time: fc.array(fc.oneof(fc.integer({ min: 1e12, max: 1e12 + 1e6 }), fc.double()), { minLength: n, maxLength: n }),
        rss: fc.array(value, { minLength: n, maxLength: n }),
        heapObjects: fc.array(value, { minLength: n, maxLength: n }),
        events: fc.array(event, { maxLength: 5 }),
      }),
    );
    fc.assert(
      fc.property(snapshot, (s) => {
        const columns = Object.fromEntries(SERIES_COLUMNS.map((c) => [c, s.time.map(() => NaN)])) as Record<SeriesColumn, number[]>;
        columns.rss = s.rss;
        columns.heapObjects = s.heapObjects;
        const text = serializeRecording(recordingFromSnapshot({ time: s.time, columns, events: s.events as SeriesEvent[] }, META));
        const result = parseRecording(text);
        assert.ok(result.ok, result.ok ? '' : result.message);
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });
});

describe('recording: size and speed', function () {
  this.timeout(60_000);

  /**
   * An hour at 1 Hz as a real watch would fill it: every column present (Go figures from the
   * agent), values of realistic size that change every sample (no run of equal numbers to make
   * the text shorter), plus three columns later versions add (cgroup usage and working set,
   * goroutines): 20 columns.
   */
  function hourAt1Hz(): Recording {
    const window = 3_600_000;
    const series = new TimeSeries(window, capacityFor(window, 1000));
    const start = Date.UTC(2026, 10, 30, 9);
    let gc = 0;
    for (let i = 0; i < 3600; i++) {
      const t = start + i * 1000 + (i % 7);
      const wave = Math.sin(i / 300);
      const heap = Math.round((600 + 300 * wave + 40 * Math.random()) * MiB);
      const rss = Math.round((heap + 120 * MiB + Math.random() * 8 * MiB) / 4096) * 4096;
      if (i % 13 === 0) gc++;
      series.push(t, {
        rss,
        vsz: 3_100_000_000 + Math.round(Math.random() * 1e7) * 4096,
        rssAnon: rss - 9 * MiB,
        rssFile: 9 * MiB + (i % 5) * 4096,
        lazyFree: 0,
        heapObjects: heap,
        heapUnused: Math.round(Math.random() * 20 * MiB),
        heapFree: Math.round(Math.random() * 90 * MiB),
        heapReleased: Math.round(Math.random() * 300 * MiB),
        stacks: 1_900_000 + Math.round(Math.random() * 200_000),
        goTotal: heap + Math.round(Math.random() * 400 * MiB),
        gcGoal: Math.round(heap * 1.9),
        gcCycles: gc,
        heapLive: Math.round(heap * 0.8),
        memoryLimit: 4 * 1024 * MiB,
        goRss: rss + Math.round(Math.random() * 4096),
        missedPeak: i % 600 === 5 ? rss + 90 * MiB : NaN,
      });
      if (i % 300 === 0) series.addEvent({ time: t, kind: 'release', label: '−120.0 MiB', detail: 'FreeOSMemory (agent): Released 120.0 MiB: RSS 840.2 → 720.2 MiB in 0.3 s' });
    }
    const recording = recordingFromSnapshot(series.snapshot(), { ...META, settings: { sampleIntervalMs: 1000, windowMs: window } });
    const points = recording.time.length;
    const future = (base: number) => ({ unit: 'bytes', values: Array.from({ length: points }, () => base + Math.round(Math.random() * 500 * MiB)) });
    return {
      ...recording,
      columns: {
        ...recording.columns,
        cgroupUsage: future(1200 * MiB),
        cgroupWorkingSet: future(1000 * MiB),
        goroutines: { unit: 'count', values: Array.from({ length: points }, () => 200 + Math.round(Math.random() * 5000)) },
      },
    };
  }

  it('one hour at 1 Hz with 20 columns fits in 2 MiB, and reads back whole', () => {
    const recording = hourAt1Hz();
    assert.strictEqual(Object.keys(recording.columns).length, 20);
    assert.strictEqual(recording.time.length, 3600);
    const started = performance.now();
    const text = serializeRecording(recording);
    const wrote = performance.now() - started;
    const bytes = Buffer.byteLength(text);
    const readStart = performance.now();
    const result = parseRecording(text);
    const read = performance.now() - readStart;
    console.log(`      1 h at 1 Hz, 20 columns: ${bytes} bytes (${formatBytes(bytes)}); serialize ${wrote.toFixed(1)} ms, parse+validate ${read.toFixed(1)} ms`);
    assert.ok(bytes <= 2 * MiB, `${formatBytes(bytes)} is over the 2 MiB budget`);
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepStrictEqual(result.recording.columns, recording.columns);
  });

  it('a full series (20,000 points) and a file near MAX_RECORDING_BYTES: linear, bounded work', () => {
    const full = hourAt1Hz();
    const scale = (n: number) => ({
      ...full,
      time: Array.from({ length: n }, (_, i) => i * 180),
      columns: Object.fromEntries(Object.entries(full.columns).map(([k, c]) => [k, { unit: c.unit, values: Array.from({ length: n }, (_, i) => c.values[i % c.values.length]) }])),
    });
    const sizes: string[] = [];
    // 170,000 points × 20 columns: just under MAX_RECORDING_BYTES.
    for (const points of [MAX_CAPACITY, 170_000]) {
      const text = serializeRecording(scale(points));
      const jsonStart = performance.now();
      JSON.parse(text);
      const jsonMs = performance.now() - jsonStart;
      const started = performance.now();
      const result = parseRecording(text);
      const ms = performance.now() - started;
      sizes.push(`${points} points: ${formatBytes(Buffer.byteLength(text))}, JSON.parse ${jsonMs.toFixed(0)} ms, parseRecording ${ms.toFixed(0)} ms`);
      assert.ok(result.ok, result.ok ? '' : result.message);
      assert.ok(Buffer.byteLength(text) <= MAX_RECORDING_BYTES);
      assert.ok(ms < 10_000, `${ms} ms`);
    }
    console.log(`      ${sizes.join('; ')}`);
  });
});

describe('recording: bad and hostile files get a clear message', () => {
  function damage(edit: (file: Record<string, unknown>) => void): string {
    const file = validObject();
    edit(file);
    return messageOf(JSON.stringify(file));
  }
  const columns = (file: Record<string, unknown>) => file.columns as Record<string, { unit: string; values: unknown[] }>;

  it('not JSON, not an object, not a recording', () => {
    assert.match(messageOf('{"format": "memwatch-recording", '), /^Not a Memory Watch recording: the file is not valid JSON \(.+\)\.$/);
    assert.match(messageOf(''), /not valid JSON/);
    assert.match(messageOf('[1,2,3]'), /^Not a Memory Watch recording: it has no "format": "memwatch-recording" marker\.$/);
    assert.match(messageOf('null'), /no "format"/);
    assert.match(messageOf('{"format":"something-else","version":"1.0"}'), /no "format"/);
    assert.match(messageOf(JSON.stringify(recorded('leak'))), /no "format"/, 'a bare series snapshot is not a recording');
    assert.match((parseRecording(undefined as unknown as string) as { message: string }).message, /no text/);
  });

  it('versions: a newer major says so; nonsense versions are refused', () => {
    assert.strictEqual(
      damage((f) => (f.version = '2.0')),
      'This recording was made by a newer Memory Watch (format 2.0); this version reads format 1.x. Update Memory Watch to open it.',
    );
    assert.match(damage((f) => (f.version = 1)), /"version" is missing or not "major\.minor"/);
    assert.match(damage((f) => delete f.version), /"version" is missing/);
    assert.match(damage((f) => (f.version = '0.9')), /format version 0\.9 never existed/);
    assert.match(damage((f) => (f.version = '1.0-beta')), /not "major\.minor"/);
  });

  it('values: NaN as text, Infinity, negatives, fractions, huge numbers', () => {
    const at = (value: unknown) =>
      damage((f) => {
        columns(f).rss.values[5] = value;
      });
    assert.strictEqual(at('NaN'), 'The recording is damaged: columns.rss.values[5] is "NaN", not a whole number from 0 to 9007199254740991.');
    assert.match(at(-1), /columns\.rss\.values\[5\] is -1,/);
    assert.match(at(1.5), /is 1\.5,/);
    assert.match(at(2 ** 60), /not a whole number/);
    assert.match(at([1]), /is a list,/);
    // JSON has no Infinity; 1e400 is how a file gets one.
    const text = JSON.stringify(validObject()).replace(/"rss":\{"unit":"bytes","values":\[\d+/, '"rss":{"unit":"bytes","values":[1e400');
    assert.match(messageOf(text), /columns\.rss\.values\[0\] is Infinity,/);
  });

  it('shapes: unequal lengths, times going back, missing fields, wrong types', () => {
    assert.match(damage((f) => columns(f).vsz.values.pop()), /^The recording is damaged: columns\.vsz\.values has 45 values for 46 sample times\.$/);
    assert.match(
      damage((f) => ((f.time as number[])[10] = 1)),
      /^The recording is damaged: time\[10\] \(1\) is earlier than the sample before it \(\d+\); times must not decrease\.$/,
    );
    assert.match(damage((f) => delete f.time), /time is missing or not a list/);
    assert.match(damage((f) => (f.columns = [])), /columns is missing or not an object/);
    assert.match(damage((f) => delete f.process), /process is missing or not an object/);
    assert.match(damage((f) => ((f.process as Record<string, unknown>).pid = '10310')), /process\.pid is "10310",/);
    assert.match(damage((f) => (f.createdAt = 'yesterday')), /createdAt is not an ISO 8601 UTC time/);
    assert.match(damage((f) => ((f.events as Record<string, unknown>[])[1].endTime = 0)), /events\[1\]\.endTime is 0, not a whole number from \d+/);
    assert.match(damage((f) => ((f.events as Record<string, unknown>[])[0].kind = 'Attach!')), /events\[0\]\.kind is not a marker kind/);
    assert.match(damage((f) => ((f.events as Record<string, unknown>[])[0].band = 'yes')), /events\[0\]\.band is not true or false/);
    assert.match(damage((f) => delete (f.events as Record<string, unknown>[])[0].label), /events\[0\]\.label is missing/);
    assert.match(damage((f) => (columns(f).rss.unit = 'MiB, really')), /columns\.rss\.unit is not a unit name/);
  });

  it('counts and lengths over the limits are refused before any walk', () => {
    assert.match(
      damage((f) => (f.time = new Array(RECORDING_LIMITS.maxPoints + 1).fill(0))),
      /^The recording is damaged: time has 200001 samples; at most 200000 are allowed\.$/,
    );
    assert.match(
      damage((f) => {
        for (let i = 0; i < 60; i++) columns(f)[`extra${i}`] = columns(f).rss;
      }),
      /columns has \d+ columns; at most 64 are allowed/,
    );
    assert.match(damage((f) => (f.events = new Array(5001).fill({ time: 0, kind: 'note', label: 'x' }))), /events has 5001 markers; at most 5000 are allowed/);
    assert.match(damage((f) => ((f.events as Record<string, unknown>[])[0].detail = 'x'.repeat(4097))), /events\[0\]\.detail is longer than 4096 characters/);
    assert.match(messageOf(' '.repeat(MAX_RECORDING_BYTES + 1)), /^The file is too large to be a Memory Watch recording \(over 32 MiB\)\.$/);
  });

  it('prototype pollution: "__proto__" and friends neither pollute nor count', () => {
    const polluted = '{"__proto__":{"format":"memwatch-recording","version":"1.0","polluted":true}}';
    assert.match(messageOf(polluted), /no "format"/, 'a marker in __proto__ is not the file’s own');
    const asText = JSON.stringify(validObject()).replace('"columns":{', '"columns":{"__proto__":{"unit":"bytes","values":[]},');
    assert.match(messageOf(asText), /columns\."__proto__" is not a valid column name/);
    assert.match(
      damage((f) => {
        (columns(f) as Record<string, unknown>)['constructor'] = columns(f).rss;
      }),
      /columns\.constructor is not a valid column name/,
    );
    // A file without a "settings" must not find Object.prototype's "constructor" or a polluted one.
    assert.match(damage((f) => delete f.settings), /settings is missing or not an object/);
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
    assert.strictEqual(Object.prototype.hasOwnProperty.call(Object.prototype, 'format'), false);
  });

  it('deep nesting in any field: refused quickly, no stack overflow', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const started = performance.now();
    const text = JSON.stringify(validObject()).replace('"events":[', `"events":[${deep},`);
    assert.match(messageOf(text), /events\[0\] is not an object/);
    assert.match(messageOf(`{"format":"memwatch-recording","version":"1.0","createdAt":${deep}}`), /createdAt is not text/);
    assert.ok(performance.now() - started < 2000);
  });

  it('random JSON and random damage never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseRecording(JSON.stringify(value) ?? '');
        assert.strictEqual(result.ok, false);
      }),
      { numRuns: 500 },
    );
    const base = validObject();
    const paths: (string | number)[][] = [['version'], ['startTime'], ['time', 3], ['columns', 'rss'], ['columns', 'rss', 'values', 2], ['events', 0], ['events', 1, 'bytes'], ['process'], ['settings', 'windowMs'], ['diagnosis']];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (where, value) => {
        const file = structuredClone(base);
        let node = file as Record<string | number, unknown>;
        for (const key of where.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
        node[where[where.length - 1]] = value;
        const result = parseRecording(JSON.stringify(file));
        if (!result.ok) assert.match(result.message, /^(The recording is damaged: |This recording was made by a newer|Not a Memory Watch recording)/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('recording: the JSON Schema (docs/memwatch.schema.json) agrees with the code', () => {
  // ajv 6 (draft-07) is already in node_modules as ESLint's dependency: used here only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Ajv = require('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
  const validate = new Ajv({ allErrors: true }).compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));

  it('every file the writer makes from real series is valid', () => {
    for (const name of SERIES_FILES) {
      const file = JSON.parse(serializeRecording(recordingFromSnapshot(recorded(name), META)));
      assert.ok(validate(file), `${name}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it('the example in docs/recording-schema.md is a valid recording', () => {
    const doc = fs.readFileSync(path.join(path.dirname(SCHEMA_FILE), 'recording-schema.md'), 'utf8');
    const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]);
    assert.ok(validate(example), JSON.stringify(validate.errors));
    const result = parseRecording(JSON.stringify(example));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.strictEqual(result.recording.events[1].bytes, 804990976);
  });

  it('and what the reader refuses for its shape, the schema refuses too', () => {
    const cases: ((f: Record<string, unknown>) => void)[] = [
      (f) => (f.format = 'x'),
      (f) => (f.version = 1),
      (f) => ((f.columns as Record<string, { values: unknown[] }>).rss.values[0] = 'NaN'),
      (f) => ((f.columns as Record<string, { values: unknown[] }>).rss.values[0] = -4),
      (f) => ((f.columns as Record<string, { values: unknown[] }>).rss.values[0] = 1.5),
      (f) => ((f.time as unknown[])[0] = -1),
      (f) => delete f.process,
      (f) => ((f.events as Record<string, unknown>[])[0].kind = 'Attach!'),
      (f) => ((f.events as Record<string, unknown>[])[0].label = 'x'.repeat(4097)),
      (f) => ((f.columns as Record<string, unknown>)['__proto__x'] = { unit: 'bytes', values: [] }),
    ];
    for (const [i, edit] of cases.entries()) {
      const file = validObject();
      edit(file);
      assert.strictEqual(validate(JSON.parse(JSON.stringify(file))), false, `case ${i}`);
      assert.strictEqual(parseRecording(JSON.stringify(file)).ok, false, `case ${i}`);
    }
  });
});
