/**
 * Fuzz: messages from the graph webview (untrusted: it renders data from the target). Only
 * well-formed messages of the known types pass, rebuilt with their known fields only.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { FromWebviewMessage, parseWebviewMessage } from '../../../src/shared/protocol';
import { fuzz, hostileJson, returns } from './support';

const FAMILY = 'webview protocol';

/** The intents that carry nothing but their type. */
const PARAMETERLESS = ['ready', 'freeOSMemory', 'attach', 'openGraph', 'addHook', 'showHeapProfile', 'saveRecording', 'compare', 'exportCsv'] as const;

/** The protocol as protocol.ts documents it, written independently of the parser. */
function specified(raw: unknown): FromWebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m.type === 'string' && (PARAMETERLESS as readonly string[]).includes(m.type)) return { type: m.type as (typeof PARAMETERLESS)[number] };
  if (m.type === 'png') {
    const d = m.data;
    const ok = d instanceof Uint8Array && d.length > 8 && d.length <= 16 * 1024 * 1024 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => d[i] === b);
    return ok ? { type: 'png', data: d } : undefined;
  }
  const id = m.watchId;
  if (m.type === 'select') return typeof id === 'string' && id.length >= 1 && id.length <= 64 ? { type: 'select', watchId: id } : undefined;
  if (m.type === 'rendered') {
    // A recording's id holds its file's URI: longer than a watch's.
    const ok = typeof id === 'string' && id.length <= 8192 && typeof m.points === 'number' && Number.isSafeInteger(m.points) && m.points >= 0 && typeof m.lastTime === 'number' && Number.isFinite(m.lastTime);
    const counts = [m.messages, m.draws, m.frames].every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);
    return ok && counts ? { type: 'rendered', watchId: id as string, points: m.points as number, lastTime: m.lastTime as number, messages: m.messages as number, draws: m.draws as number, frames: m.frames as number } : undefined;
  }
  return undefined;
}

const TYPES = [...PARAMETERLESS, 'select', 'rendered', 'png', 'eval', '__proto__', 'constructor', 'toString', 'READY', 'ready ', ''];
const field = fc.oneof(hostileJson(undefined, NaN, Infinity, 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(8192), 'x'.repeat(8193), ''), fc.string({ unit: 'binary', maxLength: 70 }), fc.integer(), fc.double());
/** Near misses of real messages: known types, with fields of the right and wrong kinds, plus extras. */
/** PNG-ish payloads: real signatures, one byte off, too short, not a Uint8Array. */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngData = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((tail) => Uint8Array.from([...SIGNATURE, ...tail])),
  fc.tuple(fc.nat(7), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([at, tail]) => { const b = Uint8Array.from([...SIGNATURE, ...tail]); b[at] ^= 1; return b; }),
  fc.uint8Array({ maxLength: 12 }),
  fc.array(fc.nat(255), { maxLength: 20 }),
  field,
);
const nearMiss = fc.record({ type: fc.oneof(fc.constantFrom(...TYPES), field), watchId: field, points: field, lastTime: field, messages: fc.oneof(fc.nat(), field), draws: fc.oneof(fc.nat(), field), frames: fc.oneof(fc.nat(), field), data: pngData, extra: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] });

describe('fuzz: webview protocol', () => {
  it('passes exactly the well-formed messages, with their known fields only; never throws', () => {
    fuzz(FAMILY, 7000, fc.property(fc.oneof({ weight: 4, arbitrary: nearMiss }, { weight: 1, arbitrary: fc.anything() }), (raw) => {
      assert.deepStrictEqual(returns('parseWebviewMessage', () => parseWebviewMessage(raw)), specified(raw));
    }));
  });

  it('passes the messages the webview sends', () => {
    const valid = fc.oneof(
      fc.constantFrom(...PARAMETERLESS).map((type) => ({ type })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => ({ type: 'png', data: Uint8Array.from([...SIGNATURE, ...tail]) })),
      fc.string({ minLength: 1, maxLength: 64 }).map((watchId) => ({ type: 'select', watchId })),
      fc.record({ type: fc.constant('rendered'), watchId: fc.string({ maxLength: 64 }), points: fc.nat(), lastTime: fc.double({ noNaN: true, noDefaultInfinity: true }), messages: fc.nat(), draws: fc.nat(), frames: fc.nat() }).map((m) => ({ ...m })),
    );
    fuzz(FAMILY, 3000, fc.property(valid, (m) => assert.deepStrictEqual(parseWebviewMessage(m), m)));
  });
});
