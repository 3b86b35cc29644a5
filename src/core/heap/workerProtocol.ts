/**
 * The two messages between the extension host and the heap worker: one request (the gzip body,
 * transferred, and the options), one reply (the summary, or why not).
 */
import { HeapProfileErrorCode } from './errors';
import { AnalyzeOptions } from './analyze';
import { HeapProfileSummary } from './types';

/** Host → worker: analyze this body. */
export interface HeapWorkerRequest {
  gz: Uint8Array;
  options: AnalyzeOptions;
}

/** Worker → host: the summary, or the reason it could not be made. */
export type HeapWorkerReply = { ok: true; summary: HeapProfileSummary } | { ok: false; code: HeapProfileErrorCode; message: string };
