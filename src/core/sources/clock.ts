/**
 * The clock: the watch reads its process itself at every beat of the one timer all watches of its
 * interval share (sampleClock.ts). Takes any watch, at any interval: the fallback of every other
 * source, and how bursts (measuring a release) sample.
 */
import { sampleClock } from '../sampleClock';
import type { SampleSource, SampleSourceKind, SourceLoop } from './source';

export const clockSource: SampleSourceKind = {
  kind: 'clock',
  accepts: () => true,
  start(_sink, loop: SourceLoop, intervalMs: number): SampleSource {
    const membership = sampleClock.join(intervalMs, () => loop.beat(intervalMs));
    return {
      kind: 'clock',
      intervalMs,
      dispose: () => membership.dispose(),
      drain: () => {
        membership.dispose();
        return Promise.resolve();
      },
    };
  },
};
