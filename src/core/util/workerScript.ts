/**
 * Where a child-process task's script is. The extension is one esbuild bundle (dist/extension.js)
 * with each task beside it (dist/heapTask.js, dist/recordingTask.js, dist/historyTask.js); the
 * tests run files transpiled one by one, where a task is the module's own task.js. Checked once
 * per session.
 */
import fs = require('fs');
import path = require('path');

const resolved = new Map<string, string>();

/**
 * The script's absolute path: `<bundleDir>/<bundledName>` (bundle), else `transpiledPath`. Throws an
 * Error naming both places when neither exists (a build step was skipped).
 */
export function resolveWorkerScript(what: string, bundledName: string, bundleDir: string, transpiledPath: string, isFile: (file: string) => boolean = isRegularFile): string {
  const key = `${bundleDir}\n${bundledName}\n${transpiledPath}`;
  const cached = resolved.get(key);
  if (cached) return cached;
  const candidates = [path.join(bundleDir, bundledName), transpiledPath];
  const found = candidates.find(isFile);
  if (!found) throw new Error(`The ${what} task is missing: neither ${candidates.join(' nor ')} exists. Rebuild the extension (node scripts/build.mjs).`);
  if (isFile === isRegularFile) resolved.set(key, found);
  return found;
}

function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
