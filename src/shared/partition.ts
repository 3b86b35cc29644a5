/**
 * What RSS is made of at one instant, as far as the figures tell — the one place this is worked
 * out: the graph's stacked layers, the legend, the hover and the diagnosis all use it.
 *
 * The Go runtime's classes (heap in use, free heap it holds, stacks, the rest of what it accounts
 * for) come from its own figures; pages lazily freed (MADV_FREE) and anonymous memory beyond the
 * runtime's account (cgo, C libraries, mmap) come from comparing them with the OS's view. What is
 * left up to RSS is file-backed (the binary, mapped files). See ../../shared notes, go-memory-facts.
 */

/** One instant: OS figures and the Go runtime's. Missing values are NaN or undefined. */
export interface PartitionInput {
  readonly rss: number;
  readonly rssAnon?: number;
  readonly rssFile?: number;
  readonly lazyFree?: number;
  /** RSS as the program read it in the same instant as its figures (agent). */
  readonly goRss?: number;
  readonly heapObjects: number;
  readonly heapUnused: number;
  readonly heapFree: number;
  readonly heapReleased: number;
  readonly stacks: number;
  readonly goTotal: number;
}

/** The layers, bottom to top; each is ≥ 0 (NaN when the instant has no Go figures). */
export const PARTS = ['heapInUse', 'freeHeld', 'stacks', 'otherRuntime', 'lazyFree', 'outsideGo'] as const;
export type Part = (typeof PARTS)[number];
export type Partition = Record<Part, number>;

export const PART_LABELS: Record<Part, string> = {
  heapInUse: 'heap in use',
  freeHeld: 'free heap held',
  stacks: 'stacks',
  otherRuntime: 'other runtime',
  lazyFree: 'lazily freed',
  outsideGo: 'outside Go',
};

function known(v: number | undefined): v is number {
  return v !== undefined && !Number.isNaN(v);
}

/**
 * Anonymous resident memory, read as close in time to the Go figures as possible: the agent reads
 * RSS itself in the same instant (under load, a few milliseconds between our read and the
 * program's can be tens of MiB); else the OS's RssAnon; else all of RSS.
 */
export function anonymousRss(p: PartitionInput): number {
  const file = known(p.rssFile) ? p.rssFile : 0;
  if (known(p.goRss)) return p.goRss - file;
  return known(p.rssAnon) ? p.rssAnon : p.rss;
}

/** What the runtime holds resident by its own account: everything it mapped but what it released. */
export function goResident(p: Pick<PartitionInput, 'goTotal' | 'heapReleased'>): number {
  return Math.max(0, p.goTotal - p.heapReleased);
}

/** The partition of RSS at one instant; NaN in every part when there are no Go figures. */
export function partition(p: PartitionInput): Partition {
  if (!known(p.goTotal)) return { heapInUse: NaN, freeHeld: NaN, stacks: NaN, otherRuntime: NaN, lazyFree: NaN, outsideGo: NaN };
  const heapInUse = p.heapObjects + p.heapUnused;
  const resident = goResident(p);
  const lazyFree = known(p.lazyFree) ? p.lazyFree : 0;
  return {
    heapInUse,
    freeHeld: p.heapFree,
    stacks: p.stacks,
    otherRuntime: Math.max(0, resident - heapInUse - p.heapFree - p.stacks),
    lazyFree,
    outsideGo: Math.max(0, anonymousRss(p) - resident - lazyFree),
  };
}

/** The row of a columnar series at index i, as partition() reads it. */
export function partitionInputAt(cols: { readonly [K in keyof PartitionInput]-?: ArrayLike<number> }, i: number): PartitionInput {
  return {
    rss: cols.rss[i],
    rssAnon: cols.rssAnon[i],
    rssFile: cols.rssFile[i],
    lazyFree: cols.lazyFree[i],
    goRss: cols.goRss[i],
    heapObjects: cols.heapObjects[i],
    heapUnused: cols.heapUnused[i],
    heapFree: cols.heapFree[i],
    heapReleased: cols.heapReleased[i],
    stacks: cols.stacks[i],
    goTotal: cols.goTotal[i],
  };
}
