/**
 * The status bar item: RSS of the current watch, hidden when nothing is watched, a warning
 * background above the threshold, click to open the graph.
 */
import * as vscode from 'vscode';
import { Disposable } from '../core/util/lifecycle';
import { StatusWarnings, summarizeForStatusBar } from '../core/statusSummary';
import { WatchRegistry } from '../core/watchRegistry';
import { CommandId } from './commandIds';
import { SettingsService } from './config';

export const STATUS_BAR_ITEM_ID = 'memoryWatch.status';

export class MemoryStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private warnings: StatusWarnings;

  constructor(
    private readonly registry: WatchRegistry,
    settings: SettingsService,
  ) {
    super();
    const read = (): StatusWarnings => ({ rssBytes: settings.value.rssWarningBytes, containerShare: settings.value.containerWarningShare });
    this.warnings = read();
    this.register(
      settings.onDidChange(() => {
        this.warnings = read();
        this.update();
      }),
    );
    this.item = this.register(vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 10));
    this.item.name = 'Memory Watch';
    this.item.command = CommandId.ShowGraph;
    this.register(registry.onDidChange(() => this.update()));
    this.register(registry.onDidSample(({ watch }) => watch === registry.current && this.update()));
    this.update();
  }

  /** What the item shows now (for the API and tests). */
  describe(): { visible: boolean; text: string; tooltip: string } {
    const tooltip = this.item.tooltip;
    return {
      visible: this.registry.current !== undefined,
      text: this.item.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
    };
  }

  private update(): void {
    const watch = this.registry.current;
    if (!watch) {
      this.item.hide();
      return;
    }
    const others = this.registry.list().filter((w) => w !== watch && w.state === 'running').length;
    const summary = summarizeForStatusBar(watch, Date.now(), this.warnings, others);
    this.item.text = summary.text;
    const tooltip = new vscode.MarkdownString(summary.tooltip.join('  \n'));
    // Plain Markdown only: no command links, no HTML, no icons (the target's text is in it, escaped).
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    tooltip.supportThemeIcons = false;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = summary.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const text = summary.text.replace(/^\$\((pulse|warning)\) /, '');
    this.item.accessibilityInformation = { label: `Memory Watch: ${summary.warning ? 'warning, ' : ''}${text}, ${watch.info.name} PID ${watch.pid}` };
    this.item.show();
  }
}
