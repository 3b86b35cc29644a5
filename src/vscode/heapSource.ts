/**
 * From a heap profile's file names to editors: maps them to this disk (core/heap/pathMapping,
 * with the workspace's Go files from `workspace.findFiles`, GOROOT and GOMODCACHE from `go env`),
 * and opens a row's line. Only a file whose real path is inside a workspace folder opens as
 * itself; every other file (the Go installation, the module cache, anything a profile names
 * outside the workspace) opens read-only, through a content provider of our own scheme: its
 * documents cannot be saved, so a click in the heap view never leads to changing /etc/passwd or
 * the standard library. Where a file leads is asked again at the click: links change.
 */
import { promises as fsp } from 'fs';
import path = require('path');
import vscode = require('vscode');
import { formatBytes } from '../shared/format';
import { createRealPathContext, mapProfilePath, neverOpenedRoot, PathContext, ProfilePathKind, ProfilePathMapping, readGoEnv, realPathFs, resolveLocalFile } from '../core/heap';
import { guessGoroot } from '../core/heap/goroot';
import { locationKey, ProfileLocation } from '../core/heap/viewModel';
import { Disposable } from '../core/util/lifecycle';

/** The scheme of read-only source documents (Go installation, module cache). */
export const READ_ONLY_SOURCE_SCHEME = 'memorywatch-source';
/** Workspace files indexed for the suffix match (findFiles' bound). */
const MAX_WORKSPACE_FILES = 20_000;
/** Mappings kept across refreshes (a profile lists at most ~1000 locations). */
const MAX_CACHED_MAPPINGS = 5000;
/** A Go source file larger than this is not shown read-only (nothing in GOROOT comes close). */
const MAX_READ_ONLY_BYTES = 16 * 1024 * 1024;

/** How the notice names the place of a file opened read-only; the workspace's own files are not. */
const READ_ONLY_PLACES: Record<Exclude<ProfilePathKind, 'none'>, string | undefined> = {
  workspace: undefined,
  goroot: 'the Go installation',
  modcache: 'the module cache',
  external: 'outside the workspace',
};

export class HeapSourceLocator extends Disposable {
  private context?: Promise<PathContext>;
  private goEnv?: Promise<{ goroot?: string; gomodcache?: string }>;
  /** GOROOT as a profile's files showed it (no `go` on PATH): a fact of this machine, kept across contexts. */
  private guessedGoroot?: string;
  private readonly cache = new Map<string, ProfilePathMapping>();
  /** Files opened read-only: the content provider serves these and nothing else. */
  private readonly readOnlyFiles = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(READ_ONLY_SOURCE_SCHEME, { provideTextDocumentContent: (uri) => this.readOnlyContent(uri) }));
    // A new folder or Go file can make a path map that did not (or map elsewhere): start over.
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.invalidate()));
    this.register(vscode.workspace.onDidCreateFiles((e) => e.files.some((f) => /\.go$|\/go\.(mod|work)$/.test(f.path)) && this.invalidate()));
    // A folder deleted or renamed may have held any of them.
    this.register(vscode.workspace.onDidDeleteFiles(() => this.invalidate()));
    this.register(vscode.workspace.onDidRenameFiles(() => this.invalidate()));
  }

  /** The workspace folders, as local paths. */
  workspaceFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** Maps each location (cached by function, file and line); never rejects. */
  async map(locations: readonly ProfileLocation[]): Promise<Map<string, ProfilePathMapping>> {
    const out = new Map<string, ProfilePathMapping>();
    let context: PathContext | undefined;
    for (const location of locations) {
      const key = locationKey(location);
      let mapping = this.cache.get(key);
      if (!mapping) {
        try {
          context ??= await this.pathContext(locations);
          mapping = await mapProfilePath(location.file, location.line, context, location.functionName);
        } catch (err) {
          mapping = { kind: 'none', readOnly: true, reason: `the file could not be looked for (${(err as Error).message})` };
        }
        if (this.cache.size >= MAX_CACHED_MAPPINGS) this.cache.clear();
        this.cache.set(key, mapping);
      }
      out.set(key, mapping);
    }
    return out;
  }

  /**
   * Opens `mapping`'s file with the cursor on `line` (selected), beside `besideColumn`. Resolves
   * with a sentence for the view: what was opened, or why nothing was.
   */
  async open(mapping: ProfilePathMapping, line: number, what: string, besideColumn: vscode.ViewColumn | undefined): Promise<string> {
    if (mapping.kind === 'none' || !mapping.fsPath) return `No local source for ${what}: ${mapping.reason ?? 'no file matches'}.`;
    // The mapping may be minutes old: a link on the way may lead elsewhere now.
    const local = await resolveLocalFile(mapping.fsPath, await this.pathContext([]));
    // Then the rows' mappings are stale too: mapped again at the view's next update.
    if ('refused' in local || local.kind !== mapping.kind || local.fsPath !== mapping.fsPath) this.cache.clear();
    if ('refused' in local) return `Not opened: ${local.refused}.`;
    const file = local.fsPath;
    let uri = vscode.Uri.file(file);
    if (local.kind !== 'workspace') {
      this.readOnlyFiles.add(uri.fsPath);
      uri = uri.with({ scheme: READ_ONLY_SOURCE_SCHEME });
    }
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      const index = Math.min(Math.max(line - 1, 0), Math.max(document.lineCount - 1, 0));
      // The cursor at the statement, not the whole line selected: a long line would scroll the
      // editor sideways, away from its start.
      const column = document.lineAt(index).firstNonWhitespaceCharacterIndex;
      const selection = new vscode.Range(index, column, index, column);
      // The editor goes next to the heap view, not over it.
      const viewColumn = besideColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      const editor = await vscode.window.showTextDocument(document, { viewColumn, selection, preview: true });
      editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      const where = READ_ONLY_PLACES[local.kind];
      const caveat = mapping.reason ? ` — ${mapping.reason}` : '';
      return `Opened ${path.basename(file)}:${index + 1}${where ? `, read-only (${where})` : ''}${caveat}.`;
    } catch (err) {
      this.log.warn(`Heap view: could not open ${file}: ${(err as Error).message}`);
      return `Could not open ${file}: ${(err as Error).message}`;
    }
  }

  private invalidate(): void {
    this.context = undefined;
    this.cache.clear();
  }

  private pathContext(locations: readonly ProfileLocation[]): Promise<PathContext> {
    this.context ??= (async () => {
      this.goEnv ??= readGoEnv();
      const [files, goEnv] = await Promise.all([vscode.workspace.findFiles('**/{*.go,go.mod,go.work}', '**/{node_modules,.git,vendor}/**', MAX_WORKSPACE_FILES), this.goEnv]);
      // Without a `go` on PATH, the profile's standard library files say where GOROOT is (if it
      // is here): its files stay read-only.
      this.guessedGoroot ??= goEnv.goroot ? undefined : await guessGoroot(locations, realPathFs);
      const goroot = goEnv.goroot ?? this.guessedGoroot;
      this.log.info(`Heap view: GOROOT ${goroot ?? 'unknown'}${goEnv.goroot ? '' : goroot ? ' (from the profile)' : ''}, module cache ${goEnv.gomodcache ?? 'unknown'}.`);
      const context = await createRealPathContext({ workspaceFolders: this.workspaceFolders(), workspaceFiles: files.filter((f) => f.scheme === 'file').map((f) => f.fsPath), goroot, gomodcache: goEnv.gomodcache });
      for (const problem of context.problems.slice(0, 10)) this.log.info(`Heap view, source paths: ${problem}`);
      return context;
    })();
    return this.context;
  }

  private async readOnlyContent(uri: vscode.Uri): Promise<string> {
    const file = uri.fsPath;
    if (!this.readOnlyFiles.has(file)) return '// Memory Watch shows only source files named by a heap profile here.\n';
    try {
      // Checked at the click; checked again here, as VS Code may read the document again later.
      const root = neverOpenedRoot(await fsp.realpath(file));
      if (root) return `// ${file} leads into ${root}: not shown.\n`;
      const stat = await fsp.stat(file);
      if (!stat.isFile() || stat.size > MAX_READ_ONLY_BYTES) return `// ${file} is not a source file of at most ${formatBytes(MAX_READ_ONLY_BYTES)}.\n`;
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      return `// ${file} could not be read: ${(err as Error).message}\n`;
    }
  }
}
