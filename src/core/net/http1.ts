/**
 * HTTP/1.1 on a socket we keep: the request's bytes and a strict, bounded parser of the answer.
 *
 * Why not Node's http client for this: a Go figures read repeated every second spends most of
 * its cost in the client's machinery, not on the wire — a ClientRequest, an Agent, two streams,
 * their events — all of it cold at that rate. One read through it costs the extension host
 * ≈ 0.85 ms more than an idle tick, through this parser on a bare socket ≈ 0.45 ms (the bare
 * socket alone ≈ 0.3; undici, the other well-kept client, measured the same as Node's here). This is used for kept connections
 * only (reads repeated on one plain-http socket); everything else still goes through Node's client.
 *
 * Everything here comes from the target: every length is bounded, anything outside HTTP/1.x as
 * Go's and Node's servers write it is refused with a reason rather than guessed at, and a
 * connection whose framing is in any doubt is never used again.
 */

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
export function requestHead(method: 'GET' | 'POST', url: URL): Buffer {
  // A parsed URL's path and host hold no CR, LF or space (the URL parser strips or escapes them).
  const target = `${url.pathname || '/'}${url.search}`;
  const body = method === 'POST' ? 'content-length: 0\r\n' : '';
  return Buffer.from(`${method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\nuser-agent: memory-watch\r\naccept: */*\r\n${body}\r\n`, 'latin1');
}

/** Most bytes of a status line and its header fields (Node's own limit is 16 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Most bytes of a chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 1024;
/** Most bytes of the trailer fields after the last chunk. */
const MAX_TRAILER_BYTES = 16 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked'; state: ChunkState; remaining: number } | { kind: 'until-close' } | { kind: 'none' };
/** Where a chunked body is: in a size line, in data, at the CRLF after data, in the trailers. */
type ChunkState = 'size' | 'data' | 'data-end' | 'trailers';

/**
 * Reads one answer from the bytes of a socket, as they come. `feed` hands the body's bytes to
 * `onBody` (subarrays of the chunk, never copied) until the answer ends or `onBody` returns true
 * (it has what it needs); then the rest of that chunk is still parsed, without being handed on, so
 * that `complete` says whether the answer ended in what has arrived. Throws an HttpParseError.
 */
export class ResponseParser {
  private headBytes: Buffer[] = [];
  private headLength = 0;
  private framing?: Framing;
  /** The line being collected: a chunk size or a trailer field. */
  private line: number[] = [];
  private trailerBytes = 0;
  private headValue?: ResponseHead;
  private doneValue = false;
  /** Bytes that came after the end of the answer (a server that sent more than one). */
  private extraValue = 0;
  /** The consumer has what it needs: no more body is handed on. */
  private enough = false;

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
    let at = 0;
    const give = (piece: Buffer): void => {
      if (!this.enough && piece.length) this.enough = onBody(piece);
    };
    while (at < chunk.length) {
      if (this.doneValue) {
        this.extraValue += chunk.length - at;
        return;
      }
      if (!this.framing) {
        at = this.readHead(chunk, at);
        continue;
      }
      const framing = this.framing;
      switch (framing.kind) {
        case 'length': {
          const n = Math.min(framing.remaining, chunk.length - at);
          give(chunk.subarray(at, at + n));
          at += n;
          framing.remaining -= n;
          if (framing.remaining === 0) this.doneValue = true;
          break;
        }
        case 'until-close':
          give(chunk.subarray(at));
          at = chunk.length;
          break;
        case 'chunked':
          at = this.readChunked(framing, chunk, at, give);
          break;
        case 'none':
          this.doneValue = true;
          break;
      }
    }
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

  /** One step of a chunked body; returns where it stopped in `chunk`. */
  private readChunked(framing: Extract<Framing, { kind: 'chunked' }>, chunk: Buffer, at: number, give: (piece: Buffer) => void): number {
    switch (framing.state) {
      case 'data': {
        const n = Math.min(framing.remaining, chunk.length - at);
        give(chunk.subarray(at, at + n));
        framing.remaining -= n;
        if (framing.remaining === 0) framing.state = 'data-end';
        return at + n;
      }
      case 'data-end':
      case 'size':
      case 'trailers': {
        const lineEnd = this.takeLine(chunk, at, framing.state === 'trailers' ? MAX_TRAILER_BYTES - this.trailerBytes : MAX_CHUNK_LINE_BYTES);
        if (lineEnd.line === undefined) return lineEnd.at;
        const line = lineEnd.line;
        if (framing.state === 'data-end') {
          if (line !== '') throw new HttpParseError('sent a chunk longer than its size');
          framing.state = 'size';
        } else if (framing.state === 'size') {
          const size = parseChunkSize(line);
          if (size === 0) framing.state = 'trailers';
          else {
            framing.state = 'data';
            framing.remaining = size;
          }
        } else {
          this.trailerBytes += line.length + 2;
          if (line === '') this.doneValue = true;
        }
        return lineEnd.at;
      }
    }
  }

  /** Collects bytes up to a CRLF (at most `max`); the line once it is whole, and where it stopped. */
  private takeLine(chunk: Buffer, at: number, max: number): { line?: string; at: number } {
    const lf = chunk.indexOf(LF, at);
    const end = lf < 0 ? chunk.length : lf + 1;
    for (let i = at; i < end; i++) this.line.push(chunk[i]);
    if (this.line.length > max) throw new HttpParseError('sent a chunked body that is not one');
    if (lf < 0) return { at: end };
    const bytes = this.line;
    this.line = [];
    if (bytes.length < 2 || bytes[bytes.length - 2] !== CR) throw new HttpParseError('sent a chunked body that is not one');
    return { line: Buffer.from(bytes.slice(0, -2)).toString('latin1'), at: end };
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
  if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) throw new HttpParseError('sent a chunked body that is not one');
  return parseInt(digits, 16);
}
