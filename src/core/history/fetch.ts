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
import { formatLocalDateTime } from '../../shared/format';
import { assembleFleet, FetchedHistory, FleetHistory, IDENTITY_LABELS, MAX_SHOWN_REPLICAS, replicaKey, ReplicaHistory } from './fleet';
import { planRange, RangePlan } from './plan';
import { PrometheusError, PrometheusServer, queryRange, RangeSeries, seriesLabels, serverName } from './promApi';
import { containerQueries, ContainerQuery, discoveryMatch, goInfoQuery, OVERVIEW_SAMPLES, peakQuery, RSS_SAMPLE, sampleQuery, samplesToFetch, upQuery } from './queries';
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

  // 2. RSS and its peaks of every replica: the fleet's lines, and which replicas are shown.
  const perQuery = plan.parts.length;
  const overviewNames = names.filter((n) => OVERVIEW_SAMPLES.has(n) && n !== RSS_SAMPLE);
  const detailNames = names.filter((n) => !OVERVIEW_SAMPLES.has(n));
  total = 1 + perQuery * (2 + overviewNames.length + detailNames.length + 2);
  const run = (query: string, what: string) =>
    rangeInParts(server, query, plan, limits, () => {
      done++;
      progress(what);
    });
  progress('RSS of every replica');
  const [rss, peaks] = await inTurn([() => run(sampleQuery(RSS_SAMPLE, matchers), 'RSS'), () => run(peakQuery(matchers, plan.step), 'RSS peaks')]);
  const top = topReplicas(rss, peaks);
  const shown = replicas.length > MAX_SHOWN_REPLICAS ? narrowTo(matchers, top) : matchers;
  // 3. For the replicas shown: restarts, and their containers (what kills them); for the one with
  //    the highest peak, everything a live watch has (the Go figures, VSZ, gaps). Another replica's
  //    come when it is picked (fetchReplicaDetails): most of a fleet is never looked at closely.
  const first = top[0];
  const one = [...matchers, ...IDENTITY_LABELS.filter((l) => first[l] !== undefined).map((l): LabelMatcher => ({ name: l, op: '=', value: first[l] }))];
  const pods = podsOf(top);
  const queries = pods.length ? containerQueries(pods) : [];
  total += queries.length * perQuery;
  progress('restarts and the Go figures');
  const jobs: (() => Promise<RangeSeries[]>)[] = [
    ...overviewNames.map((name) => () => run(sampleQuery(name, shown), 'restarts')),
    ...queries.map((q) => () => run(q.query, 'container figures')),
    ...detailNames.map((name) => () => run(sampleQuery(name, one), 'the Go figures')),
    () => run(upQuery(one), 'gaps'),
    () => run(goInfoQuery(one), 'the Go version'),
  ];
  const answers = await inTurn(jobs);
  let at = 0;
  const samples = new Map<string, RangeSeries[]>([[RSS_SAMPLE, rss]]);
  for (const name of overviewNames) samples.set(name, answers[at++]);
  const container = new Map<ContainerQuery['id'], RangeSeries[]>();
  for (const q of queries) container.set(q.id, answers[at++]);
  for (const name of detailNames) samples.set(name, answers[at++]);
  const up = answers[at++];
  const goInfo = answers[at];
  const fetched: FetchedHistory = { plan, samples, peaks, up, goInfo, container, detailed: replicaKey(first) };
  const fleet = assembleFleet(fetched);
  const notes = [...fleet.notes];
  if (pods.length && !(container.get('workingSet')?.length || container.get('cadvisorLimit')?.length || container.get('ksmLimit')?.length)) {
    notes.push('The server has no container figures for these pods (cAdvisor, kube-state-metrics): no working set or limit.');
  }
  return { ...fleet, notes };
}

/**
 * One replica of a fleet read in full (the Go figures, VSZ, gaps), on the fleet's grid: the
 * selector narrowed to the replica's own labels. Its id and name stay the fleet's.
 */
export async function fetchReplicaDetails(server: PrometheusServer, request: FleetRequest & { readonly step: number }, replica: Pick<ReplicaHistory, 'id' | 'name' | 'labels'>, onProgress?: (p: FetchProgress) => void, limits?: FetchLimits): Promise<ReplicaHistory> {
  const own = IDENTITY_LABELS.filter((l) => replica.labels[l] !== undefined).map((l): LabelMatcher => ({ name: l, op: '=', value: replica.labels[l] }));
  const alone = await fetchFleetHistory(server, { ...request, matchers: [...request.matchers, ...own] }, onProgress, limits);
  const found = alone.replicas.find((r) => replicaKey(r.labels) === replicaKey(replica.labels));
  if (!found) throw new PrometheusError('execution', `${replica.name} has no RSS figures at ${serverName(server)} in this range any more.`);
  return { ...found, id: replica.id, name: replica.name };
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
