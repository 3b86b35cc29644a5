/**
 * Runs the same extension-host suite in desktop VS Code, downloaded by @vscode/test-electron —
 * for machines that can reach VS Code's download site (a contributor's laptop). CI here cannot,
 * and uses runInCodeServer.ts instead.
 *   node out/test/vscode/runInElectron.js [trusted|restricted]
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const suite = process.argv[2] === 'restricted' ? 'restricted' : 'trusted';
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-electron-'));
  fs.mkdirSync(path.join(workspace, '.vscode'));
  const resultFile = path.join(workspace, 'result.json');
  const code = await runTests({
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: path.join(__dirname, 'index.js'),
    launchArgs: [workspace, '--disable-extensions', ...(suite === 'trusted' ? ['--disable-workspace-trust'] : [])],
    extensionTestsEnv: { MEMORY_WATCH_SUITE: suite, MEMORY_WATCH_RESULT_FILE: resultFile, MEMORY_WATCH_WORKSPACE: workspace },
  });
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
