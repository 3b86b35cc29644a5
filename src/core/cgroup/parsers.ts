/**
 * Pure parsers for the kernel files that say where a process's memory cgroup is and what it holds:
 * the reader's /proc/self/mountinfo (where each cgroup hierarchy is mounted), /proc/PID/cgroup
 * (which cgroup the process is in) and the memory controller's own files. All of it is untrusted
 * text: numbers must be whole, finite and ≥ 0, and anything malformed comes back undefined (or is
 * skipped), never NaN.
 */

/** One line of /proc/PID/mountinfo, the fields we use. */
export interface MountInfo {
  readonly mountId: number;
  readonly parentId: number;
  /**
   * Field 4: the directory of the filesystem that appears at the mount point. For a cgroup mount
   * it is the cgroup seen there ("/" on a host, often "/docker/<id>" inside a container).
   */
  readonly root: string;
  /** Field 5: where it is mounted, as the reading process sees its file tree. */
  readonly mountPoint: string;
  /** "cgroup" (v1), "cgroup2", "ext4", … */
  readonly fsType: string;
  readonly source: string;
  /** Per-superblock options; a v1 cgroup mount lists its controllers here ("rw,memory"). */
  readonly superOptions: readonly string[];
}

/** Undoes mountinfo's octal escapes: \040 space, \011 tab, \012 newline, \134 backslash. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_escape, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses mountinfo (proc(5)); malformed lines are skipped rather than failing the whole file. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    // Six fixed fields, any number of optional ones ("shared:1"), "-", then three more.
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 4) continue;
    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    if (!isWholeNumber(mountId) || !isWholeNumber(parentId)) continue;
    const root = unescapeMountField(fields[3]);
    const mountPoint = unescapeMountField(fields[4]);
    if (!root.startsWith('/') || !mountPoint.startsWith('/')) continue;
    mounts.push({
      mountId,
      parentId,
      root,
      mountPoint,
      fsType: fields[separator + 1],
      source: unescapeMountField(fields[separator + 2]),
      superOptions: fields[separator + 3].split(','),
    });
  }
  return mounts;
}

/** One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path". */
export interface CgroupMembership {
  /** 0 for the cgroup v2 (unified) hierarchy. */
  readonly hierarchyId: number;
  /** v1 controllers of that hierarchy ("memory", "cpu,cpuacct", "name=systemd"); empty for v2. */
  readonly controllers: readonly string[];
  /**
   * The cgroup's path, relative to the reading process's cgroup namespace root. It starts with
   * "/..": the cgroup lies outside that namespace.
   */
  readonly path: string;
  /** v2 only: the kernel appends " (deleted)" when the cgroup has been removed. */
  readonly deleted: boolean;
}

const DELETED_SUFFIX = ' (deleted)';

/** Parses /proc/PID/cgroup (cgroups(7)). The path may itself hold colons, so only the first two split. */
export function parseProcCgroup(text: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const idText = line.slice(0, first);
    const hierarchyId = Number(idText);
    if (!/^\d+$/.test(idText) || !isWholeNumber(hierarchyId)) continue;
    let path = line.slice(second + 1);
    const deleted = path.endsWith(DELETED_SUFFIX);
    if (deleted) path = path.slice(0, -DELETED_SUFFIX.length);
    if (!path.startsWith('/')) continue;
    const list = line.slice(first + 1, second);
    memberships.push({ hierarchyId, controllers: list ? list.split(',') : [], path, deleted });
  }
  return memberships;
}

/**
 * The membership that carries the memory controller: a v1 hierarchy listing "memory" if there is
 * one (a hybrid machine also has a v2 line, without memory), else the v2 line, else undefined.
 */
export function memoryMembership(memberships: readonly CgroupMembership[]): { version: 1 | 2; membership: CgroupMembership } | undefined {
  const v1 = memberships.find((m) => m.hierarchyId !== 0 && m.controllers.includes('memory'));
  if (v1) return { version: 1, membership: v1 };
  const v2 = memberships.find((m) => m.hierarchyId === 0 && m.controllers.length === 0);
  return v2 ? { version: 2, membership: v2 } : undefined;
}

/**
 * The segments of `cgroupPath` below a mount's `mountRoot`, or undefined when the cgroup is not
 * inside it. Segment-wise, so "/docker/abc" is not inside "/docker/ab"; "." and ".." (the kernel's
 * way of naming a cgroup outside the reader's namespace) are never inside anything.
 */
export function segmentsBelow(cgroupPath: string, mountRoot: string): string[] | undefined {
  const split = (p: string) => p.split('/').filter((s) => s !== '');
  const path = split(cgroupPath);
  const root = split(mountRoot);
  if ([...path, ...root].some((s) => s === '.' || s === '..' || s.includes('\0'))) return undefined;
  if (root.length > path.length || root.some((s, i) => path[i] !== s)) return undefined;
  return path.slice(root.length);
}

/** A whole, finite, non-negative number that a double holds exactly. */
function isWholeNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** A byte count or counter file ("123456\n"): undefined unless it is one whole number ≥ 0. */
export function parseByteCount(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,16}$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return isWholeNumber(n) ? n : undefined;
}

/**
 * From this value up a v1 limit means "none": an unset v1 limit reads as 2^63 − 1 rounded down to
 * the page size (9223372036854771712), and no real limit comes near 1 EiB.
 */
export const NO_LIMIT_FROM = 2 ** 60;

/** A memory limit file's value: a byte count, or no limit at all. */
export type LimitValue = { readonly kind: 'bytes'; readonly bytes: number } | { readonly kind: 'none' };

/**
 * Parses v2 memory.max / memory.high ("max" = none) or v1 memory.limit_in_bytes (≥ 2^60 = none).
 * Undefined when malformed.
 */
export function parseLimit(text: string): LimitValue | undefined {
  const trimmed = text.trim();
  if (trimmed === 'max') return { kind: 'none' };
  // Up to 20 digits: the v1 "unlimited" value has 19 and must still be recognised.
  if (!/^\d{1,20}$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  if (n >= NO_LIMIT_FROM) return { kind: 'none' };
  return isWholeNumber(n) ? { kind: 'bytes', bytes: n } : undefined;
}

/**
 * Parses the "key value" files of the memory controller — memory.stat, v2 memory.events, v1
 * memory.oom_control. Lines whose value is not a whole number ≥ 0 are left out, so a key that is
 * present always maps to a usable number.
 */
export function parseKeyedCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const value = parseByteCount(line.slice(space + 1));
    if (value !== undefined) counts.set(line.slice(0, space), value);
  }
  return counts;
}

/**
 * The value of one key in a "key value" file, without building the whole map: the sampling path
 * needs one or two keys of memory.stat's forty-odd lines. Undefined when absent or malformed.
 */
export function findKeyedCount(text: string, key: string): number | undefined {
  const needle = `${key} `;
  let lineStart: number;
  if (text.startsWith(needle)) lineStart = 0;
  else {
    const newline = text.indexOf(`\n${needle}`);
    if (newline < 0) return undefined;
    lineStart = newline + 1;
  }
  const lineEnd = text.indexOf('\n', lineStart);
  return parseByteCount(text.slice(lineStart + needle.length, lineEnd < 0 ? undefined : lineEnd));
}

/**
 * Inactive file pages from memory.stat: v2 "inactive_file"; v1 "total_inactive_file", which like
 * v1 usage includes the cgroup's descendants (plain "inactive_file" there is the cgroup alone).
 */
export function inactiveFileFromStat(statText: string, version: 1 | 2): number | undefined {
  if (version === 2) return findKeyedCount(statText, 'inactive_file');
  return findKeyedCount(statText, 'total_inactive_file') ?? findKeyedCount(statText, 'inactive_file');
}

/** "oom_kill N" from v2 memory.events or v1 memory.oom_control (kernels before 4.13 have none). */
export function oomKillsFromEvents(eventsText: string): number | undefined {
  return findKeyedCount(eventsText, 'oom_kill');
}
