import * as assert from 'assert';
import { delayToGrid, SampleClock } from '../../src/core/sampleClock';

describe('delayToGrid: clocks start on the wall-clock grid', () => {
  it('clocks started at different times beat on the same grid after their first period', () => {
    const interval = 1000;
    const started = [10_003, 10_250, 10_499, 10_777];
    const firsts = started.map((t) => t + delayToGrid(t, t + interval, interval));
    // Rounded to the nearest multiple: 11 000 for the first three, 12 000 for the last.
    assert.deepStrictEqual(firsts, [11_000, 11_000, 11_000, 12_000]);
  });

  it('rounds to the nearest grid point: a clock started a little late does not skip a period', () => {
    // Due at 20 000, asked at 20 007: the first beat is at 21 000.
    assert.strictEqual(20_007 + delayToGrid(20_007, 20_004 + 1000, 1000), 21_000);
    assert.strictEqual(20_107 + delayToGrid(20_107, 20_004 + 100, 100), 20_200);
  });

  it('never in the past', () => {
    // Due at 31 000, asked at 31 700: at 32 000.
    assert.strictEqual(31_700 + delayToGrid(31_700, 31_000, 1000), 32_000);
    // Finished just on a grid point: a whole period later, not 0 ms.
    assert.strictEqual(delayToGrid(33_000, 33_000, 1000), 1000);
  });
});

describe('SampleClock: one timer per interval for every watch', () => {
  /** Active timers; counted after the current timer's callbacks are done (a timer that just fired still counts within them). */
  const timers = async () => {
    await new Promise((r) => setImmediate(r));
    return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('calls every listener of an interval in one pass, each beat, on one timer; the last to leave stops it', async () => {
    const clock = new SampleClock();
    const baseline = await timers();
    const calls: string[] = [];
    const a = clock.join(40, () => calls.push('a'));
    const b = clock.join(40, () => calls.push('b'));
    const c = clock.join(80, () => calls.push('c'));
    assert.strictEqual(clock.running, 2);
    assert.strictEqual(await timers(), baseline + 2, 'one timer per interval');
    await sleep(420);
    const ab = calls.filter((x) => x !== 'c').join('');
    assert.match(ab, /^(ab)+$/, 'a and b together at every beat');
    assert.ok(ab.length / 2 >= 7 && ab.length / 2 <= 11, `${ab.length / 2} beats of 40 ms in 420 ms`);
    const cs = calls.filter((x) => x === 'c').length;
    assert.ok(cs >= 3 && cs <= 6, `${cs} beats of 80 ms in 420 ms`);
    a.dispose();
    a.dispose();
    assert.strictEqual(await timers(), baseline + 2, 'b still beats');
    b.dispose();
    c.dispose();
    assert.strictEqual(clock.running, 0);
    assert.strictEqual(await timers(), baseline, 'no timer left behind');
    const before = calls.length;
    await sleep(100);
    assert.strictEqual(calls.length, before, 'nobody called after leaving');
  });

  it('a listener that leaves during a beat is not called in it; one that throws does not stop the others', async () => {
    const clock = new SampleClock();
    const calls: string[] = [];
    const thrown: unknown[] = [];
    // The throw surfaces as an uncaught error, as from a timer of its own: caught here instead of by mocha.
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (err) => thrown.push(err));
    try {
      let second: { dispose(): void } | undefined = undefined;
      const first = clock.join(30, () => {
        calls.push('first');
        second?.dispose();
        throw new Error('a listener bug');
      });
      second = clock.join(30, () => calls.push('second'));
      const third = clock.join(30, () => calls.push('third'));
      await sleep(100);
      first.dispose();
      third.dispose();
      assert.ok(!calls.includes('second'), calls.join(' '));
      assert.ok(calls.filter((c) => c === 'third').length >= 2, calls.join(' '));
      assert.ok(thrown.length >= 2 && thrown.every((e) => (e as Error).message === 'a listener bug'), String(thrown));
      assert.strictEqual(clock.running, 0);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const h of mochaHandlers) process.on('uncaughtException', h);
    }
  });
});
