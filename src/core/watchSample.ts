/** A watch's sample: the one shape every sample has, and its row in the series. */
import type { CgroupFigures } from './cgroup/reader';
import type { GoFigures } from './goruntime/figures';
import type { MemorySample } from './sampling/types';
import type { SeriesColumn } from '../shared/series';

/** A sample as one row of the series. */
export function seriesRow(sample: MemorySample): Partial<Record<SeriesColumn, number>> {
  // Figures carried over from an earlier read are already in the series, at the time of that read.
  const go = sample.goReadAt === undefined || sample.goReadAt === sample.time ? sample.go : undefined;
  return {
    rss: sample.rss,
    vsz: sample.vsz,
    rssAnon: sample.rssAnon,
    rssFile: sample.rssFile,
    lazyFree: sample.lazyFree,
    heapObjects: go?.heapObjects,
    heapUnused: go?.heapUnused,
    heapFree: go?.heapFree,
    heapReleased: go?.heapReleased,
    stacks: go?.stacks,
    goTotal: go?.total,
    gcGoal: go?.gcGoal,
    gcCycles: go?.gcCycles,
    heapLive: go?.heapLive,
    memoryLimit: go?.memoryLimit,
    goRss: go?.processRss,
    missedPeak: sample.missedPeak,
    goroutines: go?.goroutines,
    cgroupUsage: sample.cgroup?.usage,
    cgroupWorkingSet: sample.cgroup?.workingSet,
    cgroupLimit: sample.cgroup?.limit,
    cgroupOomKills: sample.cgroup?.oomKills,
  };
}

/**
 * The sample a watch keeps: the reader's figures with the Go figures, the cgroup's and a missed peak
 * added, built as one literal so every sample has one shape. Spreading them in (`{ ...os, ...go }`)
 * went through V8's slow path for objects of changing shape (bench/RESULTS.md).
 */
export function composeSample(os: MemorySample, go: { go: GoFigures; goReadAt: number } | undefined, cgroup: CgroupFigures | undefined, peakBetween: number | undefined): MemorySample {
  return {
    time: os.time,
    rss: os.rss,
    vsz: os.vsz,
    peakRss: os.peakRss,
    missedPeak: peakBetween,
    rssAnon: os.rssAnon,
    rssFile: os.rssFile,
    rssShmem: os.rssShmem,
    swap: os.swap,
    cpu: os.cpu,
    lazyFree: os.lazyFree,
    go: go ? go.go : os.go,
    goReadAt: go ? go.goReadAt : os.goReadAt,
    cgroup,
  };
}
