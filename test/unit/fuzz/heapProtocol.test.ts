/**
 * Fuzz: messages from the heap view (untrusted: it renders names and paths from the target's
 * profile). Only well-formed messages of the known types pass, rebuilt with their known fields.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { FromHeapViewMessage, MAX_HEAP_ROW_KEY_CHARS, MAX_RENDERED_HEAP_ROWS, parseHeapViewMessage } from '../../../src/shared/protocol';
import { fuzz, hostileJson, returns } from './support';

const FAMILY = 'heap view protocol';

/** The protocol as protocol.ts documents it, written independently of the parser. */
function specified(raw: unknown): FromHeapViewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  const isKey = (k: unknown) => typeof k === 'string' && k.length >= 1 && k.length <= MAX_HEAP_ROW_KEY_CHARS;
  if (m.type === 'ready' || m.type === 'refresh' || m.type === 'setBaseline' || m.type === 'save') return { type: m.type };
  if (m.type === 'open') return (m.list === 'sites' || m.list === 'functions') && isKey(m.key) ? { type: 'open', list: m.list, key: m.key as string } : undefined;
  if (m.type === 'rendered') {
    const ok =
      typeof m.version === 'number' && Number.isSafeInteger(m.version) && m.version >= 0 &&
      (m.sample === 'inuse' || m.sample === 'alloc') &&
      (m.grouping === 'site' || m.grouping === 'function' || m.grouping === 'cumulative') &&
      (m.order === 'size' || m.order === 'growth') &&
      Array.isArray(m.keys) && m.keys.length <= MAX_RENDERED_HEAP_ROWS && m.keys.every(isKey);
    return ok ? ({ type: 'rendered', version: m.version, sample: m.sample, grouping: m.grouping, order: m.order, keys: [...(m.keys as string[])] } as FromHeapViewMessage) : undefined;
  }
  return undefined;
}

const TYPES = ['ready', 'refresh', 'setBaseline', 'save', 'open', 'rendered', 'eval', '__proto__', 'constructor', 'READY', ''];
const field = fc.oneof(hostileJson(undefined, NaN, Infinity, -1, 'x'.repeat(MAX_HEAP_ROW_KEY_CHARS + 1), ''), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), fc.double());
const keys = fc.oneof(fc.array(fc.string({ minLength: 0, maxLength: 8 }), { maxLength: MAX_RENDERED_HEAP_ROWS + 2 }), field);
const nearMiss = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...TYPES), field),
    list: fc.oneof(fc.constantFrom('sites', 'functions', 'files'), field),
    key: field,
    version: fc.oneof(fc.nat(), field),
    sample: fc.oneof(fc.constantFrom('inuse', 'alloc', 'both'), field),
    grouping: fc.oneof(fc.constantFrom('site', 'function', 'cumulative', 'file'), field),
    order: fc.oneof(fc.constantFrom('size', 'growth', 'name'), field),
    keys,
    extra: fc.anything({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

describe('fuzz: heap view protocol', () => {
  it('passes exactly the well-formed messages, with their known fields only; never throws', () => {
    fuzz(FAMILY, 6000, fc.property(fc.oneof({ weight: 4, arbitrary: nearMiss }, { weight: 1, arbitrary: fc.anything() }), (raw) => {
      assert.deepStrictEqual(returns('parseHeapViewMessage', () => parseHeapViewMessage(raw)), specified(raw));
    }));
  });
});
