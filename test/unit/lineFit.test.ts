/** The least-squares line the trends are read from (the working set toward its limit, a replica's growth). */
import * as assert from 'assert';
import { LineFit } from '../../src/core/util/lineFit';

describe('a least-squares line, point by point', () => {
  it('finds the slope of points on a line, and of points scattered evenly about it', () => {
    const exact = new LineFit();
    for (let x = -50; x <= 0; x++) exact.add(x, 3 * x + 2);
    assert.strictEqual(exact.slope(), 3);
    const scattered = new LineFit();
    for (let x = 0; x < 100; x++) scattered.add(x, 0.5 * x + (x % 2 ? 4 : -4));
    assert.ok(Math.abs(scattered.slope() - 0.5) < 0.01, String(scattered.slope()));
    assert.strictEqual(scattered.count, 100);
  });

  it('has no slope without two distinct x', () => {
    const none = new LineFit();
    assert.ok(Number.isNaN(none.slope()));
    const one = new LineFit();
    one.add(5, 1);
    one.add(5, 9);
    assert.ok(Number.isNaN(one.slope()));
  });
});
