/**
 * Fuzz: the parsers of a Go target's answers (expvar, pprof, gops, our agent) and the streaming
 * scanner that picks memstats out of /debug/vars. Everything here comes from the target: random
 * input, mutations of the recorded real answers, and oracles (JSON.parse, the figures' definitions).
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { fromMemStats, GoFigures } from '../../../src/core/goruntime/figures';
import { ScanResult, TopLevelMemberScanner } from '../../../src/core/goruntime/jsonMember';
import { MAX_MEMSTATS_BYTES, MAX_SNAPSHOT_BYTES, parseAgentSnapshot, parseExpvar, parseGopsMemStats, parsePprofMemStats } from '../../../src/core/goruntime/parsers';
import {
  anyString,
  assertCount,
  assertFiniteNonNegative,
  assertOptionalCount,
  chunkBoundaries,
  chunksOf,
  countCases,
  fuzz,
  hostileJson,
  mutatedBytes,
  mutatedText,
  recorded,
  returns,
} from './support';

const FAMILY = 'go figures';

/**
 * GET /debug/memorywatch/snapshot of the agent fixture (test/fixtures/sources/agent, -spike 50),
 * recorded with Go 1.26.8 on this machine's kernel. GOMEMLIMIT unset: Go writes math.MaxInt64.
 */
const AGENT_SNAPSHOT =
  '{"protocol":1,"pid":15156,"goVersion":"go1.26.8","timeUnixMs":1795860467566,"gomaxprocs":2,"gogc":100,"memoryLimit":9223372036854775807,"goroutines":15,' +
  '"memory":{"heapObjects":166512,"heapUnused":718224,"heapFree":52428800,"heapReleased":4980736,"heapStacks":425984,"osStacks":0,"metadata":2393416,"profiling":1443900,"other":531348,"total":63088920},' +
  '"gc":{"cycles":5,"forcedCycles":1,"heapGoal":4194304,"heapLive":166928},"process":{"rss":61714432,"vsz":1818193920},' +
  '"cgroup":{"version":1,"path":"/process_api/68d61c662f19d93a2ed0a52242582a32","usage":74493952,"inactiveFile":1957888,"workingSet":72536064,"peak":85438464,"oomKills":0}}';

const EXPVAR = recorded('expvar-debug-vars.json');
const PPROF = recorded('pprof-heap-debug1.txt');
const GOPS = recorded('gops-memstats.txt');
const NEEDED = ['HeapAlloc', 'HeapInuse', 'HeapIdle', 'HeapReleased', 'StackSys', 'Sys', 'NumGC', 'NextGC'] as const;

/**
 * Every figure a parser hands on is a count; the optional ones are counts or absent.
 * `stacksMayOverflow` exempts the agent's stacks figure from the safe-integer rule (only) until
 * the BUG below (heapStacks + osStacks) is fixed; the skipped test holds the full rule.
 */
function assertFigures(f: GoFigures, stacksMayOverflow = false): void {
  for (const k of ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'total', 'gcCycles', 'gcGoal'] as const) assertCount(k, f[k]);
  if (stacksMayOverflow) assertFiniteNonNegative('stacks', f.stacks);
  else assertCount('stacks', f.stacks);
  assertOptionalCount('heapLive', f.heapLive);
  assertOptionalCount('memoryLimit', f.memoryLimit);
  assertOptionalCount('processRss', f.processRss);
  // GOGC is a percentage or −1 (collector off): the one documented sentinel.
  if (f.gogc !== undefined) assert.ok(Number.isSafeInteger(f.gogc) && f.gogc >= -1, `gogc = ${f.gogc}`);
  if (f.goVersion !== undefined) assert.match(f.goVersion, /^go[\w.+-]{1,40}$/);
}

/** What was refused is logged: it must stay a few short lines whatever the target sent. */
function assertProblems(problems: readonly string[]): void {
  for (const p of problems) {
    assert.strictEqual(typeof p, 'string');
    assert.ok(p.length <= 1000, `a problem of ${p.length} characters`);
  }
}

/** Runs a figures parser under the suite's rules: no throw, fast, figures that are counts. */
function checkFigures(what: string, parse: (text: string, problems: string[]) => GoFigures | undefined, text: string): GoFigures | undefined {
  const problems: string[] = [];
  const f = returns(what, () => parse(text, problems));
  if (f) assertFigures(f);
  assertProblems(problems);
  return f;
}

function scanWhole(bytes: Buffer, key: string, max: number): ScanResult {
  const s = new TopLevelMemberScanner(key, max);
  s.feed(bytes);
  return s.end();
}

function scanChunks(chunks: readonly Buffer[], key: string, max: number): ScanResult {
  const s = new TopLevelMemberScanner(key, max);
  for (const c of chunks) s.feed(c);
  return s.end();
}

/** A value where a count belongs: mostly a real count, sometimes what a broken target sends. */
const countish = fc.oneof({ weight: 6, arbitrary: fc.nat() }, { weight: 2, arbitrary: fc.maxSafeNat() }, { weight: 2, arbitrary: hostileJson() }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

/** A memstats object: the needed fields (one sometimes missing), plus others a runtime writes. */
const memstatsArb = fc
  .tuple(fc.record(Object.fromEntries(NEEDED.map((k) => [k, countish])) as Record<(typeof NEEDED)[number], fc.Arbitrary<unknown>>), fc.subarray([...NEEDED], { maxLength: 1 }), fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }))
  .map(([needed, dropped, extra]) => {
    const m: Record<string, unknown> = { ...extra, ...needed };
    for (const k of dropped) delete m[k];
    return m;
  });

/** Other top-level members of /debug/vars: any key but "memstats", any JSON value. */
const otherMembers = fc.dictionary(
  fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== 'memstats'),
  fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('{"memstats":{}}', '"memstats"', '\\"memstats\\"', '}', ']')),
  { maxKeys: 5 },
);

/** Input shaped to hit the scanner's states: quotes, escapes, brackets and the key, in any order. */
const tokenSoup = fc
  .array(fc.constantFrom('{', '}', '[', ']', '"', '\\', '\\"', '\\\\', ':', ',', ' ', '\n', 'memstats', '"memstats"', '"memstats":', '{"a":1}', 'é', '"', '1'), { maxLength: 60 })
  .map((parts) => parts.join(''));

describe('fuzz: Go figures', () => {
  describe('parseExpvar and the memstats scanner', () => {
    it('survives mutations of the recorded /debug/vars', () => {
      fuzz(FAMILY, 800, fc.property(mutatedText([EXPVAR]), (text) => void checkFigures('parseExpvar', parseExpvar, text)));
    });

    it('survives random text, including deep nesting and long lines', () => {
      const deep = fc.integer({ min: 1, max: 200_000 }).map((n) => `{"a":${'['.repeat(n)}${']'.repeat(n)},"memstats":{"HeapAlloc":1}}`);
      const deepInside = fc.integer({ min: 1, max: 60_000 }).map((n) => `{"memstats":{"HeapAlloc":${'['.repeat(n)}${']'.repeat(n)}}}`);
      const longString = fc.integer({ min: 1, max: 1_000_000 }).map((n) => `{"cmdline":["${'x'.repeat(n)}"],"memstats":${JSON.stringify({ HeapAlloc: 1 })}}`);
      fuzz(FAMILY, 700, fc.property(fc.oneof(anyString(300), tokenSoup, fc.json()), (text) => void checkFigures('parseExpvar', parseExpvar, text)));
      fuzz(FAMILY, 30, fc.property(fc.oneof(deep, deepInside, longString), (text) => void checkFigures('parseExpvar', parseExpvar, text)));
    });

    it('agrees with JSON.parse: memstats gives the same figures whatever comes before and after it', () => {
      fuzz(
        FAMILY,
        600,
        fc.property(otherMembers, memstatsArb, otherMembers, fc.constantFrom<undefined | number | string>(undefined, 0, 1, 2, '\t'), (before, memstats, after, indent) => {
          const text = JSON.stringify({ ...before, memstats, ...after }, null, indent);
          fc.pre(Buffer.byteLength(JSON.stringify(memstats, null, indent)) < MAX_MEMSTATS_BYTES / 2);
          const problems: string[] = [];
          const expectedProblems: string[] = [];
          const expected = fromMemStats(JSON.parse(JSON.stringify(memstats)) as Record<string, unknown>, expectedProblems);
          assert.deepStrictEqual(checkFigures('parseExpvar', (t) => parseExpvar(t, problems), text), expected);
          assert.deepStrictEqual(problems, expectedProblems);
        }),
      );
    });

    it('agrees with JSON.parse on number spellings JSON.stringify never writes (1e400, 2^70, -0, 1E2)', () => {
      const token = fc.oneof(fc.constantFrom('1e400', '-1e400', '-0', '0.0', '1E2', '1.5e1', String(2n ** 70n), '9007199254740993', '-1', '1.5', '0e0', '"5"', 'null', 'true', '[]', '{}'), fc.nat().map(String));
      fuzz(
        FAMILY,
        600,
        fc.property(fc.tuple(...NEEDED.map(() => token)), otherMembers, (tokens, before) => {
          const inner = `{${NEEDED.map((k, i) => `"${k}":${tokens[i]}`).join(',')}}`;
          const text = `${JSON.stringify(before).slice(0, -1)}${Object.keys(before).length ? ',' : ''}"memstats":${inner}}`;
          const expected = fromMemStats(JSON.parse(inner) as Record<string, unknown>);
          assert.deepStrictEqual(checkFigures('parseExpvar', parseExpvar, text), expected);
        }),
      );
    });

    it('the scanner agrees with JSON.parse for any key that needs no escaping', () => {
      const plainKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).filter((k) => JSON.stringify(k) === `"${k}"`);
      fuzz(
        FAMILY,
        600,
        fc.property(plainKey, fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (key, object) => {
          const text = Buffer.from(JSON.stringify(object));
          const result = returns('scan', () => scanWhole(text, key, MAX_MEMSTATS_BYTES));
          const value = Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
            assert.strictEqual(result.state, 'found');
            assert.deepStrictEqual(JSON.parse((result as { json: string }).json), value);
          } else {
            assert.strictEqual(result.state, 'invalid', 'not there, or not an object');
          }
        }),
      );
    });

    it('gives the same result in any chunking as fed whole (cuts inside strings, escapes, keys)', () => {
      const validExpvar = fc.tuple(otherMembers, memstatsArb, otherMembers).map(([b, m, a]) => Buffer.from(JSON.stringify({ ...b, memstats: m, ...a })));
      const input = fc.oneof(validExpvar, mutatedBytes([Buffer.from(EXPVAR)]), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), tokenSoup.map((t) => Buffer.from(t)));
      const limit = fc.oneof(fc.constant(MAX_MEMSTATS_BYTES), fc.integer({ min: 0, max: 300 }));
      const key = fc.oneof({ weight: 5, arbitrary: fc.constant('memstats') }, { weight: 1, arbitrary: fc.constantFrom('a', 'm', 'memstat', 'memstatsX', 'é', '') });
      fuzz(
        FAMILY,
        1000,
        fc.property(input, fc.array(fc.nat(), { maxLength: 24 }), limit, key, (bytes, cuts, max, k) => {
          const whole = returns('scan whole', () => scanWhole(bytes, k, max));
          const chunked = returns('scan in chunks', () => scanChunks(chunksOf(bytes, chunkBoundaries(bytes.length, cuts)), k, max));
          assert.deepStrictEqual(chunked, whole);
        }),
      );
    });

    it('reads the recorded /debug/vars the same when cut at every byte, and one byte at a time', () => {
      const bytes = Buffer.from(EXPVAR);
      const whole = scanWhole(bytes, 'memstats', MAX_MEMSTATS_BYTES);
      assert.strictEqual(whole.state, 'found');
      for (let cut = 1; cut < bytes.length; cut++) assert.deepStrictEqual(scanChunks([bytes.subarray(0, cut), bytes.subarray(cut)], 'memstats', MAX_MEMSTATS_BYTES), whole, `cut at ${cut}`);
      const bytewise = [...bytes].map((b) => Buffer.from([b]));
      assert.deepStrictEqual(scanChunks(bytewise, 'memstats', MAX_MEMSTATS_BYTES), whole);
      countCases(FAMILY, bytes.length);
    });
  });

  describe('parsePprofMemStats', () => {
    it('survives mutations of the recorded heap profile and random text', () => {
      fuzz(FAMILY, 800, fc.property(mutatedText([PPROF]), (text) => void checkFigures('parsePprofMemStats', parsePprofMemStats, text)));
      fuzz(FAMILY, 200, fc.property(fc.oneof(anyString(300), anyString(40).map((s) => `# runtime.MemStats\n# ${s}`)), (text) => void checkFigures('parsePprofMemStats', parsePprofMemStats, text)));
      const long = fc.integer({ min: 1000, max: 2_000_000 }).map((n) => `# runtime.MemStats\n#${' '.repeat(n)}HeapAlloc = 1\n# Stack = ${'1'.repeat(n)} / 5\n`);
      fuzz(FAMILY, 20, fc.property(long, (text) => void checkFigures('parsePprofMemStats', parsePprofMemStats, text)));
    });

    it('reads back the figures of a MemStats block written as Go writes it', () => {
      const counts = fc.tuple(...NEEDED.map(() => fc.maxSafeNat()), fc.maxSafeNat());
      fuzz(
        FAMILY,
        300,
        fc.property(counts, mutatedText([PPROF.slice(0, PPROF.indexOf('# runtime.MemStats'))], 2), ([heapAlloc, heapInuse, heapIdle, heapReleased, stackSys, sys, numGC, nextGC, stackInuse], profile) => {
          const block = ['# runtime.MemStats', `# Alloc = ${heapAlloc}`, `# Sys = ${sys}`, `# HeapAlloc = ${heapAlloc}`, `# HeapIdle = ${heapIdle}`, `# HeapInuse = ${heapInuse}`, `# HeapReleased = ${heapReleased}`, `# Stack = ${stackInuse} / ${stackSys}`, `# NextGC = ${nextGC}`, `# NumGC = ${numGC}`, '# DebugGC = false'];
          const expected = fromMemStats({ HeapAlloc: heapAlloc, HeapInuse: heapInuse, HeapIdle: heapIdle, HeapReleased: heapReleased, StackSys: stackSys, Sys: sys, NumGC: numGC, NextGC: nextGC });
          assert.deepStrictEqual(checkFigures('parsePprofMemStats', parsePprofMemStats, `${profile}\n${block.join('\n')}\n`), expected);
        }),
      );
    });
  });

  describe('parseGopsMemStats', () => {
    it('survives mutations of the recorded gops answer and random text', () => {
      fuzz(FAMILY, 800, fc.property(mutatedText([GOPS]), (text) => void checkFigures('parseGopsMemStats', parseGopsMemStats, text)));
      fuzz(FAMILY, 200, fc.property(anyString(300), (text) => void checkFigures('parseGopsMemStats', parseGopsMemStats, text)));
    });

    it('reads back the figures of an answer written as gops writes it', () => {
      fuzz(
        FAMILY,
        300,
        fc.property(fc.tuple(...NEEDED.map(() => fc.maxSafeNat())), ([heapAlloc, heapInuse, heapIdle, heapReleased, stackSys, sys, numGC, nextGC]) => {
          const text = [`alloc: 1.00KB (${heapAlloc} bytes)`, `sys: 2.00MB (${sys} bytes)`, `heap-alloc: 1.00KB (${heapAlloc} bytes)`, `heap-idle: 1KB (${heapIdle} bytes)`, `heap-in-use: 1KB (${heapInuse} bytes)`, `heap-released: 1KB (${heapReleased} bytes)`, `stack-sys: 1KB (${stackSys} bytes)`, `next-gc: when heap-alloc >= 4.00MB (${nextGC} bytes)`, `num-gc: ${numGC}`, 'enable-gc: true', ''].join('\n');
          const expected = fromMemStats({ HeapAlloc: heapAlloc, HeapInuse: heapInuse, HeapIdle: heapIdle, HeapReleased: heapReleased, StackSys: stackSys, Sys: sys, NumGC: numGC, NextGC: nextGC });
          assert.deepStrictEqual(checkFigures('parseGopsMemStats', parseGopsMemStats, text), expected);
        }),
      );
    });
  });

  describe('parseAgentSnapshot', () => {
    /** Parses a snapshot under the suite's rules; the PID, when there is one, is a PID. */
    function checkSnapshot(text: string, strict = false): ReturnType<typeof parseAgentSnapshot> {
      const problems: string[] = [];
      const s = returns('parseAgentSnapshot', () => parseAgentSnapshot(text, problems));
      if (s) {
        assert.ok(Number.isSafeInteger(s.pid) && s.pid > 0, `pid = ${s.pid}`);
        assertFigures(s.figures, !strict);
      }
      assertProblems(problems);
      return s;
    }

    /** The snapshot with one member (by path) replaced by a hostile value, or removed. */
    const structural = fc.tuple(fc.constantFrom('protocol', 'pid', 'goVersion', 'gogc', 'memoryLimit', 'memory', 'memory.heapObjects', 'memory.heapUnused', 'memory.heapFree', 'memory.heapReleased', 'memory.heapStacks', 'memory.osStacks', 'memory.total', 'gc', 'gc.cycles', 'gc.heapGoal', 'gc.heapLive', 'process', 'process.rss'), fc.oneof(hostileJson(undefined), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 50 })));
    const mutatedSnapshot = fc.array(structural, { minLength: 1, maxLength: 3 }).map((changes) => {
      const s = JSON.parse(AGENT_SNAPSHOT) as Record<string, Record<string, unknown>>;
      for (const [where, value] of changes) {
        const [outer, inner] = where.split('.');
        if (inner === undefined) (s as Record<string, unknown>)[outer] = value;
        else if (s[outer] !== null && typeof s[outer] === 'object') s[outer][inner] = value;
      }
      return JSON.stringify(s);
    });

    it('reads the recorded snapshot', () => {
      const s = checkSnapshot(AGENT_SNAPSHOT)!;
      assert.strictEqual(s.pid, 15156);
      assert.strictEqual(s.figures.stacks, 425984);
      assert.strictEqual(s.figures.memoryLimit, 0, 'math.MaxInt64 is "no limit" (0: known to be unset)');
    });

    it('survives text mutations, member-wise hostile values, random and oversized text', () => {
      fuzz(FAMILY, 700, fc.property(mutatedText([AGENT_SNAPSHOT]), (text) => void checkSnapshot(text)));
      fuzz(FAMILY, 800, fc.property(mutatedSnapshot, (text) => void checkSnapshot(text)));
      fuzz(FAMILY, 200, fc.property(fc.oneof(anyString(300), fc.json()), (text) => void checkSnapshot(text)));
      const big = fc.integer({ min: MAX_SNAPSHOT_BYTES - 100, max: 4 * MAX_SNAPSHOT_BYTES }).map((n) => AGENT_SNAPSHOT.replace('"goroutines":15', `"pad":"${'x'.repeat(n)}","goroutines":15`));
      const deep = fc.integer({ min: 1, max: 30_000 }).map((n) => AGENT_SNAPSHOT.replace('"goroutines":15', `"goroutines":${'['.repeat(n)}${']'.repeat(n)}`));
      fuzz(FAMILY, 20, fc.property(fc.oneof(big, deep), (text) => void checkSnapshot(text)));
    });

    it('reads back what a valid snapshot says', () => {
      const count = fc.integer({ min: 0, max: 2 ** 52 - 1 });
      fuzz(
        FAMILY,
        300,
        fc.property(fc.tuple(count, count, count, count, count, count, count, count, count), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: -1, max: 10_000 }), ([objects, unused, free, released, heapStacks, osStacks, total, cycles, goal], pid, gogc) => {
          const text = JSON.stringify({ protocol: 1, pid, gogc, memory: { heapObjects: objects, heapUnused: unused, heapFree: free, heapReleased: released, heapStacks, osStacks, total }, gc: { cycles, heapGoal: goal } });
          const s = checkSnapshot(text)!;
          assert.deepStrictEqual(s, {
            pid,
            program: undefined,
            process: undefined,
            cgroup: undefined,
            figures: { heapObjects: objects, heapUnused: unused, heapFree: free, heapReleased: released, stacks: heapStacks + osStacks, total, gcCycles: cycles, gcGoal: goal, heapLive: undefined, memoryLimit: undefined, gogc, goVersion: undefined, processRss: undefined, goroutines: undefined },
          });
        }),
      );
    });

    // Was a bug (found by this suite): heapStacks and osStacks were checked one by one and their
    // sum handed on (osStacks = 2^53 − 1 gave stacks 9007199255166976). The sum is checked now.
    it('the stacks figure (heapStacks + osStacks) stays a count', () => {
      const counterexample = JSON.parse(AGENT_SNAPSHOT) as { memory: Record<string, number> };
      counterexample.memory.osStacks = Number.MAX_SAFE_INTEGER;
      checkSnapshot(JSON.stringify(counterexample), true);
      const huge = fc.integer({ min: 2 ** 51, max: Number.MAX_SAFE_INTEGER });
      fuzz(
        FAMILY,
        200,
        fc.property(huge, huge, (heapStacks, osStacks) => {
          const s = JSON.parse(AGENT_SNAPSHOT) as { memory: Record<string, number> };
          Object.assign(s.memory, { heapStacks, osStacks });
          checkSnapshot(JSON.stringify(s), true);
        }),
      );
    });
  });
});
