/**
 * From a watch's profiles to what the heap view shows (viewTypes.ts): site and function rows with
 * their change since the baseline and where their source line is. Pure: the shell maps the
 * profile's paths first (asynchronous, pathMapping.ts) and passes the answers in.
 */
import path = require('path');
import { HeapProfileDiff } from './diff';
import type { ProfilePathMapping } from './pathMapping';
import { siteLocation } from '../../shared/heap/present';
import { HeapWatchProfiles, topGrowerOf } from './profileService';
import { HEAP_VALUE_KEYS, HeapFunction, HeapProfileSummary, HeapSite, HeapValues, pickValues, zeroValues } from '../../shared/heap/types';
import { HeapRowSource, HeapViewRow, HeapViewState } from '../../shared/heap/viewTypes';

/** A profile's file and line, and the function there (which settles ambiguous paths). */
export interface ProfileLocation {
  readonly file: string;
  readonly line: number;
  readonly functionName: string;
}

/** One string per location, to cache mappings by. */
export function locationKey(location: ProfileLocation): string {
  return `${location.functionName}\n${location.file}\n${location.line}`;
}

/** Everything the view needs to show about the watch itself. */
export interface HeapViewWatch {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
  readonly paused: boolean;
  readonly ended: boolean;
}

/** Input of {@link buildHeapViewState}. */
export interface HeapViewInput {
  readonly version: number;
  readonly watch?: HeapViewWatch;
  readonly profiles?: HeapWatchProfiles;
  readonly refreshSeconds: number;
  readonly notice?: string;
  /** Where a row's line is; called for each location of {@link locationsOf}. */
  readonly locate: (location: ProfileLocation) => HeapRowSource;
}

/** The locations the rows of these profiles will ask {@link HeapViewInput.locate} for. */
export function locationsOf(profiles: HeapWatchProfiles | undefined): ProfileLocation[] {
  const out = new Map<string, ProfileLocation>();
  const add = (location: ProfileLocation) => out.set(locationKey(location), location);
  const current = profiles?.current?.summary;
  if (!current) return [];
  for (const site of current.sites) add(site);
  for (const site of profiles?.diff?.growth ?? []) add(site);
  const lines = functionLines(current);
  for (const fn of current.functions) add({ file: fn.file, line: lines.get(fn.key) ?? fn.startLine, functionName: fn.functionName });
  for (const fn of profiles?.baseline?.summary.functions ?? []) add({ file: fn.file, line: lines.get(fn.key) ?? fn.startLine, functionName: fn.functionName });
  return [...out.values()];
}

/** What the heap view is sent for one watch. */
export function buildHeapViewState(input: HeapViewInput): HeapViewState {
  const { watch, profiles } = input;
  const current = profiles?.current;
  const baseline = profiles?.baseline;
  const diff = profiles?.diff;
  const base: HeapViewState = {
    version: input.version,
    watchId: watch?.id,
    target: watch && `${watch.name} (PID ${watch.pid})`,
    source: profiles?.source,
    fetching: profiles?.fetching ?? false,
    paused: watch?.paused ?? false,
    ended: watch?.ended ?? false,
    refreshSeconds: input.refreshSeconds,
    problem: profiles?.error,
    notice: input.notice,
    baselineIsCurrent: !!current && !!baseline && current.seq === baseline.seq,
    sites: [],
    functions: [],
  };
  if (!current) return base;
  const summary = current.summary;
  const topGrower = diff && topGrowerOf(diff);
  return {
    ...base,
    profile: {
      seq: current.seq,
      takenAt: current.takenAt,
      totals: pickValues(summary.totals),
      samplingRate: summary.samplingRate,
      siteCount: summary.siteCount,
      functionCount: summary.functionCount,
      omittedSites: summary.omittedSites.count,
      omittedFunctions: summary.omittedFunctions.count,
      bytes: current.bytes.byteLength,
    },
    comparison:
      diff && baseline
        ? { baselineSeq: baseline.seq, baselineTakenAt: baseline.takenAt, totalsDelta: diff.totalsDelta, warnings: diff.warnings, topGrower: topGrower?.text }
        : undefined,
    sites: siteRows(summary, diff, input.locate),
    functions: functionRows(summary, diff ? baseline?.summary : undefined, input.locate),
  };
}

function siteRows(summary: HeapProfileSummary, diff: HeapProfileDiff | undefined, locate: HeapViewInput['locate']): HeapViewRow[] {
  const row = (site: Pick<HeapSite, 'key' | 'functionName' | 'shortName' | 'file' | 'line'>, flat: HeapValues, delta?: HeapValues, isNew?: boolean): HeapViewRow => ({
    key: site.key,
    functionName: site.functionName,
    shortName: site.shortName,
    file: site.file,
    line: site.line,
    location: siteLocation(site),
    flat,
    delta,
    isNew,
    source: locate(site),
  });
  if (!diff) return summary.sites.map((site) => row(site, pickValues(site)));
  // With a baseline: every site of either profile (one freed since shows how much it lost).
  return diff.growth.map((d) => row(d, d.current ?? zeroValues(), d.delta, d.isNew));
}

function functionRows(summary: HeapProfileSummary, baseline: HeapProfileSummary | undefined, locate: HeapViewInput['locate']): HeapViewRow[] {
  const lines = functionLines(summary);
  const before = new Map((baseline?.functions ?? []).map((f) => [f.key, f]));
  const complete = baseline !== undefined && baseline.omittedFunctions.count === 0;
  const row = (fn: HeapFunction, now: HeapFunction | undefined, then: HeapFunction | undefined): HeapViewRow => {
    const line = lines.get(fn.key) ?? fn.startLine;
    const flat = now ? pickValues(now.flat) : zeroValues();
    const cum = now ? pickValues(now.cum) : zeroValues();
    return {
      key: fn.key,
      functionName: fn.functionName,
      shortName: fn.shortName,
      file: fn.file,
      line,
      location: siteLocation({ file: fn.file, line }),
      flat,
      cum,
      delta: baseline && subtract(flat, then?.flat),
      cumDelta: baseline && subtract(cum, then?.cum),
      isNew: baseline ? !then && complete : undefined,
      source: locate({ file: fn.file, line, functionName: fn.functionName }),
    };
  };
  const rows = summary.functions.map((fn) => row(fn, fn, before.get(fn.key)));
  if (baseline) {
    const now = new Set(summary.functions.map((f) => f.key));
    for (const fn of baseline.functions) if (!now.has(fn.key)) rows.push(row(fn, undefined, fn));
  }
  return rows;
}

/**
 * The line a function's row opens at: its largest allocation (in use, else allocated), which is
 * what a person looking at the heap wants to see; the `func` line when it allocates nothing itself.
 */
function functionLines(summary: HeapProfileSummary): Map<string, number> {
  const best = new Map<string, HeapSite>();
  for (const site of summary.sites) {
    if (site.line <= 0) continue;
    const key = `${site.functionName}\n${site.file}`;
    const known = best.get(key);
    if (!known || site.inuseBytes > known.inuseBytes || (site.inuseBytes === known.inuseBytes && site.allocBytes > known.allocBytes)) best.set(key, site);
  }
  return new Map([...best].map(([key, site]) => [key, site.line]));
}

function subtract(now: HeapValues, then: HeapValues | undefined): HeapValues {
  const out = zeroValues();
  for (const key of HEAP_VALUE_KEYS) out[key] = now[key] - (then?.[key] ?? 0);
  return out;
}

/** A path mapping as the view shows it: the file relative to its workspace folder, or why none. */
export function toRowSource(mapping: ProfilePathMapping, workspaceFolders: readonly string[]): HeapRowSource {
  if (mapping.kind === 'none' || !mapping.fsPath) return { found: false, reason: mapping.reason ?? 'no local file matches' };
  let shown = mapping.fsPath;
  for (const folder of workspaceFolders) {
    const relative = path.relative(folder, mapping.fsPath);
    if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) {
      shown = relative;
      break;
    }
  }
  return { found: true, shown, readOnly: mapping.readOnly, where: mapping.kind, note: mapping.reason };
}
