/**
 * Loads a CommonJS bundle as Node's loader would, but compiled with a V8 code cache: activation
 * was mostly V8 compiling our 195 KB bundle (≈ 10 of ≈ 16 ms CPU), which a cache cuts to ≈ 4 ms.
 * VS Code does the same for its own code; Node's module.enableCompileCache would do it for every
 * module of the shared extension host, which is not ours to change.
 *
 * The cache file is named by a SHA-256 of the bundle's text: V8 checks only the source's length
 * (and its own version and flags) before trusting a cache, so a rebuilt bundle of the same length
 * must never find the old file. A cache V8 rejects (another VS Code, another V8) is rewritten; any
 * failure to read or write one only means compiling without it.
 */
import crypto = require('crypto');
import fs = require('fs');
import Module from 'module';
import path = require('path');
import * as vm from 'vm';

/** What Node's CommonJS loader has but its typings do not declare. */
interface ModuleInternals {
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
}

export interface CachedModule<T> {
  readonly exports: T;
  /** How the cache served: 'used'; 'missing' (none yet); 'rejected' by V8; 'off' (no directory given). */
  readonly cache: 'used' | 'missing' | 'rejected' | 'off';
  /**
   * Writes the cache when it was missing or rejected (after the module has run for a while, so the
   * functions compiled by then are in it) and removes older ones from the directory. Never throws.
   */
  writeCache(): Promise<void>;
}

const SUFFIX = '.v8cache';

/** Compiles and runs the CommonJS file `file` as a module of its own, with a code cache kept in `cacheDir`. */
export function loadCachedModule<T>(file: string, cacheDir: string | undefined, parent?: NodeJS.Module): CachedModule<T> {
  const source = fs.readFileSync(file, 'utf8');
  const cacheFile = cacheDir ? path.join(cacheDir, crypto.createHash('sha256').update(source).digest('hex').slice(0, 32) + SUFFIX) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const internals = Module as unknown as ModuleInternals;
  const script = new vm.Script(internals.wrap(source), { filename: file, cachedData });
  const cache = !cacheFile ? 'off' : !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
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
        // A temporary name, then a rename: two windows writing at once never leave half a file.
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        await fs.promises.writeFile(temporary, script.createCachedData());
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
