/** Zoom and pan on the time axis (src/webview/zoom.ts). */
import * as assert from 'assert';
import { ALL, FILLING_STEP, fillingSpan, MIN_ZOOM_SPAN_MS, panBy, xRange, zoomBy, zoomTo } from '../../src/webview/zoom';

const DATA = { first: 100_000, last: 400_000, windowMs: 300_000, minSpanMs: 30_000 };

describe('zoom and pan', () => {
  it('shows everything by default: the window, scrolling with the newest sample', () => {
    assert.deepStrictEqual(xRange(ALL, DATA), { xMin: 100_000, xMax: 400_000 });
    assert.deepStrictEqual(xRange(ALL, { ...DATA, first: 395_000 }), { xMin: 395_000, xMax: 425_000 }, 'a short history over the minimum span');
  });

  it('while the window fills, shows the history over spans that grow in steps, reaching the window', () => {
    let steps = 0;
    let last = NaN;
    for (let age = 30_000; age <= 320_000; age += 100) {
      const { xMin, xMax } = xRange(ALL, { ...DATA, first: 400_000 - age });
      const span = xMax - xMin;
      if (age >= 300_000) assert.deepStrictEqual({ xMin, xMax }, { xMin: 100_000, xMax: 400_000 }, 'full: the window, scrolling');
      else {
        assert.strictEqual(xMin, 400_000 - age, 'from the first sample');
        assert.ok(xMax >= 400_000 && span <= 300_000, `${age}: the newest sample in view, not past the window`);
        assert.ok(span < age * (1 + FILLING_STEP) + 1e-6 || span === 30_000, `${age}: at most a step of room at the right (${span})`);
      }
      if (span !== last) steps++;
      last = span;
    }
    // 30 s to 300 s in steps of 1/32: ln 10 / ln (33/32) ≈ 75 scales, not one per sample (2,900).
    assert.ok(steps <= 80, `${steps} scales`);
    assert.strictEqual(fillingSpan(30_000, 30_000), 30_000);
    assert.strictEqual(fillingSpan(30_001, 30_000), 30_000 * (1 + FILLING_STEP));
  });

  it('a drag that reaches the newest sample follows it; one in the past stays put', () => {
    const follow = zoomTo(340_000, 399_800, DATA, 500);
    assert.deepStrictEqual(follow, { mode: 'follow', spanMs: 59_800 });
    // New samples come: the zoomed span moves with them.
    assert.deepStrictEqual(xRange(follow, { ...DATA, last: 410_000 }), { xMin: 350_200, xMax: 410_000 });
    const fixed = zoomTo(200_000, 150_000, DATA, 500);
    assert.deepStrictEqual(fixed, { mode: 'fixed', xMin: 150_000, xMax: 200_000 });
    assert.deepStrictEqual(xRange(fixed, { ...DATA, last: 410_000 }), { xMin: 150_000, xMax: 200_000 });
    // Too small a range is widened to the minimum.
    const tiny = zoomTo(200_000, 200_100, DATA, 500);
    assert.ok(tiny.mode === 'fixed' && tiny.xMax - tiny.xMin === MIN_ZOOM_SPAN_MS);
  });

  it('zooms in and out by keys, back to everything when wider than the data', () => {
    const half = zoomBy(ALL, DATA, 0.5);
    assert.deepStrictEqual(half, { mode: 'follow', spanMs: 150_000 });
    assert.deepStrictEqual(zoomBy(half, DATA, 4), ALL);
    const fixed = zoomBy({ mode: 'fixed', xMin: 200_000, xMax: 300_000 }, DATA, 0.5, 250_000);
    assert.deepStrictEqual(fixed, { mode: 'fixed', xMin: 225_000, xMax: 275_000 });
  });

  it('pans back in time (fixed), and forward to the newest sample (following again)', () => {
    const back = panBy({ mode: 'follow', spanMs: 100_000 }, DATA, -0.25);
    assert.deepStrictEqual(back, { mode: 'fixed', xMin: 275_000, xMax: 375_000 });
    assert.deepStrictEqual(panBy(back, DATA, 0.5), { mode: 'follow', spanMs: 100_000 });
    // Not before the first sample.
    assert.deepStrictEqual(panBy({ mode: 'fixed', xMin: 110_000, xMax: 160_000 }, DATA, -1), { mode: 'fixed', xMin: 100_000, xMax: 150_000 });
    assert.strictEqual(panBy(ALL, DATA, -0.25), ALL);
  });
});
