/**
 * The extension host's side of reading a heap profile: check the body's size and first bytes,
 * hand it to a fresh worker thread (transferred, not copied, when it can be), wait for the
 * summary, and stop the worker — at once on a reply, after `timeoutMs` without one, or on abort.
 * Everything that costs CPU (gunzip, decode, ranking) happens in the worker.
 */
import { Worker } from 'worker_threads';
import { AnalyzeOptions, checkCompressedBody, limitOf } from './analyze';
import { HeapProfileError, isHeapProfileErrorCode } from './errors';
import { HeapProfileSummary } from './types';
import { HeapWorkerReply, HeapWorkerRequest } from './workerProtocol';
import { resolveHeapWorkerScript } from './workerScript';

/** Options of {@link decodeHeapProfile}. */
export interface DecodeHeapProfileOptions extends AnalyzeOptions {
  /** Stop the worker after this long, in ms; default 15,000. */
  timeoutMs?: number;
  /** The worker's V8 heap limit, in MiB; default 512. */
  maxWorkerHeapMb?: number;
  /**
   * Hand `gz`'s memory to the worker instead of copying it (default true). `gz` is then empty
   * (length 0) afterwards. Only a buffer that owns its whole ArrayBuffer can be handed over; any
   * other (e.g. a small Buffer from Node's pool) is copied whatever this says.
   */
  transfer?: boolean;
  /** Stops the work early (the promise rejects with code 'aborted'). */
  signal?: AbortSignal;
  /** The worker script; default {@link resolveHeapWorkerScript}(). */
  workerScript?: string;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_WORKER_HEAP_MB = 512;

/**
 * Reads a Go heap profile — the gzip pprof body of /debug/pprof/heap — into a summary, in a
 * worker thread with a memory limit and a deadline. Rejects with a {@link HeapProfileError}
 * whose message can be shown as is.
 */
export function decodeHeapProfile(gz: Uint8Array, options: DecodeHeapProfileOptions = {}): Promise<HeapProfileSummary> {
  return new Promise<HeapProfileSummary>((resolve, reject) => {
    const { timeoutMs: timeoutOption, maxWorkerHeapMb, transfer = true, signal, workerScript, ...analyzeOptions } = options;
    // Checked here so a wrong body or option costs no thread.
    const timeoutMs = limitOf(timeoutOption, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    const heapMb = limitOf(maxWorkerHeapMb, DEFAULT_WORKER_HEAP_MB, 'maxWorkerHeapMb');
    checkCompressedBody(gz, analyzeOptions);
    if (signal?.aborted) throw new HeapProfileError('aborted', 'Reading the heap profile was cancelled.');

    const worker = new Worker(workerScript ?? resolveHeapWorkerScript(), {
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(64, heapMb), stackSizeMb: 4 },
    });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const fail = (code: HeapProfileError['code'], message: string) => finish(() => reject(new HeapProfileError(code, message)));
    const timer = setTimeout(() => fail('timeout', `Reading the heap profile took longer than ${timeoutMs / 1000} s: stopped.`), timeoutMs);
    const onAbort = () => fail('aborted', 'Reading the heap profile was cancelled.');
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.once('message', (reply: HeapWorkerReply) => {
      if (reply.ok) finish(() => resolve(reply.summary));
      else fail(isHeapProfileErrorCode(reply.code) ? reply.code : 'worker-failed', String(reply.message));
    });
    worker.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') fail('out-of-memory', `The heap profile needs more than the ${heapMb} MiB allowed to read it: stopped.`);
      else fail('worker-failed', `The heap profile worker failed: ${err.message}`);
    });
    worker.once('exit', (code) => fail('worker-failed', `The heap profile worker stopped (exit code ${code}) without an answer.`));

    const request: HeapWorkerRequest = { gz, options: analyzeOptions };
    if (transfer && ownsWholeBuffer(gz)) {
      try {
        worker.postMessage(request, [gz.buffer as ArrayBuffer]);
        return;
      } catch {
        // Some ArrayBuffers cannot be transferred (Node marks its pools so): copy instead.
      }
    }
    const copy = new Uint8Array(gz);
    worker.postMessage({ ...request, gz: copy }, [copy.buffer]);
  });
}

// Transferring a view of part of an ArrayBuffer would detach the rest of it, which may belong
// to other Buffers (Node's 8 KiB pool).
function ownsWholeBuffer(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
