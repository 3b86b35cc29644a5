/**
 * Where Memory Watch may send a request: loopback, unless the user (user settings, never a
 * workspace) allowed the host. One policy for every URL we are given — the FreeOSMemory hook, the
 * metrics URL, a watched URL — so that each is judged, and worded, the same way.
 */
import net = require('net');

/** 127.0.0.0/8 and ::1. Node's BlockList also matches IPv4-mapped IPv6 forms (::ffff:127.0.0.1, ::ffff:7f00:1). */
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an IP address (v4 or v6, any spelling) that can only mean this machine. Names are not addresses. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  // The addresses asked every second (Go figures on loopback): BlockList's check costs more than a read's parse.
  if (a === '127.0.0.1' || a === '::1') return true;
  if (net.isIPv4(a)) return LOOPBACK.check(a, 'ipv4');
  if (net.isIPv6(a)) return LOOPBACK.check(a, 'ipv6');
  return false;
}

/** True for names and addresses that can only mean this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isLoopbackAddress(host);
}

/** True when the user listed this host (case-insensitive; IPv6 with or without brackets). */
export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return allowedHosts.some((h) => h.trim().replace(/^\[|\]$/g, '').toLowerCase() === host);
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** How a URL is named in messages, and the setting that holds it. */
export interface UrlRole {
  /** "FreeOSMemory hook URL", "metrics URL", … */
  readonly what: string;
  /** "memoryWatch.freeOSMemory.url" — said when the URL is missing. */
  readonly setting?: string;
}

export const HOOK_URL: UrlRole = { what: 'FreeOSMemory hook URL', setting: 'memoryWatch.freeOSMemory.url' };
export const METRICS_URL: UrlRole = { what: 'metrics URL', setting: 'memoryWatch.metricsUrl' };

/** Validates a URL against the loopback rule and the user's allowed hosts. */
export function checkUrl(raw: string, allowedHosts: readonly string[], role: UrlRole = HOOK_URL): UrlCheck {
  const text = raw.trim();
  if (!text) return { ok: false, message: `No ${role.what} is set${role.setting ? ` (${role.setting})` : ''}.` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `The ${role.what} "${text.slice(0, 200)}" is not a valid URL.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `The ${role.what} must be http:// or https://, not ${url.protocol}//.` };
  }
  if (url.username || url.password) return { ok: false, message: `The ${role.what} must not contain credentials.` };
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
