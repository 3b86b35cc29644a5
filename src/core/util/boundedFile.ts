/**
 * Every bounded file read of Memory Watch, in two kinds.
 *
 * Files someone else controls (a PID file from the workspace, an agent's port file from the
 * target's environment, a go.mod, a recording, the code cache): read without letting them hang or
 * flood us.
 *
 * A plain open() of a FIFO with no writer blocks until one comes — for ever — and it blocks a
 * thread of libuv's pool of four: four such files stall every fs and DNS call of the extension
 * host. So: open with O_NONBLOCK (a FIFO then opens at once), check with fstat that it is a regular
 * file of a sane size, and only then read, at most `maxBytes`.
 */
import fs = require('fs');

const { O_RDONLY, O_NONBLOCK, O_NOCTTY } = fs.constants;
/** Windows knows neither flag (and has no FIFOs in the file system to fear). */
const OPEN_FLAGS = process.platform === 'win32' ? O_RDONLY : O_RDONLY | (O_NONBLOCK ?? 0) | (O_NOCTTY ?? 0);

/** Why a small file could not be read, in words for the log or the user. */
export class SmallFileError extends Error {
  constructor(
    readonly code: 'missing' | 'not-a-file' | 'too-large' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'SmallFileError';
  }
}

/** Reads a regular file of at most `maxBytes` as UTF-8; rejects with a SmallFileError otherwise. */
export async function readSmallFile(file: string, maxBytes: number): Promise<string> {
  return (await readSmallFileBytes(file, maxBytes)).toString('utf8');
}

/** Reads a regular file of at most `maxBytes`, as bytes; rejects with a SmallFileError otherwise. */
export async function readSmallFileBytes(file: string, maxBytes: number): Promise<Buffer> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SmallFileError('missing', `${file} does not exist`);
    throw new SmallFileError('unreadable', `cannot read ${file}: ${code ?? (err as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SmallFileError('not-a-file', `${file} is not a regular file (${kindOf(stat)})`);
    if (stat.size > maxBytes) throw new SmallFileError('too-large', `${file} is larger than ${maxBytes} bytes`);
    // The size may change between fstat and read: room for one byte more than allowed tells.
    const buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (!bytesRead) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new SmallFileError('too-large', `${file} is larger than ${maxBytes} bytes`);
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof SmallFileError) throw err;
    throw new SmallFileError('unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The bytes of a regular file of at most `maxBytes`, read synchronously; throws a SmallFileError
 * otherwise. For activation, which runs before anything else and must not wait its turn in
 * libuv's thread pool; the same checks make it safe: a non-blocking open, fstat, then a bounded read.
 */
export function readSmallFileBytesSync(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SmallFileError('missing', `${file} does not exist`);
    throw new SmallFileError('unreadable', `cannot read ${file}: ${code ?? (err as Error).message}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SmallFileError('not-a-file', `${file} is not a regular file (${kindOf(stat)})`);
    if (stat.size > maxBytes) throw new SmallFileError('too-large', `${file} is larger than ${maxBytes} bytes`);
    // What fstat said, and no more: a file that grew meanwhile is read as it was.
    const buffer = Buffer.allocUnsafe(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof SmallFileError) throw err;
    throw new SmallFileError('unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Read already, or failed already: nothing a failed close changes.
    }
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** The first `bytes` of a regular file (whatever its size), as UTF-8; rejects for FIFOs and the like. */
export async function readFileStart(file: string, bytes: number): Promise<string> {
  const handle = await fs.promises.open(file, OPEN_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SmallFileError('not-a-file', `${file} is not a regular file (${kindOf(stat)})`);
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

// ---- Kernel files (/proc, /sys/fs/cgroup) ----
// They are never FIFOs, but report a size of 0: read to their end, up to a bound, or kept open and
// read again from offset 0 into a buffer of their own (a sample's figures, a cgroup's counters).

/** A kernel file opened once and read again from offset 0 (one pread) into its own bounded buffer. */
export class KeptOpenFile {
  /** What the last read() left: the file's bytes, up to its length. */
  readonly bytes: Buffer;
  private closed = false;

  private constructor(
    /** The descriptor, for a read in the thread pool (procfs's smaps_rollup). */
    readonly fd: number,
    readonly path: string,
    bufferBytes: number,
  ) {
    this.bytes = Buffer.alloc(bufferBytes);
  }

  /** Opens `path`, recording its descriptor in `opened` (when given) so a failed series of opens can release them all. Throws. */
  static open(path: string, bufferBytes: number, opened?: KeptOpenFile[]): KeptOpenFile {
    const file = new KeptOpenFile(fs.openSync(path, 'r'), path, bufferBytes);
    opened?.push(file);
    return file;
  }

  /** Like open, but undefined when the file is missing or unreadable (an optional figure). */
  static tryOpen(path: string, bufferBytes: number, opened?: KeptOpenFile[]): KeptOpenFile | undefined {
    try {
      return KeptOpenFile.open(path, bufferBytes, opened);
    } catch {
      return undefined;
    }
  }

  /** Reads the file now into `bytes`: its length. Throws when it cannot be read or does not fit. */
  read(): number {
    const n = fs.readSync(this.fd, this.bytes, 0, this.bytes.length, 0);
    if (n === this.bytes.length) throw new Error(`${this.path} is larger than its buffer (${this.bytes.length} bytes)`);
    return n;
  }

  /** The file's whole text now. Throws like read(). */
  readText(encoding: BufferEncoding = 'utf8'): string {
    return this.bytes.toString(encoding, 0, this.read());
  }

  /** Closes it (once; a read in flight elsewhere must close it itself: see closeLater). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already gone with its process: nothing a failed close changes.
    }
  }
}

/** A kernel file of unknown size read to its end, up to `maxBytes` (more: an Error). */
export function readKernelFile(path: string, maxBytes: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The first `maxBytes` of a kernel file, asynchronously: for a file whose read can wait on the
 * process (cmdline takes its memory lock, which a process stuck in the kernel can hold for long).
 */
export async function readKernelFileStart(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
