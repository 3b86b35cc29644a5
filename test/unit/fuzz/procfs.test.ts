/**
 * Fuzz: the Linux /proc parsers (stat, status, smaps_rollup's LazyFree) and macOS's `ps`
 * memory line. Seeds are this machine's own kernel files, read when the test runs (this process,
 * PID 1 and a few others), and `ps` run here (procps writes the same columns as macOS's ps).
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { parsePsMemory } from '../../../src/core/sampling/darwin';
import { parseLazyFree, parseStat, parseStatus, parseStatusFigures, ProcStat, ProcStatus } from '../../../src/core/sampling/procfs';
import { anyString, assertCount, assertFiniteNonNegative, assertNumber, assertOptionalCount, commandOutput, fuzz, HOSTILE_NUMBERS, mutatedText, present, procFile, returns, returnsOrRefuses, somePids } from './support';

const FAMILY = 'procfs and ps';
const PIDS = somePids();
/** A recorded stat line (procfs.test.ts), for machines whose /proc cannot be read. */
const RECORDED_STAT = '4242 (my server) (x)) S 1 4242 4242 0 -1 4194560 1371 0 0 0 25 7 0 0 20 0 6 0 1234567 1263132672 3045 18446744073709551615 4194304 7274581 140729 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 9539584 9727776 28172288 140729 140729 140729 140729 0\n';
const STATS = [RECORDED_STAT, ...present(PIDS.map((p) => procFile(p, 'stat')))];
const STATUSES = present(PIDS.map((p) => procFile(p, 'status')));
const ROLLUPS = present(['self', 1].map((p) => procFile(p as number | 'self', 'smaps_rollup')));
const PS_LINES = present([commandOutput('ps', ['-o', 'rss=,vsz=,%cpu=', '-p', String(process.pid)]), '  12180 1233536   0,5\n']);

/** parseStat's documented refusals; its callers turn them into SampleErrors. */
const STAT_REFUSAL = /^(malformed|truncated) \/proc\/PID\/stat$/;

/** A stat that parsed: the shape its callers rely on. */
function assertStatShape(s: ProcStat): void {
  for (const k of ['pid', 'ppid', 'utime', 'stime', 'vsize', 'rssPages'] as const) assertNumber(k, s[k]);
  for (const k of ['comm', 'state', 'startTime'] as const) assert.strictEqual(typeof s[k], 'string', k);
}

/** The full rule: every number parseStat returns is a whole number ≥ 0 (see the BUG below). */
function assertStatFigures(s: ProcStat): void {
  for (const k of ['pid', 'ppid', 'utime', 'stime', 'vsize', 'rssPages'] as const) assertCount(`stat.${k}`, s[k]);
}

const STATUS_SIZES = ['vmRss', 'vmSize', 'vmHwm', 'rssAnon', 'rssFile', 'rssShmem', 'vmSwap'] as const;

function assertStatusShape(s: ProcStatus): void {
  for (const k of STATUS_SIZES) if (s[k] !== undefined) assertNumber(k, s[k]);
  if (s.uid !== undefined) assertNumber('uid', s.uid);
  for (const k of ['sigCgt', 'sigIgn'] as const) if (s[k] !== undefined) assert.strictEqual(typeof s[k], 'bigint', k);
  for (const k of ['name', 'state'] as const) if (s[k] !== undefined) assert.strictEqual(typeof s[k], 'string', k);
}

function assertStatusFigures(s: ProcStatus): void {
  for (const k of STATUS_SIZES) assertOptionalCount(`status.${k}`, s[k]);
  assertOptionalCount('status.uid', s.uid);
}

describe('fuzz: procfs and ps', () => {
  it('has real seeds from this machine', () => {
    assert.ok(STATS.length >= 2 && STATUSES.length >= 1, 'this test reads /proc: Linux expected');
    for (const s of STATS) assertStatFigures(parseStat(s));
    for (const s of STATUSES) assertStatusFigures(parseStatus(s));
  });

  describe('parseStat', () => {
    it('refuses with its own Error or returns a stat: mutations of real stat lines, random text', () => {
      fuzz(FAMILY, 2500, fc.property(fc.oneof(mutatedText(STATS), anyString(200)), (text) => {
        const s = returnsOrRefuses('parseStat', () => parseStat(text), STAT_REFUSAL);
        if (s) assertStatShape(s);
      }));
    });

    it('reads back any comm, even one with spaces, parentheses and newlines', () => {
      const real = STATS[STATS.length - 1];
      const after = real.slice(real.lastIndexOf(')') + 1);
      const expected = parseStat(real);
      fuzz(FAMILY, 800, fc.property(anyString(64), (comm) => {
        const s = returns('parseStat', () => parseStat(`${expected.pid} (${comm})${after}`));
        assert.deepStrictEqual(s, { ...expected, comm });
      }));
    });

    // Was a bug (found by this suite): fields were converted with Number() and never checked, so
    // "x" became NaN, "1e400" Infinity, "-1" a negative PID. Now a field that is not a count makes
    // the file malformed. Shrunk counterexamples: this machine's /proc/self/stat with its PID
    // replaced by "-1"; '1 (a) ' + 21 × '0 ' + '1e400'; an "x" in field 4.
    it('refuses fields that are not counts (NaN, Infinity, negatives)', () => {
      assert.throws(() => parseStat(`1 (a) ${'0 '.repeat(21)}1e400`), { message: STAT_REFUSAL });
      assert.throws(() => parseStat(`-1 (a) ${'0 '.repeat(22)}`), { message: STAT_REFUSAL });
      fuzz(FAMILY, 1000, fc.property(mutatedText(STATS), (text) => {
        const s = returnsOrRefuses('parseStat', () => parseStat(text), STAT_REFUSAL);
        if (s) assertStatFigures(s);
      }));
    });
  });

  describe('parseStatus', () => {
    it('never throws: mutations of real status files, random text, long lines', () => {
      fuzz(FAMILY, 2000, fc.property(fc.oneof(mutatedText(STATUSES), anyString(200)), (text) => void assertStatusShape(returns('parseStatus', () => parseStatus(text)))));
      const long = fc.tuple(fc.constantFrom('SigCgt:\t', 'VmRSS:\t', 'Name:\t', ''), fc.integer({ min: 1000, max: 1_000_000 }), fc.constantFrom('f', '9', ' ', ':')).map(([key, n, c]) => `${key}${c.repeat(n)}\n`);
      fuzz(FAMILY, 20, fc.property(long, (text) => void assertStatusShape(returns('parseStatus', () => parseStatus(text)))));
    });

    it('reads back sizes in kB as bytes and signal masks as bits', () => {
      fuzz(FAMILY, 500, fc.property(fc.nat({ max: 2 ** 42 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (kb, mask) => {
        const s = returns('parseStatus', () => parseStatus(`Name:\tx\nVmRSS:\t${kb} kB\nSigCgt:\t${mask.toString(16).padStart(16, '0')}\n`));
        assert.strictEqual(s.vmRss, kb * 1024);
        assert.strictEqual(s.sigCgt, mask);
      }));
    });

    // Was a bug (found by this suite): "1e308" became Infinity, "-5" −5120, an empty value 0, Uid
    // NaN (shrunk: this machine's status with "VmSize:\t -1 kB"). Now such a figure is absent.
    it('leaves out figures that are not counts (negative, infinite, NaN)', () => {
      assertStatusFigures(parseStatus('VmRSS:\t-1 kB'));
      fuzz(FAMILY, 1000, fc.property(mutatedText(STATUSES), (text) => void assertStatusFigures(returns('parseStatus', () => parseStatus(text)))));
    });
  });

  describe('parseStatusFigures (what each sample reads)', () => {
    it('gives exactly the sizes and state parseStatus gives: real status files, mutations, random text, repeated keys', () => {
      // The reader hands the parser the bytes it read into a reused buffer (stale bytes after them,
      // from a longer read before) and parseStatus the same bytes decoded as latin1.
      const same = (text: string) => {
        const bytes = Buffer.from(text, 'latin1');
        const all = returns('parseStatus', () => parseStatus(bytes.toString('latin1')));
        const picked = { state: all.state, ...Object.fromEntries(STATUS_SIZES.map((k) => [k, all[k]])) };
        assert.deepStrictEqual(returns('parseStatusFigures', () => parseStatusFigures(bytes)), picked);
        const stale = Buffer.concat([bytes, Buffer.from('\nVmRSS:\t999 kB\nState:\tZ (zombie)\nVmSize: 5 kB\n', 'latin1')]);
        assert.deepStrictEqual(returns('parseStatusFigures', () => parseStatusFigures(stale, bytes.length)), picked);
      };
      for (const text of STATUSES) same(text);
      const repeated = fc.tuple(fc.constantFrom(...STATUSES.length ? STATUSES : ['VmRSS:\t1 kB\n']), fc.constantFrom('VmRSS', 'VmSize', 'State', 'VmHWM'), fc.constantFrom('12 kB', '-1 kB', '', 'x', ' 7\t kB ', 'R (running)', '\u00a012\u00a0kB', '\v\f 12\r', '\u00a0R (running)', '0009007199254740991 kB', '9007199254740993 kB', '12kB')).map(([text, key, value]) => `${text}${key}:\t${value}\n`);
      fuzz(FAMILY, 2500, fc.property(fc.oneof(mutatedText(STATUSES), anyString(200), repeated), same));
    });
  });

  describe('parseLazyFree', () => {
    it('never throws: mutations of real smaps_rollup, random text', () => {
      const seeds = ROLLUPS.length ? ROLLUPS : ['LazyFree:              0 kB\n'];
      fuzz(FAMILY, 1200, fc.property(fc.oneof(mutatedText(seeds), anyString(100)), (text) => {
        const v = returns('parseLazyFree', () => parseLazyFree(text));
        if (v !== undefined) assertNumber('lazyFree', v);
      }));
    });

    it('reads back any count of kB', () => {
      fuzz(FAMILY, 300, fc.property(fc.nat({ max: 2 ** 42 }), (kb) => assert.strictEqual(parseLazyFree(`Rss: 1 kB\nLazyFree:  ${kb} kB\n`), kb * 1024)));
    });

    // Was a bug (found by this suite): any run of digits was taken, so 400 nines were Infinity and
    // 'LazyFree: 9007199254740993 kB' an inexact figure. Now such a figure is absent.
    it('leaves out figures too long to be exact', () => {
      assertOptionalCount('lazyFree', parseLazyFree('LazyFree: 9007199254740993 kB'));
      fuzz(FAMILY, 300, fc.property(fc.stringMatching(/^\d{1,400}$/), (digits) => assertOptionalCount('lazyFree', parseLazyFree(`LazyFree: ${digits} kB`))));
    });
  });

  describe('parsePsMemory (macOS)', () => {
    const PS_REFUSAL = /^unexpected ps output: /;
    it('refuses with its own Error or returns sizes: mutations of real ps output, random text', () => {
      fuzz(FAMILY, 1500, fc.property(fc.oneof(mutatedText(PS_LINES), anyString(60)), (text) => {
        const m = returnsOrRefuses('parsePsMemory', () => parsePsMemory(text), PS_REFUSAL);
        if (m) {
          assertNumber('rss', m.rss);
          assertNumber('vsz', m.vsz);
          if (m.cpu !== undefined) assertNumber('cpu', m.cpu);
        }
      }));
    });

    it('reads back KiB counts and a CPU percentage in either decimal mark', () => {
      fuzz(FAMILY, 300, fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), fc.nat({ max: 9999 }), fc.constantFrom('.', ','), (rss, vsz, tenths, mark) => {
        const cpu = `${Math.floor(tenths / 10)}${mark}${tenths % 10}`;
        assert.deepStrictEqual(returns('parsePsMemory', () => parsePsMemory(`  ${rss} ${vsz}   ${cpu}\n`)), { rss: rss * 1024, vsz: vsz * 1024, cpu: tenths / 10 });
      }));
    });

    // Was a bug (found by this suite): any finite Number() was taken, so ' -1   5124  0.0' gave a
    // negative RSS and "1e308" an infinite one. Now ps output with such a figure is refused.
    it('refuses negative or infinite sizes', () => {
      assert.throws(() => parsePsMemory('-1 0'), { message: PS_REFUSAL });
      fuzz(FAMILY, 500, fc.property(fc.constantFrom(...HOSTILE_NUMBERS), fc.constantFrom(...HOSTILE_NUMBERS), (rss, vsz) => {
        const r = returnsOrRefuses('parsePsMemory', () => parsePsMemory(`${rss} ${vsz} 0.0`), PS_REFUSAL);
        if (r) {
          assertCount('rss', r.rss);
          assertCount('vsz', r.vsz);
          if (r.cpu !== undefined) assertFiniteNonNegative('cpu', r.cpu);
        }
      }));
    });
  });
});
