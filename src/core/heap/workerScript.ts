/**
 * Where the heap profile task's script is. The extension is one esbuild bundle (dist/extension.js)
 * with the task beside it as dist/heapTask.js; the tests run files transpiled one by one, where
 * the task is out/src/core/heap/task.js, next to this module.
 */
import path = require('path');
import { resolveWorkerScript } from '../util/workerScript';

/** The task's file name in the bundled layout (scripts/build.mjs writes it). */
export const BUNDLED_TASK_FILE = 'heapTask.js';
/** Its file name in the transpiled layout (this folder). */
export const TRANSPILED_TASK_FILE = 'task.js';

/**
 * The task script's absolute path: `<dir>/heapTask.js` (bundle) or `<dir>/task.js` (transpiled),
 * where `dir` is this module's folder at run time (dist/ once bundled). Throws an Error naming both
 * places when neither exists (a build step was skipped).
 */
export function resolveHeapTaskScript(dir: string = __dirname, isFile?: (file: string) => boolean): string {
  return resolveWorkerScript('heap profile', BUNDLED_TASK_FILE, dir, path.join(dir, TRANSPILED_TASK_FILE), isFile);
}
