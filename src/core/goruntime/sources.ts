/**
 * A Go source: where one watched program's runtime figures are read, found by discovery.ts.
 * One read is one loopback request (a GET, or one gops command), with the bounds of its kind:
 * discovery probes with the very same read, so what is found is what will be read.
 */
import { KeptConnection, request, RequestError } from '../net/request';
import { gopsCommand, GOPS_MEMSTATS } from '../net/gops';
import { GoFigures, GoSourceKind } from './figures';
import { expvarFigures, expvarScanner, MAX_SNAPSHOT_BYTES, parseAgentSnapshot, parseGoroutineTotal, parseGopsMemStats, parsePprofMemStats } from './parsers';

/** One read: the figures, and what was refused in the answer (logged once, never shown as figures). */
export interface SourceReading {
  readonly figures: GoFigures;
  readonly problems: readonly string[];
}

export interface GoSource {
  readonly kind: GoSourceKind;
  /** For the UI and the log: "expvar at 127.0.0.1:8010/debug/vars". */
  readonly description: string;
  /** Reading more often than this is not worth its cost to the target. */
  readonly minIntervalMs: number;
  /** One read; rejects with a SourceError. */
  read(timeoutMs?: number): Promise<SourceReading>;
  /** The agent's FreeOSMemory endpoint (other sources have none). */
  readonly freeOSMemoryUrl?: URL;
  /** The HTTP origin it answers on (agent, expvar, pprof): where a heap profile may be asked too. */
  readonly baseUrl?: URL;
  /** Closes the connection kept between reads (agent, expvar), if any. A later read opens another. */
  close?(): void;
}

/** Why a read gave no figures. `silent`: nothing there speaks HTTP (discovery does not ask that port again). */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly silent = false,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export const AGENT_PREFIX = '/debug/memorywatch/';
/**
 * The Go runtime's figures change at GC granularity: reading them more than once a second costs the
 * extension host a request and a parse, and the target a handler run (expvar and pprof stop the
 * world for ReadMemStats), for nothing new. Samples in between carry OS figures only; the graph
 * joins the Go figures across them (nothing is interpolated).
 */
export const GO_FIGURES_MIN_INTERVAL_MS = 1000;
const READ_TIMEOUT_MS = 1000;
/**
 * expvar: how far into /debug/vars we look for memstats. expvar writes its variables sorted by
 * name, so a service's own maps named before "memstats" come first; the scan costs ≈ 1 ms per MiB
 * and keeps nothing of what it skips, and the request ends as soon as memstats has been read.
 */
export const MAX_EXPVAR_BYTES = 8 * 1024 * 1024;
/** pprof's debug=1 heap profile: read through (it may be megabytes), keeping only its tail. */
const MAX_PPROF_BYTES = 32 * 1024 * 1024;
const PPROF_TAIL_BYTES = 64 * 1024;

/** A request's failure as a source failure: a refused connection or non-HTTP answer is silent. */
function sourceError(err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  if (err instanceof RequestError) return new SourceError(err.message, err.failure === 'unreachable' || (err.failure === 'broken' && /does not speak HTTP|closed the connection/.test(err.message)));
  return new SourceError((err as Error).message ?? String(err));
}

async function get(url: URL, what: string, options: { timeoutMs: number; maxBytes: number; keepTail?: number; consume?: (chunk: Buffer) => boolean; connection?: KeptConnection }): Promise<Buffer> {
  try {
    const answer = await request(url, { ...options, label: what });
    if (answer.status !== 200) throw new SourceError(`${url.pathname} answered HTTP ${answer.status}`);
    if (answer.contentEncoding && answer.contentEncoding !== 'identity') throw new SourceError(`${url.pathname} answered compressed (${answer.contentEncoding.slice(0, 20)}), which is not inflated`);
    return answer.body;
  } catch (err) {
    throw sourceError(err);
  }
}

function reading(figures: GoFigures | undefined, problems: string[], missing: string): SourceReading {
  if (!figures) throw new SourceError(problems.length ? `${missing} (${problems.join('; ')})` : missing);
  return { figures, problems };
}

/** Our companion agent (or the file the "Add FreeOSMemory Hook" command writes). */
export function agentSource(base: URL, pid: number): GoSource {
  const snapshot = new URL(`${AGENT_PREFIX}snapshot`, base);
  const connection = new KeptConnection();
  return {
    kind: 'agent',
    description: `Memory Watch agent at ${snapshot.host}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    baseUrl: new URL(base.origin),
    freeOSMemoryUrl: new URL(`${AGENT_PREFIX}freeosmemory`, base),
    async read(timeoutMs = READ_TIMEOUT_MS) {
      const body = await get(snapshot, `The agent at ${snapshot.host}`, { timeoutMs, maxBytes: MAX_SNAPSHOT_BYTES, connection });
      const problems: string[] = [];
      const parsed = parseAgentSnapshot(body.toString('utf8'), problems);
      if (!parsed) return reading(undefined, problems, 'the agent answered something that is not a snapshot');
      // The port now belongs to another program (the agent's process restarted): not ours.
      if (parsed.pid !== pid) throw new SourceError(`the agent at ${snapshot.host} belongs to PID ${parsed.pid}, not ${pid}`);
      return reading(parsed.figures, problems, '');
    },
    close: () => connection.close(),
  };
}

export function expvarSource(base: URL): GoSource {
  const url = new URL('/debug/vars', base);
  const connection = new KeptConnection();
  return {
    kind: 'expvar',
    description: `expvar at ${url.host}${url.pathname}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    baseUrl: new URL(base.origin),
    async read(timeoutMs = READ_TIMEOUT_MS) {
      // Streamed: only memstats is kept, and the request ends once it has been read.
      const scanner = expvarScanner();
      await get(url, `expvar at ${url.host}`, { timeoutMs, maxBytes: MAX_EXPVAR_BYTES, consume: (chunk) => scanner.feed(chunk).state !== 'more', connection });
      const scan = scanner.end();
      const problems: string[] = [];
      return reading(expvarFigures(scan, problems), problems, scan.state === 'invalid' ? `/debug/vars has no memstats: ${scan.reason}` : '/debug/vars has no memstats');
    },
    close: () => connection.close(),
  };
}

/** net/http/pprof builds a heap profile per request: read it at most every 5 s. */
export function pprofSource(base: URL): GoSource {
  const url = new URL('/debug/pprof/heap?debug=1', base);
  return {
    kind: 'pprof',
    description: `net/http/pprof at ${url.host}/debug/pprof/heap`,
    minIntervalMs: 5000,
    baseUrl: new URL(base.origin),
    async read(timeoutMs = 3000) {
      // The MemStats block ends the profile; keep only the tail of what may be megabytes.
      const body = await get(url, `net/http/pprof at ${url.host}`, { timeoutMs, maxBytes: MAX_PPROF_BYTES, keepTail: PPROF_TAIL_BYTES });
      const problems: string[] = [];
      const result = reading(parsePprofMemStats(body.toString('utf8'), problems), problems, 'the heap profile has no runtime.MemStats block');
      // The goroutine count is the first line of the goroutine profile: read that line only.
      const goroutines = await readGoroutineTotal(new URL('/debug/pprof/goroutine?debug=1', base), timeoutMs).catch(() => undefined);
      return goroutines === undefined ? result : { ...result, figures: { ...result.figures, goroutines } };
    },
  };
}

/** "goroutine profile: total 42" — the first line of net/http/pprof's goroutine?debug=1. */
async function readGoroutineTotal(url: URL, timeoutMs: number): Promise<number | undefined> {
  const answer = await request(url, { timeoutMs, maxBytes: 256, overflow: 'truncate', label: `net/http/pprof at ${url.host}` });
  if (answer.status !== 200) return undefined;
  return parseGoroutineTotal(answer.body.toString('utf8'));
}

/** gops command 0x03: memory statistics. */
export function gopsSource(port: number): GoSource {
  return {
    kind: 'gops',
    description: `gops agent on 127.0.0.1:${port}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    async read(timeoutMs = READ_TIMEOUT_MS) {
      let text: string;
      try {
        text = await gopsCommand(port, GOPS_MEMSTATS, timeoutMs);
      } catch (err) {
        throw new SourceError((err as Error).message, true);
      }
      const problems: string[] = [];
      return reading(parseGopsMemStats(text, problems), problems, 'gops answered something that is not memory statistics');
    },
  };
}
