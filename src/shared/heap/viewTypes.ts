/**
 * What the heap view (a webview) is sent: a watch's last heap profile as rows ready to sort and
 * show, with the change since the baseline and where each row's source line is on this disk.
 * Types only, with no Node import, so the webview's bundle and tsconfig can use them.
 */
import type { HeapValues } from './types';

/** Which pair of figures the view shows: in use now, or allocated since the program started. */
export type HeapSample = 'inuse' | 'alloc';
/** Rows by allocation site (a line), by function (flat), or by function counting callees (cumulative). */
export type HeapGrouping = 'site' | 'function' | 'cumulative';
/** Largest first, or largest growth since the baseline first. */
export type HeapOrder = 'size' | 'growth';
/** The two lists a row can come from. */
export type HeapRowList = 'sites' | 'functions';

/** Where a row's source line is on this disk, or why there is none. */
export type HeapRowSource =
  | {
      readonly found: true;
      /** The file as shown (relative to its workspace folder when inside one). */
      readonly shown: string;
      /** Anywhere but a workspace folder (by its real path): opened read-only. */
      readonly readOnly: boolean;
      readonly where: 'workspace' | 'goroot' | 'modcache' | 'external';
      /** A caveat (the line is past the end of the file: it changed since the build). */
      readonly note?: string;
    }
  | { readonly found: false; readonly reason: string };

/** One row: an allocation site or a function. */
export interface HeapViewRow {
  /** Identity across profiles (function, file and line; functions: function and file). */
  readonly key: string;
  readonly functionName: string;
  readonly shortName: string;
  /** The file as the profile names it. */
  readonly file: string;
  /** Sites: the allocating line; functions: the line of its largest allocation, else of `func`. */
  readonly line: number;
  /** "store.go:22". */
  readonly location: string;
  /** Sites: the site's figures; functions: flat (allocated in the function itself). */
  readonly flat: HeapValues;
  /** Functions only: with everything it calls. */
  readonly cum?: HeapValues;
  /** flat − baseline's flat; absent without a baseline to compare with. */
  readonly delta?: HeapValues;
  /** Functions only: cum − baseline's cum. */
  readonly cumDelta?: HeapValues;
  /** Not in a complete baseline: it allocated nothing then. */
  readonly isNew?: boolean;
  readonly source: HeapRowSource;
}

/** A profile's own figures, for the header. */
export interface HeapViewProfile {
  /** Increases with each profile fetched in this session. */
  readonly seq: number;
  /** When it was fetched (ms since the epoch). */
  readonly takenAt: number;
  readonly totals: HeapValues;
  /** runtime.MemProfileRate (1 = every allocation recorded). */
  readonly samplingRate: number;
  readonly siteCount: number;
  readonly functionCount: number;
  /** Sites and functions the summary left out, and their figures. */
  readonly omittedSites: number;
  readonly omittedFunctions: number;
  /** Size of the profile as fetched, in bytes (what Save writes). */
  readonly bytes: number;
}

/** The comparison with the baseline, when the baseline is an earlier profile. */
export interface HeapViewComparison {
  readonly baselineSeq: number;
  readonly baselineTakenAt: number;
  readonly totalsDelta: HeapValues;
  /** Reasons to doubt it (restart, sampling), as sentences. */
  readonly warnings: readonly string[];
  /** "91 % of the growth (+16.0 MiB in use since the baseline) was allocated at …", if in-use bytes grew. */
  readonly topGrower?: string;
}

/**
 * Failures that asking again will not fix (the endpoint is missing, refused, or answers something
 * that is not a heap profile): automatic refresh stops asking until the user presses Refresh.
 */
export const FAILURES_THAT_STOP_AUTO_REFRESH: readonly string[] = ['not-served', 'refused', 'compressed', 'bad-profile'];

/** What the last attempt to fetch a profile ran into, as a line for the view. */
export interface HeapViewProblem {
  /** See HeapFetchErrorCode (profileService.ts). */
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

/** Everything the heap view shows. */
export interface HeapViewState {
  /** Increases with each state sent (the view's `rendered` names the one it drew). */
  readonly version: number;
  readonly watchId?: string;
  /** "leaker (PID 1234)". */
  readonly target?: string;
  /** Where profiles come from: "net/http/pprof at 127.0.0.1:41234", or undefined when nowhere. */
  readonly source?: string;
  /** A fetch is under way. */
  readonly fetching: boolean;
  /** The watched program is stopped in the debugger: nothing is fetched until it runs. */
  readonly paused: boolean;
  /** The watched program is no longer running (exited, detached). */
  readonly ended: boolean;
  /** Automatic refresh period in seconds; 0 = off. */
  readonly refreshSeconds: number;
  readonly problem?: HeapViewProblem;
  /** A short note after an action ("Saved heap.pb.gz (12.0 KiB)"). */
  readonly notice?: string;
  readonly profile?: HeapViewProfile;
  readonly comparison?: HeapViewComparison;
  /** The baseline is the profile shown (the first one, or just set). */
  readonly baselineIsCurrent: boolean;
  readonly sites: readonly HeapViewRow[];
  readonly functions: readonly HeapViewRow[];
}
