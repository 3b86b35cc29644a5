/**
 * The test-only debug type "memorywatch-test-dlv" (test/vscode/delve-adapter): packaged and
 * installed into a code-server state folder like any extension, so VS Code registers its debugger
 * (and with it, breakpoints in Go files).
 */
import * as path from 'path';
import { installVsix } from '../../scripts/harness/codeServer';
import { REPO_ROOT } from '../../scripts/harness/tools';
import { packageVsix } from '../../scripts/harness/package';

export async function installTestDelveAdapter(stateDir: string, scratchDir: string): Promise<void> {
  const vsix = path.join(scratchDir, 'memory-watch-test-delve.vsix');
  packageVsix(vsix, { cwd: path.join(REPO_ROOT, 'test', 'vscode', 'delve-adapter'), extraArgs: ['--skip-license'] });
  await installVsix(stateDir, vsix);
}
