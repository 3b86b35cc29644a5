/**
 * The two ways Go figures are fetched: an HTTP GET (agent, expvar, pprof) and a gops command over
 * TCP. Loopback only, short timeouts, bounded reads — a target that misbehaves cannot make us
 * wait or buffer without limit.
 */
import * as http from 'http';
import * as net from 'net';
import { loopbackOnlyLookup } from '../release/httpHook';

export interface FetchOptions {
  readonly timeoutMs: number;
  /** Reading stops (and fails) beyond this many bytes. */
  readonly maxBytes: number;
  /** Keep only the last this-many bytes (pprof: the MemStats block ends a long profile). */
  readonly keepTail?: number;
}

export interface FetchResult {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/** GET `url` on loopback. Rejects on network errors, timeouts and oversized bodies. */
export function httpGet(url: URL, options: FetchOptions): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error, result?: FetchResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(result!);
    };
    const req = http.get(url, { agent: false, lookup: loopbackOnlyLookup, headers: { 'user-agent': 'memory-watch', accept: '*/*' } }, (res) => {
      let chunks: Buffer[] = [];
      let size = 0;
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          finish(new Error(`answer larger than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
        if (options.keepTail && kept > options.keepTail * 2) {
          // Drop what is older than the tail we need: memory stays bounded by 2 × keepTail.
          const tail = Buffer.concat(chunks).subarray(-options.keepTail);
          chunks = [tail];
          kept = tail.length;
        }
      });
      res.on('end', () => {
        let body = Buffer.concat(chunks);
        if (options.keepTail && body.length > options.keepTail) body = body.subarray(-options.keepTail);
        finish(undefined, { status: res.statusCode ?? 0, body: body.toString('utf8'), contentType: res.headers['content-type'] });
      });
      res.on('error', (err) => finish(err));
    });
    const timer = setTimeout(() => finish(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('error', (err) => finish(err));
  });
}

/** gops protocol: connect, write one command byte, read the answer to EOF. */
export function gopsCommand(port: number, command: number, timeoutMs = 1000, maxBytes = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => finish(new Error(`gops did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.from([command])));
    socket.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBytes) return finish(new Error('gops answer too large'));
      chunks.push(chunk);
    });
    socket.on('end', () => finish());
    socket.on('error', (err) => finish(err));
  });
}
