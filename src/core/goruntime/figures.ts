/**
 * The Go runtime's own view of its memory, the same whatever source it came from (our agent,
 * expvar, net/http/pprof, gops). Sizes in bytes; a missing figure is undefined.
 *
 * The classes partition what the runtime has mapped (go-memory-facts.md):
 *   heapObjects + heapUnused = heap in use;  heapFree = free heap the runtime still holds;
 *   heapReleased = returned to the OS (not resident, unless MADV_FREE left it in RSS);
 *   stacks; and the rest of `total` is other runtime memory (metadata, profiling, …).
 */

export type GoSourceKind = 'agent' | 'prometheus' | 'expvar' | 'pprof' | 'gops';

export interface GoFigures {
  /** Live objects and not-yet-swept garbage (MemStats.HeapAlloc). */
  readonly heapObjects: number;
  /** Spans in use, their unused part (HeapInuse − HeapAlloc): fragmentation. */
  readonly heapUnused: number;
  /** Free heap the runtime keeps for reuse (HeapIdle − HeapReleased). */
  readonly heapFree: number;
  /** Heap returned to the OS (HeapReleased). */
  readonly heapReleased: number;
  /** Goroutine and OS stacks (StackSys). */
  readonly stacks: number;
  /** Everything the runtime mapped (Sys). */
  readonly total: number;
  /** Completed GC cycles (NumGC). */
  readonly gcCycles: number;
  /** Heap size at which the next GC starts (NextGC). */
  readonly gcGoal: number;
  /** Heap marked live by the last GC (agent, Go ≥ 1.21). */
  readonly heapLive?: number;
  /** GOMEMLIMIT in bytes; 0 when the source says none is set (agent); undefined when not known. */
  readonly memoryLimit?: number;
  /** GOGC percent (agent); −1 when GC is off. */
  readonly gogc?: number;
  readonly goVersion?: string;
  /** RSS as the program itself read it, at the same instant as the figures (agent, Linux). */
  readonly processRss?: number;
  /** Live goroutines (agent: runtime/metrics; pprof: the goroutine profile's total). */
  readonly goroutines?: number;
}

/** GOMEMLIMIT values from here up mean "no limit" (Go reports math.MaxInt64; JSON rounds it to 2^63). */
export const NO_MEMORY_LIMIT = 2 ** 62;

export { isCount } from '../util/counts';
import { isCount } from '../util/counts';

/** How a rejected figure is named in the log: "HeapAlloc = -5". Bounded: it came from the target. */
export function describeRejected(name: string, value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return `${name.slice(0, 40)} = ${text.slice(0, 40)}`;
}

/**
 * Figures from a runtime.MemStats (expvar's JSON, pprof's text, gops' text: same field meanings).
 * Undefined when a field it needs is missing or is not a count; `problems` then says which.
 */
export function fromMemStats(m: Record<string, unknown>, problems: string[] = []): GoFigures | undefined {
  const need = ['HeapAlloc', 'HeapInuse', 'HeapIdle', 'HeapReleased', 'StackSys', 'Sys', 'NumGC', 'NextGC'];
  const missing = need.filter((k) => m[k] === undefined);
  if (missing.length) return undefined;
  const bad = need.filter((k) => !isCount(m[k]));
  if (bad.length) {
    problems.push(`not a size: ${bad.map((k) => describeRejected(k, m[k])).join(', ')}`);
    return undefined;
  }
  const v = (k: string) => m[k] as number;
  return {
    heapObjects: v('HeapAlloc'),
    heapUnused: Math.max(0, v('HeapInuse') - v('HeapAlloc')),
    heapFree: Math.max(0, v('HeapIdle') - v('HeapReleased')),
    heapReleased: v('HeapReleased'),
    stacks: v('StackSys'),
    total: v('Sys'),
    gcCycles: v('NumGC'),
    gcGoal: v('NextGC'),
  };
}
