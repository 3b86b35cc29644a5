/**
 * Which TCP ports does the target itself listen on? Only those are ever probed for Go figures —
 * never a port scan, never another process's port. Linux: the target's socket inodes
 * (/proc/PID/fd → "socket:[inode]") matched against LISTEN entries of /proc/PID/net/tcp{,6}.
 * macOS: lsof. Windows: netstat -ano. A listener is probed through loopback only.
 */
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import { run } from '../sampling/exec';
import { isPort, parseCount } from '../util/counts';

export interface Listener {
  /** The address it is bound to, as the OS reports it ("127.0.0.1", "0.0.0.0", "::", "::1", …). */
  readonly address: string;
  readonly port: number;
}

/** How to reach a listener over loopback; undefined when it is bound to another interface only. */
export function loopbackHost(l: Listener): string | undefined {
  if (l.address === '0.0.0.0' || l.address.startsWith('127.')) return '127.0.0.1';
  if (l.address === '::' || l.address === '::1') return '[::1]';
  if (/^::ffff:127\./.test(l.address) || l.address === '::ffff:0.0.0.0') return '127.0.0.1';
  return undefined;
}

/** An IPv4 address as /proc/net/tcp writes it: 8 hex digits, in host byte order (little-endian here). */
function ipv4FromHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
}

/** An IPv6 address from /proc/net/tcp6: four 32-bit words, each in host byte order. */
function ipv6FromHex(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return `::ffff:${bytes.slice(12).join('.')}`;
  // Shorten the longest run of zero groups.
  const text = groups.join(':');
  const runs = text.match(/(^|:)0(:0)+(:|$)/g);
  if (!runs) return text;
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return text.replace(longest, '::');
}

/** A row of /proc/net/tcp{,6} whose state (the fourth field) is 0A, TCP_LISTEN: tested before a row is split. */
const LISTEN_ROW = /^\s*\S+\s+\S+\s+\S+\s+0A(?:\s|$)/;

/** One row of a /proc/net/tcp or tcp6 table when it is a listening socket: its inode and address. */
function listeningRow(line: string, v6: boolean): { inode: string; listener: Listener } | undefined {
  if (!LISTEN_ROW.test(line)) return undefined;
  const f = line.trim().split(/\s+/);
  if (f.length < 10) return undefined;
  // The kernel writes "ADDR:PORT" in hex, the port in four digits; anything else is not a listener.
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(f[1]);
  const port = m ? parseInt(m[2], 16) : NaN;
  if (!m || m[1].length !== (v6 ? 32 : 8) || !isPort(port)) return undefined;
  return { inode: f[9], listener: { address: v6 ? ipv6FromHex(m[1]) : ipv4FromHex(m[1]), port } };
}

/** LISTEN sockets in a /proc/net/tcp or tcp6 table whose inode is in `inodes`. */
export function parseProcNetTcp(table: string, inodes: ReadonlySet<string>, v6: boolean): Listener[] {
  const out: Listener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const row = listeningRow(line, v6);
    if (row && inodes.has(row.inode)) out.push(row.listener);
  }
  return out;
}

/** "n127.0.0.1:8080", "n*:8080", "n[::1]:8080" lines of `lsof -F n`. */
export function parseLsofListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const m = /^n(\*|\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(line.trim());
    const port = parseCount(m?.[2]);
    if (!m || !isPort(port)) continue;
    const host = m[1] === '*' ? '0.0.0.0' : m[1].replace(/^\[|\]$/g, '');
    out.push({ address: host, port });
  }
  return out;
}

/**
 * Windows: LISTENING rows of `netstat -ano -p TCP` / `-p TCPv6` owned by `pid`:
 * "  TCP    127.0.0.1:6060    0.0.0.0:0    LISTENING    4321" and "  TCP    [::1]:6060    [::]:0    LISTENING    4321".
 * The state column is localised on some Windows languages; a listener's foreign port is always 0.
 */
export function parseNetstatListeners(text: string, pid: number): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5 || f[0].toUpperCase() !== 'TCP' || f[4] !== String(pid) || !/:0$/.test(f[2])) continue;
    const m = /^(\[[^\]]+\]|[\d.]+):(\d{1,5})$/.exec(f[1]);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) continue;
    out.push({ address: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

export type ListenersResult = { ok: true; listeners: Listener[] } | { ok: false; reason: string };

/** The target's TCP listeners, or why they cannot be known. */
export async function listListeners(pid: number, platform = process.platform): Promise<ListenersResult> {
  if (platform === 'linux') return linuxListeners(pid);
  if (platform === 'darwin') {
    try {
      const r = await run('lsof', ['-nP', '-a', '-p', String(pid), '-iTCP', '-sTCP:LISTEN', '-Fn'], 3000);
      return { ok: true, listeners: parseLsofListeners(r.stdout) };
    } catch (err) {
      return { ok: false, reason: `lsof failed: ${(err as Error).message}` };
    }
  }
  if (platform === 'win32') {
    try {
      const [v4, v6] = await Promise.all(['TCP', 'TCPv6'].map((proto) => run('netstat', ['-ano', '-p', proto], 5000)));
      return { ok: true, listeners: [...parseNetstatListeners(v4.stdout, pid), ...parseNetstatListeners(v6.stdout, pid)] };
    } catch (err) {
      return { ok: false, reason: `netstat failed: ${(err as Error).message}` };
    }
  }
  return { ok: false, reason: 'finding the ports a process listens on is not supported on this OS; set memoryWatch.metricsUrl' };
}

/**
 * Bytes of a /proc/net/tcp table read (and parsed) per step. A busy server can hold 100k
 * connections: as many open files, and as many rows in its network namespace's table (≈ 150 bytes
 * each). Reading either whole and parsing it in one go held the extension host up for 160–300 ms
 * with 9,000 connections (test/integration/hostile.test.ts; the rule is 50 ms). Both are read in
 * bounded steps instead, a few ms each, with the event loop free in between.
 */
const TABLE_STEP_BYTES = 64 * 1024;
/**
 * The most of a table read: ≈ 450k sockets. The kernel lists the listening sockets before the
 * others (tcp_seq_start: the listening hash first), so what a cut leaves out are connections.
 */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;
/** Open files of the target looked up (readlink) per step. */
const FD_STEP = 128;

/**
 * The LISTEN rows of a /proc/net/tcp or tcp6 table, by socket inode, read in steps of
 * TABLE_STEP_BYTES (a partial last line carried to the next step) up to MAX_TABLE_BYTES.
 */
export async function listeningRows(file: string, v6: boolean): Promise<Map<string, Listener>> {
  const rows = new Map<string, Listener>();
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch {
    return rows;
  }
  try {
    const buffer = Buffer.alloc(TABLE_STEP_BYTES);
    let carried = '';
    let header = true;
    let ended = false;
    for (let total = 0; total < MAX_TABLE_BYTES; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        ended = true;
        break;
      }
      total += bytesRead;
      const lines = (carried + buffer.toString('latin1', 0, bytesRead)).split('\n');
      carried = lines.pop() ?? '';
      for (const line of lines) {
        if (header) {
          header = false;
          continue;
        }
        const row = listeningRow(line, v6);
        if (row) rows.set(row.inode, row.listener);
      }
    }
    // A last line without its newline is whole only at the end of the table, not where the cap cut it.
    const row = header || !ended ? undefined : listeningRow(carried, v6);
    if (row) rows.set(row.inode, row.listener);
  } catch {
    // A table that stops being readable (the namespace went away): what was read stands.
  } finally {
    await handle.close().catch(() => undefined);
  }
  return rows;
}

/**
 * The socket inodes among `wanted` that process `pid` holds open, looked up FD_STEP open files at a
 * time (opendir, not readdir: a million names are not read in one go either); stops once all are found.
 */
async function ownedSockets(pid: number, wanted: ReadonlySet<string>): Promise<Set<string>> {
  const owned = new Set<string>();
  // Opened even when nothing is wanted: a process whose files cannot be read says so, as before.
  const dir = await fsp.opendir(`/proc/${pid}/fd`, { bufferSize: FD_STEP });
  try {
    if (wanted.size === 0) return owned;
    let batch: string[] = [];
    const lookUp = async () => {
      const links = await Promise.all(batch.map((fd) => fsp.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
      batch = [];
      for (const link of links) {
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && wanted.has(m[1])) owned.add(m[1]);
      }
    };
    for await (const entry of dir) {
      batch.push(entry.name);
      if (batch.length < FD_STEP) continue;
      await lookUp();
      if (owned.size === wanted.size) return owned;
    }
    if (batch.length) await lookUp();
    return owned;
  } finally {
    // Leaving the loop early leaves the directory open: close it (twice is refused, harmlessly).
    await dir.close().catch(() => undefined);
  }
}

async function linuxListeners(pid: number): Promise<ListenersResult> {
  // A process in another network namespace (a container) has its own loopback: ours does not reach it.
  try {
    const [ours, theirs] = await Promise.all([fsp.readlink('/proc/self/ns/net'), fsp.readlink(`/proc/${pid}/ns/net`)]);
    if (ours !== theirs) return { ok: false, reason: 'it runs in another network namespace (a container?), whose loopback is not ours; set memoryWatch.metricsUrl' };
  } catch (err) {
    return { ok: false, reason: `cannot see its network namespace (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  // The namespace's listening sockets first: then only those are looked for among the program's open files.
  const [v4, v6] = await Promise.all([listeningRows(`/proc/${pid}/net/tcp`, false), listeningRows(`/proc/${pid}/net/tcp6`, true)]);
  let owned: Set<string>;
  try {
    owned = await ownedSockets(pid, new Set([...v4.keys(), ...v6.keys()]));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'EACCES' || code === 'EPERM' ? 'its open files cannot be read (another user\'s process)' : `cannot read its open files (${code})` };
  }
  const listeners = [...v4, ...v6].filter(([inode]) => owned.has(inode)).map(([, listener]) => listener);
  return { ok: true, listeners };
}
