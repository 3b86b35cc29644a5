/**
 * The one HTTP client of Memory Watch. Every request to a target goes through here, so every one
 * keeps the same promises: loopback only unless the user allowed the host (the address a name
 * resolves to is checked too), http or https, no redirects followed, no decompression, an overall
 * deadline, and a bounded body — or none kept at all when a streaming consumer reads the chunks as
 * they come and says when it has what it needs.
 */
import * as dns from 'dns';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { urlToHttpOptions } from 'url';
import { formatBytes, formatDuration } from '../format';
import { hostAllowed, isLoopbackAddress } from './urlPolicy';

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  /** From the start of the request to the end of the body. */
  readonly timeoutMs: number;
  /** Most body bytes kept (or streamed to `consume`). */
  readonly maxBytes: number;
  /** Beyond maxBytes: fail (figures: a bigger answer is not what we asked for), or keep the start and stop reading (an answer to show). */
  readonly overflow?: 'fail' | 'truncate';
  /** Keep only the last this-many bytes (pprof's MemStats block ends a long profile). */
  readonly keepTail?: number;
  /** Hosts besides loopback the request may go to (from the user's settings). */
  readonly allowedHosts?: readonly string[];
  /**
   * Reads the body chunk by chunk instead of keeping it: returns true once it has what it needs
   * (the rest is not read). Each call sees at most one socket read (≤ 64 KiB), so no single task
   * of ours grows with the size of the answer.
   */
  readonly consume?: (chunk: Buffer) => boolean;
  /** How the endpoint is named in messages: "The FreeOSMemory hook". */
  readonly label?: string;
  /** Reuse this connection (reads repeated every second); without it each request has its own. */
  readonly connection?: KeptConnection;
}

/**
 * A kept connection closes after this long without a request (a watch paused in the debugger, a
 * target that went away). Longer than the slowest schedule that reads through one — a watch not
 * shown reads its Go figures every 10 s (goruntime/tracker.ts) — or each of those reads would
 * open a new connection.
 */
const KEPT_IDLE_MS = 15_000;

/**
 * One connection to one target, kept open between the reads of a source that asks every second: a
 * new loopback connection costs the extension host about a third of a whole read (bench/RESULTS.md).
 * At most one socket; it goes back for reuse only after an answer read to its end (a request cut
 * short, failed or timed out destroys its socket), and closes when idle for KEPT_IDLE_MS or on close().
 */
export class KeptConnection {
  private agents: { http?: http.Agent; https?: https.Agent } = {};

  constructor(private readonly idleMs = KEPT_IDLE_MS) {}

  /** The agent for `protocol` ("http:" or "https:"), made on first use. */
  agentFor(protocol: string): http.Agent {
    const options = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: this.idleMs };
    if (protocol === 'https:') return (this.agents.https ??= new https.Agent(options));
    return (this.agents.http ??= new http.Agent(options));
  }

  /** Closes the socket (if any); a later request opens a new one. Safe to call twice. */
  close(): void {
    this.agents.http?.destroy();
    this.agents.https?.destroy();
    this.agents = {};
  }
}

export interface HttpAnswer {
  readonly status: number;
  /** The body kept (empty when `consume` read it). */
  readonly body: Buffer;
  readonly contentType?: string;
  /** Set when the body is compressed: it is NOT inflated (a gzip bomb stays a few bytes). */
  readonly contentEncoding?: string;
  /** The body was cut at maxBytes (overflow 'truncate'). */
  readonly truncated: boolean;
}

export type RequestFailure = 'timeout' | 'too-large' | 'refused' | 'not-loopback' | 'unreachable' | 'broken';

/** A request that got no usable answer, with a message a person can act on. */
export class RequestError extends Error {
  constructor(
    readonly failure: RequestFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A dns lookup that only yields loopback addresses (fails with ENOTLOOPBACK otherwise). */
export function loopbackOnlyLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const loopback = (addresses as dns.LookupAddress[]).filter((a) => isLoopbackAddress(a.address));
    if (!loopback.length) {
      const e: NodeJS.ErrnoException = new Error(`${hostname} does not resolve to a loopback address`);
      e.code = 'ENOTLOOPBACK';
      return callback(e, '', 0);
    }
    if (options.all) callback(null, loopback);
    else callback(null, loopback[0].address, loopback[0].family);
  });
}

/** Sends one request; resolves with any HTTP answer (the caller judges the status), rejects with a RequestError. */
export function request(url: URL, options: RequestOptions): Promise<HttpAnswer> {
  const label = options.label ?? `${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new RequestError('refused', `${label}: only http:// and https:// URLs are supported, not ${url.protocol}//.`));
  }
  const mayLeaveLoopback = hostAllowed(url.hostname, options.allowedHosts ?? []);
  // An address is connected to as it is (no lookup to check): check it here.
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (!mayLeaveLoopback && net.isIP(address) && !isLoopbackAddress(address)) {
    return Promise.reject(new RequestError('not-loopback', `Refusing to send the request: ${address} is not a loopback address.`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    /** `ended`: the whole answer was read, so a kept connection may serve the next request. */
    const finish = (err: RequestError | undefined, answer?: HttpAnswer, ended = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Nothing more is read: an endless or oversized body stops here.
      if (!ended || !options.connection) req.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    // A ClientRequest of our own rather than http.request: VS Code replaces http.request and
    // https.request in the extension host with its proxy support, which sends a request for any
    // host it does not know as local (127.0.0.2, an allowed host) to the user's http.proxy — a
    // host our checks never saw. What we ask is always a direct connection to the target.
    const req = new http.ClientRequest(
      {
        ...urlToHttpOptions(url),
        method: options.method ?? 'GET',
        // One agent per request (what `agent: false` makes), or the kept connection's.
        agent: options.connection ? options.connection.agentFor(url.protocol) : url.protocol === 'https:' ? new https.Agent() : new http.Agent(),
        // No accept-encoding: a server that compresses anyway is not inflated.
        headers: { 'user-agent': 'memory-watch', accept: '*/*', ...(options.method === 'POST' ? { 'content-length': '0' } : {}) },
        // Any name must resolve to loopback unless the user allowed the host.
        lookup: mayLeaveLoopback ? undefined : loopbackOnlyLookup,
      },
      (res) => {
        let chunks: Buffer[] = [];
        let size = 0;
        let kept = 0;
        let truncated = false;
        const answer = (): HttpAnswer => {
          let body = Buffer.concat(chunks);
          if (options.keepTail && body.length > options.keepTail) body = body.subarray(-options.keepTail);
          return {
            status: res.statusCode ?? 0,
            body,
            contentType: res.headers['content-type'],
            contentEncoding: res.headers['content-encoding'],
            truncated,
          };
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (size + chunk.length > options.maxBytes) {
            if (options.overflow !== 'truncate') return finish(new RequestError('too-large', `${label} answered more than ${formatBytes(options.maxBytes)}.`));
            chunk = chunk.subarray(0, options.maxBytes - size);
            truncated = true;
          }
          size += chunk.length;
          if (options.consume) {
            if (options.consume(chunk)) {
              finish(undefined, answer(), true);
              // Had what it needs: the rest of the answer is let through unread if it came in the
              // same read (then the connection serves again), else the connection is closed.
              setImmediate(() => {
                if (!res.complete) req.destroy();
              });
            }
          } else {
            chunks.push(chunk);
            kept += chunk.length;
            if (options.keepTail && kept > options.keepTail * 2) {
              // Drop what is older than the tail we need: memory stays bounded by 2 × keepTail.
              const tail = Buffer.concat(chunks).subarray(-options.keepTail);
              chunks = [tail];
              kept = tail.length;
            }
          }
          if (truncated) finish(undefined, answer());
        });
        res.on('end', () => finish(undefined, answer(), true));
        res.on('error', (err) => finish(new RequestError('broken', `${label}'s answer broke off: ${err.message}`)));
        res.on('close', () => {
          // Closed before the end of a body that announced its length: what came is not the answer.
          if (!res.complete) finish(new RequestError('broken', `${label} closed the connection before the end of its answer.`));
        });
      },
    );
    const timer = setTimeout(() => finish(new RequestError('timeout', `${label} did not answer within ${formatDuration(options.timeoutMs)}.`)), options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(describeError(err, url, label)));
    req.end();
  });
}

function describeError(err: NodeJS.ErrnoException, url: URL, label: string): RequestError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new RequestError('unreachable', `Nothing is listening at ${url.host} (connection refused).`);
    case 'ENOTLOOPBACK':
      return new RequestError('not-loopback', `Refusing to send the request: ${err.message}.`);
    case 'ENOTFOUND':
      return new RequestError('unreachable', `The host ${url.hostname} could not be resolved.`);
    case 'ECONNRESET':
      return new RequestError('broken', `${url.host} closed the connection without answering.`);
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_STATUS':
      return new RequestError('broken', `${label} does not speak HTTP.`);
    default:
      if (/certificate|self.signed|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`)) {
        return new RequestError('refused', `${label}: the TLS certificate was not accepted (${err.message}).`);
      }
      return new RequestError('broken', `The request to ${url.host} failed: ${err.message}`);
  }
}
