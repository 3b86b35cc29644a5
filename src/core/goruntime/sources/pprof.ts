/** net/http/pprof: the MemStats block that ends /debug/pprof/heap?debug=1, and the goroutine count. */
import { request } from '../../net/request';
import { parseGoroutineTotal, parsePprofMemStats } from '../parsers';
import { get, GoSource, HttpSourceKind, reading } from './source';

/** pprof's debug=1 heap profile: read through (it may be megabytes), keeping only its tail. */
const MAX_PPROF_BYTES = 32 * 1024 * 1024;
const PPROF_TAIL_BYTES = 64 * 1024;

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


export const pprofKind: HttpSourceKind = {
  kind: 'pprof',
  probeUrl: (base) => new URL('/debug/pprof/heap?debug=1', base),
  claims: (pathname) => pathname.startsWith('/debug/pprof'),
  at: (base) => pprofSource(base),
};
