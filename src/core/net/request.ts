/**
 * The one HTTP client of Memory Watch. Every request to a target goes through here, so every one
 * keeps the same promises: loopback only unless the user allowed the host (the address a name
 * resolves to is checked too), http or https, no redirects followed, no decompression, an overall
 * deadline, and a bounded body — or none kept at all when a streaming consumer reads the chunks as
 * they come and says when it has what it needs.
 *
 * Every answer, http or https, kept connection or not, is read by our own HTTP/1.1 reader
 * (http1.ts) on a bare TCP or TLS socket. Not Node's client: it hands on each chunk of a chunked
 * body as a 'data' event of its own, so an answer sent a byte per chunk held the extension host
 * 60–160 ms per socket read (our reader: well under 1 ms), and no option of it bounds that.
 * And not http.request either: VS Code replaces it in the extension host with its proxy support,
 * which sends a request for any host it does not know as local (127.0.0.2, an allowed host) to
 * the user's http.proxy — a host our checks never saw. Each request connects directly to the
 * target.
 */
import dns = require('dns');
import net = require('net');
import tls = require('tls');
import { urlToHttpOptions } from 'url';
import { formatBytes, formatDuration } from '../../shared/format';
import { HttpParseError, requestHead, ResponseParser } from './http1';
import { hostAllowed, isLoopbackAddress } from './urlPolicy';

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  /** Header fields besides host and user-agent (an `accept` replaces the default, any type). */
  readonly headers?: Readonly<Record<string, string>>;
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
 * At most one socket (TCP, or TLS for https); it serves again only after an answer read to its end
 * that allows it (a request cut short, failed or timed out destroys its socket), and closes when
 * idle for KEPT_IDLE_MS or on close().
 */
export class KeptConnection {
  private kept?: KeptSocket;

  constructor(private readonly idleMs = KEPT_IDLE_MS) {}

  /**
   * One exchange: on the kept socket when it is free and to the same origin, else on a
   * new one (kept afterwards unless another is). A kept socket that the server had closed by the
   * time we asked (no byte of an answer came) is replaced once: a GET may be asked again.
   */
  exchange(url: URL, options: RequestOptions, label: string, lookup: net.LookupFunction | undefined): Promise<HttpAnswer> {
    if (this.kept?.destroyed) this.kept = undefined;
    const idle = this.kept && !this.kept.busy && this.kept.origin === url.origin ? this.kept : undefined;
    if (this.kept && !this.kept.busy && !idle) this.dropKept();
    const attempt = (socket: KeptSocket, retry: boolean): Promise<HttpAnswer> =>
      exchangeOn(socket, url, options, label).catch((err: unknown) => {
        if (retry && err instanceof StaleSocket) return attempt(this.open(url, lookup), false);
        throw err instanceof StaleSocket ? err.error : err;
      });
    return attempt(idle ?? this.open(url, lookup), idle !== undefined);
  }

  /** A new socket to `url`'s origin; kept for later unless another is kept already. */
  private open(url: URL, lookup: net.LookupFunction | undefined): KeptSocket {
    const socket = openSocket(url, lookup, this.idleMs);
    if (this.kept) socket.oneOff = true;
    else {
      this.kept = socket;
      socket.onGone = () => {
        if (this.kept === socket) this.kept = undefined;
      };
    }
    return socket;
  }

  private dropKept(): void {
    this.kept?.destroy();
    this.kept = undefined;
  }

  /** Closes the socket (if any); a later request opens a new one. Safe to call twice. */
  close(): void {
    this.dropKept();
  }
}

/** A socket to `url`'s origin (TCP for http, TLS for https), kept `idleMs` between exchanges. */
function openSocket(url: URL, lookup: net.LookupFunction | undefined, idleMs: number): KeptSocket {
  // The host without an IPv6 address's brackets.
  const host = urlToHttpOptions(url).hostname ?? 'localhost';
  const secure = url.protocol === 'https:';
  // An empty port is the scheme's default; "0" is port 0 (refused), not the default.
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return new KeptSocket(url.origin, { host, port, lookup }, secure, idleMs);
}

/** An exchange on a reused socket that ended before any byte of an answer: the server had closed it. */
class StaleSocket extends Error {
  constructor(readonly error: RequestError) {
    super(error.message);
  }
}

/** Where every kept socket's reads land (one read at a time: JavaScript is single-threaded). */
const READ_BUFFER = Buffer.alloc(64 * 1024);

/** One socket and whichever exchange is on it now; between exchanges it idles, then closes (or closes at once: oneOff). */
class KeptSocket {
  busy = false;
  /** Opened while the kept socket was busy: closed after its one exchange. */
  oneOff = false;
  /** Called once the socket is closed, for whatever reason. */
  onGone?: () => void;
  /** The exchange now on the socket: gets what the socket reports. */
  private listener?: ExchangeListener;

  private readonly socket: net.Socket;

  constructor(
    readonly origin: string,
    address: { host: string; port: number; lookup?: net.LookupFunction },
    secure: boolean,
    private readonly idleMs: number,
  ) {
    // Reads land in one buffer for all sockets and are copied out at their size: Node's stream
    // allocates 64 KiB for each read, garbage the GC must then collect (a little less CPU a read,
    // within the noise of one run: bench/RESULTS.md, "Measured once").
    const onread = {
      buffer: READ_BUFFER,
      callback: (bytes: number, buffer: Uint8Array) => {
        // Bytes nobody asked for (between exchanges): the framing cannot be trusted any more.
        if (this.listener) this.listener.data(Buffer.from(buffer.subarray(0, bytes)));
        else socket.destroy();
        return true;
      },
    };
    // TLS checks the certificate as Node's https does (its CAs, NODE_EXTRA_CA_CERTS, the host's
    // name) and trusts the system's CAs too where Node can read them (a team's server is often
    // signed by a company CA the OS trusts); the name goes out as SNI, which may not be an address
    // (RFC 6066). (tls.connect takes onread as net.connect does — Node's documentation says so —
    // but the typings of ConnectionOptions leave it out.)
    const tlsOptions: tls.ConnectionOptions & { onread: net.OnReadOpts } = { ...address, servername: net.isIP(address.host) ? undefined : address.host, ca: trustedCas(), onread };
    const socket = (this.socket = secure ? tls.connect(tlsOptions) : net.connect({ ...address, onread }));
    socket.setNoDelay(true);
    let error: NodeJS.ErrnoException | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err));
    socket.on('close', () => {
      this.onGone?.();
      this.listener?.gone(error);
    });
    socket.on('timeout', () => socket.destroy());
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Starts an exchange: writes `head`, and hands what comes back to `listener` until `release`. */
  begin(head: Buffer, listener: ExchangeListener): void {
    this.busy = true;
    this.listener = listener;
    this.socket.setTimeout(0);
    this.socket.ref();
    this.socket.write(head);
  }

  /** The exchange is over: idle for the next one, or closed. */
  release(reusable: boolean): void {
    this.busy = false;
    this.listener = undefined;
    if (reusable && !this.oneOff && !this.socket.destroyed) {
      this.socket.setTimeout(this.idleMs);
      // An idle connection keeps no process alive (as Node's agent lets its free sockets go).
      this.socket.unref();
    } else this.destroy();
  }

  /** Closes the socket; an exchange on it ends at once (closed by us: not to be asked again elsewhere). */
  destroy(): void {
    const listener = this.listener;
    this.listener = undefined;
    this.socket.destroy();
    listener?.cancelled();
  }
}

/** What a socket tells the exchange on it. */
interface ExchangeListener {
  data(chunk: Buffer): void;
  /** The socket closed (the server closed it, or it failed). */
  gone(err?: NodeJS.ErrnoException): void;
  /** We closed it (the connection was closed while the exchange was under way). */
  cancelled(): void;
}

/** One request and its answer on `socket` (see request()); rejects with a RequestError or a StaleSocket. */
function exchangeOn(socket: KeptSocket, url: URL, options: RequestOptions, label: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const parser = new ResponseParser();
    const body = new BodyCollector(options, label);
    let received = false;
    let settled = false;
    const finish = (err: RequestError | StaleSocket | undefined, reusable = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.release(reusable && !err);
      if (err) return reject(err);
      const head = parser.head!;
      resolve({ status: head.status, body: body.result(), contentType: head.contentType, contentEncoding: head.contentEncoding, truncated: body.truncated });
    };
    const timer = setTimeout(() => finish(new RequestError('timeout', `${label} did not answer within ${formatDuration(options.timeoutMs)}.`)), options.timeoutMs);
    socket.begin(requestHead(options.method ?? 'GET', url, options.headers), {
      data(chunk) {
        received = true;
        let enough = false;
        try {
          parser.feed(chunk, (piece) => (enough = body.add(piece) !== 'more'));
        } catch (err) {
          if (err instanceof RequestError) return finish(err);
          if (err instanceof HttpParseError) return finish(new RequestError('broken', `${label} ${err.message}.`));
          // A consumer's own failure: this answer is over, and nothing may escape a socket callback.
          return finish(new RequestError('broken', `Reading the answer of ${label} failed: ${(err as Error).message}`));
        }
        // Reused only after an answer read to its end, that allowed it, with nothing after it.
        const reusable = parser.complete && parser.head!.keepAlive && parser.extra === 0;
        if (enough || parser.complete) finish(undefined, reusable && !body.truncated);
      },
      cancelled() {
        finish(new RequestError('broken', `The request to ${url.host} was cancelled: its connection was closed.`));
      },
      gone(err) {
        if (parser.head && parser.endsAtClose && !err) return finish(undefined);
        const failure = err ? describeError(err, url, label) : received ? new RequestError('broken', `${label} closed the connection before the end of its answer.`) : new RequestError('broken', `${url.host} closed the connection without answering.`);
        finish(received ? failure : new StaleSocket(failure));
      },
    });
  });
}

/**
 * The body of an answer as it comes: kept (bounded by maxBytes, or only its tail) or handed chunk
 * by chunk to the caller's consumer. `add` says whether to go on.
 */
class BodyCollector {
  private chunks: Buffer[] = [];
  private size = 0;
  private kept = 0;
  truncated = false;

  constructor(
    private readonly options: RequestOptions,
    private readonly label: string,
  ) {}

  /** 'more'; 'enough' (the consumer has what it needs); 'truncated' (maxBytes reached, overflow 'truncate'). Throws a RequestError past maxBytes. */
  add(chunk: Buffer): 'more' | 'enough' | 'truncated' {
    const { options } = this;
    if (this.size + chunk.length > options.maxBytes) {
      if (options.overflow !== 'truncate') throw new RequestError('too-large', `${this.label} answered more than ${formatBytes(options.maxBytes)}.`);
      chunk = chunk.subarray(0, options.maxBytes - this.size);
      this.truncated = true;
    }
    this.size += chunk.length;
    if (options.consume) {
      if (options.consume(chunk)) return 'enough';
    } else {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      if (options.keepTail && this.kept > options.keepTail * 2) {
        // Drop what is older than the tail we need: memory stays bounded by 2 × keepTail.
        const tail = Buffer.concat(this.chunks).subarray(-options.keepTail);
        this.chunks = [tail];
        this.kept = tail.length;
      }
    }
    return this.truncated ? 'truncated' : 'more';
  }

  /** The body kept (empty when a consumer read it). */
  result(): Buffer {
    const body = Buffer.concat(this.chunks);
    return this.options.keepTail && body.length > this.options.keepTail ? body.subarray(-this.options.keepTail) : body;
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

let cas: string[] | undefined | null = null;

/**
 * Node's default CAs and the system's (Node ≥ 22.15 and 23.8 read the system's store:
 * tls.getCACertificates; before that, undefined: Node's own list as always). Read once.
 */
function trustedCas(): string[] | undefined {
  if (cas !== null) return cas;
  const get = (tls as { getCACertificates?: (type: 'default' | 'system') => string[] }).getCACertificates;
  try {
    cas = get ? [...new Set([...get('default'), ...get('system')])] : undefined;
  } catch {
    cas = undefined;
  }
  return cas;
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
  const lookup = mayLeaveLoopback ? undefined : loopbackOnlyLookup;
  if (options.connection) return options.connection.exchange(url, options, label, lookup);
  // A socket of its own, closed after this one exchange.
  const socket = openSocket(url, lookup, 0);
  socket.oneOff = true;
  return exchangeOn(socket, url, options, label).catch((err: unknown) => {
    throw err instanceof StaleSocket ? err.error : err;
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
    default:
      if (/certificate|self.signed|SSL|TLS/i.test(`${err.code ?? ''} ${err.message}`)) {
        return new RequestError('refused', `${label}: the TLS certificate was not accepted (${err.message}).`);
      }
      return new RequestError('broken', `The request to ${url.host} failed: ${err.message}`);
  }
}
