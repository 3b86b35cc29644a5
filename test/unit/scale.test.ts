import * as assert from 'assert';
import { MiB } from '../../src/core/format';
import { byteTicks, niceStep, timeTicks } from '../../src/webview/scale';

describe('graph axes', () => {
  it('picks nice steps', () => {
    assert.strictEqual(niceStep(100, 5), 20);
    assert.strictEqual(niceStep(120, 5), 25);
    assert.strictEqual(niceStep(7, 5), 2);
  });

  it('labels byte axes in binary units, top tick above the data', () => {
    const t = byteTicks(118.7 * MiB, 5);
    assert.strictEqual(t.unit, 'MiB');
    assert.ok(t.max >= 118.7 * MiB);
    assert.strictEqual(t.ticks[0], 0);
    assert.strictEqual(t.label(t.ticks[1]), '25 MiB');
    assert.strictEqual(byteTicks(3.5 * 1024 * MiB, 4).unit, 'GiB');
  });

  it('gives an idle process a sane axis', () => {
    assert.strictEqual(byteTicks(0, 4).max, MiB);
  });

  it('puts time ticks on round clock times', () => {
    const start = Date.UTC(2026, 10, 27, 12, 0, 7);
    const ticks = timeTicks(start, start + 5 * 60_000, 6);
    assert.ok(ticks.length >= 4 && ticks.length <= 7, String(ticks.length));
    for (const t of ticks) assert.strictEqual(new Date(t).getSeconds(), 0);
  });
});
