/**
 * What Memory Watch asks a Prometheus server about a service, and how. Every query is built here
 * from label matchers (selector.ts) and metric names of ours; nothing the user typed is passed on
 * as PromQL. The Go figures come from the same samples a live /metrics source reads
 * (goruntime/prometheusText.ts), and only those the figures need: runtime/metrics' classes where a
 * service exports them, the MemStats-like families where not.
 */
import type { KeptSample } from '../goruntime/prometheusText';
import { anyOf, LabelMatcher, quoteLabelValue } from './selector';

/**
 * The samples a Go figure is read from, in goruntime/prometheusText.ts' order of preference (a
 * candidate of two names needs both). Only the first candidate every replica has is fetched, and
 * the ones before it that some replica has.
 */
export const FIGURE_CANDIDATES: readonly (readonly (readonly KeptSample[])[])[] = [
  [['go_memory_classes_heap_objects_bytes'], ['go_memstats_heap_alloc_bytes'], ['go_memstats_alloc_bytes']],
  [['go_memory_classes_heap_unused_bytes'], ['go_memstats_heap_inuse_bytes', 'go_memstats_heap_alloc_bytes'], ['go_memstats_heap_inuse_bytes', 'go_memstats_alloc_bytes']],
  [['go_memory_classes_heap_free_bytes'], ['go_memstats_heap_idle_bytes', 'go_memstats_heap_released_bytes']],
  [['go_memory_classes_heap_released_bytes'], ['go_memstats_heap_released_bytes']],
  [['go_memory_classes_heap_stacks_bytes', 'go_memory_classes_os_stacks_bytes'], ['go_memstats_stack_sys_bytes']],
  [['go_memory_classes_total_bytes'], ['go_memstats_sys_bytes']],
  [['go_gc_cycles_total_gc_cycles_total'], ['go_gc_duration_seconds_count']],
  [['go_gc_heap_goal_bytes'], ['go_memstats_next_gc_bytes']],
  [['go_gc_heap_live_bytes']],
  [['go_gc_gomemlimit_bytes']],
  [['go_goroutines']],
  [['process_virtual_memory_bytes']],
  [['process_start_time_seconds']],
];

/** What the fleet's overview needs of every replica shown (RSS, and restarts); the rest is read per replica. */
export const OVERVIEW_SAMPLES: ReadonlySet<string> = new Set(['process_resident_memory_bytes', 'process_start_time_seconds']);

/** RSS: the one series every replica must have (the process collector's). */
export const RSS_SAMPLE: KeptSample = 'process_resident_memory_bytes';

/** Every sample name a figure may come from, and RSS: what the first look at the server asks about. */
export const HISTORY_SAMPLES: readonly KeptSample[] = [RSS_SAMPLE, ...new Set(FIGURE_CANDIDATES.flat(2))];

/**
 * The samples to fetch, given which each replica has: per figure, the candidates up to the first
 * one every replica has, each kept only if some replica has it.
 */
export function samplesToFetch(replicaSamples: readonly ReadonlySet<string>[]): KeptSample[] {
  const wanted = new Set<KeptSample>([RSS_SAMPLE]);
  for (const candidates of FIGURE_CANDIDATES) {
    for (const names of candidates) {
      const someHave = replicaSamples.some((has) => names.every((n) => has.has(n)));
      if (someHave) for (const n of names) wanted.add(n);
      if (replicaSamples.every((has) => names.every((n) => has.has(n)))) break;
    }
  }
  return [...wanted];
}

/** `{m1, m2, …}` with the matchers written back quoted. */
export function matchersText(matchers: readonly LabelMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${quoteLabelValue(m.value)}`).join(',')}}`;
}

/** One sample's series for the selector: `name{matchers}`. */
export function sampleQuery(name: string, matchers: readonly LabelMatcher[]): string {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`not a metric name: ${name}`);
  return `${name}${matchersText(matchers)}`;
}

/** The series match[] for the first look: every sample a figure may come from, for the selector. */
export function discoveryMatch(matchers: readonly LabelMatcher[]): string {
  return matchersText([{ name: '__name__', op: '=~', value: anyOf(HISTORY_SAMPLES) }, ...matchers]);
}

/** The highest RSS within each step: a peak between two points is not lost to a coarse step. */
export function peakQuery(matchers: readonly LabelMatcher[], stepSeconds: number): string {
  return `max_over_time(${sampleQuery(RSS_SAMPLE, matchers)}[${Math.max(1, Math.round(stepSeconds))}s])`;
}

/** Whether each scrape worked: `up` is 0 while the target is down. */
export function upQuery(matchers: readonly LabelMatcher[]): string {
  return sampleQuery('up', matchers);
}

/** The Go version each replica runs: go_info's `version` label. */
export function goInfoQuery(matchers: readonly LabelMatcher[]): string {
  return sampleQuery('go_info', matchers);
}

/** What the server may know of the replicas' containers (Kubernetes): column or event, and its query. */
export interface ContainerQuery {
  readonly id: 'workingSet' | 'cadvisorLimit' | 'ksmLimit' | 'restarts' | 'oomReason' | 'oomEvents';
  readonly query: string;
}

/**
 * The container figures of the pods (namespace, pod) named: cAdvisor's working set and limit,
 * kube-state-metrics' limit, restarts and last termination reason, and cAdvisor's OOM events (0 on
 * Kubernetes, where the container is recreated — but a plain cAdvisor counts them).
 */
export function containerQueries(pods: readonly { readonly namespace: string; readonly pod: string }[]): ContainerQuery[] {
  const where: LabelMatcher[] = [
    { name: 'namespace', op: '=~', value: anyOf([...new Set(pods.map((p) => p.namespace))]) },
    { name: 'pod', op: '=~', value: anyOf([...new Set(pods.map((p) => p.pod))]) },
  ];
  // cAdvisor also has a series per pod (container="") and one for the pause container ("POD").
  const containers: LabelMatcher[] = [...where, { name: 'container', op: '!=', value: '' }, { name: 'container', op: '!=', value: 'POD' }];
  return [
    { id: 'workingSet', query: sampleQuery('container_memory_working_set_bytes', containers) },
    { id: 'cadvisorLimit', query: sampleQuery('container_spec_memory_limit_bytes', containers) },
    { id: 'ksmLimit', query: sampleQuery('kube_pod_container_resource_limits', [...where, { name: 'resource', op: '=', value: 'memory' }]) },
    { id: 'restarts', query: sampleQuery('kube_pod_container_status_restarts_total', where) },
    { id: 'oomReason', query: sampleQuery('kube_pod_container_status_last_terminated_reason', [...where, { name: 'reason', op: '=', value: 'OOMKilled' }]) },
    { id: 'oomEvents', query: sampleQuery('container_oom_events_total', containers) },
  ];
}
