/**
 * The whole path from a body of /debug/pprof/heap to a summary, in the current thread: size
 * check, bounded gunzip, the shape check, decode, summarize. The heap task's child process runs
 * this; the extension host calls {@link decodeHeapProfile} (decode.ts) instead, which runs it there.
 */
import { promisify } from 'util';
import zlib = require('zlib');
import { formatBytes, MiB } from '../../shared/format';
import { HeapProfileError } from './errors';
import { decodeProfileBytes, SummarizeOptions, summarizeProfile } from './summarize';
import { HeapProfileSummary } from '../../shared/heap/types';

const gunzipAsync = promisify(zlib.gunzip);

/** Size limits of a heap profile. */
export interface HeapProfileLimits {
  /** Largest gzip body accepted, in bytes; default 64 MiB. */
  maxCompressedBytes?: number;
  /** Largest size it may expand to, in bytes; default 256 MiB (gunzip stops there). */
  maxDecompressedBytes?: number;
}

/** Options of {@link analyzeHeapProfile}. */
export interface AnalyzeOptions extends HeapProfileLimits, SummarizeOptions {}

export const DEFAULT_MAX_COMPRESSED_BYTES = 64 * MiB;
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * MiB;

/** A limit option, checked: a positive safe integer, else the default. */
export function limitOf(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer number of bytes, not ${value}`);
  return value;
}

/**
 * Refuses what cannot be a gzip heap profile from its size and first bytes (cheap, any thread).
 * `gz` is the body, or its first bytes when `totalBytes` gives the whole body's size.
 */
export function checkCompressedBody(gz: Uint8Array, limits: HeapProfileLimits = {}, totalBytes = gz?.byteLength): void {
  const maxCompressed = limitOf(limits.maxCompressedBytes, DEFAULT_MAX_COMPRESSED_BYTES, 'maxCompressedBytes');
  if (!(gz instanceof Uint8Array)) throw new TypeError('A heap profile is bytes (a Uint8Array or Buffer).');
  if (totalBytes === 0) throw new HeapProfileError('empty', 'The heap profile is empty (0 bytes).');
  if (totalBytes > maxCompressed) {
    throw new HeapProfileError('too-large', `The heap profile is ${formatBytes(totalBytes)}, over the ${formatBytes(maxCompressed)} limit: refused.`);
  }
  if (gz[0] !== 0x1f || gz[1] !== 0x8b) throw new HeapProfileError('not-gzip', notGzipMessage(gz));
}

/** What a non-gzip body most likely is, so the message says what to do. */
function notGzipMessage(body: Uint8Array): string {
  const head = Buffer.from(body.subarray(0, 64)).toString('latin1');
  if (head.startsWith('heap profile:')) {
    return 'This is the text form of the heap profile (?debug=1); Memory Watch reads the binary form: /debug/pprof/heap without ?debug.';
  }
  if (/^\s*</.test(head)) return 'This is an HTML or XML page, not a heap profile (a gzip-compressed pprof file).';
  const printable = /^[\x20-\x7e\t\r\n]{4,}/.exec(head);
  if (printable) return `This is text ("${printable[0].slice(0, 40).trim()}…"), not a heap profile (a gzip-compressed pprof file).`;
  const hex = Buffer.from(body.subarray(0, 4)).toString('hex').replace(/(..)/g, '$1 ').trim();
  return `This is not a heap profile: a pprof file is gzip-compressed (starts 1f 8b), this starts ${hex}.`;
}

/** Gunzips at most `maxDecompressedBytes`, asynchronously (zlib's thread pool), with clear errors. */
export async function gunzipBounded(gz: Uint8Array, limits: HeapProfileLimits = {}): Promise<Buffer> {
  checkCompressedBody(gz, limits);
  const maxDecompressed = limitOf(limits.maxDecompressedBytes, DEFAULT_MAX_DECOMPRESSED_BYTES, 'maxDecompressedBytes');
  try {
    return await gunzipAsync(gz, { maxOutputLength: maxDecompressed });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new HeapProfileError('expands-too-large', `The heap profile expands past ${formatBytes(maxDecompressed)} (from ${formatBytes(gz.byteLength)} compressed): refused — a gzip bomb, or far larger than any heap profile.`);
    }
    if (e.code === 'Z_BUF_ERROR') {
      throw new HeapProfileError('truncated', `The heap profile is cut off: its gzip stream ends early (${formatBytes(gz.byteLength)} received).`);
    }
    throw new HeapProfileError('corrupt', `The heap profile's gzip data is damaged (${e.message}).`);
  }
}

/** Gunzips, decodes and summarizes a gzip pprof heap profile in this thread. */
export async function analyzeHeapProfile(gz: Uint8Array, options: AnalyzeOptions = {}): Promise<HeapProfileSummary> {
  const bytes = await gunzipBounded(gz, options);
  return summarizeProfile(decodeProfileBytes(bytes), options);
}
