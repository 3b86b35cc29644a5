/**
 * A Go source: where one watched program's runtime figures are read, found by discovery.ts.
 * One read is one loopback request (a GET, or one gops command).
 */
import { httpGet, gopsCommand } from './fetch';
import { GoFigures, GoSourceKind } from './figures';
import { parseAgentSnapshot, parseExpvar, parseGopsMemStats, parsePprofMemStats } from './parsers';

export interface GoSource {
  readonly kind: GoSourceKind;
  /** For the UI and the log: "expvar at http://127.0.0.1:8010/debug/vars". */
  readonly description: string;
  /** Reading more often than this is not worth its cost to the target. */
  readonly minIntervalMs: number;
  /** One read; rejects with a readable Error. */
  read(): Promise<GoFigures>;
  /** The agent's FreeOSMemory endpoint (other sources have none). */
  readonly freeOSMemoryUrl?: URL;
}

export const AGENT_PREFIX = '/debug/memorywatch/';
const READ_TIMEOUT_MS = 1000;

async function ok200(url: URL, maxBytes: number, keepTail?: number, timeoutMs = READ_TIMEOUT_MS): Promise<string> {
  const r = await httpGet(url, { timeoutMs, maxBytes, keepTail });
  if (r.status !== 200) throw new Error(`${url.pathname} answered HTTP ${r.status}`);
  return r.body;
}

/** Our companion agent (or the file the "Add FreeOSMemory Hook" command writes). */
export function agentSource(base: URL, pid: number): GoSource {
  const snapshot = new URL(`${AGENT_PREFIX}snapshot`, base);
  return {
    kind: 'agent',
    description: `Memory Watch agent at ${snapshot.host}`,
    minIntervalMs: 0,
    freeOSMemoryUrl: new URL(`${AGENT_PREFIX}freeosmemory`, base),
    async read() {
      const parsed = parseAgentSnapshot(await ok200(snapshot, 256 * 1024));
      if (!parsed) throw new Error('the agent answered something that is not a snapshot');
      // The port now belongs to another program (the agent's process restarted): not ours.
      if (parsed.pid !== pid) throw new Error(`the agent at ${snapshot.host} belongs to PID ${parsed.pid}, not ${pid}`);
      return parsed.figures;
    },
  };
}

export function expvarSource(base: URL): GoSource {
  const url = new URL('/debug/vars', base);
  return {
    kind: 'expvar',
    description: `expvar at ${url.host}${url.pathname}`,
    minIntervalMs: 0,
    async read() {
      const figures = parseExpvar(await ok200(url, 4 * 1024 * 1024));
      if (!figures) throw new Error('/debug/vars has no memstats');
      return figures;
    },
  };
}

/** net/http/pprof builds a heap profile per request: read it at most every 5 s. */
export function pprofSource(base: URL): GoSource {
  const url = new URL('/debug/pprof/heap?debug=1', base);
  return {
    kind: 'pprof',
    description: `net/http/pprof at ${url.host}/debug/pprof/heap`,
    minIntervalMs: 5000,
    async read() {
      // The MemStats block ends the profile; keep only the tail of what may be megabytes.
      const figures = parsePprofMemStats(await ok200(url, 32 * 1024 * 1024, 64 * 1024, 3000));
      if (!figures) throw new Error('the heap profile has no runtime.MemStats block');
      return figures;
    },
  };
}

/** gops command 0x03: memory statistics. */
export function gopsSource(port: number): GoSource {
  return {
    kind: 'gops',
    description: `gops agent on 127.0.0.1:${port}`,
    minIntervalMs: 0,
    async read() {
      const figures = parseGopsMemStats(await gopsCommand(port, 0x03));
      if (!figures) throw new Error('gops answered something that is not memory statistics');
      return figures;
    },
  };
}

export const GOPS_MEMSTATS = 0x03;
