/**
 * The kinds of Go source, one file each. HTTP_SOURCES is the order discovery asks each of the
 * program's ports (and tries a URL the user gave, after the kind its path names): our agent (the
 * fullest figures, and Free OS Memory), Prometheus /metrics (what most services already serve; no
 * stop-the-world on Go ≥ 1.17), expvar (its ReadMemStats stops the world once a read), then
 * net/http/pprof (it builds a heap profile per read: read every 5 s). gops is found by its port file.
 */
import { agentKind } from './agent';
import { expvarKind } from './expvar';
import { pprofKind } from './pprof';
import { prometheusKind } from './prometheus';
import type { HttpSourceKind } from './source';

export const HTTP_SOURCES: readonly HttpSourceKind[] = [agentKind, prometheusKind, expvarKind, pprofKind];

export { AGENT_PREFIX, agentSource } from './agent';
export { expvarSource, MAX_EXPVAR_BYTES } from './expvar';
export { gopsSource } from './gops';
export { pprofSource } from './pprof';
export { prometheusSource, readMetricsPage } from './prometheus';
export { GO_FIGURES_MIN_INTERVAL_MS, SourceError } from './source';
export type { GoSource, HttpSourceKind, SourceReading } from './source';
