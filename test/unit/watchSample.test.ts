import * as assert from 'assert';
import type { CgroupFigures } from '../../src/core/cgroup/reader';
import type { GoFigures } from '../../src/core/goruntime/figures';
import type { MemorySample } from '../../src/core/sampling/types';
import { composeSample } from '../../src/core/watchSample';

const MiB = 1024 * 1024;
const go = { heapObjects: 10 * MiB, heapUnused: MiB, heapFree: 2 * MiB, heapReleased: 3 * MiB, stacks: MiB, total: 20 * MiB, gcCycles: 4, gcGoal: 16 * MiB } as GoFigures;
const cgroup: CgroupFigures = { version: 2, path: '/a', usage: 50 * MiB, workingSet: 40 * MiB };

describe('composeSample: the sample a watch keeps', () => {
  it('has one shape whatever the reader gave and whatever was added (same keys, same order)', () => {
    const bare: MemorySample = { time: 1, rss: 8 * MiB };
    const full: MemorySample = { time: 2, rss: 9 * MiB, vsz: MiB, peakRss: 9 * MiB, rssAnon: 1, rssFile: 2, rssShmem: 3, swap: 4, cpu: 5, lazyFree: 6 };
    const shapes = [
      composeSample(bare, undefined, undefined, undefined),
      composeSample(full, { go, goReadAt: 2 }, cgroup, 30 * MiB),
      composeSample({ ...bare, go, cgroup }, undefined, undefined, undefined),
    ].map((s) => Object.keys(s).join());
    assert.strictEqual(new Set(shapes).size, 1, shapes.join('\n'));
  });

  it('keeps the reader’s figures, takes a fresh Go read over the reader’s own, and adds the cgroup and the missed peak', () => {
    const os: MemorySample = { time: 5, rss: 9 * MiB, vsz: 100 * MiB, peakRss: 12 * MiB, rssAnon: 7 * MiB, rssFile: 2 * MiB, rssShmem: 0, swap: 0, cpu: 1.5, lazyFree: 0 };
    const s = composeSample(os, { go, goReadAt: 4 }, cgroup, 30 * MiB);
    assert.deepStrictEqual(
      { ...s },
      { ...os, go, goReadAt: 4, cgroup, missedPeak: 30 * MiB },
    );
    // A URL target's reader brings the Go figures itself: kept when nothing else was read.
    const remote = composeSample({ time: 6, rss: 1, go, cgroup }, undefined, cgroup, undefined);
    assert.strictEqual(remote.go, go);
    assert.strictEqual(remote.goReadAt, undefined);
  });
});
