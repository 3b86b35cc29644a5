/**
 * History from a Prometheus server, the pure parts: the selector read strictly, the range and its
 * step, the server's URL, answers checked in type, the samples chosen, and the fleet put together
 * (restarts, OOM kills from each kind of evidence, gaps, the top replicas, the headline, the
 * diagnosis at the peak). The server itself is real in test/integration/prometheusServer.test.ts.
 */
import * as assert from 'assert';
import { assembleFleet, FetchedHistory } from '../../src/core/history/fleet';
import { MAX_POINTS, MAX_POINTS_PER_QUERY, parseTimeInput, planRange, POINTS_PER_PART, rangeLabel } from '../../src/core/history/plan';
import { parseServerUrl, sampleValue, seriesOfResult, RangeSeries, PrometheusError } from '../../src/core/history/promApi';
import { containerQueries, discoveryMatch, peakQuery, samplesToFetch } from '../../src/core/history/queries';
import { anyOf, parseSelector, quoteLabelValue, selectorText } from '../../src/core/history/selector';
import { MiB } from '../../src/shared/format';

describe('history: the selector', () => {
  it('reads label matchers in braces, each kind of operator and quote', () => {
    const r = parseSelector(' {job="api", namespace != \'dev\', pod=~`api-[0-9]+`, instance!~"10\\\\.0\\\\..*"} ');
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepStrictEqual(r.matchers, [
      { name: 'job', op: '=', value: 'api' },
      { name: 'namespace', op: '!=', value: 'dev' },
      { name: 'pod', op: '=~', value: 'api-[0-9]+' },
      { name: 'instance', op: '!~', value: '10\\.0\\..*' },
    ]);
  });

  it('refuses what is not a selector, with a sentence', () => {
    for (const text of [
      'process_resident_memory_bytes{job="api"}',
      '{job="api"} or vector(1)',
      'sum(up)',
      '{job=api}',
      '{job="api"',
      '{job="api" pod="x"}',
      '{__name__="up"}',
      '{job=~"("}',
      '{job=""}',
      '{job=~".*"}',
      '{}',
      `{${'a="b",'.repeat(40)}}`,
      '{job="\\q"}',
      'x'.repeat(5000),
    ]) {
      const r = parseSelector(text);
      assert.ok(!r.ok, `${text.slice(0, 60)} was taken`);
      assert.match(r.message, /\w.*[.)]$/, text.slice(0, 60));
    }
  });

  it('writes matchers back quoted, so a value cannot end its string', () => {
    assert.strictEqual(quoteLabelValue('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
    const r = parseSelector('{job="a\\"} or up{x=\\""}');
    assert.ok(r.ok);
    assert.strictEqual(selectorText(r.matchers), '{job="a\\"} or up{x=\\""}');
    // Read back, the text is the same selector.
    const again = parseSelector(selectorText(r.matchers));
    assert.ok(again.ok);
    assert.deepStrictEqual(again.matchers, r.matchers);
  });

  it('escapes regex specials in a list of values', () => {
    assert.strictEqual(anyOf(['10.0.0.1:8080', 'a|b', 'x*']), '10\\.0\\.0\\.1:8080|a\\|b|x\\*');
    assert.ok(new RegExp(`^(?:${anyOf(['10.0.0.1:8080'])})$`).test('10.0.0.1:8080'));
    assert.ok(!new RegExp(`^(?:${anyOf(['10.0.0.1:8080'])})$`).test('10a0.0.1:8080'));
  });
});

describe('history: the range and its step', () => {
  it('chooses a readable step giving at most about 2,000 points, aligned to it', () => {
    const day = planRange(1_796_600_000, 1_796_600_000 + 86400);
    assert.ok(day.ok);
    assert.strictEqual(day.plan.step, 60);
    assert.strictEqual(day.plan.start % 60, 0);
    assert.strictEqual(day.plan.end % 60, 0);
    assert.ok(day.plan.start <= 1_796_600_000 && day.plan.end >= 1_796_600_000 + 86400);
    assert.ok(day.plan.points <= 2000 && day.plan.points > 1000, String(day.plan.points));
    const quarter = planRange(0, 900);
    assert.ok(quarter.ok);
    assert.strictEqual(quarter.plan.step, 1);
    const week = planRange(0, 7 * 86400);
    assert.ok(week.ok);
    assert.strictEqual(week.plan.step, 600);
  });

  it('fetches in parts within the API limit, every point once', () => {
    const fine = planRange(0, 86400, 5);
    assert.ok(fine.ok);
    assert.strictEqual(fine.plan.points, 17281);
    assert.ok(fine.plan.parts.length >= 4);
    let expected = fine.plan.start;
    for (const part of fine.plan.parts) {
      assert.strictEqual(part.start, expected);
      const points = (part.end - part.start) / 5 + 1;
      assert.ok(points <= POINTS_PER_PART && points <= MAX_POINTS_PER_QUERY, String(points));
      expected = part.end + 5;
    }
    assert.strictEqual(expected - 5, fine.plan.end);
  });

  it('refuses a range it cannot read, saying what would do', () => {
    const tooFine = planRange(0, 86400, 1);
    assert.ok(!tooFine.ok);
    assert.match(tooFine.message, new RegExp(`more than ${MAX_POINTS} points.*at least 5 s`));
    for (const [a, b, s] of [[10, 5], [0, 0], [NaN, 5], [0, 200 * 86400], [-5, 10], [0, 100, 0.5]] as [number, number, number?][]) {
      const r = planRange(a, b, s);
      assert.ok(!r.ok, `${a}..${b} step ${s}`);
    }
  });

  it('names a range as a person would, an aligned step longer or not', () => {
    const cases: [number, string][] = [[86400, '24 h'], [86460, '24 h'], [7 * 86400 + 600, '7 d'], [900, '15 min'], [901, '15 min'], [3600, '1 h'], [5400, '90 min'], [45, '45 s'], [2 * 86400, '2 d']];
    for (const [seconds, label] of cases) assert.strictEqual(rangeLabel(seconds), label, String(seconds));
  });

  it('reads a time as a person gives it', () => {
    assert.strictEqual(parseTimeInput('1796652120'), 1_796_652_120_000);
    assert.strictEqual(parseTimeInput('1796652120123'), 1_796_652_120_123);
    assert.strictEqual(parseTimeInput('2026-12-07T14:02:00Z'), Date.UTC(2026, 11, 7, 14, 2));
    assert.strictEqual(parseTimeInput('2026-12-07T14:02:00+01:00'), Date.UTC(2026, 11, 7, 13, 2));
    assert.strictEqual(parseTimeInput('2026-12-07 14:02'), new Date(2026, 11, 7, 14, 2).getTime());
    assert.strictEqual(parseTimeInput('2026-12-07T14:02:30'), new Date(2026, 11, 7, 14, 2, 30).getTime());
    for (const bad of ['', 'yesterday', '2026-02-31 10:00', '14:02', '2026-12-07T14:02:00+1', '12']) assert.strictEqual(parseTimeInput(bad), undefined, bad);
  });
});

describe('history: the server and its answers', () => {
  it('keeps the path prefix and drops what a pasted address adds', () => {
    const cases: [string, string][] = [
      ['http://localhost:9090', 'http://localhost:9090/'],
      ['localhost:9090', 'http://localhost:9090/'],
      ['https://mimir.example.com/prometheus/', 'https://mimir.example.com/prometheus'],
      ['https://mimir.example.com/prometheus/api/v1/query?query=up', 'https://mimir.example.com/prometheus'],
      ['http://prom:9090/graph?g0.expr=up#x', 'http://prom:9090/'],
    ];
    for (const [raw, want] of cases) {
      const r = parseServerUrl(raw);
      assert.ok(r.ok, raw);
      assert.strictEqual(r.base.toString(), want, raw);
    }
    for (const bad of ['', 'ftp://x', 'http://user:pw@prom:9090', 'http://[::1']) assert.ok(!parseServerUrl(bad).ok, bad);
    const creds = parseServerUrl('https://u:p@x');
    assert.ok(!creds.ok && /secret storage/.test(creds.message));
  });

  it('reads values as the API writes them, and nothing else', () => {
    assert.strictEqual(sampleValue('123'), 123);
    assert.strictEqual(sampleValue('1.5e+06'), 1.5e6);
    assert.strictEqual(sampleValue('+Inf'), Infinity);
    assert.strictEqual(sampleValue('-Inf'), -Infinity);
    for (const v of ['NaN', 'abc', '', 12, null, {}, ['1'], '1'.repeat(100)]) assert.ok(Number.isNaN(sampleValue(v)), JSON.stringify(v));
  });

  it('takes a matrix of well-formed series, drops malformed points, refuses other shapes', () => {
    const r = seriesOfResult(
      {
        resultType: 'matrix',
        result: [
          { metric: { job: 'api', instance: 'a' }, values: [[100, '1'], [101, '2'], [101, '3'], ['102', '4'], [103], [99, '5'], [104, 'NaN']] },
          { metric: { job: 7 }, values: [[100, '1']] },
          { metric: { job: 'api' }, values: 'x' },
        ],
      },
      'here',
    );
    assert.strictEqual(r.series.length, 1);
    assert.deepStrictEqual([...r.series[0].times], [100_000, 101_000, 104_000]);
    assert.deepStrictEqual([...r.series[0].values].slice(0, 2), [1, 2]);
    assert.ok(Number.isNaN(r.series[0].values[2]));
    assert.ok(r.dropped >= 5);
    for (const bad of [null, 'x', { resultType: 'scalar', result: [1, '2'] }, { resultType: 'matrix', result: {} }]) {
      assert.throws(() => seriesOfResult(bad, 'here'), PrometheusError);
    }
    // A label named __proto__ is a label, not a prototype.
    const proto = seriesOfResult(JSON.parse('{"resultType":"vector","result":[{"metric":{"__proto__":"x","job":"a"},"value":[1,"2"]}]}'), 'here');
    assert.strictEqual(proto.series[0].labels.__proto__, 'x');
    assert.strictEqual(Object.getPrototypeOf(proto.series[0].labels), null);
  });
});

describe('history: what is asked', () => {
  it('fetches runtime/metrics classes where every replica has them, MemStats where some lack them', () => {
    const classes = new Set(['process_resident_memory_bytes', 'go_memory_classes_heap_objects_bytes', 'go_memstats_heap_alloc_bytes', 'go_memstats_alloc_bytes', 'go_gc_heap_goal_bytes', 'go_memstats_next_gc_bytes']);
    const memstats = new Set(['process_resident_memory_bytes', 'go_memstats_heap_alloc_bytes', 'go_memstats_alloc_bytes', 'go_memstats_next_gc_bytes']);
    const one = samplesToFetch([classes]);
    assert.ok(one.includes('go_memory_classes_heap_objects_bytes') && one.includes('go_gc_heap_goal_bytes'));
    assert.ok(!one.includes('go_memstats_heap_alloc_bytes') && !one.includes('go_memstats_next_gc_bytes'));
    const mixed = samplesToFetch([classes, memstats]);
    assert.ok(mixed.includes('go_memory_classes_heap_objects_bytes') && mixed.includes('go_memstats_heap_alloc_bytes'));
    assert.ok(!mixed.includes('go_memstats_alloc_bytes'));
  });

  it('builds every query from matchers and names of its own', () => {
    const sel = parseSelector('{job="a\\"b"}');
    assert.ok(sel.ok);
    assert.strictEqual(peakQuery(sel.matchers, 60), 'max_over_time(process_resident_memory_bytes{job="a\\"b"}[60s])');
    assert.match(discoveryMatch(sel.matchers), /^\{__name__=~"process_resident_memory_bytes\|.*",job="a\\"b"\}$/);
    const k8s = containerQueries([{ namespace: 'prod', pod: 'api-1' }, { namespace: 'prod', pod: 'api.2' }]);
    assert.ok(k8s.find((q) => q.id === 'workingSet')!.query.includes('pod=~"api-1|api\\\\.2"'));
    assert.ok(k8s.find((q) => q.id === 'oomReason')!.query.includes('reason="OOMKilled"'));
  });
});

/** A fleet on a grid of `points` steps of 60 s from t0, built from columns of values per replica. */
function fetched(replicas: Record<string, { labels?: Record<string, string>; columns: Record<string, (number | undefined)[]> }>, points: number, container: Record<string, Record<string, (number | undefined)[]>> = {}): FetchedHistory {
  const t0 = 1_796_600_000;
  const plan = { start: t0, end: t0 + (points - 1) * 60, step: 60, points, parts: [{ start: t0, end: t0 + (points - 1) * 60 }] };
  const series = (labels: Record<string, string>, values: (number | undefined)[]): RangeSeries => {
    const kept = values.map((v, i) => [i, v] as const).filter(([, v]) => v !== undefined) as [number, number][];
    return { labels, times: Float64Array.from(kept, ([i]) => (t0 + i * 60) * 1000), values: Float64Array.from(kept, ([, v]) => v) };
  };
  const samples = new Map<string, RangeSeries[]>();
  const peaks: RangeSeries[] = [];
  const up: RangeSeries[] = [];
  for (const [name, r] of Object.entries(replicas)) {
    const labels = r.labels ?? { job: 'api', instance: name };
    for (const [column, values] of Object.entries(r.columns)) {
      if (column === 'peak') peaks.push(series(labels, values));
      else if (column === 'up') up.push(series(labels, values));
      else samples.set(column, [...(samples.get(column) ?? []), series({ __name__: column, ...labels }, values)]);
    }
  }
  const containerMap = new Map<never, RangeSeries[]>();
  for (const [id, perPod] of Object.entries(container)) {
    containerMap.set(id as never, Object.entries(perPod).map(([pod, values]) => series({ namespace: 'prod', pod, container: 'app', job: 'kubelet' }, values)));
  }
  return { plan, samples, peaks, up, goInfo: [], container: containerMap };
}

const flat = (n: number, v: number): number[] => new Array<number>(n).fill(v);
const ramp = (n: number, from: number, to: number): number[] => Array.from({ length: n }, (_, i) => Math.round(from + ((to - from) * i) / (n - 1)));

describe('history: the fleet', () => {
  it('names the replica that peaked highest and the one that grew fastest, and ranks them', () => {
    const n = 120;
    const fleet = assembleFleet(
      fetched(
        {
          steady: { columns: { process_resident_memory_bytes: flat(n, 100 * MiB) } },
          spiky: { columns: { process_resident_memory_bytes: flat(n, 120 * MiB), peak: [...flat(60, 120 * MiB), 900 * MiB, ...flat(59, 120 * MiB)] } },
          growing: { columns: { process_resident_memory_bytes: ramp(n, 100 * MiB, 500 * MiB) } },
        },
        n,
      ),
    );
    assert.deepStrictEqual(
      fleet.replicas.map((r) => r.name),
      ['spiky', 'growing', 'steady'],
    );
    assert.strictEqual(fleet.replicas[0].peakRss, 900 * MiB);
    // The peak between steps is drawn as one, above the point.
    assert.strictEqual(fleet.replicas[0].series.columns.missedPeak?.[60], 900 * MiB);
    assert.match(fleet.headline, /^spiky peaked highest: 900\.0 MiB at .*\. growing grew fastest: \+2\d\d\.\d MiB\/h for 1 h 59 min from /);
    const growth = fleet.replicas[1].growth!.bytesPerHour;
    assert.ok(Math.abs(growth - (400 * MiB) / ((n - 1) / 60)) < MiB, String(growth));
  });

  it('draws the top 20 and sums up the rest', () => {
    const replicas: Parameters<typeof fetched>[0] = {};
    for (let i = 0; i < 25; i++) replicas[`r-${String(i).padStart(2, '0')}`] = { columns: { process_resident_memory_bytes: flat(10, (100 + i) * MiB) } };
    const fleet = assembleFleet(fetched(replicas, 10));
    assert.strictEqual(fleet.replicas.length, 20);
    assert.strictEqual(fleet.replicas[0].name, 'r-24');
    assert.strictEqual(fleet.others?.count, 5);
    assert.match(fleet.others!.text, /^and 5 more replicas with lower peaks \(100\.0 MiB to 104\.0 MiB\), not drawn\.$/);
  });

  it('marks a restart where the start time changed, with the RSS it had reached', () => {
    const n = 30;
    const start = [...flat(15, 1_796_000_000), ...flat(15, 1_796_600_000 + 15 * 60 - 20)];
    const fleet = assembleFleet(fetched({ a: { columns: { process_resident_memory_bytes: [...ramp(15, 50 * MiB, 300 * MiB), ...flat(15, 40 * MiB)], process_start_time_seconds: start } } }, n));
    const r = fleet.replicas[0];
    assert.strictEqual(r.restarts, 1);
    assert.strictEqual(r.oomKills, 0);
    const marker = r.series.events.find((e) => e.kind === 'restart')!;
    assert.ok(marker, JSON.stringify(r.series.events));
    assert.strictEqual(marker.time, (1_796_600_000 + 15 * 60 - 20) * 1000);
    assert.strictEqual(marker.bytes, 300 * MiB);
    assert.match(marker.detail!, /a new process start time.*300\.0 MiB/);
  });

  it('says OOM-killed where kube-state-metrics says so, and "OOM kill?" where only the limit shows it', () => {
    const n = 30;
    const labelsOf = (pod: string) => ({ job: 'api', instance: `${pod}:8080`, namespace: 'prod', pod });
    const restartAt15 = [...flat(15, 1_796_000_000), ...flat(15, 1_796_600_900)];
    const rss = [...ramp(15, 50 * MiB, 250 * MiB), ...flat(15, 40 * MiB)];
    const fleet = assembleFleet(
      fetched(
        {
          confirmed: { labels: labelsOf('confirmed'), columns: { process_resident_memory_bytes: rss, process_start_time_seconds: restartAt15 } },
          inferred: { labels: labelsOf('inferred'), columns: { process_resident_memory_bytes: rss.map((v) => v - MiB), process_start_time_seconds: restartAt15 } },
          plain: { labels: labelsOf('plain'), columns: { process_resident_memory_bytes: rss.map((v) => v - 2 * MiB), process_start_time_seconds: restartAt15 } },
        },
        n,
        {
          oomReason: { confirmed: [...flat(15, 0), ...flat(15, 1)] },
          restarts: { confirmed: [...flat(16, 0), ...flat(14, 1)] },
          workingSet: { inferred: [...ramp(15, 50 * MiB, 250 * MiB), ...flat(15, 40 * MiB)] },
          ksmLimit: { inferred: flat(n, 256 * MiB), plain: flat(n, 1024 * MiB) },
        },
      ),
    );
    const by = (name: string) => fleet.replicas.find((r) => r.name === name)!;
    const confirmed = by('confirmed').series.events.filter((e) => e.kind === 'oom' || e.kind === 'restart');
    assert.strictEqual(confirmed.length, 1, JSON.stringify(confirmed));
    assert.strictEqual(confirmed[0].label, 'OOM-killed');
    assert.match(confirmed[0].detail!, /OOMKilled/);
    const inferred = by('inferred').series.events.filter((e) => e.kind === 'oom');
    assert.strictEqual(inferred.length, 1);
    assert.strictEqual(inferred[0].label, 'OOM kill?');
    assert.match(inferred[0].detail!, /9\d % of the 256\.0 MiB container limit/);
    assert.strictEqual(by('plain').oomKills, 0);
    assert.strictEqual(by('plain').restarts, 1);
    assert.strictEqual(by('inferred').containerLimit, 256 * MiB);
    assert.match(fleet.headline, /OOM-killed once/);
  });

  it('marks gaps, naming a target that was down', () => {
    const n = 20;
    const rss: (number | undefined)[] = flat(n, 100 * MiB);
    for (let i = 5; i < 9; i++) rss[i] = undefined;
    for (let i = 12; i < 14; i++) rss[i] = undefined;
    const up = flat(n, 1).map((v, i) => (i >= 5 && i < 9 ? 0 : i >= 12 && i < 14 ? (undefined as unknown as number) : v));
    const fleet = assembleFleet(fetched({ a: { columns: { process_resident_memory_bytes: rss, up } } }, n));
    const gaps = fleet.replicas[0].series.events.filter((e) => e.band);
    assert.deepStrictEqual(
      gaps.map((g) => g.label),
      ['down', 'no data'],
    );
    assert.strictEqual(gaps[0].endTime! - gaps[0].time, 5 * 60_000);
  });

  it('diagnoses at the peak what a live watch would have said: a leak in the live heap', () => {
    const n = 60;
    const heap = ramp(n, 50 * MiB, 400 * MiB);
    const columns = {
      process_resident_memory_bytes: heap.map((h) => h + 40 * MiB),
      go_memory_classes_heap_objects_bytes: heap,
      go_memory_classes_heap_unused_bytes: flat(n, 2 * MiB),
      go_memory_classes_heap_free_bytes: flat(n, 4 * MiB),
      go_memory_classes_heap_released_bytes: flat(n, 1 * MiB),
      go_memory_classes_heap_stacks_bytes: flat(n, 1 * MiB),
      go_memory_classes_os_stacks_bytes: flat(n, 0),
      go_memory_classes_total_bytes: heap.map((h) => h + 30 * MiB),
      go_gc_cycles_total_gc_cycles_total: ramp(n, 10, 200),
      go_gc_heap_goal_bytes: heap.map((h) => 2 * h),
      go_gc_heap_live_bytes: heap,
      go_gc_gomemlimit_bytes: flat(n, 9.223372036854776e18),
    };
    const fleet = assembleFleet(fetched({ leaky: { columns } }, n));
    const r = fleet.replicas[0];
    assert.strictEqual(r.goFrom, 'runtime/metrics classes (go_memory_classes_*)');
    assert.strictEqual(r.diagnosis?.kind, 'leak');
    assert.match(r.diagnosis!.message, /^At its peak \(.*\): Live heap grew \d+ % in 59 min/);
    assert.strictEqual(r.series.columns.memoryLimit?.[0], 0);
    assert.strictEqual(r.series.columns.heapObjects?.[n - 1], 400 * MiB);
  });

  it('leaves out values that are not sizes, and says so', () => {
    const fleet = assembleFleet(fetched({ a: { columns: { process_resident_memory_bytes: [100, -5, 2 ** 60, NaN, 200], process_virtual_memory_bytes: [1.5, 10, 10, 10, 10] } } }, 5));
    const r = fleet.replicas[0];
    assert.deepStrictEqual([...r.series.columns.rss!].map((v) => (Number.isNaN(v) ? null : v)), [100, null, null, null, 200]);
    assert.strictEqual(r.peakRss, 200);
    assert.ok(fleet.notes.some((n) => /values that were not sizes/.test(n)), JSON.stringify(fleet.notes));
  });
});
