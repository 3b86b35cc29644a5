/**
 * package.json against the tables it repeats: the commands (src/commandTable.ts COMMANDS).
 * package.json stays hand-written — VS Code, vsce and the Marketplace read it as it is,
 * descriptions and all — and is checked here rather than generated: a generator would be one more
 * build step before each of them, and its output would still need this check to catch a hand edit.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND_CATEGORY, COMMANDS } from '../../src/commandTable';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

describe('package.json and the tables it repeats', () => {
  it('declares every command of the table, in its order, with its title, category and icon', () => {
    assert.deepStrictEqual(
      manifest.contributes.commands,
      Object.entries(COMMANDS).map(([command, c]) => ({ command, title: c.title, category: COMMAND_CATEGORY, icon: c.icon })),
    );
  });

  it("offers in the palette, under the table's conditions, exactly the commands it marks", () => {
    assert.deepStrictEqual(manifest.contributes.menus, {
      commandPalette: Object.entries(COMMANDS)
        .filter(([, c]) => c.paletteWhen !== undefined)
        .map(([command, c]) => ({ command, when: c.paletteWhen })),
    });
  });
});
