/**
 * Fuzz: inputs of unbounded shape, made by structure-aware generators rather than by mutating
 * small valid inputs — JSON nested deep, arrays and objects of huge counts, long strings (for
 * recordings); protobuf with long packed fields, many messages, deep unknown nesting, long strings
 * (for heap profiles). The shape checks must say exactly what the parsed value's shape is (for
 * JSON: checked against a walk of JSON.parse's result), refuse past their limits before any full
 * parse, and the readers behind them must answer one way or the other, never throw or stall.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import zlib = require('zlib');
import { analyzeHeapProfile } from '../../../src/core/heap/analyze';
import { HeapProfileError } from '../../../src/core/heap/errors';
import { checkProfileShape, MAX_PROFILE_ENTRIES } from '../../../src/core/heap/summarize';
import { parseRecordingBytes } from '../../../src/core/recording/read';
import { RECORDING_SHAPE } from '../../../src/core/recording/schema';
import { checkJsonShape, JsonShapeLimits } from '../../../src/core/util/jsonShape';
import { heapProfileBytes, validRecordingText } from '../../support/hostileFiles';
import { performance } from 'perf_hooks';
import { fuzz, fuzzAsync, returns } from './support';

/** The shape of a parsed JSON value, measured by walking it. */
function shapeOf(value: unknown): { depth: number; arrayItems: number; objectKeys: number; stringBytes: number; values: number } {
  const shape = { depth: 0, arrayItems: 0, objectKeys: 0, stringBytes: 0, values: 0 };
  const walk = (v: unknown, depth: number): void => {
    shape.values++;
    if (typeof v === 'string') shape.stringBytes = Math.max(shape.stringBytes, Buffer.byteLength(JSON.stringify(v)) - 2);
    if (Array.isArray(v)) {
      shape.depth = Math.max(shape.depth, depth + 1);
      shape.arrayItems = Math.max(shape.arrayItems, v.length);
      for (const item of v) walk(item, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      shape.depth = Math.max(shape.depth, depth + 1);
      const keys = Object.keys(v);
      shape.objectKeys = Math.max(shape.objectKeys, keys.length);
      for (const key of keys) {
        // A key is a string the parser allocates, like a value.
        shape.values++;
        shape.stringBytes = Math.max(shape.stringBytes, Buffer.byteLength(JSON.stringify(key)) - 2);
        walk((v as Record<string, unknown>)[key], depth + 1);
      }
    }
  };
  walk(value, 0);
  return shape;
}

function within(shape: ReturnType<typeof shapeOf>, limits: JsonShapeLimits): boolean {
  return shape.depth <= limits.maxDepth && shape.arrayItems <= limits.maxArrayItems && shape.objectKeys <= limits.maxObjectKeys && shape.stringBytes <= limits.maxStringBytes && shape.values <= limits.maxValues;
}

/** The shape checks run in a task's own process, not on the extension host: bounded, not held to 50 ms. Per MiB, at most: */
const SHAPE_MS_PER_MIB = 60;

/** Small limits, so that random values cross them often. */
const SMALL: JsonShapeLimits = { maxDepth: 4, maxArrayItems: 6, maxObjectKeys: 5, maxStringBytes: 12, maxValues: 40 };

/** Text of `n` nested arrays, objects or a mix, with a payload at the bottom. */
const deepText = fc.record({ n: fc.integer({ min: 1, max: 200_000 }), kind: fc.constantFrom('array', 'object', 'mixed') }).map(({ n, kind }) => {
  const open = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2) ? '[' : '{"k":');
  const close = (i: number) => (kind === 'array' || (kind === 'mixed' && i % 2) ? ']' : '}');
  let head = '';
  let tail = '';
  for (let i = 0; i < n; i++) {
    head += open(i);
    tail = close(i) + tail;
  }
  return `{"format":"memwatch-recording","version":"1.0","x":${head}0${tail}}`;
});

/** Text of a recording-like object with one array or object of `n` items of a kind. */
const wideText = fc.record({ n: fc.integer({ min: 0, max: 400_000 }), item: fc.constantFrom('0', '{}', '[]', '"s"', 'null', '1e308', '-0') , asObject: fc.boolean() }).map(({ n, item, asObject }) => {
  const items = asObject ? Array.from({ length: n }, (_, i) => `"k${i}":${item}`) : new Array<string>(n).fill(item);
  return `{"format":"memwatch-recording","version":"1.0","time":${asObject ? '{' : '['}${items.join(',')}${asObject ? '}' : ']'}}`;
});

/** A valid recording with one string field made long, escaped or not. */
const longStringText = fc.record({ chars: fc.integer({ min: 0, max: 60_000 }), escaped: fc.boolean(), field: fc.constantFrom('createdAt', 'goFigures', 'label') }).map(({ chars, escaped, field }) => {
  const text = (escaped ? '\\u00e9\\"' : 'é"').repeat(Math.ceil(chars / 2)).slice(0, escaped ? chars * 6 : chars);
  const recording = JSON.parse(validRecordingText(3, 1)) as Record<string, unknown>;
  const json = JSON.stringify({ ...recording, [field === 'label' ? 'note' : field]: 'PLACEHOLDER' });
  return json.replace('"PLACEHOLDER"', `"${escaped ? text : JSON.stringify(text).slice(1, -1)}"`);
});

describe('fuzz: inputs of unbounded shape', function () {
  this.timeout(120_000);

  it('checkJsonShape says exactly whether a random JSON value is within the limits', () => {
    fuzz(
      'json shape',
      500,
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        if (text === undefined) return;
        const checked = returns('checkJsonShape', () => checkJsonShape(Buffer.from(text), SMALL));
        assert.strictEqual(checked.ok, within(shapeOf(JSON.parse(text)), SMALL), `${text.slice(0, 200)} → ${JSON.stringify(checked)}`);
      }),
    );
  });

  it('recordings nested deep, of huge counts or long strings: refused or read, in one line, within the time limit', () => {
    fuzz(
      'recording shapes',
      60,
      fc.property(fc.oneof(deepText, wideText, longStringText), (text) => {
        const bytes = Buffer.from(text);
        // Parsed in the recording task's own process, not on the extension host: bounded per MiB, not held to 50 ms.
        const started = performance.now();
        const result = parseRecordingBytes(bytes);
        const ms = performance.now() - started;
        assert.ok(ms <= (500 * bytes.length) / 2 ** 20 + 100, `${ms.toFixed(1)} ms for ${(bytes.length / 2 ** 20).toFixed(1)} MiB`);
        if (!result.ok) assert.ok(result.message.length <= 400 && !/[\r\n]/.test(result.message), result.message);
        // Refused in shape exactly when the shape is past the recording's limits.
        const shape = checkJsonShape(bytes, RECORDING_SHAPE);
        if (!shape.ok) assert.ok(!result.ok && result.message.startsWith('Not a Memory Watch recording: it has'), result.ok ? 'read' : result.message);
      }),
    );
  });

  it('the real files the corpus opens are within the recording shape', () => {
    for (const text of [validRecordingText(20_000, 500), validRecordingText(200, 5_000, 3_000)]) assert.deepStrictEqual(checkJsonShape(Buffer.from(text), RECORDING_SHAPE), { ok: true });
  });
});

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

/** A length-delimited field. */
function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(payload.length)]), payload]);
}

/**
 * What to append to a small valid profile, as a small description (a counterexample prints as
 * this, not as megabytes): a packed field, many messages, deep unknown nesting, long strings.
 */
type ProfileTail =
  | { readonly kind: 'packed'; readonly n: number; readonly where: 'comment' | 'locations' | 'values'; readonly byte: number }
  | { readonly kind: 'samples'; readonly n: number }
  | { readonly kind: 'nested'; readonly depth: number }
  | { readonly kind: 'strings'; readonly count: number; readonly chars: number };

const profileTail: fc.Arbitrary<ProfileTail> = fc.oneof(
  fc.record({ kind: fc.constant('packed' as const), n: fc.integer({ min: 0, max: 2_000_000 }), where: fc.constantFrom('comment' as const, 'locations' as const, 'values' as const), byte: fc.constantFrom(0, 1, 0x7f) }),
  fc.record({ kind: fc.constant('samples' as const), n: fc.integer({ min: 0, max: 200_000 }) }),
  fc.record({ kind: fc.constant('nested' as const), depth: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ kind: fc.constant('strings' as const), count: fc.integer({ min: 1, max: 50 }), chars: fc.integer({ min: 0, max: 200_000 }) }),
);

/** The bytes a description stands for. */
function tailBytes(tail: ProfileTail): Buffer {
  switch (tail.kind) {
    case 'packed': {
      const packed = Buffer.alloc(tail.n, tail.byte);
      return tail.where === 'comment' ? lengthDelimited(13, packed) : lengthDelimited(2, lengthDelimited(tail.where === 'locations' ? 1 : 2, packed));
    }
    case 'samples': {
      const sample = lengthDelimited(2, Buffer.concat([lengthDelimited(1, Buffer.from([1])), lengthDelimited(2, Buffer.from([1, 2, 3, 4]))]));
      return Buffer.concat(new Array<Buffer>(tail.n).fill(sample));
    }
    case 'nested': {
      let inner: Buffer = Buffer.from([0x08, 0x01]);
      for (let i = 0; i < tail.depth; i++) inner = lengthDelimited(99, inner);
      return inner;
    }
    case 'strings':
      return Buffer.concat(new Array<Buffer>(tail.count).fill(lengthDelimited(6, Buffer.alloc(tail.chars, 0x61))));
  }
}

describe('fuzz: heap profiles of unbounded shape', function () {
  this.timeout(180_000);
  const base = heapProfileBytes(5);

  it('checkProfileShape answers in bounded time, and refuses what would make the decoder build past its limits', () => {
    fuzz(
      'profile shapes',
      80,
      fc.property(profileTail, (tail) => {
        const bytes = Buffer.concat([base, tailBytes(tail)]);
        let best = Infinity;
        let error: unknown;
        // The fastest of three: a GC or a first compile can stretch one run.
        for (let i = 0; i < 3 && best > (SHAPE_MS_PER_MIB * bytes.length) / 2 ** 20 + 20; i++) {
          const started = performance.now();
          try {
            checkProfileShape(bytes);
            error = undefined;
          } catch (err) {
            error = err;
          }
          best = Math.min(best, performance.now() - started);
        }
        assert.ok(best <= (SHAPE_MS_PER_MIB * bytes.length) / 2 ** 20 + 20, `${best.toFixed(1)} ms for ${(bytes.length / 2 ** 20).toFixed(1)} MiB`);
        if (error !== undefined) {
          assert.ok(error instanceof HeapProfileError, `unexpected ${String(error)}`);
          assert.ok(error.message.length <= 400 && !/[\r\n]/.test(error.message), error.message);
        }
      }),
    );
  });

  it('a packed field past its limit is refused by count; total entries past MAX_PROFILE_ENTRIES too', () => {
    assert.throws(() => checkProfileShape(Buffer.concat([base, lengthDelimited(13, Buffer.alloc(10_001))])), /repeats field 13 more than 10,000 times/);
    assert.doesNotThrow(() => checkProfileShape(Buffer.concat([base, lengthDelimited(13, Buffer.alloc(10_000))])));
    // 10,001 bytes with the top bit set are one varint short of the limit's count: not a count of bytes.
    const long = Buffer.alloc(20_000, 0x80);
    for (let i = 1; i < long.length; i += 2) long[i] = 0x01;
    assert.doesNotThrow(() => checkProfileShape(Buffer.concat([base, lengthDelimited(13, long)])));
    // A sample's stack of 4,097 frames is refused; of 4,096, read.
    assert.throws(() => checkProfileShape(Buffer.concat([base, lengthDelimited(2, lengthDelimited(1, Buffer.alloc(4097, 1)))])), /Sample message repeats field 1 more than 4,096 times/);
    assert.doesNotThrow(() => checkProfileShape(Buffer.concat([base, lengthDelimited(2, lengthDelimited(1, Buffer.alloc(4096, 1)))])));
    assert.ok(MAX_PROFILE_ENTRIES >= 10_000_000, 'the limit on all entries is far above a real profile');
  });

  it('the whole reader on such profiles: a summary or a HeapProfileError, nothing else', async () => {
    await fuzzAsync(
      'profile shapes (read)',
      25,
      fc.asyncProperty(profileTail, async (tail) => {
        try {
          const summary = await analyzeHeapProfile(zlib.gzipSync(Buffer.concat([base, tailBytes(tail)]), { level: 1 }));
          for (const site of summary.sites) assert.ok(site.functionName.length <= 1024 && site.file.length <= 4096);
        } catch (err) {
          assert.ok(err instanceof HeapProfileError, `unexpected ${(err as Error).stack}`);
        }
      }),
    );
  });
});
