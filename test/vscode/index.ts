/**
 * The extension-host suite's entry point: `run()` as @vscode/test-electron expects, so the same
 * suite runs in code-server here (runInCodeServer.ts) and in desktop VS Code elsewhere
 * (runInElectron.ts). MEMORY_WATCH_SUITE picks the files: "trusted" (default), "restricted"
 * (the workspace is untrusted), or "bench" (benchmarks measured in the extension host: bench/). The result is also written to MEMORY_WATCH_RESULT_FILE, as a
 * cross-check of the exit code the runner gets.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export const SUITE_START = '::memory-watch-suite-start::';
export const SUITE_END = '::memory-watch-suite-end::';

export async function run(): Promise<void> {
  const suite = process.env.MEMORY_WATCH_SUITE === 'restricted' || process.env.MEMORY_WATCH_SUITE === 'bench' ? process.env.MEMORY_WATCH_SUITE : 'trusted';
  // MEMORY_WATCH_GREP runs only the matching tests (while working on one).
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', grep: process.env.MEMORY_WATCH_GREP || undefined });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => (suite === 'trusted' ? !/^(restricted|bench)\./.test(f) : f.startsWith(`${suite}.`)))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const failures: string[] = [];
  let passed = 0;
  // Markers let the runner print the suite's output without the workbench's own logging.
  console.log(SUITE_START);
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => {
      console.log(SUITE_END);
      resolve();
    });
    runner.on('pass', () => passed++);
    runner.on('fail', (test, err) => failures.push(`${test.fullTitle()}: ${(err as Error).message}`));
  });
  const resultFile = process.env.MEMORY_WATCH_RESULT_FILE;
  if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ suite, files, passed, failures }, null, 2));
  if (failures.length || passed === 0) throw new Error(`${failures.length} of ${passed + failures.length} tests failed`);
}
