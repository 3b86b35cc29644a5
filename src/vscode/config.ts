/** Reads Memory Watch's settings from VS Code and hands them, checked, to the core. */
import vscode = require('vscode');
import { normalizeSettings, RawSettings, Settings } from '../core/settings';
import { Disposable } from '../core/util/lifecycle';
import { showWarning } from './notify';

export const SECTION = 'memoryWatch';

/** Every setting key, so a typo is a compile error. */
export const enum SettingKey {
  SampleInterval = 'sampleInterval',
  Window = 'window',
  RssWarningThreshold = 'rssWarningThreshold',
  ContainerLimitWarning = 'containerLimitWarning',
  FollowCommandLines = 'followCommandLines',
  PidFiles = 'pidFiles',
  AutoAttach = 'autoAttach',
  SamplingHelper = 'samplingHelper',
  GoFigures = 'goFigures',
  MetricsUrl = 'metricsUrl',
  ReleaseMethod = 'freeOSMemory.method',
  ReleaseUrl = 'freeOSMemory.url',
  ReleaseSignal = 'freeOSMemory.signal',
  AllowedHosts = 'freeOSMemory.allowedHosts',
  HeapRefreshInterval = 'heapProfile.refreshInterval',
  HeapInlineHints = 'heapProfile.inlineHints',
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
    containerLimitWarning: config.get(SettingKey.ContainerLimitWarning),
    followCommandLines: config.get(SettingKey.FollowCommandLines),
    method: config.get(SettingKey.ReleaseMethod),
    url: config.get(SettingKey.ReleaseUrl),
    signal: config.get(SettingKey.ReleaseSignal),
    allowedHosts: config.inspect<string[]>(SettingKey.AllowedHosts)?.globalValue,
    autoAttach: config.get(SettingKey.AutoAttach),
    samplingHelper: config.get(SettingKey.SamplingHelper),
    goFigures: config.get(SettingKey.GoFigures),
    metricsUrl: config.get(SettingKey.MetricsUrl),
    heapRefreshInterval: config.get(SettingKey.HeapRefreshInterval),
    heapInlineHints: config.get(SettingKey.HeapInlineHints),
  };
  return normalizeSettings(raw);
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
