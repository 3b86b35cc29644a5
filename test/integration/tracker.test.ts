/**
 * A source that keeps failing is not asked for ever: each drop doubles the wait before the next
 * look, and after MAX_DROPS the tracker stops asking and says why, until the user retries. Real
 * HTTP on loopback (reached through memoryWatch.metricsUrl), with the delays shortened.
 */
import * as assert from 'assert';
import * as http from 'http';
import { AddressInfo } from 'net';
import { GoRuntimeTracker, MAX_DROPS } from '../../src/core/goruntime/tracker';
import { describeGoStatus } from '../../src/core/goruntime/describe';
import { waitFor } from '../support/wait';

const MEMSTATS = { HeapAlloc: 1, HeapInuse: 2, HeapIdle: 3, HeapReleased: 1, StackSys: 4, Sys: 50, NumGC: 1, NextGC: 9 };

describe('Go figures: backing off a source that keeps failing', function () {
  this.timeout(30_000);

  it('doubles the wait after each drop, stops after MAX_DROPS with a reason, and asks again only on retry', async () => {
    // Answers every 4th request (the look that finds it), then fails the reads that follow.
    const times: number[] = [];
    const server = http.createServer((_req, res) => {
      times.push(Date.now());
      if ((times.length - 1) % 4 === 0) res.end(JSON.stringify({ memstats: MEMSTATS }));
      else {
        res.statusCode = 500;
        res.end('boom');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/vars`;
    const log: string[] = [];
    const tracker = new GoRuntimeTracker(process.pid, () => ({ enabled: true, overrideUrl: url, allowedHosts: [] }), (m) => log.push(m), { retryDelaysMs: [100], dropBackoffMs: 200 });
    let stop = false;
    const loop = (async () => {
      // The watch's sampling loop, at 20 Hz.
      while (!stop) {
        await tracker.figures(false);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await waitFor(() => tracker.status.state === 'stopped', 'the tracker to stop asking', 20_000);
      const stoppedAt = times.length;
      assert.strictEqual(stoppedAt, MAX_DROPS * 4, `requests until it stopped: ${stoppedAt}`);
      // The looks (every 4th request) come after waits that double: 200, 400, 800 ms after a drop.
      const looks = times.filter((_, i) => i % 4 === 0);
      const gaps = looks.slice(1).map((t, i) => t - times[i * 4 + 3]);
      // Each against its designed delay, not against the wait before it: the loop looks every 50 ms,
      // so a wait may come up to a tick late (264, 410, 812 ms is doubling, though 410 < 1.6 × 264).
      gaps.forEach((gap, i) => {
        const designed = 200 * 2 ** i;
        assert.ok(gap >= designed && gap < designed * 1.5 + 100, `waits ${gaps.join(', ')} ms: wait ${i + 1} should be ${designed} ms (and well under the next doubling)`);
      });
      // The reason is there for the person to read.
      const text = describeGoStatus(tracker.status, false).text;
      assert.match(text, /stopped asking/);
      assert.match(text, /HTTP 500/);
      // Stopped means stopped: nothing is asked for a while.
      await new Promise((r) => setTimeout(r, 1500));
      assert.strictEqual(times.length, stoppedAt, 'asked again while stopped');
      // Retry: asks again at once.
      tracker.reset();
      await waitFor(() => times.length > stoppedAt, 'a request after retry', 5000);
      assert.ok(log.some((m) => /stopped asking/.test(m)), log.join('\n'));
    } finally {
      stop = true;
      await loop;
      tracker.dispose();
      server.close();
    }
  });
});
