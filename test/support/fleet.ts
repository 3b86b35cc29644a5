/**
 * A fleet of real replicas for the history tests: N copies of test/fixtures/sources/prometheus
 * (client_golang's default registry: process_* and go_* series), each on its own loopback port,
 * each with a memory behaviour, all supervised by the kubelet stand-in (test/fixtures/fleet/kubelet)
 * which serves the Kubernetes series about them (restarts, last terminated reason, limits, working
 * set) and starts a replica again, on the same port, when it exits. Start the fleet first, then
 * give `fleet.jobs()` to `startPrometheus`.
 *
 * Behaviours:
 *   steady     -hold 16: 16 MiB of live heap, nothing more
 *   leaking    -leak 256: 256 KiB more kept every 100 ms (≈ 2.5 MiB/s of RSS)
 *   free-heap  -spike 256 with GOGC=off GOMEMLIMIT=1GiB: 256 MiB allocated, dropped and collected,
 *              and held by the runtime as free heap (idle, not released)
 *   oom        -leak 2048 (≈ 20 MiB/s) inside a v1 memory cgroup with a limit: the kernel's OOM
 *              killer ends it every few seconds and the kubelet starts it again
 * A replica of any behaviour can be restarted by the test: `fleet.restart(pod)` kills it and the
 * kubelet starts a new process on the same port (a new process_start_time_seconds).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTestCgroup, TestCgroup, v1MemoryCgroupUnavailable } from './cgroupV1';
import { buildFixture } from './goFixtures';
import { GroupProcess, startGroup } from './processGroup';
import type { ScrapeJob } from './prometheusServer';
import { waitFor } from './wait';

export type Behaviour = 'steady' | 'leaking' | 'free-heap' | 'oom';

export interface ReplicaSpec {
  readonly pod: string;
  readonly behaviour: Behaviour;
  /** Run inside a new v1 memory cgroup with this limit (needs root: cgroupV1.ts). Required for 'oom'. */
  readonly cgroupLimitBytes?: number;
  /** The pod spec's limit, as kube-state-metrics exports it; default: the cgroup's limit. */
  readonly limitBytes?: number;
  /** More flags for the replica (test/fixtures/internal/load), and environment. */
  readonly flags?: readonly string[];
  readonly env?: Record<string, string>;
}

export interface FleetOptions {
  readonly replicas: readonly ReplicaSpec[];
  readonly namespace?: string;
  readonly container?: string;
  /** The Prometheus job of the replicas' own scrape (default "api"); the kubelet's is "kubelet". */
  readonly job?: string;
  /** How long the kubelet waits before starting an exited replica again (default 500 ms). */
  readonly backoffMs?: number;
  readonly readyTimeoutMs?: number;
}

/** A line the kubelet printed about a replica. */
export interface ReplicaEvent {
  readonly kind: 'ready' | 'exited';
  readonly pid: number;
  readonly atMs: number;
  /** ready: the restarts count then; exited: undefined. */
  readonly restarts?: number;
  /** exited: the kubelet's reason (OOMKilled, Error, Completed) and exit code. */
  readonly reason?: string;
  readonly exitCode?: number;
}

export interface Replica {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly behaviour: Behaviour;
  readonly port: number;
  /** 127.0.0.1:PORT, the replica's scrape target. */
  readonly address: string;
  readonly cgroup?: TestCgroup;
  /** Its process now (the last one the kubelet reported ready). */
  pid(): number;
  /** Everything the kubelet said about it, in order. */
  events(): readonly ReplicaEvent[];
}

export interface Fleet {
  readonly replicas: readonly Replica[];
  /** The kubelet stand-in's /metrics address (127.0.0.1:PORT). */
  readonly kubeletAddress: string;
  /** Milliseconds from starting the kubelet to every replica accepting connections. */
  readonly readyMs: number;
  replica(pod: string): Replica;
  /** The scrape jobs for Prometheus: the replicas (labels namespace, pod, container) and the kubelet (honor_labels). */
  jobs(): ScrapeJob[];
  /** Kills the replica's process (SIGKILL); resolves when the kubelet has started a new one on the same port. */
  restart(pod: string, timeoutMs?: number): Promise<{ oldPid: number; newPid: number }>;
  /**
   * Stops the replica's process (SIGSTOP) until `resume(pod)`: scrapes time out, so Prometheus
   * records up 0 and marks its series stale — a real gap — while the kubelet sees nothing wrong.
   */
  pause(pod: string): void;
  resume(pod: string): void;
  /** Waits until the kubelet has reported `kind` for `pod` at least `count` times in all. */
  waitForEvents(pod: string, kind: ReplicaEvent['kind'], count: number, timeoutMs?: number): Promise<ReplicaEvent[]>;
  /** The kubelet's stderr (the replicas' output too), for failure messages. */
  log(): string;
  /** Stops the kubelet and every replica (their process group), removes the fleet's cgroups and files. */
  stop(): Promise<void>;
}

const running = new Set<Fleet>();

function behaviourArgs(behaviour: Behaviour): { flags: string[]; env: Record<string, string> } {
  switch (behaviour) {
    case 'steady':
      return { flags: ['-hold', '16'], env: {} };
    case 'leaking':
      return { flags: ['-leak', '256'], env: {} };
    case 'free-heap':
      // GOGC=off: no GC by heap growth; the limit keeps the scavenger from returning the pages.
      return { flags: ['-spike', '256'], env: { GOGC: 'off', GOMEMLIMIT: '1GiB' } };
    case 'oom':
      return { flags: ['-leak', '2048'], env: {} };
  }
}

/** Why a fleet with these replicas cannot run here (a sentence for a skip), or undefined. */
export function fleetUnavailable(replicas: readonly ReplicaSpec[]): string | undefined {
  if (!replicas.some((r) => r.cgroupLimitBytes !== undefined || r.behaviour === 'oom')) return undefined;
  return v1MemoryCgroupUnavailable();
}

/** Builds the fixtures, starts the kubelet stand-in with the replicas, and waits until each accepts connections. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const namespace = options.namespace ?? 'shop';
  const container = options.container ?? 'api';
  const job = options.job ?? 'api';
  for (const r of options.replicas) {
    if (r.behaviour === 'oom' && r.cgroupLimitBytes === undefined) throw new Error(`replica ${r.pod}: 'oom' needs cgroupLimitBytes`);
  }
  const unavailable = fleetUnavailable(options.replicas);
  if (unavailable) throw new Error(`the fleet needs v1 memory cgroups: ${unavailable}`);
  const [replicaBin, kubeletBin] = await Promise.all([buildFixture('sources/prometheus'), buildFixture('fleet/kubelet')]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fleet-'));
  const cgroups: TestCgroup[] = [];
  const cleanUp = async () => {
    const errors: string[] = [];
    for (const cgroup of cgroups) {
      try {
        await cgroup.remove();
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`could not remove the fleet's cgroups: ${errors.join('; ')}`);
  };

  const events = new Map<string, ReplicaEvent[]>(options.replicas.map((r) => [r.pod, []]));
  const ports = new Map<string, number>();
  let kubeletProcess: GroupProcess | undefined;
  const started = Date.now();
  try {
    const containers = options.replicas.map((r) => {
      const behaviour = behaviourArgs(r.behaviour);
      let cgroup: TestCgroup | undefined;
      if (r.cgroupLimitBytes !== undefined) {
        cgroup = createTestCgroup(r.cgroupLimitBytes);
        cgroups.push(cgroup);
      }
      return {
        spec: r,
        cgroup,
        json: {
          namespace,
          pod: r.pod,
          container,
          port: 0,
          cgroup: cgroup?.dir ?? '',
          limitBytes: r.limitBytes ?? r.cgroupLimitBytes ?? 0,
          command: [replicaBin, '-addr', '127.0.0.1:{port}', ...behaviour.flags, ...(r.flags ?? [])],
          env: Object.entries({ ...behaviour.env, ...r.env }).map(([k, v]) => `${k}=${v}`),
        },
      };
    });
    const specFile = path.join(dir, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify({ listen: '127.0.0.1:0', backoffMs: options.backoffMs ?? 500, containers: containers.map((c) => c.json) }, null, 2));

    const onLine = (line: string) => {
      const ready = /^ready ([^/]+)\/([^/]+)\/\S+ pid=(\d+) port=(\d+) restarts=(\d+)$/.exec(line);
      const exited = /^exited ([^/]+)\/([^/]+)\/\S+ pid=(\d+) reason=(\S+) exitcode=(-?\d+)$/.exec(line);
      const match = ready ?? exited;
      const list = match && events.get(match[2]);
      if (!match || !list) return;
      if (ready) {
        ports.set(ready[2], Number(ready[4]));
        list.push({ kind: 'ready', pid: Number(ready[3]), atMs: Date.now(), restarts: Number(ready[5]) });
      } else if (exited) {
        list.push({ kind: 'exited', pid: Number(exited[3]), atMs: Date.now(), reason: exited[4], exitCode: Number(exited[5]) });
      }
    };
    // The children share the kubelet's process group: stopping it stops them.
    const kubelet = await startGroup(kubeletBin, ['-spec', specFile], { ready: /^kubelet listening on (127\.0\.0\.1:\d+)$/m, onLine, keepBytes: 32 * 1024 });
    kubeletProcess = kubelet;
    const kubeletAddress = kubelet.match![1];
    await waitFor(
      () => {
        if (kubelet.exited()) throw new Error(`the kubelet exited: ${kubelet.stderr().slice(-4096)}`);
        return [...events.values()].every((list) => list.some((e) => e.kind === 'ready'));
      },
      `every replica to accept connections (not yet: ${options.replicas.map((r) => r.pod).join(', ')})`,
      options.readyTimeoutMs ?? 30_000,
    ).catch((err: Error) => {
      const waiting = [...events].filter(([, list]) => !list.some((e) => e.kind === 'ready')).map(([pod]) => pod);
      throw new Error(`${err.message}; still waiting for ${waiting.join(', ')}; the kubelet's stderr:\n${kubelet.stderr().slice(-4096)}`, { cause: err });
    });
    const readyMs = Date.now() - started;

    const replicas: Replica[] = containers.map((c) => {
      const port = ports.get(c.spec.pod)!;
      const list = events.get(c.spec.pod)!;
      return {
        namespace,
        pod: c.spec.pod,
        container,
        behaviour: c.spec.behaviour,
        port,
        address: `127.0.0.1:${port}`,
        cgroup: c.cgroup,
        pid: () => [...list].reverse().find((e) => e.kind === 'ready')!.pid,
        events: () => list,
      };
    });
    const byPod = (pod: string) => {
      const r = replicas.find((x) => x.pod === pod);
      if (!r) throw new Error(`no replica ${pod} in the fleet (${replicas.map((x) => x.pod).join(', ')})`);
      return r;
    };
    const waitForEvents: Fleet['waitForEvents'] = (pod, kind, count, timeoutMs = 30_000) =>
      waitFor(
        () => {
          if (kubelet.exited()) throw new Error(`the kubelet exited: ${kubelet.stderr().slice(-2048)}`);
          const found = byPod(pod).events().filter((e) => e.kind === kind);
          return found.length >= count ? found : undefined;
        },
        `the kubelet to report ${kind} ${count} time(s) for ${pod}`,
        timeoutMs,
      );
    let stopped: Promise<void> | undefined;
    const fleet: Fleet = {
      replicas,
      kubeletAddress,
      readyMs,
      replica: byPod,
      jobs: () => [
        { job, targets: replicas.map((r) => ({ address: r.address, labels: { namespace: r.namespace, pod: r.pod, container: r.container } })) },
        { job: 'kubelet', honorLabels: true, targets: [{ address: kubeletAddress }] },
      ],
      async restart(pod, timeoutMs = 15_000) {
        const replica = byPod(pod);
        const oldPid = replica.pid();
        const readyBefore = replica.events().filter((e) => e.kind === 'ready').length;
        process.kill(oldPid, 'SIGKILL');
        const readies = await waitForEvents(pod, 'ready', readyBefore + 1, timeoutMs);
        return { oldPid, newPid: readies[readies.length - 1].pid };
      },
      pause: (pod) => process.kill(byPod(pod).pid(), 'SIGSTOP'),
      resume: (pod) => process.kill(byPod(pod).pid(), 'SIGCONT'),
      waitForEvents,
      log: () => kubelet.stderr(),
      stop() {
        stopped ??= (async () => {
          running.delete(fleet);
          await kubelet.stop();
          await cleanUp();
        })();
        return stopped;
      },
    };
    running.add(fleet);
    return fleet;
  } catch (err) {
    // What was made is removed either way.
    await kubeletProcess?.stop();
    await cleanUp();
    throw err;
  }
}

/** Stops every fleet started here (call in an after hook, before removeAllTestCgroups). */
export async function stopAllFleets(): Promise<void> {
  const errors: string[] = [];
  for (const fleet of [...running]) {
    try {
      await fleet.stop();
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new Error(errors.join('; '));
}
