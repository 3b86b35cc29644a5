/**
 * "Memory Watch: Add FreeOSMemory Hook to This Program": writes memorywatch_hook.go (the agent's
 * protocol, standard library only) and its Unix-only SIGUSR1 companion into a `package main`
 * folder the user picks, after showing exactly what it will write.
 */
import path = require('path');
import vscode = require('vscode');
import { showInfo, showWarning } from './notify';
import { planHook, resolveHookFolder, writeHook } from '../core/hook/place';
import { hookFolderRow } from '../core/pickItems';
import { HOOK_FILES, isPackageMain } from '../core/hook/template';
import { Disposable } from '../core/util/lifecycle';
import type { AddHookArgument } from './commandIds';
import { readFileStart } from '../core/util/boundedFile';

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
    const roots = workspaceRoots();
    const folder = arg?.folder !== undefined ? await insideWorkspace(arg.folder, roots) : await this.pickFolder(roots);
    if (!folder) return undefined;
    // A hook file that is a link (to anything, or dangling) is refused before the question: "Overwrite" would write through it.
    const plan = await planHook(folder);
    if (!plan.ok) {
      void showWarning(`Memory Watch: not adding the hook to ${vscode.workspace.asRelativePath(folder)}: ${plan.reason}.`);
      return undefined;
    }
    const exists = plan.existing.length > 0;
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
    // Checked again: the folder or a file may have become a link while the question was open.
    const written = await writeHook(folder, roots, exists ? 'replace' : 'create');
    if (!written.ok) {
      void showWarning(`Memory Watch: did not add the hook: ${written.reason}.`);
      return undefined;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(written.file));
    void showInfo(`Memory Watch: added ${names}. Rebuild and restart the program: Memory Watch will find it by itself.`);
    return written.file;
  }

  /** Folders with a `package main` whose real path is inside the workspace, the active editor's first. */
  private async pickFolder(roots: readonly string[]): Promise<string | undefined> {
    const files = await vscode.workspace.findFiles('**/*.go', '**/{vendor,node_modules,testdata,.git}/**', MAX_GO_FILES);
    const seen = new Set<string>();
    // Real path → the path the user knows it by (VS Code's search follows links).
    const folders = new Map<string, string>();
    const outside: string[] = [];
    for (const file of files) {
      const dir = path.dirname(file.fsPath);
      if (file.path.endsWith('_test.go') || seen.has(dir)) continue;
      // The package clause is at the top; a FIFO or a huge file named *.go is skipped, not waited on.
      const text = await readFileStart(file.fsPath, 8192).catch(() => '');
      if (!isPackageMain(text)) continue;
      seen.add(dir);
      // A folder reached through a link leading out of the workspace is not offered at all.
      const resolved = await resolveHookFolder(dir, roots);
      if (!resolved.ok) outside.push(vscode.workspace.asRelativePath(dir));
      else if (!folders.has(resolved.folder)) folders.set(resolved.folder, dir);
    }
    if (folders.size === 0) {
      const skipped = outside.length ? ` (${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', …' : ''}: a symbolic link leads outside it)` : '';
      void showWarning(`Memory Watch: no \`package main\` folder inside this workspace to add the hook to${skipped}.`);
      return undefined;
    }
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    const isActive = (dir: string) => (active ? dir === path.dirname(active) : false);
    const items = [...folders]
      .map(([real, dir]) => ({ real, dir }))
      .sort((a, b) => Number(isActive(b.dir)) - Number(isActive(a.dir)) || a.dir.localeCompare(b.dir))
      .map(({ real, dir }) => ({ ...hookFolderRow(vscode.workspace.asRelativePath(dir) || path.basename(dir), real), folder: real }));
    const picked = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { title: 'Add FreeOSMemory Hook to…', placeHolder: 'A folder with package main' });
    return picked?.folder;
  }
}

/** The real paths of the workspace's folders on this machine. */
function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((wf) => wf.uri.scheme === 'file').map((wf) => wf.uri.fsPath);
}

/** The folder's real path when it is a directory inside a workspace folder; else says why and undefined. */
async function insideWorkspace(folder: unknown, roots: readonly string[]): Promise<string | undefined> {
  if (typeof folder !== 'string' || !folder.trim()) {
    void showWarning('Memory Watch: Add FreeOSMemory Hook needs { folder: "<path>" } — a folder of the workspace.');
    return undefined;
  }
  const resolved = await resolveHookFolder(folder, roots);
  if (resolved.ok) return resolved.folder;
  void showWarning(`Memory Watch: not adding the hook: ${resolved.reason}.`);
  return undefined;
}

/** Closes the read-only previews the question showed, whatever the answer. */
async function closePreviews(): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === PREVIEW_SCHEME);
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
