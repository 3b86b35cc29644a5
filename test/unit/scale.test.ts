import * as assert from 'assert';
import { MiB } from '../../src/shared/format';
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

  it('labels every tick exactly: a step of 0.25 GiB reads 0.25, 0.50, 0.75 (not 0.3, 0.5, 0.8)', () => {
    const quarter = byteTicks(1.6 * 1024 * MiB, 7);
    assert.strictEqual(quarter.ticks[1], 256 * MiB);
    assert.deepStrictEqual(quarter.ticks.map((t) => quarter.label(t)), ['0 GiB', '0.25 GiB', '0.50 GiB', '0.75 GiB', '1.00 GiB', '1.25 GiB', '1.50 GiB', '1.75 GiB']);
    const half = byteTicks(1.6 * 1024 * MiB, 4);
    assert.deepStrictEqual(half.ticks.map((t) => half.label(t)), ['0 GiB', '0.5 GiB', '1.0 GiB', '1.5 GiB', '2.0 GiB']);
    for (const max of [0.3, 1.7, 2.9, 13, 130, 900, 1500, 4000].map((m) => m * MiB)) {
      for (const count of [1, 2, 3, 4, 5, 7, 9]) {
        const t = byteTicks(max, count);
        const labels = t.ticks.map((v) => t.label(v));
        assert.strictEqual(new Set(labels).size, labels.length, `distinct labels for ${max} / ${count}: ${labels.join(', ')}`);
        for (const [i, v] of t.ticks.entries()) assert.ok(Math.abs(parseFloat(labels[i]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(t.unit) - v) <= 1e-9 * t.max, `exact: ${labels[i]} for ${v}`);
      }
    }
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
