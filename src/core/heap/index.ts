/**
 * Who holds the Go heap: decode a heap profile (/debug/pprof/heap) in a child process, rank allocation
 * sites and functions, diff two profiles, and map the profile's files to this disk. No `vscode`
 * import: the UI builds on this API.
 */
export { decodeHeapProfile } from './decode';
export type { DecodeHeapProfileOptions } from './decode';
export { analyzeHeapProfile } from './analyze';
export type { AnalyzeOptions, HeapProfileLimits } from './analyze';
export { HeapProfileError } from './errors';
export type { HeapProfileErrorCode } from './errors';
export { diffProfiles } from './diff';
export type { HeapProfileDiff, HeapSiteDelta } from './diff';
export type { HeapFunction, HeapOmitted, HeapProfileSummary, HeapSampleType, HeapSite, HeapValues } from '../../shared/heap/types';
export { shortFunctionName } from './functionNames';
export { createPathContext, mapProfilePath, neverOpenedRoot, resolveLocalFile } from './pathMapping';
export type { LineCheck, LocalFile, PathContext, PathContextInput, PathFs, ProfilePathKind, ProfilePathMapping, ProfilePathRule } from './pathMapping';
export { createRealPathContext, listWorkspaceGoFiles, readGoEnv, realPathFs } from './realFs';
export { describeGrowth, describeSite, formatBytesDelta, formatShare, siteLocation, topFunctions, topSites } from '../../shared/heap/present';
export { resolveHeapTaskScript } from './workerScript';
