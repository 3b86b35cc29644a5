/**
 * A day of a fleet's memory history, written straight into a Prometheus TSDB directory, for the
 * tests and benchmarks that need hours of data at once: realistic OpenMetrics text (what a
 * client_golang service, cAdvisor and kube-state-metrics would have exported, with timestamps in
 * the past), turned into blocks by `promtool tsdb create-blocks-from openmetrics`. Then
 * `startPrometheus({ dataDir })` serves it.
 *
 * What each replica's history holds (labels job, instance, namespace, pod, container on every
 * series; the replica's own families under job="api", cAdvisor's under job="kubelet" and
 * kube-state-metrics' under job="kube-state-metrics", as in a cluster; join on namespace/pod/container):
 * - process_resident_memory_bytes, process_virtual_memory_bytes, process_start_time_seconds,
 *   go_memstats_{heap_inuse,heap_idle,heap_released,heap_alloc,heap_sys,alloc,sys,stack_sys,next_gc}_bytes,
 *   go_gc_duration_seconds_{count,sum}, go_goroutines, go_gc_gomemlimit_bytes, up
 * - container_memory_working_set_bytes, container_spec_memory_limit_bytes (absent while the
 *   container is down), kube_pod_container_resource_limits{resource="memory",unit="byte"},
 *   kube_pod_container_status_restarts_total, kube_pod_container_status_last_terminated_reason
 *   (one series, for the last reason, from the first termination on)
 * Heap in use saws between the live heap and the GC goal (GOGC=100) with a GC about every minute;
 * RSS follows what the heap holds plus stacks and the binary; a leaking replica's live heap grows
 * all day; before an OOM kill the working set climbs to the limit over 10 minutes; a restart or an
 * OOM kill leaves 30–45 s unscraped (up 0, no app series), then a new process_start_time_seconds.
 *
 * Prometheus's time retention (15 d by default) counts back from the newest block: history longer
 * than that needs `extraFlags: ['--storage.tsdb.retention.time=…']` in startPrometheus.
 *
 * Backfilled data has no staleness markers (OpenMetrics cannot write them): a query still finds a
 * series up to the lookback (5 min) after its last sample, so a short outage does not show as a
 * gap in a range query — use `up`, or a `gaps` entry longer than 5 min.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tools } from '../../scripts/harness/tools';
import { startGroup } from './processGroup';

const MiB = 1024 * 1024;

export interface BackfillOptions {
  readonly replicas?: number;
  readonly hours?: number;
  /** Seconds between samples (a scrape interval). */
  readonly stepS?: number;
  /** Indexes of replicas whose live heap grows all day. */
  readonly leaking?: readonly number[];
  /** Container restarts (reason Error, exit 2): the replica is down 30 s, then a new process. */
  readonly restarts?: readonly { replica: number; atHour: number }[];
  /** OOM kills: the working set climbs to the limit over the 10 min before; down 45 s. */
  readonly oomKills?: readonly { replica: number; atHour: number }[];
  /** Outages without a restart: not scraped (up 0) for `minutes`. */
  readonly gaps?: readonly { replica: number; atHour: number; minutes: number }[];
  /** The container memory limit of every replica (default 512 MiB). */
  readonly limitBytes?: number;
  /**
   * Unix ms of the last sample (default: a minute ago, rounded down to the step). Keep it in the
   * past: a Prometheus started on the blocks appends what it scrapes after their end.
   */
  readonly endMs?: number;
  readonly namespace?: string;
  readonly container?: string;
  readonly job?: string;
  /** The pseudo-random generator's seed: the same options and seed give the same history. */
  readonly seed?: number;
  /** Keep the OpenMetrics file (its path is in the result) instead of removing it. */
  readonly keepFile?: boolean;
  /** promtool's --max-block-duration (default 24h: fewer, larger blocks; 2h is promtool's own default). */
  readonly maxBlockDuration?: string;
}

/**
 * The day the history tests, the UI test and the bench read: a day of a fleet where one replica
 * leaks, one restarts, one is OOM-killed and one is not scraped for 20 minutes.
 */
export const DAY_OF_A_FLEET = {
  hours: 24,
  stepS: 15,
  leaking: [3],
  restarts: [{ replica: 5, atHour: 6 }],
  oomKills: [{ replica: 7, atHour: 18 }],
  gaps: [{ replica: 9, atHour: 12, minutes: 20 }],
  seed: 26,
} as const satisfies BackfillOptions;

export interface BackfilledReplica {
  readonly index: number;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly instance: string;
  readonly leaking: boolean;
  /** Unix seconds of each death, and why. */
  readonly terminations: readonly { atS: number; reason: 'Error' | 'OOMKilled' }[];
  /** process_start_time_seconds of each life, in order. */
  readonly startTimesS: readonly number[];
}

export interface BackfillResult {
  readonly dataDir: string;
  /** The OpenMetrics file (already removed unless keepFile). */
  readonly file: string;
  readonly startS: number;
  readonly endS: number;
  readonly stepS: number;
  readonly replicas: readonly BackfilledReplica[];
  readonly series: number;
  readonly samples: number;
  readonly bytes: number;
  /** Milliseconds spent writing the file, and in promtool. */
  readonly generateMs: number;
  readonly promtoolMs: number;
  /** The block directories promtool made (ULIDs). */
  readonly blocks: readonly string[];
}

/** mulberry32: small, fast, and the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter' | 'summary';
  readonly help: string;
  /** Sample names of the family, when not the family's own name (counter _total, summary _count/_sum). */
  readonly samples?: readonly string[];
  readonly source: 'app' | 'cadvisor' | 'ksm';
}

const FAMILIES: readonly Family[] = [
  { name: 'up', type: 'gauge', help: 'Whether the target was scraped.', source: 'app' },
  { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes.', source: 'app' },
  { name: 'process_virtual_memory_bytes', type: 'gauge', help: 'Virtual memory size in bytes.', source: 'app' },
  { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since unix epoch in seconds.', source: 'app' },
  { name: 'go_memstats_alloc_bytes', type: 'gauge', help: 'Number of bytes allocated in heap and currently in use.', source: 'app' },
  { name: 'go_memstats_sys_bytes', type: 'gauge', help: 'Number of bytes obtained from system.', source: 'app' },
  { name: 'go_memstats_heap_alloc_bytes', type: 'gauge', help: 'Number of heap bytes allocated and currently in use.', source: 'app' },
  { name: 'go_memstats_heap_sys_bytes', type: 'gauge', help: 'Number of heap bytes obtained from system.', source: 'app' },
  { name: 'go_memstats_heap_inuse_bytes', type: 'gauge', help: 'Number of heap bytes that are in use.', source: 'app' },
  { name: 'go_memstats_heap_idle_bytes', type: 'gauge', help: 'Number of heap bytes waiting to be used.', source: 'app' },
  { name: 'go_memstats_heap_released_bytes', type: 'gauge', help: 'Number of heap bytes released to OS.', source: 'app' },
  { name: 'go_memstats_stack_sys_bytes', type: 'gauge', help: 'Number of bytes obtained from system for stack allocator.', source: 'app' },
  { name: 'go_memstats_next_gc_bytes', type: 'gauge', help: 'Number of heap bytes when next garbage collection will take place.', source: 'app' },
  { name: 'go_gc_duration_seconds', type: 'summary', help: 'A summary of the pause duration of garbage collection cycles.', samples: ['go_gc_duration_seconds_count', 'go_gc_duration_seconds_sum'], source: 'app' },
  { name: 'go_goroutines', type: 'gauge', help: 'Number of goroutines that currently exist.', source: 'app' },
  { name: 'go_gc_gomemlimit_bytes', type: 'gauge', help: 'Go runtime memory limit configured by the user, otherwise math.MaxInt64.', source: 'app' },
  { name: 'container_memory_working_set_bytes', type: 'gauge', help: 'Current working set in bytes.', source: 'cadvisor' },
  { name: 'container_spec_memory_limit_bytes', type: 'gauge', help: 'Memory limit for the container.', source: 'cadvisor' },
  { name: 'kube_pod_container_resource_limits', type: 'gauge', help: 'The number of requested limit resource by a container.', source: 'ksm' },
  { name: 'kube_pod_container_status_restarts', type: 'counter', help: 'The number of container restarts per container.', samples: ['kube_pod_container_status_restarts_total'], source: 'ksm' },
  { name: 'kube_pod_container_status_last_terminated_reason', type: 'gauge', help: 'Describes the last reason the container was in terminated state.', source: 'ksm' },
];

/** One series: its sample name, extra labels, and a value per step (NaN: no sample then). */
interface Series {
  readonly sample: string;
  readonly extra: string;
  readonly values: Float64Array;
}

interface Event {
  atS: number;
  kind: 'restart' | 'oom' | 'gap';
  downS: number;
}

const POD_HASH = '7d9f8c6b5';
/** Pod name suffixes as a ReplicaSet makes them: five characters of [bcdfghjklmnpqrstvwxz2456789]. */
function podSuffix(rng: () => number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
}

/** Computes one replica's series over the whole range. */
function replicaHistory(index: number, times: Float64Array, stepS: number, options: Required<Pick<BackfillOptions, 'limitBytes'>> & BackfillOptions, rng: () => number, pod: string) {
  const n = times.length;
  const startS = times[0];
  const leaking = options.leaking?.includes(index) ?? false;
  const events: Event[] = [
    ...(options.restarts ?? []).filter((e) => e.replica === index).map((e) => ({ atS: startS + e.atHour * 3600, kind: 'restart' as const, downS: 30 })),
    ...(options.oomKills ?? []).filter((e) => e.replica === index).map((e) => ({ atS: startS + e.atHour * 3600, kind: 'oom' as const, downS: 45 })),
    ...(options.gaps ?? []).filter((e) => e.replica === index).map((e) => ({ atS: startS + e.atHour * 3600, kind: 'gap' as const, downS: e.minutes * 60 })),
  ].sort((a, b) => a.atS - b.atS);
  const limit = options.limitBytes;
  // Every few replicas set GOMEMLIMIT a little under the container limit, as the GC guide advises.
  // Else unset: math.MaxInt64, which client_golang writes as the float64 2^63.
  const memLimit = index % 4 === 3 ? Math.round(limit * 0.9) : 2 ** 63;
  const baseLive = (24 + rng() * 16) * MiB;
  // A leak that brings the live heap to about a third of the limit by the end of the range.
  const leakPerS = leaking ? (limit / 3 - baseLive) / (times[n - 1] - startS) : 0;
  const gcPeriodS = 45 + rng() * 45;
  const baseGoroutines = 30 + Math.floor(rng() * 40);
  const binaryBytes = (10 + rng() * 4) * MiB;

  const names = [
    'up', 'process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_start_time_seconds',
    'go_memstats_alloc_bytes', 'go_memstats_sys_bytes', 'go_memstats_heap_alloc_bytes', 'go_memstats_heap_sys_bytes',
    'go_memstats_heap_inuse_bytes', 'go_memstats_heap_idle_bytes', 'go_memstats_heap_released_bytes', 'go_memstats_stack_sys_bytes',
    'go_memstats_next_gc_bytes', 'go_gc_duration_seconds_count', 'go_gc_duration_seconds_sum', 'go_goroutines', 'go_gc_gomemlimit_bytes',
    'container_memory_working_set_bytes', 'container_spec_memory_limit_bytes', 'kube_pod_container_resource_limits', 'kube_pod_container_status_restarts_total',
  ] as const;
  const v = Object.fromEntries(names.map((name) => [name, new Float64Array(n).fill(NaN)])) as Record<(typeof names)[number], Float64Array>;
  const reasons = { Error: new Float64Array(n).fill(NaN), OOMKilled: new Float64Array(n).fill(NaN) };

  const terminations: { atS: number; reason: 'Error' | 'OOMKilled' }[] = [];
  // The first process started some hours before the range.
  let processStart = Math.floor(startS - (1 + rng() * 47) * 3600);
  const startTimes = [processStart];
  let next = 0;
  let downUntil = -Infinity;
  let restarts = 0;
  let lastReason: 'Error' | 'OOMKilled' | undefined;
  let heapSysHigh = 0;
  let gcCount = Math.floor((startS - processStart) / gcPeriodS);
  let lastGcAt = startS;
  for (let k = 0; k < n; k++) {
    const t = times[k];
    // Events that happen by now.
    while (next < events.length && events[next].atS <= t) {
      const e = events[next++];
      downUntil = e.atS + e.downS;
      if (e.kind !== 'gap') {
        restarts++;
        lastReason = e.kind === 'oom' ? 'OOMKilled' : 'Error';
        terminations.push({ atS: e.atS, reason: lastReason });
        processStart = Math.round(downUntil);
        startTimes.push(processStart);
        heapSysHigh = 0;
        gcCount = 0;
        lastGcAt = processStart;
      }
    }
    v.kube_pod_container_resource_limits[k] = limit;
    v.kube_pod_container_status_restarts_total[k] = restarts;
    if (lastReason) reasons[lastReason][k] = 1;
    const processAlive = t >= processStart;
    const scraped = t >= downUntil && processAlive;
    v.up[k] = scraped ? 1 : 0;
    if (!processAlive) continue;

    const age = t - processStart;
    // The live heap: steady, or growing with the leak, plus a climb to the limit before an OOM kill.
    let live = baseLive + leakPerS * (leaking ? t - Math.max(startS, processStart) : 0) + (rng() - 0.5) * MiB;
    const oomAhead = events.find((e, i) => i >= next && e.kind === 'oom' && e.atS - t < 600 && e.atS > t);
    if (oomAhead) live += (limit * 0.48 - live) * Math.max(0, 1 - (oomAhead.atS - t) / 600);
    const goal = live * 2;
    // GC cycles since the last sample (about one per gcPeriodS); the heap saws from live to goal.
    const cycles = Math.floor((t - lastGcAt) / gcPeriodS);
    if (cycles > 0) {
      gcCount += cycles;
      lastGcAt += cycles * gcPeriodS;
    }
    const phase = (t - lastGcAt) / gcPeriodS;
    const heapAlloc = live + (goal - live) * phase;
    const heapInuse = heapAlloc * 1.06 + 256 * 1024;
    heapSysHigh = Math.max(heapSysHigh, goal * 1.1, heapInuse);
    const heapIdle = heapSysHigh - heapInuse;
    // The scavenger gives back most of what stays idle for a while.
    const heapReleased = heapIdle * (0.5 + 0.3 * Math.min(1, age / 600));
    const goroutines = baseGoroutines + Math.floor(rng() * 8);
    const stackSys = 512 * 1024 + goroutines * 8192;
    const sys = heapSysHigh + stackSys + 9 * MiB;
    const rss = heapInuse + (heapIdle - heapReleased) + stackSys + binaryBytes + rng() * 512 * 1024;
    const workingSet = Math.min(limit, rss + 3 * MiB + rng() * MiB);
    v.container_memory_working_set_bytes[k] = Math.round(oomAhead && oomAhead.atS - t < stepS ? Math.max(workingSet, limit * 0.995) : workingSet);
    v.container_spec_memory_limit_bytes[k] = limit;
    if (!scraped) continue;
    v.process_resident_memory_bytes[k] = Math.round(rss);
    v.process_virtual_memory_bytes[k] = Math.round(1.2 * 1024 * MiB + heapSysHigh);
    v.process_start_time_seconds[k] = processStart;
    v.go_memstats_alloc_bytes[k] = Math.round(heapAlloc);
    v.go_memstats_heap_alloc_bytes[k] = Math.round(heapAlloc);
    v.go_memstats_sys_bytes[k] = Math.round(sys);
    v.go_memstats_heap_sys_bytes[k] = Math.round(heapSysHigh);
    v.go_memstats_heap_inuse_bytes[k] = Math.round(heapInuse);
    v.go_memstats_heap_idle_bytes[k] = Math.round(heapIdle);
    v.go_memstats_heap_released_bytes[k] = Math.round(heapReleased);
    v.go_memstats_stack_sys_bytes[k] = stackSys;
    v.go_memstats_next_gc_bytes[k] = Math.round(goal);
    v.go_gc_duration_seconds_count[k] = gcCount;
    v.go_gc_duration_seconds_sum[k] = Math.round(gcCount * 0.00042 * 1e6) / 1e6;
    v.go_goroutines[k] = goroutines;
    v.go_gc_gomemlimit_bytes[k] = memLimit;
  }

  const series = new Map<string, Series[]>();
  for (const name of names) {
    const family = FAMILIES.find((f) => f.name === name || f.samples?.includes(name))!;
    const extra = name === 'kube_pod_container_resource_limits' ? ',resource="memory",unit="byte"' : '';
    series.set(family.name, [...(series.get(family.name) ?? []), { sample: name, extra, values: v[name] }]);
  }
  series.set(
    'kube_pod_container_status_last_terminated_reason',
    (['Error', 'OOMKilled'] as const).map((reason) => ({ sample: 'kube_pod_container_status_last_terminated_reason', extra: `,reason="${reason}"`, values: reasons[reason] })),
  );
  return { series, terminations, startTimes, leaking, pod };
}

/** Resolves once `stream` can take more (or at once when it can). */
function drained(stream: fs.WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    stream.once('error', onError);
    stream.once('drain', () => {
      stream.off('error', onError);
      resolve();
    });
  });
}

/**
 * Writes the history as OpenMetrics (streamed to a file, about 1 MiB at a time) and has promtool
 * make TSDB blocks of it in `dataDir` (made when missing).
 */
export async function backfillFleet(dataDir: string, options: BackfillOptions = {}): Promise<BackfillResult> {
  const replicas = options.replicas ?? 20;
  const hours = options.hours ?? 24;
  const stepS = options.stepS ?? 15;
  const namespace = options.namespace ?? 'shop';
  const container = options.container ?? 'api';
  const job = options.job ?? 'api';
  const limitBytes = options.limitBytes ?? 512 * MiB;
  const endS = Math.floor((options.endMs ?? Date.now() - 60_000) / 1000 / stepS) * stepS;
  const steps = Math.floor((hours * 3600) / stepS);
  const startS = endS - steps * stepS;
  const times = new Float64Array(steps + 1).map((_, k) => startS + k * stepS);
  const rng = random(options.seed ?? 1);

  const generateStarted = Date.now();
  const histories = Array.from({ length: replicas }, (_, i) => {
    const pod = `${container}-${POD_HASH}-${podSuffix(rng)}`;
    return { i, instance: `10.1.${Math.floor(i / 250)}.${(i % 250) + 2}:8080`, node: `node-${(i % 3) + 1}`, ...replicaHistory(i, times, stepS, { ...options, limitBytes }, rng, pod) };
  });

  fs.mkdirSync(dataDir, { recursive: true });
  const fileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-backfill-'));
  const file = path.join(fileDir, 'history.om.txt');
  const out = fs.createWriteStream(file);
  let bytes = 0;
  let samples = 0;
  let seriesCount = 0;
  let piece = '';
  const flush = async (force = false) => {
    if (piece.length < MiB && !force) return;
    bytes += Buffer.byteLength(piece);
    const ok = out.write(piece);
    piece = '';
    if (!ok) await drained(out);
  };
  try {
    for (const family of FAMILIES) {
      piece += `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
      for (const h of histories) {
        const labels =
          family.source === 'app'
            ? `job="${job}",instance="${h.instance}",namespace="${namespace}",pod="${h.pod}",container="${container}"`
            : family.source === 'cadvisor'
              ? `job="kubelet",instance="${h.node}",namespace="${namespace}",pod="${h.pod}",container="${container}"`
              : `job="kube-state-metrics",instance="10.0.0.5:8080",namespace="${namespace}",pod="${h.pod}",container="${container}"`;
        for (const s of h.series.get(family.name) ?? []) {
          const prefix = `${s.sample}{${labels}${s.extra}} `;
          let any = false;
          // Each series' samples in time order, one series after another: what promtool's appender needs.
          for (let k = 0; k < times.length; k++) {
            const value = s.values[k];
            if (Number.isNaN(value)) continue;
            piece += `${prefix}${value} ${times[k]}\n`;
            samples++;
            any = true;
            if (piece.length >= MiB) await flush();
          }
          if (any) seriesCount++;
        }
      }
    }
    piece += '# EOF\n';
    await flush(true);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    out.destroy();
    fs.rmSync(fileDir, { recursive: true, force: true });
    throw err;
  }
  const generateMs = Date.now() - generateStarted;

  const before = new Set(fs.readdirSync(dataDir));
  const promtoolStarted = Date.now();
  try {
    // Its own process group, so an after hook's stopAllGroups() ends it if the test gives up.
    const promtool = await startGroup(tools().promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', `--max-block-duration=${options.maxBlockDuration ?? '24h'}`, file, dataDir]);
    await new Promise<void>((resolve) => (promtool.exited() ? resolve() : promtool.proc.once('exit', () => resolve())));
    if (promtool.proc.exitCode !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics ${file} failed (${promtool.proc.exitCode ?? promtool.proc.signalCode}): ${promtool.stderr().slice(-4096)}`);
  } finally {
    if (!options.keepFile) fs.rmSync(fileDir, { recursive: true, force: true });
  }
  const promtoolMs = Date.now() - promtoolStarted;
  const blocks = fs.readdirSync(dataDir).filter((name) => !before.has(name) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(name));
  return {
    dataDir,
    file,
    startS,
    endS,
    stepS,
    replicas: histories.map((h) => ({ index: h.i, namespace, pod: h.pod, container, instance: h.instance, leaking: h.leaking, terminations: h.terminations, startTimesS: h.startTimes })),
    series: seriesCount,
    samples,
    bytes,
    generateMs,
    promtoolMs,
    blocks,
  };
}
