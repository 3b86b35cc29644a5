/** Small pieces the cost benchmarks share: sleeping, numeric flags, figures for Markdown tables. */
import { median } from '../benchUtil';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads `--name value` flags over defaults; only names the defaults have, only finite numbers ≥ 0
 * (anything else is a clear error, not a silent default).
 */
export function numericFlags<T extends Record<string, number>>(argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument "${argv[i]}"; flags: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    const key = m[1].replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown flag --${m[1]}; flags: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${m[1]} wants a number ≥ 0, got "${argv[i]}"`);
    out[key] = value;
  }
  return out as T;
}

/** Median, or NaN for no values. */
export function med(values: readonly number[]): number {
  return values.length ? median(values) : NaN;
}

/** A number for a table: fixed decimals, '—' for NaN. */
export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** "min–max" of the rounds, to show the spread next to a median. */
export function spread(values: readonly number[], digits = 1): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return '';
  return `${Math.min(...finite).toFixed(digits)}–${Math.max(...finite).toFixed(digits)}`;
}

/** Self time per function of a V8 CPU profile (Profiler.stop's result, or a .cpuprofile file). */
export interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileEntry {
  readonly functionName: string;
  readonly url: string;
  readonly line: number;
  readonly column: number;
  /** Self time, ms. */
  readonly selfMs: number;
}

/** Self time per call frame (ms), from the samples and their time deltas; largest first. */
export function selfTimes(profile: CpuProfile): ProfileEntry[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample (the last one gets the mean).
  const mean = samples.length ? (profile.endTime - profile.startTime) / samples.length : 0;
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < deltas.length ? deltas[i + 1] : mean;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + us);
  }
  const merged = new Map<string, ProfileEntry>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    const prev = merged.get(key);
    merged.set(key, { functionName: frame.functionName || '(anonymous)', url: frame.url, line: frame.lineNumber, column: frame.columnNumber, selfMs: (prev?.selfMs ?? 0) + us / 1000 });
  }
  return [...merged.values()].sort((a, b) => b.selfMs - a.selfMs);
}
