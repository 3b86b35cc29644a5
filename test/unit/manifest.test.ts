/**
 * package.json against the tables it repeats: the settings (src/core/settings.ts SETTINGS) and the
 * commands (src/shared/commandTable.ts COMMANDS). package.json stays hand-written — VS Code, vsce and the
 * Marketplace read it as it is, descriptions and all — and is checked here rather than generated:
 * a generator would be one more build step before each of them, and its output would still need
 * this check to catch a hand edit.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND_CATEGORY, COMMANDS } from '../../src/shared/commandTable';
import { normalizeSettings, RawSettings, SETTING_KEYS, SettingSpec, settingSpec } from '../../src/core/settings';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const properties = manifest.contributes.configuration.properties as Record<string, Record<string, unknown>>;

/** Fields that only document a setting: package.json has them, the table does not. */
const DOCUMENTATION = ['description', 'markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions', 'patternErrorMessage'];
/** Fields of a table entry that package.json declares. */
const DECLARED = ['type', 'items', 'default', 'minimum', 'maximum', 'enum', 'pattern', 'scope'];

/** The table's entry as package.json should declare it. */
function declaration(spec: SettingSpec): Record<string, unknown> {
  const fields = spec as unknown as Record<string, unknown>;
  return Object.fromEntries(DECLARED.filter((field) => fields[field] !== undefined).map((field) => [field, fields[field]]));
}

describe('package.json and the tables it repeats', () => {
  it('declares every setting of the table, in its order, and no other', () => {
    assert.deepStrictEqual(
      Object.keys(properties),
      SETTING_KEYS.map((key) => `memoryWatch.${key}`),
    );
  });

  it('declares each setting as the table does: type, items, default, minimum, maximum, enum, pattern, scope', () => {
    for (const key of SETTING_KEYS) {
      const declared = Object.fromEntries(Object.entries(properties[`memoryWatch.${key}`]).filter(([field]) => !DOCUMENTATION.includes(field)));
      assert.deepStrictEqual(declared, declaration(settingSpec(key)), key);
      assert.ok(properties[`memoryWatch.${key}`].markdownDescription, `${key} has a description`);
    }
  });

  it('restricts in Restricted Mode exactly the settings the table marks', () => {
    const restricted = SETTING_KEYS.filter((key) => settingSpec(key).restricted).map((key) => `memoryWatch.${key}`);
    assert.deepStrictEqual([...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), restricted.sort());
  });

  it('normalizeSettings takes the defaults package.json declares as they are', () => {
    const defaults: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) {
      const { rawName } = settingSpec(key);
      if (rawName) defaults[rawName] = properties[`memoryWatch.${key}`].default;
    }
    const { settings, problems } = normalizeSettings(defaults as RawSettings);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, normalizeSettings({}).settings);
  });

  it("normalizeSettings clamps each number to package.json's minimum and maximum", () => {
    for (const key of SETTING_KEYS) {
      const spec = settingSpec(key);
      if (spec.type !== 'number' || !spec.rawName) continue;
      const declared = properties[`memoryWatch.${key}`];
      // A bound package.json leaves open is still bounded, by the table's own sanity bound.
      const max = (declared.maximum as number | undefined) ?? spec.clampMaximum;
      const min = declared.minimum as number;
      assert.ok(max !== undefined, `${key} has an upper bound`);
      for (const [value, clamped] of [
        [min - 1, min],
        [max + 1, max],
      ]) {
        const { problems } = normalizeSettings({ [spec.rawName]: value } as RawSettings);
        assert.deepStrictEqual(problems, [`memoryWatch.${key} = ${value} is out of range (${min}–${max}); using ${clamped}.`]);
      }
    }
  });

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
