/**
 * Finds where a watched Go program exposes its runtime figures, with no configuration:
 *   1. memoryWatch.metricsUrl, when set;
 *   2. our agent's port file, then gops' port file (named by PID) — each port checked to be one
 *      the target itself listens on;
 *   3. the target's own loopback listeners, asked in turn for the agent's snapshot, expvar's
 *      /debug/vars, and net/http/pprof's heap profile (GET only, short timeouts).
 * Nothing else is contacted: no port scan, no other process's port, no other host.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkHookUrl } from '../release/httpHook';
import { readProcStatus } from '../sampling/procfs';
import { gopsCommand, httpGet } from './fetch';
import { GoFigures } from './figures';
import { listListeners, Listener, loopbackHost } from './listeners';
import { parseAgentSnapshot, parseExpvar, parseGopsMemStats, parsePprofMemStats } from './parsers';
import { AGENT_PREFIX, agentSource, expvarSource, GoSource, GOPS_MEMSTATS, gopsSource, pprofSource } from './sources';

export interface DiscoveryOptions {
  /** memoryWatch.metricsUrl ('' = discover). */
  readonly overrideUrl: string;
  readonly allowedHosts: readonly string[];
}

export interface Discovery {
  readonly source?: GoSource;
  /** The first figures read (discovery reads once to be sure). */
  readonly figures?: GoFigures;
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
      const raw = await fsp.readFile(`/proc/${pid}/environ`, 'utf8');
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
  const passwd = await fsp.readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (Number(f[2]) === uid) return f[5];
  }
  return undefined;
}

async function readSmall(file: string): Promise<string | undefined> {
  try {
    const handle = await fsp.open(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.toString('utf8', 0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/** The set of listeners as one string, to notice when it changes. */
export function listenerKey(listeners: readonly Listener[]): string {
  return listeners
    .map((l) => `${l.address}:${l.port}`)
    .sort()
    .join(',');
}

export async function discover(pid: number, options: DiscoveryOptions): Promise<Discovery> {
  const contacted: string[] = [];
  const listening = await listListeners(pid);
  const listeners = listening.ok ? listening.listeners : [];
  const key = listenerKey(listeners);
  const ownsPort = (port: number) => !listening.ok || listeners.some((l) => l.port === port);

  /** One GET; the discovery when it answers with figures; `silent` when it does not speak HTTP. */
  const probe = async (source: GoSource, probeUrl: URL, parse: (body: string) => GoFigures | undefined, keepTail?: number): Promise<{ found?: Discovery; silent?: boolean }> => {
    contacted.push(probeUrl.href);
    try {
      const r = await httpGet(probeUrl, { timeoutMs: PROBE_TIMEOUT_MS, maxBytes: 32 * 1024 * 1024, keepTail });
      const figures = r.status === 200 ? parse(r.body) : undefined;
      return { found: figures ? { source, figures, contacted, listenerKey: key } : undefined };
    } catch {
      return { silent: true };
    }
  };
  const tryHttp = async (...args: Parameters<typeof probe>) => (await probe(...args)).found;
  const agentParse = (body: string) => {
    const s = parseAgentSnapshot(body);
    return s && s.pid === pid ? s.figures : undefined;
  };

  // 1. The user's URL.
  if (options.overrideUrl.trim()) {
    const check = checkHookUrl(options.overrideUrl, options.allowedHosts);
    if (!check.ok) return { reason: check.message.replace('FreeOSMemory hook URL', 'metrics URL'), contacted, listenerKey: key };
    const url = check.url;
    const base = new URL(url.origin);
    const found =
      (url.pathname.startsWith(AGENT_PREFIX) && (await tryHttp(agentSource(base, pid), new URL(`${AGENT_PREFIX}snapshot`, base), agentParse))) ||
      (url.pathname.startsWith('/debug/pprof') && (await tryHttp(pprofSource(base), new URL('/debug/pprof/heap?debug=1', base), parsePprofMemStats, 64 * 1024))) ||
      (await tryHttp(expvarSource(base), new URL('/debug/vars', base), parseExpvar));
    return found || { reason: `memoryWatch.metricsUrl (${url.href}) gave no Go memory figures`, contacted, listenerKey: key };
  }

  // 2. Port files named by PID.
  for (const dir of await portFileDirs(pid, 'agent')) {
    const text = await readSmall(path.join(dir, `${pid}.json`));
    if (!text) continue;
    try {
      const file = JSON.parse(text) as { pid?: number; addr?: string; prefix?: string };
      const m = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):(\d+)$/.exec(file.addr ?? '');
      if (file.pid !== pid || !m || !ownsPort(Number(m[2]))) continue;
      const base = new URL(`http://${m[1]}:${m[2]}`);
      const found = await tryHttp(agentSource(base, pid), new URL(`${AGENT_PREFIX}snapshot`, base), agentParse);
      if (found) return found;
    } catch {
      // Not a port file of ours.
    }
  }
  for (const dir of await portFileDirs(pid, 'gops')) {
    const port = Number((await readSmall(path.join(dir, String(pid))))?.trim());
    if (!Number.isSafeInteger(port) || port <= 0 || port > 65535 || !ownsPort(port)) continue;
    contacted.push(`gops 127.0.0.1:${port}`);
    try {
      const figures = parseGopsMemStats(await gopsCommand(port, GOPS_MEMSTATS, PROBE_TIMEOUT_MS));
      if (figures) return { source: gopsSource(port), figures, contacted, listenerKey: key };
    } catch {
      // gops not answering: try the listeners.
    }
  }

  // 3. The target's own loopback listeners.
  if (!listening.ok) return { reason: `cannot find the ports it listens on: ${listening.reason}`, contacted, listenerKey: key };
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
  const kinds: [(b: URL) => GoSource, (b: URL) => URL, (body: string) => GoFigures | undefined, number?][] = [
    [(b) => agentSource(b, pid), (b) => new URL(`${AGENT_PREFIX}snapshot`, b), agentParse],
    [expvarSource, (b) => new URL('/debug/vars', b), parseExpvar],
    [pprofSource, (b) => new URL('/debug/pprof/heap?debug=1', b), parsePprofMemStats, 64 * 1024],
  ];
  for (const [make, urlFor, parse, tail] of kinds) {
    for (const base of ports) {
      if (silent.has(base.host)) continue;
      const result = await probe(make(base), urlFor(base), parse, tail);
      if (result.found) return result.found;
      if (result.silent) silent.add(base.host);
    }
  }
  return {
    reason: 'it exposes no Go memory figures (no agent, expvar, net/http/pprof or gops)',
    contacted,
    listenerKey: key,
  };
}
