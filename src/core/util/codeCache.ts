/**
 * Loads a CommonJS bundle as Node's loader would, but compiled with a V8 code cache: activation
 * was mostly V8 compiling our bundle, which a cache cuts to a fraction (bench/RESULTS.md, "Measured once").
 * VS Code does the same for its own code; Node's module.enableCompileCache would do it for every
 * module of the shared extension host, which is not ours to change.
 *
 * The cache file is ours, but it sits in a directory others can write to, and V8 trusts a cache
 * after checking only the source's length (and its own version and flags): a cache made from
 * another source of the same length is taken, and runs that other code. So the file is read as
 * anything from outside is: opened non-blocking (a FIFO in its place would wait for a writer for
 * ever), checked to be a regular file of a bounded size (a symlink to /dev/zero would be read
 * until memory runs out), then read; and it carries in a header the SHA-256 of the bundle it was
 * made from and the length of V8's data, both checked before V8 sees a byte. Its name is that
 * hash too, so a rebuilt bundle never even opens the old file. A cache refused by us or rejected
 * by V8 (another VS Code, another V8) is rewritten; any failure to read or write one only means
 * compiling without it.
 */
import crypto = require('crypto');
import fs = require('fs');
import Module from 'module';
import path = require('path');
import * as vm from 'vm';
import { readSmallFileBytesSync, SmallFileError } from './boundedFile';

/** What Node's CommonJS loader has but its typings do not declare. */
interface ModuleInternals {
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
}

export interface CachedModule<T> {
  readonly exports: T;
  /**
   * How the cache served: 'used'; 'missing' (none yet); 'refused' by us (not a regular file, too
   * large, or its header is not this bundle's); 'rejected' by V8; 'off' (no directory given).
   */
  readonly cache: 'used' | 'missing' | 'refused' | 'rejected' | 'off';
  /**
   * Writes the cache when it was not used (after the module has run for a while, so the functions
   * compiled by then are in it) and removes older ones from the directory. Never throws.
   */
  writeCache(): Promise<void>;
}

const SUFFIX = '.v8cache';
/** The file's first bytes: what it is, and this layout's version. */
const MAGIC = Buffer.from('MW-V8C-1', 'latin1');
/** Magic, the bundle's SHA-256, the length of V8's data (uint32, little-endian); then the data. */
const HEADER_BYTES = MAGIC.length + 32 + 4;
/**
 * The largest cache read: 4 × the bundle's length, at least 1 MiB. V8's cache of our bundle is
 * 0.6 × its size once it has run for 10 s (120 KiB for 216 KB); with every function compiled
 * (node --no-lazy) it would be 3.1 ×. The floor is for small bundles (the tests').
 */
function maxCacheBytes(sourceLength: number): number {
  return HEADER_BYTES + Math.max(1024 * 1024, 4 * sourceLength);
}

/** V8's data out of a cache file, when its header says it was made from the bundle whose hash is `sourceHash`. */
function cacheData(file: Buffer, sourceHash: Buffer): Buffer | undefined {
  if (file.length < HEADER_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, MAGIC.length + 32).equals(sourceHash)) return undefined;
  if (file.readUInt32LE(MAGIC.length + 32) !== file.length - HEADER_BYTES) return undefined;
  return file.subarray(HEADER_BYTES);
}

/** Compiles and runs the CommonJS file `file` as a module of its own, with a code cache kept in `cacheDir`. */
export function loadCachedModule<T>(file: string, cacheDir: string | undefined, parent?: NodeJS.Module): CachedModule<T> {
  const source = fs.readFileSync(file, 'utf8');
  const sourceHash = crypto.createHash('sha256').update(source).digest();
  const cacheFile = cacheDir ? path.join(cacheDir, sourceHash.toString('hex').slice(0, 32) + SUFFIX) : undefined;
  let cachedData: Buffer | undefined;
  let refused = false;
  if (cacheFile) {
    try {
      // Synchronous, as activation is; non-blocking and bounded, so it cannot hang or flood us.
      cachedData = cacheData(readSmallFileBytesSync(cacheFile, maxCacheBytes(source.length)), sourceHash);
      refused = !cachedData;
    } catch (err) {
      refused = !(err instanceof SmallFileError && err.code === 'missing');
    }
  }
  const internals = Module as unknown as ModuleInternals;
  const script = new vm.Script(internals.wrap(source), { filename: file, cachedData });
  const cache = !cacheFile ? 'off' : refused ? 'refused' : !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
  const mod = new Module(file, parent);
  mod.filename = file;
  mod.paths = internals._nodeModulePaths(path.dirname(file));
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  return {
    exports: mod.exports as T,
    cache,
    async writeCache() {
      if (!cacheFile || !cacheDir || cache === 'used') return;
      try {
        await fs.promises.mkdir(cacheDir, { recursive: true });
        const data = script.createCachedData();
        const header = Buffer.alloc(HEADER_BYTES);
        MAGIC.copy(header);
        sourceHash.copy(header, MAGIC.length);
        header.writeUInt32LE(data.length, MAGIC.length + 32);
        // A temporary name, then a rename: two windows writing at once never leave half a file,
        // and whatever was in the cache's place (a FIFO, a symlink) is replaced, not written through.
        // The temporary file is new (O_EXCL): one left in its place is removed, never opened (a
        // FIFO there would hold a thread of libuv's pool for ever).
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        await fs.promises.rm(temporary, { force: true });
        await fs.promises.writeFile(temporary, Buffer.concat([header, data]), { flag: 'wx' });
        await fs.promises.rename(temporary, cacheFile);
        for (const name of await fs.promises.readdir(cacheDir)) {
          if (name.endsWith(SUFFIX) && name !== path.basename(cacheFile)) await fs.promises.rm(path.join(cacheDir, name), { force: true });
        }
      } catch {
        // No cache this time (a read-only or full disk): the next start compiles without one again.
      }
    },
  };
}
