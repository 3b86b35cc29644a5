import * as assert from 'assert';
import { opaque } from '../../src/webview/colors';

describe('chart colours', () => {
  it('drops the alpha of translucent theme colours', () => {
    assert.strictEqual(opaque('#d186167e'), '#d18616');
    assert.strictEqual(opaque('#d18a'), '#d18');
    assert.strictEqual(opaque('rgba(209, 134, 22, 0.49)'), 'rgb(209, 134, 22)');
  });

  it('leaves opaque colours alone', () => {
    for (const c of ['#3794ff', '#fff', 'rgb(1, 2, 3)', 'red']) assert.strictEqual(opaque(c), c);
  });
});
