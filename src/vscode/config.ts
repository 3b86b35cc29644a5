/** Reads Memory Watch's settings from VS Code and hands them, checked, to the core. */
import * as vscode from 'vscode';
import { normalizeSettings, RawSettings, Settings } from '../core/settings';

export const SECTION = 'memoryWatch';

/** Every setting key, so a typo is a compile error. */
export const enum SettingKey {
  SampleInterval = 'sampleInterval',
  Window = 'window',
  RssWarningThreshold = 'rssWarningThreshold',
  PidFiles = 'pidFiles',
  AutoAttach = 'autoAttach',
  GoFigures = 'goFigures',
  MetricsUrl = 'metricsUrl',
  ReleaseMethod = 'freeOSMemory.method',
  ReleaseUrl = 'freeOSMemory.url',
  ReleaseSignal = 'freeOSMemory.signal',
  AllowedHosts = 'freeOSMemory.allowedHosts',
}

/**
 * Current settings. Workspace values of the URL and signal are already dropped by VS Code in
 * Restricted Mode (package.json `restrictedConfigurations`); allowed hosts come from user
 * settings only, whatever the workspace says.
 */
export function readSettings(): { settings: Settings; problems: string[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const raw: RawSettings = {
    sampleInterval: config.get(SettingKey.SampleInterval),
    window: config.get(SettingKey.Window),
    rssWarningThreshold: config.get(SettingKey.RssWarningThreshold),
    method: config.get(SettingKey.ReleaseMethod),
    url: config.get(SettingKey.ReleaseUrl),
    signal: config.get(SettingKey.ReleaseSignal),
    allowedHosts: config.inspect<string[]>(SettingKey.AllowedHosts)?.globalValue,
    autoAttach: config.get(SettingKey.AutoAttach),
    goFigures: config.get(SettingKey.GoFigures),
    metricsUrl: config.get(SettingKey.MetricsUrl),
  };
  return normalizeSettings(raw);
}

/** True when a configuration change touches our settings. */
export function affectsUs(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}
