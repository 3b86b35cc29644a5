import * as assert from 'assert';
import { isDue, Throttle } from '../../src/core/util/throttle';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Throttle: at most every N ms, the rest on the next call, a timer only when calls stop', () => {
  it('runs once per period while calls keep coming, each time inside a call (no timer of its own fires)', async () => {
    let inCall = false;
    const runs: { inCall: boolean }[] = [];
    const throttle = new Throttle(200, () => runs.push({ inCall }), 100);
    try {
      const start = Date.now();
      while (Date.now() - start < 1000) {
        inCall = true;
        throttle.soon();
        inCall = false;
        await sleep(40);
      }
      assert.ok(runs.length >= 4 && runs.length <= 6, `${runs.length} runs in 1 s at most every 200 ms`);
      assert.ok(runs.every((r) => r.inCall), 'a run came from the timer while calls were still coming');
    } finally {
      throttle.dispose();
    }
  });

  it('calls once a period that come a little early (a helper\'s batches, jittered) run inside the call: no timer of its own', async () => {
    let inCall = false;
    const runs: boolean[] = [];
    const throttle = new Throttle(400, () => runs.push(inCall), 100);
    try {
      for (let i = 0; i < 4; i++) {
        inCall = true;
        throttle.soon();
        inCall = false;
        // 30 ms early: a batch that came on time after one that was a little late.
        await sleep(370);
      }
      assert.deepStrictEqual(runs, [true, true, true, true], 'a run came from the timer: a wake-up of its own each period');
    } finally {
      throttle.dispose();
    }
  });

  it('isDue: the rule a Throttle runs by, for work checked alongside its runs (a tenth of the period early, or 20 ms, is on time)', () => {
    // The graph's summaries go with its batches: a batch a little early must not skip them.
    assert.strictEqual(isDue(950, 1000), true);
    assert.strictEqual(isDue(900, 1000), true);
    assert.strictEqual(isDue(850, 1000), false);
    assert.strictEqual(isDue(185, 200), true);
    assert.strictEqual(isDue(175, 200), false);
    assert.strictEqual(isDue(Number.POSITIVE_INFINITY, 1000), true);
  });

  it('a call that came too early runs once the calls stop (on its timer), and dispose cancels it', async () => {
    let runs = 0;
    const throttle = new Throttle(100, () => runs++, 50);
    throttle.soon(); // runs now
    throttle.soon(); // too early: waits
    throttle.soon(); // already waiting: still one run later
    assert.strictEqual(runs, 1);
    await sleep(250);
    assert.strictEqual(runs, 2, 'the waiting call ran on its timer');
    throttle.soon(); // long enough after: now
    assert.strictEqual(runs, 3);
    throttle.soon();
    throttle.dispose();
    await sleep(250);
    assert.strictEqual(runs, 3, 'ran after dispose');
  });

  it('now() runs at once and restarts the period', async () => {
    let runs = 0;
    const throttle = new Throttle(100, () => runs++, 50);
    throttle.soon();
    throttle.now();
    throttle.soon();
    assert.strictEqual(runs, 2);
    await sleep(250);
    assert.strictEqual(runs, 3);
    throttle.dispose();
  });
});
