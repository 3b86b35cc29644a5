import * as assert from 'assert';
import { delayToGrid } from '../../src/core/watch';

describe('delayToGrid: every watch with the same interval wakes at the same moments', () => {
  it('watches started at different times sample on the same grid after their first period', () => {
    const interval = 1000;
    const started = [10_003, 10_250, 10_499, 10_777];
    const firsts = started.map((t) => t + delayToGrid(t, t + interval, interval));
    // Rounded to the nearest multiple: 11 000 for the first three, 12 000 for the last.
    assert.deepStrictEqual(firsts, [11_000, 11_000, 11_000, 12_000]);
  });

  it('a timer that fired a little late does not skip a period', () => {
    // Due at 20 000, fired at 20 004, sampled in 3 ms: the next one is at 21 000.
    assert.strictEqual(20_007 + delayToGrid(20_007, 20_004 + 1000, 1000), 21_000);
    assert.strictEqual(20_107 + delayToGrid(20_107, 20_004 + 100, 100), 20_200);
  });

  it('a sample that took longer than its interval goes on at the next grid point, never in the past', () => {
    // Started at 30 000, finished at 31 700 (a slow read): next at 32 000.
    assert.strictEqual(31_700 + delayToGrid(31_700, 31_000, 1000), 32_000);
    // Finished just on a grid point: a whole period later, not 0 ms.
    assert.strictEqual(delayToGrid(33_000, 33_000, 1000), 1000);
  });

  it('keeps the rate: over many periods with random lateness, one sample per interval on average, gaps of ½–1½ intervals', () => {
    let seed = 20261128;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const interval = 100;
    let now = 5_037;
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const started = now + random() * 8; // timer lateness
      const finished = started + random() * 30; // the read
      times.push(started);
      now = finished + delayToGrid(finished, started + interval, interval);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(Math.min(...gaps) >= interval / 2 && Math.max(...gaps) <= interval * 1.5, `gaps ${Math.min(...gaps)}–${Math.max(...gaps)}`);
    const mean = (times[times.length - 1] - times[0]) / (times.length - 1);
    assert.ok(Math.abs(mean - interval) < 1, `mean gap ${mean}`);
  });
});
