/**
 * From the bytes of a pprof protobuf (already gunzipped) to a {@link HeapProfileSummary}: the
 * profile is decoded by `pprof-format`, every index and figure in it is checked (it comes from
 * the target), and allocations are summed by site (innermost line) and by function, flat and
 * cumulative, the way `go tool pprof -top` / `-top -cum` / `-top -lines` count them.
 *
 * This runs in the heap task's child process: for a profile of 10k samples it takes longer than
 * the extension host may block, and a hostile one may take all the memory it is allowed.
 */
import { Profile } from 'pprof-format';
import { HeapProfileError } from './errors';
import { shortFunctionName } from './functionNames';
import { HEAP_VALUE_KEYS, HeapFunction, HeapOmitted, HeapProfileSummary, HeapSampleType, HeapSite, HeapValues, zeroValues } from '../../shared/heap/types';

/** How many sites and functions a summary keeps (the rest are counted in `omitted…`). */
export interface SummarizeOptions {
  /** Sites to keep, 1 … 1,000,000; default 500. */
  maxSites?: number;
  /** Functions to keep, 1 … 1,000,000; default 500. */
  maxFunctions?: number;
}

export const DEFAULT_MAX_ENTRIES = 500;

/**
 * A function name or file path longer than this is cut (with "…"): the names are the target's, and
 * each row repeats them (key, name, short name, path), so 100 names of 100 KiB made a view state of
 * 117 MiB that took most of a second to build and post. A real Go name is under a few hundred
 * characters; a path longer than 4,096 bytes cannot be opened on Linux anyway.
 */
export const MAX_FUNCTION_NAME_CHARS = 1024;
export const MAX_FILE_NAME_CHARS = 4096;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
const MAX_ENTRIES_LIMIT = 1_000_000;

type Numeric = number | bigint;

// The four Go heap sample types, their unit and the figure each fills.
const HEAP_SAMPLE_TYPES: readonly { type: string; unit: string; key: keyof HeapValues }[] = [
  { type: 'inuse_space', unit: 'bytes', key: 'inuseBytes' },
  { type: 'inuse_objects', unit: 'count', key: 'inuseObjects' },
  { type: 'alloc_space', unit: 'bytes', key: 'allocBytes' },
  { type: 'alloc_objects', unit: 'count', key: 'allocObjects' },
];

function notAProfile(detail: string): HeapProfileError {
  return new HeapProfileError('not-a-profile', `Not a pprof heap profile: ${detail}.`);
}

/** Reads a protobuf varint at `offset`; returns [value, next offset] (inexact above 2^53). */
function readVarint(bytes: Uint8Array, offset: number, end = bytes.length): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < end && i < offset + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if (bytes[i] < 0x80) return [value, i + 1];
    scale *= 128;
  }
  if (offset + 10 <= end) throw notAProfile(`the number at byte ${offset} is longer than 10 bytes`);
  throw new HeapProfileError('truncated', `The heap profile is cut off: a number at byte ${offset} never ends.`);
}

/**
 * The fields of perftools.profiles.Profile and its messages, as the shape check walks them: a
 * nested message (its own fields), a repeated number (packed, or one per field), a number, or
 * bytes (a string). `max`: most entries of a repeated field in one message — far above what any Go
 * heap profile holds (a stack is at most 128 frames, a sample has 4 values), far below what would
 * cost the decoder its memory.
 */
type FieldShape = { readonly kind: 'message'; readonly of: MessageShape; readonly max: number } | { readonly kind: 'numbers'; readonly max: number } | { readonly kind: 'number' } | { readonly kind: 'bytes' };
interface MessageShape {
  readonly name: string;
  readonly fields: Readonly<Record<number, FieldShape>>;
}

const MILLION = 1_000_000;
const NUMBER: FieldShape = { kind: 'number' };
const BYTES: FieldShape = { kind: 'bytes' };
const VALUE_TYPE: MessageShape = { name: 'ValueType', fields: { 1: NUMBER, 2: NUMBER } };
const LABEL: MessageShape = { name: 'Label', fields: { 1: NUMBER, 2: NUMBER, 3: NUMBER, 4: NUMBER } };
const SAMPLE: MessageShape = { name: 'Sample', fields: { 1: { kind: 'numbers', max: 4096 }, 2: { kind: 'numbers', max: 64 }, 3: { kind: 'message', of: LABEL, max: 4096 } } };
const MAPPING: MessageShape = { name: 'Mapping', fields: { 1: NUMBER, 2: NUMBER, 3: NUMBER, 4: NUMBER, 5: NUMBER, 6: NUMBER, 7: NUMBER, 8: NUMBER, 9: NUMBER, 10: NUMBER } };
const LINE: MessageShape = { name: 'Line', fields: { 1: NUMBER, 2: NUMBER, 3: NUMBER } };
const LOCATION: MessageShape = { name: 'Location', fields: { 1: NUMBER, 2: NUMBER, 3: NUMBER, 4: { kind: 'message', of: LINE, max: 4096 }, 5: NUMBER } };
const FUNCTION: MessageShape = { name: 'Function', fields: { 1: NUMBER, 2: NUMBER, 3: NUMBER, 4: NUMBER, 5: NUMBER } };
const PROFILE: MessageShape = {
  name: 'Profile',
  fields: {
    1: { kind: 'message', of: VALUE_TYPE, max: 64 },
    2: { kind: 'message', of: SAMPLE, max: 4 * MILLION },
    3: { kind: 'message', of: MAPPING, max: MILLION },
    4: { kind: 'message', of: LOCATION, max: 4 * MILLION },
    5: { kind: 'message', of: FUNCTION, max: 4 * MILLION },
    6: BYTES,
    7: NUMBER,
    8: NUMBER,
    9: NUMBER,
    10: NUMBER,
    11: { kind: 'message', of: VALUE_TYPE, max: 1 },
    12: NUMBER,
    13: { kind: 'numbers', max: 10_000 },
    14: NUMBER,
    15: NUMBER,
  },
};
/** Most strings in the string table. */
const MAX_STRINGS = 4 * MILLION;
/** Most numbers, messages and strings in the whole profile: what the decoder builds an object or a slot for. */
export const MAX_PROFILE_ENTRIES = 48 * MILLION;

/**
 * Checks a profile's shape before `pprof-format` decodes it, in one pass that allocates nothing
 * per entry: every field's framing (that library reads a cut-off field as if it were shorter, and
 * reads tags as one byte), a field number and wire type each message has, and how many entries
 * each repeated field and the whole profile hold. Without the counts, a 64 KiB body that inflates
 * to one packed field of 64 Mi zero varints made the decoder push 64 million numbers onto one array.
 */
export function checkProfileShape(bytes: Uint8Array): void {
  let entries = 0;
  const counted = (n: number, what: string): void => {
    entries += n;
    if (entries > MAX_PROFILE_ENTRIES) throw notAProfile(`it holds more than ${MAX_PROFILE_ENTRIES.toLocaleString('en-US')} entries (${what}): far more than any heap profile`);
  };
  const walk = (shape: MessageShape, from: number, to: number): void => {
    // Made at the first repeated field: most of a profile's messages (millions of samples and
    // lines) have at most one, and a map each would be most of this pass's cost.
    let perField: Map<number, number> | undefined;
    const count = (field: number, n: number, max: number): void => countIn((perField ??= new Map()), field, n, max, shape.name);
    let strings = 0;
    let offset = from;
    while (offset < to) {
      const [tag, afterTag] = readVarint(bytes, offset, to);
      const field = Math.floor(tag / 8);
      const wireType = tag % 8;
      const fieldShape = shape.fields[field];
      const allowed = !fieldShape ? [] : fieldShape.kind === 'numbers' ? [0, 2] : fieldShape.kind === 'number' ? [0] : [2];
      if (!allowed.includes(wireType)) {
        throw notAProfile(`byte ${offset} starts field ${field} of wire type ${wireType}, which a ${shape.name} message does not have`);
      }
      if (wireType === 0) {
        [, offset] = readVarint(bytes, afterTag, to);
        counted(1, `${shape.name} field ${field}`);
        if (fieldShape.kind === 'numbers') count(field, 1, fieldShape.max);
        continue;
      }
      const [length, start] = readVarint(bytes, afterTag, to);
      if (!Number.isSafeInteger(length) || start + length > to) {
        throw new HeapProfileError('truncated', `The heap profile is cut off: field ${field} at byte ${offset} needs ${length} bytes, ${to - start} remain.`);
      }
      const end = start + length;
      if (fieldShape.kind === 'numbers') {
        // Packed: one varint per byte whose top bit is clear. Fewer bytes than the limit cannot hold more numbers.
        let numbers = 0;
        if (length > fieldShape.max || entries + length > MAX_PROFILE_ENTRIES) {
          for (let i = start; i < end; i++) if (bytes[i] < 0x80 && ++numbers > fieldShape.max) break;
        } else {
          for (let i = start; i < end; i++) if (bytes[i] < 0x80) numbers++;
        }
        count(field, numbers, fieldShape.max);
        counted(numbers, `${shape.name} field ${field}`);
      } else if (fieldShape.kind === 'message') {
        count(field, 1, fieldShape.max);
        counted(1, `${fieldShape.of.name} messages`);
        walk(fieldShape.of, start, end);
      } else {
        if (shape === PROFILE && field === 6 && ++strings > MAX_STRINGS) throw notAProfile(`its string table has more than ${MAX_STRINGS.toLocaleString('en-US')} strings`);
        counted(1, `${shape.name} field ${field}`);
      }
      offset = end;
    }
  };
  walk(PROFILE, 0, bytes.length);
}

/** Adds `n` to a repeated field's count in one message; refuses past `max`. */
function countIn(perField: Map<number, number>, field: number, n: number, max: number, message: string): void {
  const count = (perField.get(field) ?? 0) + n;
  perField.set(field, count);
  if (count > max) throw notAProfile(`a ${message} message repeats field ${field} more than ${max.toLocaleString('en-US')} times: far more than any heap profile`);
}

/** Decodes a gunzipped pprof protobuf, refusing anything that is not one. */
export function decodeProfileBytes(bytes: Uint8Array): Profile {
  if (bytes.length === 0) throw notAProfile('it is empty');
  checkProfileShape(bytes);
  try {
    return Profile.decode(bytes);
  } catch (err) {
    throw notAProfile(`it could not be decoded (${(err as Error).message})`);
  }
}

/** A non-negative safe integer from the profile (an id, an index, a count), or an error naming it. */
function toCount(value: Numeric | undefined, what: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'bigint') {
    // int64 fields arrive as unsigned 64-bit numbers: a negative value is 2^63 or more.
    if (value >= 1n << 63n) throw notAProfile(`${what} is negative`);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw notAProfile(`${what} (${value}) is too large`);
    return Number(value);
  }
  if (!Number.isSafeInteger(value) || value < 0) throw notAProfile(`${what} (${value}) is not a non-negative integer`);
  return value;
}

/** The fast path of {@link toCount} for the hot loop: the count, or -1 if it is not a valid one. */
function quickCount(value: Numeric): number {
  if (typeof value === 'number') return value >= 0 && Number.isSafeInteger(value) ? value : -1;
  return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
}

// A location, resolved once: its innermost frame's site, and every function on it (inlined
// ones first, as Location.line lists them innermost first).
interface ResolvedLocation {
  site: number;
  functions: number[];
}

/** Sums a decoded heap profile by site and by function, keeping the top entries. */
export function summarizeProfile(profile: Profile, options: SummarizeOptions = {}): HeapProfileSummary {
  const maxSites = entryLimit(options.maxSites, 'maxSites');
  const maxFunctions = entryLimit(options.maxFunctions, 'maxFunctions');
  const strings = profile.stringTable?.strings ?? [];
  const str = (index: Numeric, what: string): string => {
    const i = toCount(index, what);
    if (i >= strings.length) throw notAProfile(`${what} points past the string table (${i} ≥ ${strings.length})`);
    return strings[i];
  };

  const sampleTypes: HeapSampleType[] = profile.sampleType.map((t, i) => ({ type: clip(str(t.type, `sample type ${i}`), 64), unit: clip(str(t.unit, `sample type ${i}'s unit`), 64) }));
  if (!sampleTypes.length) throw notAProfile('it has no sample types');
  // Which position of each sample's values holds which figure (-1: the profile lacks it).
  const columns = HEAP_SAMPLE_TYPES.map(({ type, unit }) => {
    const index = sampleTypes.findIndex((t) => t.type === type);
    if (index >= 0 && sampleTypes[index].unit !== unit) {
      throw new HeapProfileError('not-heap', `The profile's ${type} is in ${sampleTypes[index].unit}; a Go heap profile gives it in ${unit}.`);
    }
    return index;
  });
  if (columns.every((c) => c < 0)) {
    const kinds = sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw new HeapProfileError('not-heap', `This is not a heap profile: its samples are ${kinds}, not inuse_space/alloc_space. Fetch /debug/pprof/heap.`);
  }

  // Functions, by id.
  const functionIndex = new Map<number, number>();
  const functionNames: string[] = [];
  const functionFiles: string[] = [];
  const functionStartLines: number[] = [];
  const addFunction = (name: string, file: string, startLine: number): number => {
    functionNames.push(clip(name, MAX_FUNCTION_NAME_CHARS));
    functionFiles.push(clip(file, MAX_FILE_NAME_CHARS));
    functionStartLines.push(startLine);
    return functionNames.length - 1;
  };
  for (const fn of profile.function) {
    const id = toCount(fn.id, 'a function id');
    if (functionIndex.has(id)) throw notAProfile(`function id ${id} is defined twice`);
    functionIndex.set(id, addFunction(str(fn.name, `function ${id}'s name`), str(fn.filename, `function ${id}'s file`), toCount(fn.startLine, `function ${id}'s start line`)));
  }

  // Sites, interned while locations are resolved.
  const siteIndex = new Map<string, number>();
  const siteFunctions: number[] = [];
  const siteLines: number[] = [];
  const internSite = (fn: number, line: number): number => {
    const key = `${functionNames[fn]}\n${functionFiles[fn]}\n${line}`;
    let site = siteIndex.get(key);
    if (site === undefined) {
      site = siteFunctions.length;
      siteIndex.set(key, site);
      siteFunctions.push(fn);
      siteLines.push(line);
    }
    return site;
  };

  const locations = new Map<number, ResolvedLocation>();
  for (const location of profile.location) {
    const id = toCount(location.id, 'a location id');
    if (locations.has(id)) throw notAProfile(`location id ${id} is defined twice`);
    const functions: number[] = [];
    let leafLine = 0;
    for (const line of location.line) {
      const fnId = toCount(line.functionId, `a line of location ${id}`);
      const fn = functionIndex.get(fnId);
      if (fn === undefined) throw notAProfile(`location ${id} refers to function ${fnId}, which the profile does not define`);
      if (!functions.length) leafLine = toCount(line.line, `a line number of location ${id}`);
      functions.push(fn);
    }
    if (!functions.length) {
      // Not symbolized: pprof shows the address; so does the summary.
      functions.push(addFunction(`0x${BigInt.asUintN(64, BigInt(location.address ?? 0)).toString(16)}`, '', 0));
    }
    locations.set(id, { site: internSite(functions[0], leafLine), functions });
  }

  // Sum the samples: flat by site and function (innermost frame), cum by function (once per
  // sample). This loop runs once per stack frame of every sample: no allocation, no string.
  const samples = profile.sample;
  const noStackSite = samples.some((sample) => !sample.locationId.length) ? internSite(addFunction('(no stack)', '', 0), 0) : -1;
  const siteCount = siteFunctions.length;
  const functionCount = functionNames.length;
  const siteSums = new Float64Array(siteCount * 4);
  const flatSums = new Float64Array(functionCount * 4);
  const cumSums = new Float64Array(functionCount * 4);
  const cumStamp = new Int32Array(functionCount).fill(-1);
  const totals = new Float64Array(4);
  const values = new Float64Array(4);
  const [c0, c1, c2, c3] = columns;
  for (let s = 0; s < samples.length; s++) {
    const sample = samples[s];
    const raw = sample.value;
    if (raw.length !== sampleTypes.length) throw notAProfile(`sample ${s} has ${raw.length} values for ${sampleTypes.length} sample types`);
    values[0] = c0 < 0 ? 0 : quickCount(raw[c0]);
    values[1] = c1 < 0 ? 0 : quickCount(raw[c1]);
    values[2] = c2 < 0 ? 0 : quickCount(raw[c2]);
    values[3] = c3 < 0 ? 0 : quickCount(raw[c3]);
    if (values[0] < 0 || values[1] < 0 || values[2] < 0 || values[3] < 0) {
      raw.forEach((v) => toCount(v, `a value of sample ${s}`)); // throws, naming the value
    }
    const stack = sample.locationId;
    let site = noStackSite;
    for (let f = 0; f < stack.length; f++) {
      const location = locations.get(quickCount(stack[f]));
      if (!location) throw notAProfile(`sample ${s} refers to location ${stack[f]}, which the profile does not define`);
      if (f === 0) site = location.site;
      const functions = location.functions;
      for (let i = 0; i < functions.length; i++) {
        const fn = functions[i];
        // Recursion and inlining repeat a function on one stack; pprof counts it once.
        if (cumStamp[fn] === s) continue;
        cumStamp[fn] = s;
        addTo(cumSums, fn, values);
      }
    }
    const leafFunction = siteFunctions[site];
    if (!stack.length) addTo(cumSums, leafFunction, values);
    addTo(siteSums, site, values);
    addTo(flatSums, leafFunction, values);
    addTo(totals, 0, values);
  }

  const totalValues = valuesAt(totals, 0);
  const share = shareFunction(totalValues);

  // Keep the top sites by the largest of their four shares of the totals.
  const siteScores = new Float64Array(siteCount);
  for (let i = 0; i < siteCount; i++) siteScores[i] = share(siteSums, i);
  // Go writes samples whose four figures are all 0 (nothing of theirs is left, or not yet
  // published by a GC): like pprof, the summary lists no entry that has nothing.
  const siteOrder = rank(siteCount, siteScores, siteSums).filter((i) => !isZero(siteSums, i));
  const sites: HeapSite[] = siteOrder.slice(0, maxSites).map((i) => {
    const fn = siteFunctions[i];
    const functionName = functionNames[fn];
    const file = functionFiles[fn];
    const line = siteLines[i];
    return { key: `${functionName}\n${file}\n${line}`, functionName, shortName: shortFunctionName(functionName), file, line, ...valuesAt(siteSums, i) };
  });

  // Keep the top functions by the largest of their flat and cum shares.
  const functionScores = new Float64Array(functionCount);
  for (let i = 0; i < functionCount; i++) functionScores[i] = Math.max(share(flatSums, i), share(cumSums, i));
  const functionOrder = rank(functionCount, functionScores, cumSums).filter((i) => !isZero(cumSums, i));
  const functions: HeapFunction[] = functionOrder.slice(0, maxFunctions).map((i) => ({
    key: `${functionNames[i]}\n${functionFiles[i]}`,
    functionName: functionNames[i],
    shortName: shortFunctionName(functionNames[i]),
    file: functionFiles[i],
    startLine: functionStartLines[i],
    flat: valuesAt(flatSums, i),
    cum: valuesAt(cumSums, i),
  }));

  return {
    sampleTypes,
    has: Object.fromEntries(HEAP_SAMPLE_TYPES.map((t, k) => [t.key, columns[k] >= 0])) as Record<keyof HeapValues, boolean>,
    defaultSampleType: profile.defaultSampleType ? str(profile.defaultSampleType, 'the default sample type') : undefined,
    samplingRate: toCount(profile.period, 'the sampling period'),
    capturedAtMs: capturedAt(profile.timeNanos),
    sampleCount: samples.length,
    totals: totalValues,
    siteCount: siteOrder.length,
    sites,
    omittedSites: omitted(siteOrder.slice(maxSites), siteSums),
    functionCount: functionOrder.length,
    functions,
    omittedFunctions: omitted(functionOrder.slice(maxFunctions), flatSums),
  };
}

function isZero(sums: Float64Array, index: number): boolean {
  return !sums[index * 4] && !sums[index * 4 + 1] && !sums[index * 4 + 2] && !sums[index * 4 + 3];
}

function entryLimit(value: number | undefined, name: string): number {
  if (value === undefined) return DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(value) || value < 1 || value > MAX_ENTRIES_LIMIT) throw new RangeError(`${name} must be an integer from 1 to ${MAX_ENTRIES_LIMIT}, not ${value}`);
  return value;
}

function addTo(sums: Float64Array, index: number, values: Float64Array): void {
  const at = index * 4;
  sums[at] += values[0];
  sums[at + 1] += values[1];
  sums[at + 2] += values[2];
  sums[at + 3] += values[3];
}

function valuesAt(sums: Float64Array, index: number): HeapValues {
  const values = zeroValues();
  HEAP_VALUE_KEYS.forEach((key, k) => (values[key] = sums[index * 4 + k]));
  return values;
}

/** (sums, i) → the largest of entry i's four figures as a share of the totals. */
function shareFunction(totals: HeapValues): (sums: Float64Array, index: number) => number {
  const inverse = HEAP_VALUE_KEYS.map((key) => (totals[key] > 0 ? 1 / totals[key] : 0));
  return (sums, index) => {
    let best = 0;
    for (let k = 0; k < 4; k++) best = Math.max(best, sums[index * 4 + k] * inverse[k]);
    return best;
  };
}

/** Indexes by score, then in-use bytes, largest first; ties keep profile order (deterministic). */
function rank(count: number, scores: Float64Array, sums: Float64Array): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || sums[b * 4] - sums[a * 4] || a - b);
}

function omitted(indexes: readonly number[], sums: Float64Array): HeapOmitted {
  const values = new Float64Array(4);
  for (const i of indexes) for (let k = 0; k < 4; k++) values[k] += sums[i * 4 + k];
  return { count: indexes.length, values: valuesAt(values, 0) };
}

function capturedAt(timeNanos: Numeric | undefined): number | undefined {
  if (timeNanos === undefined || timeNanos === 0 || timeNanos === 0n) return undefined;
  const ms = typeof timeNanos === 'bigint' ? Number(timeNanos / 1_000_000n) : timeNanos / 1e6;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
