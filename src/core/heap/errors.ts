/**
 * Why a heap profile could not be read, as a code a caller can branch on and a message a person
 * can act on. The messages cross the worker boundary as plain data and are rebuilt here.
 */

/** The reasons a heap profile is refused. */
export type HeapProfileErrorCode =
  /** No bytes at all. */
  | 'empty'
  /** Over the compressed-size limit (64 MiB by default). */
  | 'too-large'
  /** Not gzip: e.g. the text format of `?debug=1`, an HTML page, an error message. */
  | 'not-gzip'
  /** The gzip stream ends early: a cut-off download or file. */
  | 'truncated'
  /** The gzip data is damaged. */
  | 'corrupt'
  /** It expands past the decompressed-size limit (256 MiB by default): a gzip bomb, or absurdly large. */
  | 'expands-too-large'
  /** Valid gzip, but what it holds is not a pprof protobuf profile. */
  | 'not-a-profile'
  /** A pprof profile, but not of the heap (CPU, goroutines, …). */
  | 'not-heap'
  /** Analysis took longer than allowed; the worker was stopped. */
  | 'timeout'
  /** The worker hit its memory limit. */
  | 'out-of-memory'
  /** The caller aborted. */
  | 'aborted'
  /** The worker could not run (script missing, crashed). */
  | 'worker-failed';

/** A heap profile that was refused, with the reason as a code and a sentence. */
export class HeapProfileError extends Error {
  constructor(
    readonly code: HeapProfileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HeapProfileError';
  }
}

/** True for the error codes above (a message from the worker is checked before it is trusted). */
export function isHeapProfileErrorCode(value: unknown): value is HeapProfileErrorCode {
  return (
    typeof value === 'string' &&
    ['empty', 'too-large', 'not-gzip', 'truncated', 'corrupt', 'expands-too-large', 'not-a-profile', 'not-heap', 'timeout', 'out-of-memory', 'aborted', 'worker-failed'].includes(value)
  );
}
