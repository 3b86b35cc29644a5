/**
 * Heap profile summaries and diffs on profiles recorded from the leaker fixture (MemProfileRate=1,
 * Go 1.26; test/unit/recorded/heap/record.sh), held against what `go tool pprof` printed for the
 * very same files (recorded beside them).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeHeapProfile } from '../../src/core/heap/analyze';
import { diffProfiles } from '../../src/core/heap/diff';
import { goPackageOf, shortFunctionName } from '../../src/core/heap/functionNames';
import { describeGrowth, describeSite, formatBytesDelta, formatShare, siteLocation, topFunctions, topSites } from '../../src/shared/heap/present';
import { HEAP_VALUE_KEYS, HeapProfileSummary, HeapValues } from '../../src/shared/heap/types';
import { closeToPprof, parsePprofTop, PprofTop } from '../support/pprofTop';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'heap');
const recorded = (name: string) => fs.readFileSync(path.join(RECORDED, name));
const pprofTop = (name: string): PprofTop => parsePprofTop(recorded(name).toString());

const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const RECORD_SIZE = 4096;

/** The leak's line: store.go:22, `record := make([]byte, RecordSize)`. */
function leakSite(summary: HeapProfileSummary) {
  const site = summary.sites.find((s) => s.functionName === STORE_ADD && s.file.endsWith('/store/store.go') && s.line === 22);
  assert.ok(site, 'the leaking line is listed');
  return site;
}

/** Every row pprof printed has our figure within 5 % (or pprof's rounding). */
function assertMatchesPprof(summary: HeapProfileSummary, top: PprofTop, by: keyof HeapValues): void {
  assert.ok(top.rows.length >= 3, 'pprof listed rows');
  assert.ok(closeToPprof(summary.totals[by], top.total, 0.005 * top.total), `total ${summary.totals[by]} vs pprof ${top.total}`);
  for (const row of top.rows) {
    if (row.file !== undefined) {
      // -lines: a site is a line's flat figure (its cum, callers' lines, is not summarized).
      const site = summary.sites.find((s) => s.functionName === row.functionName && s.file === row.file && s.line === row.line);
      assert.ok(site || row.flat === 0, `site ${row.functionName} ${row.file}:${row.line} is listed`);
      assert.ok(closeToPprof(site?.[by] ?? 0, row.flat, row.rounding), `${row.functionName}:${row.line} flat ${site?.[by]} vs pprof ${row.flat}`);
    } else {
      const fn = summary.functions.find((f) => f.functionName === row.functionName);
      assert.ok(fn, `function ${row.functionName} is listed`);
      assert.ok(closeToPprof(fn.flat[by], row.flat, row.rounding), `${row.functionName} flat ${fn.flat[by]} vs pprof ${row.flat}`);
      assert.ok(closeToPprof(fn.cum[by], row.cum, row.rounding), `${row.functionName} cum ${fn.cum[by]} vs pprof ${row.cum}`);
    }
  }
}

describe('heap profile summary (recorded from the leaker fixture)', () => {
  let leak1000: HeapProfileSummary;
  let leak1500: HeapProfileSummary;
  let spread: HeapProfileSummary;
  before(async () => {
    leak1000 = await analyzeHeapProfile(recorded('leak1000.pb.gz'));
    leak1500 = await analyzeHeapProfile(recorded('leak1500.pb.gz'));
    spread = await analyzeHeapProfile(recorded('spread14.pb.gz'));
  });

  it("has Go's four sample types, unsampled (MemProfileRate=1), with its capture time", () => {
    assert.deepStrictEqual(
      leak1000.sampleTypes.map((t) => `${t.type}/${t.unit}`),
      ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'],
    );
    assert.deepStrictEqual(leak1000.has, { inuseBytes: true, inuseObjects: true, allocBytes: true, allocObjects: true });
    assert.strictEqual(leak1000.defaultSampleType, undefined, 'Go names none for /debug/pprof/heap: pprof shows inuse_space');
    assert.strictEqual(leak1000.samplingRate, 1);
    assert.ok(leak1000.capturedAtMs! > Date.parse('2026-01-01') && leak1000.capturedAtMs! < leak1500.capturedAtMs!);
  });

  it('puts the leak on top, exactly: 1000 records of 4 KiB at store.go:22', () => {
    const site = leakSite(leak1000);
    // 1000 records, plus what the runtime allocated for itself inside those mallocs (a GC
    // starting: one 112-byte object here). Go hides the runtime's frames, so it lands on the line.
    assert.strictEqual(Math.floor(site.inuseBytes / RECORD_SIZE), 1000);
    assert.ok(site.inuseBytes - 1000 * RECORD_SIZE <= 256, `${site.inuseBytes} B`);
    assert.ok(site.inuseObjects >= 1000 && site.inuseObjects <= 1002);
    assert.strictEqual(site.shortName, 'store.(*Store).Add');
    assert.strictEqual(topSites(leak1000.sites)[0].key, site.key);
    assert.strictEqual(topFunctions(leak1000.functions)[0].functionName, STORE_ADD);
    assert.strictEqual(describeSite(site), `store.(*Store).Add (store.go:22): 3.9 MiB in use in ${site.inuseObjects} objects`);
  });

  it('puts the garbage on top of allocations, with nothing of it in use', () => {
    const garbage = topSites(leak1000.sites, 'allocBytes')[0];
    assert.strictEqual(garbage.functionName, 'main.churnGarbage');
    assert.strictEqual(Math.floor(garbage.allocBytes / (64 * 1024)), 2000);
    assert.ok(garbage.allocObjects >= 2000 && garbage.allocObjects <= 2002);
    assert.ok(garbage.inuseBytes < 1024, 'none of the 64 KiB buffers is in use');
  });

  it('agrees with go tool pprof -top, -top -cum, -top -lines and alloc_space on the same files', () => {
    for (const [summary, name] of [
      [leak1000, 'leak1000'],
      [leak1500, 'leak1500'],
      [spread, 'spread14'],
    ] as const) {
      assertMatchesPprof(summary, pprofTop(`${name}.top.txt`), 'inuseBytes');
      assertMatchesPprof(summary, pprofTop(`${name}.top-cum.txt`), 'inuseBytes');
      assertMatchesPprof(summary, pprofTop(`${name}.top-lines.txt`), 'inuseBytes');
      assertMatchesPprof(summary, pprofTop(`${name}.top-alloc.txt`), 'allocBytes');
      // The first row of each listing is ours too.
      assert.strictEqual(topFunctions(summary.functions)[0].functionName, pprofTop(`${name}.top.txt`).rows[0].functionName);
      const cumTop = pprofTop(`${name}.top-cum.txt`).rows[0];
      assert.ok(closeToPprof(topFunctions(summary.functions, 'inuseBytes', true)[0].cum.inuseBytes, cumTop.cum, cumTop.rounding));
    }
  });

  it('counts a recursive function once per stack (cum), like pprof', () => {
    assert.ok(spread.sampleCount > 16_384, `${spread.sampleCount} samples`);
    const step = spread.functions.find((f) => f.functionName === 'main.spreadStep')!;
    // Each of the 2^14 objects was allocated 15 frames deep in spreadStep: counted once each.
    assert.strictEqual(step.cum.inuseBytes, step.flat.inuseBytes);
    const left = spread.functions.find((f) => f.functionName === 'main.spreadLeft')!;
    assert.ok(left.cum.inuseObjects < step.cum.inuseObjects && left.cum.inuseObjects > 16_000);
  });

  it('keeps the top N and accounts for the rest', async () => {
    const cut = await analyzeHeapProfile(recorded('spread14.pb.gz'), { maxSites: 3, maxFunctions: 5 });
    assert.strictEqual(cut.sites.length, 3);
    assert.strictEqual(cut.omittedSites.count, spread.siteCount - 3);
    assert.strictEqual(cut.functions.length, 5);
    assert.strictEqual(cut.omittedFunctions.count, spread.functionCount - 5);
    for (const key of HEAP_VALUE_KEYS) {
      const kept = cut.sites.reduce((sum, s) => sum + s[key], 0);
      assert.strictEqual(kept + cut.omittedSites.values[key], cut.totals[key], `sites ${key}`);
      const keptFlat = cut.functions.reduce((sum, f) => sum + f.flat[key], 0);
      assert.strictEqual(keptFlat + cut.omittedFunctions.values[key], cut.totals[key], `functions ${key}`);
    }
    // The kept sites are the three largest by share: the leak, the churn, and the spread.
    assert.deepStrictEqual(cut.sites.map((s) => s.shortName).sort(), ['main.churnGarbage', 'main.spreadStep', 'store.(*Store).Add']);
    const whole = spread.sites.reduce((sum, s) => sum + s.inuseBytes, 0);
    assert.strictEqual(whole, spread.totals.inuseBytes, 'the default 500 keeps every site of this profile');
    await assert.rejects(analyzeHeapProfile(recorded('leak1000.pb.gz'), { maxSites: 0 }), /maxSites must be an integer/);
  });

  it('diffs two profiles: the leak grew by exactly 500 records, as pprof -diff_base says', () => {
    const diff = diffProfiles(leak1000, leak1500);
    const first = diff.growth[0];
    assert.strictEqual(first.key, leakSite(leak1500).key);
    assert.strictEqual(first.delta.inuseBytes, 500 * RECORD_SIZE);
    assert.strictEqual(first.delta.inuseObjects, 500);
    assert.strictEqual(first.delta.allocObjects, 500);
    assert.strictEqual(first.isNew, false);
    const pprofRow = pprofTop('diff.top-lines.txt').rows.find((r) => r.functionName === STORE_ADD && r.line === 22)!;
    assert.ok(closeToPprof(first.delta.inuseBytes, pprofRow.flat, pprofRow.rounding), `${first.delta.inuseBytes} vs pprof ${pprofRow.flat}`);
    assert.strictEqual(diff.totalsDelta.inuseBytes, leak1500.totals.inuseBytes - leak1000.totals.inuseBytes);
    assert.ok(diff.elapsedMs! > 0);
    assert.deepStrictEqual(diff.warnings, [], 'same process, unsampled, in order');
    // Growth order: never a larger in-use growth after a smaller one.
    for (let i = 1; i < diff.growth.length; i++) assert.ok(diff.growth[i - 1].delta.inuseBytes >= diff.growth[i].delta.inuseBytes);
    assert.strictEqual(describeGrowth(first), 'store.(*Store).Add (store.go:22): +2.0 MiB in use (+500 objects)');
  });

  it('diff: new sites, an incomplete baseline, a restarted program, reversed order', async () => {
    const diff = diffProfiles(leak1500, spread);
    const spreadSite = diff.newSites.find((d) => d.functionName === 'main.spreadStep');
    assert.ok(spreadSite && spreadSite.baseline === undefined && spreadSite.delta.inuseObjects > 16_384, 'the spread is new since leak1500');
    assert.ok(diff.newSites.every((d) => d.isNew && !leak1500.sites.some((s) => s.key === d.key)));

    const cutBaseline = await analyzeHeapProfile(recorded('leak1500.pb.gz'), { maxSites: 2 });
    const partial = diffProfiles(cutBaseline, spread);
    assert.strictEqual(partial.baselineIncomplete, true);
    assert.deepStrictEqual(partial.newSites, [], 'a site missing from a cut baseline is not called new');

    // Swapped: allocation totals fall (as after a restart) and time runs backwards.
    const reversed = diffProfiles(spread, leak1000);
    assert.ok(reversed.warnings.some((w) => /restarted/.test(w)));
    assert.ok(reversed.warnings.some((w) => /reversed/.test(w)));
    assert.ok(reversed.growth.some((d) => d.current === undefined && d.functionName === 'main.spreadStep'), 'gone sites are listed');
  });

  it('shortens Go function names like pprof', () => {
    assert.strictEqual(shortFunctionName('example.com/svc/store.(*LRU).Add'), 'store.(*LRU).Add');
    assert.strictEqual(shortFunctionName('github.com/user/repo/v2/pkg.Func'), 'pkg.Func');
    assert.strictEqual(shortFunctionName('github.com/user/mod/v3.(*T).M'), 'mod.(*T).M');
    assert.strictEqual(shortFunctionName('main.main.func1'), 'main.main.func1');
    assert.strictEqual(shortFunctionName('runtime.mallocgc'), 'runtime.mallocgc');
    assert.strictEqual(shortFunctionName('net/http.(*conn).serve'), 'http.(*conn).serve');
    assert.strictEqual(shortFunctionName('gopkg.in/yaml%2ev3.(*parser).parse'), 'yaml%2ev3.(*parser).parse');
  });

  it('reads the package path out of a Go function name', () => {
    assert.strictEqual(goPackageOf('example.com/svc/store.(*LRU).Add'), 'example.com/svc/store');
    assert.strictEqual(goPackageOf('runtime.mallocgc'), 'runtime');
    assert.strictEqual(goPackageOf('main.main.func1'), 'main');
    assert.strictEqual(goPackageOf('gopkg.in/yaml%2ev3.(*parser).parse'), 'gopkg.in/yaml.v3');
    assert.strictEqual(goPackageOf('example.com/a.Map[go.shape.string,example.com/b.T]'), 'example.com/a');
    assert.strictEqual(goPackageOf('0x4a5b6c'), undefined);
  });

  it('formats shares, deltas and locations', () => {
    assert.strictEqual(formatShare(1, 4), '25.0 %');
    assert.strictEqual(formatShare(1, 0), '—');
    assert.strictEqual(formatBytesDelta(2 * 1024 * 1024), '+2.0 MiB');
    assert.strictEqual(formatBytesDelta(-512), '−512 B');
    assert.strictEqual(formatBytesDelta(0), '±0 B');
    assert.strictEqual(siteLocation({ file: 'C:\\src\\svc\\store.go', line: 7 }), 'store.go:7');
    assert.strictEqual(siteLocation({ file: '', line: 0 }), '?');
  });
});
