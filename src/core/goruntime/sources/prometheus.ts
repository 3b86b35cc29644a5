/**
 * Prometheus /metrics, as most Go services already serve it (client_golang's promhttp.Handler):
 * the Go collector's families (on Go ≥ 1.17 computed from runtime/metrics: no stop-the-world, unlike
 * expvar's ReadMemStats) and the process collector's (RSS, VSZ, start time). The page is read
 * streamed through prometheusText.ts, which keeps only those families, however many series the
 * service adds of its own; over a kept connection, at most once a second.
 */
import { KeptConnection, request } from '../../net/request';
import type { GoFigures } from '../figures';
import { expositionFormat, PROMETHEUS_ACCEPT, PrometheusPage, PrometheusTextReader } from '../prometheusText';
import { GO_FIGURES_MIN_INTERVAL_MS, GoSource, HttpSourceKind, SourceError, sourceError, SourceReading } from './source';

/** A service's own series can make a page of megabytes; past this it is not read (nor believed). */
export const MAX_METRICS_BYTES = 16 * 1024 * 1024;
/** Such a page takes longer to arrive than a snapshot: the read's deadline, and discovery's. */
const METRICS_TIMEOUT_MS = 3000;

/** A read of the page: the Go figures, and the process collector's when it has them. */
export interface MetricsReading extends SourceReading {
  readonly process: PrometheusPage['process'];
}

/** The page at `url`, read and understood; a SourceError when it is not one to take figures from. */
export async function readMetricsPage(url: URL, options: { readonly timeoutMs: number; readonly connection?: KeptConnection; readonly allowedHosts?: readonly string[] }): Promise<PrometheusPage> {
  const reader = new PrometheusTextReader();
  let answer;
  try {
    answer = await request(url, {
      timeoutMs: options.timeoutMs,
      maxBytes: MAX_METRICS_BYTES,
      headers: { accept: PROMETHEUS_ACCEPT },
      // Read as it streams in; kept: only the families we use. False: the page is no metrics page.
      consume: (chunk) => !reader.feed(chunk),
      connection: options.connection,
      allowedHosts: options.allowedHosts,
      label: `Prometheus metrics at ${url.host}`,
    });
  } catch (err) {
    throw sourceError(err);
  }
  if (answer.status !== 200) throw new SourceError(`${url.pathname} answered HTTP ${answer.status}`);
  if (answer.contentEncoding && answer.contentEncoding !== 'identity') throw new SourceError(`${url.pathname} answered compressed (${answer.contentEncoding.slice(0, 20)}), which is not inflated`);
  const format = expositionFormat(answer.contentType);
  if (!format.ok) throw new SourceError(`${url.pathname} is not a Prometheus metrics page: ${format.reason}`);
  const page = reader.end();
  if (page.notASource) throw new SourceError(`${url.pathname}: ${page.notASource}`);
  return page;
}

/** The Go figures of a page, or a SourceError that says what it lacks. */
export function metricsReading(url: URL, page: PrometheusPage): MetricsReading {
  const problems = [...page.problems];
  if (!page.figures) {
    const lacks = page.missing.length ? `: it has no ${page.missing.slice(0, 4).join(', ')}${page.missing.length > 4 ? ', …' : ''}` : '';
    throw new SourceError(`${url.pathname} has no Go runtime figures (a program without the Go collector, or not in Go)${lacks}`);
  }
  return { figures: page.figures as GoFigures, problems, process: page.process };
}

/** The page at `at`'s path when it names one (a URL the user gave), else /metrics on its origin. */
export function prometheusSource(at: URL): GoSource & { read(timeoutMs?: number): Promise<MetricsReading> } {
  const url = new URL(METRICS_PATH.test(at.pathname) ? at.pathname : '/metrics', at.origin);
  const connection = new KeptConnection();
  return {
    kind: 'prometheus',
    description: `Prometheus metrics at ${url.host}${url.pathname}`,
    minIntervalMs: GO_FIGURES_MIN_INTERVAL_MS,
    baseUrl: new URL(at.origin),
    async read(timeoutMs = METRICS_TIMEOUT_MS) {
      return metricsReading(url, await readMetricsPage(url, { timeoutMs, connection }));
    },
    close: () => connection.close(),
  };
}

/** A path that names a metrics page: /metrics, or one ending so (/internal/metrics). */
const METRICS_PATH = /^(\/[^?#]*)?\/metrics\/?$/;

export const prometheusKind: HttpSourceKind = {
  kind: 'prometheus',
  probeUrl: (base) => new URL('/metrics', base),
  claims: (pathname) => METRICS_PATH.test(pathname),
  at: (url) => prometheusSource(url),
  probeTimeoutMs: METRICS_TIMEOUT_MS,
};
