/**
 * Driving the VS Code workbench (code-server in Chromium) the way a person does: keyboard and
 * mouse only, reading what is on screen. Every wait polls a condition with a deadline.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FrameLocator, Locator, Page } from 'playwright-core';

export const EXTENSION_ID = 'memorywatch.memory-watch';

export class Workbench {
  private shot = 0;

  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {
    fs.mkdirSync(screenshotDir, { recursive: true });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
  }

  /** Saves a numbered screenshot of the whole window. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotDir, `${String(++this.shot).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * Runs a command from the palette by its title. Any step may need a second try: right after load
   * the extension host may not have registered our commands yet ("No matching commands"), and
   * when focus is inside a webview (after a click on its button) the palette can open and close
   * again at once. Each attempt has short deadlines; a failed one closes the palette and starts over
   * until the overall deadline.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const input = this.quickInput;
    const row = this.quickPickRow(title);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(`>${title}`, { timeout: 5000 });
        await row.waitFor({ state: 'visible', timeout: 3000 });
        await this.page.keyboard.press('Enter');
        return;
      } catch (err) {
        await this.page.keyboard.press('Escape').catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`command "${title}" could not be run from the palette after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
        console.log(`      (palette attempt ${attempt} for "${title}" failed, trying again: ${(err as Error).message.split('\n')[0]})`);
      }
    }
  }

  /** Waits until a quick pick titled `title` is open and its input takes typing. */
  async waitForQuickPick(title: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 20_000 });
    await this.quickInput.waitFor({ state: 'visible', timeout: 10_000 });
  }

  /**
   * Runs `command`, waits for its quick pick titled `title`, and types `value` into it. If the
   * picker closes before taking the text (code-server's reconnect dialog, seen on a loaded machine,
   * makes the workbench inert for a moment), it starts over, until the deadline.
   */
  async typeIntoQuickPick(command: string, title: string, value: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.runCommand(command);
      try {
        await this.waitForQuickPick(title);
        await this.quickInput.fill(value, { timeout: 5000 });
        return;
      } catch (err) {
        await this.screenshot('retry-quick-pick').catch(() => undefined);
        console.log(`      (quick pick "${title}" did not take the text, trying again: ${(err as Error).message.split('\n')[0]})`);
        await this.page.keyboard.press('Escape').catch(() => undefined);
        if (Date.now() > deadline) throw err;
      }
    }
  }

  /** The quick pick's input and rows (for our attach picker). */
  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget input');
  }

  quickPickRow(text: string | RegExp): Locator {
    return this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  }

  /** Our status bar item. */
  get statusItem(): Locator {
    return this.page.locator(`#workbench\\.parts\\.statusbar [id="${EXTENSION_ID}.memoryWatch.status"]`);
  }

  /** The graph webview's document (two nested iframes): the editor panel, not the sidebar view. */
  get graph(): FrameLocator {
    return this.page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]:not([src*="purpose=webviewView"])`).frameLocator('#active-frame');
  }

  /** The Memory view in the Run and Debug sidebar (a webview view). */
  get debugView(): FrameLocator {
    return this.page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"][src*="purpose=webviewView"]`).frameLocator('#active-frame');
  }

  /** Hovers over our status bar item and returns its tooltip's text (what a person reads). */
  async statusTooltip(): Promise<string> {
    await this.statusItem.hover();
    const hover = this.page.locator('.monaco-hover').first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    const text = await hover.innerText();
    // Away from the graph too (its own hover would show in the next screenshot).
    await this.page.mouse.move(150, 400);
    return text;
  }

  /**
   * Answers VS Code's own save dialog (the simple file dialog) with a path. The dialog fills in
   * its starting folder and file name a moment after it opens, in steps: wait for it to settle,
   * replace it, wait for that to settle, accept; if it did not take, try again.
   */
  async answerFileDialog(file: string): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    // The pointer away from the dialog's list: hovering an entry makes it active, and the
    // dialog then writes that entry's path into the box (the button clicked sits right under it).
    await this.page.mouse.move(700, 880);
    const dialog = await this.quickInput.getAttribute('aria-label');
    const settled = async (want?: string) => {
      let last = '';
      let same = 0;
      await until(
        async () => {
          const value = await this.quickInput.inputValue();
          same = value === last && value.length > 0 ? same + 1 : 0;
          last = value;
          return same >= 2 && (want === undefined || value === want);
        },
        (v) => v,
        'the dialog to settle',
        10_000,
        200,
      );
    };
    for (let attempt = 1; ; attempt++) {
      await settled();
      await this.quickInput.focus();
      await this.page.keyboard.press('ControlOrMeta+A');
      await this.page.keyboard.insertText(file);
      try {
        await settled(file);
      } catch (err) {
        if (attempt >= 3) throw err;
        continue;
      }
      await this.page.keyboard.press('Enter');
      // Gone, or another question in its place (the next step's quick pick).
      await until(async () => !(await this.quickInput.isVisible()) || (await this.quickInput.getAttribute('aria-label')) !== dialog, (v) => v, 'the file dialog to close', 15_000);
      return;
    }
  }

  /** A notification toast whose text matches. */
  notification(text: RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  }

  async dismissNotifications(): Promise<void> {
    const toasts = this.page.locator('.notifications-toasts .notification-toast');
    for (let i = await toasts.count(); i > 0; i--) {
      await this.page.keyboard.press('Escape').catch(() => undefined);
    }
    // "Clear all notifications" works whether or not a toast has focus.
    await this.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
  }
}

/** Polls `read` until `check` accepts its value. */
export async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch {
      // Not there yet (a frame reloading, an element not rendered).
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether box `b` (page coordinates, null when not shown) lies within `outer`, give or take a pixel of rounding. */
export function insideBox<B extends { x: number; y: number; width: number; height: number }>(b: B | null, outer: { x: number; y: number; width: number; height: number }): b is B {
  return !!b && b.x >= outer.x - 1 && b.x + b.width <= outer.x + outer.width + 1 && b.y >= outer.y - 1 && b.y + b.height <= outer.y + outer.height + 1;
}

/** "118.7 MiB" → bytes. */
export function parseSize(text: string): number {
  const m = /([\d.]+)\s*(B|KiB|MiB|GiB)/.exec(text);
  if (!m) return NaN;
  const factor = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] as 'B'];
  return Number(m[1]) * factor;
}
