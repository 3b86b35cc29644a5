/**
 * Presentation helpers for a heap summary or diff: the orderings of `go tool pprof -top`,
 * `-top -cum` and `-top -lines`, and the short texts a list or hover shows. Sizes in binary units
 * (formatBytes), like everywhere else in Memory Watch.
 */
import { formatBytes } from '../format';
import type { HeapSiteDelta } from './types';
import { HeapFunction, HeapSite, HeapValues } from './types';

/** Functions ordered like `go tool pprof -top` (flat) or `-top -cum` (cum), by one figure. */
export function topFunctions(functions: readonly HeapFunction[], by: keyof HeapValues = 'inuseBytes', cumulative = false): HeapFunction[] {
  const figure = (f: HeapFunction) => (cumulative ? f.cum[by] : f.flat[by]);
  return [...functions].sort((a, b) => figure(b) - figure(a) || (cumulative ? b.flat[by] - a.flat[by] : b.cum[by] - a.cum[by]) || compare(a.functionName, b.functionName));
}

/** Sites ordered like `go tool pprof -top -lines`, by one figure. */
export function topSites(sites: readonly HeapSite[], by: keyof HeapValues = 'inuseBytes'): HeapSite[] {
  return [...sites].sort((a, b) => b[by] - a[by] || compare(a.key, b.key));
}

/** "store.go:22": the base name of the profile's file and the line. */
export function siteLocation(site: Pick<HeapSite, 'file' | 'line'>): string {
  // The base name without splitting: a profile's path can be thousands of "/" (it is the target's).
  const base = site.file.slice(Math.max(site.file.lastIndexOf('/'), site.file.lastIndexOf('\\')) + 1) || '?';
  return site.line > 0 ? `${base}:${site.line}` : base;
}

/** "73.1 %"; "—" when the total is 0. */
export function formatShare(part: number, total: number): string {
  if (!Number.isFinite(part) || !Number.isFinite(total) || total <= 0) return '—';
  return `${((100 * part) / total).toFixed(1)} %`;
}

/** "+2.0 MiB", "−512 B", "±0 B": a signed change of bytes. */
export function formatBytesDelta(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes === 0) return '±0 B';
  return `${bytes > 0 ? '+' : '−'}${formatBytes(Math.abs(bytes))}`;
}

/** "store.(*Store).Add (store.go:22): 3.9 MiB in use in 1000 objects". */
export function describeSite(site: HeapSite): string {
  return `${site.shortName} (${siteLocation(site)}): ${formatBytes(site.inuseBytes)} in use in ${site.inuseObjects} objects`;
}

/** "store.(*Store).Add (store.go:22): +2.0 MiB in use (+500 objects), new". */
export function describeGrowth(delta: HeapSiteDelta): string {
  const objects = delta.delta.inuseObjects;
  return `${delta.shortName} (${siteLocation(delta)}): ${formatBytesDelta(delta.delta.inuseBytes)} in use (${objects >= 0 ? '+' : '−'}${Math.abs(objects)} objects)${delta.isNew ? ', new' : ''}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
