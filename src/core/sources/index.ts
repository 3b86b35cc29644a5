/** The sample sources a watch tries, in order: the first that takes its process at its interval samples it (source.ts). */
import { clockSource } from './clock';
import { samplerHelperSource } from './samplerHelper';
import type { SampleSourceKind } from './source';

export const SAMPLE_SOURCES: readonly SampleSourceKind[] = [samplerHelperSource, clockSource];

export type { SampleSink, SampleSource, SampleSourceKind, SourceLoop } from './source';
