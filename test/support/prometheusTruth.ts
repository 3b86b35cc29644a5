/**
 * Compares what the Prometheus reader made of a page with the prometheus fixture's own view
 * (its GET /truth: runtime/metrics read just before and just after the gather that made the page).
 *
 * The collector reads runtime/metrics once, between the two readings. Without a GC in between,
 * some figures only grow (live objects, heap in use, the heap's and the runtime's mappings, the
 * GC's counters): they must lie between the two readings, exactly. Others move both ways while
 * the gather allocates (free and released heap trade pages, spans fill): they must lie within
 * the readings widened by how much the heap grew meanwhile. Settings must be equal.
 */
import * as assert from 'assert';
import { PrometheusPage } from '../../src/core/goruntime/prometheusText';

/** One reading of the fixture's figures. */
export interface TruthReading {
  readonly metrics: Record<string, number>;
  readonly numGC: number;
  readonly lastGCUnixSeconds: number;
  readonly goroutines: number;
  readonly rss: number;
  readonly vsz: number;
}

/** The fixture's /truth. */
export interface Truth {
  readonly gather: number;
  readonly goVersion: string;
  readonly startedUnixSeconds: number;
  readonly before: TruthReading;
  readonly after: TruthReading;
}

const MiB = 2 ** 20;

/** True when no GC ran between the two readings: only then do the growing figures bracket the page's. */
export function quiet(t: Truth): boolean {
  return t.before.numGC === t.after.numGC && t.before.metrics['/gc/cycles/total:gc-cycles'] === t.after.metrics['/gc/cycles/total:gc-cycles'];
}

function within(what: string, value: number | undefined, a: number, b: number, slack = 0): void {
  assert.ok(value !== undefined, `${what} is missing`);
  const low = Math.min(a, b) - slack;
  const high = Math.max(a, b) + slack;
  assert.ok(value >= low && value <= high, `${what} = ${value}, not within [${low}, ${high}] (readings ${a} and ${b}, slack ${slack})`);
}

/**
 * Checks every figure of `page` against `t`. `classes`: the page has the runtime/metrics classes
 * (a custom registry), so heapLive is there too. The page must come from a quiet gather.
 */
export function assertMatchesTruth(page: PrometheusPage, t: Truth, classes: boolean): void {
  assert.ok(quiet(t), 'a GC ran during the gather: the readings do not bracket the page');
  const f = page.figures;
  assert.ok(f, `no figures: missing ${page.missing.join(', ')}; ${page.problems.join('; ')}`);
  const rm = (r: TruthReading, ...names: string[]) => names.reduce((sum, n) => sum + r.metrics[`/memory/classes/${n}:bytes`], 0);
  const both = (...names: string[]) => [rm(t.before, ...names), rm(t.after, ...names)] as const;
  // Only grow between GCs.
  within('heapObjects', f.heapObjects, ...both('heap/objects'));
  within('heap in use (objects + unused)', f.heapObjects + f.heapUnused, ...both('heap/objects', 'heap/unused'));
  within('heap mapped (in use + free + released)', f.heapObjects + f.heapUnused + f.heapFree + f.heapReleased, ...both('heap/objects', 'heap/unused', 'heap/free', 'heap/released'));
  within('total', f.total, ...both('total'));
  within('gcGoal', f.gcGoal, t.before.metrics['/gc/heap/goal:bytes'], t.after.metrics['/gc/heap/goal:bytes']);
  within('gcCycles', f.gcCycles, t.before.numGC, t.after.numGC);
  if (classes) within('heapLive', f.heapLive ?? 0, t.before.metrics['/gc/heap/live:bytes'], t.after.metrics['/gc/heap/live:bytes']);
  // Move both ways: within how much the heap's mapping and use changed during the gather.
  const grew = Math.abs(rm(t.after, 'heap/objects', 'heap/unused') - rm(t.before, 'heap/objects', 'heap/unused')) + Math.abs(rm(t.after, 'total') - rm(t.before, 'total'));
  const slack = grew + 64 * 1024;
  within('heapUnused', f.heapUnused, ...both('heap/unused'), slack);
  within('heapFree', f.heapFree, ...both('heap/free'), slack);
  within('heapReleased', f.heapReleased, ...both('heap/released'), slack);
  within('stacks', f.stacks, ...both('heap/stacks', 'os-stacks'), slack);
  // Settings: exactly.
  const limit = t.before.metrics['/gc/gomemlimit:bytes'];
  assert.strictEqual(f.memoryLimit, limit >= 2 ** 62 ? 0 : limit, 'memoryLimit');
  const gogc = t.before.metrics['/gc/gogc:percent'];
  assert.strictEqual(f.gogc, gogc === 2 ** 64 ? -1 : gogc, 'gogc');
  assert.strictEqual(f.goVersion, t.goVersion);
  // The gather itself runs a goroutine per collector and a few workers: the page counts them.
  within('goroutines', f.goroutines, t.before.goroutines, t.after.goroutines + 16);
  // The process collector reads /proc/self/stat; the fixture /proc/self/statm, around the gather.
  if (t.before.rss > 0) {
    within('rss', page.process.rss, t.before.rss, t.after.rss, 4 * MiB);
    within('vsz', page.process.vsz, t.before.vsz, t.after.vsz, 256 * MiB);
    assert.strictEqual(f.processRss, page.process.rss);
  }
  // Start time from the kernel's boot time and start ticks (10 ms): just before main() ran.
  within('start time', page.process.startTimeSeconds, t.startedUnixSeconds - 2, t.startedUnixSeconds);
  // The last GC as debug.ReadGCStats gives it (0 before the first).
  within('last GC', page.values.go_memstats_last_gc_time_seconds, t.before.lastGCUnixSeconds - 0.001, t.after.lastGCUnixSeconds + 0.001);
}
