import * as assert from 'assert';
import { parseWebviewMessage } from '../../src/protocol';

describe('webview protocol validation', () => {
  it('accepts the known intents', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'freeOSMemory', extra: 1 }), { type: 'freeOSMemory' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'select', watchId: '42-1' }), { type: 'select', watchId: '42-1' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'rendered', watchId: 'a', points: 3, lastTime: 5 }), {
      type: 'rendered',
      watchId: 'a',
      points: 3,
      lastTime: 5,
    });
  });

  it('drops unknown and malformed messages', () => {
    for (const bad of [
      null,
      undefined,
      'ready',
      42,
      [],
      {},
      { type: 'eval', code: 'x' },
      { type: 'select' },
      { type: 'select', watchId: 7 },
      { type: 'select', watchId: '' },
      { type: 'select', watchId: 'x'.repeat(65) },
      { type: 'rendered', watchId: 'a', points: -1, lastTime: 1 },
      { type: 'rendered', watchId: 'a', points: 1.5, lastTime: 1 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: Infinity },
      { type: '__proto__' },
    ]) {
      assert.strictEqual(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });
});
