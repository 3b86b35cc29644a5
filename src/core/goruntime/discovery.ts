/**
 * Finds where a watched Go program exposes its runtime figures, with no configuration:
 *   1. memoryWatch.metricsUrl, when set;
 *   2. our agent's port file, then gops' port file (named by PID) — each port checked to be one
 *      the target itself listens on;
 *   3. the target's own loopback listeners, asked in turn for each kind of sources/ (HTTP_SOURCES:
 *      the agent's snapshot, Prometheus /metrics, expvar's /debug/vars, net/http/pprof's heap
 *      profile; GET only, short timeouts).
 * Nothing else is contacted: no port scan, no other process's port, no other host.
 */
import { promises as fsp } from 'fs';
import os = require('os');
import path = require('path');
import { checkUrl, METRICS_URL } from '../net/urlPolicy';
import { readProcStatus } from '../sampling/procfs';
import { isPort } from '../util/counts';
import { readSmallFile } from '../util/boundedFile';
import { GoFigures } from './figures';
import { listListeners, Listener, loopbackHost } from './listeners';
import { AGENT_PREFIX, agentSource, gopsSource, GoSource, HTTP_SOURCES, SourceError } from './sources';

export interface DiscoveryOptions {
  /** memoryWatch.metricsUrl ('' = discover). */
  readonly overrideUrl: string;
  readonly allowedHosts: readonly string[];
}

export interface Discovery {
  readonly source?: GoSource;
  /** The first figures read (discovery reads once to be sure). */
  readonly figures?: GoFigures;
  /** What that first read refused (figures that were not sizes). */
  readonly problems?: readonly string[];
  /** Why nothing was found, for the panel. */
  readonly reason?: string;
  /** Every URL or port contacted, in order (for the log and the tests). */
  readonly contacted: string[];
  /** The listeners seen (to notice later when they change). */
  readonly listenerKey: string;
}

const PROBE_TIMEOUT_MS = 800;
/** More than this many listeners: probe the first ones only (a server with hundreds is not the norm). */
const MAX_PORTS = 8;

function configDirs(home: string, env: Record<string, string | undefined>, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return env.APPDATA ? [env.APPDATA] : [];
  if (platform === 'darwin') return [path.join(home, 'Library', 'Application Support')];
  return [env.XDG_CONFIG_HOME || path.join(home, '.config')];
}

/**
 * Where the target's port files may be: our own config dir, and — on Linux — the target's, from
 * its user's home and the few variables of its environment that move them (nothing else of its
 * environment is read or kept: it may hold secrets).
 */
async function portFileDirs(pid: number, sub: 'agent' | 'gops'): Promise<string[]> {
  const dirs: string[] = [];
  const add = (env: Record<string, string | undefined>, home: string) => {
    if (sub === 'agent' && env.MEMORYWATCH_AGENT_DIR) dirs.push(env.MEMORYWATCH_AGENT_DIR);
    if (sub === 'gops' && env.GOPS_CONFIG_DIR) dirs.push(env.GOPS_CONFIG_DIR);
    for (const c of configDirs(home, env, process.platform)) dirs.push(sub === 'agent' ? path.join(c, 'memorywatch', 'agents') : path.join(c, 'gops'));
  };
  add(process.env, os.homedir());
  if (process.platform === 'linux') {
    const theirs: Record<string, string> = {};
    try {
      // Bounded: an environment may be large, and only four names in it matter.
    const raw = await readProcText(`/proc/${pid}/environ`, 256 * 1024);
      for (const entry of raw.split('\0')) {
        const eq = entry.indexOf('=');
        const key = entry.slice(0, eq);
        if (['HOME', 'XDG_CONFIG_HOME', 'MEMORYWATCH_AGENT_DIR', 'GOPS_CONFIG_DIR'].includes(key)) theirs[key] = entry.slice(eq + 1);
      }
    } catch {
      // Another user's process: its environment is not ours to read.
    }
    let home: string | undefined = theirs.HOME;
    if (!home) home = await homeOfUid(readProcStatus(pid).uid).catch(() => undefined);
    if (home) add(theirs, home);
  }
  return [...new Set(dirs)];
}

async function homeOfUid(uid: number | undefined): Promise<string | undefined> {
  if (uid === undefined) return undefined;
  const passwd = await readSmallFile('/etc/passwd', 4 * 1024 * 1024);
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (Number(f[2]) === uid) return f[5];
  }
  return undefined;
}

/** A port file's text; undefined when missing, not a regular file (a FIFO must not hang us) or too big. */
async function readPortFile(file: string): Promise<string | undefined> {
  return readSmallFile(file, 4096).catch(() => undefined);
}

/** The set of listeners as one string, to notice when it changes. */
export function listenerKey(listeners: readonly Listener[]): string {
  return listeners
    .map((l) => `${l.address}:${l.port}`)
    .sort()
    .join(',');
}

/** /proc files report size 0: read them to their end, but never beyond `maxBytes`. */
async function readProcText(file: string, maxBytes: number): Promise<string> {
  const handle = await fsp.open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, maxBytes - total, total);
      if (bytesRead === 0 || total + bytesRead >= maxBytes) return buffer.toString('utf8', 0, total + bytesRead);
      total += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

export async function discover(pid: number, options: DiscoveryOptions): Promise<Discovery> {
  const contacted: string[] = [];
  const listening = await listListeners(pid);
  const listeners = listening.ok ? listening.listeners : [];
  const key = listenerKey(listeners);
  /**
   * Only a port the target itself listens on may be asked. When its listeners cannot be read
   * (another user's process, another network namespace) nothing proves a port is its own — a port
   * file could then send us to another process's port — so no port is asked at all.
   */
  const ownsPort = (port: number) => listening.ok && listeners.some((l) => l.port === port);
  const notProven: string[] = [];

  /** One read through the source; the discovery when it answers with figures; `silent` when nothing there speaks HTTP. */
  const probe = async (source: GoSource, contact: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ found?: Discovery; silent?: boolean }> => {
    contacted.push(contact);
    try {
      const { figures, problems } = await source.read(timeoutMs);
      return { found: { source, figures, problems, contacted, listenerKey: key } };
    } catch (err) {
      source.close?.();
      return { silent: err instanceof SourceError && err.silent };
    }
  };
  const tryHttp = async (source: GoSource, url: URL, timeoutMs?: number) => (await probe(source, url.href, timeoutMs)).found;

  // 1. The user's URL.
  if (options.overrideUrl.trim()) {
    const check = checkUrl(options.overrideUrl, options.allowedHosts, METRICS_URL);
    if (!check.ok) return { reason: check.message, contacted, listenerKey: key };
    const url = check.url;
    // The kind its path names (an agent's prefix, /metrics, /debug/vars, /debug/pprof/…); a bare origin: each kind in turn.
    const claimed = HTTP_SOURCES.filter((k) => k.claims(url.pathname));
    for (const kind of claimed.length ? claimed : HTTP_SOURCES) {
      const source = kind.at(claimed.length ? url : new URL(url.origin), pid);
      const found = await tryHttp(source, claimed.length && kind.kind === 'prometheus' ? url : kind.probeUrl(new URL(url.origin)), kind.probeTimeoutMs);
      if (found) return found;
    }
    return { reason: `memoryWatch.metricsUrl (${url.href}) gave no Go memory figures`, contacted, listenerKey: key };
  }

  // 2. Port files named by PID.
  for (const dir of await portFileDirs(pid, 'agent')) {
    const text = await readPortFile(path.join(dir, `${pid}.json`));
    if (!text) continue;
    let file: { pid?: unknown; addr?: unknown };
    try {
      file = JSON.parse(text) as { pid?: unknown; addr?: unknown };
    } catch {
      continue; // Not a port file of ours.
    }
    const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})$/.exec(typeof file.addr === 'string' ? file.addr : '');
    const port = m ? Number(m[2]) : NaN;
    if (file.pid !== pid || !m || !isPort(port)) continue;
    if (!ownsPort(port)) {
      notProven.push(`agent port file ${port}`);
      continue;
    }
    const base = new URL(`http://${m[1]}:${port}`);
    const found = await tryHttp(agentSource(base, pid), new URL(`${AGENT_PREFIX}snapshot`, base));
    if (found) return found;
  }
  for (const dir of await portFileDirs(pid, 'gops')) {
    const text = (await readPortFile(path.join(dir, String(pid))))?.trim() ?? '';
    const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!isPort(port)) continue;
    if (!ownsPort(port)) {
      notProven.push(`gops port file ${port}`);
      continue;
    }
    const found = (await probe(gopsSource(port), `gops 127.0.0.1:${port}`)).found;
    if (found) return found;
  }

  // 3. The target's own loopback listeners.
  if (!listening.ok) {
    const skipped = notProven.length ? ` (not asked, since no port can be proven to be its own: ${notProven.join(', ')})` : '';
    return { reason: `cannot find the ports it listens on: ${listening.reason}${skipped}`, contacted, listenerKey: key };
  }
  const bases: URL[] = [];
  for (const l of listeners) {
    const host = loopbackHost(l);
    if (host && !bases.some((b) => b.port === String(l.port))) bases.push(new URL(`http://${host}:${l.port}`));
  }
  const ports = bases.slice(0, MAX_PORTS);
  if (ports.length === 0) {
    return { reason: listeners.length ? 'it listens on no loopback port' : 'it listens on no TCP port', contacted, listenerKey: key };
  }
  const silent = new Set<string>(); // ports that do not speak HTTP: not asked again
  for (const kind of HTTP_SOURCES) {
    for (const base of ports) {
      if (silent.has(base.host)) continue;
      const result = await probe(kind.at(base, pid), kind.probeUrl(base).href, kind.probeTimeoutMs);
      if (result.found) return result.found;
      if (result.silent) silent.add(base.host);
    }
  }
  return {
    reason: 'it exposes no Go memory figures (no agent, Prometheus /metrics, expvar, net/http/pprof or gops)',
    contacted,
    listenerKey: key,
  };
}

