/**
 * Which points to ask a Prometheus server for: the step, the range aligned to it, and the parts a
 * long range is fetched in. The API answers at most 11,000 points per series per query (more is a
 * 400); a graph a screen wide shows a few thousand; and the peaks between steps are kept apart
 * (max_over_time over each step), so a coarse step loses no peak.
 */

/** The API's own limit on points per series in one query_range. */
export const MAX_POINTS_PER_QUERY = 11_000;
/** Points per series asked for when the user names no step: about a screen's width, twice. */
export const TARGET_POINTS = 2000;
/** The most points per series Memory Watch holds (a live series' capacity). */
export const MAX_POINTS = 20_000;
/** No step finer than this: Prometheus' own resolution is a scrape, rarely under a second. */
export const MIN_STEP_SECONDS = 1;
/** A query's part is at most this many points per series: a part's answer stays a few MiB, and progress moves. */
export const POINTS_PER_PART = 5000;
/** The longest range asked for in one go (Prometheus keeps 15 days by default; a quarter is plenty). */
export const MAX_RANGE_SECONDS = 90 * 24 * 3600;

export interface RangePlan {
  /** Unix seconds, multiples of step. */
  readonly start: number;
  readonly end: number;
  /** Seconds between points. */
  readonly step: number;
  /** Points per series over the whole range. */
  readonly points: number;
  /** The range in the parts it is fetched in, oldest first: each ≤ POINTS_PER_PART points, no point twice. */
  readonly parts: readonly { readonly start: number; readonly end: number }[];
}

export type PlanResult = { readonly ok: true; readonly plan: RangePlan } | { readonly ok: false; readonly message: string };

/** The steps a person reads well: the smallest of these at or above the step needed. */
const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The step for a range: the user's when given (checked), else the nicest step giving ≤ TARGET_POINTS. */
export function planRange(startSeconds: number, endSeconds: number, stepSeconds?: number): PlanResult {
  if (!Number.isFinite(startSeconds) || !Number.isFinite(endSeconds)) return { ok: false, message: 'The start and end must be times (Unix seconds).' };
  if (endSeconds <= startSeconds) return { ok: false, message: 'The end of the range must be after its start.' };
  if (startSeconds < 0 || endSeconds > 4102444800) return { ok: false, message: 'The range must lie between 1970 and 2100.' };
  const span = endSeconds - startSeconds;
  if (span > MAX_RANGE_SECONDS) return { ok: false, message: `A range of at most ${MAX_RANGE_SECONDS / 86400} days is read at once.` };
  let step: number;
  if (stepSeconds !== undefined) {
    if (!Number.isFinite(stepSeconds) || stepSeconds < MIN_STEP_SECONDS) return { ok: false, message: `The step must be at least ${MIN_STEP_SECONDS} s.` };
    step = Math.round(stepSeconds);
    if (Math.floor(span / step) + 1 > MAX_POINTS) {
      return { ok: false, message: `A step of ${step} s gives more than ${MAX_POINTS} points over this range: choose at least ${Math.ceil(span / (MAX_POINTS - 1))} s.` };
    }
  } else {
    const needed = Math.max(MIN_STEP_SECONDS, span / TARGET_POINTS);
    step = NICE_STEPS.find((s) => s >= needed) ?? Math.ceil(needed / 86400) * 86400;
  }
  // Aligned to the step: the same range asked twice gives the same points (and caches can serve it).
  const start = Math.floor(startSeconds / step) * step;
  const end = Math.ceil(endSeconds / step) * step;
  const points = (end - start) / step + 1;
  const parts: { start: number; end: number }[] = [];
  for (let from = start; from <= end; from += POINTS_PER_PART * step) {
    parts.push({ start: from, end: Math.min(end, from + (POINTS_PER_PART - 1) * step) });
  }
  return { ok: true, plan: { start, end, step, points, parts } };
}

/**
 * A range a person reads: "24 h", "90 min", "7 d" — in the largest unit it is nearly a whole number
 * of (an aligned range is a step longer than the one asked for: 24 h and a minute reads 24 h).
 */
export function rangeLabel(seconds: number): string {
  // Days from two on: a day reads "24 h", as the range picker says it.
  for (const [unit, size, least] of [['d', 86400, 2], ['h', 3600, 1], ['min', 60, 1]] as const) {
    const v = seconds / size;
    if (v >= least && Math.abs(v - Math.round(v)) <= 0.02 * v) return `${Math.round(v)} ${unit}`;
  }
  return seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

/**
 * A time as a person gives it for "around a time…": Unix seconds or milliseconds, RFC 3339
 * ("2026-12-07T14:02:00Z"), or a local "2026-12-07 14:02[:05]". Unix ms, or undefined.
 */
export function parseTimeInput(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (/^\d{12,13}$/.test(t)) return Number(t);
  const local = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map(Number);
    const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
    return date.getMonth() === mo - 1 && date.getDate() === d ? date.getTime() : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
