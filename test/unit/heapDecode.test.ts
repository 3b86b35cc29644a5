/**
 * Reading heap profiles safely: every bad body gets its own clear refusal (in this thread and
 * through the real child process), seeded fuzzing of a real profile never gets anything but a
 * summary or a HeapProfileError, and the child is stopped on timeout, memory limit and abort.
 */
import * as assert from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import * as zlib from 'zlib';
import { analyzeHeapProfile } from '../../src/core/heap/analyze';
import { decodeHeapProfile } from '../../src/core/heap/decode';
import { HeapProfileError, HeapProfileErrorCode } from '../../src/core/heap/errors';
import { resolveHeapTaskScript } from '../../src/core/heap/workerScript';

const REPO = path.join(__dirname, '..', '..', '..');
const recorded = (name: string) => fs.readFileSync(path.join(REPO, 'test', 'unit', 'recorded', 'heap', name));

/** Rejects with a HeapProfileError of `code` whose message matches `message`. */
async function assertRefused(promise: Promise<unknown>, code: HeapProfileErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof HeapProfileError, `a HeapProfileError, not ${String(err)}`);
    assert.strictEqual(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

/** A small profile built with pprof-format: one sample per entry of `values`, at main.f line 3. */
function encodeProfile(types: [string, string][], values: (number | bigint)[][], locationId = 1): Buffer {
  const strings = new StringTable();
  const profile = new Profile({
    sampleType: types.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) })),
    function: [new PprofFunction({ id: 1, name: strings.dedup('main.f'), filename: strings.dedup('/x/main.go') })],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 3 })] })],
    sample: values.map((value) => new Sample({ locationId: [locationId], value })),
    stringTable: strings,
  });
  return zlib.gzipSync(profile.encode());
}

describe('heap profile decoding: bad input', () => {
  const good = recorded('leak1000.pb.gz');
  const raw = zlib.gunzipSync(good);

  it('refuses each kind of bad body with its own message', async () => {
    await assertRefused(analyzeHeapProfile(Buffer.alloc(0)), 'empty', /empty/);
    await assert.rejects(analyzeHeapProfile('gzip?' as unknown as Uint8Array), /A heap profile is bytes/);
    await assertRefused(analyzeHeapProfile(good, { maxCompressedBytes: 1000 }), 'too-large', /11\.\d KiB, over the 1000 B limit/);
    await assertRefused(analyzeHeapProfile(good, { maxDecompressedBytes: 4096 }), 'expands-too-large', /expands past 4\.0 KiB/);
    await assertRefused(analyzeHeapProfile(good.subarray(0, good.length >> 1)), 'truncated', /cut off/);
    await assertRefused(analyzeHeapProfile(Buffer.from('heap profile: 3: 320 [9: 1120] @ heap/1\n')), 'not-gzip', /\?debug=1/);
    await assertRefused(analyzeHeapProfile(Buffer.from('<!DOCTYPE html><html>404</html>')), 'not-gzip', /HTML/);
    await assertRefused(analyzeHeapProfile(Buffer.from('404 page not found\n')), 'not-gzip', /"404 page not found/);
    await assertRefused(analyzeHeapProfile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0])), 'not-gzip', /starts 50 4b 03 04/);
    const damaged = Buffer.from(good);
    damaged.fill(0xff, 20, 60);
    await assertRefused(analyzeHeapProfile(damaged), 'corrupt', /damaged/);
  });

  it('refuses gzip that holds no profile, or a cut-off one', async () => {
    await assertRefused(analyzeHeapProfile(zlib.gzipSync('{"error": "not a profile"}')), 'not-a-profile', /Not a pprof heap profile/);
    await assertRefused(analyzeHeapProfile(zlib.gzipSync(raw.subarray(0, raw.length - 7))), 'truncated', /cut off: field \d+ at byte \d+ needs/);
    await assertRefused(analyzeHeapProfile(zlib.gzipSync(Buffer.from([0x12, 0x80]))), 'truncated', /never ends/);
  });

  it('refuses profiles that are not of the heap, or lie', async () => {
    await assertRefused(analyzeHeapProfile(encodeProfile([['samples', 'count'], ['cpu', 'nanoseconds']], [[1, 10]])), 'not-heap', /samples\/count, cpu\/nanoseconds/);
    await assertRefused(analyzeHeapProfile(encodeProfile([['inuse_space', 'kilobytes']], [[1]])), 'not-heap', /in kilobytes/);
    await assertRefused(analyzeHeapProfile(encodeProfile([['inuse_space', 'bytes']], [[-5]])), 'not-a-profile', /negative/);
    await assertRefused(analyzeHeapProfile(encodeProfile([['inuse_space', 'bytes']], [[1, 2]])), 'not-a-profile', /2 values for 1 sample types/);
    await assertRefused(analyzeHeapProfile(encodeProfile([['inuse_space', 'bytes']], [[1]], 99)), 'not-a-profile', /location 99, which the profile does not define/);
    // A partial heap profile is fine: the figures it lacks read 0.
    const partial = await analyzeHeapProfile(encodeProfile([['inuse_space', 'bytes']], [[4096], [BigInt(2 ** 40)]]));
    assert.deepStrictEqual(partial.has, { inuseBytes: true, inuseObjects: false, allocBytes: false, allocObjects: false });
    assert.strictEqual(partial.totals.inuseBytes, 4096 + 2 ** 40);
    assert.strictEqual(partial.sites[0].functionName, 'main.f');
    // A location without symbols is named by its address, as pprof does.
    const strings = new StringTable();
    const unsymbolized = new Profile({
      sampleType: [new ValueType({ type: strings.dedup('inuse_space'), unit: strings.dedup('bytes') })],
      location: [new Location({ id: 7, address: 0xffffffff81000000n })],
      sample: [new Sample({ locationId: [7], value: [64] })],
      stringTable: strings,
    });
    const addressed = await analyzeHeapProfile(zlib.gzipSync(unsymbolized.encode()));
    assert.deepStrictEqual([addressed.sites[0].functionName, addressed.sites[0].inuseBytes], ['0xffffffff81000000', 64]);
  });

  it('fuzzed real profiles (seeded): a summary or a HeapProfileError, nothing else', async function () {
    this.timeout(60_000);
    const small = zlib.gunzipSync(recorded('leak1000.pb.gz'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(small.length - 1), byte: fc.nat(255) }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(small.length), { nil: undefined }),
        async (edits, cut) => {
          const mutated = Buffer.from(small.subarray(0, cut ?? small.length));
          for (const { at, byte } of edits) if (at < mutated.length) mutated[at] = byte;
          try {
            const summary = await analyzeHeapProfile(zlib.gzipSync(mutated));
            for (const value of Object.values(summary.totals)) assert.ok(Number.isFinite(value) && value >= 0);
          } catch (err) {
            assert.ok(err instanceof HeapProfileError, `unexpected ${(err as Error).stack}`);
          }
        },
      ),
      { seed: 20261128, numRuns: 300 },
    );
  });
});

describe('heap profile decoding: in a child process', function () {
  this.timeout(20_000);

  it('gives the same summary as decoding in this thread, whole or in pieces, and leaves the bytes as they were', async () => {
    const gz = recorded('spread14.pb.gz');
    const expected = await analyzeHeapProfile(gz);
    const kept = new Uint8Array(gz);
    assert.deepStrictEqual(await decodeHeapProfile(kept), expected);
    assert.strictEqual(kept.byteLength, gz.length);
    // In the pieces a socket delivers, some smaller than the gzip header.
    const pieces = [gz.subarray(0, 1), gz.subarray(1, 3), gz.subarray(3, 5000), gz.subarray(5000)];
    assert.deepStrictEqual(await decodeHeapProfile(pieces), expected);
    assert.deepStrictEqual((await decodeHeapProfile(pieces, { maxSites: 5 })).sites, expected.sites.slice(0, 5));
  });

  it('runs the child at a lower priority, and only it (Linux)', async function () {
    if (process.platform !== 'linux') this.skip();
    // Field 19 of /proc/<pid>/stat is the nice value.
    const niceOf = (pid: string) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16]);
    const before = niceOf(String(process.pid));
    if (before >= 10) this.skip(); // already below normal: nothing to see
    const seen = new Set<number>();
    const decoding = decodeHeapProfile(recorded('spread14.pb.gz'));
    const poll = setInterval(() => {
      for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
        try {
          if (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[3] === String(process.pid)) seen.add(niceOf(pid));
        } catch {
          // The process ended between the listing and the read.
        }
      }
    }, 2);
    await decoding.finally(() => clearInterval(poll));
    assert.ok(seen.has(10), `nice values of our children: ${[...seen]}`);
    assert.strictEqual(niceOf(String(process.pid)), before, 'this process keeps its priority');
  });

  it('passes refusals through with their code', async () => {
    await assertRefused(decodeHeapProfile(zlib.gzipSync('nope')), 'not-a-profile', /Not a pprof heap profile/);
    await assertRefused(decodeHeapProfile(Buffer.from('heap profile: 1')), 'not-gzip', /debug=1/);
    await assertRefused(decodeHeapProfile([]), 'empty', /empty/);
  });

  it('stops the child on timeout, memory limit and abort', async () => {
    const gz = recorded('spread14.pb.gz');
    await assertRefused(decodeHeapProfile(gz, { timeoutMs: 1 }), 'timeout', /longer than 0\.001 s/);
    await assertRefused(decodeHeapProfile(gz, { maxHeapMb: 4 }), 'out-of-memory', /more than the 4 MiB/);
    const controller = new AbortController();
    const pending = decodeHeapProfile(gz, { signal: controller.signal });
    controller.abort();
    await assertRefused(pending, 'aborted', /cancelled/);
    await assertRefused(decodeHeapProfile(gz, { signal: AbortSignal.abort() }), 'aborted', /cancelled/);
    await assert.rejects(decodeHeapProfile(gz, { timeoutMs: -1 }), /timeoutMs must be a positive integer/);
  });

  it('finds its script in the bundled and the transpiled layout, and says when it is missing', async () => {
    assert.strictEqual(resolveHeapTaskScript(), path.join(REPO, 'out', 'src', 'core', 'heap', 'task.js'));
    const bundled = resolveHeapTaskScript(path.join(REPO, 'dist'));
    assert.strictEqual(bundled, path.join(REPO, 'dist', 'heapTask.js'));
    const summary = await decodeHeapProfile(recorded('leak1000.pb.gz'), { taskScript: bundled });
    assert.strictEqual(summary.sites[0].shortName, 'store.(*Store).Add');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-'));
    try {
      assert.throws(() => resolveHeapTaskScript(empty), /heap profile task is missing: neither .*heapTask\.js nor .*task\.js exists/);
      await assertRefused(decodeHeapProfile(recorded('leak1000.pb.gz'), { taskScript: path.join(empty, 'task.js') }), 'worker-failed', /stopped \(exit code 1\) without an answer/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
