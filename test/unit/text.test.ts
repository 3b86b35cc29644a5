/**
 * Text from a target is plain text on every VS Code surface. The patterns below are VS Code's own
 * (code-server 4.139.1, vs/base/common/linkedText.ts and iconLabels.ts); test/integration/
 * vscodePatterns.test.ts checks they still match the installed workbench.
 */
import * as assert from 'assert';
import { escapeIcons, escapeMarkdown, plainForNotification } from '../../src/shared/text';

/** How VS Code finds links in a notification message. */
export const VSCODE_NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
/** How VS Code finds icons in a label (an escaped one has the backslash group). */
export const VSCODE_ICON = /(\\)?\$\([a-z0-9-]+?(?:~[a-z0-9-]*?)?\)/gi;

const HOSTILE = [
  'boom [Open settings](command:workbench.action.openSettings?%5B%22memoryWatch%22%5D)',
  '[x](command:workbench.action.terminal.sendSequence?{"text":"rm -rf ~\\n"})',
  '[x]  (file:///etc/passwd) and [y](https://example.com "title")',
  'nested [[a](command:x)](command:y)',
];

describe('plain text from a target', () => {
  it('never forms a link in a notification', () => {
    for (const text of HOSTILE) {
      const shown = plainForNotification(text);
      VSCODE_NOTIFICATION_LINK.lastIndex = 0;
      assert.strictEqual(VSCODE_NOTIFICATION_LINK.exec(shown), null, `${shown} still has a link`);
      // Still readable: the words are all there.
      assert.ok(shown.includes('command:') || shown.includes('file:') || shown.includes('https:'), shown);
    }
  });

  it('drops control characters and bounds the length', () => {
    assert.strictEqual(plainForNotification('a\u0000b\u001bc\nd'), 'abc\nd');
    assert.ok(plainForNotification('x'.repeat(5000)).length <= 1001);
  });

  it('escapes icons in labels, as VS Code itself would', () => {
    const shown = escapeIcons('evil $(debug-start) $(zap~spin) \\$(kept)');
    const icons = [...shown.matchAll(VSCODE_ICON)].filter((m) => !m[1]);
    assert.deepStrictEqual(icons, [], `${shown} still draws icons`);
    assert.strictEqual(escapeIcons('plain name'), 'plain name');
  });

  it('escapes Markdown so a name is shown as typed', () => {
    assert.strictEqual(escapeMarkdown('**a** [b](command:c) `d` <img>'), '\\*\\*a\\*\\* \\[b\\]\\(command:c\\) \\`d\\` \\<img\\>');
  });
});
