/**
 * "Memory Watch: Add FreeOSMemory Hook to This Program": writes memorywatch_hook.go (the agent's
 * protocol in one file, standard library only) into a `package main` folder the user picks,
 * after showing exactly what it will write.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { HOOK_FILE_NAME, HOOK_SOURCE, isPackageMain } from '../core/hook/template';
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
        provideTextDocumentContent: () => HOOK_SOURCE,
      }),
    );
  }

  /** Resolves with the path written, or undefined when cancelled or impossible. */
  async run(arg: AddHookArgument): Promise<string | undefined> {
    const folder = typeof arg?.folder === 'string' ? arg.folder : await this.pickFolder();
    if (!folder) return undefined;
    const target = vscode.Uri.file(path.join(folder, HOOK_FILE_NAME));
    const exists = await vscode.workspace.fs.stat(target).then(
      () => true,
      () => false,
    );
    if (arg?.confirmed !== true) {
      const preview = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${HOOK_FILE_NAME}` }));
      await vscode.languages.setTextDocumentLanguage(preview, 'go');
      await vscode.window.showTextDocument(preview, { preview: true });
      const write = exists ? 'Overwrite' : 'Write';
      const choice = await vscode.window.showInformationMessage(
        `${exists ? 'Replace' : 'Write'} ${HOOK_FILE_NAME} in ${vscode.workspace.asRelativePath(folder)}?`,
        {
          modal: true,
          detail:
            'The file shown: it listens on 127.0.0.1 (a free port) for Memory Watch — Go memory figures and FreeOSMemory on request — and calls debug.FreeOSMemory() on SIGUSR1. Standard library only; go.mod does not change. Rebuild and restart the program afterwards.',
        },
        write,
      );
      if (choice !== write) return undefined;
    }
    await vscode.workspace.fs.writeFile(target, Buffer.from(HOOK_SOURCE, 'utf8'));
    if (arg?.confirmed !== true) {
      await vscode.window.showTextDocument(target);
      void vscode.window.showInformationMessage(`Memory Watch: added ${HOOK_FILE_NAME}. Rebuild and restart the program: Memory Watch will find it by itself.`);
    }
    return target.fsPath;
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
      void vscode.window.showWarningMessage('Memory Watch: no `package main` folder in this workspace to add the hook to.');
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
