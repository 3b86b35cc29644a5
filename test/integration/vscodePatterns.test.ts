/**
 * The unit tests of shared/text.ts use copies of VS Code's link and icon patterns. Here the patterns
 * come out of the real workbench that the UI suites run (code-server's bundle), and our escaping is
 * checked against them: if VS Code changes how it finds links, this fails.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { tools } from '../../scripts/harness/tools';
import { escapeIcons, plainForNotification } from '../../src/shared/text';

describe("VS Code's own link and icon patterns (from the installed workbench)", () => {
  let bundle = '';
  before(function () {
    const file = path.join(tools().codeServer, 'lib', 'vscode', 'out', 'vs', 'code', 'browser', 'workbench', 'workbench.js');
    if (!fs.existsSync(file)) this.skip(); // code-server is installed by scripts/install-tools.sh, which npm test runs first
    bundle = fs.readFileSync(file, 'utf8');
  });

  it('a hostile body shown in a notification forms no link', () => {
    // The notification link pattern: the only regex literal in the bundle naming command: and file: schemes.
    const source = /\/(\\\[\(\[\^\\\]\]\+\)\\\]\\\(\(\(\?:https\?:\\\/\\\/\|command:\|file:\)[^/]*?)\/gi/.exec(bundle);
    assert.ok(source, 'the link pattern was not found in the workbench bundle');
    const link = new RegExp(source[1], 'gi');
    assert.ok(link.test('[run](command:workbench.action.quit)'), 'the extracted pattern finds a plain link');
    for (const text of ['[run](command:workbench.action.quit)', 'x [a](file:///etc/passwd "t") y', '[b] (https://example.com)']) {
      link.lastIndex = 0;
      assert.strictEqual(link.exec(plainForNotification(text)), null, plainForNotification(text));
    }
  });

  it('a process name in a label draws no icon', () => {
    // VS Code builds its icon pattern from two expressions; take them from the bundle.
    const name = /iconNameExpression="([^"]+)"/.exec(bundle)?.[1];
    const modifier = /iconModifierExpression="([^"]+)"/.exec(bundle)?.[1];
    assert.ok(name && modifier, 'the icon expressions were not found in the workbench bundle');
    const icon = new RegExp(`(\\\\)?\\$\\(${name}(?:${modifier})?\\)`, 'g');
    assert.ok(icon.test('$(bug)'), 'the built pattern finds a plain icon');
    const shown = escapeIcons('$(bug) x $(sync~spin) $(Zap) \\$(kept)');
    assert.deepStrictEqual([...shown.matchAll(icon)].filter((m) => !m[1]).map((m) => m[0]), [], shown);
  });
});
