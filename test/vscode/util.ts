/** Helpers for tests that run inside VS Code's extension host. */
import * as path from 'path';
import * as vscode from 'vscode';
import type { MemoryWatchApi } from '../../src/extension';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const EXTENSION_ID = 'memorywatch.memory-watch';

/** Activates the extension under test and returns its API. */
export async function getApi(): Promise<MemoryWatchApi> {
  const extension = vscode.extensions.getExtension<MemoryWatchApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return extension.activate();
}

/** Sets a memoryWatch setting in user settings (undefined removes it) and waits until VS Code reports it. */
export async function setSetting(key: string, value: unknown, target = vscode.ConfigurationTarget.Global): Promise<void> {
  await vscode.workspace.getConfiguration('memoryWatch').update(key, value, target);
}

/** Detaches every watch: each test starts from nothing. */
export async function detachAll(api: MemoryWatchApi): Promise<void> {
  for (const w of api.watches()) await vscode.commands.executeCommand('memoryWatch.detach', { watchId: w.id });
}
