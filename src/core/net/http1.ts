/**
 * HTTP/1.1 on a bare socket (TCP or TLS): the request's bytes and a strict, bounded parser of the answer.
 *
 * Why not Node's http client for this: a Go figures read repeated every second spends most of
 * its cost in the client's machinery, not on the wire — a ClientRequest, an Agent, two streams,
 * their events — all of it cold at that rate: a read through it cost the extension host about
 * twice what this parser on a bare socket costs (undici, the other well-kept client, measured the
 * same as Node's). And Node's client hands on each chunk of a chunked body as an event of its own:
 * an answer sent a byte per chunk held the extension host past 50 ms per socket read
 * (bench/RESULTS.md, "Measured once"). Every answer is read here (request.ts).
 *
 * Everything here comes from the target: every length is bounded, anything outside HTTP/1.x as
 * Go's and Node's servers write it is refused with a reason rather than guessed at, and a
 * connection whose framing is in any doubt is never used again.
 */
import * as ascii from '../util/ascii';

// Read once: where each file is built on its own (the tests, the benches) an imported binding is a
// getter at every use, and these are read per byte.
const { CR, LF } = ascii;

/** The answer could not be read as HTTP/1.x: the message says why (for a person). */
export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

/** The status line and the header fields that matter to us. */
export interface ResponseHead {
  readonly status: number;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  /** The connection may carry another request once this answer has been read to its end. */
  readonly keepAlive: boolean;
}

/** The request's bytes: a GET (or an empty POST) with the headers Node's client would send us. */
export function requestHead(method: 'GET' | 'POST', url: URL, headers: Readonly<Record<string, string>> = {}): Buffer {
  // A parsed URL's path and host hold no CR, LF or space (the URL parser strips or escapes them).
  const target = `${url.pathname || '/'}${url.search}`;
  const body = method === 'POST' ? 'content-length: 0\r\n' : '';
  const fields = { accept: '*/*', ...headers };
  let extra = '';
  for (const [name, value] of Object.entries(fields)) {
    // Names and values are ours or the user's settings: still, nothing may end the head early or add a field.
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) throw new Error(`not a valid HTTP header field: ${JSON.stringify(name).slice(0, 40)}`);
    if (/^(host|content-length|transfer-encoding|connection|user-agent)$/i.test(name)) continue;
    extra += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\nuser-agent: memory-watch\r\n${extra}${body}\r\n`, 'latin1');
}

/** A header field's name (a token) and value (visible ASCII, spaces and tabs; no CR or LF). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const HEADER_VALUE = /^[\t\x20-\x7e]{0,8192}$/;

/** Most bytes of a status line and its header fields (Node's own limit is 16 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Most bytes of a chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 1024;
/** Most bytes of the trailer fields after the last chunk. */
const MAX_TRAILER_BYTES = 16 * 1024;
/** At most 12 hex digits of a chunk's size (256 TiB): a larger chunk is a lie. */
const MAX_CHUNK_SIZE_DIGITS = 12;
/**
 * Body pieces shorter than this are copied together, one piece for all of them per `feed`: a
 * server may send each byte as its own chunk, and a consumer called eleven thousand times for a
 * 64 KiB read (the expvar scanner, a BodyCollector) costs more than the bytes. Longer pieces
 * (Go writes chunks of 4 KiB and more) are handed on as they are, uncopied.
 */
const COALESCE_BELOW = 1024;

/** A hex digit's value by byte; −1 for any other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[0x41 + i] = HEX_VALUE[0x61 + i] = 10 + i;
const NOT_CHUNKED = 'sent a chunked body that is not one';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; state: ChunkState; remaining: number } | { kind: 'until-close' } | { kind: 'none' };
/** Where a chunked body is: in a size line, in data, at the CR or the LF after data, in the trailers. */
type ChunkState = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailers';

/**
 * Reads one answer from the bytes of a socket, as they come. `feed` hands the body's bytes to
 * `onBody` until the answer ends or `onBody` returns true (it has what it needs); then the rest of
 * that chunk is still parsed, without being handed on, so that `complete` says whether the answer
 * ended in what has arrived. Throws an HttpParseError.
 *
 * What `onBody` gets: subarrays of the chunk fed, except that the short pieces of one chunk (a body
 * sent in chunks of a few bytes) come copied together, as one piece, at the end of that `feed`.
 * Parsing a chunked body costs about what the same bytes cost unchunked: a size line and the CRLF
 * after data are read in place in the chunk; only a line cut between two reads, or one with an
 * extension, or a trailer, is collected and read as text.
 */
export class ResponseParser {
  private headBytes: Buffer[] = [];
  private headLength = 0;
  private framing?: Framing;
  /** The line being collected across reads (a chunk size or a trailer field): its first `lineLength` bytes. */
  private line = Buffer.alloc(0);
  private lineLength = 0;
  private trailerBytes = 0;
  private headValue?: ResponseHead;
  private doneValue = false;
  /** Bytes that came after the end of the answer (a server that sent more than one). */
  private extraValue = 0;
  /** The consumer has what it needs: no more body is handed on. */
  private enough = false;
  /** The consumer of the current `feed`. */
  private onBody: (piece: Buffer) => boolean = () => false;
  /** Short body pieces of the current `feed` not handed on yet: one as a range of the chunk, more copied into `pendingCopy`. */
  private pendingFrom = 0;
  private pendingTo = 0;
  private pendingCopy?: Buffer;
  private pendingLength = 0;

  get head(): ResponseHead | undefined {
    return this.headValue;
  }

  /** The whole answer has been read. */
  get complete(): boolean {
    return this.doneValue;
  }

  /** The answer ends where the connection closes (no length was given). */
  get endsAtClose(): boolean {
    return this.framing?.kind === 'until-close';
  }

  /** Bytes received past the end of the answer; a connection that had any is not used again. */
  get extra(): number {
    return this.extraValue;
  }

  /** Parses `chunk`; `onBody` gets the body's bytes and returns true to be given no more. */
  feed(chunk: Buffer, onBody: (piece: Buffer) => boolean): void {
    this.onBody = onBody;
    // Nothing kept from a feed that threw (its answer was refused) may be handed on with this one.
    this.pendingCopy = undefined;
    this.pendingFrom = this.pendingTo = this.pendingLength = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.doneValue) {
        this.extraValue += chunk.length - at;
        break;
      }
      if (!this.framing) {
        at = this.readHead(chunk, at);
        continue;
      }
      const framing = this.framing;
      switch (framing.kind) {
        case 'length': {
          const n = Math.min(framing.remaining, chunk.length - at);
          this.give(chunk, at, at + n);
          at += n;
          framing.remaining -= n;
          if (framing.remaining === 0) this.doneValue = true;
          break;
        }
        case 'until-close':
          this.give(chunk, at, chunk.length);
          at = chunk.length;
          break;
        case 'chunked':
          at = this.readChunked(framing, chunk, at);
          break;
        case 'none':
          this.doneValue = true;
          break;
      }
    }
    // A parse error thrown above skips this: that answer is refused, and its body with it.
    this.handOn(chunk);
  }

  /** The body's bytes chunk[from, to): handed on now when long, else kept to hand on with the other short ones. */
  private give(chunk: Buffer, from: number, to: number): void {
    if (this.enough || from === to) return;
    if (to - from >= COALESCE_BELOW) {
      this.handOn(chunk);
      if (!this.enough) this.enough = this.onBody(chunk.subarray(from, to));
      return;
    }
    if (!this.pendingCopy && this.pendingFrom === this.pendingTo) {
      // The first short piece: a range, copied only if another follows.
      this.pendingFrom = from;
      this.pendingTo = to;
      return;
    }
    if (!this.pendingCopy) {
      // What is left of the chunk from the first piece on bounds the body still to come in it.
      this.pendingCopy = Buffer.allocUnsafe(chunk.length - this.pendingFrom);
      this.pendingLength = chunk.copy(this.pendingCopy, 0, this.pendingFrom, this.pendingTo);
    }
    const copy = this.pendingCopy;
    if (to - from === 1) copy[this.pendingLength++] = chunk[from];
    else this.pendingLength += chunk.copy(copy, this.pendingLength, from, to);
  }

  /** Hands on the short pieces kept from `chunk`, as one. */
  private handOn(chunk: Buffer): void {
    let piece: Buffer | undefined;
    if (this.pendingCopy) {
      // Sized for the worst case (a body with no framing at all): a piece that kept far less gets
      // a buffer of its own, so that a consumer keeping it does not keep the rest too.
      const copy = this.pendingCopy.subarray(0, this.pendingLength);
      piece = this.pendingLength * 2 < this.pendingCopy.length ? Buffer.from(copy) : copy;
    } else if (this.pendingFrom !== this.pendingTo) piece = chunk.subarray(this.pendingFrom, this.pendingTo);
    this.pendingCopy = undefined;
    this.pendingFrom = this.pendingTo = this.pendingLength = 0;
    if (piece && !this.enough) this.enough = this.onBody(piece);
  }

  /** Collects the head up to its empty line; returns where the body starts in `chunk`. */
  private readHead(chunk: Buffer, from: number): number {
    const seen = this.headLength;
    this.headBytes.push(chunk.subarray(from));
    this.headLength += chunk.length - from;
    // The end of the head may straddle two chunks: look from three bytes before the new ones.
    const all = this.headBytes.length === 1 ? this.headBytes[0] : Buffer.concat(this.headBytes);
    this.headBytes = [all];
    if (all.length >= 5 && all.toString('latin1', 0, 5) !== 'HTTP/') throw new HttpParseError('does not speak HTTP');
    const end = all.indexOf('\r\n\r\n', Math.max(0, seen - 3), 'latin1');
    if (end < 0) {
      if (this.headLength > MAX_HEAD_BYTES) throw new HttpParseError(`sent a header larger than ${MAX_HEAD_BYTES / 1024} KiB`);
      return chunk.length;
    }
    if (end + 4 > MAX_HEAD_BYTES) throw new HttpParseError(`sent a header larger than ${MAX_HEAD_BYTES / 1024} KiB`);
    const consumedHere = end + 4 - seen;
    this.headBytes = [];
    this.headLength = 0;
    this.startBody(parseHead(all.toString('latin1', 0, end)));
    return from + consumedHere;
  }

  private startBody(parsed: ParsedHead): void {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    if (parsed.status < 200) {
      if (parsed.status === 101) throw new HttpParseError('switched protocols, which was not asked for');
      return;
    }
    this.headValue = { status: parsed.status, contentType: parsed.contentType, contentEncoding: parsed.contentEncoding, keepAlive: parsed.keepAlive };
    if (parsed.status === 204 || parsed.status === 304) this.framing = { kind: 'none' };
    else if (parsed.chunked) this.framing = { kind: 'chunked', state: 'size', remaining: 0 };
    else if (parsed.contentLength !== undefined) this.framing = { kind: 'length', remaining: parsed.contentLength };
    else this.framing = { kind: 'until-close' };
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.remaining === 0)) this.doneValue = true;
  }

  /** Reads a chunked body from `at` to the end of `chunk` or of the answer; returns where it stopped. */
  private readChunked(framing: Extract<Framing, { kind: 'chunked' }>, chunk: Buffer, at: number): number {
    const end = chunk.length;
    while (at < end && !this.doneValue) {
      switch (framing.state) {
        case 'data': {
          const n = Math.min(framing.remaining, end - at);
          this.give(chunk, at, at + n);
          at += n;
          framing.remaining -= n;
          if (framing.remaining === 0) framing.state = 'data-cr';
          break;
        }
        // The CRLF after data, one byte at a time: any other byte means the size was a lie.
        case 'data-cr':
          if (chunk[at] !== CR) throw new HttpParseError(chunk[at] === LF ? NOT_CHUNKED : 'sent a chunk longer than its size');
          at++;
          framing.state = 'data-lf';
          break;
        case 'data-lf':
          if (chunk[at] !== LF) throw new HttpParseError(NOT_CHUNKED);
          at++;
          framing.state = 'size';
          break;
        case 'size': {
          if (this.lineLength === 0) {
            // The usual size line, "1a3f\r\n", whole in this chunk: read in place.
            let i = at;
            let size = 0;
            const digitsEnd = Math.min(end, at + MAX_CHUNK_SIZE_DIGITS);
            while (i < digitsEnd) {
              const digit = HEX_VALUE[chunk[i]];
              if (digit < 0) break;
              size = size * 16 + digit;
              i++;
            }
            if (i > at && i + 1 < end && chunk[i] === CR && chunk[i + 1] === LF) {
              at = i + 2;
              this.startChunk(framing, size);
              break;
            }
          }
          // Anything else (cut between reads, an extension, or wrong) is read as a line.
          const taken = this.takeLine(chunk, at, MAX_CHUNK_LINE_BYTES);
          at = taken.at;
          if (taken.line !== undefined) this.startChunk(framing, parseChunkSize(taken.line));
          break;
        }
        case 'trailers': {
          // No trailer fields, the usual: the final CRLF.
          if (this.lineLength === 0 && at + 1 < end && chunk[at] === CR && chunk[at + 1] === LF && this.trailerBytes + 2 <= MAX_TRAILER_BYTES) {
            this.trailerBytes += 2;
            this.doneValue = true;
            at += 2;
            break;
          }
          const taken = this.takeLine(chunk, at, MAX_TRAILER_BYTES - this.trailerBytes);
          at = taken.at;
          if (taken.line !== undefined) {
            this.trailerBytes += taken.line.length + 2;
            if (taken.line === '') this.doneValue = true;
          }
          break;
        }
      }
    }
    return at;
  }

  private startChunk(framing: Extract<Framing, { kind: 'chunked' }>, size: number): void {
    if (size === 0) framing.state = 'trailers';
    else {
      framing.state = 'data';
      framing.remaining = size;
    }
  }

  /** Collects bytes up to a CRLF (at most `max` with it); the line once it is whole, and where it stopped. */
  private takeLine(chunk: Buffer, at: number, max: number): { line?: string; at: number } {
    const lf = chunk.indexOf(LF, at);
    const end = lf < 0 ? chunk.length : lf + 1;
    const length = this.lineLength + end - at;
    if (length > max) throw new HttpParseError(NOT_CHUNKED);
    if (this.line.length < length) {
      // Grown as needed (most lines are a few bytes), never past `max`.
      const grown = Buffer.allocUnsafe(Math.min(max, Math.max(length, this.line.length * 2, 64)));
      this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    chunk.copy(this.line, this.lineLength, at, end);
    this.lineLength = length;
    if (lf < 0) return { at: end };
    this.lineLength = 0;
    if (length < 2 || this.line[length - 2] !== CR) throw new HttpParseError(NOT_CHUNKED);
    return { line: this.line.toString('latin1', 0, length - 2), at: end };
  }
}

interface ParsedHead {
  readonly status: number;
  readonly keepAlive: boolean;
  readonly chunked: boolean;
  readonly contentLength?: number;
  readonly contentType?: string;
  readonly contentEncoding?: string;
}

/** The status line and header fields (without the final empty line). */
function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]);
  if (!status) throw new HttpParseError('does not speak HTTP');
  const http10 = status[1] === '0';
  let contentLength: number | undefined;
  let transferEncoding: string | undefined;
  let connection = '';
  let contentType: string | undefined;
  let contentEncoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // A line folded onto the one before, a bare CR or LF, or no name: not a header field.
    if (!TOKEN.test(name) || /[\r\n]/.test(line)) throw new HttpParseError('sent a malformed header');
    const value = line.slice(colon + 1).trim();
    switch (name.toLowerCase()) {
      case 'content-length': {
        if (!/^\d{1,15}$/.test(value)) throw new HttpParseError('sent a malformed Content-Length');
        const length = Number(value);
        if (contentLength !== undefined && contentLength !== length) throw new HttpParseError('sent two different Content-Lengths');
        contentLength = length;
        break;
      }
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case 'connection':
        connection += `,${value.toLowerCase()}`;
        break;
      case 'content-type':
        contentType ??= value;
        break;
      case 'content-encoding':
        contentEncoding ??= value;
        break;
    }
  }
  let chunked = false;
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(',').map((c) => c.trim());
    // Chunked last: its chunks frame the body. Any other coding last: the body ends at close.
    chunked = codings[codings.length - 1] === 'chunked';
    if (codings.slice(0, -1).includes('chunked')) throw new HttpParseError('sent a malformed Transfer-Encoding');
  }
  const tokens = connection.split(',').map((t) => t.trim());
  // With both a length and a transfer coding the framing is ambiguous: read this answer, never reuse.
  const keepAlive = !http10 && !tokens.includes('close') && !(transferEncoding !== undefined && contentLength !== undefined);
  return {
    status: Number(status[2]),
    keepAlive,
    chunked,
    contentLength: transferEncoding !== undefined ? undefined : contentLength,
    contentType,
    contentEncoding,
  };
}

/** "1a3f" or "1a3f;ext=1" → 6719. At most 12 hex digits (256 TiB): a larger chunk is a lie. */
function parseChunkSize(line: string): number {
  const semicolon = line.indexOf(';');
  const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).trim();
  if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) throw new HttpParseError(NOT_CHUNKED);
  return parseInt(digits, 16);
}
