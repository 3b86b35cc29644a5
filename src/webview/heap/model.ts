/**
 * The heap view's pure part: from the state the host sent and the person's choices (figures,
 * grouping, order) to the rows and lines on screen, already formatted. No DOM here, so it is
 * unit-tested in Node; main.ts only builds elements from what this returns.
 */
import { formatBytes } from '../../shared/format';
import { formatBytesDelta, formatShare } from '../../shared/heap/present';
import type { HeapValues } from '../../shared/heap/types';
import { FAILURES_THAT_STOP_AUTO_REFRESH } from '../../shared/heap/viewTypes';
import type { HeapGrouping, HeapOrder, HeapRowList, HeapSample, HeapViewRow, HeapViewState } from '../../shared/protocol';

/** What the person chose to see. */
export interface HeapViewChoices {
  readonly sample: HeapSample;
  readonly grouping: HeapGrouping;
  readonly order: HeapOrder;
}

export const DEFAULT_CHOICES: HeapViewChoices = { sample: 'inuse', grouping: 'site', order: 'size' };

/** Rows drawn at most; the rest are summed up in one line. */
export const MAX_SHOWN_ROWS = 200;

/** One row as drawn. */
export interface ShownRow {
  readonly key: string;
  readonly list: HeapRowList;
  /** Short function name; `title` is the full one. */
  readonly name: string;
  readonly title: string;
  /** "store.go:22". */
  readonly location: string;
  /** The local file, or why there is none (the location's hover). */
  readonly locationTitle: string;
  /** "read-only", "no source", or nothing. */
  readonly badge?: 'read-only' | 'no source' | 'changed';
  /** The size column (cumulative grouping: the cumulative size). */
  readonly size: string;
  /** Cumulative grouping only: the function's own (flat) size. */
  readonly flat?: string;
  readonly objects: string;
  readonly share: string;
  /** "+16.0 MiB", "−2.0 MiB" (U+2212), "±0 B"; undefined without a baseline to compare with. */
  readonly change?: string;
  readonly changeSign: 1 | 0 | -1;
  readonly isNew: boolean;
  /** A click opens its source line. */
  readonly openable: boolean;
}

/** The table as drawn. */
export interface ShownTable {
  readonly headers: readonly string[];
  /** Which columns hold numbers (right-aligned). */
  readonly numeric: readonly boolean[];
  readonly rows: readonly ShownRow[];
  /** "… and 312 more rows (1.2 MiB)" when rows were left out. */
  readonly more?: string;
  /** Why the table is empty, when it is. */
  readonly empty?: string;
  /** The order actually used ("growth" needs a baseline to compare with). */
  readonly order: HeapOrder;
}

const FIGURES: Record<HeapSample, { bytes: keyof HeapValues; objects: keyof HeapValues; label: string }> = {
  inuse: { bytes: 'inuseBytes', objects: 'inuseObjects', label: 'In use' },
  alloc: { bytes: 'allocBytes', objects: 'allocObjects', label: 'Allocated' },
};

/** "12,345". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "14:03:07" in the viewer's local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The rows to draw for these choices, sorted, formatted, at most {@link MAX_SHOWN_ROWS}. */
export function buildTable(state: HeapViewState, choices: HeapViewChoices): ShownTable {
  const figures = FIGURES[choices.sample];
  const cumulative = choices.grouping === 'cumulative';
  const list: HeapRowList = choices.grouping === 'site' ? 'sites' : 'functions';
  const source = list === 'sites' ? state.sites : state.functions;
  const compared = state.comparison !== undefined;
  const order: HeapOrder = choices.order === 'growth' && compared ? 'growth' : 'size';
  const value = (row: HeapViewRow) => (cumulative ? row.cum ?? row.flat : row.flat)[figures.bytes];
  const change = (row: HeapViewRow) => (cumulative ? row.cumDelta : row.delta)?.[figures.bytes];
  const objects = (row: HeapViewRow) => (cumulative ? row.cum ?? row.flat : row.flat)[figures.objects];

  // The location goes under the function's name: in a narrow view the names keep their room.
  const headers = ['Function · location', ...(cumulative ? ['Flat', 'Cumulative'] : [figures.label]), 'Objects', 'Share', ...(compared ? ['Since baseline'] : [])];
  const numeric = headers.map((_, i) => i >= 1);
  // Rows with nothing in this figure and no change say nothing (pprof hides them too).
  const candidates = source.filter((row) => value(row) !== 0 || (change(row) ?? 0) !== 0);
  const sorted =
    order === 'growth'
      ? [...candidates].sort((a, b) => (change(b) ?? 0) - (change(a) ?? 0) || value(b) - value(a) || compareKeys(a, b))
      : [...candidates].sort((a, b) => value(b) - value(a) || (change(b) ?? 0) - (change(a) ?? 0) || compareKeys(a, b));
  const total = state.profile?.totals[figures.bytes] ?? 0;
  const rows = sorted.slice(0, MAX_SHOWN_ROWS).map((row): ShownRow => {
    const delta = change(row);
    return {
      key: row.key,
      list,
      name: row.shortName,
      title: row.functionName,
      location: row.location,
      locationTitle: row.source.found ? `${row.source.shown}${row.line > 0 ? `:${row.line}` : ''}${sourceCaveat(row)}` : `No local source: ${row.source.reason}`,
      badge: !row.source.found ? 'no source' : row.source.readOnly ? 'read-only' : row.source.note ? 'changed' : undefined,
      size: formatBytes(value(row)),
      flat: cumulative ? formatBytes(row.flat[figures.bytes]) : undefined,
      objects: formatCount(objects(row)),
      share: formatShare(value(row), total),
      change: compared && delta !== undefined ? formatBytesDelta(delta) : undefined,
      changeSign: delta === undefined || delta === 0 ? 0 : delta > 0 ? 1 : -1,
      isNew: row.isNew === true,
      openable: row.source.found && row.line > 0,
    };
  });
  const left = sorted.slice(MAX_SHOWN_ROWS);
  const more = left.length ? `… and ${formatCount(left.length)} more rows (${formatBytes(left.reduce((sum, row) => sum + value(row), 0))})` : undefined;
  return { headers, numeric, rows, more, empty: rows.length ? undefined : emptyText(state, choices), order };
}

function sourceCaveat(row: HeapViewRow): string {
  if (!row.source.found) return '';
  if (row.source.note) return ` (${row.source.note})`;
  if (row.source.where === 'goroot') return ' (Go installation, opened read-only)';
  if (row.source.where === 'modcache') return ' (module cache, opened read-only)';
  if (row.source.where === 'external') return ' (outside the workspace, opened read-only)';
  return '';
}

function emptyText(state: HeapViewState, choices: HeapViewChoices): string | undefined {
  if (!state.profile) return undefined;
  if (state.profile.samplingRate === 0 || (state.profile.totals.allocBytes === 0 && state.profile.totals.inuseBytes === 0)) {
    return 'The profile records no allocations: the program sets runtime.MemProfileRate = 0, or has allocated nothing yet.';
  }
  return choices.sample === 'inuse' ? 'Nothing is in use in this profile (in-use figures are as of the last GC). Try "Allocated since start", or Refresh.' : 'No allocations in this profile.';
}

function compareKeys(a: HeapViewRow, b: HeapViewRow): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The lines above the table. */
export interface HeaderLines {
  /** "Heap of leaker (PID 1234)". */
  readonly title: string;
  /** "net/http/pprof at 127.0.0.1:41234 · refreshes every 10 s". */
  readonly source: string;
  /** "Profile of 14:03:07: 7.9 MiB in use in 2,012 objects; 41.0 MiB allocated since start". */
  readonly profile?: string;
  /** The baseline and the change since it. */
  readonly baseline?: string;
  /** "91 % of the growth … was allocated at …". */
  readonly growth?: string;
  /** Why there is no (new) profile: the program is paused, the fetch failed … (may hold `code`). */
  readonly problem?: string;
  /** Warnings about the comparison. */
  readonly warnings: readonly string[];
}

/** What the header says for this state. */
export function headerLines(state: HeapViewState): HeaderLines {
  const title = state.target ? `Heap of ${state.target}` : 'Heap profile';
  const refresh = state.refreshSeconds > 0 ? `refreshes every ${state.refreshSeconds} s while shown` : 'automatic refresh off';
  const source = [state.source, state.watchId ? refresh : undefined].filter(Boolean).join(' · ');
  const p = state.profile;
  const profile = p
    ? `Profile of ${formatClock(p.takenAt)}: ${formatBytes(p.totals.inuseBytes)} in use in ${formatCount(p.totals.inuseObjects)} objects; ${formatBytes(p.totals.allocBytes)} allocated since start · ${formatCount(p.siteCount)} sites${
        p.samplingRate > 1 ? ` · sampled (one per ${formatBytes(p.samplingRate)} allocated, scaled)` : p.samplingRate === 1 ? ' · every allocation recorded' : ''
      }`
    : undefined;
  const c = state.comparison;
  let baseline: string | undefined;
  if (c) {
    baseline = `Since the baseline of ${formatClock(c.baselineTakenAt)}: ${formatBytesDelta(c.totalsDelta.inuseBytes)} in use (${signedCount(c.totalsDelta.inuseObjects)} objects), ${formatBytesDelta(c.totalsDelta.allocBytes)} allocated.`;
  } else if (p && state.baselineIsCurrent) {
    baseline = 'This profile is the baseline: later ones show what changed since.';
  }
  return { title, source, profile, baseline, growth: c?.topGrower ? `${c.topGrower}.` : undefined, problem: problemLine(state), warnings: c?.warnings ?? [] };
}

function signedCount(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `\u2212${formatCount(-n)}` : '±0';
}

function problemLine(state: HeapViewState): string | undefined {
  if (!state.watchId) return 'No process is watched. Attach Memory Watch to a Go program, then show its heap profile.';
  if (state.paused && state.refreshSeconds > 0) return 'The program is stopped in the debugger: nothing is asked until it runs again.';
  const problem = state.problem;
  if (!problem) return state.ended ? 'The program is no longer running: this is its last profile.' : undefined;
  const shown = state.profile ? ` (showing the profile of ${formatClock(state.profile.takenAt)})` : '';
  const stopped = state.refreshSeconds > 0 && FAILURES_THAT_STOP_AUTO_REFRESH.includes(problem.code) ? ' Not asked again until you press Refresh.' : '';
  return `${problem.message}${shown}${stopped}`;
}
