/**
 * Parsers for each source's answer. Each returns GoFigures or undefined ("not this source").
 * expvar's `cmdline` holds os.Args, which may carry secrets: it is never read or kept.
 */
import { fromMemStats, GoFigures, NO_MEMORY_LIMIT } from './figures';

/** expvar's /debug/vars JSON: only its "memstats" object is read. */
export function parseExpvar(json: string): GoFigures | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json, (key, value) => (key === 'cmdline' ? undefined : value));
  } catch {
    return undefined;
  }
  const memstats = (parsed as { memstats?: unknown } | null)?.memstats;
  if (typeof memstats !== 'object' || memstats === null) return undefined;
  return fromMemStats(memstats as Record<string, number>);
}

/**
 * The `# runtime.MemStats` block at the end of /debug/pprof/heap?debug=1: lines "# Name = value".
 * Only the tail of a large profile needs to be given.
 */
export function parsePprofMemStats(text: string): GoFigures | undefined {
  const start = text.lastIndexOf('# runtime.MemStats');
  if (start < 0) return undefined;
  const fields: Record<string, number> = {};
  for (const line of text.slice(start).split('\n')) {
    const m = /^#\s+(\w+)\s*=\s*(\d+)\s*$/.exec(line);
    if (m) fields[m[1]] = Number(m[2]);
    // Pairs are written "in use / sys": "# Stack = 327680 / 327680" is StackInuse and StackSys.
    const pair = /^#\s+(\w+)\s*=\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(line);
    if (pair) {
      fields[`${pair[1]}Inuse`] = Number(pair[2]);
      fields[`${pair[1]}Sys`] = Number(pair[3]);
    }
  }
  return fromMemStats(fields);
}

/** gops' answer to command 0x03: lines "heap-released: 1.50MB (1572864 bytes)" and "num-gc: 12". */
export function parseGopsMemStats(text: string): GoFigures | undefined {
  const raw: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z-]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const bytes = /\((\d+) bytes\)/.exec(m[2]);
    const plain = /^(\d+)$/.exec(m[2].trim());
    if (bytes) raw[m[1]] = Number(bytes[1]);
    else if (plain) raw[m[1]] = Number(plain[1]);
  }
  return fromMemStats({
    HeapAlloc: raw['heap-alloc'],
    HeapInuse: raw['heap-in-use'],
    HeapIdle: raw['heap-idle'],
    HeapReleased: raw['heap-released'],
    StackSys: raw['stack-sys'],
    Sys: raw['sys'],
    NumGC: raw['num-gc'],
    NextGC: raw['next-gc'],
  });
}

/** The snapshot protocol number our agent speaks (agent/README.md). */
export const AGENT_PROTOCOL = 1;

/** What the agent's snapshot says besides the figures. */
export interface AgentSnapshot {
  readonly pid: number;
  readonly figures: GoFigures;
}

/** The agent's GET …/snapshot JSON. */
export function parseAgentSnapshot(json: string): AgentSnapshot | undefined {
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!s || s.protocol !== AGENT_PROTOCOL || typeof s.pid !== 'number') return undefined;
  const memory = s.memory as Record<string, number> | undefined;
  const gc = s.gc as Record<string, number> | undefined;
  if (!memory || !gc) return undefined;
  const num = (o: Record<string, number>, k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : undefined);
  const required = ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'heapStacks', 'osStacks', 'total'].map((k) => num(memory, k));
  if (required.some((v) => v === undefined) || num(gc, 'cycles') === undefined || num(gc, 'heapGoal') === undefined) return undefined;
  const [heapObjects, heapUnused, heapFree, heapReleased, heapStacks, osStacks, total] = required as number[];
  // "No limit" is math.MaxInt64, which JSON.parse rounds to 2^63: anything that large means none.
  const limit = typeof s.memoryLimit === 'number' && s.memoryLimit > 0 && s.memoryLimit < NO_MEMORY_LIMIT ? s.memoryLimit : undefined;
  const heapLive = num(gc, 'heapLive');
  return {
    pid: s.pid,
    figures: {
      heapObjects,
      heapUnused,
      heapFree,
      heapReleased,
      stacks: heapStacks + osStacks,
      total,
      gcCycles: num(gc, 'cycles')!,
      gcGoal: num(gc, 'heapGoal')!,
      heapLive: heapLive ? heapLive : undefined,
      memoryLimit: limit,
      gogc: typeof s.gogc === 'number' ? s.gogc : undefined,
      goVersion: typeof s.goVersion === 'string' ? s.goVersion : undefined,
      processRss: typeof (s.process as { rss?: unknown } | undefined)?.rss === 'number' ? (s.process as { rss: number }).rss : undefined,
    },
  };
}
