/**
 * Where the heap worker's script is. The extension is one esbuild bundle (dist/extension.js) with
 * the worker beside it as dist/heapWorker.js; the tests run files transpiled one by one, where the
 * worker is out/src/core/heap/worker.js, next to this module.
 */
import path = require('path');
import { resolveWorkerScript } from '../util/workerScript';

/** The worker's file name in the bundled layout (scripts/build.mjs writes it). */
export const BUNDLED_WORKER_FILE = 'heapWorker.js';
/** Its file name in the transpiled layout (this folder). */
export const TRANSPILED_WORKER_FILE = 'worker.js';

/**
 * The worker script's absolute path: `<dir>/heapWorker.js` (bundle) or `<dir>/worker.js`
 * (transpiled), where `dir` is this module's folder at run time (dist/ once bundled). Throws an
 * Error naming both places when neither exists (a build step was skipped).
 */
export function resolveHeapWorkerScript(dir: string = __dirname, isFile?: (file: string) => boolean): string {
  return resolveWorkerScript('heap profile', BUNDLED_WORKER_FILE, dir, path.join(dir, TRANSPILED_WORKER_FILE), isFile);
}
