/**
 * What VS Code loads (package.json "main"): a few lines that load the extension's bundle,
 * dist/extension.js, with a V8 code cache in the extension's global storage, then activate it.
 * Most of activating was V8 compiling the bundle (src/core/util/codeCache.ts).
 */
import path = require('path');
import type * as vscode from 'vscode';
import { CachedModule, loadCachedModule } from './core/util/codeCache';
import type * as extension from './extension';

/** The cache is written this long after activation: the functions compiled by then are in it, and startup is over. */
const WRITE_CACHE_AFTER_MS = 10_000;

let loaded: CachedModule<typeof extension> | undefined;

export function activate(context: vscode.ExtensionContext): ReturnType<typeof extension.activate> {
  // Global storage is on the extension host's disk, except in a web extension host (no file system).
  const storage = context.globalStorageUri;
  const cacheDir = storage.scheme === 'file' ? path.join(storage.fsPath, 'code-cache') : undefined;
  loaded = loadCachedModule<typeof extension>(path.join(__dirname, 'extension.js'), cacheDir, module);
  const api = loaded.exports.activate(context);
  if (loaded.cache !== 'used' && loaded.cache !== 'off') {
    const bundle = loaded;
    const timer = setTimeout(() => void bundle.writeCache(), WRITE_CACHE_AFTER_MS);
    context.subscriptions.push({ dispose: () => clearTimeout(timer) });
  }
  return api;
}

export function deactivate(): void {
  loaded?.exports.deactivate();
}
