/**
 * Heap profiles of watched programs: where to ask for one (the source Memory Watch already found
 * for the watch), one bounded GET through the project's HTTP client, decoding in a child process,
 * and per watch the current profile, the baseline (the first profile, or one the user set) and
 * the change between them. Every failure becomes a code and a sentence for the view — never a
 * throw, never a request while the program is stopped in the debugger, never two at once.
 */
import { MiB } from '../../shared/format';
import { request, RequestError } from '../net/request';
import { checkUrl, METRICS_URL } from '../net/urlPolicy';
import { AGENT_PREFIX } from '../goruntime/sources';
import { Emitter, Event, IDisposable } from '../util/lifecycle';
import type { Watch } from '../watch';
import { decodeHeapProfile, DecodeHeapProfileOptions } from './decode';
import { diffProfiles, HeapProfileDiff, HeapSiteDelta } from './diff';
import { HeapProfileError } from './errors';
import { formatBytesDelta, siteLocation } from '../../shared/heap/present';
import { HeapProfileSummary } from '../../shared/heap/types';

/** What the service needs of a watch. */
export type HeapProfileWatch = Pick<Watch, 'id' | 'pid' | 'state' | 'paused' | 'isLocal' | 'goRuntime' | 'remoteSource'>;

/** Why there is no (new) profile. */
export type HeapFetchErrorCode =
  /** The program is stopped in the debugger: nothing was asked. */
  | 'paused'
  /** The watch ended: there is no process to ask. */
  | 'ended'
  /** Source discovery has not finished yet. */
  | 'searching'
  /** The program serves neither net/http/pprof nor the agent (or only gops). */
  | 'no-source'
  /** The URL is not one Memory Watch may ask (memoryWatch.metricsUrl on a host not allowed). */
  | 'refused'
  /** HTTP 404: the endpoint is not there (expvar without net/http/pprof). */
  | 'not-served'
  /** HTTP 429 twice: the agent is writing another profile or ran a GC a moment ago. */
  | 'busy'
  /** Another HTTP status. */
  | 'http-error'
  /** A Content-Encoding was applied on top of the profile's own gzip (a proxy): not inflated. */
  | 'compressed'
  /** The request failed: timeout, too large, refused, unreachable, broken. */
  | 'timeout'
  | 'too-large'
  | 'unreachable'
  | 'broken'
  /** The body is not a heap profile Memory Watch accepts (see HeapProfileError). */
  | 'bad-profile';

/** A failure, said for the view. */
export class HeapFetchError extends Error {
  constructor(
    readonly code: HeapFetchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HeapFetchError';
  }
}

/** The one line that tells a person how to make a program's heap profile available. */
export const ADD_SOURCE_HINT =
  'Add `import _ "net/http/pprof"` to the program (with an HTTP server on loopback), or the Memory Watch agent: `import _ "github.com/memorywatch/memory-watch/agent/autostart"`.';

/** Where a heap profile is asked for. */
export interface HeapEndpoint {
  /** The profile's URL, without query. */
  readonly url: URL;
  /** The agent's `/debug/memorywatch/heap` or net/http/pprof's `/debug/pprof/heap`. */
  readonly kind: 'agent' | 'pprof';
  /** What the origin is known as (expvar, Prometheus: it may serve net/http/pprof on the same mux). */
  readonly via: 'agent' | 'pprof' | 'expvar' | 'prometheus' | 'metricsUrl';
  /** "net/http/pprof at 127.0.0.1:41234". */
  readonly description: string;
}

/** Settings the service reads at each fetch. */
export interface HeapEndpointSettings {
  /** memoryWatch.metricsUrl ('' when unset). */
  readonly metricsUrl: string;
  /** Hosts besides loopback the user allowed (user settings only). */
  readonly allowedHosts: readonly string[];
}

/** The endpoint for a kind of source at an origin: the agent's own, else net/http/pprof's. */
function endpointAt(base: URL, via: HeapEndpoint['via'], agent: boolean): HeapEndpoint {
  const url = new URL(agent ? `${AGENT_PREFIX}heap` : '/debug/pprof/heap', base.origin);
  return { url, kind: agent ? 'agent' : 'pprof', via, description: agent ? `Memory Watch agent at ${url.host}` : `net/http/pprof at ${url.host}` };
}

/**
 * Where the watch's heap profile is asked for, or a {@link HeapFetchError} saying why nowhere:
 * a URL target's own origin; a local program's source as discovery found it (agent → its heap
 * endpoint; pprof or expvar → /debug/pprof/heap on the same origin); else memoryWatch.metricsUrl's
 * origin. Sends nothing.
 */
export function heapProfileEndpoint(watch: HeapProfileWatch, settings: HeapEndpointSettings): HeapEndpoint | HeapFetchError {
  const remote = watch.remoteSource;
  if (remote) return endpointAt(remote.baseUrl, remote.kind, remote.kind === 'agent');
  const tracker = watch.goRuntime;
  const source = tracker?.currentSource;
  if (source?.baseUrl && source.kind !== 'gops') return endpointAt(source.baseUrl, source.kind, source.kind === 'agent');
  if (settings.metricsUrl.trim()) {
    const check = checkUrl(settings.metricsUrl, settings.allowedHosts, METRICS_URL);
    if (!check.ok) return new HeapFetchError('refused', check.message);
    return endpointAt(check.url, 'metricsUrl', check.url.pathname.startsWith(AGENT_PREFIX));
  }
  if (source?.kind === 'gops') return new HeapFetchError('no-source', `The program runs a gops agent, which serves no heap profile. ${ADD_SOURCE_HINT}`);
  const status = tracker?.status;
  switch (status?.state) {
    case 'searching':
      return new HeapFetchError('searching', 'Looking for the program’s HTTP endpoints (net/http/pprof or the Memory Watch agent)… Refresh in a few seconds.');
    case 'off':
      return new HeapFetchError('no-source', 'Go figures are turned off (memoryWatch.goFigures), so the program’s endpoints are not looked for. Turn them on, or set memoryWatch.metricsUrl.');
    case 'stopped':
      return new HeapFetchError('no-source', `Memory Watch stopped asking this program (${status.reason}). Detach and attach again to retry.`);
    case 'none':
      return new HeapFetchError('no-source', `No heap profile to read: ${status.reason}. ${ADD_SOURCE_HINT}`);
    default:
      return new HeapFetchError('no-source', `No heap profile to read: no net/http/pprof or Memory Watch agent is known for this program. ${ADD_SOURCE_HINT}`);
  }
}

/** Options of {@link fetchHeapProfileBytes}. */
export interface FetchOptions {
  /** Ask the program to run a GC first (`?gc=1`), so in-use figures are of this moment. */
  readonly forceGc: boolean;
  readonly allowedHosts: readonly string[];
  /** Whole request, ms; default 10 s. */
  readonly timeoutMs?: number;
  /** Largest body, bytes; default 64 MiB. */
  readonly maxBytes?: number;
  /** Waits between a 429 and the retry (tests shorten it); default 1 s. */
  readonly retryDelayMs?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_PROFILE_BYTES = 64 * MiB;

/** A profile's body as it arrived: the socket's chunks, never joined on the extension host (64 MiB took 87 ms to concatenate). */
export interface ProfileBytes {
  readonly pieces: readonly Buffer[];
  readonly byteLength: number;
}

/** GETs the gzip profile at `endpoint` (kept compressed, in pieces: the decoder inflates it in its own process, bounded). */
export async function fetchHeapProfileBytes(endpoint: HeapEndpoint, options: FetchOptions): Promise<ProfileBytes> {
  const get = async (forceGc: boolean) => {
    const url = new URL(endpoint.url);
    if (forceGc) url.searchParams.set('gc', '1');
    const pieces: Buffer[] = [];
    let byteLength = 0;
    try {
      const answer = await request(url, {
        timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
        maxBytes: options.maxBytes ?? DEFAULT_MAX_PROFILE_BYTES,
        overflow: 'fail',
        allowedHosts: options.allowedHosts,
        label: endpoint.description,
        // Kept as they come (the client has bounded them by maxBytes): a piece per socket read.
        consume: (chunk) => {
          pieces.push(chunk);
          byteLength += chunk.length;
          return false;
        },
      });
      return { ...answer, pieces, byteLength };
    } catch (err) {
      if (err instanceof RequestError) throw new HeapFetchError(err.failure === 'not-loopback' || err.failure === 'refused' ? 'refused' : err.failure, err.message);
      throw new HeapFetchError('broken', `The request to ${endpoint.url.host} failed: ${(err as Error).message}`);
    }
  };
  let answer = await get(options.forceGc);
  if (answer.status === 429) {
    // The agent runs one profile, and one forced GC per second, at a time: ask once more, without the GC.
    await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
    answer = await get(false);
    if (answer.status === 429) throw new HeapFetchError('busy', `${endpoint.description} is busy (HTTP 429: another profile or a GC is under way). Try again in a moment.`);
  }
  if (answer.status === 404) throw new HeapFetchError('not-served', notServedMessage(endpoint));
  if (answer.status !== 200) throw new HeapFetchError('http-error', `${endpoint.description} answered HTTP ${answer.status} for ${endpoint.url.pathname}.`);
  if (answer.contentEncoding && answer.contentEncoding !== 'identity') {
    throw new HeapFetchError('compressed', `${endpoint.description} sent the profile with Content-Encoding ${answer.contentEncoding.slice(0, 20)}, which Memory Watch does not inflate (a proxy in between?).`);
  }
  return { pieces: answer.pieces, byteLength: answer.byteLength };
}

function notServedMessage(endpoint: HeapEndpoint): string {
  const where = `${endpoint.url.host}${endpoint.url.pathname}`;
  if (endpoint.kind === 'agent') return `The Memory Watch agent at ${endpoint.url.host} has no heap endpoint (${where} answered 404): update the agent.`;
  const served = endpoint.via === 'expvar' ? `The program serves expvar at ${endpoint.url.host}, but not net/http/pprof` : 'The program does not serve net/http/pprof there';
  return `${served}: ${where} answered 404. ${ADD_SOURCE_HINT}`;
}

/** One profile as fetched and read. */
export interface HeapProfileSnapshot {
  /** Increases with each profile the service reads. */
  readonly seq: number;
  /** When it was fetched (ms since the epoch, this machine's clock). */
  readonly takenAt: number;
  /** The process it came from (a restart makes a new baseline). */
  readonly pid: number;
  readonly summary: HeapProfileSummary;
  /** "net/http/pprof at 127.0.0.1:41234". */
  readonly source: string;
}

/** The current profile also keeps its bytes, for Save. */
export interface CurrentHeapProfile extends HeapProfileSnapshot {
  /** The gzip profile exactly as the program sent it, in the pieces it came in. */
  readonly bytes: ProfileBytes;
}

/** A watch's profiles, as the view shows them. */
export interface HeapWatchProfiles {
  readonly watchId: string;
  readonly fetching: boolean;
  readonly current?: CurrentHeapProfile;
  /** The first profile of the watch (or of its current process), or the one the user set. */
  readonly baseline?: HeapProfileSnapshot;
  /** Baseline → current, when they are different profiles. */
  readonly diff?: HeapProfileDiff;
  /** The last attempt's failure; the current profile (if any) is older. */
  readonly error?: { readonly code: HeapFetchErrorCode; readonly message: string; readonly at: number };
  /** Where the last profile (or attempt) asked. */
  readonly source?: string;
}

/** The site that accounts for most of the in-use growth since the baseline. */
export interface HeapTopGrower {
  /** "91 % of the growth (+16.0 MiB in use since the baseline) was allocated at store.(*LRU).Add (store.go:57)". */
  readonly text: string;
  /** Its share of the summed growth of every site that grew (0–1). */
  readonly share: number;
  /** The summed in-use growth of every site that grew, bytes. */
  readonly grownBytes: number;
  readonly site: HeapSiteDelta;
}

/** The largest in-use grower of a diff and its share of all growth; undefined when nothing grew. */
export function topGrowerOf(diff: HeapProfileDiff): HeapTopGrower | undefined {
  let grownBytes = 0;
  for (const d of diff.growth) if (d.delta.inuseBytes > 0) grownBytes += d.delta.inuseBytes;
  const site = diff.growth[0];
  if (!site || !(grownBytes > 0) || !(site.delta.inuseBytes > 0)) return undefined;
  const share = site.delta.inuseBytes / grownBytes;
  const percent = Math.min(100, Math.round(share * 100));
  const text = `${percent} % of the growth (${formatBytesDelta(grownBytes)} in use since the baseline) was allocated at ${site.shortName} (${siteLocation(site)})`;
  return { text, share, grownBytes, site };
}

/** Options of {@link HeapProfileService}. */
export interface HeapProfileServiceOptions {
  /** Read at each fetch: where it may go. */
  readonly settings: () => HeapEndpointSettings;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly retryDelayMs?: number;
  /** Passed to decodeHeapProfile (the task's script, its timeout). */
  readonly decodeOptions?: Omit<DecodeHeapProfileOptions, 'signal'>;
  /** Failures worth a line in the log. */
  readonly log?: (message: string) => void;
}

interface Entry {
  inflight?: Promise<HeapWatchProfiles>;
  current?: CurrentHeapProfile;
  baseline?: HeapProfileSnapshot;
  diff?: HeapProfileDiff;
  error?: HeapWatchProfiles['error'];
  source?: string;
}

/** A baseline keeps the summary only: the bytes are for saving the current profile. */
function withoutBytes(profile: CurrentHeapProfile): HeapProfileSnapshot {
  return { seq: profile.seq, takenAt: profile.takenAt, pid: profile.pid, summary: profile.summary, source: profile.source };
}

/** Heap profiles per watch: fetch on demand, keep the current one and the baseline, diff them. */
export class HeapProfileService implements IDisposable {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  private disposed = false;
  private readonly changeEmitter = new Emitter<string>();
  /** A watch's profiles changed (a fetch started or ended, a baseline was set); fires its id. */
  readonly onDidChange: Event<string> = this.changeEmitter.event;

  constructor(private readonly options: HeapProfileServiceOptions) {}

  /** What is known for a watch (undefined before its first refresh). */
  get(watchId: string): HeapWatchProfiles | undefined {
    const entry = this.entries.get(watchId);
    return entry && this.describe(watchId, entry);
  }

  isFetching(watchId: string): boolean {
    return this.entries.get(watchId)?.inflight !== undefined;
  }

  /**
   * Fetches and reads a new profile of `watch`; resolves (never rejects) with the watch's
   * profiles, whose `error` says what went wrong. A call while one is under way for the same watch
   * shares it. Nothing is sent while the program is stopped in the debugger or after it ended.
   */
  refresh(watch: HeapProfileWatch, { forceGc = true }: { forceGc?: boolean } = {}): Promise<HeapWatchProfiles> {
    const entry = this.entryFor(watch.id);
    if (entry.inflight) return entry.inflight;
    if (watch.state !== 'running') return Promise.resolve(this.fail(watch.id, entry, new HeapFetchError('ended', 'The program is no longer running: there is no heap to profile.')));
    if (watch.paused) {
      // It could not answer (and a request would wait for the debugger's continue).
      return Promise.resolve(this.fail(watch.id, entry, new HeapFetchError('paused', 'The program is stopped in the debugger: the heap profile is read when it runs again.')));
    }
    const settings = this.options.settings();
    const endpoint = heapProfileEndpoint(watch, settings);
    if (endpoint instanceof HeapFetchError) return Promise.resolve(this.fail(watch.id, entry, endpoint));
    entry.source = endpoint.description;
    const pid = watch.pid;
    entry.inflight = (async () => {
      try {
        const bytes = await fetchHeapProfileBytes(endpoint, { forceGc, allowedHosts: settings.allowedHosts, timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxBytes, retryDelayMs: this.options.retryDelayMs });
        const summary = await this.decode(bytes, endpoint);
        this.accept(entry, { seq: ++this.seq, takenAt: Date.now(), pid, summary, source: endpoint.description, bytes });
      } catch (err) {
        const error = err instanceof HeapFetchError ? err : new HeapFetchError('broken', `Reading the heap profile failed: ${(err as Error).message}`);
        // The same failure again (automatic refresh) is logged once.
        if (entry.error?.message !== error.message) this.options.log?.(`Heap profile of watch ${watch.id} from ${endpoint.description}: ${error.message}`);
        entry.error = { code: error.code, message: error.message, at: Date.now() };
      } finally {
        entry.inflight = undefined;
      }
      this.fire(watch.id);
      return this.describe(watch.id, entry);
    })();
    this.fire(watch.id);
    return entry.inflight;
  }

  /** Makes the current profile the baseline; false when there is none. */
  setBaseline(watchId: string): boolean {
    const entry = this.entries.get(watchId);
    if (!entry?.current) return false;
    entry.baseline = withoutBytes(entry.current);
    entry.diff = undefined;
    this.fire(watchId);
    return true;
  }

  /** The site that grew most since the baseline, as a sentence and figures; undefined without growth. */
  topGrower(watchId: string): HeapTopGrower | undefined {
    const diff = this.entries.get(watchId)?.diff;
    return diff && topGrowerOf(diff);
  }

  /** Drops what is kept for watches not in `watchIds` (detached ones). */
  retain(watchIds: Iterable<string>): void {
    const keep = new Set(watchIds);
    for (const id of [...this.entries.keys()]) if (!keep.has(id)) this.entries.delete(id);
  }

  dispose(): void {
    this.disposed = true;
    this.entries.clear();
    this.changeEmitter.dispose();
  }

  private async decode(bytes: ProfileBytes, endpoint: HeapEndpoint): Promise<HeapProfileSummary> {
    try {
      // Sent to the decoder's process in pieces; the bytes stay as they are, for Save.
      return await decodeHeapProfile(bytes.pieces, this.options.decodeOptions);
    } catch (err) {
      if (err instanceof HeapProfileError) throw new HeapFetchError('bad-profile', `${endpoint.description} sent something Memory Watch cannot read as a heap profile: ${err.message}`);
      throw err;
    }
  }

  private accept(entry: Entry, snapshot: CurrentHeapProfile): void {
    entry.current = snapshot;
    entry.error = undefined;
    // The first profile is the baseline; a restarted process starts a new one.
    if (!entry.baseline || entry.baseline.pid !== snapshot.pid) entry.baseline = withoutBytes(snapshot);
    entry.diff = entry.baseline.seq !== snapshot.seq ? diffProfiles(entry.baseline.summary, snapshot.summary) : undefined;
  }

  private fail(watchId: string, entry: Entry, error: HeapFetchError): HeapWatchProfiles {
    entry.error = { code: error.code, message: error.message, at: Date.now() };
    this.fire(watchId);
    return this.describe(watchId, entry);
  }

  private entryFor(watchId: string): Entry {
    let entry = this.entries.get(watchId);
    if (!entry) this.entries.set(watchId, (entry = {}));
    return entry;
  }

  private describe(watchId: string, entry: Entry): HeapWatchProfiles {
    return { watchId, fetching: entry.inflight !== undefined, current: entry.current, baseline: entry.baseline, diff: entry.diff, error: entry.error, source: entry.source };
  }

  private fire(watchId: string): void {
    if (!this.disposed) this.changeEmitter.fire(watchId);
  }
}
