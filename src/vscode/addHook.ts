/**
 * "Memory Watch: Add FreeOSMemory Hook to This Program": writes memorywatch_hook.go (the agent's
 * protocol, standard library only) and its Unix-only SIGUSR1 companion into a `package main`
 * folder the user picks, after showing exactly what it will write.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { showInfo, showWarning } from './notify';
import { HOOK_FILE_NAME, HOOK_FILES, isPackageMain } from '../core/hook/template';
import { Disposable } from '../core/util/lifecycle';

const PREVIEW_SCHEME = 'memorywatch-preview';
const MAX_GO_FILES = 2000;

/** `{ folder }` picks the folder without the list; `confirmed: true` skips the question (automation). */
export type AddHookArgument = { folder?: unknown; confirmed?: unknown } | undefined;

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
    const folder = typeof arg?.folder === 'string' ? arg.folder : await this.pickFolder();
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
    if (arg?.confirmed !== true) {
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
    }
    for (const t of targets) await vscode.workspace.fs.writeFile(t.uri, Buffer.from(t.source, 'utf8'));
    if (arg?.confirmed !== true) {
      await vscode.window.showTextDocument(targets[0].uri);
      void showInfo(`Memory Watch: added ${names}. Rebuild and restart the program: Memory Watch will find it by itself.`);
    }
    return targets.find((t) => t.name === HOOK_FILE_NAME)!.uri.fsPath;
  }

  /** Folders with a `package main`, the active editor's first. */
  private async pickFolder(): Promise<string | undefined> {
    const files = await vscode.workspace.findFiles('**/*.go', '**/{vendor,node_modules,testdata,.git}/**', MAX_GO_FILES);
    const folders = new Set<string>();
    for (const file of files) {
      if (file.path.endsWith('_test.go') || folders.has(path.dirname(file.fsPath))) continue;
      const text = Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8', 0, 8192);
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

/** Closes the read-only previews the question showed, whatever the answer. */
async function closePreviews(): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === PREVIEW_SCHEME);
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
