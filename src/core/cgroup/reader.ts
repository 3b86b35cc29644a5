/**
 * Linux: the memory cgroup a process is charged to — the numbers the kernel's OOM killer and a
 * container's limit act on, which a process's RSS does not show (page cache and kernel memory count,
 * and the limit often sits on a parent cgroup). Like the /proc reader, the files are opened once and
 * re-read from offset 0 each sample (one pread each, µs). They are bound to the cgroup's directory,
 * not to the process: the figures stay readable after the process dies (an OOM kill is counted
 * there), and reads fail once the cgroup itself is removed.
 */
import fs = require('fs');
import path = require('path');
import { KeptOpenFile, readKernelFile } from '../util/boundedFile';
import {
  CgroupMembership,
  inactiveFileFromStat,
  LimitValue,
  memoryMembership,
  MountInfo,
  oomKillsFromEvents,
  parseByteCount,
  parseLimit,
  parseMountInfo,
  parseProcCgroup,
  segmentsBelow,
} from './parsers';

/** One reading of a process's memory cgroup. Bytes. */
export interface CgroupFigures {
  readonly version: 1 | 2;
  /** The cgroup's path as /proc/PID/cgroup names it. */
  readonly path: string;
  /** Bytes charged to the cgroup now (v2 memory.current, v1 memory.usage_in_bytes). */
  readonly usage: number;
  /** The lowest limit from this cgroup up to the root; undefined = no limit anywhere. */
  readonly limit?: number;
  /** The cgroup whose limit that is (a container's limit often sits on a parent). */
  readonly limitPath?: string;
  /** v2 memory.high (throttling point) when set — the lowest from this cgroup up, like the limit. */
  readonly high?: number;
  readonly inactiveFile?: number;
  /** usage − inactive file, ≥ 0: what kubectl top and the kubelet's eviction use. */
  readonly workingSet: number;
  /** High-water mark (v2 memory.peak, kernel ≥ 5.19; v1 memory.max_usage_in_bytes). */
  readonly peak?: number;
  /** Processes killed by the OOM killer in this cgroup since it was created. */
  readonly oomKills?: number;
}

/** Reads one memory cgroup through kept-open files; one per watch. */
export interface CgroupReader {
  readonly version: 1 | 2;
  /** The cgroup's path as /proc/PID/cgroup named it when the reader was opened. */
  readonly path: string;
  /**
   * One reading, synchronously (a few preads). Throws an Error saying so when the cgroup's usage
   * can no longer be read (the cgroup was removed) or the reader is closed; other files that fail
   * leave their fields undefined.
   */
  read(): CgroupFigures;
  /** Releases the file descriptors. Safe to call twice. */
  close(): void;
}

/** The outcome of opening a reader: the reader, or why there is none, in words for a person. */
export type CgroupOpen = { ok: true; reader: CgroupReader } | { ok: false; reason: string };

/**
 * Where to read from. Tests point these into recorded trees; in use both stay at their defaults.
 * Mount points from mountinfo are taken relative to `fsRoot`.
 */
export interface CgroupRoots {
  /** Default "/proc". The mountinfo read is the reader's own: <procRoot>/self/mountinfo. */
  readonly procRoot?: string;
  /** Default "/". */
  readonly fsRoot?: string;
}

// Buffer sizes bound what a read may return; a file that fills its buffer is treated as unreadable.
const NUMBER_FILE_BYTES = 64;
const KEYED_FILE_BYTES = 16 * 1024;
const PROC_CGROUP_BYTES = 64 * 1024;
/** Hosts with thousands of container mounts reach a few hundred KiB; anything past this is refused. */
const MOUNTINFO_BYTES = 4 * 1024 * 1024;

/** The value of a read that may fail, or undefined: for figures that are optional. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** A limit file at one level of the walk from the cgroup up to the mount root. */
interface LimitFile {
  readonly cgroupPath: string;
  readonly file: KeptOpenFile;
}

/** The lowest limit among `files`, and where it is; the deepest cgroup wins a tie. */
function lowestLimit(files: readonly LimitFile[]): { bytes: number; cgroupPath: string } | undefined {
  let lowest: { bytes: number; cgroupPath: string } | undefined;
  for (const { cgroupPath, file } of files) {
    const value: LimitValue | undefined = attempt(() => parseLimit(file.readText()));
    if (value?.kind === 'bytes' && (!lowest || value.bytes < lowest.bytes)) lowest = { bytes: value.bytes, cgroupPath };
  }
  return lowest;
}

interface CgroupFiles {
  readonly usage: KeptOpenFile;
  readonly stat?: KeptOpenFile;
  /** v2 memory.events, v1 memory.oom_control. */
  readonly events?: KeptOpenFile;
  readonly peak?: KeptOpenFile;
  /** From the cgroup up to the mount root. */
  readonly limits: readonly LimitFile[];
  /** v2 memory.high at the same levels; empty on v1. */
  readonly highs: readonly LimitFile[];
}

/**
 * Processes of one container, or of one login session, share a cgroup: twenty watches there read
 * the same files twenty times a second (memory.stat the costliest: bench/RESULTS.md, "Measured once"). A reading another
 * reader of the same cgroup made this long ago is handed out again instead (watches sample on one
 * grid, so they come within a few ms of each other); a reader's own readings are always fresh.
 */
export const SHARED_READING_MS = 250;
/** Per cgroup directory: how many readers are open on it, and its last reading. */
const sharedReadings = new Map<string, { readers: number; last?: { readonly at: number; readonly by: KeptOpenCgroupReader; readonly figures: CgroupFigures } }>();

class KeptOpenCgroupReader implements CgroupReader {
  private closed = false;

  constructor(
    readonly version: 1 | 2,
    readonly path: string,
    /** The cgroup's directory here: readers of the same one share their readings. */
    private readonly dir: string,
    private readonly files: CgroupFiles,
  ) {
    const shared = sharedReadings.get(dir);
    if (shared) shared.readers++;
    else sharedReadings.set(dir, { readers: 1 });
  }

  read(): CgroupFigures {
    if (this.closed) throw new Error(`The reader of memory cgroup ${this.path} is closed.`);
    const now = Date.now();
    const shared = sharedReadings.get(this.dir)!;
    const last = shared.last;
    if (last && last.by !== this && now >= last.at && now - last.at < SHARED_READING_MS) return last.figures;
    const figures = this.readNow();
    shared.last = { at: now, by: this, figures };
    return figures;
  }

  private readNow(): CgroupFigures {
    let usage: number | undefined;
    try {
      usage = parseByteCount(this.files.usage.readText());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`Memory cgroup ${this.path} can no longer be read (${code}): it was probably removed.`, { cause: err });
    }
    if (usage === undefined) throw new Error(`Memory cgroup ${this.path}: its usage file does not hold a byte count.`);
    const { stat, events, peak } = this.files;
    const inactiveFile = stat && attempt(() => inactiveFileFromStat(stat.readText(), this.version));
    const limit = lowestLimit(this.files.limits);
    return {
      version: this.version,
      path: this.path,
      usage,
      limit: limit?.bytes,
      limitPath: limit?.cgroupPath,
      high: lowestLimit(this.files.highs)?.bytes,
      inactiveFile,
      // Inactive file pages are the first the kernel reclaims, so they are not "in use".
      workingSet: Math.max(0, usage - (inactiveFile ?? 0)),
      peak: peak && attempt(() => parseByteCount(peak.readText())),
      oomKills: events && attempt(() => oomKillsFromEvents(events.readText())),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const shared = sharedReadings.get(this.dir)!;
    if (--shared.readers === 0) sharedReadings.delete(this.dir);
    else if (shared.last?.by === this) shared.last = undefined;
    const { usage, stat, events, peak, limits, highs } = this.files;
    for (const file of [usage, stat, events, peak, ...limits.map((l) => l.file), ...highs.map((h) => h.file)]) {
      file?.close();
    }
  }
}

/** The file names that differ between the two versions of the memory controller. */
const FILE_NAMES = {
  1: { usage: 'memory.usage_in_bytes', limit: 'memory.limit_in_bytes', peak: 'memory.max_usage_in_bytes', events: 'memory.oom_control' },
  2: { usage: 'memory.current', limit: 'memory.max', peak: 'memory.peak', events: 'memory.events' },
} as const;

/** Where a process's memory cgroup is on this machine's file tree. */
interface Located {
  readonly version: 1 | 2;
  readonly membership: CgroupMembership;
  readonly mount: MountInfo;
  /** The cgroup's path below the mount root. */
  readonly segments: readonly string[];
}

/**
 * Finds the hierarchy with the memory controller in the process's memberships and the mount that
 * shows its cgroup. When a hierarchy is mounted more than once (a bind mount of a sub-cgroup), the
 * mount with the shortest root containing it wins: it shows the most ancestors, so their limits.
 */
function locate(pid: number, memberships: readonly CgroupMembership[], mounts: readonly MountInfo[], fsRoot: string): Located | { reason: string } {
  const found = memoryMembership(memberships);
  if (!found) return { reason: `Process ${pid} is in no cgroup hierarchy with the memory controller.` };
  const { version, membership } = found;
  if (membership.deleted) return { reason: `The memory cgroup of process ${pid} (${membership.path}) has been removed.` };
  let candidates: MountInfo[];
  if (version === 1) {
    candidates = mounts.filter((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
    if (candidates.length === 0) return { reason: `Process ${pid} is in a cgroup v1 memory hierarchy, but no such hierarchy is mounted here (no "cgroup" mount with the memory option in /proc/self/mountinfo).` };
  } else {
    const cgroup2 = mounts.filter((m) => m.fsType === 'cgroup2');
    if (cgroup2.length === 0) return { reason: `Process ${pid} has no cgroup v1 memory hierarchy and no cgroup2 filesystem is mounted here.` };
    // On a hybrid machine the v2 mount exists without memory, which stays on v1.
    candidates = cgroup2.filter((m) => attempt(() => readKernelFile(path.join(fsRoot, m.mountPoint, 'cgroup.controllers'), 4096).toString('utf8').split(/\s+/).includes('memory')));
    if (candidates.length === 0) return { reason: `The memory controller is not enabled on the cgroup2 mount at ${cgroup2[0].mountPoint} (its cgroup.controllers does not list memory), and process ${pid} is in no v1 memory hierarchy.` };
  }
  let best: Located | undefined;
  for (const mount of candidates) {
    const segments = segmentsBelow(membership.path, mount.root);
    if (segments && (!best || segments.length > best.segments.length)) best = { version, membership, mount, segments };
  }
  if (!best) {
    const mount = candidates[0];
    return {
      reason:
        `The memory cgroup of process ${pid} (${membership.path}) is outside what is mounted here ` +
        `(${mount.mountPoint} shows cgroup ${mount.root}): it may belong to another container or cgroup namespace.`,
    };
  }
  return best;
}

/** The lines of mountinfo whose filesystem type (right after the " - " separator) is cgroup or cgroup2. */
function cgroupMountLines(mountinfo: string): string {
  return mountinfo
    .split('\n')
    .filter((line) => line.includes(' - cgroup'))
    .join('\n');
}

/** The cgroup path of `segments` below a mount root, as /proc/PID/cgroup would write it. */
function cgroupPathOf(mountRoot: string, segments: readonly string[]): string {
  return path.posix.join(mountRoot, ...segments);
}

/** Whether a file exists here (a cgroup's set of files says what kind of cgroup it is). */
function exists(file: string): boolean {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Why `dir` holds no figures for a process, or undefined when it does. */
function rootOrDisabledReason(pid: number, located: Located, dir: string): string | undefined {
  const where = `process ${pid} (${located.membership.path})`;
  if (located.version === 1) {
    // Only the root of a v1 hierarchy has cgroup.sane_behavior, also when seen from a namespace.
    if (exists(path.join(dir, 'cgroup.sane_behavior'))) return `The memory cgroup of ${where} is the root of the hierarchy: its usage is the whole machine's and it has no limit.`;
    return undefined;
  }
  if (exists(path.join(dir, FILE_NAMES[2].usage))) return undefined;
  // Every v2 cgroup but the root has cgroup.type.
  if (!exists(path.join(dir, 'cgroup.type'))) return `The cgroup of ${where} is the root cgroup, which has no memory.current and no limit.`;
  return `The memory controller is not enabled for the cgroup of ${where}: its parent's cgroup.subtree_control does not list memory.`;
}

/**
 * Opens a reader of the memory cgroup of `pid`: finds the hierarchy with the memory controller
 * (v1 or v2), its directory through the reader's own mountinfo, and keeps open the cgroup's files
 * and the limit files of every cgroup up to the mount root. A v1 parent whose memory.use_hierarchy
 * is 0 (kernels before 5.11 allowed it) does not charge its children, so the walk stops there.
 */
export function openCgroupReader(pid: number, roots: CgroupRoots = {}): CgroupOpen {
  if (!Number.isSafeInteger(pid) || pid <= 0) return { ok: false, reason: `${pid} is not a valid PID.` };
  const procRoot = roots.procRoot ?? '/proc';
  const fsRoot = roots.fsRoot ?? '/';
  let memberships: CgroupMembership[];
  let mounts: MountInfo[];
  try {
    memberships = parseProcCgroup(readKernelFile(path.join(procRoot, String(pid), 'cgroup'), PROC_CGROUP_BYTES).toString('utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return { ok: false, reason: `No process ${pid}.` };
    return { ok: false, reason: `Cannot read the cgroups of process ${pid}: ${(err as Error).message}` };
  }
  try {
    // Only cgroup mounts matter: parsing just those keeps a host with thousands of mounts fast.
    const text = readKernelFile(path.join(procRoot, 'self', 'mountinfo'), MOUNTINFO_BYTES).toString('utf8');
    mounts = parseMountInfo(cgroupMountLines(text));
  } catch (err) {
    return { ok: false, reason: `Cannot read /proc/self/mountinfo to find the cgroup mounts: ${(err as Error).message}` };
  }
  const located = locate(pid, memberships, mounts, fsRoot);
  if ('reason' in located) return { ok: false, reason: located.reason };
  const { version, membership, mount, segments } = located;
  const dirOf = (depth: number) => path.join(fsRoot, mount.mountPoint, ...segments.slice(0, depth));
  const dir = dirOf(segments.length);
  const notHere = rootOrDisabledReason(pid, located, dir);
  if (notHere) return { ok: false, reason: notHere };

  const names = FILE_NAMES[version];
  const opened: KeptOpenFile[] = [];
  try {
    let usage: KeptOpenFile;
    try {
      usage = KeptOpenFile.open(path.join(dir, names.usage), NUMBER_FILE_BYTES, opened);
      if (parseByteCount(usage.readText()) === undefined) throw new Error(`${names.usage} does not hold a byte count`);
    } catch (err) {
      throw new Error(`Cannot read the memory usage of cgroup ${membership.path} (${path.join(dir, names.usage)}): ${(err as Error).message}`, { cause: err });
    }
    const limits: LimitFile[] = [];
    const highs: LimitFile[] = [];
    for (let depth = segments.length; depth >= 0; depth--) {
      const levelDir = dirOf(depth);
      const cgroupPath = depth === segments.length ? membership.path : cgroupPathOf(mount.root, segments.slice(0, depth));
      if (version === 1 && depth < segments.length) {
        const hierarchical = attempt(() => readKernelFile(path.join(levelDir, 'memory.use_hierarchy'), NUMBER_FILE_BYTES).toString('utf8').trim());
        if (hierarchical === '0') break;
      }
      // The v2 root has no memory.max; v1's root reads as unlimited: a missing file is no limit.
      const limit = KeptOpenFile.tryOpen(path.join(levelDir, names.limit), NUMBER_FILE_BYTES, opened);
      if (limit) limits.push({ cgroupPath, file: limit });
      const high = version === 2 ? KeptOpenFile.tryOpen(path.join(levelDir, 'memory.high'), NUMBER_FILE_BYTES, opened) : undefined;
      if (high) highs.push({ cgroupPath, file: high });
    }
    const files: CgroupFiles = {
      usage,
      stat: KeptOpenFile.tryOpen(path.join(dir, 'memory.stat'), KEYED_FILE_BYTES, opened),
      events: KeptOpenFile.tryOpen(path.join(dir, names.events), KEYED_FILE_BYTES, opened),
      peak: KeptOpenFile.tryOpen(path.join(dir, names.peak), NUMBER_FILE_BYTES, opened),
      limits,
      highs,
    };
    return { ok: true, reader: new KeptOpenCgroupReader(version, membership.path, dir, files) };
  } catch (err) {
    for (const file of opened) file.close();
    return { ok: false, reason: (err as Error).message };
  }
}
