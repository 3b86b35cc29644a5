/**
 * Writing a file into a folder someone else may have prepared — a cloned repository's folder (the
 * FreeOSMemory hook), the folder a CSV export goes to — without being turned against the user:
 *   - never through a symbolic link: `memorywatch_hook.go -> ~/.bashrc` would write there, and a
 *     dangling link would create the file it points to;
 *   - never into a FIFO or a device (an open for writing waits for a reader);
 *   - never over a file unless the caller asked to replace it (after asking the user);
 *   - replacing writes a new file and renames it over the old one: rename replaces the directory
 *     entry itself, so a link swapped in after the check is replaced, not written through, and
 *     another hard link to the old file keeps its contents;
 *   - a new file appears whole: written under another name, then linked into place (a reader of
 *     a CSV export saw it empty when it was created, then written).
 * (The folder itself is the caller's to check: Node has no openat() to pin it.)
 */
import fs = require('fs');
import path = require('path');
import { randomBytes } from 'crypto';

/** Why a file was not written, in words for the user: "x.csv is a symbolic link (to /etc/y)". */
export class RefusedWrite extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedWrite';
  }
}

export type WriteTarget = { readonly kind: 'absent' } | { readonly kind: 'file' } | { readonly kind: 'refused'; readonly reason: string };

/** What is at `file` now, a symbolic link not followed: nothing, a regular file, or why it may not be written. */
export async function inspectWriteTarget(file: string): Promise<WriteTarget> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'refused', reason: `${path.basename(file)} cannot be checked (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (stat.isFile()) return { kind: 'file' };
  if (stat.isSymbolicLink()) {
    const target = await fs.promises.readlink(file).catch(() => '?');
    return { kind: 'refused', reason: `${path.basename(file)} is a symbolic link (to ${target}), and links are never written through` };
  }
  return { kind: 'refused', reason: `${path.basename(file)} is ${kindOf(stat)}, not a regular file` };
}

/**
 * Writes `data` to `file`: 'create' only when nothing is there (O_EXCL, which never follows a
 * link, even a dangling one); 'replace' also over a regular file. Rejects with a RefusedWrite
 * saying why, or with the file system's error.
 */
export async function writeNoFollow(file: string, data: string | Uint8Array, how: 'create' | 'replace'): Promise<void> {
  const before = await inspectWriteTarget(file);
  if (before.kind === 'refused') throw new RefusedWrite(before.reason);
  if (how === 'create' && before.kind === 'file') throw new RefusedWrite(`${path.basename(file)} already exists`);
  // Written beside the file (same file system, so link and rename are atomic), under a name nobody
  // guesses, then put in place whole: whoever sees the file (a CSV's reader) reads all of it.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  await createExclusive(temp, data, () => `a temporary file beside ${path.basename(file)} already exists`);
  try {
    if (before.kind === 'absent') await linkExclusive(temp, file, data);
    else await fs.promises.rename(temp, file);
  } finally {
    // After a link, the file keeps the data under its own name; after a rename, temp is gone.
    await fs.promises.unlink(temp).catch(() => undefined);
  }
}

/**
 * link(2) creates `file` as another name of `temp`, and fails with EEXIST on anything already
 * there, a dangling link included — as an O_EXCL open does, without the moment the file is empty.
 * A file system without hard links (FAT, some network mounts) gets the open and write instead.
 */
async function linkExclusive(temp: string, file: string, data: string | Uint8Array): Promise<void> {
  try {
    await fs.promises.link(temp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw await refusalOfExisting(file, () => `${path.basename(file)} already exists`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await createExclusive(file, data, () => `${path.basename(file)} already exists`);
  }
}

async function createExclusive(file: string, data: string | Uint8Array, exists: () => string): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw await refusalOfExisting(file, exists);
  }
  try {
    await handle.writeFile(data, typeof data === 'string' ? 'utf8' : undefined);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.promises.unlink(file).catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/** Something appeared at `file` since the check: the refusal says what, a link or a file. */
async function refusalOfExisting(file: string, exists: () => string): Promise<RefusedWrite> {
  const now = await inspectWriteTarget(file);
  return new RefusedWrite(now.kind === 'refused' ? now.reason : exists());
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'something else';
}
