/**
 * The status bar item: RSS of the current watch, hidden when nothing is watched, a warning
 * background above the threshold, click to open the graph.
 */
import vscode = require('vscode');
import { Disposable } from '../core/util/lifecycle';
import { Throttle } from '../core/util/throttle';
import { StatusWarnings, summarizeForStatusBar } from '../core/statusSummary';
import { WatchRegistry } from '../core/watchRegistry';
import { CommandId } from './commandIds';
import { SettingsService } from './config';

export const STATUS_BAR_ITEM_ID = 'memoryWatch.status';
/** How often, at most, samples update the item. */
const UPDATE_EVERY_MS = 1000;

export class MemoryStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private warnings: StatusWarnings;
  /**
   * Samples may come ten times a second; the item follows them once a second at most (nobody reads
   * a number that changes faster, and each change is a message to the workbench). Changes of state
   * — a new watch, an exit — show at once.
   */
  private readonly throttle = this.register(new Throttle(UPDATE_EVERY_MS, () => this.render()));
  /** What was last handed to the item: each property set is a message to the workbench. */
  private shown = { text: '', tooltip: '', warning: false, label: '', visible: false };

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
    this.register(
      registry.onDidSample(({ watch }) => {
        if (watch === registry.current) this.throttle.soon();
      }),
    );
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
    this.throttle.now();
  }

  private render(): void {
    const watch = this.registry.current;
    if (!watch) {
      if (this.shown.visible) this.item.hide();
      this.shown.visible = false;
      return;
    }
    const others = this.registry.list().filter((w) => w !== watch && w.state === 'running').length;
    const summary = summarizeForStatusBar(watch, Date.now(), this.warnings, others);
    if (summary.text !== this.shown.text) this.item.text = this.shown.text = summary.text;
    const tooltipText = summary.tooltip.join('  \n');
    if (tooltipText !== this.shown.tooltip) {
      this.shown.tooltip = tooltipText;
      const tooltip = new vscode.MarkdownString(tooltipText);
      // Plain Markdown only: no command links, no HTML, no icons (the target's text is in it, escaped).
      tooltip.isTrusted = false;
      tooltip.supportHtml = false;
      tooltip.supportThemeIcons = false;
      this.item.tooltip = tooltip;
    }
    if (summary.warning !== this.shown.warning) {
      this.shown.warning = summary.warning;
      this.item.backgroundColor = summary.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    const label = `Memory Watch: ${summary.warning ? 'warning, ' : ''}${summary.text.replace(/^\$\((pulse|warning)\) /, '')}, ${watch.info.name} PID ${watch.pid}`;
    if (label !== this.shown.label) this.item.accessibilityInformation = { label: (this.shown.label = label) };
    if (!this.shown.visible) this.item.show();
    this.shown.visible = true;
  }
}
