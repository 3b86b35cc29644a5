/**
 * Parsers for each source's answer. Each returns GoFigures or undefined ("not this source"), and
 * pushes onto `problems` why a figure it found was refused (negative, not finite, too large): a
 * target's answer is untrusted input, checked here at the boundary, once.
 * expvar's `cmdline` holds os.Args, which may carry secrets: it is never read or kept.
 */
import { describeRejected, fromMemStats, GoFigures, isCount, NO_MEMORY_LIMIT } from './figures';
import type { CgroupFigures } from '../cgroup/reader';
import { ScanResult, TopLevelMemberScanner } from './jsonMember';

/** The largest memstats object we accept (a real one is ≈ 10 KiB: 256 pauses, 61 size classes). */
export const MAX_MEMSTATS_BYTES = 256 * 1024;

/** A scanner for expvar's answer: feed it the body's chunks, it keeps only `memstats`. */
export function expvarScanner(): TopLevelMemberScanner {
  return new TopLevelMemberScanner('memstats', MAX_MEMSTATS_BYTES);
}

/** Figures from what an expvar scanner found. */
export function expvarFigures(scan: ScanResult, problems: string[] = []): GoFigures | undefined {
  if (scan.state !== 'found') return undefined;
  let memstats: unknown;
  try {
    memstats = JSON.parse(scan.json);
  } catch {
    problems.push('memstats is not valid JSON');
    return undefined;
  }
  if (typeof memstats !== 'object' || memstats === null || Array.isArray(memstats)) return undefined;
  return fromMemStats(memstats as Record<string, unknown>, problems);
}

/** expvar's /debug/vars JSON, whole (tests and small answers): only its "memstats" object is read. */
export function parseExpvar(json: string, problems: string[] = []): GoFigures | undefined {
  const scanner = expvarScanner();
  scanner.feed(Buffer.from(json, 'utf8'));
  return expvarFigures(scanner.end(), problems);
}

/**
 * The `# runtime.MemStats` block at the end of /debug/pprof/heap?debug=1: lines "# Name = value".
 * Only the tail of a large profile needs to be given.
 */
export function parsePprofMemStats(text: string, problems: string[] = []): GoFigures | undefined {
  const start = text.lastIndexOf('# runtime.MemStats');
  if (start < 0) return undefined;
  const fields: Record<string, number> = {};
  for (const line of text.slice(start, start + 64 * 1024).split('\n')) {
    const m = /^#\s+(\w{1,40})\s*=\s*(-?\d{1,30})\s*$/.exec(line);
    if (m) fields[m[1]] = Number(m[2]);
    // Pairs are written "in use / sys": "# Stack = 327680 / 327680" is StackInuse and StackSys.
    const pair = /^#\s+(\w{1,40})\s*=\s*(\d{1,30})\s*\/\s*(\d{1,30})\s*$/.exec(line);
    if (pair) {
      fields[`${pair[1]}Inuse`] = Number(pair[2]);
      fields[`${pair[1]}Sys`] = Number(pair[3]);
    }
  }
  return fromMemStats(fields, problems);
}

/** gops' answer to command 0x03: lines "heap-released: 1.50MB (1572864 bytes)" and "num-gc: 12". */
export function parseGopsMemStats(text: string, problems: string[] = []): GoFigures | undefined {
  const raw: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z-]{1,40}):\s*(.{0,200})$/.exec(line.trim());
    if (!m) continue;
    const bytes = /\((-?\d{1,30}) bytes\)/.exec(m[2]);
    const plain = /^(-?\d{1,30})$/.exec(m[2].trim());
    if (bytes) raw[m[1]] = Number(bytes[1]);
    else if (plain) raw[m[1]] = Number(plain[1]);
  }
  return fromMemStats(
    {
      HeapAlloc: raw['heap-alloc'],
      HeapInuse: raw['heap-in-use'],
      HeapIdle: raw['heap-idle'],
      HeapReleased: raw['heap-released'],
      StackSys: raw['stack-sys'],
      Sys: raw['sys'],
      NumGC: raw['num-gc'],
      NextGC: raw['next-gc'],
    },
    problems,
  );
}

/** The goroutine count from the first line of a goroutine profile (debug=1): "goroutine profile: total 42". */
export function parseGoroutineTotal(text: string): number | undefined {
  const m = /^goroutine profile: total (\d{1,12})\s/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The snapshot protocol number our agent speaks (agent/README.md). */
export const AGENT_PROTOCOL = 1;

/** The largest snapshot we accept (a real one is < 2 KiB). */
export const MAX_SNAPSHOT_BYTES = 64 * 1024;

/** What the agent's snapshot says besides the figures. */
export interface AgentSnapshot {
  readonly pid: number;
  /** The executable's base name, when the agent sends it. */
  readonly program?: string;
  readonly figures: GoFigures;
  /** The process as its OS sees it (Linux); `shared`: resident file-backed and shared pages. */
  readonly process?: { readonly rss: number; readonly vsz?: number; readonly shared?: number };
  /** Its memory cgroup (Linux, when it is in one). */
  readonly cgroup?: CgroupFigures;
}

/** A name shown to people: printable, bounded, or nothing. */
function plainName(value: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length > 0 && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined;
}

/** The agent's cgroup object, checked field by field; undefined when it is not one. */
function agentCgroup(raw: unknown, problems: string[]): CgroupFigures | undefined {
  if (raw === undefined || raw === null) return undefined;
  const c = raw as Record<string, unknown>;
  if (typeof c !== 'object' || (c.version !== 1 && c.version !== 2) || typeof c.path !== 'string' || c.path.length > 4096 || !isCount(c.usage) || !isCount(c.workingSet)) {
    problems.push('dropped the cgroup: not a cgroup object');
    return undefined;
  }
  const optional = (name: string, positive = false): number | undefined => {
    const v = c[name];
    if (v === undefined || v === null) return undefined;
    if (isCount(v) && (!positive || v > 0)) return v;
    problems.push(`dropped ${describeRejected(`cgroup.${name}`, v)}`);
    return undefined;
  };
  const limit = optional('limit', true);
  return {
    version: c.version,
    path: c.path,
    usage: c.usage,
    workingSet: c.workingSet,
    limit,
    limitPath: limit !== undefined && typeof c.limitPath === 'string' && c.limitPath.length <= 4096 ? c.limitPath : undefined,
    high: optional('high', true),
    inactiveFile: optional('inactiveFile'),
    peak: optional('peak'),
    oomKills: optional('oomKills'),
  };
}

/** Go's version string as the program reports it, if it looks like one: shown to people, so bounded. */
function goVersionText(value: unknown): string | undefined {
  return typeof value === 'string' && /^go[\w.+-]{1,40}$/.test(value) ? value : undefined;
}

/** The agent's GET …/snapshot JSON. */
export function parseAgentSnapshot(json: string, problems: string[] = []): AgentSnapshot | undefined {
  if (json.length > MAX_SNAPSHOT_BYTES) return undefined;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!s || typeof s !== 'object' || s.protocol !== AGENT_PROTOCOL || !(isCount(s.pid) && s.pid > 0)) return undefined;
  const memory = s.memory as Record<string, unknown> | undefined;
  const gc = s.gc as Record<string, unknown> | undefined;
  if (!memory || typeof memory !== 'object' || !gc || typeof gc !== 'object') return undefined;
  const requiredMemory = ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'heapStacks', 'osStacks', 'total'];
  const requiredGc = ['cycles', 'heapGoal'];
  const bad = [...requiredMemory.filter((k) => !isCount(memory[k])).map((k) => describeRejected(`memory.${k}`, memory[k])), ...requiredGc.filter((k) => !isCount(gc[k])).map((k) => describeRejected(`gc.${k}`, gc[k]))];
  if (bad.length) {
    problems.push(`not a size: ${bad.join(', ')}`);
    return undefined;
  }
  const [heapObjects, heapUnused, heapFree, heapReleased, heapStacks, osStacks, total] = requiredMemory.map((k) => memory[k] as number);
  // Two counts can add up to more than is exact: the sum must be a count too.
  if (!isCount(heapStacks + osStacks)) {
    problems.push(`not a size: memory.heapStacks + memory.osStacks = ${heapStacks + osStacks}`);
    return undefined;
  }
  /** An optional figure: kept when valid, else dropped with a reason. */
  const optional = <T>(name: string, value: unknown, valid: (v: unknown) => v is T): T | undefined => {
    if (value === undefined || value === null) return undefined;
    if (valid(value)) return value;
    problems.push(`dropped ${describeRejected(name, value)}`);
    return undefined;
  };
  // "No limit" is math.MaxInt64, which JSON.parse rounds to 2^63: anything that large means none (0).
  const limitRaw = typeof s.memoryLimit === 'number' && s.memoryLimit >= NO_MEMORY_LIMIT ? 0 : s.memoryLimit;
  const memoryLimit = optional('memoryLimit', limitRaw, isCount);
  // GOGC is a percentage, or −1 when the collector is off; nothing else exists.
  const gogc = optional('gogc', s.gogc, (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= -1);
  const heapLive = optional('gc.heapLive', gc.heapLive, isCount);
  const proc = (typeof s.process === 'object' && s.process !== null ? s.process : {}) as { rss?: unknown; vsz?: unknown; shared?: unknown };
  const processRss = optional('process.rss', proc.rss, isCount);
  const processVsz = optional('process.vsz', proc.vsz, isCount);
  const processShared = optional('process.shared', proc.shared, isCount);
  const goroutines = optional('goroutines', s.goroutines, isCount);
  return {
    pid: s.pid,
    program: plainName(s.program),
    process: processRss !== undefined ? { rss: processRss, vsz: processVsz, shared: processShared } : undefined,
    cgroup: agentCgroup(s.cgroup, problems),
    figures: {
      heapObjects,
      heapUnused,
      heapFree,
      heapReleased,
      stacks: heapStacks + osStacks,
      total,
      gcCycles: gc.cycles as number,
      gcGoal: gc.heapGoal as number,
      heapLive: heapLive ? heapLive : undefined,
      memoryLimit,
      gogc,
      goVersion: goVersionText(s.goVersion),
      processRss,
      goroutines,
    },
  };
}
