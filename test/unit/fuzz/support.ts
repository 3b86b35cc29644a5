/**
 * The fuzz suite's shared tools: one fixed seed, a per-call time limit, checks of what a parser
 * may return or throw, mutations of real recorded answers, and the real inputs themselves (the
 * files under test/unit/recorded, and this machine's own /proc files and ps/lsof output).
 *
 * Seed policy: every property runs with SEED, so `npm test` replays the same cases each time.
 * FUZZ_SEED=<n> explores other cases and FUZZ_SCALE=<k> runs k times as many; on a failure
 * fast-check prints the seed, the path and the shrunk counterexample, which replay it exactly.
 * FUZZ_REPORT=1 prints how many cases each parser family ran.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** The seed of every property (a date, nothing more). */
export const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || 20260712;
const SCALE = Number(process.env.FUZZ_SCALE) > 0 ? Number(process.env.FUZZ_SCALE) : 1;

/** No single synchronous call may block the extension host longer than this (CONTEXT.md). */
export const CALL_LIMIT_MS = 50;

const casesByFamily = new Map<string, number>();

function runs(family: string, numRuns: number): number {
  const n = Math.max(1, Math.round(numRuns * SCALE));
  casesByFamily.set(family, (casesByFamily.get(family) ?? 0) + n);
  return n;
}

/** Runs a property `numRuns` times with the suite's seed, counting the cases for `family`. */
export function fuzz<Ts>(family: string, numRuns: number, property: fc.IProperty<Ts>): void {
  fc.assert(property, { seed: SEED, numRuns: runs(family, numRuns) });
}

/** The same for an asynchronous property (parsers that read a file). */
export async function fuzzAsync<Ts>(family: string, numRuns: number, property: fc.IAsyncProperty<Ts>): Promise<void> {
  await fc.assert(property, { seed: SEED, numRuns: runs(family, numRuns) });
}

/** Counts cases that a plain loop (not fast-check) ran, such as one-byte chunkings. */
export function countCases(family: string, n: number): void {
  casesByFamily.set(family, (casesByFamily.get(family) ?? 0) + n);
}

after(() => {
  if (!process.env.FUZZ_REPORT) return;
  const total = [...casesByFamily.values()].reduce((a, b) => a + b, 0);
  console.log(`\n  fuzz cases (seed ${SEED}):`);
  for (const [family, n] of [...casesByFamily].sort()) console.log(`    ${family.padEnd(24)} ${n}`);
  console.log(`    ${'total'.padEnd(24)} ${total}`);
});

// ---------------------------------------------------------------------------------------------
// Calls: time limit and what may be thrown

export type Outcome<T> = { readonly threw: false; readonly value: T } | { readonly threw: true; readonly error: unknown };

function timedOnce<T>(fn: () => T): { outcome: Outcome<T>; ms: number } {
  const start = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { threw: false, value: fn() };
  } catch (error) {
    outcome = { threw: true, error };
  }
  return { outcome, ms: performance.now() - start };
}

/**
 * Calls `fn` and fails when it blocked for CALL_LIMIT_MS or more. A GC pause or a first JIT
 * compile can stretch one call, so a slow call is timed twice more and only the fastest counts:
 * a parser that is slow on an input is slow every time.
 */
export function call<T>(what: string, fn: () => T): Outcome<T> {
  const first = timedOnce(fn);
  let ms = first.ms;
  for (let retry = 0; retry < 2 && ms >= CALL_LIMIT_MS; retry++) ms = Math.min(ms, timedOnce(fn).ms);
  if (ms >= CALL_LIMIT_MS) assert.fail(`${what} blocked for ${ms.toFixed(1)} ms (limit ${CALL_LIMIT_MS} ms)`);
  return first.outcome;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message.slice(0, 200)}`;
  return `a non-Error value (${typeof error})`;
}

/** The value of `fn()`, which must neither throw nor block. */
export function returns<T>(what: string, fn: () => T): T {
  const outcome = call(what, fn);
  if (outcome.threw) assert.fail(`${what} threw ${describeError(outcome.error)}`);
  return outcome.value;
}

const ENGINE_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

/** True for an Error the code threw on purpose (not TypeError, RangeError, … from the engine). */
export function isDeliberateError(error: unknown, message: RegExp): boolean {
  return error instanceof Error && !ENGINE_ERRORS.some((kind) => error instanceof kind) && message.test(error.message);
}

/**
 * For a parser documented to throw (its callers catch): the value, or undefined when it threw an
 * Error whose message matches `expected`. Anything else thrown fails.
 */
export function returnsOrRefuses<T>(what: string, fn: () => T, expected: RegExp): T | undefined {
  const outcome = call(what, fn);
  if (!outcome.threw) return outcome.value;
  if (!isDeliberateError(outcome.error, expected)) assert.fail(`${what} threw ${describeError(outcome.error)}; its contract allows only Error(${expected})`);
  return undefined;
}

/**
 * Awaits `fn()` and fails when it rejects or takes the time limit or more, which bounds how long
 * it can have blocked. Like `call`, a slow run is repeated twice and the fastest counts: an
 * asynchronous read also waits for the thread pool and the garbage collector.
 */
export async function resolvesFast<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const once = async (): Promise<{ value: T; ms: number }> => {
    const start = performance.now();
    try {
      const value = await fn();
      return { value, ms: performance.now() - start };
    } catch (error) {
      return assert.fail(`${what} rejected with ${describeError(error)}`);
    }
  };
  const first = await once();
  let ms = first.ms;
  for (let retry = 0; retry < 2 && ms >= CALL_LIMIT_MS; retry++) ms = Math.min(ms, (await once()).ms);
  if (ms >= CALL_LIMIT_MS) assert.fail(`${what} took ${ms.toFixed(1)} ms (limit ${CALL_LIMIT_MS} ms)`);
  return first.value;
}

// ---------------------------------------------------------------------------------------------
// What a returned figure may be

/** A byte count or counter: a whole number from 0 to 2^53 − 1 (never NaN, Infinity or negative). */
export function assertCount(name: string, value: unknown): asserts value is number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) assert.fail(`${name} = ${String(value)} is not a count (a safe whole number ≥ 0)`);
}

/** Undefined, or a count. */
export function assertOptionalCount(name: string, value: unknown): void {
  if (value !== undefined) assertCount(name, value);
}

/** A PID: a whole number from 1 to 2^53 − 1. */
export function assertPid(name: string, value: unknown): asserts value is number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) assert.fail(`${name} = ${String(value)} is not a PID`);
}

/** A TCP port: 1–65535. */
export function assertPort(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535)) assert.fail(`${name} = ${String(value)} is not a TCP port`);
}

/** A finite number ≥ 0 (a percentage, a fraction). */
export function assertFiniteNonNegative(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) assert.fail(`${name} = ${String(value)} is not a finite number ≥ 0`);
}

/** A number at all (shape checks of parsers that are known not to bound their figures yet). */
export function assertNumber(name: string, value: unknown): void {
  if (typeof value !== 'number') assert.fail(`${name} is a ${typeof value}, not a number`);
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** Number spellings a target may send where a count belongs. */
export const HOSTILE_NUMBERS: readonly string[] = [
  '-1',
  '-0',
  '0',
  '1.5',
  '1e400',
  '-1e400',
  '1e3',
  '1E-7',
  String(2n ** 70n),
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '9223372036854775807',
  '18446744073709551615',
  '9'.repeat(400),
  '0'.repeat(30) + '7',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  '',
  ' ',
  '0x1F',
  '+5',
  '\u0663', // ARABIC-INDIC DIGIT THREE
  '\uff15', // FULLWIDTH DIGIT FIVE
  '5\u00a0',
];

/** JSON values a target may send where a count belongs. */
const HOSTILE_JSON_VALUES: readonly unknown[] = [-1, -0, 0, 1.5, 2 ** 53, 2 ** 53 - 1, 2 ** 70, 1e300, -1e300, Number.MIN_VALUE, null, '', '5', '1e400', true, [], [5], {}, { value: 5 }];

/** One of HOSTILE_JSON_VALUES (or of `extra`), a fresh copy each time: a case may change what it is given. */
export function hostileJson(...extra: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.constantFrom(...HOSTILE_JSON_VALUES, ...extra).map((v) => (typeof v === 'object' && v !== null ? structuredClone(v) : v));
}

/** Any string, every code point (not only printable ASCII). */
export const anyString = (maxLength = 200): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });

// ---------------------------------------------------------------------------------------------
// Mutations of text

export type TextMutation =
  | { readonly kind: 'replaceChar'; readonly at: number; readonly char: string }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly boundary: Boundary; readonly nth: number }
  | { readonly kind: 'duplicateLine'; readonly line: number }
  | { readonly kind: 'dropLine'; readonly line: number }
  | { readonly kind: 'swapLines'; readonly a: number; readonly b: number }
  | { readonly kind: 'number'; readonly nth: number; readonly replacement: string }
  | { readonly kind: 'renameKey'; readonly nth: number; readonly how: 'upper' | 'lower' | 'suffix' | 'chop' | 'lookalike' | 'empty' }
  | { readonly kind: 'longRun'; readonly at: number; readonly char: string; readonly length: number }
  | { readonly kind: 'lineEndings'; readonly to: '\r\n' | '\r' | '' | '\n\n' };

/** Where a truncation cuts: anywhere, at a line's end, mid-number, before punctuation, … */
export type Boundary = 'any' | 'afterNewline' | 'beforeNewline' | 'space' | 'insideNumber' | 'punctuation' | 'quote';

/** Zero-width patterns matching each kind of cut point (native scans: mutating must stay cheap). */
const BOUNDARY: Record<Exclude<Boundary, 'any'>, RegExp> = {
  afterNewline: /(?<=\n)/g,
  beforeNewline: /(?=\n)/g,
  space: /(?=[ \t])/g,
  insideNumber: /(?<=\d)(?=\d)/g,
  punctuation: /(?=[:=,{}[\]()/])/g,
  quote: /(?=")|(?<=["\\])/g,
};

const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const KEY_TOKEN = /[A-Za-z_][A-Za-z0-9_-]*/g;

/** The nth (modulo their count) match of `pattern` in `text`. */
function nthMatch(text: string, pattern: RegExp, nth: number): { index: number; text: string } | undefined {
  const matches = [...text.matchAll(pattern)];
  if (matches.length === 0) return undefined;
  const m = matches[nth % matches.length];
  return { index: m.index ?? 0, text: m[0] };
}

function renamed(key: string, how: Extract<TextMutation, { kind: 'renameKey' }>['how']): string {
  switch (how) {
    case 'upper':
      return key.toUpperCase();
    case 'lower':
      return key.toLowerCase();
    case 'suffix':
      return `${key}X`;
    case 'chop':
      return key.slice(0, -1);
    case 'lookalike':
      return key.replace(/[aeo]/, (c) => ({ a: '\u0430', e: '\u0435', o: '\u043e' })[c] ?? c); // Cyrillic twins
    case 'empty':
      return '';
  }
}

/** Applies one mutation; positions are taken modulo what the text has, so every value is usable. */
export function applyMutation(text: string, m: TextMutation): string {
  const at = (n: number) => n % (text.length + 1);
  const lines = () => text.split('\n');
  switch (m.kind) {
    case 'replaceChar': {
      if (text.length === 0) return m.char;
      const i = m.at % text.length;
      return text.slice(0, i) + m.char + text.slice(i + 1);
    }
    case 'insert':
      return text.slice(0, at(m.at)) + m.text + text.slice(at(m.at));
    case 'delete':
      return text.slice(0, at(m.at)) + text.slice(at(m.at) + m.length);
    case 'truncate': {
      const cut = m.boundary === 'any' ? undefined : nthMatch(text, BOUNDARY[m.boundary], m.nth);
      return text.slice(0, cut ? cut.index : at(m.nth));
    }
    case 'duplicateLine': {
      const l = lines();
      const i = m.line % l.length;
      return [...l.slice(0, i + 1), l[i], ...l.slice(i + 1)].join('\n');
    }
    case 'dropLine': {
      const l = lines();
      const i = m.line % l.length;
      return [...l.slice(0, i), ...l.slice(i + 1)].join('\n');
    }
    case 'swapLines': {
      const l = lines();
      const a = m.a % l.length;
      const b = m.b % l.length;
      [l[a], l[b]] = [l[b], l[a]];
      return l.join('\n');
    }
    case 'number': {
      const found = nthMatch(text, NUMBER_TOKEN, m.nth);
      return found ? text.slice(0, found.index) + m.replacement + text.slice(found.index + found.text.length) : text;
    }
    case 'renameKey': {
      const found = nthMatch(text, KEY_TOKEN, m.nth);
      return found ? text.slice(0, found.index) + renamed(found.text, m.how) + text.slice(found.index + found.text.length) : text;
    }
    case 'longRun':
      return text.slice(0, at(m.at)) + m.char.repeat(m.length) + text.slice(at(m.at));
    case 'lineEndings':
      return text.split('\n').join(m.to);
  }
}

const boundary = fc.constantFrom<Boundary>('any', 'afterNewline', 'beforeNewline', 'space', 'insideNumber', 'punctuation', 'quote');
/** A replacement for a number: one of the hostile spellings, or a random digit string. */
const numberReplacement = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) }, { weight: 1, arbitrary: fc.stringMatching(/^-?\d{1,40}$/) });

/** One text mutation. `maxRun` bounds the long runs of one character (lines of 10⁴–10⁵ characters). */
export function textMutation(maxRun = 20_000): fc.Arbitrary<TextMutation> {
  const pos = fc.nat();
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('replaceChar' as const), at: pos, char: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\n', ' ', '\t', '\0', '"', '\\', ':', '{', '}', ')', '(', '#', '-', '=')) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: pos, text: anyString(12) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('truncate' as const), boundary, nth: pos }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicateLine' as const), line: pos }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('dropLine' as const), line: pos }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('swapLines' as const), a: pos, b: pos }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('number' as const), nth: pos, replacement: numberReplacement }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('renameKey' as const), nth: pos, how: fc.constantFrom('upper' as const, 'lower' as const, 'suffix' as const, 'chop' as const, 'lookalike' as const, 'empty' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('longRun' as const), at: pos, char: fc.constantFrom(' ', '\n', '9', 'a', '(', ')', '"', '\\', '{', '[', '#', '\t', '\u00e9'), length: fc.integer({ min: 100, max: maxRun }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lineEndings' as const), to: fc.constantFrom('\r\n' as const, '\r' as const, '' as const, '\n\n' as const) }) },
  );
}

/** One of `seeds`, changed by one to `max` mutations. */
export function mutatedText(seeds: readonly string[], max = 4, maxRun?: number): fc.Arbitrary<string> {
  assert.ok(seeds.length > 0, 'mutatedText needs at least one real seed');
  return fc.tuple(fc.constantFrom(...seeds), fc.array(textMutation(maxRun), { minLength: 1, maxLength: max })).map(([seed, mutations]) => mutations.reduce(applyMutation, seed));
}

// ---------------------------------------------------------------------------------------------
// Mutations of bytes

export type ByteMutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'flipBit'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number };

export function applyByteMutation(buf: Buffer, m: ByteMutation): Buffer {
  const at = (n: number) => n % (buf.length + 1);
  switch (m.kind) {
    case 'set':
    case 'flipBit': {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      const i = m.at % buf.length;
      out[i] = m.kind === 'set' ? m.byte : out[i] ^ (1 << m.bit);
      return out;
    }
    case 'insert':
      return Buffer.concat([buf.subarray(0, at(m.at)), Buffer.from(m.bytes), buf.subarray(at(m.at))]);
    case 'delete':
      return Buffer.concat([buf.subarray(0, at(m.at)), buf.subarray(at(m.at) + m.length)]);
    case 'truncate':
      return buf.subarray(0, at(m.at));
    case 'duplicate': {
      const i = at(m.at);
      return Buffer.concat([buf.subarray(0, i + m.length), buf.subarray(i, i + m.length), buf.subarray(i + m.length)]);
    }
  }
}

export function byteMutation(): fc.Arbitrary<ByteMutation> {
  const pos = fc.nat();
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: pos, byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x22, 0x5c, 0x7b, 0x7d, 0x80, 0xff, 0x0a)) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flipBit' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 32 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: pos }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }) },
  );
}

/** One of `seeds`, changed by one to `max` byte mutations. */
export function mutatedBytes(seeds: readonly Buffer[], max = 4): fc.Arbitrary<Buffer> {
  assert.ok(seeds.length > 0, 'mutatedBytes needs at least one real seed');
  return fc.tuple(fc.constantFrom(...seeds), fc.array(byteMutation(), { minLength: 1, maxLength: max })).map(([seed, mutations]) => mutations.reduce(applyByteMutation, seed));
}

/** Cut points for feeding `length` bytes in chunks: sorted, distinct, inside the input. */
export function chunkBoundaries(length: number, cuts: readonly number[]): number[] {
  return [...new Set(cuts.map((c) => (length === 0 ? 0 : c % length)))].filter((c) => c > 0).sort((a, b) => a - b);
}

/** `buf` cut at `boundaries` (from chunkBoundaries). */
export function chunksOf(buf: Buffer, boundaries: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of boundaries) {
    chunks.push(buf.subarray(from, cut));
    from = cut;
  }
  chunks.push(buf.subarray(from));
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Real inputs

/** The repository root, from out/test/unit/fuzz. */
export const REPO_ROOT = path.join(__dirname, '..', '..', '..', '..');
export const RECORDED_DIR = path.join(REPO_ROOT, 'test', 'unit', 'recorded');

/** A file under test/unit/recorded. */
export function recorded(...parts: string[]): string {
  return fs.readFileSync(path.join(RECORDED_DIR, ...parts), 'utf8');
}

/** Every file below `dir`, as paths relative to it. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesBelow(full).map((f) => path.join(entry.name, f)));
    else if (entry.isFile()) out.push(entry.name);
  }
  return out;
}

/**
 * A /proc file of a process on this machine, as the reader reads it (latin1); undefined when this
 * kernel does not have it or it cannot be read. Real kernel output, read when the test runs.
 */
export function procFile(pid: number | 'self', name: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${name}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** A few live PIDs on this machine (this process, PID 1, and the first others in /proc). */
export function somePids(limit = 12): number[] {
  let listed: number[] = [];
  try {
    listed = fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    // Not Linux: the callers fall back to what is recorded.
  }
  return [...new Set([process.pid, 1, ...listed])].filter((pid) => listed.includes(pid)).slice(0, limit);
}

/** The output of a command run here, or undefined when it is not installed or fails. */
export function commandOutput(command: string, args: readonly string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5000, maxBuffer: 8 * 1024 * 1024 });
  return result.status === 0 && result.stdout ? result.stdout : undefined;
}

/** Drops undefined entries (inputs this machine did not have). */
export function present<T>(values: readonly (T | undefined)[]): T[] {
  return values.filter((v): v is T => v !== undefined);
}
