/**
 * The extension host's side of reading a heap profile: check the body's size and first bytes,
 * hand it to a child process of its own (heap/task.ts, in pieces as it arrived — no 64 MiB copy
 * or concatenation on this thread), wait for the summary, and stop the child — at once on a
 * reply, after `timeoutMs` without one, or on abort. Everything that costs CPU or memory (gunzip,
 * the shape check, decode, ranking) happens in the child: a profile made to exhaust memory costs
 * that process, never the extension host (util/isolatedTask.ts says why a worker thread did not).
 */
import { AnalyzeOptions, checkCompressedBody, limitOf } from './analyze';
import { HeapProfileError, isHeapProfileErrorCode } from './errors';
import { HeapProfileSummary } from '../../shared/heap/types';
import { IsolatedTaskError, runIsolatedTask } from '../util/isolatedTask';
import { resolveHeapTaskScript } from './workerScript';

/** Options of {@link decodeHeapProfile}. */
export interface DecodeHeapProfileOptions extends AnalyzeOptions {
  /** Stop the child after this long, in ms; default 15,000. */
  timeoutMs?: number;
  /** The child's V8 heap limit, in MiB; default 512. */
  maxHeapMb?: number;
  /** Stops the work early (the promise rejects with code 'aborted'). */
  signal?: AbortSignal;
  /** The task's script; default {@link resolveHeapTaskScript}(). */
  taskScript?: string;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_HEAP_MB = 512;

/** The request the heap task gets (its input: the gzip body's bytes). */
export interface HeapTaskRequest {
  readonly options: AnalyzeOptions;
}

/**
 * Reads a Go heap profile — the gzip pprof body of /debug/pprof/heap, whole or as the pieces it
 * arrived in — into a summary, in a child process with a memory limit and a deadline. Rejects with
 * a {@link HeapProfileError} whose message can be shown as is. The bytes are left as they are.
 */
export async function decodeHeapProfile(gz: Uint8Array | readonly Uint8Array[], options: DecodeHeapProfileOptions = {}): Promise<HeapProfileSummary> {
  const { timeoutMs: timeoutOption, maxHeapMb, signal, taskScript, ...analyzeOptions } = options;
  const pieces = gz instanceof Uint8Array ? [gz] : gz;
  // Checked here so a wrong body or option costs no process.
  const timeoutMs = limitOf(timeoutOption, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const heapMb = limitOf(maxHeapMb, DEFAULT_HEAP_MB, 'maxHeapMb');
  checkCompressedBody(headOf(pieces), analyzeOptions, pieces.reduce((n, p) => n + p.byteLength, 0));
  const request: HeapTaskRequest = { options: analyzeOptions };
  try {
    return await runIsolatedTask<HeapProfileSummary>(request, { script: taskScript ?? resolveHeapTaskScript(), what: 'the heap profile', heapMb, timeoutMs, signal, input: pieces });
  } catch (err) {
    if (!(err instanceof IsolatedTaskError)) throw err;
    switch (err.failure) {
      case 'failed':
        throw new HeapProfileError(isHeapProfileErrorCode(err.code) ? err.code : 'worker-failed', err.message);
      case 'out-of-memory':
        throw new HeapProfileError('out-of-memory', `The heap profile needs more than the ${heapMb} MiB allowed to read it: stopped.`);
      case 'timeout':
        throw new HeapProfileError('timeout', `Reading the heap profile took longer than ${timeoutMs / 1000} s: stopped.`);
      case 'aborted':
        throw new HeapProfileError('aborted', 'Reading the heap profile was cancelled.');
      default:
        throw new HeapProfileError('worker-failed', err.message);
    }
  }
}

/** The first bytes of a body in pieces (enough to tell gzip, or what else it is). */
function headOf(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 0) return new Uint8Array(0);
  if (pieces[0].byteLength >= 64 || pieces.length === 1) return pieces[0];
  const head = new Uint8Array(64);
  let length = 0;
  for (const piece of pieces) {
    const take = Math.min(piece.byteLength, head.length - length);
    head.set(piece.subarray(0, take), length);
    length += take;
    if (length === head.length) break;
  }
  return head.subarray(0, length);
}
