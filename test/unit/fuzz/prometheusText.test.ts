/**
 * Fuzz: the Prometheus text reader (src/core/goruntime/prometheusText.ts). Pages built from the
 * formats' grammar (samples with labels, escapes, quoted names, timestamps, exemplars; HELP, TYPE,
 * UNIT, EOF; blank lines, CRLF, garbage), the real recorded pages mutated, and token soup. Whatever
 * the input: no throw, no block, bounded memory, every figure within its bounds, and the same
 * result however the bytes are cut into chunks. Pages built from a model read back as the model.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { GoFigures } from '../../../src/core/goruntime/figures';
import { KEPT_SAMPLES, KeptSample, MAX_LINE_BYTES, PrometheusPage, PrometheusTextReader } from '../../../src/core/goruntime/prometheusText';
import { performance } from 'perf_hooks';
import { anyString, assertCount, assertOptionalCount, CALL_LIMIT_MS, chunkBoundaries, chunksOf, fuzz, HOSTILE_NUMBERS, mutatedBytes, mutatedText, RECORDED_DIR } from './support';

const FAMILY = 'prometheus text';

const PAGES = ['default-text', 'runtime-text', 'runtime-openmetrics', 'default-openmetrics', 'two-registries', 'gogc-off-limit'].map((n) => fs.readFileSync(path.join(RECORDED_DIR, 'prometheus', `${n}.txt`), 'utf8'));
/** Smaller seeds for the costlier mutations: each recorded page's lines around go_* and process_*. */
const SMALL_PAGES = PAGES.map((p) =>
  p
    .split('\n')
    .filter((l) => !/^(aaa_requests|zz_cache|# (HELP|TYPE|UNIT) (aaa_requests|zz_cache))/.test(l))
    .join('\n'),
);

/** What the reader may hold besides its fixed table: the head, one line, the problems. */
const HELD_LIMIT = MAX_LINE_BYTES + 17 * 200 * 2 + 1024;

/** The suite's rules for a page: figures and values within bounds, problems few and short. */
function assertPage(p: PrometheusPage): void {
  if (p.notASource !== undefined) {
    assert.ok(p.notASource.length <= 300, `notASource of ${p.notASource.length} characters`);
    assert.strictEqual(p.figures, undefined);
    assert.deepStrictEqual(p.values, {});
  }
  if (p.figures) assertFigures(p.figures);
  for (const [name, v] of Object.entries(p.values) as [KeptSample, number][]) {
    assert.ok(KEPT_SAMPLES.includes(name), name);
    assert.ok(Number.isFinite(v) && !Object.is(v, -0), `${name} = ${v}`);
    if (name === 'go_gc_gogc_percent') assert.ok(Number.isSafeInteger(v) && v >= -1, `${name} = ${v}`);
    else if (name.endsWith('_seconds')) assert.ok(v >= 0 && v <= 2 ** 53, `${name} = ${v}`);
    else if (name !== 'go_info') assertCount(name, v);
  }
  for (const k of ['rss', 'vsz'] as const) assertOptionalCount(k, p.process[k]);
  if (p.process.startTimeSeconds !== undefined) assert.ok(Number.isFinite(p.process.startTimeSeconds) && p.process.startTimeSeconds >= 0);
  assert.ok(p.problems.length <= 17, `${p.problems.length} problems`);
  for (const x of p.problems) assert.ok(typeof x === 'string' && x.length <= 200, `a problem of ${x.length} characters`);
  assert.ok(p.seen.length <= KEPT_SAMPLES.length && new Set(p.seen).size === p.seen.length);
}

function assertFigures(f: GoFigures): void {
  for (const k of ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'stacks', 'total', 'gcCycles', 'gcGoal'] as const) assertCount(k, f[k]);
  assert.ok(f.heapObjects + f.heapUnused + f.heapFree + f.heapReleased + f.stacks <= f.total, 'the parts fit in the total');
  for (const k of ['heapLive', 'memoryLimit', 'processRss', 'goroutines'] as const) assertOptionalCount(k, f[k]);
  if (f.gogc !== undefined) assert.ok(Number.isSafeInteger(f.gogc) && f.gogc >= -1, `gogc = ${f.gogc}`);
  if (f.goVersion !== undefined) assert.match(f.goVersion, /^go[\w.+-]{1,40}$/);
}

/**
 * Reads `bytes` cut at `cuts` with a fresh reader, checking the memory held after each feed, and
 * fails when the whole read (every feed and `end`) blocked for CALL_LIMIT_MS or more: each feed
 * blocked less than that. Support's `returns` cannot time a feed: it calls a slow call again, and
 * a chunk fed twice changes the reader. So a slow read is read again, anew, and the fastest of
 * three counts (the machine is shared: other work and CPU throttling stretch one read).
 */
function readChunks(bytes: Buffer, cuts: readonly number[] = []): PrometheusPage {
  const chunks = chunksOf(bytes, chunkBoundaries(bytes.length, cuts));
  const readOnce = (): { page: PrometheusPage; ms: number } => {
    const start = performance.now();
    const reader = new PrometheusTextReader();
    let heldMax = 0;
    for (const chunk of chunks) {
      reader.feed(chunk);
      heldMax = Math.max(heldMax, reader.heldBytes());
    }
    const page = reader.end();
    const ms = performance.now() - start;
    assert.ok(heldMax <= HELD_LIMIT, `held ${heldMax} bytes`);
    return { page, ms };
  };
  const first = readOnce();
  let ms = first.ms;
  for (let retry = 0; retry < 2 && ms >= CALL_LIMIT_MS; retry++) ms = Math.min(ms, readOnce().ms);
  assert.ok(ms < CALL_LIMIT_MS, `reading ${bytes.length} bytes in ${chunks.length} chunks blocked for ${ms.toFixed(1)} ms`);
  assertPage(first.page);
  return first.page;
}

// ---------------------------------------------------------------------------------------------
// The grammar

/** A label value's text as the formats escape it. */
const escape = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const legacyName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,40}$/);
/** Names close to ours: a prefix, a suffix, another case, a histogram's bucket. */
const nearMiss = fc.constantFrom(...KEPT_SAMPLES).chain((n) => fc.constantFrom(n.slice(0, -1), `${n}x`, `${n}_bucket`, `${n}_total`, n.toUpperCase(), `x${n}`, n.replace('_', '.'), `${n}:`));
const otherName = fc.oneof(legacyName, nearMiss).filter((n) => !(KEPT_SAMPLES as readonly string[]).includes(n));
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
const labelValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom('\\', '"', '\n', 'a\\"b', '\\n', '}', '{', ',', '=', '#', ' # {x="y"} 1', 'go_goroutines 5') },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => 'v'.repeat(n)) },
);
const labels = fc.array(fc.tuple(labelName, labelValue), { maxLength: 4 });

/** A number as an exporter may write it: Go's %g, JavaScript's, with exponents, NaN, ±Inf, or hostile. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map(String) },
  { weight: 2, arbitrary: fc.maxSafeNat().map((n) => n.toExponential()) },
  { weight: 2, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', 'nan', '1.8446744073709552e+19', '9.223372036854776e+18', '-1', '-0', '1e+07', '0.5') },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
);
/** Only what the grammar accepts as a number (the model's noise must be well-formed). */
const wellFormedValue = fc.oneof(fc.nat().map(String), fc.double().map(String), fc.constantFrom('NaN', '+Inf', '-Inf', '1e400', '-1e400', '.5', '5.', '1E3'));
const timestamp = fc.oneof(fc.integer({ min: -1e12, max: 2e12 }).map(String), fc.double({ min: 0, max: 2e9, noNaN: true }).map(String));
const exemplar = fc.tuple(labelValue, anyValue, fc.option(timestamp, { nil: undefined })).map(([trace, v, ts]) => ` # {trace_id="${escape(trace)}"} ${v}${ts !== undefined ? ` ${ts}` : ''}`);

interface SampleSpec {
  readonly name: string;
  readonly quoted: boolean;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: string;
  readonly timestamp?: string;
  readonly exemplar?: string;
  readonly indent: string;
}

function renderSample(s: SampleSpec): string {
  const ls = s.labels.map(([k, v]) => `${k}="${escape(v)}"`);
  // A name the legacy charset cannot spell must be quoted inside the braces.
  const quoted = s.quoted || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s.name);
  const head = quoted ? `{"${escape(s.name)}"${ls.map((l) => `,${l}`).join('')}}` : ls.length ? `${s.name}{${ls.join(',')}}` : s.name;
  return `${s.indent}${head} ${s.value}${s.timestamp !== undefined ? ` ${s.timestamp}` : ''}${s.exemplar ?? ''}`;
}

const sampleSpec = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string> = anyValue): fc.Arbitrary<SampleSpec> =>
  fc.record({
    name,
    quoted: fc.boolean(),
    labels,
    value,
    timestamp: fc.option(timestamp, { nil: undefined }),
    exemplar: fc.option(exemplar, { nil: undefined }),
    indent: fc.constantFrom('', '', '', ' ', '\t'),
  });

const comment = fc.oneof(
  fc.tuple(fc.oneof(otherName, fc.constantFrom(...KEPT_SAMPLES)), fc.string({ unit: 'grapheme', maxLength: 60 })).map(([n, t]) => `# HELP ${n} ${t.replace(/\n/g, '\\n')}`),
  fc.tuple(fc.oneof(otherName, fc.constantFrom(...KEPT_SAMPLES)), fc.constantFrom('gauge', 'counter', 'summary', 'histogram', 'untyped', 'unknown', 'info', 'stateset', 'gaugehistogram')).map(([n, t]) => `# TYPE ${n} ${t}`),
  fc.tuple(fc.oneof(otherName, fc.constantFrom(...KEPT_SAMPLES)), fc.constantFrom('bytes', 'seconds', 'gc_cycles')).map(([n, u]) => `# UNIT ${n} ${u}`),
  fc.constantFrom('#', '# ', '# EOF', '#EOF', '# EOF ', '# eof'),
);

/** Any line a page may hold, well-formed or not. */
const anyLine = fc.oneof(
  { weight: 6, arbitrary: sampleSpec(fc.oneof(otherName, fc.constantFrom(...KEPT_SAMPLES))).map(renderSample) },
  { weight: 3, arbitrary: comment },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r') },
  { weight: 1, arbitrary: anyString(80) },
);

const page = fc.tuple(fc.array(anyLine, { maxLength: 40 }), fc.constantFrom('\n', '\n', '\r\n'), fc.boolean()).map(([lines, nl, trailing]) => lines.join(nl) + (trailing ? nl : ''));

/** Input shaped to hit the reader's states. */
const tokenSoup = fc
  .array(fc.constantFrom('{', '}', '"', '\\', '\\"', '=', ',', ' ', '\t', '\n', '\r\n', '#', '# ', '# EOF', '# EOF\n', 'go_goroutines', 'go_info', 'process_resident_memory_bytes', '{"go_goroutines"', 'version', '="go1.2"', ' 1', ' NaN', ' 1e400', ' -1', 'é', '\u0000', '\uffff'), { maxLength: 80 })
  .map((parts) => parts.join(''));

// ---------------------------------------------------------------------------------------------
// A model: kept samples with valid values, among noise

type Kind = 'count' | 'seconds' | 'percent' | 'limit' | 'info';
function kindOf(name: KeptSample): Kind {
  if (name === 'go_info') return 'info';
  if (name === 'go_gc_gogc_percent') return 'percent';
  if (name === 'go_gc_gomemlimit_bytes') return 'limit';
  return name.endsWith('_seconds') ? 'seconds' : 'count';
}

/** A valid value of each kind: its spelling on the page and the number the reader must give. */
const validValue: Record<Kind, fc.Arbitrary<[string, number]>> = {
  count: fc.oneof(
    fc.nat().map((n) => [String(n), n] as [string, number]),
    fc.maxSafeNat().map((n) => [n.toExponential(), n] as [string, number]),
    fc.maxSafeNat().map((n) => [`${n}.0`, n] as [string, number]),
  ),
  seconds: fc.double({ min: 0, max: 4e9, noNaN: true }).map((s) => [String(s), s + 0] as [string, number]),
  percent: fc.oneof(fc.integer({ min: -1, max: 100_000 }).map((n) => [String(n), n + 0] as [string, number]), fc.constant(['1.8446744073709552e+19', -1] as [string, number])),
  limit: fc.oneof(fc.maxSafeNat().map((n) => [String(n), n] as [string, number]), fc.constant(['9.223372036854776e+18', 0] as [string, number])),
  info: fc.constant(['1', 1] as [string, number]),
};

const modelEntry = fc.constantFrom(...KEPT_SAMPLES).chain((name) =>
  fc.tuple(fc.constant(name), validValue[kindOf(name)], labels, fc.boolean(), fc.stringMatching(/^go1\.\d{1,2}(\.\d{1,2})?$/), fc.option(timestamp, { nil: undefined }), fc.option(exemplar, { nil: undefined })),
);

const modelPage = fc
  .tuple(
    fc.uniqueArray(modelEntry, { selector: ([name]) => name, maxLength: KEPT_SAMPLES.length }),
    fc.array(fc.oneof(sampleSpec(otherName, wellFormedValue).map(renderSample), comment.filter((c) => (c === '#' || c.startsWith('# ')) && !/^# EOF ?$/.test(c)), fc.constantFrom('', ' ')), { maxLength: 30 }),
    fc.array(fc.nat(), { maxLength: 40 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
  )
  .map(([entries, noise, positions, nl, eof]) => {
    const expected: Partial<Record<KeptSample, number>> = {};
    const versions: Partial<Record<KeptSample, string>> = {};
    const lines = [...noise];
    entries.forEach(([name, [text, number], ls, quoted, version, ts, ex], i) => {
      expected[name] = number;
      // Labels named "version" belong to go_info alone here (any other is only noise).
      const kept = ls.filter(([k]) => k !== 'version');
      if (name === 'go_info') versions[name] = version;
      const spec: SampleSpec = { name, quoted, labels: name === 'go_info' ? [...kept, ['version', version]] : kept, value: text, timestamp: ts, exemplar: ex, indent: '' };
      lines.splice((positions[i] ?? 0) % (lines.length + 1), 0, renderSample(spec));
    });
    return { text: lines.join(nl) + nl + (eof ? `# EOF${nl}` : ''), expected, version: versions.go_info };
  });

// ---------------------------------------------------------------------------------------------

describe('fuzz: Prometheus text reader', () => {
  it('any page of the grammar: no throw, bounded, every figure within bounds, the same in any chunking', () => {
    fuzz(
      FAMILY,
      600,
      fc.property(page, fc.array(fc.nat(), { maxLength: 30 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        assert.deepStrictEqual(readChunks(bytes, cuts), readChunks(bytes));
      }),
    );
  });

  it('a page built from a model reads back as the model, in any chunking', () => {
    fuzz(
      FAMILY,
      600,
      fc.property(modelPage, fc.array(fc.nat(), { maxLength: 30 }), ({ text, expected, version }, cuts) => {
        const bytes = Buffer.from(text);
        const p = readChunks(bytes, cuts);
        if (text.trim() === '') {
          assert.match(p.notASource ?? '', /only blank lines/);
          return;
        }
        assert.strictEqual(p.notASource, undefined);
        assert.deepStrictEqual(p.values, expected);
        assert.deepStrictEqual(p.figures?.goVersion, p.figures ? version : undefined);
        // The only problems a valid page can have: figures that do not add up (random values).
        for (const x of p.problems) assert.match(x, /^dropped (the Go figures|heapUnused|heapFree|stacks): /);
        assert.deepStrictEqual(readChunks(bytes), p);
      }),
    );
  });

  it('the real pages, mutated (text and bytes): no throw, bounded, within bounds, the same in any chunking', () => {
    fuzz(
      FAMILY,
      300,
      fc.property(fc.oneof(mutatedText(SMALL_PAGES, 4, 100_000).map((t) => Buffer.from(t)), mutatedBytes(SMALL_PAGES.map((t) => Buffer.from(t)), 6)), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        assert.deepStrictEqual(readChunks(bytes, cuts), readChunks(bytes));
      }),
    );
    fuzz(
      FAMILY,
      60,
      fc.property(mutatedText(PAGES, 2), fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        assert.deepStrictEqual(readChunks(bytes, cuts), readChunks(bytes));
      }),
    );
  });

  it('token soup and random bytes: no throw, bounded, the same in any chunking', () => {
    fuzz(
      FAMILY,
      800,
      fc.property(fc.oneof(tokenSoup.map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), anyString(300).map((s) => Buffer.from(s))), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        assert.deepStrictEqual(readChunks(bytes, cuts), readChunks(bytes));
      }),
    );
  });

  it('long lines, kept or not, at any place: memory stays bounded', () => {
    const long = fc.tuple(fc.constantFrom('app_x{a="', 'go_info{version="go1.2",a="', '# HELP go_goroutines ', 'go_goroutines ', '{"', ''), fc.integer({ min: 1, max: 300_000 }), fc.constantFrom('x', ' ', '"', '\\', '9'), fc.boolean(), fc.nat());
    fuzz(
      FAMILY,
      40,
      fc.property(long, fc.array(fc.nat(), { maxLength: 10 }), ([prefix, n, ch, closed, at], cuts) => {
        const lines = SMALL_PAGES[1].split('\n');
        lines.splice(at % lines.length, 0, `${prefix}${ch.repeat(n)}${closed ? '"} 1' : ''}`);
        const bytes = Buffer.from(lines.join('\n'));
        assert.deepStrictEqual(readChunks(bytes, cuts), readChunks(bytes));
      }),
    );
  });
});
