/**
 * The real file system for path mapping: every read is asynchronous and bounded. A file is opened
 * with O_NONBLOCK (a FIFO named go.mod would otherwise block a thread of the pool forever), must
 * be a regular file by fstat, and is read only up to a limit — a 2 GiB go.mod costs one fstat.
 */
import { execFile } from 'child_process';
import { constants, promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import path = require('path');
import { createPathContext, LineCheck, PathContext, PathContextInput, PathFs } from './pathMapping';

// Not defined on Windows, where opening does not block on such files anyway.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CHUNK_BYTES = 64 * 1024;
/**
 * checkLine reads at most this much of a source file looking for its line, in 64 KiB steps of
 * well under 1 ms each; past it a line is `unchecked`, not counted on (what the densest file costs
 * at this bound and at 64 MiB: bench/RESULTS.md, "Measured once").
 */
export const MAX_SOURCE_SCAN_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Opens `file` for reading without blocking; undefined unless it is a regular file. */
async function openRegular(file: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
    const stat = await handle.stat();
    if (stat.isFile()) return { handle, size: stat.size };
  } catch {
    // Missing, unreadable, a directory: all mean "not a file we can use".
  }
  await handle?.close().catch(() => undefined);
  return undefined;
}

/** {@link PathFs} on the real disk. */
export const realPathFs: PathFs = {
  async isFile(file) {
    try {
      return (await fsp.stat(file)).isFile();
    } catch {
      return false;
    }
  },

  async readText(file, maxBytes) {
    const opened = await openRegular(file);
    if (!opened) return undefined;
    try {
      if (opened.size > maxBytes) return undefined;
      // One byte more than allowed tells a file that grew since fstat from one that did not.
      const buffer = Buffer.alloc(Math.min(maxBytes, opened.size) + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await opened.handle.read(buffer, length, buffer.length - length, length);
        if (!bytesRead) break;
        length += bytesRead;
      }
      return length > maxBytes ? undefined : buffer.subarray(0, length).toString('utf8');
    } catch {
      return undefined;
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  },

  async realPath(file) {
    try {
      return await fsp.realpath(file);
    } catch {
      return undefined;
    }
  },

  async checkLine(file, line): Promise<LineCheck> {
    if (!Number.isSafeInteger(line) || line < 1) return 'absent';
    const opened = await openRegular(file);
    if (!opened) return 'absent';
    const { handle, size } = opened;
    try {
      // Line n exists when the file has a byte after its (n − 1)th newline: it takes n bytes, so
      // the size alone refuses a line past it, unread. Not a size of 0: procfs-like files say 0
      // and have bytes.
      if (size > 0 && line > size) return 'absent';
      if (line === 1) return size > 0 || (await hasByteAt(handle, 0)) ? 'present' : 'absent';
      let newlines = 0;
      const buffer = Buffer.alloc(CHUNK_BYTES);
      for (let position = 0; position < MAX_SOURCE_SCAN_BYTES; ) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
        if (!bytesRead) return 'absent';
        // A plain loop: one indexOf call per newline costs 15× more on a file of short lines.
        for (let i = 0; i < bytesRead; i++) {
          if (buffer[i] !== NEWLINE || ++newlines < line - 1) continue;
          const next = position + i + 1;
          return next < size || (await hasByteAt(handle, next)) ? 'present' : 'absent';
        }
        position += bytesRead;
      }
      return 'unchecked';
    } catch {
      return 'absent';
    } finally {
      await handle.close().catch(() => undefined);
    }
  },
};

async function hasByteAt(handle: FileHandle, position: number): Promise<boolean> {
  const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, position);
  return bytesRead === 1;
}

/** {@link createPathContext} on the real disk. */
export function createRealPathContext(input: PathContextInput): Promise<PathContext> {
  return createPathContext(input, realPathFs);
}

/** Options of {@link listWorkspaceGoFiles}. */
export interface ListFilesOptions {
  /** Stop after this many files (default 50,000). */
  maxFiles?: number;
  /** Stop after reading this many folders (default 20,000). */
  maxDirs?: number;
}

/** Folders never worth searching for Go sources. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);

/**
 * The .go, go.mod and go.work files under `folders`, for {@link PathContextInput.workspaceFiles}
 * (inside VS Code, `workspace.findFiles` can give the same). Asynchronous and bounded; symbolic
 * links to folders are not followed (no cycles); hidden folders are skipped. `truncated` says
 * whether a bound was hit.
 */
export async function listWorkspaceGoFiles(folders: readonly string[], options: ListFilesOptions = {}): Promise<{ files: string[]; truncated: boolean }> {
  const maxFiles = options.maxFiles ?? 50_000;
  const maxDirs = options.maxDirs ?? 20_000;
  const files: string[] = [];
  const queue = folders.map((f) => path.resolve(f));
  let dirs = 0;
  while (queue.length) {
    if (dirs >= maxDirs || files.length >= maxFiles) return { files: files.slice(0, maxFiles), truncated: true };
    const dir = queue.shift()!;
    dirs++;
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) queue.push(full);
      } else if (entry.isFile() && (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.work')) {
        files.push(full);
      }
    }
  }
  return { files: files.slice(0, maxFiles), truncated: files.length > maxFiles };
}

/** GOROOT and GOMODCACHE as `go env` reports them (undefined when Go cannot be run). */
export function readGoEnv(goCommand = 'go', timeoutMs = 10_000): Promise<{ goroot?: string; gomodcache?: string }> {
  return new Promise((resolve) => {
    execFile(goCommand, ['env', '-json', 'GOROOT', 'GOMODCACHE'], { timeout: timeoutMs, maxBuffer: 64 * 1024, windowsHide: true }, (err, stdout) => {
      if (err) return resolve({});
      try {
        const env = JSON.parse(stdout) as Record<string, unknown>;
        const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
        resolve({ goroot: text(env.GOROOT), gomodcache: text(env.GOMODCACHE) });
      } catch {
        resolve({});
      }
    });
  });
}
