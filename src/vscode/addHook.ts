/**
 * "Memory Watch: Add FreeOSMemory Hook to This Program": writes memorywatch_hook.go (the agent's
 * protocol, standard library only) and its Unix-only SIGUSR1 companion into a `package main`
 * folder the user picks, after showing exactly what it will write.
 */
import fs = require('fs');
import path = require('path');
import vscode = require('vscode');
import { showInfo, showWarning } from './notify';
import { HOOK_FILE_NAME, HOOK_FILES, isPackageMain } from '../core/hook/template';
import { Disposable } from '../core/util/lifecycle';
import type { AddHookArgument } from './commandIds';
import { readFileStart } from '../core/util/smallFile';

const PREVIEW_SCHEME = 'memorywatch-preview';
const MAX_GO_FILES = 2000;


/**
 * `{ folder }` picks the folder without the list (a keybinding, another extension). It must be
 * inside a workspace folder, and the user is always shown the files and asked: a command can be
 * run by anything that can run commands (another extension, a command link), so no argument can
 * make it write without the user's yes. (An earlier `confirmed: true` did; it is now ignored.)
 */
export class AddHookCommand extends Disposable {
  constructor() {
    super();
    // The preview is a read-only document: nothing to save, nothing left dirty.
    this.register(
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, {
        provideTextDocumentContent: (uri) => HOOK_FILES.find((f) => `/${f.name}` === uri.path)?.source ?? '',
      }),
    );
  }

  /** Resolves with the path of memorywatch_hook.go once written, or undefined when cancelled or impossible. */
  async run(arg: AddHookArgument): Promise<string | undefined> {
    const folder = arg?.folder !== undefined ? await insideWorkspace(arg.folder) : await this.pickFolder();
    if (!folder) return undefined;
    const targets = HOOK_FILES.map((f) => ({ ...f, uri: vscode.Uri.file(path.join(folder, f.name)) }));
    const existing = await Promise.all(
      targets.map((t) =>
        vscode.workspace.fs.stat(t.uri).then(
          () => true,
          () => false,
        ),
      ),
    );
    const exists = existing.some(Boolean);
    const names = HOOK_FILES.map((f) => f.name).join(' and ');
    // The user sees exactly what will be written, then says yes — always (see AddHookArgument).
    // Last first, so the main file ends up in front; each stays open as a tab to read.
    for (const file of [...HOOK_FILES].reverse()) {
      const preview = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${file.name}` }));
      await vscode.languages.setTextDocumentLanguage(preview, 'go');
      await vscode.window.showTextDocument(preview, { preview: false });
    }
    const write = exists ? 'Overwrite' : 'Write';
    const choice = await showInfo(
      `${exists ? 'Replace' : 'Write'} ${names} in ${vscode.workspace.asRelativePath(folder)}?`,
      {
        modal: true,
        detail:
          'The files shown: they listen on 127.0.0.1 (a free port) for Memory Watch — Go memory figures and FreeOSMemory on request — and, on Unix, call debug.FreeOSMemory() on SIGUSR1. Standard library only; go.mod does not change. Rebuild and restart the program afterwards.',
      },
      write,
    );
    await closePreviews();
    if (choice !== write) return undefined;
    for (const t of targets) await vscode.workspace.fs.writeFile(t.uri, Buffer.from(t.source, 'utf8'));
    await vscode.window.showTextDocument(targets[0].uri);
    void showInfo(`Memory Watch: added ${names}. Rebuild and restart the program: Memory Watch will find it by itself.`);
    return targets.find((t) => t.name === HOOK_FILE_NAME)!.uri.fsPath;
  }

  /** Folders with a `package main`, the active editor's first. */
  private async pickFolder(): Promise<string | undefined> {
    const files = await vscode.workspace.findFiles('**/*.go', '**/{vendor,node_modules,testdata,.git}/**', MAX_GO_FILES);
    const folders = new Set<string>();
    for (const file of files) {
      if (file.path.endsWith('_test.go') || folders.has(path.dirname(file.fsPath))) continue;
      // The package clause is at the top; a FIFO or a huge file named *.go is skipped, not waited on.
      const text = await readFileStart(file.fsPath, 8192).catch(() => '');
      if (isPackageMain(text)) folders.add(path.dirname(file.fsPath));
    }
    if (folders.size === 0) {
      void showWarning('Memory Watch: no `package main` folder in this workspace to add the hook to.');
      return undefined;
    }
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    const items = [...folders]
      .sort((a, b) => Number(active ? b === path.dirname(active) : 0) - Number(active ? a === path.dirname(active) : 0) || a.localeCompare(b))
      .map((f) => ({ label: vscode.workspace.asRelativePath(f) || path.basename(f), description: f, folder: f }));
    const picked = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Add FreeOSMemory Hook to…', placeHolder: 'A folder with package main' });
    return picked?.folder;
  }
}

/** The folder, real path, when it is a directory inside a workspace folder; else says why and undefined. */
async function insideWorkspace(folder: unknown): Promise<string | undefined> {
  if (typeof folder !== 'string' || !folder.trim()) {
    void showWarning('Memory Watch: Add FreeOSMemory Hook needs { folder: "<path>" } — a folder of the workspace.');
    return undefined;
  }
  const real = await fs.promises.realpath(folder).catch(() => undefined);
  const stat = real ? await fs.promises.stat(real).catch(() => undefined) : undefined;
  if (!real || !stat?.isDirectory()) {
    void showWarning(`Memory Watch: ${folder} is not a folder.`);
    return undefined;
  }
  for (const wf of vscode.workspace.workspaceFolders ?? []) {
    const root = await fs.promises.realpath(wf.uri.fsPath).catch(() => undefined);
    if (root && (real === root || real.startsWith(root + path.sep))) return real;
  }
  void showWarning(`Memory Watch: not adding the hook to ${folder}: it is not inside a folder of this workspace.`);
  return undefined;
}

/** Closes the read-only previews the question showed, whatever the answer. */
async function closePreviews(): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === PREVIEW_SCHEME);
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
