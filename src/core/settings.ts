/**
 * Settings as the core needs them, checked: a bad value gets a message and a safe default, never
 * a crash or a 0 ms loop. The shell reads raw values from VS Code and passes them here.
 */
import { MiB } from './format';
import type { ReleaseMethod } from './release/measure';

/** The setting: a method, or "auto" (pick the one that can work now). */
export type ReleaseMethodSetting = 'auto' | Exclude<ReleaseMethod, 'agent'>;
const METHODS: readonly ReleaseMethodSetting[] = ['auto', 'http', 'signal', 'debugger'];
import { isReleaseSignal } from './release/signal';
import { MIN_INTERVAL_MS } from './watchTypes';

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
  readonly release: {
    readonly method: ReleaseMethodSetting;
    readonly url: string;
    readonly signal: string;
    readonly allowedHosts: readonly string[];
  };
}

/** Raw values as read from the configuration (anything may be there). */
export interface RawSettings {
  readonly sampleInterval?: unknown;
  readonly window?: unknown;
  readonly rssWarningThreshold?: unknown;
  readonly containerLimitWarning?: unknown;
  readonly followCommandLines?: unknown;
  readonly method?: unknown;
  readonly url?: unknown;
  readonly signal?: unknown;
  /** Only the user-level value: a workspace must not widen where requests may go. */
  readonly allowedHosts?: unknown;
  readonly autoAttach?: unknown;
  readonly samplingHelper?: unknown;
  readonly goFigures?: unknown;
  readonly metricsUrl?: unknown;
  readonly heapRefreshInterval?: unknown;
  readonly heapInlineHints?: unknown;
}

export const DEFAULTS = { sampleInterval: 1000, window: 300, rssWarningThreshold: 0, containerLimitWarning: 90, method: 'auto', signal: 'SIGUSR1' } as const;
/** Patterns are the user's own, matched against command lines of at most 4 KiB: still, bounded. */
const MAX_FOLLOW_PATTERNS = 16;
const MAX_PATTERN_CHARS = 500;
const MAX_INTERVAL_MS = 60_000;
const MIN_WINDOW_S = 10;
/** A heap profile costs the target a walk of its allocation records: not more often than this. */
const MIN_HEAP_REFRESH_S = 2;
/** memoryWatch.heapProfile.refreshInterval's default, seconds. */
export const DEFAULT_HEAP_REFRESH_S = 10;
const MAX_HEAP_REFRESH_S = 3600;
const MAX_WINDOW_S = 86_400;

export function normalizeSettings(raw: RawSettings): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const number = (key: string, value: unknown, fallback: number, min: number, max: number): number => {
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
  const sampleIntervalMs = number('sampleInterval', raw.sampleInterval, DEFAULTS.sampleInterval, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  const windowS = number('window', raw.window, DEFAULTS.window, MIN_WINDOW_S, MAX_WINDOW_S);
  const thresholdMiB = number('rssWarningThreshold', raw.rssWarningThreshold, DEFAULTS.rssWarningThreshold, 0, 1024 * 1024);
  const containerPercent = number('containerLimitWarning', raw.containerLimitWarning, DEFAULTS.containerLimitWarning, 0, 100);
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

  let heapRefreshSeconds = number('heapProfile.refreshInterval', raw.heapRefreshInterval, DEFAULT_HEAP_REFRESH_S, 0, MAX_HEAP_REFRESH_S);
  if (heapRefreshSeconds > 0 && heapRefreshSeconds < MIN_HEAP_REFRESH_S) {
    problems.push(`memoryWatch.heapProfile.refreshInterval = ${heapRefreshSeconds} is too often for a heap profile; using ${MIN_HEAP_REFRESH_S} (0 turns it off).`);
    heapRefreshSeconds = MIN_HEAP_REFRESH_S;
  }

  let method: ReleaseMethodSetting = DEFAULTS.method;
  if (METHODS.includes(raw.method as ReleaseMethodSetting)) method = raw.method as ReleaseMethodSetting;
  else if (raw.method !== undefined) problems.push(`memoryWatch.freeOSMemory.method ${describeValue(raw.method)} is not known; using "${DEFAULTS.method}".`);

  let signal: string = DEFAULTS.signal;
  if (typeof raw.signal === 'string' && isReleaseSignal(raw.signal)) signal = raw.signal;
  else if (raw.signal !== undefined) problems.push(`memoryWatch.freeOSMemory.signal ${describeValue(raw.signal)} is not allowed (SIGUSR1 or SIGUSR2); using ${DEFAULTS.signal}.`);

  const url = typeof raw.url === 'string' ? raw.url.trim() : '';
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
      autoAttach: raw.autoAttach !== false,
      samplingHelper: raw.samplingHelper !== false,
      goFigures: { enabled: raw.goFigures !== false, metricsUrl: typeof raw.metricsUrl === 'string' ? raw.metricsUrl.trim() : '' },
      heapProfile: { refreshSeconds: heapRefreshSeconds, inlineHints: raw.heapInlineHints !== false },
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
