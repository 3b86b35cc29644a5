/**
 * Reads a Prometheus `/metrics` page (text format 0.0.4, OpenMetrics 1.0) as its bytes stream in,
 * and keeps only the few families Memory Watch uses (the Go collector's and the process
 * collector's: prometheus.md), mapped to the same GoFigures the other sources give.
 *
 * Why our own reader: a real service's page is megabytes of its own series (thousands of label
 * sets) around ≈ 40 lines we want. The npm parsers build an object per series of the whole page
 * and know neither OpenMetrics nor streaming. Here a line of a family we do not keep costs a
 * look at its first bytes and a native search for its newline: no string, no copy. Kept lines are
 * copied (at most `maxLineBytes` each) and parsed strictly. Everything kept is a fixed table, so
 * memory stays bounded whatever the page holds; the caller bounds the bytes (and so the time).
 *
 * Decisions, each because of what a target can send:
 * - The first non-blank line must be a comment (`# …`) or a well-formed sample, else the page is
 *   not a source at all (HTML, JSON, gzip, binary): `notASource`, and `feed` returns false.
 * - A kept family that appears more than once (two registries, or a page aggregating several
 *   programs) is not believed: first-wins could mix figures of different processes.
 * - A value that is not a finite number within its kind's bounds is dropped with a reason.
 * - A line cut by the end of the page is not believed ("1234" may be "12345678" cut short);
 *   a page's last `# EOF` may end without a newline (OpenMetrics allows it).
 * - After `# EOF` nothing is read. A trailing CR (CRLF pages) is a blank, like a space.
 * - Lines longer than `maxLineBytes` are skipped without being kept; for a kept family, with a reason.
 */
import { isUtf8 } from 'buffer';
import { describeRejected, GoFigures, isCount, NO_MEMORY_LIMIT } from './figures';
import * as ascii from '../util/ascii';

// Read once: where each file is built on its own (the tests, the benches) an imported binding is a
// getter at every use, and these are read per byte.
const { BACKSLASH, CLOSE_BRACE, COMMA, CR, EQUALS, HASH, LF, OPEN_BRACE, QUOTE, SPACE, TAB } = ascii;

/** The two text formats; the numbers we keep are written the same way in both. */
export type ExpositionFormat = 'text-0.0.4' | 'openmetrics-1.0';

/**
 * The Accept header to ask with. Text 0.0.4 first: every exporter speaks it, and its pages are
 * smaller (no `_created` series, no exemplars). OpenMetrics next, for servers that speak only it;
 * anything else last, so a server that does not negotiate still answers (its Content-Type and
 * first line are then judged). Protobuf is never listed, so client_golang never sends it.
 */
export const PROMETHEUS_ACCEPT = 'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1';

/** Lines longer than this are skipped (consumed, never kept). A real kept line is < 100 bytes. */
export const MAX_LINE_BYTES = 64 * 1024;

/** At most this many problems are kept (the rest counted): a hostile page cannot flood the log. */
const MAX_PROBLEMS = 16;

/** What a kept family's value may be. */
type Kind =
  /** Bytes or a count: a whole number from 0 to 2^53 − 1. */
  | 'count'
  /** Seconds since 1970 (a float): finite, ≥ 0, ≤ 2^53. */
  | 'seconds'
  /**
   * GOGC: a whole percentage, or −1 when the collector is off. runtime/metrics gives it as a
   * uint64, so "off" reaches the page wrapped: 1.8446744073709552e+19 (2^64 − 1, rounded).
   */
  | 'percent'
  /** GOMEMLIMIT: a count, or ≥ 2^62 for "no limit" (Go's math.MaxInt64, written 9.223372036854776e+18). */
  | 'limit'
  /** go_info: the value is 1 and the version is a label. */
  | 'info';

/** The samples we keep, by the name on the page, with what their value may be. */
const KEPT = {
  process_resident_memory_bytes: 'count',
  process_virtual_memory_bytes: 'count',
  process_start_time_seconds: 'seconds',
  // The Go collector's MemStats-like families (by default; computed from runtime/metrics since client_golang 1.12).
  go_memstats_heap_alloc_bytes: 'count',
  go_memstats_alloc_bytes: 'count',
  go_memstats_heap_inuse_bytes: 'count',
  go_memstats_heap_idle_bytes: 'count',
  go_memstats_heap_released_bytes: 'count',
  go_memstats_heap_objects: 'count',
  go_memstats_stack_inuse_bytes: 'count',
  go_memstats_stack_sys_bytes: 'count',
  go_memstats_sys_bytes: 'count',
  go_memstats_next_gc_bytes: 'count',
  go_memstats_last_gc_time_seconds: 'seconds',
  go_gc_duration_seconds_count: 'count',
  go_goroutines: 'count',
  go_gc_gomemlimit_bytes: 'limit',
  go_gc_gogc_percent: 'percent',
  go_info: 'info',
  // runtime/metrics, when the program opted in (collectors.WithGoCollectorRuntimeMetrics).
  go_memory_classes_heap_objects_bytes: 'count',
  go_memory_classes_heap_unused_bytes: 'count',
  go_memory_classes_heap_free_bytes: 'count',
  go_memory_classes_heap_released_bytes: 'count',
  go_memory_classes_heap_stacks_bytes: 'count',
  go_memory_classes_os_stacks_bytes: 'count',
  go_memory_classes_metadata_mcache_free_bytes: 'count',
  go_memory_classes_metadata_mcache_inuse_bytes: 'count',
  go_memory_classes_metadata_mspan_free_bytes: 'count',
  go_memory_classes_metadata_mspan_inuse_bytes: 'count',
  go_memory_classes_metadata_other_bytes: 'count',
  go_memory_classes_profiling_buckets_bytes: 'count',
  go_memory_classes_other_bytes: 'count',
  go_memory_classes_total_bytes: 'count',
  go_gc_heap_goal_bytes: 'count',
  go_gc_heap_live_bytes: 'count',
  go_gc_heap_objects_objects: 'count',
  go_gc_cycles_total_gc_cycles_total: 'count',
} as const satisfies Record<string, Kind>;

/** A sample name Memory Watch keeps. */
export type KeptSample = keyof typeof KEPT;

/** Every kept sample name. */
export const KEPT_SAMPLES = Object.keys(KEPT) as readonly KeptSample[];

/** Kept names as bytes, by length: a line's name is compared without making a string of it. */
const KEPT_BY_LENGTH = new Map<number, { name: KeptSample; bytes: Buffer }[]>();
for (const name of KEPT_SAMPLES) {
  const list = KEPT_BY_LENGTH.get(name.length) ?? [];
  list.push({ name, bytes: Buffer.from(name, 'latin1') });
  KEPT_BY_LENGTH.set(name.length, list);
}
const LONGEST_KEPT = Math.max(...KEPT_SAMPLES.map((n) => n.length));

/**
 * How many bytes of a line decide whether it is kept: its indentation, an optional `{"`, and a
 * name no longer than ours. A kept line indented further than this is missed (none is).
 */
const HEAD_BYTES = LONGEST_KEPT + 64;

/** What one page held. */
export interface PrometheusPage {
  /** Set when the page is not Prometheus text at all (HTML, JSON, binary, …): why. Drop the source. */
  readonly notASource?: string;
  /** As the Content-Type said, else OpenMetrics when the page ended with `# EOF`, else text. */
  readonly format: ExpositionFormat;
  /** The Go figures, when the page holds every one GoFigures requires. */
  readonly figures?: GoFigures;
  /** Where each figure came from: a sample name, or "a − b" for a difference. */
  readonly from: Readonly<Partial<Record<keyof GoFigures, string>>>;
  /** The required figures the page lacks (a program without the Go collector, or not in Go). */
  readonly missing: readonly (keyof GoFigures)[];
  /** The process collector's figures: RSS and VSZ in bytes, start time in seconds since 1970. */
  readonly process: { readonly rss?: number; readonly vsz?: number; readonly startTimeSeconds?: number };
  /** Each kept sample's believed value (the rest were absent, or dropped: see `problems`). */
  readonly values: Readonly<Partial<Record<KeptSample, number>>>;
  /** Kept samples the page held, believed or not, in the order first met. */
  readonly seen: readonly KeptSample[];
  /** What was refused, and why: short lines for the log. */
  readonly problems: readonly string[];
  readonly stats: {
    readonly bytes: number;
    readonly lines: number;
    /** Lines that were neither comments nor blank. */
    readonly samples: number;
    /** Lines longer than the limit, skipped. */
    readonly longLines: number;
    /** The page's `# EOF` line was met. */
    readonly eof: boolean;
    /** Bytes after `# EOF`, ignored. */
    readonly bytesAfterEof: number;
  };
}

export interface PrometheusTextReaderOptions {
  /** The format the Content-Type named (see `expositionFormat`); else inferred from `# EOF`. */
  readonly format?: ExpositionFormat;
  /** Lines longer than this are skipped without being kept. */
  readonly maxLineBytes?: number;
}

const G = 0x67;
const P = 0x70;

/** Space, tab, and CR (a CRLF page's line end reads as a trailing blank). */
function isBlank(b: number): boolean {
  return b === SPACE || b === TAB || b === CR;
}

/** [a-zA-Z_:] */
function isNameStart(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || b === 0x3a;
}

/** [a-zA-Z0-9_:] */
function isNameChar(b: number): boolean {
  return isNameStart(b) || (b >= 0x30 && b <= 0x39);
}

/** [a-zA-Z0-9_] (label names have no colon). */
function isLabelChar(b: number): boolean {
  return b !== 0x3a && isNameChar(b);
}

function skipBlanks(buf: Buffer, p: number, end: number): number {
  while (p < end && isBlank(buf[p])) p++;
  return p;
}

/**
 * The kept sample whose name is buf[start, end), if any; compared byte by byte, no string made
 * (a loop: Buffer#compare with offsets costs more per call than the few bytes it compares).
 */
function keptName(buf: Buffer, start: number, end: number): KeptSample | undefined {
  const candidates = KEPT_BY_LENGTH.get(end - start);
  if (!candidates) return undefined;
  for (const c of candidates) {
    let k = 0;
    while (k < c.bytes.length && c.bytes[k] === buf[start + k]) k++;
    if (k === c.bytes.length) return c.name;
  }
  return undefined;
}

/** One line, parsed: positions into the buffer, nothing copied. */
type Line =
  | { readonly kind: 'blank' }
  /** `# …`; `eof` for exactly `# EOF`; `spaced`: the `#` is followed by a blank or ends the line. */
  | { readonly kind: 'comment'; readonly eof: boolean; readonly spaced: boolean }
  | {
      readonly kind: 'sample';
      readonly nameStart: number;
      readonly nameEnd: number;
      /** The value token, as written ("1.5e+07", "NaN", "+Inf"). */
      readonly value: string;
      /** The `version` label's raw value (escapes not yet undone), when asked for and present. */
      readonly versionStart?: number;
      readonly versionEnd?: number;
    }
  | { readonly kind: 'bad'; readonly why: string };

const VERSION = Buffer.from('version', 'latin1');

/**
 * Reads a quoted string starting at buf[p] === '"'. Returns the index just past the closing quote,
 * or −1 when it does not close on this line or holds an escape the formats do not define.
 */
function quotedEnd(buf: Buffer, p: number, end: number): number {
  for (p++; p < end; p++) {
    const b = buf[p];
    if (b === QUOTE) return p + 1;
    if (b === BACKSLASH) {
      p++;
      if (p >= end) return -1;
      const e = buf[p];
      if (e !== BACKSLASH && e !== QUOTE && e !== 0x6e) return -1; // \\ \" \n only
    }
  }
  return -1;
}

/** A number as the formats write one: decimal or exponent, or NaN / ±Inf (Go's ParseFloat spellings). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity)$|^nan$/i;

/** The longest value or timestamp token looked at: 17 significant digits and an exponent fit well within. */
const MAX_NUMBER_CHARS = 40;

/**
 * Parses one line, buf[start, end) without its newline. `wantVersion`: note where the `version`
 * label's value is (go_info). Grammar: `name[{labels}] value [timestamp] [# exemplar]`, the name
 * possibly quoted as the first item inside the braces (`{"my.metric",a="b"} 1`).
 */
function parseLine(buf: Buffer, start: number, end: number, wantVersion: boolean): Line {
  let p = skipBlanks(buf, start, end);
  if (p === end) return { kind: 'blank' };
  if (buf[p] === HASH) {
    const rest = end - p;
    const spaced = rest === 1 || isBlank(buf[p + 1]);
    // "# EOF", allowing trailing blanks (a CRLF page's CR).
    const eof = rest >= 5 && buf.toString('latin1', p, p + 5) === '# EOF' && skipBlanks(buf, p + 5, end) === end;
    return { kind: 'comment', eof, spaced };
  }
  let nameStart = -1;
  let nameEnd = -1;
  if (isNameStart(buf[p])) {
    nameStart = p;
    while (p < end && isNameChar(buf[p])) p++;
    nameEnd = p;
  } else if (buf[p] !== OPEN_BRACE) {
    return { kind: 'bad', why: 'a line starts with neither a name, a brace nor #' };
  }
  let versionStart: number | undefined;
  let versionEnd: number | undefined;
  // Blanks may stand between a name and its labels (Go's own text parser allows them).
  const braces = skipBlanks(buf, p, end);
  const labelled = braces < end && buf[braces] === OPEN_BRACE;
  if (labelled) {
    p = braces;
    p++;
    let first = true;
    for (;;) {
      p = skipBlanks(buf, p, end);
      if (p >= end) return { kind: 'bad', why: 'the labels do not close' };
      if (buf[p] === CLOSE_BRACE) {
        p++;
        break;
      }
      // A label name, bare or quoted; or, first in the braces, the quoted metric name.
      const tokenStart = p;
      let quoted = false;
      if (buf[p] === QUOTE) {
        p = quotedEnd(buf, p, end);
        if (p < 0) return { kind: 'bad', why: 'a quoted name does not close' };
        quoted = true;
      } else if (isNameStart(buf[p]) && buf[p] !== 0x3a) {
        while (p < end && isLabelChar(buf[p])) p++;
      } else {
        return { kind: 'bad', why: 'a label name is malformed' };
      }
      const tokenEnd = p;
      p = skipBlanks(buf, p, end);
      if (p < end && buf[p] === EQUALS) {
        p = skipBlanks(buf, p + 1, end);
        if (p >= end || buf[p] !== QUOTE) return { kind: 'bad', why: 'a label value is not quoted' };
        const valueEnd = quotedEnd(buf, p, end);
        if (valueEnd < 0) return { kind: 'bad', why: 'a label value does not close' };
        const bareName = quoted ? tokenStart + 1 : tokenStart;
        const bareEnd = quoted ? tokenEnd - 1 : tokenEnd;
        if (wantVersion && bareEnd - bareName === VERSION.length && buf.compare(VERSION, 0, VERSION.length, bareName, bareEnd) === 0) {
          versionStart = p + 1;
          versionEnd = valueEnd - 1;
        }
        p = valueEnd;
      } else if (quoted && first && nameStart < 0) {
        nameStart = tokenStart + 1;
        nameEnd = tokenEnd - 1;
      } else {
        return { kind: 'bad', why: 'a label has no value' };
      }
      first = false;
      p = skipBlanks(buf, p, end);
      if (p >= end) return { kind: 'bad', why: 'the labels do not close' };
      if (buf[p] === COMMA) p++;
      else if (buf[p] === CLOSE_BRACE) {
        p++;
        break;
      } else return { kind: 'bad', why: 'labels are not separated by commas' };
    }
  }
  if (nameStart < 0 || nameEnd <= nameStart) return { kind: 'bad', why: 'a sample has no name' };
  // The value: after at least one blank when no labels end the name.
  const afterName = p;
  p = skipBlanks(buf, p, end);
  if ((p === afterName && !labelled) || p === end) return { kind: 'bad', why: 'a sample has no value' };
  const valueStart = p;
  while (p < end && !isBlank(buf[p])) p++;
  if (p - valueStart > MAX_NUMBER_CHARS) return { kind: 'bad', why: 'a value is too long to be a number' };
  const value = buf.toString('latin1', valueStart, p);
  if (!NUMBER.test(value)) return { kind: 'bad', why: `${describeRejected('value', value)} is not a number` };
  // An optional timestamp (ms in 0.0.4, seconds in OpenMetrics: not used), then an optional exemplar.
  p = skipBlanks(buf, p, end);
  if (p < end && buf[p] !== HASH) {
    const tsStart = p;
    while (p < end && !isBlank(buf[p])) p++;
    const ts = buf.toString('latin1', tsStart, Math.min(p, tsStart + MAX_NUMBER_CHARS + 1));
    if (p - tsStart > MAX_NUMBER_CHARS || !NUMBER.test(ts)) return { kind: 'bad', why: 'what follows the value is not a timestamp' };
    p = skipBlanks(buf, p, end);
  }
  // `# {trace_id="…"} 1.0 123`: an OpenMetrics exemplar, about one traced event; nothing we keep.
  if (p < end && buf[p] !== HASH) return { kind: 'bad', why: 'a sample has more than a value and a timestamp' };
  return { kind: 'sample', nameStart, nameEnd, value, versionStart, versionEnd };
}

/**
 * What a line's first bytes say: keep it (the kept sample's name), or skip a sample or a comment;
 * a blank line; `# EOF`. For the page's first line: `first` (keep it whole, to check it) or
 * `refused` (the page is not a source).
 */
type Decision = KeptSample | 'sample' | 'comment' | 'blank' | 'eof' | 'first' | 'refused';

/**
 * Decides from a line's first bytes, buf[start, end), whether to keep it. `complete`: the range is
 * the whole line; else it is HEAD_BYTES long, enough for any name we keep. Only the name is looked
 * at (a kept line is then parsed whole, strictly), and no string is made of it.
 */
function decide(buf: Buffer, start: number, end: number, complete: boolean): Decision {
  let p = skipBlanks(buf, start, end);
  if (p === end) return complete ? 'blank' : 'sample';
  const b = buf[p];
  if (b === HASH) {
    // Only "# EOF" matters among comments: HELP, TYPE and UNIT say nothing the values do not.
    return complete && end - p >= 5 && buf.toString('latin1', p, p + 5) === '# EOF' && skipBlanks(buf, p + 5, end) === end ? 'eof' : 'comment';
  }
  // Every name we keep starts with "go_" or "process_": most lines of a page end here.
  if (b !== G && b !== P && b !== OPEN_BRACE) return 'sample';
  let nameStart: number;
  let nameEnd: number;
  if (b === OPEN_BRACE) {
    // A quoted name: `{"name"` then a comma or the closing brace. Ours hold no escapes.
    p = skipBlanks(buf, p + 1, end);
    if (p === end || buf[p] !== QUOTE) return 'sample';
    nameStart = p + 1;
    p = nameStart;
    while (p < end && buf[p] !== QUOTE && buf[p] !== BACKSLASH) p++;
    if (p === end || buf[p] === BACKSLASH) return 'sample';
    nameEnd = p;
    p = skipBlanks(buf, p + 1, end);
    if (p === end || (buf[p] !== COMMA && buf[p] !== CLOSE_BRACE)) return 'sample';
  } else if (isNameStart(b)) {
    nameStart = p;
    while (p < end && isNameChar(buf[p])) p++;
    // A name running past the head is longer than ours.
    if (p === end && !complete) return 'sample';
    nameEnd = p;
  } else {
    return 'sample';
  }
  return keptName(buf, nameStart, nameEnd) ?? 'sample';
}

/** Reading state between chunks. */
const enum Mode {
  /** At the start of a line. */
  Start,
  /** The line's first bytes, split across chunks, gather in `head` until they decide. */
  Head,
  /** Copying a kept line into `line`. */
  Keep,
  /** Discarding up to the next newline. */
  Skip,
  /** After `# EOF`, or once the page is not a source: nothing more is read. */
  Done,
}

/** What is known of one kept sample name. */
interface Kept {
  /** Lines with this name: a second one makes it refused. */
  count: number;
  value?: number;
  version?: string;
}

/**
 * A bounded, chunk-fed reader of one page: feed the body's chunks as they arrive, then `end()`.
 * Work per chunk is linear in its length; what it holds is a fixed table plus one line of at
 * most `maxLineBytes`.
 */
export class PrometheusTextReader {
  private readonly maxLineBytes: number;
  private mode = Mode.Start;
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headLength = 0;
  /** The kept line so far; grows to maxLineBytes at most. */
  private line = Buffer.alloc(256);
  private lineLength = 0;
  /** The kept line's sample name; undefined for the page's first line, kept whole to be checked. */
  private lineName: KeptSample | undefined;
  private firstLinePending = true;
  private notASource: string | undefined;
  private readonly kept = new Map<KeptSample, Kept>();
  private readonly seen: KeptSample[] = [];
  private readonly problems: string[] = [];
  private problemsLeftOut = 0;
  private bytes = 0;
  private lines = 0;
  private samples = 0;
  private longLines = 0;
  private eof = false;
  private bytesAfterEof = 0;
  private ended: PrometheusPage | undefined;

  constructor(private readonly options: PrometheusTextReaderOptions = {}) {
    this.maxLineBytes = Math.max(HEAD_BYTES, options.maxLineBytes ?? MAX_LINE_BYTES);
  }

  /** Feeds the next chunk (any size, cut anywhere). False once the page is known not to be a source. */
  feed(chunk: Buffer): boolean {
    if (this.ended) return this.notASource === undefined;
    this.bytes += chunk.length;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.mode) {
        case Mode.Done:
          if (this.eof) this.bytesAfterEof += n - i;
          return this.notASource === undefined;
        case Mode.Skip: {
          const nl = chunk.indexOf(LF, i);
          if (nl < 0) return true;
          this.lines++;
          this.mode = Mode.Start;
          i = nl + 1;
          break;
        }
        case Mode.Keep: {
          const nl = chunk.indexOf(LF, i);
          const stop = nl < 0 ? n : nl;
          if (!this.append(chunk, i, stop) || nl < 0) {
            i = stop; // too long (now skipped up to its newline), or the line goes on in the next chunk
            break;
          }
          i = nl + 1;
          this.endKeptLine();
          break;
        }
        case Mode.Head: {
          const nl = chunk.indexOf(LF, i);
          const stop = Math.min(nl < 0 ? n : nl, i + HEAD_BYTES - this.headLength);
          chunk.copy(this.head, this.headLength, i, stop);
          this.headLength += stop - i;
          i = stop;
          const complete = nl >= 0 && stop === nl;
          if (!complete && this.headLength < HEAD_BYTES) return true; // the head goes on in the next chunk
          const length = this.headLength;
          this.headLength = 0;
          const d = this.decideLine(this.head, 0, length, complete);
          // Kept: the head starts the line, the rest follows from i. Else Skip ends the line at its newline.
          if (this.enter(d)) this.append(this.head, 0, length);
          else if (d === 'eof') i = nl + 1;
          break;
        }
        case Mode.Start: {
          const nl = chunk.indexOf(LF, i);
          const lineEnd = nl < 0 ? n : nl;
          if (nl < 0 && n - i < HEAD_BYTES) {
            // Too few bytes to decide, and the chunk ends here: gather the head.
            chunk.copy(this.head, 0, i, n);
            this.headLength = n - i;
            this.mode = Mode.Head;
            return true;
          }
          const complete = nl >= 0 && lineEnd - i <= HEAD_BYTES;
          const d = this.decideLine(chunk, i, complete ? lineEnd : i + HEAD_BYTES, complete);
          if (this.enter(d)) break; // Keep copies from i
          if ((this.mode as Mode) === Mode.Done) {
            i = d === 'eof' ? lineEnd + 1 : n;
          } else if (nl >= 0) {
            // Skipped, and its newline is in this chunk: straight on to the next line.
            this.lines++;
            this.mode = Mode.Start;
            i = nl + 1;
          } else {
            i = n;
          }
          break;
        }
      }
    }
    return this.notASource === undefined;
  }

  /** The page ended: what it held. Further calls return the same. */
  end(): PrometheusPage {
    if (this.ended) return this.ended;
    // A last line without its newline.
    if (this.mode === Mode.Head) {
      const d = this.decideLine(this.head, 0, this.headLength, true);
      if (d === 'first') this.finishFirstLine(this.head, 0, this.headLength, true);
      else if (d === 'eof') this.eof = true;
      else if (d !== 'sample' && d !== 'comment' && d !== 'blank' && d !== 'refused') this.cutShort(d);
    } else if (this.mode === Mode.Keep) {
      if (this.lineName === undefined) this.finishFirstLine(this.line, 0, this.lineLength, true);
      else this.cutShort(this.lineName);
    }
    if (this.firstLinePending && this.notASource === undefined) this.notASource = this.bytes === 0 ? 'not a Prometheus metrics page: it is empty' : 'not a Prometheus metrics page: it holds only blank lines';
    this.mode = Mode.Done;
    this.line = Buffer.alloc(0);
    this.ended = this.result();
    return this.ended;
  }

  /** Bytes this reader holds besides its fixed table: what the tests bound. */
  heldBytes(): number {
    return this.head.length + this.line.length + this.problems.reduce((sum, p) => sum + 2 * p.length, 0);
  }

  private decideLine(buf: Buffer, start: number, end: number, complete: boolean): Decision {
    if (!this.firstLinePending) return decide(buf, start, end, complete);
    // The first line is kept whole and checked: is this a metrics page at all? A first byte
    // no metrics line starts with (`<` of HTML, gzip's 0x1f, …) says no at once.
    const p = skipBlanks(buf, start, end);
    if (p === end) return complete ? 'blank' : 'first';
    const b = buf[p];
    if (b !== HASH && b !== OPEN_BRACE && !isNameStart(b)) {
      this.refusePage(`it starts with ${describeBytes(buf, p, end)}`);
      return 'refused';
    }
    return 'first';
  }

  /** Acts on a line's decision; true when the line is to be kept (copied from where it starts). */
  private enter(d: Decision): boolean {
    switch (d) {
      case 'first':
        this.lineName = undefined;
        this.lineLength = 0;
        this.mode = Mode.Keep;
        return true;
      case 'eof':
        this.lines++;
        this.eof = true;
        this.mode = Mode.Done;
        return false;
      case 'refused':
        this.mode = Mode.Done;
        return false;
      case 'blank':
      case 'comment':
        this.mode = Mode.Skip;
        return false;
      case 'sample':
        this.samples++;
        this.mode = Mode.Skip;
        return false;
      default: {
        this.samples++;
        const known = this.kept.get(d);
        if (known && known.count >= 2) {
          // Refused already: further copies need no parsing, only counting.
          known.count++;
          this.mode = Mode.Skip;
          return false;
        }
        this.lineName = d;
        this.lineLength = 0;
        this.mode = Mode.Keep;
        return true;
      }
    }
  }

  /** Appends to the kept line; false (and the line is skipped) when it grows past the limit. */
  private append(buf: Buffer, from: number, to: number): boolean {
    const need = this.lineLength + (to - from);
    if (need > this.maxLineBytes) {
      this.longLines++;
      const limit = `${Math.round(this.maxLineBytes / 1024)} KiB`;
      if (this.lineName === undefined) {
        this.refusePage(`its first line is longer than ${limit}`);
      } else {
        this.count(this.lineName);
        this.problem(`dropped ${this.lineName}: its line is longer than ${limit}`);
        this.mode = Mode.Skip;
      }
      this.lineLength = 0;
      return false;
    }
    if (need > this.line.length) {
      const grown = Buffer.alloc(Math.min(this.maxLineBytes, Math.max(need, this.line.length * 2)));
      this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    buf.copy(this.line, this.lineLength, from, to);
    this.lineLength = need;
    return true;
  }

  /** A kept line's newline was met: parse it. */
  private endKeptLine(): void {
    this.lines++;
    this.mode = Mode.Start;
    const length = this.lineLength;
    this.lineLength = 0;
    if (this.lineName === undefined) {
      this.finishFirstLine(this.line, 0, length, false);
      return;
    }
    const name = this.lineName;
    const p = parseLine(this.line, 0, length, KEPT[name] === 'info');
    if (p.kind === 'sample') {
      this.take(name, p, this.line);
    } else {
      this.count(name);
      this.problem(`dropped ${name}: ${p.kind === 'bad' ? p.why : 'not a sample'}`);
    }
  }

  /** Checks the page's first non-blank line; `cut`: the page ended inside it. */
  private finishFirstLine(buf: Buffer, start: number, end: number, cut: boolean): void {
    this.firstLinePending = false;
    const p = parseLine(buf, start, end, true);
    if (p.kind === 'blank') {
      this.firstLinePending = true; // a long run of blanks: the first line is still to come
      return;
    }
    const why = p.kind === 'bad' ? p.why : p.kind === 'comment' && !p.spaced ? 'a # not followed by a space' : !isUtf8(buf.subarray(start, end)) ? 'not UTF-8' : undefined;
    if (why !== undefined) {
      this.refusePage(`its first line is not a Prometheus comment or sample (${why})`);
      return;
    }
    if (p.kind === 'comment') {
      if (p.eof) {
        this.eof = true;
        this.mode = Mode.Done;
      }
      return;
    }
    if (p.kind !== 'sample') return;
    this.samples++;
    const name = keptName(buf, p.nameStart, p.nameEnd);
    if (name === undefined) return;
    if (cut) this.cutShort(name);
    else this.take(name, p, buf);
  }

  /** The page ended inside a kept line: not believed, its number may be cut short. */
  private cutShort(name: KeptSample): void {
    this.count(name);
    this.problem(`dropped ${name}: the page ended inside its line`);
  }

  /** Counts one line of a kept sample name. */
  private count(name: KeptSample): Kept {
    let k = this.kept.get(name);
    if (!k) {
      k = { count: 0 };
      this.kept.set(name, k);
      this.seen.push(name);
    }
    k.count++;
    return k;
  }

  /** A well-formed kept sample: its value checked against its kind. */
  private take(name: KeptSample, p: Extract<Line, { kind: 'sample' }>, buf: Buffer): void {
    const k = this.count(name);
    if (k.count > 1) {
      k.value = undefined;
      k.version = undefined;
      return;
    }
    const kind: Kind = KEPT[name];
    const checked = checkValue(kind, numberOf(p.value));
    if (checked === undefined) {
      this.problem(`dropped ${describeRejected(name, p.value)}: not ${KIND_TEXT[kind]}`);
      return;
    }
    if (kind === 'info') {
      const version = p.versionStart !== undefined ? labelText(buf, p.versionStart, p.versionEnd!) : undefined;
      if (version === undefined || !/^go[\w.+-]{1,40}$/.test(version)) {
        this.problem(`dropped ${name}: its version label is ${version === undefined ? 'missing' : 'not a Go version'}`);
        return;
      }
      k.version = version;
    }
    k.value = checked;
  }

  private refusePage(why: string): void {
    this.notASource = `not a Prometheus metrics page: ${why}`;
    this.firstLinePending = false;
    this.mode = Mode.Done;
  }

  private problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text.slice(0, 200));
    else this.problemsLeftOut++;
  }

  private result(): PrometheusPage {
    const format: ExpositionFormat = this.options.format ?? (this.eof ? 'openmetrics-1.0' : 'text-0.0.4');
    const stats = { bytes: this.bytes, lines: this.lines, samples: this.samples, longLines: this.longLines, eof: this.eof, bytesAfterEof: this.bytesAfterEof };
    if (this.notASource !== undefined) return { notASource: this.notASource, format, from: {}, missing: [], process: {}, values: {}, seen: [], problems: [], stats };
    const values: Partial<Record<KeptSample, number>> = {};
    for (const [name, k] of this.kept) {
      if (k.count > 1) this.problem(`dropped ${name}: it appears ${k.count} times on the page (two registries, or several programs?)`);
      else if (k.value !== undefined) values[name] = k.value;
    }
    if (format === 'openmetrics-1.0' && !this.eof) this.problem('the OpenMetrics page has no # EOF: it may have been cut short');
    if (this.bytesAfterEof > 0) this.problem(`ignored ${this.bytesAfterEof} bytes after # EOF`);
    const infoLine = this.kept.get('go_info');
    const goVersion = infoLine?.count === 1 && values.go_info !== undefined ? infoLine.version : undefined;
    const { figures, from, missing } = goFigures(values, goVersion, (t) => this.problem(t));
    const problems = this.problemsLeftOut > 0 ? [...this.problems, `… and ${this.problemsLeftOut} more`] : [...this.problems];
    return {
      format,
      figures,
      from,
      missing,
      process: { rss: values.process_resident_memory_bytes, vsz: values.process_virtual_memory_bytes, startTimeSeconds: values.process_start_time_seconds },
      values,
      seen: [...this.seen],
      problems,
      stats,
    };
  }
}

/** A value token the grammar accepted (decimal, exponent, NaN, ±Inf in any case) as a number. */
function numberOf(token: string): number {
  const t = token.toLowerCase();
  if (t === 'nan') return NaN;
  const inf = /^([+-]?)inf(?:inity)?$/.exec(t);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return Number(t);
}

const KIND_TEXT: Record<Kind, string> = {
  count: 'a count (a whole number from 0 to 2^53)',
  seconds: 'a time in seconds (finite, from 0 to 2^53)',
  percent: 'a GOGC percentage (a whole number ≥ −1, or 2^64 − 1 for off)',
  limit: 'a memory limit (a count, or ≥ 2^62 for none)',
  info: 'an info sample (finite)',
};

/** A kept sample's value as its kind allows (a count, seconds, GOGC, GOMEMLIMIT…), else undefined — for values read elsewhere than a page (a Prometheus server's history). */
export function keptSampleValue(name: KeptSample, v: number): number | undefined {
  return checkValue(KEPT[name], v);
}

/** The value as its kind allows, else undefined. Normalises −0 to 0 and "no limit" to 0. */
function checkValue(kind: Kind, v: number): number | undefined {
  switch (kind) {
    case 'count':
      return isCount(v) ? v + 0 : undefined;
    case 'seconds':
      return Number.isFinite(v) && v >= 0 && v <= 2 ** 53 ? v + 0 : undefined;
    case 'percent':
      // uint64(−1) is what GOGC=off looks like on a real page (recorded: gogc-off-limit.txt).
      if (v === 2 ** 64) return -1;
      return Number.isSafeInteger(v) && v >= -1 ? v + 0 : undefined;
    case 'limit':
      // "No limit" is math.MaxInt64, written 9.223372036854776e+18: 0, as the agent reports it.
      if (Number.isFinite(v) && v >= NO_MEMORY_LIMIT && v <= 2 ** 64) return 0;
      return isCount(v) ? v + 0 : undefined;
    case 'info':
      return Number.isFinite(v) ? v + 0 : undefined;
  }
}

/** A label value's text, escapes undone; undefined when it is not UTF-8 or is too long to be one we show. */
function labelText(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start > 256) return undefined;
  const bytes = buf.subarray(start, end);
  if (!isUtf8(bytes)) return undefined;
  return bytes.toString('utf8').replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** A few bytes of what a page starts with, safe to log. */
function describeBytes(buf: Buffer, start: number, end: number): string {
  return JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 24)));
}

/**
 * The GoFigures a page's believed values give, preferring runtime/metrics' classes, and where each
 * came from. The one mapping from sample names to figures: a Prometheus server's history
 * (history/fleet.ts) uses it on each point's values too.
 */
export function goFigures(
  values: Partial<Record<KeptSample, number>>,
  goVersion: string | undefined,
  problem: (text: string) => void,
): { figures?: GoFigures; from: Partial<Record<keyof GoFigures, string>>; missing: (keyof GoFigures)[] } {
  const from: Partial<Record<keyof GoFigures, string>> = {};
  /** The first candidate the page has: a sample, or a difference / sum of two. */
  const pick = (figure: keyof GoFigures, ...candidates: (KeptSample | [KeptSample, '-' | '+', KeptSample])[]): number | undefined => {
    for (const c of candidates) {
      if (typeof c === 'string') {
        const v = values[c];
        if (v !== undefined) {
          from[figure] = c;
          return v;
        }
        continue;
      }
      const [a, op, b] = c;
      const va = values[a];
      const vb = values[b];
      if (va === undefined || vb === undefined) continue;
      const v = op === '-' ? va - vb : va + vb;
      // Read in one go by the collector: a part larger than its whole, or a sum past 2^53, is impossible.
      if (!isCount(v)) {
        problem(`dropped ${figure}: ${a} ${op === '-' ? '−' : '+'} ${b} = ${v}`);
        continue;
      }
      from[figure] = `${a} ${op === '-' ? '−' : '+'} ${b}`;
      return v;
    }
    return undefined;
  };
  const heapObjects = pick('heapObjects', 'go_memory_classes_heap_objects_bytes', 'go_memstats_heap_alloc_bytes', 'go_memstats_alloc_bytes');
  const heapUnused = pick(
    'heapUnused',
    'go_memory_classes_heap_unused_bytes',
    ['go_memstats_heap_inuse_bytes', '-', 'go_memstats_heap_alloc_bytes'],
    ['go_memstats_heap_inuse_bytes', '-', 'go_memstats_alloc_bytes'],
  );
  const heapFree = pick('heapFree', 'go_memory_classes_heap_free_bytes', ['go_memstats_heap_idle_bytes', '-', 'go_memstats_heap_released_bytes']);
  const heapReleased = pick('heapReleased', 'go_memory_classes_heap_released_bytes', 'go_memstats_heap_released_bytes');
  const stacks = pick('stacks', ['go_memory_classes_heap_stacks_bytes', '+', 'go_memory_classes_os_stacks_bytes'], 'go_memstats_stack_sys_bytes');
  const total = pick('total', 'go_memory_classes_total_bytes', 'go_memstats_sys_bytes');
  const gcCycles = pick('gcCycles', 'go_gc_cycles_total_gc_cycles_total', 'go_gc_duration_seconds_count');
  const gcGoal = pick('gcGoal', 'go_gc_heap_goal_bytes', 'go_memstats_next_gc_bytes');
  // Optional ones. heapLive is 0 until the first GC has marked anything: unknown, as the agent says.
  const heapLive = pick('heapLive', 'go_gc_heap_live_bytes');
  const memoryLimit = pick('memoryLimit', 'go_gc_gomemlimit_bytes');
  const gogc = pick('gogc', 'go_gc_gogc_percent');
  const processRss = pick('processRss', 'process_resident_memory_bytes');
  const goroutines = pick('goroutines', 'go_goroutines');
  if (goVersion !== undefined) from.goVersion = 'go_info';
  if (!heapLive) delete from.heapLive;
  const required = { heapObjects, heapUnused, heapFree, heapReleased, stacks, total, gcCycles, gcGoal };
  const missing = (Object.keys(required) as (keyof typeof required)[]).filter((k) => required[k] === undefined);
  if (missing.length > 0) return { from, missing };
  const r = required as { [K in keyof typeof required]: number };
  // The classes partition what the runtime mapped: parts larger than the whole mean mixed or broken figures.
  const parts = r.heapObjects + r.heapUnused + r.heapFree + r.heapReleased + r.stacks;
  if (parts > r.total) {
    problem(`dropped the Go figures: the heap and stacks (${parts}) exceed everything mapped (${r.total})`);
    return { from, missing: [] };
  }
  return {
    from,
    missing,
    figures: { ...r, heapLive: heapLive ? heapLive : undefined, memoryLimit, gogc, goVersion, processRss, goroutines },
  };
}

/** What to make of an answer before reading it: its format, or why it is not a metrics page. */
export type FormatDecision = { readonly ok: true; readonly format: ExpositionFormat } | { readonly ok: false; readonly reason: string };

/**
 * Decides from the Content-Type (and, when it says nothing useful, the first bytes) whether an
 * answer is a text metrics page. The reader checks the first line again, in full.
 */
export function expositionFormat(contentType: string | undefined, firstBytes?: Buffer): FormatDecision {
  const [mediaType, ...params] = (contentType ?? '').toLowerCase().split(';').map((s) => s.trim());
  const version = params.find((p) => p.startsWith('version='))?.slice('version='.length);
  const sniff = (): FormatDecision => {
    if (!firstBytes) return { ok: true, format: 'text-0.0.4' };
    let p = 0;
    while (p < firstBytes.length && (isBlank(firstBytes[p]) || firstBytes[p] === LF)) p++;
    if (p === firstBytes.length) return { ok: true, format: 'text-0.0.4' };
    const b = firstBytes[p];
    return b === HASH || b === OPEN_BRACE || isNameStart(b) ? { ok: true, format: 'text-0.0.4' } : { ok: false, reason: `not a metrics page: it starts with ${describeBytes(firstBytes, p, firstBytes.length)}` };
  };
  switch (mediaType) {
    case 'application/openmetrics-text':
      // 0.0.1 and 1.0.0 write what we keep identically; a later version is judged by its lines.
      return { ok: true, format: 'openmetrics-1.0' };
    case 'text/plain':
      // Version 0.0.4, or none (hand-written exporters); the UTF-8 era's 1.0.0 reads the same.
      return version === undefined || version === '0.0.4' || version === '1.0.0' ? sniff() : { ok: false, reason: `text/plain version ${version.slice(0, 20)} is not a Prometheus text format` };
    case '':
    case 'application/octet-stream':
      return sniff();
    case 'application/vnd.google.protobuf':
      return { ok: false, reason: 'the server answered in protobuf, which Memory Watch does not read (it was not asked for)' };
    default:
      return { ok: false, reason: `not a metrics page: its Content-Type is ${JSON.stringify(mediaType.slice(0, 60))}` };
  }
}
