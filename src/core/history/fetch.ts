/**
 * Fetching a fleet's memory history from a Prometheus server, in the order that keeps it cheap
 * for the server and bounded for us:
 *   1. which replicas the selector matches, and which of our samples each has (one series call);
 *   2. for a fleet larger than the graph shows, RSS and its peaks first, to know the top replicas —
 *      the other queries then ask about those alone;
 *   3. each sample the Go figures need (runtime/metrics' classes where there, else MemStats'), `up`,
 *      go_info, and for pods the container's working set, limit, restarts and OOM reasons;
 * each range query in parts of at most POINTS_PER_PART points per series, a few at a time, with
 * progress after each. Runs in a process of its own (task.ts); assembly is fleet.ts'.
 */
import { formatLocalDateTime } from '../format';
import { assembleFleet, FetchedHistory, FleetHistory, MAX_SHOWN_REPLICAS, replicaKey } from './fleet';
import { planRange, RangePlan } from './plan';
import { PrometheusError, PrometheusServer, queryRange, RangeSeries, seriesLabels, serverName } from './promApi';
import { containerQueries, ContainerQuery, discoveryMatch, goInfoQuery, peakQuery, RSS_SAMPLE, sampleQuery, samplesToFetch, upQuery } from './queries';
import { anyOf, LabelMatcher, selectorText } from './selector';

export interface FleetRequest {
  readonly matchers: readonly LabelMatcher[];
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Seconds between points; chosen from the range when absent. */
  readonly step?: number;
}

export interface FetchProgress {
  /** Requests answered, of `total` (the total grows once the replicas are known). */
  readonly done: number;
  readonly total: number;
  /** What is being fetched now: "RSS", "the Go figures", "container figures". */
  readonly what: string;
}

/** A selector that matches more replicas than this is not one service. */
export const MAX_REPLICAS = 1000;
/** Requests in flight at once: a few, so a server shared by a team is not flooded. */
const CONCURRENCY = 3;
/** Each request's deadline: under Prometheus' own default query timeout (2 min). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Each answer's bound. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Each request's deadline and each answer's bound. */
export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: FetchLimits = { timeoutMs: REQUEST_TIMEOUT_MS, maxBytes: MAX_ANSWER_BYTES };

/** Fetches and assembles; throws a PrometheusError (or a plain Error for a bad request) with one line to show. */
export async function fetchFleetHistory(server: PrometheusServer, request: FleetRequest, onProgress: (p: FetchProgress) => void = () => undefined, limits: FetchLimits = DEFAULT_LIMITS): Promise<FleetHistory> {
  const OPTIONS = limits;
  const planned = planRange(request.start, request.end, request.step);
  if (!planned.ok) throw new PrometheusError('bad-query', planned.message);
  const plan = planned.plan;
  const matchers = request.matchers;
  const where = serverName(server);
  const selector = selectorText(matchers);
  let done = 0;
  let total = 1;
  const progress = (what: string) => onProgress({ done, total, what });
  progress('the replicas');

  // 1. The replicas, and the samples each has.
  const found = await seriesLabels(server, discoveryMatch(matchers), plan, OPTIONS);
  done++;
  const samplesOf = new Map<string, { labels: Record<string, string>; has: Set<string> }>();
  for (const labels of found) {
    const key = replicaKey(labels);
    const entry = samplesOf.get(key) ?? { labels, has: new Set<string>() };
    entry.has.add(labels.__name__ ?? '');
    samplesOf.set(key, entry);
  }
  const replicas = [...samplesOf.values()].filter((r) => r.has.has(RSS_SAMPLE));
  const when = `between ${formatLocalDateTime(plan.start * 1000)} and ${formatLocalDateTime(plan.end * 1000)}`;
  if (!found.length) throw new PrometheusError('execution', `No series match ${selector} at ${where} ${when}: check the selector (Memory Watch reads the process and Go collectors' series, process_* and go_*).`);
  if (!replicas.length) {
    throw new PrometheusError('execution', `The series that match ${selector} at ${where} have no process_resident_memory_bytes ${when}: the service's /metrics needs the process collector (client_golang registers it by default).`);
  }
  if (replicas.length > MAX_REPLICAS) throw new PrometheusError('too-large', `${selector} matches ${replicas.length} replicas at ${where}: at most ${MAX_REPLICAS} are read — give a narrower selector.`);
  const names = samplesToFetch(replicas.map((r) => r.has));

  // 2. A fleet larger than the graph: the top replicas by peak first.
  const peaksFirst = replicas.length > MAX_SHOWN_REPLICAS;
  const perQuery = plan.parts.length;
  total = 1 + perQuery * (names.length + 3);
  const run = (query: string, what: string) =>
    rangeInParts(server, query, plan, limits, () => {
      done++;
      progress(what);
    });
  let narrowed = matchers;
  let top: Record<string, string>[] | undefined;
  let rss: RangeSeries[] | undefined;
  let peaks: RangeSeries[] | undefined;
  if (peaksFirst) {
    progress('RSS of every replica');
    [rss, peaks] = await inTurn([() => run(sampleQuery(RSS_SAMPLE, matchers), 'RSS'), () => run(peakQuery(matchers, plan.step), 'RSS peaks')]);
    top = topReplicas(rss, peaks);
    narrowed = narrowTo(matchers, top);
  }

  // 3. Everything else, about the replicas shown.
  progress('the Go figures');
  const jobs: (() => Promise<RangeSeries[]>)[] = [];
  const sampleNames = names.filter((n) => !(peaksFirst && n === RSS_SAMPLE));
  for (const name of sampleNames) jobs.push(() => run(sampleQuery(name, narrowed), 'the Go figures'));
  if (!peaksFirst) jobs.push(() => run(peakQuery(narrowed, plan.step), 'RSS peaks'));
  jobs.push(() => run(upQuery(narrowed), 'gaps'));
  jobs.push(() => run(goInfoQuery(narrowed), 'Go versions'));
  const answers = await inTurn(jobs);
  const samples = new Map<string, RangeSeries[]>();
  sampleNames.forEach((name, i) => samples.set(name, answers[i]));
  if (rss) samples.set(RSS_SAMPLE, rss);
  if (!peaksFirst) peaks = answers[sampleNames.length];
  const up = answers[answers.length - 2];
  const goInfo = answers[answers.length - 1];

  // Containers, when the replicas are pods.
  const container = new Map<ContainerQuery['id'], RangeSeries[]>();
  const pods = podsOf(top ?? (samples.get(RSS_SAMPLE) ?? []).map((s) => s.labels));
  if (pods.length) {
    const queries = containerQueries(pods);
    total += queries.length * perQuery;
    progress('container figures');
    const got = await inTurn(queries.map((q) => () => run(q.query, 'container figures')));
    queries.forEach((q, i) => container.set(q.id, got[i]));
  }
  const fetched: FetchedHistory = { plan, samples, peaks: peaks ?? [], up, goInfo, container };
  const fleet = assembleFleet(fetched);
  const notes = [...fleet.notes];
  if (pods.length && !(container.get('workingSet')?.length || container.get('cadvisorLimit')?.length || container.get('ksmLimit')?.length)) {
    notes.push('The server has no container figures for these pods (cAdvisor, kube-state-metrics): no working set or limit.');
  }
  return { ...fleet, notes };
}

/** Runs the jobs, CONCURRENCY at a time, keeping their order; the first failure fails all. */
async function inTurn<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs.length) }, worker));
  return results;
}

/** One range query over the plan, part by part; the parts of each series joined in time order. */
async function rangeInParts(server: PrometheusServer, query: string, plan: RangePlan, limits: FetchLimits, onPart: () => void): Promise<RangeSeries[]> {
  const bySeries = new Map<string, { labels: Record<string, string>; times: Float64Array[]; values: Float64Array[] }>();
  for (const part of plan.parts) {
    const { series } = await queryRange(server, query, { start: part.start, end: part.end, step: plan.step }, limits);
    for (const s of series) {
      const key = JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const entry = bySeries.get(key) ?? { labels: { ...s.labels }, times: [], values: [] };
      entry.times.push(s.times);
      entry.values.push(s.values);
      bySeries.set(key, entry);
    }
    onPart();
  }
  return [...bySeries.values()].map((e) => ({ labels: e.labels, times: concat(e.times), values: concat(e.values) }));
}

function concat(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The label sets of the MAX_SHOWN_REPLICAS replicas with the highest RSS (a peak between steps included). */
function topReplicas(rss: readonly RangeSeries[], peaks: readonly RangeSeries[]): Record<string, string>[] {
  const best = new Map<string, { labels: Record<string, string>; peak: number }>();
  for (const s of [...rss, ...peaks]) {
    const key = replicaKey(s.labels);
    let peak = best.get(key)?.peak ?? -Infinity;
    for (const v of s.values) if (Number.isFinite(v) && v > peak) peak = v;
    best.set(key, { labels: best.get(key)?.labels ?? s.labels, peak });
  }
  return [...best.values()]
    .sort((a, b) => b.peak - a.peak)
    .slice(0, MAX_SHOWN_REPLICAS)
    .map((b) => b.labels);
}

/**
 * The selector narrowed to these replicas: a regex on the label that tells them apart (instance,
 * else pod). A label none of them lacks, or none at all: then every replica is asked about, and the
 * assembly keeps the top ones.
 */
function narrowTo(matchers: readonly LabelMatcher[], top: readonly Record<string, string>[]): LabelMatcher[] {
  for (const label of ['instance', 'pod']) {
    const values = top.map((l) => l[label]);
    if (values.every((v) => v !== undefined) && new Set(values).size === values.length) {
      return [...matchers, { name: label, op: '=~', value: anyOf(values as string[]) }];
    }
  }
  return [...matchers];
}

/** The (namespace, pod) pairs of the replicas that are pods. */
function podsOf(replicas: readonly Readonly<Record<string, string>>[]): { namespace: string; pod: string }[] {
  const seen = new Map<string, { namespace: string; pod: string }>();
  for (const labels of replicas) {
    const { namespace, pod } = labels;
    if (namespace !== undefined && pod !== undefined) seen.set(`${namespace}\u0000${pod}`, { namespace, pod });
  }
  return [...seen.values()].slice(0, MAX_SHOWN_REPLICAS * 4);
}
