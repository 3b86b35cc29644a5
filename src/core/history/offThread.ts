/**
 * The extension host's side of a history fetch: one task in a child process (task.ts), with its
 * progress, a deadline and a cancel that kills it. What comes back is typed arrays and short text.
 */
import path = require('path');
import { IsolatedTaskError, runIsolatedTask } from '../util/isolatedTask';
import { resolveWorkerScript } from '../util/workerScript';
import type { FetchLimits, FetchProgress, FleetRequest } from './fetch';
import type { FleetHistory, ReplicaHistory } from './fleet';
import { isPrometheusFailure, PrometheusError, PrometheusServer, serverName } from './promApi';

/** What the task is sent: the server as plain data (its URL as text), and what to fetch. */
export interface HistoryTaskRequest {
  readonly server: Omit<PrometheusServer, 'base'> & { readonly base: string };
  readonly fleet: FleetRequest;
  /** Each request's deadline and answer's bound, when not the defaults. */
  readonly limits?: FetchLimits;
  /** One replica of the fleet to read in full (on the fleet's step), instead of the fleet. */
  readonly replica?: Pick<ReplicaHistory, 'id' | 'name' | 'labels'>;
}

/** A whole fetch: many queries of up to a minute each, a few at a time. */
const TIMEOUT_MS = 5 * 60_000;
/** Answers of up to 64 MiB, parsed: the child's heap. */
const TASK_HEAP_MB = 1536;

function taskScript(): string {
  return resolveWorkerScript('history', 'historyTask.js', __dirname, path.join(__dirname, 'task.js'));
}

/** A progress message from the child, checked (it crosses a process boundary). */
function progressOf(raw: unknown): FetchProgress | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { done, total, what } = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(done) || !Number.isSafeInteger(total) || typeof what !== 'string') return undefined;
  return { done: done as number, total: total as number, what: what.slice(0, 80) };
}

/** Fetches a fleet's history in a child process; rejects with an Error whose message is one line to show. */
export function fetchHistoryOffThread(server: PrometheusServer, fleet: FleetRequest, options: TaskOptions = {}): Promise<FleetHistory> {
  return runTask<FleetHistory>({ server: { ...server, base: server.base.toString() }, fleet, limits: options.limits }, server, options);
}

/** Reads one replica of a fleet in full (its Go figures, VSZ and gaps), on the fleet's step, in a child process. */
export function fetchReplicaOffThread(server: PrometheusServer, fleet: FleetRequest & { readonly step: number }, replica: Pick<ReplicaHistory, 'id' | 'name' | 'labels'>, options: TaskOptions = {}): Promise<ReplicaHistory> {
  return runTask<ReplicaHistory>({ server: { ...server, base: server.base.toString() }, fleet, limits: options.limits, replica: { id: replica.id, name: replica.name, labels: replica.labels } }, server, options);
}

interface TaskOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FetchProgress) => void;
  readonly limits?: FetchLimits;
}

async function runTask<Reply>(request: HistoryTaskRequest, server: PrometheusServer, options: TaskOptions): Promise<Reply> {
  try {
    return await runIsolatedTask<Reply>(request, {
      script: taskScript(),
      what: `the history from ${serverName(server)}`,
      heapMb: TASK_HEAP_MB,
      timeoutMs: TIMEOUT_MS,
      signal: options.signal,
      onProgress: (raw) => {
        const p = progressOf(raw);
        if (p) options.onProgress?.(p);
      },
    });
  } catch (err) {
    // The task's own failure, as it said it (a refused login stays one, to offer the credentials).
    if (err instanceof IsolatedTaskError && err.failure === 'failed' && isPrometheusFailure(err.code)) throw new PrometheusError(err.code, err.message);
    if (err instanceof IsolatedTaskError && err.failure === 'out-of-memory') {
      throw new Error(`The answers from ${serverName(server)} were too large to read: try a shorter range or a narrower selector.`, { cause: err });
    }
    throw err;
  }
}
