/**
 * What changed between two heap profiles of one program: per allocation site (same function,
 * file and line), the change of in-use and allocated figures, which sites are new, and the sites
 * ordered by in-use growth — the leak candidates first.
 */
import { HEAP_VALUE_KEYS, HeapProfileSummary, HeapSite, HeapSiteDelta, HeapValues, pickValues, zeroValues } from '../../shared/heap/types';

export type { HeapSiteDelta } from '../../shared/heap/types';

/** The change between two heap profiles. */
export interface HeapProfileDiff {
  /** current.totals − baseline.totals. */
  totalsDelta: HeapValues;
  /** Time between the two profiles in ms, when both say when they were taken. */
  elapsedMs: number | undefined;
  /** Every site listed in either profile, largest in-use growth first (then alloc growth). */
  growth: HeapSiteDelta[];
  /** The sites that are new since the baseline (see {@link HeapSiteDelta.isNew}), largest first. */
  newSites: HeapSiteDelta[];
  /**
   * The baseline left some sites out (its top-N cut): a site missing from it may have had up to
   * what the cut allowed, so it is not called new and its delta may be overstated.
   */
  baselineIncomplete: boolean;
  /** Reasons to doubt the comparison, as sentences (different process, sampling rates, order). */
  warnings: string[];
}

/** Compares two summaries of the same program's heap (baseline earlier, current later). */
export function diffProfiles(baseline: HeapProfileSummary, current: HeapProfileSummary): HeapProfileDiff {
  const baselineIncomplete = baseline.omittedSites.count > 0;
  const before = new Map<string, HeapSite>(baseline.sites.map((s) => [s.key, s]));
  const after = new Map<string, HeapSite>(current.sites.map((s) => [s.key, s]));
  const growth: HeapSiteDelta[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key);
    const b = after.get(key);
    const site = (b ?? a)!;
    growth.push({
      key,
      functionName: site.functionName,
      shortName: site.shortName,
      file: site.file,
      line: site.line,
      baseline: a && pickValues(a),
      current: b && pickValues(b),
      delta: subtract(b ?? zeroValues(), a ?? zeroValues()),
      isNew: !a && !baselineIncomplete,
    });
  }
  growth.sort(byGrowth);

  const elapsedMs = baseline.capturedAtMs !== undefined && current.capturedAtMs !== undefined ? current.capturedAtMs - baseline.capturedAtMs : undefined;
  return {
    totalsDelta: subtract(current.totals, baseline.totals),
    elapsedMs,
    growth,
    newSites: growth.filter((d) => d.isNew),
    baselineIncomplete,
    warnings: warningsFor(baseline, current, elapsedMs),
  };
}

/** Largest in-use growth first; then alloc growth; then by key, so the order is stable. */
function byGrowth(a: HeapSiteDelta, b: HeapSiteDelta): number {
  return b.delta.inuseBytes - a.delta.inuseBytes || b.delta.allocBytes - a.delta.allocBytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function subtract(a: HeapValues, b: HeapValues): HeapValues {
  const out = zeroValues();
  for (const key of HEAP_VALUE_KEYS) out[key] = a[key] - b[key];
  return out;
}

function warningsFor(baseline: HeapProfileSummary, current: HeapProfileSummary, elapsedMs: number | undefined): string[] {
  const warnings: string[] = [];
  // Allocation totals only grow within one process: if they fell, these are two processes.
  if (current.has.allocObjects && current.totals.allocObjects < baseline.totals.allocObjects) {
    warnings.push('Allocation totals went down: the program restarted between the two profiles, so this compares two different processes.');
  }
  if (baseline.samplingRate !== current.samplingRate) {
    warnings.push(`The profiles were sampled differently (MemProfileRate ${baseline.samplingRate} then ${current.samplingRate}): differences may be sampling noise.`);
  } else if (current.samplingRate > 1) {
    warnings.push(`Both profiles are sampled (one sample per ${current.samplingRate} bytes on average): small differences may be sampling noise.`);
  }
  if (elapsedMs !== undefined && elapsedMs < 0) warnings.push('The baseline was taken after the current profile: the changes are reversed.');
  return warnings;
}
