/** Reads Memory Watch's settings from VS Code and hands them, checked, to the core. */
import vscode = require('vscode');
import { normalizeSettings, RawSettings, SETTING_KEYS, SettingKey, Settings, settingSpec } from '../core/settings';
import { Disposable } from '../core/util/lifecycle';
import { showWarning } from './notify';

export const SECTION = 'memoryWatch';

export type { SettingKey } from '../core/settings';

/**
 * A setting's raw value, from where its table entry says: VS Code's merged value, or the user's
 * own only. (In Restricted Mode VS Code already drops workspace values of the restricted settings,
 * package.json `restrictedConfigurations`.)
 */
function readRaw(config: vscode.WorkspaceConfiguration, key: SettingKey): unknown {
  const { readFrom } = settingSpec(key);
  const userOnly = readFrom === 'user' || (readFrom === 'userWhenUntrusted' && !vscode.workspace.isTrusted);
  return userOnly ? config.inspect<unknown>(key)?.globalValue : config.get<unknown>(key);
}

/** One setting's raw value, now (for a setting read where it is used: memoryWatch.pidFiles). */
export function readSetting(key: SettingKey): unknown {
  return readRaw(vscode.workspace.getConfiguration(SECTION), key);
}

/** Current settings: every setting normalizeSettings checks (a `rawName` in the table), read and checked. */
export function readSettings(): { settings: Settings; problems: string[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const { rawName } = settingSpec(key);
    if (rawName) raw[rawName] = readRaw(config, key);
  }
  return normalizeSettings(raw as RawSettings);
}

/** True when a configuration change touches our settings. */
export function affectsUs(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}

/**
 * The settings as they are now, and an event when the user changes ours. Each service subscribes
 * to what it needs, so activate() does not fan changes out by hand.
 */
export class SettingsService extends Disposable {
  private current: Settings;
  private readonly changeEmitter = this.register(new vscode.EventEmitter<vscode.ConfigurationChangeEvent>());
  /** Our settings changed (the new values are in `value` already). */
  readonly onDidChange: vscode.Event<vscode.ConfigurationChangeEvent> = this.changeEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.current = this.load(false);
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!affectsUs(event)) return;
        this.current = this.load(true);
        this.changeEmitter.fire(event);
      }),
    );
  }

  get value(): Settings {
    return this.current;
  }

  /** Problems are logged, and shown when the user just changed the settings. */
  private load(changedByUser: boolean): Settings {
    const { settings, problems } = readSettings();
    for (const problem of problems) this.log.warn(problem);
    if (changedByUser && problems.length) void showWarning(`Memory Watch: ${problems.join(' ')}`);
    return settings;
  }
}

/** True when the change touches `memoryWatch.<key>`. */
export function affects(event: vscode.ConfigurationChangeEvent, ...keys: SettingKey[]): boolean {
  return keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}
