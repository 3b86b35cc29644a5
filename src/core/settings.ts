/**
 * Every setting, declared once (SETTINGS), and the settings as the core needs them, checked: a bad
 * value gets a message and a safe default, never a crash or a 0 ms loop. The shell reads raw
 * values from VS Code as the table says (src/vscode/config.ts) and passes them here.
 */
import { MiB } from '../shared/format';
import type { ReleaseMethod } from './release/measure';
import { isReleaseSignal, RELEASE_SIGNALS } from './release/signal';
import { MIN_INTERVAL_MS } from './watchTypes';

/** The setting: a method, or "auto" (pick the one that can work now). */
export type ReleaseMethodSetting = 'auto' | Exclude<ReleaseMethod, 'agent'>;

/** A setting as package.json declares it (`contributes.configuration`), less its description. */
interface Declared {
  /** `application`: VS Code reads it from the user's settings only, never a workspace's. */
  readonly scope?: 'application';
}
interface NumberSetting extends Declared {
  readonly type: 'number';
  readonly default: number;
  readonly minimum: number;
  readonly maximum?: number;
}
interface BooleanSetting extends Declared {
  readonly type: 'boolean';
  readonly default: boolean;
}
interface StringSetting extends Declared {
  readonly type: 'string';
  readonly default: string;
  readonly enum?: readonly string[];
  readonly pattern?: string;
}
interface ListSetting extends Declared {
  readonly type: 'array';
  readonly items: { readonly type: 'string' };
  readonly default: readonly string[];
}

/** What the extension does with a setting, besides declaring it. */
interface Handling {
  /**
   * Its workspace value is ignored in Restricted Mode (package.json
   * `capabilities.untrustedWorkspaces.restrictedConfigurations`): it names a URL, a signal, files
   * or processes.
   */
  readonly restricted?: true;
  /**
   * Which value is read: VS Code's (default < user < workspace < folder) when absent; the user's
   * own only (`user`), so a workspace cannot widen it; or the user's own only while the workspace
   * is untrusted (`userWhenUntrusted`), whatever package.json restricts.
   */
  readonly readFrom?: 'user' | 'userWhenUntrusted';
  /** Its field in RawSettings, when normalizeSettings checks it; absent: read where it is used (pidFiles.ts). */
  readonly rawName?: string;
  /** An upper bound normalizeSettings clamps to that package.json does not declare (a sanity bound, never shown). */
  readonly clampMaximum?: number;
}

/** One setting: its declaration in package.json, and how it is read and checked. */
export type SettingSpec = (NumberSetting | BooleanSetting | StringSetting | ListSetting) & Handling;

/** An http(s) URL, or empty: the hook and metrics URLs. */
const HTTP_URL_OR_EMPTY = '^(|https?://.+)$';
const STRINGS = { type: 'string' } as const;

/**
 * Every setting under `memoryWatch.`, in package.json's order. package.json repeats each
 * declaration, with its description, because VS Code reads it before the extension loads;
 * test/unit/manifest.test.ts checks that the two agree.
 */
export const SETTINGS = {
  sampleInterval: { type: 'number', default: 1000, minimum: MIN_INTERVAL_MS, maximum: 60_000, rawName: 'sampleInterval' },
  window: { type: 'number', default: 300, minimum: 10, maximum: 86_400, rawName: 'window' },
  rssWarningThreshold: { type: 'number', default: 0, minimum: 0, clampMaximum: 1024 * 1024, rawName: 'rssWarningThreshold' },
  containerLimitWarning: { type: 'number', default: 90, minimum: 0, maximum: 100, rawName: 'containerLimitWarning' },
  pidFiles: { type: 'array', items: STRINGS, default: [], restricted: true, readFrom: 'userWhenUntrusted' },
  followCommandLines: { type: 'array', items: STRINGS, default: [], restricted: true, rawName: 'followCommandLines' },
  samplingHelper: { type: 'boolean', default: true, rawName: 'samplingHelper' },
  autoAttach: { type: 'boolean', default: true, rawName: 'autoAttach' },
  goFigures: { type: 'boolean', default: true, rawName: 'goFigures' },
  metricsUrl: { type: 'string', default: '', pattern: HTTP_URL_OR_EMPTY, restricted: true, rawName: 'metricsUrl' },
  'freeOSMemory.method': { type: 'string', enum: ['auto', 'http', 'signal', 'debugger'] satisfies ReleaseMethodSetting[], default: 'auto', restricted: true, rawName: 'method' },
  'freeOSMemory.url': { type: 'string', default: '', pattern: HTTP_URL_OR_EMPTY, restricted: true, rawName: 'url' },
  'freeOSMemory.signal': { type: 'string', enum: RELEASE_SIGNALS, default: 'SIGUSR1', restricted: true, rawName: 'signal' },
  'freeOSMemory.allowedHosts': { type: 'array', items: STRINGS, default: [], scope: 'application', readFrom: 'user', rawName: 'allowedHosts' },
  'prometheus.url': { type: 'string', default: '', pattern: HTTP_URL_OR_EMPTY, scope: 'application', readFrom: 'user', rawName: 'prometheusUrl' },
  'prometheus.tenant': { type: 'string', default: '', scope: 'application', readFrom: 'user', rawName: 'prometheusTenant' },
  'heapProfile.refreshInterval': { type: 'number', default: 10, minimum: 0, maximum: 3600, rawName: 'heapRefreshInterval' },
  'heapProfile.inlineHints': { type: 'boolean', default: true, rawName: 'heapInlineHints' },
} as const satisfies Record<string, SettingSpec>;

/** A setting's key under `memoryWatch.`, so a typo is a compile error. */
export type SettingKey = keyof typeof SETTINGS;
/** Every key, in the table's order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** A setting's entry as a SettingSpec, so fields that only some entries have can be read. */
export function settingSpec(key: SettingKey): SettingSpec {
  return SETTINGS[key];
}

export interface Settings {
  readonly sampleIntervalMs: number;
  readonly windowMs: number;
  /** RSS above which the status bar warns, bytes; 0 = off. */
  readonly rssWarningBytes: number;
  /** The cgroup working set's share of its limit at which the status bar warns (0–1; 0 = off). */
  readonly containerWarningShare: number;
  /** Command-line patterns of processes to watch, and to follow when they restart. */
  readonly follow: readonly RegExp[];
  /** Watch a debug session's debuggee as soon as its PID is known. */
  readonly autoAttach: boolean;
  /** Let the sampler helper take the samples at intervals under a second (Linux). */
  readonly samplingHelper: boolean;
  /** Look for the Go runtime's figures (agent, expvar, pprof, gops), and where. */
  readonly goFigures: { readonly enabled: boolean; readonly metricsUrl: string };
  /** The heap view: its automatic refresh (seconds, 0 = off) and the editor's inline hints. */
  readonly heapProfile: { readonly refreshSeconds: number; readonly inlineHints: boolean };
  /** The Prometheus server history is read from (the user's own settings only), and its tenant. */
  readonly prometheus: { readonly url: string; readonly tenant: string };
  readonly release: {
    readonly method: ReleaseMethodSetting;
    readonly url: string;
    readonly signal: string;
    readonly allowedHosts: readonly string[];
  };
}

type RawName<K extends SettingKey> = (typeof SETTINGS)[K] extends { readonly rawName: infer N extends string } ? N : never;

/** Raw values as read from the configuration (anything may be there), by their table's `rawName`. */
export type RawSettings = { readonly [K in SettingKey as RawName<K>]?: unknown };

type NumberKey = { [K in SettingKey]: (typeof SETTINGS)[K]['type'] extends 'number' ? K : never }[SettingKey];
type BooleanKey = { [K in SettingKey]: (typeof SETTINGS)[K]['type'] extends 'boolean' ? K : never }[SettingKey];
type StringKey = { [K in SettingKey]: (typeof SETTINGS)[K]['type'] extends 'string' ? K : never }[SettingKey];

/** Patterns are the user's own, matched against command lines of at most 4 KiB: still, bounded. */
const MAX_FOLLOW_PATTERNS = 16;
const MAX_PATTERN_CHARS = 500;
/** A heap profile costs the target a walk of its allocation records: not more often than this. */
const MIN_HEAP_REFRESH_S = 2;

export function normalizeSettings(raw: RawSettings): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  /** A number within the table's bounds (a value outside them is clamped, and said). */
  const number = (key: NumberKey, value: unknown): number => {
    const spec = SETTINGS[key] as NumberSetting & Handling;
    const fallback = spec.default;
    const min = spec.minimum;
    const max = spec.maximum ?? spec.clampMaximum ?? Infinity;
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`memoryWatch.${key} must be a number; using ${fallback}.`);
      return fallback;
    }
    if (value < min || value > max) {
      const clamped = Math.min(max, Math.max(min, value));
      problems.push(`memoryWatch.${key} = ${value} is out of range (${min}–${max}); using ${clamped}.`);
      return clamped;
    }
    return value;
  };
  /** A boolean: anything else is the default. */
  const flag = (key: BooleanKey, value: unknown): boolean => (typeof value === 'boolean' ? value : SETTINGS[key].default);
  /** A string, trimmed: anything else is the default. */
  const text = (key: StringKey, value: unknown): string => (typeof value === 'string' ? value.trim() : SETTINGS[key].default);
  const sampleIntervalMs = number('sampleInterval', raw.sampleInterval);
  const windowS = number('window', raw.window);
  const thresholdMiB = number('rssWarningThreshold', raw.rssWarningThreshold);
  const containerPercent = number('containerLimitWarning', raw.containerLimitWarning);
  const follow: RegExp[] = [];
  if (raw.followCommandLines !== undefined && !Array.isArray(raw.followCommandLines)) problems.push('memoryWatch.followCommandLines must be a list of patterns.');
  for (const pattern of Array.isArray(raw.followCommandLines) ? raw.followCommandLines.slice(0, MAX_FOLLOW_PATTERNS) : []) {
    if (typeof pattern !== 'string' || !pattern.trim() || pattern.length > MAX_PATTERN_CHARS) {
      problems.push(`memoryWatch.followCommandLines: ${describeValue(pattern)} is not a pattern (a non-empty string of at most ${MAX_PATTERN_CHARS} characters).`);
      continue;
    }
    try {
      follow.push(new RegExp(pattern));
    } catch (err) {
      problems.push(`memoryWatch.followCommandLines: "${pattern.slice(0, 60)}" is not a valid regular expression (${(err as Error).message}).`);
    }
  }

  let heapRefreshSeconds = number('heapProfile.refreshInterval', raw.heapRefreshInterval);
  if (heapRefreshSeconds > 0 && heapRefreshSeconds < MIN_HEAP_REFRESH_S) {
    problems.push(`memoryWatch.heapProfile.refreshInterval = ${heapRefreshSeconds} is too often for a heap profile; using ${MIN_HEAP_REFRESH_S} (0 turns it off).`);
    heapRefreshSeconds = MIN_HEAP_REFRESH_S;
  }

  const methods: readonly string[] = SETTINGS['freeOSMemory.method'].enum;
  let method: ReleaseMethodSetting = SETTINGS['freeOSMemory.method'].default;
  if (methods.includes(raw.method as string)) method = raw.method as ReleaseMethodSetting;
  else if (raw.method !== undefined) problems.push(`memoryWatch.freeOSMemory.method ${describeValue(raw.method)} is not known; using "${method}".`);

  let signal: string = SETTINGS['freeOSMemory.signal'].default;
  if (typeof raw.signal === 'string' && isReleaseSignal(raw.signal)) signal = raw.signal;
  else if (raw.signal !== undefined) problems.push(`memoryWatch.freeOSMemory.signal ${describeValue(raw.signal)} is not allowed (SIGUSR1 or SIGUSR2); using ${signal}.`);

  const url = text('freeOSMemory.url', raw.url);
  const allowedHosts = Array.isArray(raw.allowedHosts)
    ? raw.allowedHosts.filter((h): h is string => typeof h === 'string' && h.trim().length > 0).map((h) => h.trim())
    : [];

  return {
    settings: {
      sampleIntervalMs,
      windowMs: windowS * 1000,
      rssWarningBytes: Math.round(thresholdMiB * MiB),
      containerWarningShare: containerPercent / 100,
      follow,
      autoAttach: flag('autoAttach', raw.autoAttach),
      samplingHelper: flag('samplingHelper', raw.samplingHelper),
      goFigures: { enabled: flag('goFigures', raw.goFigures), metricsUrl: text('metricsUrl', raw.metricsUrl) },
      heapProfile: { refreshSeconds: heapRefreshSeconds, inlineHints: flag('heapProfile.inlineHints', raw.heapInlineHints) },
      prometheus: { url: text('prometheus.url', raw.prometheusUrl), tenant: text('prometheus.tenant', raw.prometheusTenant) },
      release: { method, url, signal, allowedHosts },
    },
    problems,
  };
}

/**
 * A setting's value in a message: a string quoted (bounded), anything else by its kind. String()
 * of a settings value can throw ({"toString": null}, an array nested thousands deep).
 */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value.slice(0, 60)}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? '(a list)' : '(an object)';
}
