import * as assert from 'assert';
import { GRAPH_INTENTS, parseWebviewMessage } from '../../src/shared/protocol';
import { GRAPH_TEMPLATE } from '../../src/webview/view';

describe('webview protocol validation', () => {
  it('accepts the known intents', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'freeOSMemory', extra: 1 }), { type: 'freeOSMemory' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'select', watchId: '42-1' }), { type: 'select', watchId: '42-1' });
    assert.deepStrictEqual(parseWebviewMessage({ type: 'rendered', watchId: 'a', points: 3, lastTime: 5, messages: 7, draws: 4, frames: 6 }), {
      type: 'rendered',
      watchId: 'a',
      points: 3,
      lastTime: 5,
      messages: 7,
      draws: 4,
      frames: 6,
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
      { type: 'rendered', watchId: 'a', points: -1, lastTime: 1, messages: 0, draws: 0, frames: 0 },
      { type: 'rendered', watchId: 'a', points: 1.5, lastTime: 1, messages: 0, draws: 0, frames: 0 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: Infinity, messages: 0, draws: 0, frames: 0 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: 1 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: 1, messages: -1, draws: 0, frames: 0 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: 1, messages: 0, draws: 0.5, frames: 0 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: 1, messages: 0, draws: 0 },
      { type: 'rendered', watchId: 'a', points: 1, lastTime: 1, messages: 0, draws: 0, frames: -2 },
      { type: '__proto__' },
    ]) {
      assert.strictEqual(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('the graph intents (GRAPH_INTENTS)', () => {
  it('each passes the parser as it is, and nothing inherited does', () => {
    for (const intent of Object.keys(GRAPH_INTENTS)) assert.deepStrictEqual(parseWebviewMessage({ type: intent, watchId: 'w' }), { type: intent });
    for (const inherited of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) assert.strictEqual(parseWebviewMessage({ type: inherited }), undefined, inherited);
  });

  it("each intent's buttons are buttons of the graph, and every other button is the webview's own", () => {
    const buttons = [...GRAPH_TEMPLATE.matchAll(/<button id="([\w-]+)"/g)].map((m) => m[1]);
    const sending: string[] = Object.values(GRAPH_INTENTS).flatMap((intent) => intent.buttons);
    assert.strictEqual(new Set(sending).size, sending.length, 'a button sends one intent');
    for (const id of sending) assert.ok(buttons.includes(id), `#${id} is a button of the template`);
    // PNG and Copy as Markdown work in the webview (src/webview/main.ts).
    assert.deepStrictEqual(
      buttons.filter((id) => !sending.includes(id)).sort(),
      ['copy-table', 'export-png'],
    );
  });
});
