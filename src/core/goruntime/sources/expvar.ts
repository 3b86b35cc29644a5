/** expvar (`import _ "expvar"`): /debug/vars, scanned for `memstats` alone. */
import { KeptConnection } from '../../net/request';
import { expvarFigures, expvarScanner } from '../parsers';
import { get, GO_FIGURES_MIN_INTERVAL_MS, GoSource, HttpSourceKind, reading, READ_TIMEOUT_MS } from './source';

/**
 * How far into /debug/vars we look for memstats. expvar writes its variables sorted by name, so a
 * service's own maps named before "memstats" come first; the scan keeps nothing of what it skips
 * (bench/RESULTS.md: its cost per MiB), and the request ends as soon as memstats has been read.
 */
export const MAX_EXPVAR_BYTES = 8 * 1024 * 1024;

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


export const expvarKind: HttpSourceKind = {
  kind: 'expvar',
  probeUrl: (base) => new URL('/debug/vars', base),
  claims: (pathname) => pathname.startsWith('/debug/vars'),
  at: (base) => expvarSource(base),
};
