/**
 * A Go source: where one watched program's runtime figures are read, found by discovery.ts. Each
 * kind is a file of this folder, registered in index.ts (HTTP_SOURCES: the order discovery asks a
 * port). One read is one loopback request (a GET, or one gops command), with the bounds of its
 * kind: discovery probes with the very same read, so what is found is what will be read.
 */
import { KeptConnection, request, RequestError } from '../../net/request';
import { GoFigures, GoSourceKind } from '../figures';

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

/**
 * The Go runtime's figures change at GC granularity: reading them more than once a second costs the
 * extension host a request and a parse, and the target a handler run (expvar and pprof stop the
 * world for ReadMemStats), for nothing new. Samples in between carry OS figures only; the graph
 * joins the Go figures across them (nothing is interpolated).
 */
export const GO_FIGURES_MIN_INTERVAL_MS = 1000;
export const READ_TIMEOUT_MS = 1000;

/** A request's failure as a source failure: a refused connection or non-HTTP answer is silent. */
export function sourceError(err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  if (err instanceof RequestError) return new SourceError(err.message, err.failure === 'unreachable' || (err.failure === 'broken' && /does not speak HTTP|closed the connection/.test(err.message)));
  return new SourceError((err as Error).message ?? String(err));
}

/** One GET of a source: its body (or none, read by `consume`), or a SourceError. */
export async function get(
  url: URL,
  what: string,
  options: { timeoutMs: number; maxBytes: number; keepTail?: number; consume?: (chunk: Buffer) => boolean; connection?: KeptConnection; headers?: Readonly<Record<string, string>> },
): Promise<Buffer> {
  try {
    const answer = await request(url, { ...options, label: what });
    if (answer.status !== 200) throw new SourceError(`${url.pathname} answered HTTP ${answer.status}`);
    if (answer.contentEncoding && answer.contentEncoding !== 'identity') throw new SourceError(`${url.pathname} answered compressed (${answer.contentEncoding.slice(0, 20)}), which is not inflated`);
    return answer.body;
  } catch (err) {
    throw sourceError(err);
  }
}

/** A read's figures, or a SourceError saying what was missing (and what was refused). */
export function reading(figures: GoFigures | undefined, problems: string[], missing: string): SourceReading {
  if (!figures) throw new SourceError(problems.length ? `${missing} (${problems.join('; ')})` : missing);
  return { figures, problems };
}

/** A kind of source that answers over HTTP on a port of the program: how discovery finds it there. */
export interface HttpSourceKind {
  readonly kind: GoSourceKind;
  /** The URL discovery asks (for the log and the tests). */
  probeUrl(base: URL): URL;
  /** Whether a URL the user gave (memoryWatch.metricsUrl) names this kind by its path. */
  claims(pathname: string): boolean;
  /** The source at `base`, for the program `pid`. */
  at(base: URL, pid: number): GoSource;
  /** How long discovery waits for its first answer, when longer than for the others (a page of megabytes). */
  readonly probeTimeoutMs?: number;
}
