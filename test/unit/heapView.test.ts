/**
 * The heap view's pure parts, on profiles recorded from the leaker fixture (test/unit/recorded/
 * heap): the host's view state (rows, change since the baseline, the top grower), the webview's
 * table and header lines, the messages it may send, and the heap settings. Figures are held
 * against what `go tool pprof` printed for the very same files.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { analyzeHeapProfile } from '../../src/core/heap/analyze';
import { gorootCandidates, guessGoroot } from '../../src/core/heap/goroot';
import { realPathFs } from '../../src/core/heap/realFs';
import { diffProfiles } from '../../src/core/heap/diff';
import { ADD_SOURCE_HINT, HeapFetchError, heapProfileEndpoint, HeapProfileWatch, HeapWatchProfiles, topGrowerOf } from '../../src/core/heap/profileService';
import { HeapProfileSummary } from '../../src/shared/heap/types';
import { buildHeapViewState, locationKey, locationsOf, ProfileLocation, toRowSource } from '../../src/core/heap/viewModel';
import { HeapRowSource, HeapViewState } from '../../src/shared/heap/viewTypes';
import { normalizeSettings } from '../../src/core/settings';
import { MAX_HEAP_ROW_KEY_CHARS, MAX_RENDERED_HEAP_ROWS, parseHeapViewMessage } from '../../src/shared/protocol';
import { buildTable, formatCount, headerLines, MAX_SHOWN_ROWS } from '../../src/webview/heap/model';
import { closeToPprof, parsePprofTop } from '../support/pprofTop';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'heap');
const recorded = (name: string) => fs.readFileSync(path.join(RECORDED, name));
const STORE_ADD = 'memorywatch.test/fixtures/leaker/store.(*Store).Add';
const MINUS = '\u2212';

/** Found for the leaker's own files (as a workspace would have them), not for the standard library. */
function locate(location: ProfileLocation): HeapRowSource {
  return location.file.includes('/fixtures/leaker/')
    ? { found: true, shown: location.file.slice(location.file.indexOf('leaker/')), readOnly: false, where: 'workspace' }
    : { found: false, reason: `no file in the workspace ends with ${path.basename(location.file)}` };
}

function profiles(current: HeapProfileSummary, baseline: HeapProfileSummary | undefined, bytes = 11_671): HeapWatchProfiles {
  const snapshot = (summary: HeapProfileSummary, seq: number) => ({ seq, takenAt: Date.UTC(2026, 10, 28, 10, seq), pid: 42, summary, source: 'net/http/pprof at 127.0.0.1:6060' });
  return {
    watchId: '42-1',
    fetching: false,
    current: { ...snapshot(current, 2), bytes: { pieces: [Buffer.alloc(bytes)], byteLength: bytes } },
    baseline: baseline ? snapshot(baseline, 1) : snapshot(current, 2),
    diff: baseline ? diffProfiles(baseline, current) : undefined,
    source: 'net/http/pprof at 127.0.0.1:6060',
  };
}

function view(current: HeapProfileSummary, baseline?: HeapProfileSummary, extra: Partial<Parameters<typeof buildHeapViewState>[0]> = {}): HeapViewState {
  return buildHeapViewState({ version: 7, watch: { id: '42-1', name: 'leaker', pid: 42, paused: false, ended: false }, profiles: profiles(current, baseline), refreshSeconds: 10, locate, ...extra });
}

describe('heap view (recorded profiles of the leaker)', () => {
  let leak1000: HeapProfileSummary;
  let leak1500: HeapProfileSummary;
  let spread14: HeapProfileSummary;

  before(async () => {
    [leak1000, leak1500, spread14] = await Promise.all(['leak1000', 'leak1500', 'spread14'].map((n) => analyzeHeapProfile(recorded(`${n}.pb.gz`))));
  });

  describe('the host side: view state', () => {
    it('the first profile is its own baseline: rows without change, the leak on top', () => {
      const state = view(leak1000);
      assert.strictEqual(state.baselineIsCurrent, true);
      assert.strictEqual(state.comparison, undefined);
      assert.strictEqual(state.target, 'leaker (PID 42)');
      assert.strictEqual(state.profile?.bytes, 11_671);
      assert.strictEqual(state.sites.length, leak1000.sites.length);
      assert.ok(state.sites.every((row) => row.delta === undefined));
      const top = [...state.sites].sort((a, b) => b.flat.inuseBytes - a.flat.inuseBytes)[0];
      const pprof = parsePprofTop(recorded('leak1000.top-lines.txt').toString()).rows[0];
      assert.deepStrictEqual([top.functionName, top.location, top.line], [STORE_ADD, 'store.go:22', 22]);
      assert.ok(closeToPprof(top.flat.inuseBytes, pprof.flat, pprof.rounding), `${top.flat.inuseBytes} vs pprof ${pprof.flat}`);
      assert.deepStrictEqual(top.source, { found: true, shown: 'leaker/store/store.go', readOnly: false, where: 'workspace' });
    });

    it('a later profile: each site’s change since the baseline, as pprof -diff_base says; the top grower', () => {
      const state = view(leak1500, leak1000);
      assert.strictEqual(state.baselineIsCurrent, false);
      const pprof = parsePprofTop(recorded('diff.top-lines.txt').toString());
      for (const p of pprof.rows.filter((r) => r.flat !== 0)) {
        const row = state.sites.find((s) => s.functionName === p.functionName && s.file === p.file && s.line === p.line);
        assert.ok(row?.delta, `${p.functionName}:${p.line} is listed with a change`);
        assert.ok(closeToPprof(row.delta.inuseBytes, p.flat, p.rounding), `${p.functionName}:${p.line} change ${row.delta.inuseBytes} vs pprof ${p.flat}`);
      }
      const leak = state.sites.find((s) => s.functionName === STORE_ADD && s.line === 22)!;
      assert.strictEqual(leak.delta!.inuseObjects, 500, '500 more records');
      assert.strictEqual(leak.isNew, false);
      assert.match(state.comparison!.topGrower!, /^(9\d|100) % of the growth \(\+\d+\.\d (KiB|MiB) in use since the baseline\) was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)$/);
      assert.ok(closeToPprof(state.comparison!.totalsDelta.inuseBytes, pprof.total, 0.01 * pprof.total) || state.comparison!.totalsDelta.inuseBytes > 0);
    });

    it('functions: flat and cumulative with their changes, opened at their largest allocation', () => {
      const state = view(leak1500, leak1000);
      const add = state.functions.find((f) => f.functionName === STORE_ADD)!;
      assert.strictEqual(add.line, 22, 'the line of its largest allocation, not the func line');
      assert.strictEqual(add.location, 'store.go:22');
      assert.ok(add.cum && add.cumDelta && add.delta);
      assert.ok(add.delta.inuseBytes >= 500 * 4096 && add.cumDelta.inuseBytes >= add.delta.inuseBytes);
      const cumTop = parsePprofTop(recorded('leak1500.top-cum.txt').toString()).rows[0];
      const ours = state.functions.find((f) => f.functionName === cumTop.functionName)!;
      assert.ok(closeToPprof(ours.cum!.inuseBytes, cumTop.cum, cumTop.rounding), `${cumTop.functionName} cum ${ours.cum!.inuseBytes} vs pprof ${cumTop.cum}`);
      // A function that allocates nothing itself opens at its `func` line.
      const caller = state.functions.find((f) => f.flat.inuseBytes === 0 && f.flat.allocBytes === 0 && f.line > 0);
      if (caller) assert.ok(!state.sites.some((s) => s.functionName === caller.functionName && s.line === caller.line && s.flat.inuseBytes > 0));
    });

    it('asks the locator once per distinct location, and says why a row has no source', () => {
      const locations = locationsOf(profiles(leak1500, leak1000));
      assert.strictEqual(new Set(locations.map(locationKey)).size, locations.length);
      const asked = new Set<string>();
      const state = view(leak1500, leak1000, {
        locate: (l) => {
          asked.add(locationKey(l));
          return locate(l);
        },
      });
      for (const key of asked) assert.ok(locations.some((l) => locationKey(l) === key), `${key} was announced by locationsOf`);
      const runtime = state.sites.find((s) => !s.file.includes('/fixtures/'))!;
      assert.deepStrictEqual(runtime.source, { found: false, reason: `no file in the workspace ends with ${path.basename(runtime.file)}` });
    });

    it('a mapping becomes a row source: relative to its workspace folder, read-only outside it', () => {
      assert.deepStrictEqual(toRowSource({ kind: 'workspace', fsPath: '/ws/a/store/store.go', readOnly: false, rule: 'exact' }, ['/other', '/ws/a']), { found: true, shown: path.join('store', 'store.go'), readOnly: false, where: 'workspace', note: undefined });
      assert.deepStrictEqual(toRowSource({ kind: 'goroot', fsPath: '/go/src/net/http/server.go', readOnly: true, rule: 'goroot' }, ['/ws']), { found: true, shown: '/go/src/net/http/server.go', readOnly: true, where: 'goroot', note: undefined });
      assert.deepStrictEqual(toRowSource({ kind: 'none', readOnly: true, reason: '2 files in the workspace end with store.go' }, ['/ws']), { found: false, reason: '2 files in the workspace end with store.go' });
    });

    it('nothing grew, nothing to name; profiles in the wrong order are flagged', () => {
      assert.strictEqual(topGrowerOf(diffProfiles(leak1500, leak1500)), undefined);
      const reversed = view(leak1000, leak1500);
      assert.ok(reversed.comparison!.warnings.some((w) => /restarted/.test(w)), reversed.comparison!.warnings.join(' '));
      assert.strictEqual(reversed.comparison!.topGrower === undefined || !/store\.go:22/.test(reversed.comparison!.topGrower), true);
    });
  });

  describe('the webview side: table and header', () => {
    it('by line, in use, by size: the leak first, in binary units, with its share', () => {
      const state = view(leak1500);
      const table = buildTable(state, { sample: 'inuse', grouping: 'site', order: 'size' });
      assert.deepStrictEqual(table.headers, ['Function · location', 'In use', 'Objects', 'Share']);
      const top = table.rows[0];
      assert.deepStrictEqual([top.name, top.title, top.location, top.size], ['store.(*Store).Add', STORE_ADD, 'store.go:22', '5.9 MiB']);
      // 1500 records, and what the runtime allocated on that line inside their mallocs.
      assert.match(top.objects, /^1,50\d$/);
      assert.match(top.share, /^98\.\d %$/);
      assert.strictEqual(top.change, undefined, 'no baseline to compare with yet');
      assert.strictEqual(top.openable, true);
      assert.ok(table.rows.every((r) => r.size !== '0 B'), 'rows with nothing in use are not listed');
      const unmapped = table.rows.find((r) => !r.openable)!;
      assert.strictEqual(unmapped.badge, 'no source');
      assert.match(unmapped.locationTitle, /^No local source: no file in the workspace ends with /);
    });

    it('a row whose file is outside the workspace says it opens read-only; one in /proc says why it does not open', () => {
      const outside = buildTable(view(leak1500, undefined, { locate: () => ({ found: true, shown: '/etc/passwd', readOnly: true, where: 'external' }) }), { sample: 'inuse', grouping: 'site', order: 'size' }).rows[0];
      assert.deepStrictEqual([outside.locationTitle, outside.badge, outside.openable], ['/etc/passwd:22 (outside the workspace, opened read-only)', 'read-only', true]);
      const reason = '/proc/self/environ is in /proc, which is never opened';
      const proc = buildTable(view(leak1500, undefined, { locate: () => ({ found: false, reason }) }), { sample: 'inuse', grouping: 'site', order: 'size' }).rows[0];
      assert.deepStrictEqual([proc.locationTitle, proc.badge, proc.openable], [`No local source: ${reason}`, 'no source', false]);
    });

    it('growth order after a baseline: signed changes, U+2212 for a decrease', () => {
      const grown = buildTable(view(leak1500, leak1000), { sample: 'inuse', grouping: 'site', order: 'growth' });
      assert.strictEqual(grown.order, 'growth');
      assert.strictEqual(grown.headers.at(-1), 'Since baseline');
      assert.deepStrictEqual([grown.rows[0].location, grown.rows[0].change, grown.rows[0].changeSign], ['store.go:22', '+2.0 MiB', 1]);
      const shrunk = buildTable(view(leak1000, leak1500), { sample: 'inuse', grouping: 'site', order: 'growth' });
      const last = shrunk.rows.find((r) => r.location === 'store.go:22')!;
      assert.strictEqual(last.change, `${MINUS}2.0 MiB`);
      assert.strictEqual(last.changeSign, -1);
      assert.strictEqual(shrunk.rows.at(-1)!.changeSign, -1, 'decreases last');
    });

    it('growth order without a comparison falls back to size; allocated and cumulative columns', () => {
      assert.strictEqual(buildTable(view(leak1500), { sample: 'inuse', grouping: 'site', order: 'growth' }).order, 'size');
      const alloc = buildTable(view(leak1500), { sample: 'alloc', grouping: 'function', order: 'size' });
      assert.strictEqual(alloc.headers[1], 'Allocated');
      const pprofAlloc = parsePprofTop(recorded('leak1500.top-alloc.txt').toString()).rows[0];
      const first = view(leak1500).functions.find((f) => f.key === alloc.rows[0].key)!;
      assert.strictEqual(first.functionName, pprofAlloc.functionName, 'the top allocator, as pprof -sample_index=alloc_space -top says');
      const cum = buildTable(view(leak1500, leak1000), { sample: 'inuse', grouping: 'cumulative', order: 'size' });
      assert.deepStrictEqual(cum.headers, ['Function · location', 'Flat', 'Cumulative', 'Objects', 'Share', 'Since baseline']);
      assert.ok(cum.rows[0].flat !== undefined);
    });

    it('at most MAX_SHOWN_ROWS rows, the rest summed in one line', () => {
      const state = view(spread14);
      const table = buildTable(state, { sample: 'alloc', grouping: 'cumulative', order: 'size' });
      const listed = state.functions.filter((f) => f.cum!.allocBytes !== 0).length;
      assert.ok(listed > MAX_SHOWN_ROWS, `${listed} functions`);
      assert.strictEqual(table.rows.length, MAX_SHOWN_ROWS);
      assert.match(table.more!, new RegExp(`^… and ${formatCount(listed - MAX_SHOWN_ROWS)} more rows \\(\\d+(\\.\\d)? (B|KiB|MiB)\\)$`));
    });

    it('header lines: the profile, the baseline, the growth, and each problem said plainly', () => {
      const lines = headerLines(view(leak1500, leak1000));
      assert.strictEqual(lines.title, 'Heap of leaker (PID 42)');
      assert.strictEqual(lines.source, 'net/http/pprof at 127.0.0.1:6060 · refreshes every 10 s while shown');
      assert.match(lines.profile!, /^Profile of \d\d:\d\d:\d\d: 5\.9 MiB in use in [\d,]+ objects; [\d.]+ MiB allocated since start · 157 sites · every allocation recorded$/);
      assert.match(lines.baseline!, /^Since the baseline of \d\d:\d\d:\d\d: \+2\.0 MiB in use \(\+[\d,]+ objects\), \+[\d.]+ (KiB|MiB) allocated\.$/);
      assert.match(lines.growth!, /% of the growth .* was allocated at store\.\(\*Store\)\.Add \(store\.go:22\)\.$/);
      assert.strictEqual(headerLines(view(leak1500)).baseline, 'This profile is the baseline: later ones show what changed since.');
      assert.match(headerLines({ ...view(leak1500), paused: true }).problem!, /stopped in the debugger/);
      assert.match(headerLines({ ...view(leak1500), watchId: undefined }).problem!, /^No process is watched/);
      const failed = headerLines({ ...view(leak1500), problem: { code: 'not-served', message: `The program does not serve net/http/pprof there: 127.0.0.1:1/debug/pprof/heap answered 404. ${ADD_SOURCE_HINT}`, at: 0 } });
      assert.match(failed.problem!, /answered 404\. Add `import _ "net\/http\/pprof"`.* \(showing the profile of \d\d:\d\d:\d\d\) Not asked again until you press Refresh\.$/);
      const timedOut = headerLines({ ...view(leak1500), problem: { code: 'timeout', message: 'net/http/pprof at 127.0.0.1:1 did not answer within 10 s.', at: 0 } });
      assert.doesNotMatch(timedOut.problem!, /Not asked again/, 'a timeout is tried again at the next period');
    });
  });

  describe('where the profile is asked for', () => {
    const watch = (extra: Partial<HeapProfileWatch>): HeapProfileWatch => ({ id: 'w', pid: 1, state: 'running', paused: false, isLocal: true, goRuntime: undefined, remoteSource: undefined, ...extra });

    it('memoryWatch.metricsUrl’s origin: the agent’s endpoint under its prefix, else net/http/pprof’s', () => {
      const agent = heapProfileEndpoint(watch({}), { metricsUrl: 'http://127.0.0.1:6060/debug/memorywatch/snapshot', allowedHosts: [] });
      assert.ok(!(agent instanceof HeapFetchError));
      assert.deepStrictEqual([agent.url.href, agent.kind], ['http://127.0.0.1:6060/debug/memorywatch/heap', 'agent']);
      const pprof = heapProfileEndpoint(watch({}), { metricsUrl: 'http://localhost:7070/debug/vars', allowedHosts: [] });
      assert.ok(!(pprof instanceof HeapFetchError));
      assert.deepStrictEqual([pprof.url.href, pprof.kind], ['http://localhost:7070/debug/pprof/heap', 'pprof']);
    });

    it('a host the user did not allow is refused before any request; nothing known says what to add', () => {
      const refused = heapProfileEndpoint(watch({}), { metricsUrl: 'http://192.0.2.7:6060/debug/vars', allowedHosts: [] });
      assert.ok(refused instanceof HeapFetchError && refused.code === 'refused', String(refused));
      const none = heapProfileEndpoint(watch({}), { metricsUrl: '', allowedHosts: [] });
      assert.ok(none instanceof HeapFetchError && none.code === 'no-source');
      assert.ok(none.message.endsWith(ADD_SOURCE_HINT), none.message);
    });
  });
});

describe('GOROOT from a profile, without go env', () => {
  it('the folder above src/<std package>/ of standard library files, most named first', async () => {
    const leak = await analyzeHeapProfile(recorded('leak1000.pb.gz'));
    // Recorded on a machine whose Go lives in /usr/local/go; the leaker's own files do not count.
    assert.deepStrictEqual(gorootCandidates(leak.functions), ['/usr/local/go']);
    assert.deepStrictEqual(gorootCandidates([{ file: '/home/u/src/foo/bar/x.go', functionName: 'foo.Bar' }, { file: '/w/src/runtime/sub/x.go', functionName: 'runtime.f' }]), []);
  });

  it('only a folder that holds a Go installation here', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-goroot-'));
    try {
      const root = path.join(dir, 'go');
      fs.mkdirSync(path.join(root, 'src', 'runtime'), { recursive: true });
      fs.writeFileSync(path.join(root, 'src', 'runtime', 'malloc.go'), 'package runtime\n');
      const locations = [{ file: path.join(root, 'src', 'runtime', 'malloc.go'), functionName: 'runtime.mallocgc' }];
      assert.strictEqual(await guessGoroot(locations, realPathFs), undefined, 'no VERSION or go.env: not an installation');
      fs.writeFileSync(path.join(root, 'VERSION'), 'go1.26.0\n');
      assert.strictEqual(await guessGoroot(locations, realPathFs), root);
      assert.strictEqual(await guessGoroot([{ file: '/nonexistent/go/src/runtime/malloc.go', functionName: 'runtime.mallocgc' }], realPathFs), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('heap view messages', () => {
  it('accepts the intents the view sends, rebuilt with their known fields only', () => {
    for (const type of ['ready', 'refresh', 'setBaseline', 'save'] as const) assert.deepStrictEqual(parseHeapViewMessage({ type, extra: 1 }), { type });
    assert.deepStrictEqual(parseHeapViewMessage({ type: 'open', list: 'sites', key: 'f\nstore.go\n22', x: 1 }), { type: 'open', list: 'sites', key: 'f\nstore.go\n22' });
    const rendered = { type: 'rendered', version: 3, sample: 'alloc', grouping: 'cumulative', order: 'growth', keys: ['a', 'b'] };
    assert.deepStrictEqual(parseHeapViewMessage({ ...rendered, extra: true }), rendered);
    assert.deepStrictEqual(parseHeapViewMessage({ ...rendered, keys: Array(MAX_RENDERED_HEAP_ROWS).fill('k') })?.type, 'rendered');
  });

  it('drops unknown and malformed ones', () => {
    const rendered = { type: 'rendered', version: 3, sample: 'inuse', grouping: 'site', order: 'size', keys: [] };
    for (const bad of [
      null,
      'refresh',
      [],
      { type: 'eval' },
      { type: 'open', list: 'sites' },
      { type: 'open', list: 'files', key: 'k' },
      { type: 'open', list: 'sites', key: '' },
      { type: 'open', list: 'sites', key: 'k'.repeat(MAX_HEAP_ROW_KEY_CHARS + 1) },
      { type: 'open', list: 'sites', key: 7 },
      { ...rendered, version: -1 },
      { ...rendered, version: 1.5 },
      { ...rendered, sample: 'both' },
      { ...rendered, grouping: 'file' },
      { ...rendered, order: 'name' },
      { ...rendered, keys: 'a' },
      { ...rendered, keys: [1] },
      { ...rendered, keys: Array(MAX_RENDERED_HEAP_ROWS + 1).fill('k') },
      { type: '__proto__' },
    ]) {
      assert.strictEqual(parseHeapViewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});

describe('heap view settings', () => {
  it('refresh every 10 s and hints on by default; 0 is off; too often is raised to 2 s, with a message', () => {
    assert.deepStrictEqual(normalizeSettings({}).settings.heapProfile, { refreshSeconds: 10, inlineHints: true });
    assert.deepStrictEqual(normalizeSettings({ heapRefreshInterval: 0, heapInlineHints: false }).settings.heapProfile, { refreshSeconds: 0, inlineHints: false });
    const fast = normalizeSettings({ heapRefreshInterval: 0.5 });
    assert.strictEqual(fast.settings.heapProfile.refreshSeconds, 2);
    assert.match(fast.problems.join(' '), /refreshInterval = 0\.5 is too often/);
    for (const bad of [NaN, -1, '10', Infinity]) assert.ok(normalizeSettings({ heapRefreshInterval: bad }).settings.heapProfile.refreshSeconds >= 0);
  });
});
