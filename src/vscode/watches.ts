/**
 * The watch registry as the settings make it: sampling interval, window and helper, and where the
 * Go figures are read — kept in step when the settings change.
 */
import vscode = require('vscode');
import { GoRuntimeTracker } from '../core/goruntime/tracker';
import { samplerHelperPath, SamplerHelperConfig } from '../core/sources/samplerHelper';
import { Settings } from '../core/settings';
import type { WatchOptions } from '../core/watchTypes';
import { WatchRegistry } from '../core/watchRegistry';
import { affects, SettingsService } from './config';

export class ConfiguredWatchRegistry extends WatchRegistry {
  constructor(settings: SettingsService, extensionPath: string, log: vscode.LogOutputChannel) {
    const helper = samplerHelper(extensionPath, log);
    const goOptions = () => ({ enabled: settings.value.goFigures.enabled, overrideUrl: settings.value.goFigures.metricsUrl, allowedHosts: settings.value.release.allowedHosts });
    super(watchOptions(settings.value, helper), (pid) => new GoRuntimeTracker(pid, goOptions, (message) => log.info(message)));
    this.register(
      settings.onDidChange((event) => {
        this.configure(watchOptions(settings.value, helper));
        // The Go figures are looked for again, where the settings now say.
        if (affects(event, 'goFigures', 'metricsUrl')) for (const watch of this.list()) watch.goRuntime?.reset();
      }),
    );
  }
}

function watchOptions(settings: Settings, helper: SamplerHelperConfig): WatchOptions {
  return { intervalMs: settings.sampleIntervalMs, windowMs: settings.windowMs, samplerHelper: settings.samplingHelper ? helper : undefined };
}

/** The sampler helper shipped with the extension, looked for when a watch first needs it (activation reads nothing it does not need). */
function samplerHelper(extensionPath: string, log: vscode.LogOutputChannel): SamplerHelperConfig {
  let path: string | undefined | null = null;
  return { path: () => (path === null ? (path = samplerHelperPath(extensionPath)) : path), log: (message: string) => log.warn(message) };
}
