/**
 * Inline hints in the editor while a heap view is open: at the end of each top allocation line,
 * "▲ 24.0 MiB in use, +16.0 MiB" — a decoration's `after` text, not a CodeLens, so the code does
 * not move. Only in workspace files a profile's path mapped to exactly (never in a read-only
 * document); cleared when the view closes or `memoryWatch.heapProfile.inlineHints` is off.
 */
import vscode = require('vscode');
import { Disposable } from '../core/util/lifecycle';

/** One hint: a line (1-based) of a local file, and its text. */
export interface HeapHint {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export class HeapHints extends Disposable {
  private readonly decoration = this.register(
    vscode.window.createTextEditorDecorationType({
      after: {
        color: new vscode.ThemeColor('editorInlayHint.foreground'),
        backgroundColor: new vscode.ThemeColor('editorInlayHint.background'),
        margin: '0 0 0 2em',
        fontStyle: 'italic',
      },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  private wanted: readonly HeapHint[] = [];
  /** What is set now, per editor document (for the API and the tests). */
  private applied: HeapHint[] = [];

  constructor(private readonly enabled: () => boolean) {
    super();
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.apply()));
    // Edits move lines: the hints follow the next profile, and vanish from a line that no longer exists.
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.wanted.length && e.contentChanges.length && this.apply()));
  }

  /** The hints to show (replaces the previous ones). */
  set(hints: readonly HeapHint[]): void {
    this.wanted = hints;
    this.apply();
  }

  clear(): void {
    this.set([]);
  }

  /** The hints set in visible editors now. */
  get current(): readonly HeapHint[] {
    return this.applied;
  }

  /** The setting changed. */
  refresh(): void {
    this.apply();
  }

  override dispose(): void {
    this.wanted = [];
    this.applied = [];
    super.dispose();
  }

  private apply(): void {
    const on = this.enabled();
    const byFile = new Map<string, HeapHint[]>();
    if (on) {
      for (const hint of this.wanted) {
        const list = byFile.get(hint.file);
        if (list) list.push(hint);
        else byFile.set(hint.file, [hint]);
      }
    }
    const applied: HeapHint[] = [];
    const seen = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      const { uri } = editor.document;
      // Workspace files only, which open as themselves: never our read-only documents of other files.
      const hints = uri.scheme === 'file' ? (byFile.get(uri.fsPath) ?? []) : [];
      const options: vscode.DecorationOptions[] = [];
      for (const hint of hints) {
        if (hint.line < 1 || hint.line > editor.document.lineCount) continue;
        const end = editor.document.lineAt(hint.line - 1).range.end;
        options.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: hint.text } } });
        // The same file in two editors is one hint.
        if (!seen.has(`${hint.file}:${hint.line}`)) applied.push(hint);
        seen.add(`${hint.file}:${hint.line}`);
      }
      editor.setDecorations(this.decoration, options);
    }
    this.applied = applied;
  }
}
