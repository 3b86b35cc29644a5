/**
 * The shapes of a summarized Go heap profile: what the worker sends back to the extension host,
 * small enough to post as one message (the top entries only, with what was left out).
 */

/** The four figures of a Go heap profile, as `go tool pprof -sample_index=…` names them. */
export interface HeapValues {
  /** inuse_space: bytes allocated and not yet freed, as of the last completed GC. */
  inuseBytes: number;
  /** inuse_objects: objects allocated and not yet freed, as of the last completed GC. */
  inuseObjects: number;
  /** alloc_space: bytes allocated since the program started (freed or not). */
  allocBytes: number;
  /** alloc_objects: objects allocated since the program started. */
  allocObjects: number;
}

/** The keys of {@link HeapValues}, in a fixed order. */
export const HEAP_VALUE_KEYS: readonly (keyof HeapValues)[] = ['inuseBytes', 'inuseObjects', 'allocBytes', 'allocObjects'];

/** A profile's sample type, e.g. `{ type: 'inuse_space', unit: 'bytes' }`. */
export interface HeapSampleType {
  type: string;
  unit: string;
}

/**
 * An allocation site: the innermost frame of a sample (after Go's runtime hides its own malloc
 * frames), i.e. the line that allocated. Flat figures: only allocations made on this very line.
 */
export interface HeapSite extends HeapValues {
  /** Identity across profiles: function, file and line joined by newlines. */
  key: string;
  /** Full Go function name, e.g. `example.com/svc/store.(*LRU).Add`. */
  functionName: string;
  /** Without the package path, as pprof shortens it: `store.(*LRU).Add`. */
  shortName: string;
  /** The file as the profile records it (absolute on the build machine, or a -trimpath path). */
  file: string;
  /** 1-based line; 0 when the profile has none. */
  line: number;
}

/** One function, like a row of `go tool pprof -top` (flat) and `-top -cum` (cum). */
export interface HeapFunction {
  /** Identity across profiles: function name and file joined by a newline. */
  key: string;
  functionName: string;
  shortName: string;
  file: string;
  /** Line of the `func` keyword; 0 when unknown. */
  startLine: number;
  /** Allocations whose innermost frame is in this function. */
  flat: HeapValues;
  /** Allocations with this function anywhere on the stack (counted once per sample). */
  cum: HeapValues;
}

/** What the top-N cut left out of a list. */
export interface HeapOmitted {
  /** How many entries were left out. */
  count: number;
  /** Their summed flat figures (for sites: their figures; for functions: their flat figures). */
  values: HeapValues;
}

/** A Go heap profile, summarized: the figures and the top sites and functions. */
export interface HeapProfileSummary {
  /** The profile's sample types in order (a Go heap profile has all four of {@link HeapValues}). */
  sampleTypes: HeapSampleType[];
  /** Which figures the profile actually has; a missing one reads 0 everywhere. */
  has: Record<keyof HeapValues, boolean>;
  /** The profile's default sample type (Go's heap profile names none: pprof then shows inuse_space). */
  defaultSampleType: string | undefined;
  /**
   * runtime.MemProfileRate when the profile was written: on average one sample per this many
   * bytes allocated (1 = every allocation). Go already scales the values up to estimates, so they
   * are exact only at 1.
   */
  samplingRate: number;
  /** When the profile was written (ms since the epoch), if it says. */
  capturedAtMs: number | undefined;
  /** Samples (distinct stacks) in the profile. */
  sampleCount: number;
  /** Sums over all samples. */
  totals: HeapValues;
  /** Distinct allocation sites with a non-zero figure in the whole profile. */
  siteCount: number;
  /** The top sites, by the largest of their four shares of the totals, largest first. */
  sites: HeapSite[];
  omittedSites: HeapOmitted;
  /** Distinct functions with a non-zero cum figure in the whole profile. */
  functionCount: number;
  /** The top functions, by the largest of their flat and cum shares, largest first. */
  functions: HeapFunction[];
  omittedFunctions: HeapOmitted;
}

/** Zeroed figures. */
export function zeroValues(): HeapValues {
  return { inuseBytes: 0, inuseObjects: 0, allocBytes: 0, allocObjects: 0 };
}

/** The four figures of `from` (drops any other fields, e.g. a site's name). */
export function pickValues(from: HeapValues): HeapValues {
  return { inuseBytes: from.inuseBytes, inuseObjects: from.inuseObjects, allocBytes: from.allocBytes, allocObjects: from.allocObjects };
}

/** One site's change between the baseline and the current profile. */
export interface HeapSiteDelta {
  key: string;
  functionName: string;
  shortName: string;
  file: string;
  line: number;
  /** Its figures in the baseline; undefined when the baseline does not list it. */
  baseline: HeapValues | undefined;
  /** Its figures now; undefined when the current profile does not list it. */
  current: HeapValues | undefined;
  /**
   * current − baseline, a missing side counting as 0. In-use figures may go down; alloc figures
   * (totals since the program started) give what was allocated between the two profiles.
   */
  delta: HeapValues;
  /** Absent from a baseline that listed every site: it allocated nothing before. */
  isNew: boolean;
}
