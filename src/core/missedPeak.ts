/**
 * Peaks the samples missed. A burst of load can raise RSS by hundreds of MiB and the Go runtime
 * can return most of it within a second, all between two samples: the line would never show it.
 * Linux keeps each process's highest RSS (VmHWM, updated before pages are unmapped or
 * madvised away); when it rises between two samples to above both, RSS went that high in between.
 *
 * Only a new high for the process shows this way: the kernel keeps one high-water mark, and
 * resetting it (clear_refs) would change what every other tool reports, so a burst below an
 * earlier peak stays invisible. macOS `ps` and Windows give no high-water mark: nothing there.
 */
import { MiB } from '../shared/format';
import type { MemorySample } from './sampling/types';

/** Below this, or this fraction of the sampled RSS, a rise is page-accounting noise, not a burst. */
export const MISSED_PEAK_MIN_BYTES = 1 * MiB;
export const MISSED_PEAK_MIN_FRACTION = 0.02;

/** The highest RSS reached between `previous` and `current` when no sample saw it, else undefined. */
export function missedPeak(previous: MemorySample | undefined, current: MemorySample): number | undefined {
  if (previous?.peakRss === undefined || current.peakRss === undefined) return undefined;
  if (current.peakRss <= previous.peakRss) return undefined;
  const sampled = Math.max(previous.rss, current.rss);
  const above = current.peakRss - sampled;
  return above >= Math.max(MISSED_PEAK_MIN_BYTES, sampled * MISSED_PEAK_MIN_FRACTION) ? current.peakRss : undefined;
}
