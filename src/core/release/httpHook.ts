/**
 * The HTTP way to make the target call debug.FreeOSMemory(): a POST to a handler in the program.
 * Requests go only to loopback unless the user (not the workspace) allowed the host; the body read
 * is bounded; nothing takes longer than the timeout.
 */
import * as dns from 'dns';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';

export const HOOK_TIMEOUT_MS = 2000;
/** How much of an answer we keep (to show its start, or parse a small JSON report). */
const MAX_BODY_BYTES = 64 * 1024;

/** True for names and addresses that can only mean this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isLoopbackAddress(host);
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) {
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    return mapped !== null && mapped[1].startsWith('127.');
  }
  return false;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** Validates a hook URL against the loopback rule and the user's allowed hosts. */
export function checkHookUrl(raw: string, allowedHosts: readonly string[]): UrlCheck {
  const text = raw.trim();
  if (!text) {
    return { ok: false, message: 'No FreeOSMemory hook URL is set (memoryWatch.freeOSMemory.url).' };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `The FreeOSMemory hook URL "${text}" is not a valid URL.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `The FreeOSMemory hook URL must be http:// or https://, not ${url.protocol}//.` };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'The FreeOSMemory hook URL must not contain credentials.' };
  }
  if (!isLoopbackHost(url.hostname) && !hostAllowed(url.hostname, allowedHosts)) {
    return {
      ok: false,
      message:
        `Refusing to send a request to ${url.hostname}: only loopback hosts are allowed. ` +
        `To allow it, add it to memoryWatch.freeOSMemory.allowedHosts in your user settings.`,
    };
  }
  return { ok: true, url };
}

function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return allowedHosts.some((h) => h.trim().replace(/^\[|\]$/g, '').toLowerCase() === host);
}

export interface HookAnswer {
  readonly status: number;
  /** The start of the body (at most MAX_BODY_BYTES), as text. */
  readonly body: string;
  readonly contentType?: string;
}

/**
 * POSTs to the hook. Resolves with any HTTP answer (the caller judges the status); rejects with a
 * readable Error on timeout, refusal or a name that does not resolve to where it may go.
 */
export function postHook(url: URL, allowedHosts: readonly string[], timeoutMs = HOOK_TIMEOUT_MS): Promise<HookAnswer> {
  const check = checkHookUrl(url.href, allowedHosts);
  if (!check.ok) return Promise.reject(new Error(check.message));
  const mayLeaveLoopback = hostAllowed(url.hostname, allowedHosts);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: HookAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(answer!);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-length': '0', 'user-agent': 'memory-watch', accept: 'application/json, text/plain;q=0.9, */*;q=0.5' },
        agent: false,
        // "localhost" (or any name) must resolve to loopback unless the user allowed the host.
        lookup: mayLeaveLoopback ? undefined : loopbackOnlyLookup,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
          size += chunk.length;
          // Enough to show and parse: stop reading a body that does not end.
          if (size >= MAX_BODY_BYTES) res.destroy();
        });
        const done = () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: res.headers['content-type'],
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', (err) => finish(new Error(`The hook's answer broke off: ${err.message}`)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`The FreeOSMemory hook at ${url.origin}${url.pathname} did not answer within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(new Error(describeRequestError(err, url))));
    req.end();
  });
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

function describeRequestError(err: NodeJS.ErrnoException, url: URL): string {
  const where = `${url.host}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `Nothing is listening at ${where} (connection refused). Is the program running, and is the hook URL's port right?`;
    case 'ENOTLOOPBACK':
      return `Refusing to send the request: ${err.message}.`;
    case 'ENOTFOUND':
      return `The host ${url.hostname} could not be resolved.`;
    case 'ECONNRESET':
      return `${where} closed the connection without answering.`;
    default:
      return `The request to ${where} failed: ${err.message}`;
  }
}
